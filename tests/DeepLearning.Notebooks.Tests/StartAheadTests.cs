using System.Diagnostics;
using DeepLearning.Notebooks.Execution;

namespace DeepLearning.Notebooks.Tests;

/// <summary>
/// A worker started ahead brings its process and kernel up, then waits for its turn: the wait is not its time, and
/// however the runner ends — interrupted (Ctrl-C) or killed outright — no worker outlives it.
/// </summary>
public class StartAheadTests
{
    [Fact]
    public async Task A_worker_started_ahead_waits_for_its_turn_and_the_wait_does_not_count_in_its_time()
    {
        using var dir = Runner.NewOutDir("ahead");
        var job = new NotebookJob(Path.Combine(Runner.TestNotebooks, "outputs.ipynb"), Path.Combine(dir, "outputs.ipynb"),
            Path.Combine(dir, "outputs.json"), TimeSpan.FromMinutes(1), null);
        var console = new StringWriter();
        var clock = Stopwatch.StartNew();
        await using var worker = WorkerProcess.Start(job, TimeSpan.FromMinutes(2), console);
        await worker.Ready.WaitAsync(TimeSpan.FromMinutes(1));
        var wait = TimeSpan.FromSeconds(3);
        await Task.Delay(wait);
        lock (console)
        {
            Assert.Contains("starting the C# kernel", console.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("cell ", console.ToString(), StringComparison.Ordinal);   // no cell before its turn
        }

        var report = await worker.RunAsync(CancellationToken.None);
        var total = clock.Elapsed;
        Assert.True(report.Status == Status.Ok, report.Error);
        Assert.True(report.Seconds <= (total - wait).TotalSeconds, $"its time {report.Seconds:0.00} s leaves out the {wait.TotalSeconds} s wait (all {total.TotalSeconds:0.00} s)");
        Assert.True(report.Seconds >= report.KernelSeconds + report.Cells.Sum(c => c.Seconds), "its time covers its kernel start and cells");
        lock (console)
        {
            Assert.Contains("cell ", console.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(WorkerProcess.ReadyLine, console.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Disposing_a_worker_whose_turn_never_came_kills_it()
    {
        using var dir = Runner.NewOutDir("ahead-unrun");
        var job = new NotebookJob(Path.Combine(Runner.TestNotebooks, "outputs.ipynb"), Path.Combine(dir, "outputs.ipynb"),
            Path.Combine(dir, "outputs.json"), TimeSpan.FromMinutes(1), null);
        var worker = WorkerProcess.Start(job, TimeSpan.FromMinutes(2), TextWriter.Null);
        await worker.Ready.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.NotEmpty(TimeoutTests.ProcessesMentioning(dir));
        await worker.DisposeAsync();
        Assert.Empty(TimeoutTests.ProcessesMentioning(dir));
    }

    [Fact]
    public async Task Ctrl_C_stops_the_running_notebook_and_the_one_started_ahead_and_reports_both()
    {
        using var notebooks = TwoSlowNotebooks();
        using var outDir = Runner.NewOutDir("interrupted");
        using var runner = Runner.LaunchInterruptible("run", "--notebooks", notebooks, "--out", outDir, "--jobs", "1");
        await Until(() => runner.Output.Contains("cell   2/4", StringComparison.Ordinal) && Workers(notebooks) == 2, runner);

        using (var kill = Process.Start("/bin/sh", ["-c", $"kill -INT {runner.Process.Id}"])) await kill.WaitForExitAsync();   // Ctrl-C, to the runner alone
        await runner.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(runner.Process.ExitCode == 1, runner.Output);
        var report = RunReport.Load(Path.Combine(outDir, "report.json"));
        Assert.Equal(["a-slow.ipynb", "b-slow.ipynb"], report.Notebooks.Select(n => n.Name));
        Assert.Equal("a-slow.ipynb, cell 3 (id sleep): `System.Threading.Thread.Sleep(TimeSpan.FromMinutes(10));` — interrupted", report.Notebooks[0].Error);
        Assert.Equal((Status.NotRun, "b-slow.ipynb: not run: the run was interrupted"), (report.Notebooks[1].Status, report.Notebooks[1].Error));
        Assert.False(File.Exists(Path.Combine(outDir, "notebooks", "b-slow.ipynb")), "a notebook that did not run leaves no executed notebook");
        Assert.DoesNotContain("b-slow.ipynb   (course time", runner.Output, StringComparison.Ordinal);   // nor progress lines
        Assert.Equal(0, Workers(notebooks));
    }

    [Fact]
    public async Task A_killed_runner_leaves_no_worker_behind()
    {
        using var notebooks = TwoSlowNotebooks();
        using var outDir = Runner.NewOutDir("killed");
        using var runner = Runner.Launch("run", "--notebooks", notebooks, "--out", outDir, "--jobs", "1");
        await Until(() => runner.Output.Contains("cell   2/4", StringComparison.Ordinal) && Workers(notebooks) == 2, runner);

        runner.Process.Kill(entireProcessTree: false);   // SIGKILL to the runner alone: it cannot clean up
        await runner.Process.WaitForExitAsync();
        // The running worker and the one waiting for its turn both see their stdin close, and exit.
        await Until(() => Workers(notebooks) == 0, runner, TimeSpan.FromSeconds(30));
    }

    // One notebook that never ends (a 10-minute cell) and a second, started ahead while the first runs.
    private static Runner.TempDir TwoSlowNotebooks()
    {
        var dir = Runner.NewOutDir("two-slow");
        foreach (string name in new[] { "a-slow.ipynb", "b-slow.ipynb" })
            File.Copy(Path.Combine(Runner.TestNotebooks, "slow.ipynb"), Path.Combine(dir, name));
        return dir;
    }

    // The workers of TwoSlowNotebooks (whose command lines name their notebook; the runner's names only the folder).
    private static int Workers(string notebooks) =>
        TimeoutTests.ProcessesMentioning(Path.Combine(notebooks, "a-slow.ipynb")).Count + TimeoutTests.ProcessesMentioning(Path.Combine(notebooks, "b-slow.ipynb")).Count;

    private static async Task Until(Func<bool> condition, Runner.Launched runner, TimeSpan? patience = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > (patience ?? TimeSpan.FromSeconds(90)))
                throw new TimeoutException($"not there after {clock.Elapsed.TotalSeconds:0} s; runner output:\n{runner.Output}");
            await Task.Delay(100);
        }
    }
}
