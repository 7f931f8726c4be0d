using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DeepLearning.Notebooks.Execution;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepLearning.Notebooks.Apps;

/// <summary>
/// Generates a lesson's .NET file-based app (<c>dotnet run notebooks/apps/NN-name.cs</c>) from its notebook: the
/// notebook's packages as <c>#:package</c> (versions from Directory.Packages.props), the course library as
/// <c>#:project</c>, every code cell in order and the Markdown as comments. The .ipynb stays the one source.
/// </summary>
internal static partial class AppGenerator
{
    /// <summary>Where the generated apps live, relative to the notebooks folder.</summary>
    public const string AppsFolder = "apps";

    /// <summary>The command that regenerates the committed apps (printed in every app and in error messages).</summary>
    public const string WriteCommand = "notebooks/run --apps --write";

    /// <summary>The console helper every cell's displayed value goes through (DeepLearning.Course).</summary>
    private const string Show = "Lesson.Show";

    // Packages only a notebook front end uses: the app prints and writes charts through the course library instead.
    private static readonly string[] NotebookOnlyPackages = ["Plotly.NET.Interactive", "Microsoft.DotNet.Interactive"];

    /// <summary>The committed (learner's) app of <paramref name="notebookPath"/>.</summary>
    public static string AppPathFor(string notebookPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(notebookPath))!, AppsFolder, Path.GetFileNameWithoutExtension(notebookPath) + ".cs");

    /// <summary>The app's text.</summary>
    /// <param name="notebookPath">The .ipynb.</param>
    /// <param name="appPath">Where the app will be written (relative paths in it start there).</param>
    /// <param name="solutions">Fill exercise cells in from notebooks/solutions/&lt;stem&gt;.cs.</param>
    /// <exception cref="FormatException">The notebook cannot become an app; the message names the cell.</exception>
    public static string Generate(string notebookPath, string appPath, bool solutions)
    {
        notebookPath = Path.GetFullPath(notebookPath);
        appPath = Path.GetFullPath(appPath);
        string name = Path.GetFileName(notebookPath), stem = Path.GetFileNameWithoutExtension(notebookPath);
        string appDir = Path.GetDirectoryName(appPath)!;
        string root = RepositoryRoot(notebookPath);
        string Relative(string path, string from) => Path.GetRelativePath(from, path).Replace('\\', '/');

        var cells = NotebookSource.Read(notebookPath).ToList();
        string? solutionsFile = null;
        var solved = new HashSet<int>();
        if (solutions && File.Exists(Solutions.PathFor(notebookPath)))
        {
            solutionsFile = Solutions.PathFor(notebookPath);
            string source = Relative(solutionsFile, root);
            foreach (var (id, solution) in Solutions.Parse(File.ReadAllText(solutionsFile), source))
            {
                int at = cells.FindIndex(c => c.Id == id && !c.Markdown);
                if (at < 0) throw new FormatException($"{source}: no code cell with id '{id}' in {name}");
                cells[at] = cells[at] with { Source = solution };
                solved.Add(cells[at].Number);
            }
        }

        // Notebook-only lines out; what they asked for becomes directives.
        var packages = new List<string>();
        var libraries = new List<string>();
        var code = new List<CodeCell>();
        var kept = new List<NotebookCell>();
        foreach (var cell in cells)
        {
            if (cell.Markdown) { kept.Add(cell); continue; }
            string? stripped = StripNotebookLines(cell, packages, libraries, name);
            if (stripped is null) continue;
            code.Add(new CodeCell(cell.Number, stripped));
            kept.Add(cell);
        }

        TranslatedCode translated;
        try { translated = CodeTranslator.Translate(code, Show, ["Lesson", "args"]); }
        catch (FormatException e) { throw new FormatException($"{name}, {e.Message}", e); }

        var versions = PackageVersions(root);
        var projects = Projects(libraries, root, name);
        if (!projects.Any(p => Path.GetFileName(p) == "DeepLearning.Course"))
            throw new FormatException($"{name}: an app needs the course library (its Lesson.Show prints cell results); the notebook does not #r DeepLearning.Course.dll");

        string title = Title(cells) ?? stem;
        string nbRel = Relative(notebookPath, root), appRel = Relative(Path.Combine(Path.GetDirectoryName(notebookPath)!, AppsFolder, stem + ".cs"), root);
        var text = new StringBuilder();
        text.Append($"// {title} — this lesson as a .NET file-based app: it runs without a notebook kernel.\n");
        text.Append($"// Generated from {nbRel} by `{WriteCommand}`: edit the notebook, not this file.\n");
        if (solutionsFile is not null)
            text.Append($"// This copy has the exercise solutions from {Relative(solutionsFile, root)} filled in ({appRel} is the learner's).\n");
        text.Append("//\n");
        text.Append($"// Run:     dotnet run {appRel}    (first run restores and builds; add -c Release for optimized code, as CI runs it)\n");
        text.Append($"// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/{stem}/.\n");
        text.Append("//          Exercises run as you edit them; `notebooks/run --apps` runs every app with the solutions filled in.\n");
        text.Append("//          COURSE_HEADLESS=1 makes a failing exercise check throw instead of printing ❌.\n");
        foreach (string package in packages.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (NotebookOnlyPackages.Any(p => package.StartsWith(p, StringComparison.OrdinalIgnoreCase))) continue;
            if (!versions.TryGetValue(package, out string? version))
                throw new FormatException($"{name}: the notebook loads package {package}, which Directory.Packages.props does not pin");
            text.Append($"#:package {package}@{version}\n");
        }
        foreach (string project in projects) text.Append($"#:project {Relative(project, appDir)}\n");
        text.Append("// A JIT app, not native AOT (TorchSharp and Plotly.NET use reflection); the versions above are the ones\n");
        text.Append("// Directory.Packages.props pins, written out so the file says what it runs. Lesson code is held to the\n");
        text.Append("// notebook's rules, not the library's: no code analysis, and warnings stay warnings (an exercise's TODO\n");
        text.Append("// leaves unused variables); CI builds the solved apps with -p:TreatWarningsAsErrors=true.\n");
        text.Append("#:property PublishAot=false\n");
        text.Append("#:property ManagePackageVersionsCentrally=false\n");
        text.Append("#:property AnalysisLevel=none\n");
        text.Append("#:property TreatWarningsAsErrors=false\n");
        text.Append('\n');
        foreach (string u in translated.Usings) text.Append(u).Append('\n');
        if (translated.Usings.Count > 0) text.Append('\n');
        text.Append($"Lesson.Start({Literal(Relative(notebookPath, appDir))}, {Literal(title)});\n");

        var byNumber = translated.Cells.ToDictionary(c => c.Number);
        foreach (var cell in kept)
        {
            text.Append('\n');
            if (cell.Markdown)
            {
                text.Append(MarkdownComments(cell.Source));
                continue;
            }
            var t = byNumber[cell.Number];
            if (solved.Contains(cell.Number))
                text.Append($"// Exercise cell {cell.Id}, solved (from {Relative(solutionsFile!, root)}):\n");
            if (t.Renames.Count > 0)
                text.Append($"// Renamed here, since a C# program declares a name once: {string.Join(", ", t.Renames.Select(r => $"{r.From} → {r.To}"))}.\n");
            if (t.Statements.Length > 0) text.Append(t.Statements).Append('\n');
        }

        if (translated.Types.Count > 0)
        {
            text.Append("\n// Types declared in the notebook's cells (C# wants them after the top-level statements).\n");
            foreach (string type in translated.Types) text.Append('\n').Append(type).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The repository root: the nearest folder above the notebook with Directory.Packages.props.</summary>
    public static string RepositoryRoot(string notebookPath)
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(notebookPath))!); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props"))) return dir.FullName;
        throw new FormatException($"{notebookPath}: no Directory.Packages.props in any folder above it (the package versions come from there)");
    }

    // The cell without its notebook-only lines, or null when nothing but comments is left of a cell that had some.
    private static string? StripNotebookLines(NotebookCell cell, List<string> packages, List<string> libraries, string notebook)
    {
        var lines = new List<string>();
        bool stripped = false;
        foreach (string line in cell.Source.Split('\n'))
        {
            if (NuGetReference().Match(line) is { Success: true } nuget) { packages.Add(nuget.Groups["name"].Value); stripped = true; }
            else if (FileReference().Match(line) is { Success: true } file) { libraries.Add(file.Groups["path"].Value); stripped = true; }
            else if (NotebookDirective().IsMatch(line)) stripped = true;   // #i (package sources), #! magics: the kernel's business
            else if (OtherDirective().IsMatch(line))
                throw new FormatException($"{notebook}, cell {cell.Number}: `{line.Trim()}` has no file-based-app equivalent");
            else lines.Add(line);
        }
        string code = string.Join("\n", lines);
        bool onlyComments = code.Split('\n').All(l => l.Trim().Length == 0 || l.TrimStart().StartsWith("//", StringComparison.Ordinal));
        return stripped && onlyComments ? null : code;
    }

    private static Dictionary<string, string> PackageVersions(string root)
    {
        var props = XDocument.Load(Path.Combine(root, "Directory.Packages.props"));
        return props.Descendants("PackageVersion")
            .Where(p => p.Attribute("Include") is not null && p.Attribute("Version") is not null)
            .ToDictionary(p => p.Attribute("Include")!.Value, p => p.Attribute("Version")!.Value, StringComparer.OrdinalIgnoreCase);
    }

    // src/<name>/<name>.csproj for each #r'd course assembly, minus those another one already references.
    private static List<string> Projects(List<string> libraries, string root, string notebook)
    {
        var projects = new List<string>();
        foreach (string library in libraries)
        {
            string assembly = Path.GetFileNameWithoutExtension(library.Replace('\\', '/').Split('/')[^1]);
            string project = Path.Combine(root, "src", assembly);
            if (!File.Exists(Path.Combine(project, assembly + ".csproj")))
                throw new FormatException($"{notebook}: the notebook loads {library}, and src/{assembly}/{assembly}.csproj, the project to build it from, does not exist");
            if (!projects.Contains(project)) projects.Add(project);
        }
        var referenced = projects.SelectMany(p => XDocument.Load(Path.Combine(p, Path.GetFileName(p) + ".csproj")).Descendants("ProjectReference"))
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")?.Value.Replace('\\', '/') ?? ""))
            .ToHashSet(StringComparer.Ordinal);
        return projects.Where(p => !referenced.Contains(Path.GetFileName(p))).ToList();
    }

    private static string? Title(IEnumerable<NotebookCell> cells) =>
        cells.Where(c => c.Markdown).SelectMany(c => c.Source.Split('\n')).FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))?[2..].Trim();

    /// <summary>
    /// A Markdown cell as <c>//</c> comments, verbatim (headings, prose, TeX formulas and tables read well as they
    /// are), and each ## or ### heading also printed when the app runs, so its output has the lesson's sections.
    /// </summary>
    internal static string MarkdownComments(string markdown)
    {
        var text = new StringBuilder();
        var headings = new List<string>();
        bool fence = false;
        foreach (string raw in markdown.Trim('\n').Split('\n'))
        {
            string line = raw.TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal)) fence = !fence;
            if (!fence && Heading().Match(line) is { Success: true } h) headings.Add(h.Groups["text"].Value.Trim());
            text.Append(line.Length == 0 ? "//\n" : $"// {line}\n");
        }
        foreach (string heading in headings) text.Append($"Lesson.Section({Literal(heading)});\n");
        return text.ToString();
    }

    private static string Literal(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

    [GeneratedRegex(@"^\s*#r\s+""nuget:\s*(?<name>[^,""\s]+)\s*(,\s*[^""]*)?""\s*$")]
    private static partial Regex NuGetReference();

    [GeneratedRegex(@"^\s*#r\s+""(?<path>[^""]+)""\s*$")]
    private static partial Regex FileReference();

    [GeneratedRegex(@"^\s*(#i\s|#!)")]
    private static partial Regex NotebookDirective();

    [GeneratedRegex(@"^\s*#(r|load)\b")]
    private static partial Regex OtherDirective();

    [GeneratedRegex(@"^#{2,3}\s+(?<text>.+)$")]
    private static partial Regex Heading();
}
