using System.Text;
using System.Text.Json.Nodes;
using Plotly.NET;

namespace DeepLearning.Course;

/// <summary>
/// A chart the course shows: a Plotly.NET <see cref="GenericChart"/> that renders offline. In a notebook it displays
/// as the cell's result (see <see cref="IHtmlView"/>); the first figure of a session carries plotly.js itself (from
/// Plotly.NET's assembly, no CDN) and later ones reuse it.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed class Figure : IHtmlView
{
    private static int _plotlyEmitted;  // plotly.js is ~3.5 MB: send it once per kernel session

    /// <summary>Wraps a Plotly.NET chart.</summary>
    public Figure(GenericChart chart, string title, int height = 420)
    {
        ArgumentNullException.ThrowIfNull(chart);
        Chart = chart;
        Title = title;
        Height = height;
    }

    /// <summary>The Plotly.NET chart (for learners who want to restyle it).</summary>
    public GenericChart Chart { get; }

    /// <summary>What the figure shows; also its HTML title.</summary>
    public string Title { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    // Plotly.NET embeds exactly one bundle, "Plotly.NET.plotly-<version>.min.js" (2.28.0 in Plotly.NET 6.0.0); reading
    // the name keeps the course right when the pin moves.
    private static readonly Lazy<string> PlotlyResource = new(() => typeof(GenericChart).Assembly.GetManifestResourceNames()
        .SingleOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
        ?? throw new InvalidOperationException($"Plotly.NET {typeof(GenericChart).Assembly.GetName().Version} embeds no plotly-<version>.min.js."));

    /// <summary>The plotly.js version Plotly.NET embeds.</summary>
    public static string PlotlyJsVersion => PlotlyResource.Value["Plotly.NET.plotly-".Length..^".min.js".Length];

    /// <summary>Data, layout and config as Plotly JSON (what tests inspect).</summary>
    public JsonObject Json => JsonNode.Parse(GenericChart.toJson(Chart))!.AsObject();

    /// <summary>The traces (Plotly's "data" array).</summary>
    public JsonArray Traces => Json["data"]!.AsArray();

    /// <summary>plotly.js itself, read from Plotly.NET's embedded resource.</summary>
    public static string PlotlyJs()
    {
        using var stream = typeof(GenericChart).Assembly.GetManifestResourceStream(PlotlyResource.Value)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The chart as an HTML fragment. plotly.js is inlined the first time in this process (or always, with
    /// <paramref name="includePlotlyJs"/>); the drawing waits until plotly.js is present, so fragments can arrive
    /// in any order. The inline script is tagged <c>data-course-plotly</c> so the book builder can hoist it.
    /// </summary>
    public string ToHtml(bool? includePlotlyJs = null)
    {
        bool include = includePlotlyJs ?? Interlocked.Exchange(ref _plotlyEmitted, 1) == 0;
        var json = Json;
        // The div and the drawing must agree on the height, or the chart overflows its cell.
        var layout = json["layout"] as JsonObject ?? [];
        int height = layout["height"] is JsonValue h && h.TryGetValue(out double d) ? (int)d : Height;
        layout["height"] = height;
        json["layout"] = layout.DeepClone();
        string id = "fig-" + Guid.NewGuid().ToString("N")[..12];
        var html = new StringBuilder();
        if (include)
            html.Append("<script type=\"text/javascript\" data-course-plotly=\"").Append(PlotlyJsVersion).Append("\">")
                .Append(PlotlyJs())
                .Append("\n;(window.__coursePlotlyQueue||[]).splice(0).forEach(function(f){f();});</script>\n");
        html.Append("<div id=\"").Append(id).Append("\" class=\"course-figure\" style=\"width:100%;height:").Append(height).Append("px;\"></div>\n")
            .Append("<script type=\"text/javascript\">(function(){var draw=function(){Plotly.newPlot('").Append(id).Append("',")
            .Append(json["data"]?.ToJsonString() ?? "[]").Append(',')
            .Append(json["layout"]?.ToJsonString() ?? "{}").Append(',')
            .Append(json["config"]?.ToJsonString() ?? "{}")
            .Append(");};if(window.Plotly){draw();}else{(window.__coursePlotlyQueue=window.__coursePlotlyQueue||[]).push(draw);}})();</script>");
        return html.ToString();
    }

    string IHtmlView.ToHtml() => ToHtml();

    /// <summary>A whole offline HTML page with this figure (plotly.js inlined).</summary>
    public string ToHtmlPage() =>
        $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{System.Net.WebUtility.HtmlEncode(Title)}</title></head><body>\n{ToHtml(includePlotlyJs: true)}\n</body></html>\n";

    /// <summary>Writes <see cref="ToHtmlPage"/> to <paramref name="path"/>.</summary>
    public void SaveHtml(string path) => File.WriteAllText(path, ToHtmlPage());

    /// <inheritdoc/>
    public override string ToString() => $"Figure: {Title} ({Traces.Count} traces)";
}
