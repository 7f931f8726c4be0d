using System.Diagnostics;
using DeepLearning.Notebooks.Execution;

namespace DeepLearning.Notebooks.Apps;

/// <summary>One app's run: build and run times, what its output showed, how it ended.</summary>
internal sealed record AppReport(string Name, Status Status, double BuildSeconds, double RunSeconds, int Claims, int Checks, int Charts, int Failed, string? Error);

/// <summary>
/// Runs lesson apps the way a learner would (<c>dotnet build</c>, then <c>dotnet run --no-build</c>), one after
/// another, headless (COURSE_HEADLESS=1: a failing check throws), and reports each one's times and marks.
/// </summary>
internal sealed class AppRun(AppsOptions options, TextWriter console)
{
    public async Task<int> RunAsync(IReadOnlyList<string> notebooks, CancellationToken cancel)
    {
        string outDir = Path.GetFullPath(options.Out), logs = Path.Combine(outDir, "logs"), solvedDir = Path.Combine(outDir, "solved");
        Directory.CreateDirectory(logs);
        console.WriteLine($"Running {notebooks.Count} lesson app{(notebooks.Count == 1 ? "" : "s")} ({options.Configuration}, " +
                          (options.Solutions ? $"exercise solutions filled in, generated into {Path.GetRelativePath(Environment.CurrentDirectory, solvedDir)}" : "the committed apps, exercises as learners get them") + ")");
        var reports = new List<AppReport>();
        var clock = Stopwatch.StartNew();
        foreach (string notebook in notebooks)
        {
            string stem = Path.GetFileNameWithoutExtension(notebook);
            if (cancel.IsCancellationRequested) { reports.Add(new AppReport(stem, Status.NotRun, 0, 0, 0, 0, 0, 0, "interrupted")); continue; }
            console.WriteLine();
            console.WriteLine($"── {stem}");
            try { reports.Add(await RunOneAsync(notebook, solvedDir, Path.Combine(logs, stem + ".log"), cancel)); }
            catch (IOException e)   // e.g. a full disk while writing the log: report it as this app's failure, go on
            {
                console.WriteLine($"  ✗ {e.Message}");
                reports.Add(new AppReport(stem, Status.Failed, 0, 0, 0, 0, 0, 0, e.Message));
            }
        }

        int width = Math.Max("app".Length, reports.Max(r => r.Name.Length));
        console.WriteLine();
        console.WriteLine($"{"app".PadRight(width)}  {"build",8}  {"run",8}  {"claims ✔",8}  {"checks ✅",9}  {"charts",6}  status");
        console.WriteLine(new string('─', width + 58));
        foreach (var r in reports)
            console.WriteLine($"{r.Name.PadRight(width)}  {Summary.Time(r.BuildSeconds),8}  {Summary.Time(r.RunSeconds),8}  {r.Claims,8}  {r.Checks,9}  {r.Charts,6}  {(r.Status == Status.Ok ? "ok" : r.Status.ToString().ToLowerInvariant())}");
        console.WriteLine(new string('─', width + 58));
        int ok = reports.Count(r => r.Status == Status.Ok);
        console.WriteLine($"{ok}/{reports.Count} apps passed, {reports.Count - ok} failed, in {Summary.Time(clock.Elapsed.TotalSeconds)}; logs in {Path.GetRelativePath(Environment.CurrentDirectory, logs)}");
        foreach (var r in reports.Where(r => r.Status != Status.Ok)) console.WriteLine($"  ✗ {r.Name}: {r.Error}");
        return ok == reports.Count ? 0 : 1;
    }

    private async Task<AppReport> RunOneAsync(string notebook, string solvedDir, string log, CancellationToken cancel)
    {
        string stem = Path.GetFileNameWithoutExtension(notebook);
        string app = AppGenerator.AppPathFor(notebook);
        await using var writer = new StreamWriter(log);
        try
        {
            if (options.Solutions)
            {
                app = Path.Combine(solvedDir, stem + ".cs");
                Directory.CreateDirectory(solvedDir);
                File.WriteAllText(app, AppGenerator.Generate(notebook, app, solutions: true));
            }
            else if (!File.Exists(app) || File.ReadAllText(app) != AppGenerator.Generate(notebook, app, solutions: false))
            {
                return new AppReport(stem, Status.Failed, 0, 0, 0, 0, 0, 0, $"{Path.GetRelativePath(Environment.CurrentDirectory, app)} is out of date: run {AppGenerator.WriteCommand}");
            }
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or System.Text.Json.JsonException or System.Xml.XmlException)
        {
            return new AppReport(stem, Status.Failed, 0, 0, 0, 0, 0, 0, e.Message);
        }

        // Build first, so the run time is the lesson's own time.
        var build = await RunProcessAsync(["build", app, "-c", options.Configuration, "--nologo", "-v", "quiet", "-p:TreatWarningsAsErrors=true"], options.Timeout, writer, echo: false, cancel);
        if (build.ExitCode != 0)
        {
            if (!options.KeepBuilds) RemoveBuild(app);
            foreach (string line in build.Tail) console.WriteLine("  " + line);
            return new AppReport(stem, build.Killed ? Status.Timeout : Status.Failed, build.Seconds, 0, 0, 0, 0, 0,
                build.Killed ? $"build stopped after {options.Timeout.TotalSeconds:0} s" : $"build failed (exit code {build.ExitCode}); see {log}");
        }
        console.WriteLine($"  built in {Summary.Time(build.Seconds)}");

        var run = await RunProcessAsync(["run", "--no-build", "-c", options.Configuration, app], options.Timeout, writer, echo: true, cancel);
        if (!options.KeepBuilds) RemoveBuild(app);
        var status = run.Killed ? Status.Timeout : run.ExitCode == 0 && run.Failed == 0 ? Status.Ok : Status.Failed;
        string? error = status switch
        {
            Status.Ok => null,
            Status.Timeout => $"stopped after {options.Timeout.TotalSeconds:0} s (the app time limit)",
            _ => $"exit code {run.ExitCode}{(run.Failed > 0 ? $", {run.Failed} ✘/❌ mark(s)" : "")}: {run.Tail.LastOrDefault(l => l.Length > 0) ?? ""}",
        };
        console.WriteLine($"  → {(status == Status.Ok ? "ok" : status.ToString().ToLowerInvariant())} in {Summary.Time(run.Seconds)}: {run.Claims} claims ✔, {run.Checks} checks ✅, {run.Charts} charts");
        return new AppReport(stem, status, build.Seconds, run.Seconds, run.Claims, run.Checks, run.Charts, run.Failed, error);
    }

    /// <summary>
    /// Deletes the build output the SDK keeps for a file-based app (bin/ and obj/ in its per-app folder under
    /// <c>~/.local/share/dotnet/runfile</c>, or the temp folder on SDKs that use it). Each holds a copy of libtorch,
    /// about 1.1 GB, and every new checkout path gets new folders: 14 apps per CI run filled this machine's disk once.
    /// The folder is recognized by its <c>build-start.cache</c>, which names the app's source file.
    /// </summary>
    internal static IReadOnlyList<string> RemoveBuild(string app, IEnumerable<string>? roots = null)
    {
        string source = Path.GetFullPath(app), stem = Path.GetFileNameWithoutExtension(source);
        var removed = new List<string>();
        roots ??=
        [
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "dotnet", "runfile"),
            Path.Combine(Path.GetTempPath(), "dotnet", "runfile"),
        ];
        foreach (string root in roots.Distinct().Where(Directory.Exists))
            foreach (string folder in Directory.EnumerateDirectories(root, stem + "-*"))
            {
                string marker = Path.Combine(folder, "build-start.cache");
                try
                {
                    if (!File.Exists(marker) || File.ReadLines(marker).FirstOrDefault()?.Trim() != source) continue;
                    Directory.Delete(folder, recursive: true);
                    removed.Add(folder);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // in use or gone: leave it
            }
        return removed;
    }

    private sealed record ProcessResult(int ExitCode, bool Killed, double Seconds, int Claims, int Checks, int Charts, int Failed, IReadOnlyList<string> Tail);

    private async Task<ProcessResult> RunProcessAsync(string[] args, TimeSpan timeout, StreamWriter log, bool echo, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(WorkerProcess.Host()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["COURSE_HEADLESS"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        int claims = 0, checks = 0, charts = 0, failed = 0;
        var tail = new Queue<string>();
        var gate = new object();
        bool logFailed = false;
        void Line(string? line, bool error)
        {
            if (line is null) return;
            lock (gate)
            {
                // Runs on the process's reader thread: an exception here would end the whole runner.
                if (!logFailed)
                    try { log.WriteLine(error ? "stderr: " + line : line); }
                    catch (IOException e) { logFailed = true; console.WriteLine($"  ✗ cannot write the log any more: {e.Message}"); }
                if (echo) console.WriteLine((error ? "  stderr: " : "  ") + line);
                if (line.StartsWith('✔')) claims++;
                else if (line.StartsWith('✅')) checks++;
                else if (line.StartsWith("📈", StringComparison.Ordinal)) charts++;
                else if (line.StartsWith('✘') || line.StartsWith('❌')) failed++;
                tail.Enqueue(line);
                if (tail.Count > 30) tail.Dequeue();
            }
        }

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Line(e.Data, false);
        process.ErrorDataReceived += (_, e) => Line(e.Data, true);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool killed = await WorkerProcess.WaitOrKillAsync(process, timeout, cancel);
        lock (gate) return new ProcessResult(process.ExitCode, killed, clock.Elapsed.TotalSeconds, claims, checks, charts, failed, tail.ToList());
    }
}
