using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepLearning.Notebooks;

/// <summary>How a cell or a notebook ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Status>))]
internal enum Status
{
    /// <summary>Ran without error.</summary>
    [JsonStringEnumMemberName("ok")] Ok,
    /// <summary>Threw, failed to compile, or a #r could not be resolved.</summary>
    [JsonStringEnumMemberName("failed")] Failed,
    /// <summary>Stopped by the cell or notebook time limit.</summary>
    [JsonStringEnumMemberName("timeout")] Timeout,
    /// <summary>Executing when the report was written (only in a worker's partial report).</summary>
    [JsonStringEnumMemberName("running")] Running,
    /// <summary>Not reached: an earlier cell stopped the notebook, or the run stopped early.</summary>
    [JsonStringEnumMemberName("not-run")] NotRun,
}

/// <summary>One code cell: where it is, what it starts with, how it went.</summary>
/// <param name="Number">1-based position in the notebook, counting Markdown cells (what a reader counts from the top).</param>
/// <param name="Id">The nbformat cell id.</param>
/// <param name="FirstLine">The first non-blank line of the code that ran.</param>
/// <param name="Status">How the cell ended.</param>
/// <param name="Seconds">Wall time of the cell.</param>
/// <param name="Solution">True when the runner replaced an exercise cell with its solution.</param>
/// <param name="Error">Why the cell failed or was stopped.</param>
/// <param name="Packages">True when the cell has a <c>#r</c> line: its time is package loading, not lesson code.</param>
internal sealed record CellReport(int Number, string? Id, string FirstLine, Status Status, double Seconds, bool Solution = false, string? Error = null,
    bool Packages = false)
{
    /// <summary>True when some line of <paramref name="code"/> is a <c>#r</c> directive (a package or an assembly).</summary>
    public static bool LoadsPackages(string code) =>
        code.ReplaceLineEndings("\n").Split('\n').Any(l => l.TrimStart().StartsWith("#r ", StringComparison.Ordinal));
}

/// <summary>One notebook's run.</summary>
/// <param name="Name">File name, e.g. <c>03-optimizers.ipynb</c>.</param>
/// <param name="Title">The first Markdown heading.</param>
/// <param name="Status">How the notebook ended.</param>
/// <param name="Seconds">Wall time of the whole notebook, kernel start included.</param>
/// <param name="KernelSeconds">Of which starting and warming up the kernel.</param>
/// <param name="Cells">Every code cell, in order.</param>
/// <param name="Error">For a notebook that did not pass: the message naming notebook, cell, first line and error.</param>
/// <param name="Executed">The executed notebook, relative to the book folder.</param>
/// <param name="Page">The book page, relative to the book folder.</param>
/// <param name="StartSeconds">Of <paramref name="Seconds"/>, the time outside every cell: starting the process, the
/// runtime and the kernel, the runner's bookkeeping between cells, and exiting.</param>
/// <param name="PackageSeconds">Of <paramref name="Seconds"/>, the cells with a <c>#r</c> line (restoring and
/// loading packages).</param>
/// <param name="CellSeconds">Of <paramref name="Seconds"/>, the other cells: the lesson's own code.</param>
/// <param name="PeakRssBytes">The notebook process's peak resident memory (Linux VmHWM: the worker that hosts the
/// kernel in-process), or null where the runner cannot see it (a Jupyter kernel).</param>
internal sealed record NotebookReport(
    string Name, string Title, Status Status, double Seconds, double KernelSeconds,
    IReadOnlyList<CellReport> Cells, string? Error, string Executed, string Page,
    double StartSeconds = 0, double PackageSeconds = 0, double CellSeconds = 0, long? PeakRssBytes = null)
{
    /// <summary>Fills in <see cref="StartSeconds"/>, <see cref="PackageSeconds"/> and <see cref="CellSeconds"/> from
    /// the cells' times; the three add up to <see cref="Seconds"/>.</summary>
    public NotebookReport WithSplit()
    {
        double packages = Cells.Where(c => c.Packages).Sum(c => c.Seconds), cells = Cells.Where(c => !c.Packages).Sum(c => c.Seconds);
        return this with { PackageSeconds = packages, CellSeconds = cells, StartSeconds = Math.Max(0, Seconds - packages - cells) };
    }

    /// <summary>Cells that ran to the end.</summary>
    [JsonIgnore] public int CellsOk => Cells.Count(c => c.Status == Status.Ok);

    /// <summary>The cell that stopped the notebook, if any.</summary>
    [JsonIgnore] public CellReport? Culprit => Cells.FirstOrDefault(c => c.Status is Status.Failed or Status.Timeout or Status.Running);
}

/// <summary>The whole run, as written to <c>report.json</c> next to the book.</summary>
/// <param name="Started">When the run started.</param>
/// <param name="Seconds">The run's wall time, from its first worker's start to its last notebook's end (not the book).</param>
/// <param name="Solutions">True when the exercise solutions were filled in.</param>
/// <param name="Notebooks">Every notebook, in course order.</param>
/// <param name="Jobs">How many notebooks ran at once.</param>
/// <param name="StartAhead">True when each next notebook's worker was started (process and kernel) while earlier
/// notebooks ran; its start still counts in its own time.</param>
internal sealed record RunReport(DateTimeOffset Started, double Seconds, bool Solutions, IReadOnlyList<NotebookReport> Notebooks,
    int Jobs = 1, bool StartAhead = false)
{
    /// <summary>The notebooks' own times added up; more than <see cref="Seconds"/> when notebooks overlapped.</summary>
    public double NotebookSeconds => Notebooks.Where(n => n.Status != Status.NotRun).Sum(n => n.Seconds);

    /// <summary>True when every notebook passed.</summary>
    [JsonIgnore] public bool Passed => Notebooks.Count > 0 && Notebooks.All(n => n.Status == Status.Ok);

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads a report written by <see cref="Save"/>.</summary>
    public static RunReport Load(string path) =>
        JsonSerializer.Deserialize<RunReport>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is not a run report");

    /// <summary>Writes the report as indented JSON.</summary>
    public void Save(string path) => AtomicFile.Write(path, JsonSerializer.Serialize(this, Json));
}

/// <summary>Writes files so that a reader (or a killed writer) never leaves half a file behind.</summary>
internal static class AtomicFile
{
    public static void Write(string path, string contents)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, contents);
        File.Move(temp, path, overwrite: true);
    }
}
