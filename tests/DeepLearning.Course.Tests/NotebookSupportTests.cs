using Plotly.NET;

namespace DeepLearning.Course.Tests;

public class NotebookSupportTests
{
    [Fact]
    public void Claim_prints_when_it_holds_and_throws_when_it_does_not()
    {
        Claim.That("2 > 1", 2 > 1, "2 vs 1");
        var ex = Assert.Throws<ClaimFailedException>(() => Claim.That("1 > 2", false, "1 vs 2"));
        Assert.Contains("1 > 2", ex.Message);
        Assert.Contains("1 vs 2", ex.Message);
    }

    [Fact]
    public void Exercise_check_reports_and_throws_only_headless()
    {
        string? before = Environment.GetEnvironmentVariable("COURSE_HEADLESS");
        try
        {
            Environment.SetEnvironmentVariable("COURSE_HEADLESS", null);
            Assert.True(Exercise.Check("t1", true, "hint"));
            Assert.False(Exercise.Check("t2", false, "hint"));
            Environment.SetEnvironmentVariable("COURSE_HEADLESS", "1");
            var ex = Assert.Throws<ExerciseFailedException>(() => Exercise.CheckClose("t3", 1.0, 2.0, 0.1, "try harder"));
            Assert.Contains("try harder", ex.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("COURSE_HEADLESS", before);
        }
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
