using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepLearning.Lint.Tests;

/// <summary>Every notebook is a valid Polyglot/Jupyter .NET notebook that the headless runner and learners can open.</summary>
public partial class NotebookLintTests
{
    public static TheoryData<string> Notebooks => Repo.NotebookNames;

    [Fact]
    public void The_course_has_its_fourteen_notebooks_in_order()
    {
        string[] names = [.. Repo.NotebookPaths.Select(Path.GetFileName)!];
        Assert.Equal(14, names.Length);
        for (int i = 0; i < names.Length; i++)
            Assert.Matches($"^{i:00}-[a-z0-9-]+\\.ipynb$", names[i]);
    }

    [Theory, MemberData(nameof(Notebooks))]
    public void Is_nbformat_4_with_the_dotnet_csharp_kernel(string name)
    {
        var nb = Repo.Notebook(name);
        Assert.Equal(4, (int?)nb["nbformat"]);
        Assert.True((int?)nb["nbformat_minor"] >= 5, "nbformat_minor ≥ 5 (cell ids)");
        var kernelspec = nb["metadata"]?["kernelspec"];
        Assert.Equal(".net-csharp", (string?)kernelspec?["name"]);
        Assert.Equal("C#", (string?)kernelspec?["language"]);
        Assert.Equal(".NET (C#)", (string?)kernelspec?["display_name"]);
        var kernelInfo = nb["metadata"]?["polyglot_notebook"]?["kernelInfo"];
        Assert.Equal("csharp", (string?)kernelInfo?["defaultKernelName"]);
        Assert.Contains(kernelInfo?["items"]?.AsArray() ?? [], k => (string?)k?["name"] == "csharp");
    }

    [Theory, MemberData(nameof(Notebooks))]
    public void Cells_are_well_formed_with_unique_ids_and_a_kernel_per_code_cell(string name)
    {
        var cells = Repo.Notebook(name)["cells"]!.AsArray();
        Assert.NotEmpty(cells);
        var ids = new HashSet<string>();
        foreach (var (cell, index) in cells.Select((c, i) => (c!, i)))
        {
            string type = (string?)cell["cell_type"] ?? "";
            Assert.True(type is "code" or "markdown", $"cell {index}: unexpected cell_type '{type}'");
            string? id = (string?)cell["id"];
            Assert.False(string.IsNullOrEmpty(id), $"cell {index} has no id");
            Assert.True(ids.Add(id!), $"cell {index}: duplicate id {id}");
            Assert.Matches("^[a-zA-Z0-9-_]{1,64}$", id!);
            if (type == "code")
                Assert.Equal("csharp", (string?)cell["metadata"]?["polyglot_notebook"]?["kernelName"]);
        }
    }

    [Theory, MemberData(nameof(Notebooks))]
    public void Has_no_committed_outputs(string name)
    {
        foreach (var (cell, index) in Repo.Notebook(name)["cells"]!.AsArray().Select((c, i) => (c!, i)))
        {
            if ((string?)cell["cell_type"] != "code") continue;
            Assert.True(cell["outputs"] is JsonArray { Count: 0 }, $"cell {index} has committed outputs; clear them");
            Assert.Null(cell["execution_count"]?.GetValue<int?>());
        }
    }

    [Theory, MemberData(nameof(Notebooks))]
    public void First_cell_is_the_shared_preamble(string name)
    {
        string expected = Preamble(Repo.NotebookPaths.Select(Path.GetFileName).First()!);
        Assert.Equal(expected, Preamble(name));
    }

    [Theory, MemberData(nameof(Notebooks))]
    public void Nuget_references_match_the_central_pins(string name)
    {
        var refs = CodeCells(name).SelectMany(Repo.NugetReferences).ToList();
        Assert.NotEmpty(refs);
        foreach (var (id, version) in refs)
        {
            Assert.True(Repo.Pins.TryGetValue(id, out var pinned), $"#r \"nuget: {id}\" is not pinned in Directory.Packages.props");
            Assert.True(version == pinned, $"#r \"nuget: {id}, {version}\" but Directory.Packages.props pins {pinned}");
        }
    }

    [Theory, MemberData(nameof(Notebooks))]
    public void Library_references_point_at_projects_of_this_repository(string name)
    {
        var paths = CodeCells(name).SelectMany(s => LibraryDirective().Matches(s)).Select(m => m.Groups["path"].Value).ToList();
        Assert.NotEmpty(paths);
        foreach (var path in paths)
        {
            // ../artifacts/bin/<Project>/release/<Assembly>.dll, built from src/<Project>.
            var m = ArtifactPath().Match(path);
            Assert.True(m.Success, $"#r \"{path}\" should load the library from ../artifacts/bin/<Project>/release/<Assembly>.dll");
            string project = m.Groups["project"].Value, assembly = m.Groups["assembly"].Value;
            Assert.True(File.Exists(Path.Combine(Repo.Root, "src", project, project + ".csproj")), $"#r \"{path}\": no project src/{project}");
            Assert.True(File.Exists(Path.Combine(Repo.Root, "src", assembly, assembly + ".csproj")), $"#r \"{path}\": no project src/{assembly}");
        }
    }

    [Theory, MemberData(nameof(Notebooks))]
    public void Cells_are_portable_across_front_ends(string name)
    {
        foreach (var (source, index) in CodeCells(name).Select((s, i) => (s, i)))
        {
            Assert.False(source.TrimStart().StartsWith("#!", StringComparison.Ordinal), $"code cell {index}: no #! magic lines; the cell metadata names the kernel");
            Assert.DoesNotMatch(@"(?<![\w.])display\(", source);
        }
    }

    [Theory, MemberData(nameof(Notebooks))]
    public void Ends_with_exercises_whose_check_cells_grade(string name)
    {
        if (name.StartsWith("00-", StringComparison.Ordinal)) return; // the tour teaches how check cells work
        var markdown = Repo.Notebook(name)["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "markdown").Select(c => Repo.Source(c!)).ToList();
        Assert.Contains(markdown, m => Regex.IsMatch(m, "^#+ .*Exercise", RegexOptions.Multiline));
        Assert.Contains(CodeCells(name), s => s.Contains("Exercise.Check(", StringComparison.Ordinal));
    }

    [Fact]
    public void Readme_lists_the_notebooks_in_order()
    {
        string readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        var listed = Regex.Matches(readme, @"notebooks/(\d\d-[a-z0-9-]+\.ipynb)").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(Repo.NotebookPaths.Select(Path.GetFileName), listed);
    }

    private static List<string> CodeCells(string name) =>
        [.. Repo.Notebook(name)["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").Select(c => Repo.Source(c!))];

    private static string Preamble(string name) => CodeCells(name).FirstOrDefault() ?? "";

    [GeneratedRegex("""^#r\s+"(?<path>[^"]+\.dll)"\s*$""", RegexOptions.Multiline)]
    private static partial Regex LibraryDirective();

    [GeneratedRegex("""^\.\./artifacts/bin/(?<project>[A-Za-z.]+)/release/(?<assembly>[A-Za-z.]+)\.dll$""")]
    private static partial Regex ArtifactPath();
}
