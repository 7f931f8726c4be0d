using System.Text.Json.Nodes;
using DeepLearning.Notebooks.Book;

namespace DeepLearning.Notebooks.Tests;

/// <summary>
/// The course's own <c>Figure</c> through the runner and the book: a notebook shows it as its chart (the library's
/// HTML formatter, not .NET Interactive's object tree), and the book hoists its inline plotly.js into the shared file.
/// </summary>
public class CourseFigureTests(ITestOutputHelper output)
{
    [Fact]
    public void A_course_Figure_displays_as_its_chart_and_its_page_loads_the_shared_plotly_js()
    {
        var build = CourseLibrary.Build.Value;
        Assert.True(build.ExitCode == 0, $"the course library does not build in Release: {build}");
        using var dir = Runner.NewOutDir("figure");
        string notebooks = Directory.CreateDirectory(Path.Combine(dir, "notebooks")).FullName;
        // The course's preamble, with the library's absolute path (the notebook is not beside artifacts/).
        string preamble = string.Join("\n",
            "#r \"nuget: TorchSharp-cpu, 0.107.0\"", "#r \"nuget: Plotly.NET, 6.0.0\"", "#r \"nuget: Plotly.NET.CSharp, 0.14.0\"",
            "#r \"nuget: Plotly.NET.Interactive, 6.0.0\"",
            $"#r \"{Path.Combine(CourseLibrary.Folder, "DeepLearning.Scratch.dll")}\"", $"#r \"{Path.Combine(CourseLibrary.Folder, "DeepLearning.Course.dll")}\"");
        WriteNotebook(Path.Combine(notebooks, "figure.ipynb"), preamble,
            "new DeepLearning.Course.Figure(Plotly.NET.CSharp.Chart.Line<int, int, string>(new[] { 1, 2, 3 }, new[] { 1, 4, 9 }), \"squares\")");

        var result = Runner.Run(TimeSpan.FromMinutes(5), "run", "--notebooks", notebooks, "--out", Path.Combine(dir, "book"));
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());

        var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "book", "notebooks", "figure.ipynb")))!;
        var figure = executed["cells"]![1]!["outputs"]!.AsArray().Single()!;
        string html = BookRun.Text(figure["data"]!["text/html"]);
        Assert.DoesNotContain("dni-treeview", html, StringComparison.Ordinal);   // not formatted as an object's properties
        Assert.Contains($"data-course-plotly=\"{PlotlyAsset.Version}\"", html, StringComparison.Ordinal);
        Assert.Contains("class=\"course-figure\"", html, StringComparison.Ordinal);

        string page = File.ReadAllText(Path.Combine(dir, "book", "figure.html"));
        Assert.Contains($"<script src=\"{PlotlyAsset.FileName}\"></script>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-course-plotly", page, StringComparison.Ordinal);
        Assert.Contains("Plotly.newPlot('fig-", page, StringComparison.Ordinal);
        Assert.True(page.Length < 200_000, $"the page is {page.Length} characters: plotly.js was not hoisted");
    }

    private static void WriteNotebook(string path, params string[] code)
    {
        var cells = new JsonArray();
        foreach (var (source, i) in code.Select((c, i) => (c, i)))
            cells.Add(new JsonObject
            {
                ["cell_type"] = "code",
                ["execution_count"] = null,
                ["id"] = $"c{i}",
                ["metadata"] = new JsonObject { ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" } },
                ["outputs"] = new JsonArray(),
                ["source"] = source,
            });
        var notebook = new JsonObject { ["cells"] = cells, ["metadata"] = new JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5 };
        File.WriteAllText(path, notebook.ToJsonString());
    }
}
