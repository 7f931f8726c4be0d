using System.Diagnostics;
using System.Reactive.Linq;
using DeepLearning.Notebooks.Kernel;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using DocumentKernelInfo = Microsoft.DotNet.Interactive.Documents.KernelInfo;

namespace DeepLearning.Notebooks.Execution;

/// <summary>What one worker process runs: one notebook, in the notebook's own folder.</summary>
/// <param name="Notebook">The .ipynb to run (absolute path).</param>
/// <param name="Executed">Where to write the executed notebook.</param>
/// <param name="Result">Where to write the notebook's (partial, then final) report.</param>
/// <param name="CellTimeout">The longest a cell may run.</param>
/// <param name="Solutions">The solutions file to apply, or null to run the exercise cells as learners get them.</param>
internal sealed record NotebookJob(string Notebook, string Executed, string Result, TimeSpan CellTimeout, string? Solutions);

/// <summary>
/// Runs every code cell of one notebook in order on a fresh <see cref="CourseKernel"/>, as "Run All" does in a
/// notebook front end, and stops at the first failing or timed-out cell. After every cell it rewrites the executed
/// notebook (with outputs) and its partial report, so a killed run still leaves both behind.
/// </summary>
internal sealed class NotebookExecutor(TextWriter progress)
{
    private static readonly KernelInfoCollection KernelInfos =
    [
        new DocumentKernelInfo("csharp", languageName: "C#", aliases: ["c#", "C#", "cs"]),
        new DocumentKernelInfo("markdown", languageName: "Markdown", aliases: ["md"]),
    ];

    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SaveEvery = TimeSpan.FromSeconds(10);

    /// <summary>Reads a notebook with the .NET Interactive document parser (C# is the default kernel).</summary>
    public static InteractiveDocument Read(string path)
    {
        var document = Notebook.Parse(File.ReadAllText(path), KernelInfos);
        foreach (var element in document.Elements)
            element.KernelName ??= "csharp";
        return document;
    }

    /// <summary>The notebook's title: its first Markdown heading, else its file name.</summary>
    public static string Title(InteractiveDocument document, string path) =>
        document.Elements.Where(IsMarkdown)
            .SelectMany(e => e.Contents.ReplaceLineEndings("\n").Split('\n'))
            .FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))?[2..].Trim()
        ?? Path.GetFileNameWithoutExtension(path);

    public static bool IsMarkdown(InteractiveDocumentElement e) => e.KernelName == "markdown";

    /// <summary>The first non-blank line of some code, shortened for messages and tables.</summary>
    public static string FirstLine(string code)
    {
        string line = code.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "(empty cell)";
        return line.Length <= 80 ? line : line[..77] + "...";
    }

    /// <param name="job">The notebook.</param>
    /// <param name="beforeFirstCell">Awaited once the kernel is ready, before the first cell (a worker started ahead
    /// waits there for its turn); the time it takes is not the notebook's.</param>
    public async Task<NotebookReport> RunAsync(NotebookJob job, Func<Task>? beforeFirstCell = null)
    {
        var clock = Stopwatch.StartNew();
        string name = Path.GetFileName(job.Notebook);
        var document = Read(job.Notebook);
        var elements = document.Elements;
        var solved = ApplySolutions(document, job);
        var codeCells = elements.Select((e, i) => (Element: e, Number: i + 1)).Where(c => !IsMarkdown(c.Element)).ToList();

        var cells = codeCells.Select(c => new CellReport(c.Number, c.Element.Id, FirstLine(c.Element.Contents), Status.NotRun, 0, solved.Contains(c.Element),
            Packages: CellReport.LoadsPackages(c.Element.Contents))).ToArray();
        var report = new NotebookReport(name, Title(document, job.Notebook), Status.Running, 0, 0, [.. cells], null, "", "");
        foreach (var (element, _) in codeCells)
        {
            element.Outputs.Clear();
            element.ExecutionOrder = 0;
        }
        Save(document, report, job);

        var foreign = codeCells.FirstOrDefault(c => c.Element.KernelName != "csharp");
        if (foreign.Element is not null)
            return Finish(report with { Status = Status.Failed, Error = $"{name}, cell {foreign.Number}: kernel '{foreign.Element.KernelName}' — the course runs C# cells only" });

        progress.WriteLine($"  starting the C# kernel ({codeCells.Count} code cells of {elements.Count}{(solved.Count > 0 ? $", {solved.Count} exercise solutions filled in" : "")})");
        using var kernel = CourseKernel.Create();
        await kernel.SendAsync(new SubmitCode("0", "csharp"));   // compiles the first submission, so cell times are the cells'
        report = report with { KernelSeconds = clock.Elapsed.TotalSeconds };
        if (beforeFirstCell is not null)
        {
            clock.Stop();
            await beforeFirstCell();
            clock.Start();
        }

        CellOutputs? current = null;
        using var subscription = kernel.KernelEvents.Subscribe(e => Volatile.Read(ref current)?.Add(e));
        var cellClock = new Stopwatch();
        var sinceSaved = Stopwatch.StartNew();
        int running = 0, executionCount = 0;
        using var heartbeat = new Timer(_ =>
        {
            int number = Volatile.Read(ref running);
            if (number > 0 && cellClock.Elapsed >= Heartbeat)
                progress.WriteLine($"  cell {number,3}/{elements.Count}  … still running after {cellClock.Elapsed.TotalSeconds:0} s (notebook {clock.Elapsed.TotalSeconds:0} s)");
        }, null, Heartbeat, Heartbeat);

        for (int k = 0; k < codeCells.Count; k++)
        {
            var (element, number) = codeCells[k];
            var outputs = new CellOutputs(++executionCount);
            cells[k] = cells[k] with { Status = Status.Running };
            SaveReport(report = report with { Cells = [.. cells], Seconds = clock.Elapsed.TotalSeconds }, job);
            Volatile.Write(ref current, outputs);
            Volatile.Write(ref running, number);
            cellClock.Restart();

            var submission = kernel.SendAsync(new SubmitCode(element.Contents, "csharp"));
            bool finished = await Task.WhenAny(submission, Task.Delay(job.CellTimeout)) == submission;
            double seconds = cellClock.Elapsed.TotalSeconds;
            Volatile.Write(ref running, 0);

            string? error = null;
            var status = Status.Ok;
            if (!finished)
            {
                status = Status.Timeout;
                error = $"timed out after {job.CellTimeout.TotalSeconds:0} s (the cell time limit)";
                outputs.TimedOut($"The runner stopped this cell: {error}.");
            }
            else if (outputs.Failure is not null || (await submission).Events.OfType<Microsoft.DotNet.Interactive.Events.CommandFailed>().Any())
            {
                status = Status.Failed;
                error = outputs.Headline() ?? "the kernel reported a failure";
            }
            Volatile.Write(ref current, null);

            element.ExecutionOrder = executionCount;
            element.Outputs.Clear();
            element.Outputs.AddRange(outputs.Snapshot());
            element.Metadata ??= new Dictionary<string, object>();
            element.Metadata["course_run"] = new Dictionary<string, object>
            {
                ["seconds"] = Math.Round(seconds, 3),
                ["status"] = status.ToString().ToLowerInvariant(),
                ["solution"] = cells[k].Solution,
            };
            cells[k] = cells[k] with { Status = status, Seconds = seconds, Error = error };
            report = report with { Cells = [.. cells], Seconds = clock.Elapsed.TotalSeconds };
            progress.WriteLine($"  cell {number,3}/{elements.Count}  {Mark(status)} {seconds,6:0.0} s  {cells[k].FirstLine}   [{clock.Elapsed.TotalSeconds:0.0} s]");

            if (status != Status.Ok)
            {
                report = report with { Status = status, Error = Message(name, cells[k], error!) };
                break;
            }
            // The executed notebook can be megabytes (plotly.js rides along with the first chart): rewrite it
            // every few seconds, not after every cell; the small report always.
            SaveReport(report, job);
            if (sinceSaved.Elapsed >= SaveEvery)
            {
                Save(document, report, job);
                sinceSaved.Restart();
            }
        }

        if (report.Status == Status.Running) report = report with { Status = Status.Ok };
        return Finish(report with { Seconds = clock.Elapsed.TotalSeconds });

        NotebookReport Finish(NotebookReport final)
        {
            Save(document, final, job);
            return final;
        }
    }

    /// <summary>"03-optimizers.ipynb, cell 7 (id race): `var h = Race();` — error", the line a failing run prints.</summary>
    public static string Message(string notebook, CellReport cell, string error) =>
        $"{notebook}, cell {cell.Number}{(cell.Id is null ? "" : $" (id {cell.Id})")}{(cell.Solution ? ", with its solution filled in" : "")}: `{cell.FirstLine}` — {error.Trim()}";

    public static string Mark(Status status) => status switch
    {
        Status.Ok => "ok     ",
        Status.Failed => "FAILED ",
        Status.Timeout => "TIMEOUT",
        Status.NotRun => "not run",
        _ => "running",
    };

    // Replaces each exercise cell with its solution; a solution for a cell id the notebook lacks is an error, so
    // renaming a cell cannot silently turn its exercise off.
    private static HashSet<InteractiveDocumentElement> ApplySolutions(InteractiveDocument document, NotebookJob job)
    {
        var solved = new HashSet<InteractiveDocumentElement>();
        if (job.Solutions is null || !File.Exists(job.Solutions)) return solved;
        string source = Path.GetFileName(Path.GetDirectoryName(job.Solutions)) + "/" + Path.GetFileName(job.Solutions);
        foreach (var (id, code) in Solutions.Parse(File.ReadAllText(job.Solutions), source))
        {
            var cell = document.Elements.FirstOrDefault(e => e.Id == id)
                ?? throw new InvalidDataException($"{source} has a solution for cell '{id}', but {Path.GetFileName(job.Notebook)} has no cell with that id");
            if (IsMarkdown(cell))
                throw new InvalidDataException($"{source} has a solution for cell '{id}', which is a Markdown cell");
            cell.Contents = code;
            solved.Add(cell);
        }
        return solved;
    }

    private static void Save(InteractiveDocument document, NotebookReport report, NotebookJob job)
    {
        AtomicFile.Write(job.Executed, document.ToJupyterJson());
        SaveReport(report, job);
    }

    // With the process's peak memory so far, so even a killed worker's partial report has it.
    private static void SaveReport(NotebookReport report, NotebookJob job) =>
        AtomicFile.Write(job.Result, System.Text.Json.JsonSerializer.Serialize(report with { PeakRssBytes = PeakMemory.Self() }, RunReport.Json));
}
