using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepLearning.Notebooks.Kernel;

/// <summary>
/// Plotly.NET.Interactive formats a chart as a script that fetches require.js and plotly.js from CDNs, so executed
/// notebooks and the book would be blank offline. After its extension loads, the runner registers a later (and so
/// winning) HTML formatter for Plotly.NET's <c>GenericChart</c> that writes the same fragment as the course's
/// <c>Figure</c>: plotly.js inlined once per kernel (from Plotly.NET's embedded resource, tagged
/// <c>data-course-plotly</c> so the book can hoist it) and each chart drawn as soon as plotly.js is present.
/// Plotly.NET is reached by reflection: it is the copy the kernel loaded for the notebook, not one of the runner's.
/// </summary>
internal static class OfflineCharts
{
    private static int _plotlyEmitted;

    public static void OnExtensionLoaded(IKernelExtension extension, CompositeKernel kernel)
    {
        var extensionAssembly = extension.GetType().Assembly;
        if (extensionAssembly.GetName().Name != "Plotly.NET.Interactive") return;
        foreach (var plotly in PlotlyAssemblies(extensionAssembly))
            Register(plotly);
    }

    // The Plotly.NET the extension is bound to, plus any other copy already loaded (registering each is harmless).
    private static IEnumerable<Assembly> PlotlyAssemblies(Assembly extensionAssembly)
    {
        var found = new HashSet<Assembly>();
        var reference = extensionAssembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == "Plotly.NET");
        if (reference is not null && AssemblyLoadContext.GetLoadContext(extensionAssembly) is { } context)
            found.Add(context.LoadFromAssemblyName(reference));
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "Plotly.NET"))
            found.Add(assembly);
        return found;
    }

    private static void Register(Assembly plotly)
    {
        var chartType = plotly.GetType("Plotly.NET.GenericChart", throwOnError: true)!;
        var toJson = chartType.GetMethod("toJson", BindingFlags.Public | BindingFlags.Static, [chartType])
            ?? throw new MissingMethodException("Plotly.NET.GenericChart", "toJson");
        // Plotly.NET embeds one bundle, "Plotly.NET.plotly-<version>.min.js".
        string resource = plotly.GetManifestResourceNames()
            .Single(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal));
        string version = resource["Plotly.NET.plotly-".Length..^".min.js".Length];

        Formatter.Register(chartType, (chart, writer) =>
        {
            string json = (string)toJson.Invoke(null, [chart])!;
            string? plotlyJs = Interlocked.Exchange(ref _plotlyEmitted, 1) == 0 ? ReadPlotlyJs(plotly, resource) : null;
            writer.Write(ChartHtml.Fragment(json, version, plotlyJs));
        }, HtmlFormatter.MimeType);
    }

    private static string ReadPlotlyJs(Assembly plotly, string resource)
    {
        using var stream = plotly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>The HTML shape of a chart in this course (the same as <c>DeepLearning.Course.Figure.ToHtml</c>).</summary>
internal static class ChartHtml
{
    /// <summary>
    /// A div and a script drawing Plotly JSON (<c>{data, layout, config}</c>) into it once plotly.js is present;
    /// with <paramref name="plotlyJs"/>, plotly.js itself comes first, in a script tagged <c>data-course-plotly</c>.
    /// </summary>
    public static string Fragment(string plotlyJson, string version, string? plotlyJs)
    {
        var figure = JsonNode.Parse(plotlyJson)!.AsObject();
        int height = figure["layout"]?["height"]?.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? (int)figure["layout"]!["height"]!.GetValue<double>()
            : 420;
        string id = "fig-" + Guid.NewGuid().ToString("N")[..12];
        var html = new System.Text.StringBuilder();
        if (plotlyJs is not null)
            html.Append("<script type=\"text/javascript\" data-course-plotly=\"").Append(version).Append("\">")
                .Append(plotlyJs)
                .Append("\n;(window.__coursePlotlyQueue||[]).splice(0).forEach(function(f){f();});</script>\n");
        html.Append("<div id=\"").Append(id).Append("\" class=\"course-figure\" style=\"width:100%;height:").Append(height).Append("px;\"></div>\n")
            .Append("<script type=\"text/javascript\">(function(){var draw=function(){Plotly.newPlot('").Append(id).Append("',")
            .Append(Script(figure["data"], "[]")).Append(',')
            .Append(Script(figure["layout"], "{}")).Append(',')
            .Append(Script(figure["config"], "{}"))
            .Append(");};if(window.Plotly){draw();}else{(window.__coursePlotlyQueue=window.__coursePlotlyQueue||[]).push(draw);}})();</script>");
        return html.ToString();
    }

    // JSON inside a <script>: "</" would end the script element early.
    private static string Script(JsonNode? node, string empty) => node?.ToJsonString().Replace("</", "<\\/", StringComparison.Ordinal) ?? empty;
}
