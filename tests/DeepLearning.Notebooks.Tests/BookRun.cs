using System.Text.Json.Nodes;

namespace DeepLearning.Notebooks.Tests;

/// <summary>
/// One run of the runner's CLI over the synthetic notebooks (a failing one among them), shared by the tests that
/// inspect its console output, report, executed notebooks and book.
/// </summary>
public sealed class BookRun : IDisposable
{
    public static readonly string[] Notebooks = ["chart", "exercise", "failing", "math", "outputs"];

    public BookRun()
    {
        _dir = Runner.NewOutDir("book");
        Out = _dir.Path;
        Result = Runner.Run(TimeSpan.FromMinutes(5), ["run", "--notebooks", Runner.TestNotebooks, "--out", Out, .. Notebooks]);
        if (!File.Exists(Path.Combine(Out, "report.json")))
            throw new InvalidOperationException($"the runner wrote no report.json; {Result}");
        Report = RunReport.Load(Path.Combine(Out, "report.json"));
    }

    private readonly Runner.TempDir _dir;

    public string Out { get; }
    public Runner.Result Result { get; }
    internal RunReport Report { get; }

    internal NotebookReport Notebook(string stem) => Report.Notebooks.Single(n => n.Name == stem + ".ipynb");

    /// <summary>The executed notebook, as JSON.</summary>
    public JsonObject Executed(string stem) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Out, "notebooks", stem + ".ipynb")))!.AsObject();

    /// <summary>The executed cell with this id.</summary>
    public JsonObject Cell(string stem, string id) =>
        Executed(stem)["cells"]!.AsArray().Single(c => (string?)c!["id"] == id)!.AsObject();

    /// <summary>An nbformat text field (a string or a list of lines) as one string.</summary>
    public static string Text(JsonNode? node) =>
        node is JsonArray lines ? string.Concat(lines.Select(l => (string?)l)) : (string?)node ?? "";

    public string Page(string name) => File.ReadAllText(Path.Combine(Out, name));

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition(Name)]
public sealed class BookRunGroup : ICollectionFixture<BookRun>
{
    public const string Name = "book run";
}
