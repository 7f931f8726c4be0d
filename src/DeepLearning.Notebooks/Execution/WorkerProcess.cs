using System.Diagnostics;
using System.Text.Json;

namespace DeepLearning.Notebooks.Execution;

/// <summary>
/// Runs one notebook in a child process (<c>DeepLearning.Notebooks worker …</c>): a fresh kernel per notebook, as a
/// front end gives each notebook its own, with the notebook's folder as working directory so its relative
/// <c>#r "../artifacts/…"</c> lines resolve as in VS Code and Jupyter. The process is killed, children included,
/// when the notebook exceeds its time limit — a cell stuck in native code cannot be cancelled any other way.
/// </summary>
internal static class WorkerProcess
{
    /// <summary>
    /// Waits for a started process (its redirected output already being read) until it exits, or kills it with its
    /// children once <paramref name="limit"/> (none when null) passes or <paramref name="cancel"/> fires; then drains the
    /// output. Returns whether it was killed.
    /// </summary>
    public static async Task<bool> WaitOrKillAsync(Process process, TimeSpan? limit, CancellationToken cancel)
    {
        bool killed = false;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            if (limit is { } l) timeout.CancelAfter(l);
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException)
            {
                killed = true;
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        process.WaitForExit();   // drains the redirected output
        return killed;
    }

    public static async Task<NotebookReport> RunAsync(NotebookJob job, TimeSpan notebookTimeout, TextWriter console, CancellationToken cancel)
    {
        string name = Path.GetFileName(job.Notebook);
        File.Delete(job.Result);
        var clock = Stopwatch.StartNew();
        var start = new ProcessStartInfo(Host())
        {
            WorkingDirectory = Path.GetDirectoryName(job.Notebook)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in Arguments(job)) start.ArgumentList.Add(arg);
        start.Environment["COURSE_HEADLESS"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var stderrTail = new Queue<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (console) console.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (console) console.WriteLine("  stderr: " + e.Data);
            lock (stderrTail) { stderrTail.Enqueue(e.Data); if (stderrTail.Count > 20) stderrTail.Dequeue(); }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var stopWatching = new CancellationTokenSource();
        var watch = PeakMemory.WatchAsync(process, TimeSpan.FromMilliseconds(200), stopWatching.Token);
        bool killed = await WaitOrKillAsync(process, notebookTimeout, cancel);
        double seconds = clock.Elapsed.TotalSeconds;
        stopWatching.Cancel();
        long sampled = await watch;

        var report = ReadResult(job.Result);
        if (report is null)
        {
            string tail;
            lock (stderrTail) tail = string.Join("\n", stderrTail);
            string why = killed ? $"stopped after {notebookTimeout.TotalSeconds:0} s (the notebook time limit) before it reported"
                : $"the runner's worker exited with code {process.ExitCode} before reporting{(tail.Length > 0 ? ":\n" + tail : "")}";
            return new NotebookReport(name, name, killed ? Status.Timeout : Status.Failed, seconds, 0, [], $"{name}: {why}", "", "",
                PeakRssBytes: sampled > 0 ? sampled : null);
        }

        if (report.Status == Status.Running)
        {
            // Killed or crashed in the middle: the partial report says which cell was running.
            var cells = report.Cells.ToList();
            int at = cells.FindIndex(c => c.Status == Status.Running);
            string why = killed || cancel.IsCancellationRequested
                ? cancel.IsCancellationRequested ? "interrupted" : $"stopped by the notebook time limit ({notebookTimeout.TotalSeconds:0} s)"
                : $"the kernel process died (exit code {process.ExitCode})";
            var status = killed ? Status.Timeout : Status.Failed;
            string message = $"{name}: {why}";
            if (at >= 0)
            {
                cells[at] = cells[at] with { Status = status, Error = why, Seconds = Math.Max(0, seconds - report.Seconds) };
                message = NotebookExecutor.Message(name, cells[at], why);
            }
            report = report with { Status = status, Cells = cells, Error = message };
        }
        // The worker's own last reading is exact up to its last report; the samples cover a cell still running.
        long peak = Math.Max(report.PeakRssBytes ?? 0, sampled);
        return report with { Seconds = seconds, PeakRssBytes = peak > 0 ? peak : null };
    }

    private static NotebookReport? ReadResult(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<NotebookReport>(File.ReadAllText(path), RunReport.Json) : null; }
        catch (JsonException) { return null; }
    }

    private static IEnumerable<string> Arguments(NotebookJob job)
    {
        yield return typeof(WorkerProcess).Assembly.Location;
        yield return "worker";
        yield return "--notebook"; yield return job.Notebook;
        yield return "--executed"; yield return job.Executed;
        yield return "--result"; yield return job.Result;
        yield return "--cell-timeout"; yield return job.CellTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (job.Solutions is not null) { yield return "--solutions"; yield return job.Solutions; }
    }

    // The dotnet host running this process (or the SDK's, or the one on PATH).
    internal static string Host()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } sdkHost ? sdkHost : "dotnet";
    }
}
