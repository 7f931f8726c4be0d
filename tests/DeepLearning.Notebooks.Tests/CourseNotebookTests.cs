using System.Diagnostics;

namespace DeepLearning.Notebooks.Tests;

/// <summary>
/// The course itself: every notebook in notebooks/ executes headlessly on the real kernel, with the exercise
/// solutions filled in, with zero errors and within its time budget. One run of the runner (a child process, so a
/// hung cell is killed) serves all the per-notebook tests.
/// </summary>
public sealed class CourseRunFixture
{
    public CourseRunFixture()
    {
        Build = CourseLibrary.Build.Value;
        Out = Path.Combine(Runner.RepoRoot, "artifacts", "test-book");
        if (Build.ExitCode != 0) return;
        Result = Runner.Run(TimeSpan.FromMinutes(40), "run", "--notebooks", Path.Combine(Runner.RepoRoot, "notebooks"), "--out", Out,
            "--notebook-timeout", CourseNotebookTests.Budget.TotalSeconds * 3 + "");
        string report = Path.Combine(Out, "report.json");
        if (File.Exists(report)) Report = RunReport.Load(report);
    }

    public Runner.Result Build { get; }
    public Runner.Result? Result { get; }
    public string Out { get; }
    internal RunReport? Report { get; }
}

/// <summary>The course library as notebooks load it: the Release build in artifacts/bin/, built from this source once per test run.</summary>
public static class CourseLibrary
{
    /// <summary>The folder notebooks #r from (<c>../artifacts/bin/DeepLearning.Course/release/</c>).</summary>
    public static string Folder => Path.Combine(Runner.RepoRoot, "artifacts", "bin", "DeepLearning.Course", "release");

    public static readonly Lazy<Runner.Result> Build = new(() =>
    {
        var start = new ProcessStartInfo("dotnet", ["build", Path.Combine(Runner.RepoRoot, "src", "DeepLearning.Course"), "-c", "Release", "--nologo", "-v", "quiet"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Runner.RepoRoot,
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd() + stderr.Result;
        process.WaitForExit();
        return new Runner.Result(process.ExitCode, output, clock.Elapsed);
    });
}

[CollectionDefinition(Name)]
public sealed class CourseRunGroup : ICollectionFixture<CourseRunFixture>
{
    public const string Name = "course run";
}

[Collection(CourseRunGroup.Name)]
public class CourseNotebookTests(CourseRunFixture course, ITestOutputHelper output)
{
    /// <summary>The README promises that each notebook runs in under a minute on a laptop CPU.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Notebooks
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string path in Directory.GetFiles(Path.Combine(Runner.RepoRoot, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(path));
            return data;
        }
    }

    [Theory, MemberData(nameof(Notebooks))]
    public void Executes_with_zero_errors_within_its_time_budget(string name)
    {
        Assert.True(course.Build.ExitCode == 0, $"the course library does not build in Release: {course.Build}");
        Assert.True(course.Report is not null, $"the runner wrote no report; {course.Result}");
        var notebook = course.Report!.Notebooks.Single(n => n.Name == name);

        var slowest = notebook.Cells.Where(c => c.Status != Status.NotRun).OrderByDescending(c => c.Seconds).Take(5).ToList();
        string table = $"{name}: {notebook.Seconds:0.0} s in all, {notebook.KernelSeconds:0.0} s of them starting the kernel; slowest cells:\n"
                       + string.Join("\n", slowest.Select(c => $"  cell {c.Number,3}  {c.Seconds,6:0.00} s  {c.FirstLine}"));
        output.WriteLine(table);
        output.WriteLine($"page: {Path.Combine(course.Out, notebook.Page)}");

        Assert.True(notebook.Status == Status.Ok, $"{notebook.Error}\n{table}");
        Assert.All(notebook.Cells, c => Assert.Equal(Status.Ok, c.Status));
        Assert.True(notebook.Seconds <= Budget.TotalSeconds, $"{name} took {notebook.Seconds:0.0} s, over its {Budget.TotalSeconds:0} s budget.\n{table}");
    }
}
