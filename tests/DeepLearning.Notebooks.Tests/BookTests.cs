using System.Text.RegularExpressions;
using DeepLearning.Notebooks.Book;

namespace DeepLearning.Notebooks.Tests;

/// <summary>The HTML book: a page per notebook, an index, one shared plotly.js, nothing fetched from the network.</summary>
[Collection(BookRunGroup.Name)]
public partial class BookTests(BookRun run)
{
    [Fact]
    public void Has_an_index_linking_a_page_per_notebook_and_its_executed_notebook()
    {
        string index = run.Page("index.html");
        foreach (string stem in BookRun.Notebooks)
        {
            Assert.True(File.Exists(Path.Combine(run.Out, stem + ".html")), $"{stem}.html");
            Assert.Contains($"href=\"{stem}.html\"", index, StringComparison.Ordinal);
            Assert.Contains($"href=\"notebooks/{stem}.ipynb\"", index, StringComparison.Ordinal);
        }
        Assert.Contains("4 of 5 notebooks passed", index, StringComparison.Ordinal);
        Assert.Contains("href=\"report.json\"", index, StringComparison.Ordinal);
    }

    [Fact]
    public void Pages_share_one_plotly_js_written_from_Plotly_NET()
    {
        string file = Path.Combine(run.Out, PlotlyAsset.FileName);
        Assert.Equal(PlotlyAsset.Read(), File.ReadAllText(file));
        Assert.StartsWith($"/**\n* plotly.js v{PlotlyAsset.Version}\n", File.ReadAllText(file), StringComparison.Ordinal);

        string chart = run.Page("chart.html");
        string head = chart[..chart.IndexOf("</head>", StringComparison.Ordinal)];
        Assert.Contains($"<script src=\"{PlotlyAsset.FileName}\"></script>", head, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(chart, @"Plotly\.newPlot\(.fig-"));
        Assert.DoesNotContain("data-course-plotly", chart, StringComparison.Ordinal);   // hoisted out of the page
        Assert.InRange(new FileInfo(Path.Combine(run.Out, "chart.html")).Length, 1_000, 200_000);
        Assert.DoesNotContain(PlotlyAsset.FileName, run.Page("failing.html"), StringComparison.Ordinal);   // no charts, no plotly
    }

    [Fact]
    public void No_page_loads_anything_from_the_network()
    {
        foreach (string page in Directory.GetFiles(run.Out, "*.html"))
        {
            string html = File.ReadAllText(page);
            Assert.DoesNotMatch(ExternalResource(), html);
            Assert.DoesNotContain("cdn.", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Pages_show_markdown_code_outputs_times_and_failures()
    {
        string outputs = run.Page("outputs.html");
        Assert.Contains("<h1 id=\"outputs\">Outputs</h1>", outputs, StringComparison.Ordinal);
        Assert.Contains("href=\"chart.html\"", outputs, StringComparison.Ordinal);   // links between notebooks follow the book
        Assert.Contains("<pre class=\"stream stdout\">to stdout\nsecond line\n</pre>", outputs, StringComparison.Ordinal);
        Assert.Contains("<pre class=\"stream stderr\">to stderr\n</pre>", outputs, StringComparison.Ordinal);
        Assert.Matches(@"cell 5</a> · \d+\.\d\d s", outputs);

        string failing = run.Page("failing.html");
        Assert.Contains("FAILED at cell 4", failing, StringComparison.Ordinal);
        Assert.Contains("<b>InvalidOperationException</b>: boom 1", failing, StringComparison.Ordinal);
        Assert.Contains("cell 5</a> · not run", failing, StringComparison.Ordinal);

        Assert.Contains("exercise solution filled in by the runner", run.Page("exercise.html"), StringComparison.Ordinal);
    }

    [GeneratedRegex("""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["'](https?:)?//""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalResource();
}
