using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DeepLearning.Lint.Tests;

/// <summary>The repository as the lint tests see it: notebooks, central package pins, README.</summary>
public static partial class Repo
{
    /// <summary>The repository root (recorded at build time; COURSE_REPO overrides).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>notebooks/*.ipynb, in course order.</summary>
    public static string[] NotebookPaths =>
        [.. Directory.GetFiles(Path.Combine(Root, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal)];

    /// <summary>Notebook file names as xunit theory data.</summary>
    public static TheoryData<string> NotebookNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var p in NotebookPaths) data.Add(Path.GetFileName(p));
            return data;
        }
    }

    /// <summary>Parses notebooks/<paramref name="name"/>.</summary>
    public static JsonObject Notebook(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "notebooks", name)))!.AsObject();

    /// <summary>Package id → pinned version from Directory.Packages.props.</summary>
    public static Dictionary<string, string> Pins { get; } = XDocument.Load(Path.Combine(Root, "Directory.Packages.props"))
        .Descendants("PackageVersion")
        .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);

    /// <summary>The source lines of a cell (nbformat stores either a string or a list of lines).</summary>
    public static string Source(JsonNode cell)
    {
        var s = cell["source"];
        return s is JsonArray lines ? string.Concat(lines.Select(l => (string?)l)) : (string?)s ?? "";
    }

    /// <summary>`#r "nuget: Id, Version"` directives in a cell.</summary>
    public static IEnumerable<(string Id, string Version)> NugetReferences(string source) =>
        NugetDirective().Matches(source).Select(m => (m.Groups["id"].Value, m.Groups["version"].Value));

    [GeneratedRegex("""^#r\s+"nuget:\s*(?<id>[^,"\s]+)\s*(,\s*(?<version>[^"\s]*))?\s*"\s*$""", RegexOptions.Multiline)]
    private static partial Regex NugetDirective();

    private static string FindRoot()
    {
        string? env = Environment.GetEnvironmentVariable("COURSE_REPO");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Course.sln"))) return dir.FullName;
        string? recorded = typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        return recorded is not null && File.Exists(Path.Combine(recorded, "Course.sln"))
            ? recorded
            : throw new DirectoryNotFoundException("Cannot find the repository root (Course.sln); set COURSE_REPO.");
    }
}
