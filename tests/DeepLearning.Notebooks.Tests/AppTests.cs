using System.Text.Json;
using DeepLearning.Notebooks.Apps;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepLearning.Notebooks.Tests;

/// <summary>The lessons' file-based apps: generated from the notebooks, committed, and never out of date.</summary>
public class AppTests
{
    [Fact]
    public void Committed_apps_are_what_the_notebooks_generate()
    {
        var notebooks = Directory.GetFiles(Path.Combine(Runner.RepoRoot, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(notebooks);
        var expected = AppsCommand.Expected(notebooks).ToList();
        var errors = expected.Where(e => e.Error is not null).Select(e => e.Error).ToList();
        Assert.True(errors.Count == 0, $"notebooks that cannot become apps:\n{string.Join("\n", errors)}");
        var stale = expected
            .Where(e => !File.Exists(e.App) || File.ReadAllText(e.App) != e.Expected)
            .Select(e => Path.GetRelativePath(Runner.RepoRoot, e.App))
            .ToList();
        Assert.True(stale.Count == 0, $"out of date: {string.Join(", ", stale)}. Regenerate them with `{AppGenerator.WriteCommand}` and commit.");

        // And no app without a notebook.
        var apps = Directory.GetFiles(Path.Combine(Runner.RepoRoot, "notebooks", AppGenerator.AppsFolder), "*.cs").Select(Path.GetFileNameWithoutExtension);
        Assert.Equal(notebooks.Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal), apps.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Cells_become_one_program_that_compiles()
    {
        CodeCell[] cells =
        [
            new(1, "using System.Text;\nvar x = 1;\nint Twice(int v) => 2 * v;\nx"),
            new(2, "var x = \"now a string\";   // a new variable: the notebook shadows the old one\nConsole.WriteLine(x.Length);"),
            new(3, "foreach (var n in new[] { 1, 2 }) { var y = n; Console.WriteLine(y); }\nFunc<int, int> f = y => y + 1;\nvar sb = new StringBuilder();"),
            new(4, "var y = Twice(3);\n// A point.\nrecord Point(int X, int Y);\nvar p = new Point(1, y);\np"),
            new(5, "int Twice(int v) => v + v;\nTwice(y)"),
        ];
        var code = CodeTranslator.Translate(cells, "Lesson.Show", ["Lesson", "args"]);

        Assert.Equal(["using System.Text;"], code.Usings);
        Assert.Equal("var x = 1;\nint Twice(int v) => 2 * v;\nLesson.Show(x);", code.Cells[0].Statements);
        Assert.Equal("var x2 = \"now a string\";   // a new variable: the notebook shadows the old one\nConsole.WriteLine(x2.Length);", code.Cells[1].Statements);
        Assert.Equal([("x", "x2")], code.Cells[1].Renames);
        // A block's local may not share a name with a top-level variable of the program; a lambda's parameter may.
        Assert.Equal("foreach (var n in new[] { 1, 2 }) { var y2 = n; Console.WriteLine(y2); }\nFunc<int, int> f = y => y + 1;\nvar sb = new StringBuilder();", code.Cells[2].Statements);
        Assert.Equal("var y = Twice(3);\n// (record Point is declared at the end of this file: C# wants types after the top-level statements.)\nvar p = new Point(1, y);\nLesson.Show(p);", code.Cells[3].Statements);
        Assert.Equal(["// A point.\nrecord Point(int X, int Y);"], code.Types);
        Assert.Equal("int Twice2(int v) => v + v;\nLesson.Show(Twice2(y));", code.Cells[4].Statements);

        var program = string.Join("\n", code.Usings) + "\n" + string.Join("\n", code.Cells.Select(c => c.Statements)) + "\n" + string.Join("\n", code.Types) +
                      "\nstatic class Lesson { public static void Show(object? value) => Console.WriteLine(value); }\n";
        Assert.Empty(Errors(program));
    }

    [Fact]
    public void A_cell_that_does_not_parse_is_named()
    {
        var e = Assert.Throws<FormatException>(() => CodeTranslator.Translate([new(1, "var ok = 1;"), new(7, "var broken = ;")], "Lesson.Show", []));
        Assert.StartsWith("cell 7: the code does not parse as C#:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void App_has_the_pinned_packages_the_course_project_and_the_markdown_as_comments()
    {
        using var repo = Runner.NewOutDir("app-layout");
        File.WriteAllText(Path.Combine(repo, "Directory.Packages.props"),
            "<Project><ItemGroup><PackageVersion Include=\"Some.Package\" Version=\"2.0.0\" /><PackageVersion Include=\"Plotly.NET.Interactive\" Version=\"6.0.0\" /></ItemGroup></Project>");
        foreach (string project in new[] { "DeepLearning.Scratch", "DeepLearning.Course" })
        {
            Directory.CreateDirectory(Path.Combine(repo, "src", project));
            File.WriteAllText(Path.Combine(repo, "src", project, project + ".csproj"), project == "DeepLearning.Course"
                ? "<Project><ItemGroup><ProjectReference Include=\"..\\DeepLearning.Scratch\\DeepLearning.Scratch.csproj\" /></ItemGroup></Project>"
                : "<Project />");
        }
        string notebooks = Path.Combine(repo, "notebooks");
        Directory.CreateDirectory(Path.Combine(notebooks, "solutions"));
        string notebook = Path.Combine(notebooks, "07-demo.ipynb");
        WriteNotebook(notebook,
            ("markdown", null, "# 07 · A demo\n\nSome prose with $x^2$."),
            ("code", null, "// The course's packages.\n#r \"nuget: Some.Package, 1.0.0\"\n#r \"nuget: Plotly.NET.Interactive, 6.0.0\"\n#r \"../artifacts/bin/DeepLearning.Course/release/DeepLearning.Scratch.dll\"\n#r \"../artifacts/bin/DeepLearning.Course/release/DeepLearning.Course.dll\""),
            ("markdown", null, "## 1. Part one\n\n```csharp\n## not a heading\n```"),
            ("code", null, "#!time\nvar answer = 0;"),
            ("code", "ex-1", "// TODO: make it 42.\nanswer = 1;"),
            ("code", null, "answer"));
        File.WriteAllText(Path.Combine(notebooks, "solutions", "07-demo.cs"), "// Solutions.\n//# cell: ex-1\nanswer = 42;\n");

        string appPath = AppGenerator.AppPathFor(notebook);
        Assert.Equal(Path.Combine(notebooks, "apps", "07-demo.cs"), appPath);
        string app = AppGenerator.Generate(notebook, appPath, solutions: false);
        Assert.StartsWith("// 07 · A demo — this lesson as a .NET file-based app", app, StringComparison.Ordinal);
        // Versions from Directory.Packages.props (one source); the notebook-only chart formatter and the kernel magic are gone.
        Assert.Contains("\n#:package Some.Package@2.0.0\n", app, StringComparison.Ordinal);
        Assert.DoesNotContain("Plotly.NET.Interactive", app, StringComparison.Ordinal);
        Assert.DoesNotContain("#!time", app, StringComparison.Ordinal);
        Assert.DoesNotContain("#r ", app, StringComparison.Ordinal);
        // Course brings Scratch: one #:project, relative to the app's folder.
        Assert.Contains("\n#:project ../../src/DeepLearning.Course\n// A JIT app", app, StringComparison.Ordinal);
        Assert.DoesNotContain("DeepLearning.Scratch\n", app, StringComparison.Ordinal);
        Assert.Contains("\nLesson.Start(\"../07-demo.ipynb\", \"07 · A demo\");\n", app, StringComparison.Ordinal);
        Assert.Contains("\n// Some prose with $x^2$.\n", app, StringComparison.Ordinal);
        Assert.Contains("\n// ## 1. Part one\n//\n// ```csharp\n// ## not a heading\n// ```\nLesson.Section(\"1. Part one\");\n", app, StringComparison.Ordinal);
        Assert.Contains("\n// TODO: make it 42.\nanswer = 1;\n\nLesson.Show(answer);\n", app, StringComparison.Ordinal);

        string solved = AppGenerator.Generate(notebook, Path.Combine(repo, "artifacts", "apps", "solved", "07-demo.cs"), solutions: true);
        Assert.Contains("\n#:project ../../../src/DeepLearning.Course\n", solved, StringComparison.Ordinal);
        Assert.Contains("\nLesson.Start(\"../../../notebooks/07-demo.ipynb\", \"07 · A demo\");\n", solved, StringComparison.Ordinal);
        Assert.Contains("\n// Exercise cell ex-1, solved (from notebooks/solutions/07-demo.cs):\nanswer = 42;\n", solved, StringComparison.Ordinal);
        Assert.DoesNotContain("make it 42", solved, StringComparison.Ordinal);
    }

    [Fact]
    public void Apps_options_default_to_running_the_solved_apps()
    {
        var (options, error) = AppsOptions.Parse(["--write", "03"]);
        Assert.Null(error);
        Assert.Equal((AppsOptions.Action.Write, true, "Release"), (options!.Mode, options.Solutions, options.Configuration));
        Assert.Equal(["03"], options.Names);
        Assert.Equal(AppsOptions.Action.Run, AppsOptions.Parse([]).Options!.Mode);
        Assert.False(AppsOptions.Parse(["--no-solutions"]).Options!.Solutions);
        Assert.False(AppsOptions.Parse([]).Options!.KeepBuilds);
        Assert.True(AppsOptions.Parse(["--keep-builds"]).Options!.KeepBuilds);
        Assert.Equal("unknown option '--bogus'", AppsOptions.Parse(["--bogus"]).Error);
        Assert.Equal("--timeout wants a positive number of seconds, got '0'", AppsOptions.Parse(["--timeout", "0"]).Error);
    }

    [Fact]
    public void An_apps_build_output_is_removed_and_only_its_own()
    {
        string root = Path.Combine(Path.GetTempPath(), "runfile-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string app = Path.Combine(root, "src", "03-optimizers.cs"), other = Path.Combine(root, "elsewhere", "03-optimizers.cs");
            string Folder(string name, string source)
            {
                string folder = Path.Combine(root, "runfile", name);
                Directory.CreateDirectory(Path.Combine(folder, "bin", "release"));
                File.WriteAllText(Path.Combine(folder, "bin", "release", "libtorch_cpu.so"), "big");
                File.WriteAllText(Path.Combine(folder, "build-start.cache"), source + "\n");
                return folder;
            }
            string mine = Folder("03-optimizers-aaaa", app), theirs = Folder("03-optimizers-bbbb", other), unrelated = Folder("04-backprop-cccc", app);
            string noMarker = Path.Combine(root, "runfile", "03-optimizers-dddd");
            Directory.CreateDirectory(noMarker);

            var removed = AppRun.RemoveBuild(app, [Path.Combine(root, "runfile"), Path.Combine(root, "missing")]);

            Assert.Equal([mine], removed);
            Assert.False(Directory.Exists(mine));
            Assert.True(Directory.Exists(theirs));      // the same lesson built from another checkout
            Assert.True(Directory.Exists(unrelated));   // another lesson's folder, whatever its marker says
            Assert.True(Directory.Exists(noMarker));    // not recognizably this app's: left alone
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
    }

    private static void WriteNotebook(string path, params (string Kind, string? Id, string Source)[] cells)
    {
        var json = new
        {
            cells = cells.Select(c => new Dictionary<string, object?>
            {
                ["cell_type"] = c.Kind, ["id"] = c.Id, ["metadata"] = new { }, ["source"] = c.Source,
            }),
            metadata = new { },
            nbformat = 4,
            nbformat_minor = 5,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(json));
    }

    // The C# compiler's errors for a program of top-level statements (base library only).
    private static List<string> Errors(string program)
    {
        string dir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var references = Directory.GetFiles(dir, "System*.dll")
            .Where(p => !p.Contains(".Native.", StringComparison.Ordinal))
            .Select(p => { try { return MetadataReference.CreateFromFile(p); } catch (BadImageFormatException) { return null; } })
            .OfType<MetadataReference>();
        // The implicit usings of an SDK app, as `global using` lines.
        program = "global using System;\nglobal using System.Linq;\nglobal using System.Collections.Generic;\n" + program;
        var compilation = CSharpCompilation.Create("app", [CSharpSyntaxTree.ParseText(program, new CSharpParseOptions(LanguageVersion.Latest))],
            references, new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
    }
}
