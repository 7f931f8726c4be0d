using System.Diagnostics;
using DeepLearning.Notebooks.Book;

namespace DeepLearning.Notebooks.Execution;

/// <summary>
/// The main job: runs the chosen notebooks, each in its own fresh worker process (or with <see cref="Client.Jupyter"/>
/// on the official kernel over Jupyter, one after another), keeps going past a failing notebook, then writes
/// <c>report.json</c> and the HTML book (in-process) or the claim comparison (Jupyter) and prints the summary table.
/// Workers overlap (<see cref="RunOptions.Jobs"/> notebooks at once, the next worker started ahead), yet the console,
/// the report and the book come out in course order, as if the notebooks had run one after another.
/// </summary>
internal sealed class CourseRun(RunOptions options, TextWriter console)
{
    public async Task<int> RunAsync(CancellationToken cancel = default)
    {
        var (paths, error) = options.Select();
        if (error is not null)
        {
            console.WriteLine($"error: {error}");
            return 2;
        }

        bool jupyter = options.Client == Client.Jupyter;
        string outDir = Path.GetFullPath(options.OutDir);
        string executedDir = Path.Combine(outDir, BookBuilder.ExecutedFolder), workDir = Path.Combine(outDir, ".work");
        BookBuilder.Clean(outDir);
        Directory.CreateDirectory(executedDir);
        Directory.CreateDirectory(workDir);

        JupyterClient? client = null;
        if (jupyter)
        {
            (client, error) = await JupyterClient.PrepareAsync(options.Notebooks, outDir, console, cancel);
            if (client is null)
            {
                console.WriteLine($"error: cannot run the notebooks over Jupyter: {error}");
                return 1;
            }
        }

        var started = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        // The Jupyter client runs one kernel at a time, started when its turn comes.
        int jobs = jupyter ? 1 : Math.Min(options.Jobs, paths.Count), ahead = jupyter || !options.StartAhead ? 0 : 1;
        console.WriteLine($"Running {paths.Count} notebook{(paths.Count == 1 ? "" : "s")} from {Path.GetFullPath(options.Notebooks)} " +
                          $"{(jupyter ? $"over Jupyter on kernel {JupyterClient.KernelName} " : "")}" +
                          $"(cell limit {options.CellTimeout.TotalSeconds:0} s, notebook limit {options.NotebookTimeout.TotalSeconds:0} s, " +
                          $"{(options.Solutions ? "exercise solutions filled in" : "exercises as learners get them")}" +
                          $"{(jupyter ? "" : $"; {Parallelism(jobs, ahead)}")})");
        var output = new OrderedConsole(console, paths.Count);
        var outcome = await new NotebookScheduler(jobs, ahead).RunAsync(paths.Count, Start, Finished, cancel, output.Open);

        var reports = new List<NotebookReport>();
        for (int i = 0; i < paths.Count; i++)
        {
            if (outcome.Reports[i] is { } report)
            {
                reports.Add(report);
                continue;
            }
            // Not run: nothing it wrote shows (a worker started ahead, or stopped after an earlier notebook stopped the
            // run), and its executed notebook goes.
            output.Discard(i);
            File.Delete(Path.Combine(executedDir, Path.GetFileName(paths[i])));
            reports.Add(NotRun(Path.GetFullPath(paths[i]), outcome.Stop ?? "not run: the run was interrupted"));
        }
        for (int i = 0; i < paths.Count; i++) output.Close(i);

        INotebookWorker Start(int i)
        {
            string path = Path.GetFullPath(paths[i]), name = Path.GetFileName(path), stem = Path.GetFileNameWithoutExtension(path);
            var slot = output.Slot(i);
            slot.WriteLine();
            slot.WriteLine($"[{i + 1}/{paths.Count}] {name}   (course time {clock.Elapsed.TotalSeconds:0} s)");
            var job = new NotebookJob(path, Path.Combine(executedDir, name), Path.Combine(workDir, stem + ".json"), options.CellTimeout,
                options.Solutions ? Solutions.PathFor(path) : null);
            return client is not null
                ? new DeferredWorker(c => client.RunAsync(job, workDir, options.NotebookTimeout, c))
                : WorkerProcess.Start(job, options.NotebookTimeout, slot);
        }

        (NotebookReport, string?) Finished(int i, NotebookReport report)
        {
            string name = Path.GetFileName(paths[i]), stem = Path.GetFileNameWithoutExtension(name);
            var slot = output.Slot(i);
            report = report with { Executed = File.Exists(Path.Combine(executedDir, name)) ? $"{BookBuilder.ExecutedFolder}/{name}" : "", Page = jupyter ? "" : stem + ".html" };
            report = OverMemory(report.WithSplit(), options.MemoryLimitBytes);
            slot.WriteLine($"  → {NotebookExecutor.Mark(report.Status).Trim()}: {report.CellsOk}/{report.Cells.Count} code cells, " +
                           $"{report.Cells.Count(c => c.Status is Status.Failed or Status.Timeout)} failed, in {report.Seconds:0.0} s " +
                           $"(start {report.StartSeconds:0.0} s, packages {report.PackageSeconds:0.0} s, cells {report.CellSeconds:0.0} s" +
                           (jupyter ? $"; kernel start {report.KernelSeconds:0.0} s" : "") +
                           (report.PeakRssBytes is { } peak ? $"; peak memory {PeakMemory.Format(peak)}" : "") + ")");
            if (report.Status != Status.Ok) slot.WriteLine($"  {report.Error}");
            string? stop = null;
            if (RestoreFailure(report) is { } restore)
            {
                stop = $"not run: {name} showed that the notebooks' packages cannot be restored";
                slot.WriteLine($"  Stopping: every notebook starts with the same #r \"nuget:\" lines, and they cannot be restored here:\n  {restore}");
            }
            if (stop is null) output.Close(i);   // else the later notebooks' lines are dropped first (below)
            return (report, stop);
        }

        var run = new RunReport(started, clock.Elapsed.TotalSeconds, options.Solutions, reports, jobs, ahead > 0);
        run.Save(Path.Combine(outDir, "report.json"));
        if (jupyter)
        {
            Directory.Delete(workDir, recursive: true);
            Summary.Print(run, null, outDir, console);
            bool same = CompareClaims(run, outDir, Path.GetFullPath(options.CompareDir), console);
            return run.Passed && same ? 0 : 1;
        }
        var book = new BookBuilder(outDir).Build(run, Path.GetFullPath(options.Notebooks));
        Directory.Delete(workDir, recursive: true);
        Summary.Print(run, book, outDir, console);
        return run.Passed && book.Problems.Count == 0 ? 0 : 1;
    }

    /// <summary>"2 notebooks at once, the next notebook's worker started ahead", as the run's first line and summary say it.</summary>
    internal static string Parallelism(int jobs, int ahead) =>
        (jobs == 1 ? "one notebook at a time" : $"{jobs} notebooks at once") +
        (ahead > 0 ? ", the next notebook's worker started ahead" : "");

    // The ✔/✅ lines of every notebook that passed here and in the in-process run must be the same; returns false on
    // any difference. Without an in-process run to compare with, says so and compares nothing.
    private static bool CompareClaims(RunReport run, string outDir, string referenceDir, TextWriter console)
    {
        console.WriteLine();
        string referenceReport = Path.Combine(referenceDir, "report.json");
        if (!File.Exists(referenceReport))
        {
            console.WriteLine($"Claims not compared: no in-process run in {referenceDir} (run notebooks/run first, or pass --compare DIR).");
            return true;
        }
        var reference = RunReport.Load(referenceReport);
        console.WriteLine($"Claims (✔ and ✅ lines) compared with the in-process run in {referenceDir} of {reference.Started:yyyy-MM-dd HH:mm}:");
        if (reference.Solutions != run.Solutions)
            console.WriteLine($"  note: that run {(reference.Solutions ? "filled in" : "did not fill in")} the exercise solutions, this one {(run.Solutions ? "did" : "did not")}");
        int width = run.Notebooks.Max(n => n.Name.Length), compared = 0;
        bool same = true;
        foreach (var n in run.Notebooks)
        {
            var other = reference.Notebooks.FirstOrDefault(r => r.Name == n.Name);
            string mine = Path.Combine(outDir, BookBuilder.ExecutedFolder, n.Name), theirs = Path.Combine(referenceDir, BookBuilder.ExecutedFolder, n.Name);
            string? skip = n.Status != Status.Ok ? "not compared: failed over Jupyter"
                : other is null || !File.Exists(theirs) ? "not compared: not in the in-process run"
                : other.Status != Status.Ok ? "not compared: failed in the in-process run"
                : null;
            if (skip is not null)
            {
                console.WriteLine($"  {n.Name.PadRight(width)}  {skip}");
                continue;
            }
            var expected = ClaimComparison.Lines(theirs);
            var actual = ClaimComparison.Lines(mine);
            var differences = ClaimComparison.Differences(expected, actual, "in-process", "jupyter");
            console.WriteLine($"  {n.Name.PadRight(width)}  {actual.Count,3} lines  {(differences.Count == 0 ? "same" : $"DIFFERENT ({differences.Count})")}");
            foreach (string d in differences) console.WriteLine($"    ✗ {d}");
            same &= differences.Count == 0;
            compared++;
        }
        console.WriteLine(!same ? "✗ The clients disagree: see the lines above."
            : compared == run.Notebooks.Count ? "The two clients printed the same claims."
            : $"The {compared} notebook{(compared == 1 ? "" : "s")} compared printed the same claims in both clients; {run.Notebooks.Count - compared} could not be compared.");
        return same;
    }

    // A notebook that passed but used more memory than a learner's machine can be assumed to have fails the run.
    internal static NotebookReport OverMemory(NotebookReport report, long limitBytes) =>
        report.PeakRssBytes is { } peak && peak > limitBytes && report.Status == Status.Ok
            ? report with
            {
                Status = Status.Failed,
                Error = $"{report.Name}: peak resident memory {PeakMemory.Format(peak)} is above the limit of {PeakMemory.Format(limitBytes)} " +
                        $"(--memory-limit); every cell passed, but the notebook needs less memory",
            }
            : report;

    // Every notebook starts with the same #r "nuget:" preamble: if its packages cannot be restored, running the
    // other notebooks only repeats the failure.
    private static string? RestoreFailure(NotebookReport report) =>
        report.Culprit is { Error: { } error } culprit && culprit.FirstLine.StartsWith("#r \"nuget:", StringComparison.Ordinal)
        && (error.Contains("Unable to find package", StringComparison.Ordinal) || error.Contains("NU1101", StringComparison.Ordinal) || error.Contains("NU1102", StringComparison.Ordinal))
            ? error.Trim()
            : null;

    private static NotebookReport NotRun(string path, string why)
    {
        string name = Path.GetFileName(path);
        var document = NotebookExecutor.Read(path);
        var cells = document.Elements.Select((e, i) => (e, i))
            .Where(c => !NotebookExecutor.IsMarkdown(c.e))
            .Select(c => new CellReport(c.i + 1, c.e.Id, NotebookExecutor.FirstLine(c.e.Contents), Status.NotRun, 0))
            .ToList();
        return new NotebookReport(name, NotebookExecutor.Title(document, path), Status.NotRun, 0, 0, cells, $"{name}: {why}", "", Path.GetFileNameWithoutExtension(path) + ".html");
    }
}

/// <summary>The table printed at the end of a run.</summary>
internal static class Summary
{
    public static void Print(RunReport run, BookResult? book, string outDir, TextWriter console)
    {
        int width = Math.Max("notebook".Length, run.Notebooks.Max(n => n.Name.Length));
        console.WriteLine();
        // start: process, runtime and kernel start (and the runner's bookkeeping); packages: the #r cells; cells: the rest.
        console.WriteLine($"{"notebook".PadRight(width)}  {"cells",7}  {"time",8}  {"start",7}  {"packages",8}  {"cells",8}  {"peak RSS",8}  status");
        int rule = width + 70;
        console.WriteLine(new string('─', rule));
        foreach (var n in run.Notebooks)
            console.WriteLine($"{n.Name.PadRight(width)}  {$"{n.CellsOk}/{n.Cells.Count}",7}  {Time(n.Seconds),8}  {Time(n.StartSeconds),7}  " +
                              $"{Time(n.PackageSeconds),8}  {Time(n.CellSeconds),8}  {(n.PeakRssBytes is { } p ? PeakMemory.Format(p) : "—"),8}  {Describe(n)}");
        console.WriteLine(new string('─', rule));
        var ran = run.Notebooks.Where(n => n.Status != Status.NotRun).ToList();
        console.WriteLine($"{"in all".PadRight(width)}  {"",7}  {Time(ran.Sum(n => n.Seconds)),8}  {Time(ran.Sum(n => n.StartSeconds)),7}  " +
                          $"{Time(ran.Sum(n => n.PackageSeconds)),8}  {Time(ran.Sum(n => n.CellSeconds)),8}  " +
                          $"{(ran.Any(n => n.PeakRssBytes is not null) ? PeakMemory.Format(ran.Max(n => n.PeakRssBytes ?? 0)) : "—"),8}  (peak: the largest)");
        int ok = run.Notebooks.Count(n => n.Status == Status.Ok);
        // The wall time, and apart from it the notebooks' own times (the row above), which overlap when workers do.
        console.WriteLine($"{ok}/{run.Notebooks.Count} notebooks passed in {Time(run.Seconds)} wall time{(run.Solutions ? "" : " (exercise solutions not filled in)")}; " +
                          $"{CourseRun.Parallelism(run.Jobs, run.StartAhead ? 1 : 0)}, the notebooks' own times add up to {Time(run.NotebookSeconds)}");
        foreach (var n in run.Notebooks.Where(n => n.Status != Status.Ok && n.Error is not null))
            console.WriteLine($"  ✗ {n.Error}");
        foreach (string problem in book?.Problems ?? [])
            console.WriteLine($"  ✗ book: {problem}");
        console.WriteLine(book is null
            ? $"Executed notebooks: {Path.Combine(outDir, BookBuilder.ExecutedFolder)}   report: {Path.Combine(outDir, "report.json")}"
            : $"Book: {Path.Combine(outDir, "index.html")}   report: {Path.Combine(outDir, "report.json")}");
    }

    private static string Describe(NotebookReport n) => n.Status switch
    {
        Status.Ok => "ok",
        _ when n.Culprit is { } c => $"{NotebookExecutor.Mark(n.Status).Trim()} at cell {c.Number}: {c.FirstLine}",
        _ when n.CellsOk == n.Cells.Count && n.Cells.Count > 0 && n.PeakRssBytes is { } peak => $"FAILED: peak memory {PeakMemory.Format(peak)} over the limit",
        _ => NotebookExecutor.Mark(n.Status).Trim(),
    };

    public static string Time(double seconds) =>
        seconds < 60 ? $"{seconds:0.0} s" : $"{(int)(seconds / 60)} min {seconds % 60:00} s";
}
