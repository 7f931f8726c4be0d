using System.Xml.Linq;

namespace DeepLearning.Lint.Tests;

/// <summary>Versions are pinned once, centrally, and projects don't override them.</summary>
public class PinTests
{
    [Fact]
    public void Every_framework_package_is_pinned_to_what_learners_get()
    {
        // The official stack the registry serves (older pins are no longer served anywhere).
        Assert.Equal("0.107.0", Repo.Pins["TorchSharp-cpu"]);
        Assert.Equal("6.0.0", Repo.Pins["Plotly.NET"]);
        Assert.Equal("0.14.0", Repo.Pins["Plotly.NET.CSharp"]);
        Assert.Equal("6.0.0", Repo.Pins["Plotly.NET.Interactive"]);
        Assert.Equal("6.0.0", Repo.Pins["Microsoft.ML.DataView"]);
        foreach (var id in new[] { "Microsoft.DotNet.Interactive", "Microsoft.DotNet.Interactive.CSharp", "Microsoft.DotNet.Interactive.Documents" })
            Assert.Matches(@"^1\.0\.0-beta\.\d{5}\.\d+$", Repo.Pins[id]);
    }

    [Fact]
    public void No_project_names_its_own_package_version()
    {
        var projects = Directory.GetFiles(Repo.Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}artifacts{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var project in projects)
            foreach (var reference in XDocument.Load(project).Descendants("PackageReference"))
            {
                Assert.Null(reference.Attribute("Version"));
                Assert.Null(reference.Attribute("VersionOverride"));
                string id = (string)reference.Attribute("Include")!;
                Assert.True(Repo.Pins.ContainsKey(id), $"{Path.GetFileName(project)} references {id}, which Directory.Packages.props does not pin");
            }
    }

    [Fact]
    public void Core_projects_reference_no_framework_package()
    {
        string[] framework = ["TorchSharp", "Plotly.NET", "Microsoft.DotNet.Interactive", "Microsoft.ML"];
        foreach (var project in new[] { "src/DeepLearning.Scratch/DeepLearning.Scratch.csproj", "tests/DeepLearning.Scratch.Tests/DeepLearning.Scratch.Tests.csproj", "tests/DeepLearning.Lint.Tests/DeepLearning.Lint.Tests.csproj" })
            foreach (var reference in XDocument.Load(Path.Combine(Repo.Root, project)).Descendants("PackageReference"))
                Assert.DoesNotContain(framework, f => ((string)reference.Attribute("Include")!).StartsWith(f, StringComparison.OrdinalIgnoreCase));
    }
}
