using System.Diagnostics;
using System.Text.Json;

namespace DeepLearning.Notebooks.Execution;

/// <summary>
/// Runs one notebook in a child process (<c>DeepLearning.Notebooks worker …</c>): a fresh kernel per notebook, as a
/// front end gives each notebook its own, with the notebook's folder as working directory so its relative
/// <c>#r "../artifacts/…"</c> lines resolve as in VS Code and Jupyter. The process is killed, children included,
/// when the notebook exceeds its time limit — a cell stuck in native code cannot be cancelled any other way.
/// The worker is started ahead of its turn (<see cref="Start"/>): it brings its process and kernel up, then waits on
/// stdin for <see cref="GoLine"/> before its first cell, so its start overlaps the notebooks before it. A worker whose
/// stdin closes (the runner died) exits by itself, so even a killed runner leaves no worker behind.
/// </summary>
internal sealed class WorkerProcess : INotebookWorker
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

    /// <summary>The line a worker started with <c>--wait</c> prints when its kernel is ready for the first cell.</summary>
    public const string ReadyLine = "course-worker: kernel ready, waiting for go";

    /// <summary>What the runner writes to a waiting worker's stdin to let it run its cells.</summary>
    public const string GoLine = "go";

    /// <summary>
    /// Starts notebook <paramref name="job"/>'s worker: the process and its kernel come up, then the worker waits
    /// (on stdin) until <see cref="RunAsync"/> lets it run its first cell. Its output goes to
    /// <paramref name="console"/> from the start. <paramref name="notebookTimeout"/> bounds the worker's own time:
    /// its start plus its cells, not the time it waited for its turn.
    /// </summary>
    public static WorkerProcess Start(NotebookJob job, TimeSpan notebookTimeout, TextWriter console)
    {
        File.Delete(job.Result);
        var start = new ProcessStartInfo(Host())
        {
            WorkingDirectory = Path.GetDirectoryName(job.Notebook)!,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in Arguments(job)) start.ArgumentList.Add(arg);
        start.Environment["COURSE_HEADLESS"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        return new WorkerProcess(job, notebookTimeout, console, start);
    }

    private readonly NotebookJob _job;
    private readonly TimeSpan _limit;
    private readonly Process _process;
    private readonly Stopwatch _clock = new();
    private readonly Queue<string> _stderrTail = new();
    // Completes with the worker's start time (seconds from launch) when it is ready, or when it exits before that.
    private readonly TaskCompletionSource<(double Seconds, bool Ready)> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopWatching = new();
    private readonly Task<long> _watch;
    private bool _disposed;

    /// <summary>Completes when the worker's kernel is ready for its first cell, or when it exited before that.</summary>
    internal Task Ready => _started.Task;

    private WorkerProcess(NotebookJob job, TimeSpan limit, TextWriter console, ProcessStartInfo start)
    {
        (_job, _limit) = (job, limit);
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (e.Data == ReadyLine) _started.TrySetResult((_clock.Elapsed.TotalSeconds, true));
            else lock (console) console.WriteLine(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (console) console.WriteLine("  stderr: " + e.Data);
            lock (_stderrTail) { _stderrTail.Enqueue(e.Data); if (_stderrTail.Count > 20) _stderrTail.Dequeue(); }
        };
        _process.Exited += (_, _) => _started.TrySetResult((_clock.Elapsed.TotalSeconds, false));
        _clock.Start();
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _watch = PeakMemory.WatchAsync(_process, TimeSpan.FromMilliseconds(200), _stopWatching.Token);
    }

    /// <summary>
    /// Lets the worker run its cells (waiting first for its kernel, if it is not up yet) until it exits, or kills it
    /// with its children at the notebook time limit or on <paramref name="cancel"/>; then reads its report. The
    /// report's time is the worker's own: its start (launch to kernel ready) plus its cells.
    /// </summary>
    public async Task<NotebookReport> RunAsync(CancellationToken cancel)
    {
        string name = Path.GetFileName(_job.Notebook);
        bool killed = false;
        double seconds;
        if (!_started.Task.IsCompleted)
        {
            // Not up yet: all the time since launch is start time, within the limit.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(Remaining(_clock.Elapsed));
            try { await _started.Task.WaitAsync(timeout.Token); }
            catch (OperationCanceledException) { }
        }
        if (!_started.Task.IsCompleted)
        {
            killed = true;
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
            _process.WaitForExit();
            seconds = _clock.Elapsed.TotalSeconds;
        }
        else if (_started.Task.Result is (double start, true))
        {
            try
            {
                await _process.StandardInput.WriteLineAsync(GoLine);
                await _process.StandardInput.FlushAsync(CancellationToken.None);
            }
            catch (IOException) { }   // it died meanwhile: waiting below finds out
            var cells = Stopwatch.StartNew();
            killed = await WaitOrKillAsync(_process, Remaining(TimeSpan.FromSeconds(start)), cancel);
            seconds = start + cells.Elapsed.TotalSeconds;
        }
        else
        {
            // Exited before its kernel was up (a notebook it cannot run, or a crash): its time ends there.
            _process.WaitForExit();
            seconds = _started.Task.Result.Seconds;
        }
        await _stopWatching.CancelAsync();
        long sampled = await _watch;

        var report = ReadResult(_job.Result);
        if (report is null)
        {
            string tail;
            lock (_stderrTail) tail = string.Join("\n", _stderrTail);
            string why = killed ? cancel.IsCancellationRequested ? "interrupted before it reported" : $"stopped after {_limit.TotalSeconds:0} s (the notebook time limit) before it reported"
                : $"the runner's worker exited with code {_process.ExitCode} before reporting{(tail.Length > 0 ? ":\n" + tail : "")}";
            return new NotebookReport(name, name, killed ? Status.Timeout : Status.Failed, seconds, 0, [], $"{name}: {why}", "", "",
                PeakRssBytes: sampled > 0 ? sampled : null);
        }

        if (report.Status == Status.Running)
        {
            // Killed or crashed in the middle: the partial report says which cell was running.
            var cells = report.Cells.ToList();
            int at = cells.FindIndex(c => c.Status == Status.Running);
            string why = killed || cancel.IsCancellationRequested
                ? cancel.IsCancellationRequested ? "interrupted" : $"stopped by the notebook time limit ({_limit.TotalSeconds:0} s)"
                : $"the kernel process died (exit code {_process.ExitCode})";
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

    /// <summary>Kills the worker with its children if it still runs (a worker started ahead whose turn never came).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        Kill();
        await _process.WaitForExitAsync(CancellationToken.None);
        _process.WaitForExit();   // drains the redirected output
        await _stopWatching.CancelAsync();
        await _watch;
        _stopWatching.Dispose();
        _process.Dispose();
    }

    // The rest of the notebook time limit after `used` of it (none left: stop at once).
    private TimeSpan Remaining(TimeSpan used) => used < _limit ? _limit - used : TimeSpan.Zero;

    private void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // exited between the check and the kill
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
        yield return "--wait";
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
