using System.Text.Json.Nodes;

namespace DeepLearning.Notebooks.Tests;

/// <summary>
/// <c>run --client jupyter</c> over the synthetic notebooks: the official dotnet-interactive tool (the repository's
/// local tool), its kernel registered in a private Jupyter path, driven by nbclient. Needs python3 with nbclient
/// (Debian: python3-nbclient; inside the course's Debian 13 root it is there).
/// </summary>
public sealed class JupyterRun : IDisposable
{
    public static readonly string[] Notebooks = ["exercise", "failing", "outputs"];

    public JupyterRun()
    {
        _dir = Runner.NewOutDir("jupyter");
        Out = _dir.Path;
        Result = Runner.Run(TimeSpan.FromMinutes(5), ["run", "--client", "jupyter", "--notebooks", Runner.TestNotebooks, "--out", Out, .. Notebooks]);
        if (!File.Exists(Path.Combine(Out, "report.json")))
            throw new InvalidOperationException($"the Jupyter run wrote no report.json; {Result}");
        Report = RunReport.Load(Path.Combine(Out, "report.json"));
    }

    private readonly Runner.TempDir _dir;

    public string Out { get; }
    public Runner.Result Result { get; }
    internal RunReport Report { get; }

    internal NotebookReport Notebook(string stem) => Report.Notebooks.Single(n => n.Name == stem + ".ipynb");

    public JsonObject Cell(string stem, string id) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Out, "notebooks", stem + ".ipynb")))!["cells"]!.AsArray()
            .Single(c => (string?)c!["id"] == id)!.AsObject();

    public void Dispose() => _dir.Dispose();
}

public class JupyterClientTests(JupyterRun run) : IClassFixture<JupyterRun>
{
    [Fact]
    public void Registers_the_pinned_tool_kernel_in_a_private_jupyter_path()
    {
        string output = run.Result.Output;
        Assert.Contains("Jupyter client: dotnet-interactive 1.0.712001 (local tool", output, StringComparison.Ordinal);
        string spec = Path.Combine(run.Out, ".jupyter", "data", "kernels", ".net-csharp", "kernel.json");
        Assert.True(File.Exists(spec), $"no kernelspec at {spec}; {run.Result}");
        // The tool's kernelspec starts `dotnet interactive`, which the dotnet CLI resolves to the local tool through
        // the manifest above the notebook's folder (the kernel's working directory).
        var argv = JsonNode.Parse(File.ReadAllText(spec))!["argv"]!.AsArray().Select(a => (string?)a).ToList();
        Assert.Equal(["dotnet", "interactive", "jupyter"], argv.Take(3));
    }

    [Fact]
    public void Runs_every_notebook_over_jupyter_and_fails_the_run_on_a_failing_cell()
    {
        Assert.True(run.Result.ExitCode == 1, run.Result.ToString());
        Assert.Equal(JupyterRun.Notebooks.Select(n => n + ".ipynb"), run.Report.Notebooks.Select(n => n.Name));
        Assert.Equal(Status.Ok, run.Notebook("exercise").Status);
        Assert.Equal(Status.Ok, run.Notebook("outputs").Status);
        Assert.Equal(Status.Failed, run.Notebook("failing").Status);
        Assert.Matches(@"→ ok: 6/6 code cells, 0 failed, in \d+\.\d s \(start \d+\.\d s, packages \d+\.\d s, cells \d+\.\d s; kernel start \d+\.\d s\)", run.Result.Output);
        Assert.Matches(@"failing\.ipynb +1/3 +\d+\.\d s +\d+\.\d s +\d+\.\d s +\d+\.\d s +— +FAILED at cell 4", run.Result.Output);
    }

    [Fact]
    public void A_failing_cell_is_reported_from_its_outputs_though_the_kernel_sends_no_traceback()
    {
        var failing = run.Notebook("failing");
        string expected = "failing.ipynb, cell 4 (id boom): `// the first line of this cell is a comment` — System.InvalidOperationException: boom 1";
        Assert.Equal(expected, failing.Error);
        Assert.Contains(expected, run.Result.Output, StringComparison.Ordinal);
        Assert.Equal([Status.Ok, Status.Failed, Status.NotRun], failing.Cells.Select(c => c.Status));
        var error = Assert.Single(run.Cell("failing", "boom")["outputs"]!.AsArray())!;
        Assert.Equal("error", (string?)error["output_type"]);
        Assert.Empty(run.Cell("failing", "never")["outputs"]!.AsArray());
    }

    [Fact]
    public void Fills_in_solutions_and_runs_headless_in_the_notebooks_folder()
    {
        var exercise = run.Notebook("exercise");
        Assert.True(exercise.Cells.Single(c => c.Id == "ex1").Solution);
        Assert.Contains("✅ Exercise 1: correct.", BookRun.Text(run.Cell("exercise", "ex1-check")["outputs"]![0]!["text"]), StringComparison.Ordinal);
        Assert.Equal("1", BookRun.Text(run.Cell("outputs", "headless")["outputs"]![0]!["data"]!["text/plain"]));
        Assert.Equal("notebooks", BookRun.Text(run.Cell("outputs", "cwd")["outputs"]![0]!["data"]!["text/plain"]));
    }

    [Fact]
    public void Without_solutions_a_failing_exercise_check_throws_in_the_official_kernel_too()
    {
        using var dir = Runner.NewOutDir("jupyter-exercise");
        var result = Runner.Run(TimeSpan.FromMinutes(3), "run", "--client", "jupyter", "--no-solutions", "--notebooks", Runner.TestNotebooks, "--out", dir, "exercise");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("exercise.ipynb, cell 4 (id ex1-check): `Check(\"1\", answer == 42, \"six times seven\");` — " +
                        "System.Exception: Exercise 1 failed in a headless run. Hint: six times seven", result.Output, StringComparison.Ordinal);
    }
}

/// <summary>The ✔/✅ comparison between two executed copies of a notebook.</summary>
public class ClaimComparisonTests
{
    private static string Notebook(params (string Id, string Stdout)[] cells)
    {
        var json = new JsonObject
        {
            ["cells"] = new JsonArray(cells.Select(c => (JsonNode)new JsonObject
            {
                ["cell_type"] = "code",
                ["id"] = c.Id,
                ["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = new JsonArray(c.Stdout.Split('\n').Select(l => (JsonNode)JsonValue.Create(l + "\n")!).ToArray()) }),
            }).ToArray()),
        };
        string path = Path.Combine(Path.GetTempPath(), "course-runner-tests", $"claims-{Guid.NewGuid():N}.ipynb");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public void Extracts_check_lines_with_their_cells_and_ignores_other_output()
    {
        var lines = Execution.ClaimComparison.Lines(Notebook(("a", "epoch 1 took 0.3 s\n✔ loss falls (1.2 → 0.4)"), ("b", "  ✅ Exercise 2: correct.")));
        Assert.Equal([new("a", "✔ loss falls (1.2 → 0.4)"), new("b", "✅ Exercise 2: correct.")], lines);
    }

    [Fact]
    public void Names_a_changed_number_and_a_line_only_one_run_printed()
    {
        var reference = Execution.ClaimComparison.Lines(Notebook(("a", "✔ x (0.25)\n✔ y (3)")));
        var other = Execution.ClaimComparison.Lines(Notebook(("a", "✔ x (0.26)")));
        var differences = Execution.ClaimComparison.Differences(reference, other, "in-process", "jupyter");
        Assert.Equal(2, differences.Count);
        Assert.Contains("✔ x (0.25)", differences[0], StringComparison.Ordinal);
        Assert.Contains("✔ x (0.26)", differences[0], StringComparison.Ordinal);
        Assert.Equal("cell a: only in-process printed: ✔ y (3)", differences[1]);
        Assert.Empty(Execution.ClaimComparison.Differences(reference, reference, "in-process", "jupyter"));
    }
}

/// <summary>
/// A course notebook end to end on the official kernel over Jupyter (TorchSharp, the course library, a chart —
/// Plotly.NET 6 against the tool's own FSharp.Core), compared line by line with the in-process runner. CI runs all
/// twelve this way with <c>notebooks/run --client jupyter</c>.
/// </summary>
public class CourseOverJupyterTests(ITestOutputHelper output)
{
    public const string Notebook = "00-setup";

    [Fact]
    public void The_setup_notebook_passes_over_jupyter_with_the_same_claims_as_in_process()
    {
        var build = CourseLibrary.Build.Value;
        Assert.True(build.ExitCode == 0, $"the course library does not build in Release: {build}");
        string notebooks = Path.Combine(Runner.RepoRoot, "notebooks");
        using var inProcess = Runner.NewOutDir("setup-in-process");
        using var jupyter = Runner.NewOutDir("setup-jupyter");

        var reference = Runner.Run(TimeSpan.FromMinutes(5), "run", "--notebooks", notebooks, "--out", inProcess, Notebook);
        Assert.True(reference.ExitCode == 0, $"in-process: {reference}");
        var result = Runner.Run(TimeSpan.FromMinutes(5), "run", "--client", "jupyter", "--notebooks", notebooks, "--out", jupyter, "--compare", inProcess, Notebook);
        output.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, $"over Jupyter: {result}");

        var lines = Execution.ClaimComparison.Lines(Path.Combine(jupyter, "notebooks", Notebook + ".ipynb"));
        Assert.NotEmpty(lines);
        Assert.Matches($@"{Notebook}\.ipynb +{lines.Count} lines +same", result.Output);
        Assert.Contains("The two clients printed the same claims.", result.Output, StringComparison.Ordinal);
    }
}
