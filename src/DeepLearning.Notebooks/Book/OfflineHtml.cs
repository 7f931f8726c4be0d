using System.Text.RegularExpressions;

namespace DeepLearning.Notebooks.Book;

/// <summary>plotly.js as Plotly.NET embeds it: the one copy every page of the book shares.</summary>
internal static class PlotlyAsset
{
    private static readonly System.Reflection.Assembly Plotly = typeof(Plotly.NET.GenericChart).Assembly;

    // Plotly.NET embeds exactly one bundle, "Plotly.NET.plotly-<version>.min.js".
    private static readonly string Resource = Plotly.GetManifestResourceNames()
        .Single(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal));

    /// <summary>The plotly.js version Plotly.NET embeds (2.27.1 for Plotly.NET 5.x).</summary>
    public static string Version { get; } = Resource["Plotly.NET.plotly-".Length..^".min.js".Length];

    public static string FileName => $"plotly-{Version}.min.js";

    /// <summary>The minified bundle from Plotly.NET's embedded resource (as the course's <c>Figure.PlotlyJs()</c>).</summary>
    public static string Read()
    {
        using var stream = Plotly.GetManifestResourceStream(Resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>
/// Makes a notebook output's HTML work offline on a book page whose head loads the shared plotly.js: drops inline
/// copies of plotly.js (the course's <c>data-course-plotly</c> script and Plotly.NET's full embeds), drops CDN
/// script tags, and points require.js-style loaders (Plotly.NET.Interactive's own formatter) at local files.
/// </summary>
internal static partial class OfflineHtml
{
    /// <summary>The rewritten HTML; whether it needs plotly.js or the require.js stand-in; what is still external.</summary>
    internal sealed record Result(string Html, bool UsesPlotly, bool UsesRequire, IReadOnlyList<string> Problems);

    public const string RequireShimFile = "require-shim.js";

    /// <summary>A minimal require.js for Plotly.NET.Interactive's chart scripts: every module asked for is plotly.js.</summary>
    public const string RequireShim = """
        // Stand-in for require.js so that charts formatted by Plotly.NET.Interactive draw offline: the book's pages load
        // plotly.js in their head, and every module a chart asks for is that plotly.js.
        (function () {
          function req(deps, callback) {
            if (typeof callback === 'function') callback.apply(null, (deps || []).map(function () { return window.Plotly; }));
          }
          req.config = function () { return req; };
          window.requirejs = window.requirejs || req;
          window.require = window.require || req;
        })();
        """;

    public static Result Rewrite(string html, string plotlyVersion)
    {
        var problems = new List<string>();
        bool removed = false;
        html = CoursePlotly().Replace(html, m =>
        {
            removed = true;
            if (m.Groups["v"].Value != plotlyVersion)
                problems.Add($"a chart was made with plotly.js {m.Groups["v"].Value}, the book ships {plotlyVersion}");
            return "";
        });
        html = InlineScript().Replace(html, m =>
        {
            var body = m.Groups["body"].ValueSpan;
            bool bundle = body.Length > 100_000 && body[..Math.Min(400, body.Length)].Contains("plotly.js v", StringComparison.Ordinal);
            removed |= bundle;
            return bundle ? "" : m.Value;
        });
        html = CdnScript().Replace(html, _ => { removed = true; return ""; });
        html = CdnPlotly().Replace(html, $"plotly-{plotlyVersion}.min");
        bool usesRequire = false;
        html = CdnRequire().Replace(html, _ => { usesRequire = true; return RequireShimFile; });
        usesRequire |= html.Contains("requirejs", StringComparison.Ordinal);
        bool usesPlotly = removed || usesRequire || html.Contains("Plotly.", StringComparison.Ordinal);

        foreach (Match m in External().Matches(html))
            problems.Add($"an output still loads {m.Groups["url"].Value}");
        return new Result(html, usesPlotly, usesRequire, problems);
    }

    [GeneratedRegex("""<script\b[^>]*\bdata-course-plotly="(?<v>[^"]*)"[^>]*>.*?</script>\s*""", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex CoursePlotly();

    [GeneratedRegex("""<script\b(?![^>]*\bsrc\s*=)[^>]*>(?<body>.*?)</script>\s*""", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("""<script\b[^>]*\bsrc\s*=\s*["'](https?:)?//cdn\.plot\.ly/[^"']*["'][^>]*>\s*</script>\s*""", RegexOptions.IgnoreCase)]
    private static partial Regex CdnScript();

    [GeneratedRegex("""(https?:)?//cdn\.plot\.ly/plotly-[0-9.]+\.min""", RegexOptions.IgnoreCase)]
    private static partial Regex CdnPlotly();

    [GeneratedRegex("""(https?:)?//cdnjs\.cloudflare\.com/ajax/libs/require\.js/[^"']+""", RegexOptions.IgnoreCase)]
    private static partial Regex CdnRequire();

    [GeneratedRegex("""<(script|link|iframe)\b[^>]*\b(src|href)\s*=\s*["'](?<url>(https?:)?//[^"']+)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex External();
}
