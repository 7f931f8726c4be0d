using DeepLearning.Notebooks.Book;
using DeepLearning.Notebooks.Kernel;
using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;

namespace DeepLearning.Notebooks.Tests;

/// <summary>Chart HTML from every source becomes offline HTML that uses the book's shared plotly.js.</summary>
public class OfflineHtmlTests
{
    // A fresh chart each time: Plotly.NET's With* functions change a chart in place.
    private static GenericChart Squares => Chart.Line<int, int, string>([1, 2, 3], [1, 4, 9]);
    private static readonly string Version = PlotlyAsset.Version;

    [Fact]
    public void The_book_ships_the_plotly_js_the_course_pins()
    {
        Assert.Equal("2.28.0", Version);   // the bundle Plotly.NET 6.0.0 embeds
        Assert.Equal("plotly-2.28.0.min.js", PlotlyAsset.FileName);
        Assert.True(PlotlyAsset.Read().Length > 3_000_000);
    }

    [Fact]
    public void The_course_figure_fragment_loses_its_inline_plotly_js_and_keeps_its_drawing()
    {
        string fragment = ChartHtml.Fragment(GenericChart.toJson(Squares), Version, PlotlyAsset.Read());
        var offline = OfflineHtml.Rewrite(fragment, Version);
        Assert.True(offline.UsesPlotly);
        Assert.False(offline.UsesRequire);
        Assert.Empty(offline.Problems);
        Assert.DoesNotContain("data-course-plotly", offline.Html, StringComparison.Ordinal);
        Assert.True(offline.Html.Length < 20_000, $"{offline.Html.Length} characters left");
        Assert.Contains("Plotly.newPlot('fig-", offline.Html, StringComparison.Ordinal);
        Assert.StartsWith("<div id=\"fig-", offline.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Plotly_NET_page_with_plotly_js_inlined_loses_the_bundle()
    {
        var full = WithPlotlyReference(Squares, PlotlyJSReference.Full);
        string html = GenericChart.toEmbeddedHTML(full);
        Assert.True(html.Length > 3_000_000);
        var offline = OfflineHtml.Rewrite(html, Version);
        Assert.True(offline.Html.Length < 20_000, $"{offline.Html.Length} characters left");
        Assert.True(offline.UsesPlotly);
        Assert.Contains("Plotly.newPlot(", offline.Html, StringComparison.Ordinal);
        Assert.Empty(offline.Problems);
    }

    [Fact]
    public void A_CDN_script_tag_is_dropped_for_the_local_copy()
    {
        string html = GenericChart.toEmbeddedHTML(Squares);   // Plotly.NET's default: <script src="https://cdn.plot.ly/plotly-2.28.0.min.js">
        Assert.Contains($"https://cdn.plot.ly/plotly-{Version}.min.js", html, StringComparison.Ordinal);
        var offline = OfflineHtml.Rewrite(html, Version);
        Assert.DoesNotContain("cdn.plot.ly", offline.Html, StringComparison.Ordinal);
        Assert.True(offline.UsesPlotly);
        Assert.Empty(offline.Problems);
    }

    [Fact]
    public void Plotly_NET_Interactive_require_js_charts_load_local_files()
    {
        // What Plotly.NET.Interactive's own formatter writes: require.js and plotly.js, both from CDNs.
        var require = WithPlotlyReference(Squares, PlotlyJSReference.NewRequire($"https://cdn.plot.ly/plotly-{Version}.min"));
        string html = GenericChart.toChartHTML(require);
        Assert.Contains("cdnjs.cloudflare.com", html, StringComparison.Ordinal);

        var offline = OfflineHtml.Rewrite(html, Version);
        Assert.True(offline.UsesRequire);
        Assert.True(offline.UsesPlotly);
        Assert.DoesNotContain("cdn", offline.Html, StringComparison.Ordinal);
        Assert.Contains($"plotly-{Version}.min", offline.Html, StringComparison.Ordinal);
        Assert.Contains(OfflineHtml.RequireShimFile, offline.Html, StringComparison.Ordinal);
        Assert.Empty(offline.Problems);
    }

    [Fact]
    public void Anything_else_loaded_from_the_network_is_reported()
    {
        var offline = OfflineHtml.Rewrite("<p>x</p><script src=\"https://example.com/lib.js\"></script>", Version);
        Assert.Equal("an output still loads https://example.com/lib.js", Assert.Single(offline.Problems));
        Assert.False(offline.UsesPlotly);

        var old = OfflineHtml.Rewrite("<script data-course-plotly=\"1.58.5\">/* old */</script><div></div>", Version);
        Assert.Equal($"a chart was made with plotly.js 1.58.5, the book ships {Version}", Assert.Single(old.Problems));
    }

    [Fact]
    public void Plain_html_is_left_alone()
    {
        const string html = "<table><tr><td>1</td></tr></table><script>console.log('hi')</script>";
        var offline = OfflineHtml.Rewrite(html, Version);
        Assert.Equal(html, offline.Html);
        Assert.False(offline.UsesPlotly);
        Assert.Empty(offline.Problems);
    }

    // Plotly.NET 6 offers display options to C# only as curried F# functions.
    private static GenericChart WithPlotlyReference(GenericChart chart, PlotlyJSReference reference) =>
        Plotly.NET.Chart.withDisplayOptions(DisplayOptions.setPlotlyReference(reference).Invoke(new DisplayOptions())).Invoke(chart);
}
