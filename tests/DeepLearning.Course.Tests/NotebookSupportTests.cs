using Plotly.NET;

namespace DeepLearning.Course.Tests;

public class NotebookSupportTests
{
    // Runs body with COURSE_HEADLESS set as given (null: a person at a notebook), capturing the console.
    private static string Run(string? headless, Action body)
    {
        string? before = Environment.GetEnvironmentVariable("COURSE_HEADLESS");
        var console = Console.Out;
        using var output = new StringWriter();
        try
        {
            Environment.SetEnvironmentVariable("COURSE_HEADLESS", headless);
            Console.SetOut(output);
            Exercise.ResetFailures();
            body();
        }
        finally
        {
            Console.SetOut(console);
            Environment.SetEnvironmentVariable("COURSE_HEADLESS", before);
            Exercise.ResetFailures();
        }
        return output.ToString();
    }

    [Fact]
    public void Claim_that_holds_prints_a_tick_in_both_modes()
    {
        foreach (string? mode in new[] { null, "1" })
        {
            bool held = false;
            string printed = Run(mode, () => held = Claim.That("2 > 1", 2 > 1, "2 vs 1"));
            Assert.True(held);
            Assert.Contains("✔ 2 > 1 (2 vs 1)", printed);
        }
    }

    [Fact]
    public void Claim_that_fails_throws_only_headless()
    {
        var ex = Assert.Throws<ClaimFailedException>(() => Run("1", () => Claim.That("1 > 2", false, "1 vs 2")));
        Assert.Contains("1 > 2", ex.Message);
        Assert.Contains("1 vs 2", ex.Message);
    }

    [Fact]
    public void Claim_that_fails_interactively_prints_a_cross_and_lets_the_cell_finish()
    {
        bool held = true, rest = false;
        string printed = Run(null, () =>
        {
            held = Claim.That("1 > 2", false, "1 vs 2");
            rest = true;   // the cell's next line (a chart, say) still runs
        });
        Assert.False(held);
        Assert.True(rest);
        Assert.Contains("✘ With these settings this no longer holds: 1 > 2 (1 vs 2)", printed);
        Assert.DoesNotContain("✔", printed);
    }

    [Fact]
    public void Fact_prints_without_a_tick()
    {
        string printed = Run(null, () => Claim.Fact("600 / 30 = 20 updates per epoch"));
        Assert.Equal("• 600 / 30 = 20 updates per epoch", printed.Trim());
    }

    [Fact]
    public void Exercise_check_reports_and_throws_only_headless()
    {
        bool passed = false, failed = true;
        Run(null, () =>
        {
            passed = Exercise.Check("t1", true, "hint");
            failed = Exercise.Check("t2", false, "hint");
        });
        Assert.True(passed);
        Assert.False(failed);
        var ex = Assert.Throws<ExerciseFailedException>(() => Run("1", () => Exercise.CheckClose("t3", 1.0, 2.0, 0.1, "try harder")));
        Assert.Contains("try harder", ex.Message);
    }

    [Fact]
    public void Exercise_hints_give_the_idea_first_and_code_only_from_the_second_failure()
    {
        string first = "", second = "";
        Run(null, () =>
        {
            first = CaptureOne(() => Exercise.Check("99-1", false, "the idea", codeHint: "CODE()"));
            second = CaptureOne(() => Exercise.Check("99-1", false, "the idea", codeHint: "CODE()"));
        });
        Assert.Contains("Idea: the idea", first);
        Assert.DoesNotContain("CODE()", first);
        Assert.Contains("Exercise.Solution(\"99-1\")", first);
        Assert.Contains("Idea: the idea", second);
        Assert.Contains("Code hint: CODE()", second);
    }

    [Fact]
    public void Exercise_without_a_code_hint_shows_the_solution_after_the_second_failure()
    {
        string dir = Directory.CreateTempSubdirectory("course-solutions").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "notebooks", "solutions"));
            File.WriteAllText(Path.Combine(dir, "notebooks", "solutions", "98-demo.cs"),
                "// header\n//# cell: ex-1\nint answer = 42;\n//# cell: ex-2\nint other = 1;\n");
            string cwd = Directory.GetCurrentDirectory();
            string second = "";
            try
            {
                Directory.SetCurrentDirectory(Path.Combine(dir, "notebooks"));
                Run(null, () =>
                {
                    Exercise.Check("98-1", false, "the idea");
                    second = CaptureOne(() => Exercise.Check("98-1", false, "the idea"));
                });
            }
            finally
            {
                Directory.SetCurrentDirectory(cwd);
            }
            Assert.Contains("int answer = 42;", second);
            Assert.DoesNotContain("int other", second);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Solution_text_reads_the_block_of_the_exercise_from_the_solutions_folder()
    {
        string dir = Directory.CreateTempSubdirectory("course-solutions").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "solutions"));
            File.WriteAllText(Path.Combine(dir, "solutions", "97-topic.cs"), "//# cell: ex-1\nvar a = 1;\n//# cell: ex-2\nvar b = 2;\nvar c = 3;\n");
            string two = Exercise.SolutionText("97-2", [dir]);
            Assert.Contains("var b = 2;\nvar c = 3;", two);
            Assert.DoesNotContain("var a", two);
            Assert.Throws<KeyNotFoundException>(() => Exercise.SolutionText("97-5", [dir]));
            Assert.Throws<FileNotFoundException>(() => Exercise.SolutionText("96-1", [dir]));
            var bad = Assert.Throws<ArgumentException>(() => Exercise.SolutionText("2", [dir]));
            Assert.Contains("05-2", bad.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_repository_solutions_are_found_from_the_notebooks_folder()
    {
        // The repository's own solutions are found from the notebooks' working directory (the folder they run in).
        string notebooks = Path.Combine(RepoRoot(), "notebooks");
        Assert.Contains("g1", Exercise.SolutionText("00-1", [notebooks]));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Course.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (Course.sln) above " + AppContext.BaseDirectory);
    }

    private static string CaptureOne(Action body)
    {
        var console = Console.Out;
        using var output = new StringWriter();
        Console.SetOut(output);
        try { body(); }
        finally { Console.SetOut(console); }
        return output.ToString();
    }

    [Fact]
    public void Parity_table_folds_reports_into_one_line_each()
    {
        var table = Parity.Table(new ParityReport("relu", [new("output", 1e-7), new("∂L/∂x", 2e-6)]),
                                 new ParityReport("gelu", [new("output", 3e-6)]));
        Assert.True(table.Agrees());
        Assert.Equal(3e-6, table.MaxAbsDiff);
        Assert.Empty(table.Disagreeing());
        Assert.Equal(3, table.ToString().Split('\n').Length);
        Assert.Contains("output, ∂L/∂x", table.ToHtml());
        var bad = Parity.Table(new ParityReport("ok", [new("output", 0)]), new ParityReport("bad", [new("output", 1e-3)]));
        Assert.False(bad.Agrees());
        Assert.Equal(["bad"], bad.Disagreeing());
        Assert.Throws<ArgumentException>(() => Parity.Table());
    }

    [Fact]
    public void Parity_report_agrees_only_within_tolerance()
    {
        var report = new ParityReport("relu", [new("output", 1e-7), new("∂L/∂x", 2e-6)]);
        Assert.True(report.Agrees());
        Assert.Equal(2e-6, report.MaxAbsDiff);
        Assert.False(new ParityReport("bad", [new("output", 1e-3)]).Agrees());
        Assert.False(new ParityReport("nan", [new("output", double.NaN)]).Agrees());
        Assert.False(new ParityReport("empty", []).Agrees());
        Assert.Contains("<table", report.ToHtml());
    }

    [Fact]
    public void Figure_html_is_offline_and_carries_plotly_once()
    {
        var chart = Plotly.NET.CSharp.Chart.Line<double, double, string>(x: [0.0, 1, 2], y: [0.0, 1, 4], Name: "x²");
        var first = new Figure(chart, "test");
        string page = first.ToHtmlPage();
        Assert.Contains("data-course-plotly", page);
        Assert.DoesNotMatch("<script[^>]*\\ssrc=", page);   // nothing loaded from anywhere: plotly.js is inline
        Assert.True(page.Length > 1_000_000, "plotly.js is inlined");
        string again = new Figure(chart, "test").ToHtml(includePlotlyJs: false);
        Assert.True(again.Length < 10_000);
        Assert.Contains("Plotly.newPlot", again);
        Assert.Equal("x²", (string?)first.Traces[0]!["name"]);
    }

    [Fact]
    public void Html_views_carry_the_convention_formatter_attribute()
    {
        var attribute = typeof(ParityReport).GetCustomAttributes(false).Single(a => a.GetType().Name == "TypeFormatterSourceAttribute");
        var source = (HtmlFormatterSource)Activator.CreateInstance(((TypeFormatterSourceAttribute)attribute).FormatterSourceType)!;
        var formatters = source.CreateTypeFormatters().Cast<HtmlViewFormatter>().ToList();
        var html = formatters.Single(f => f.MimeType == "text/html");
        using var writer = new StringWriter();
        Assert.True(html.Format(new ParityReport("x", [new("y", 0)]), writer));
        Assert.StartsWith("<table", writer.ToString());
        Assert.False(html.Format("not a view", new StringWriter()));
    }
}

public class HtmlViewConventionTests
{
    // .NET Interactive reads [TypeFormatterSource] from the concrete class, never from an interface: without it a
    // Figure would show as a table of its properties instead of a chart.
    [Fact]
    public void Every_html_view_class_carries_the_formatter_attribute()
    {
        var views = typeof(IHtmlView).Assembly.GetTypes().Where(t => typeof(IHtmlView).IsAssignableFrom(t) && t.IsClass && !t.IsAbstract).ToList();
        Assert.Contains(typeof(Figure), views);
        foreach (var type in views)
            Assert.True(type.GetCustomAttributes(true).Any(a => a.GetType().Name == "TypeFormatterSourceAttribute"),
                $"{type.Name} implements IHtmlView but has no [TypeFormatterSource]; notebooks would not render it as HTML");
    }
}
