namespace DeepLearning.Course.Tests;

/// <summary>The console side of a lesson (what its file-based app prints and writes).</summary>
public class LessonTests
{
    [Fact]
    public void In_a_console_values_print_as_text_and_charts_become_offline_html_files_sharing_one_plotly_js()
    {
        string root = Path.Combine(Path.GetTempPath(), "course-lesson-tests", Guid.NewGuid().ToString("N")[..8]);
        string? before = Environment.GetEnvironmentVariable(Lesson.OutputVariable);
        var console = Console.Out;
        using var output = new StringWriter();
        try
        {
            Environment.SetEnvironmentVariable(Lesson.OutputVariable, root);
            Console.SetOut(output);
            // A notebook folder that does not exist: Start leaves the working directory alone (other tests share it).
            Lesson.Start(Path.Combine(root, "missing", "07-demo.ipynb"), "07 · A demo");
            Lesson.Section("1. Part one");
            Lesson.Show(new[] { 1, 2, 3 });
            Lesson.Show("as is");
            Lesson.Show(null);
            Lesson.Show(Charts.Lines([("y = x", new double[] { 0, 1 }, new double[] { 0, 1 })], title: "A line: y = x"));
            Lesson.Show(Charts.Lines([("y = 2x", new double[] { 0, 1 }, new double[] { 0, 2 })], title: "Another"));
        }
        finally
        {
            Console.SetOut(console);
            Environment.SetEnvironmentVariable(Lesson.OutputVariable, before);
        }

        string folder = Path.Combine(root, "07-demo"), first = Path.Combine(folder, "01-a-line-y-x.html");
        Assert.Equal(folder, Lesson.ChartFolder);
        string printed = output.ToString().ReplaceLineEndings("\n");
        Assert.Contains("═══ 07 · A demo ═══\n\n── 1. Part one\n[1, 2, 3]\nas is\n<null>\n", printed, StringComparison.Ordinal);
        Assert.Contains($"📈 A line: y = x: {first}\n📈 Another: {Path.Combine(folder, "02-another.html")}\n", printed, StringComparison.Ordinal);

        string page = File.ReadAllText(first);
        string script = $"plotly-{Figure.PlotlyJsVersion}.min.js";
        Assert.Contains($"<script src=\"../{script}\"></script>", page, StringComparison.Ordinal);
        Assert.Contains("Plotly.newPlot(", page, StringComparison.Ordinal);
        Assert.DoesNotContain("http", page, StringComparison.Ordinal);   // offline: no CDN, no remote anything
        Assert.Equal(Figure.PlotlyJs(), File.ReadAllText(Path.Combine(root, script)));
        Assert.Equal(2, Directory.GetFiles(folder, "*.html").Length);
        Directory.Delete(root, recursive: true);
    }
}
