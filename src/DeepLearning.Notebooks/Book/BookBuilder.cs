using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepLearning.Notebooks.Execution;
using Markdig;
using Markdig.Renderers;
using Markdig.Syntax;
using Microsoft.DotNet.Interactive.Documents;

namespace DeepLearning.Notebooks.Book;

/// <summary>What the book builder wrote, and anything that keeps a page from working offline.</summary>
internal sealed record BookResult(string Index, IReadOnlyList<string> Pages, IReadOnlyList<string> Problems);

/// <summary>
/// The static HTML book: one page per notebook (Markdown rendered, code, outputs, per-cell time and status) and an
/// index (title, objectives, run time and status of every notebook), from the executed notebooks and the run report.
/// Formulas are typeset at build time by KaTeX (<see cref="BookMath"/>); every page with charts loads one shared
/// copy of plotly.js (<see cref="PlotlyAsset"/>) from the book's folder, so the book works without network access.
/// </summary>
internal sealed partial class BookBuilder(string outDir, string? katexDir = null)
{
    /// <summary>Subfolder of the book with the executed notebooks.</summary>
    public const string ExecutedFolder = "notebooks";
    private const string CssFile = "book.css";

    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Use<BookMath.MultilineMathExtension>().Build();

    /// <summary>Removes what an earlier run wrote (and nothing else), so the book shows only this run.</summary>
    public static void Clean(string outDir)
    {
        if (!Directory.Exists(outDir)) return;
        foreach (string pattern in new[] { "*.html", "report.json", "plotly-*.min.js", OfflineHtml.RequireShimFile, CssFile })
            foreach (string file in Directory.GetFiles(outDir, pattern)) File.Delete(file);
        string executed = Path.Combine(outDir, ExecutedFolder);
        if (Directory.Exists(executed))
            foreach (string file in Directory.GetFiles(executed, "*.ipynb")) File.Delete(file);
        string katex = Path.Combine(outDir, BookMath.Folder);
        if (Directory.Exists(katex)) Directory.Delete(katex, recursive: true);
        string work = Path.Combine(outDir, ".work");
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
    }

    public BookResult Build(RunReport run, string notebooksDir)
    {
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, CssFile), Style);
        var problems = new List<string>();
        var pages = new List<(string Path, string Html)>();
        var objectives = new Dictionary<string, string>();
        var math = new BookMath(katexDir ?? BookMath.DefaultDirectory);
        bool plotly = false, require = false;
        for (int i = 0; i < run.Notebooks.Count; i++)
        {
            var report = run.Notebooks[i];
            string executed = Path.Combine(outDir, report.Executed);
            string source = report.Executed.Length > 0 && File.Exists(executed) ? executed : Path.Combine(notebooksDir, report.Name);
            var page = Page(report, NotebookExecutor.Read(source), notebooksDir, math,
                i > 0 ? run.Notebooks[i - 1] : null, i + 1 < run.Notebooks.Count ? run.Notebooks[i + 1] : null);
            plotly |= page.UsesPlotly;
            require |= page.UsesRequire;
            problems.AddRange(page.Problems.Select(p => $"{report.Page}: {p}"));
            if (page.Objectives is not null) objectives[report.Name] = page.Objectives;
            pages.Add((Path.Combine(outDir, report.Page), page.Html));
        }
        string index = Path.Combine(outDir, "index.html");
        pages.Add((index, Index(run, objectives, math)));

        // Every formula of the book in one node process, then the pages with their formulas typeset.
        problems.AddRange(math.RenderAll());
        bool anyMath = false;
        foreach (var (path, html) in pages)
        {
            var (typeset, hasMath) = math.Substitute(html);
            anyMath |= hasMath;
            File.WriteAllText(path, typeset);
        }
        if (anyMath && math.Typeset)
        {
            try { math.CopyAssets(outDir); }
            catch (IOException e) { problems.Add($"cannot copy KaTeX's stylesheet and fonts: {e.Message}"); }
        }
        if (plotly) File.WriteAllText(Path.Combine(outDir, PlotlyAsset.FileName), PlotlyAsset.Read());
        if (require) File.WriteAllText(Path.Combine(outDir, OfflineHtml.RequireShimFile), OfflineHtml.RequireShim);
        return new BookResult(index, pages.Where(p => p.Path != index).Select(p => p.Path).ToList(), problems);
    }

    private sealed record PageHtml(string Html, bool UsesPlotly, bool UsesRequire, IReadOnlyList<string> Problems, string? Objectives);

    private PageHtml Page(NotebookReport report, InteractiveDocument document, string notebooksDir, BookMath math, NotebookReport? previous, NotebookReport? next)
    {
        var body = new StringBuilder();
        var problems = new List<string>();
        bool plotly = false, require = false;
        int formulas = math.Count;
        var cells = report.Cells.ToDictionary(c => c.Number);
        string? objectives = null;

        body.Append("<nav class=\"top\"><a href=\"index.html\">Contents</a>");
        if (previous is not null) body.Append($" · <a rel=\"prev\" href=\"{Attr(previous.Page)}\" title=\"{Attr(previous.Title)}\">← {Html(Short(previous.Title))}</a>");
        if (next is not null) body.Append($" · <a rel=\"next\" href=\"{Attr(next.Page)}\" title=\"{Attr(next.Title)}\">{Html(Short(next.Title))} →</a>");
        if (report.Executed.Length > 0) body.Append($" · <a href=\"{Attr(report.Executed)}\">executed notebook</a>");
        // A notebook that passed says so in the navigation line; one that did not, in a box of its own.
        if (report.Status == Status.Ok) body.Append($" · {StatusMark(report.Status)} {StatusText(report)}");
        // Hides every code cell at once, without a script.
        body.Append(" <label class=\"toggle\"><input type=\"checkbox\" id=\"hide-code\"> hide code</label>");
        body.Append("</nav>\n");
        if (report.Status != Status.Ok)
            body.Append($"<p class=\"run {Css(report.Status)}\">{Html(report.Name)}: {StatusText(report)}</p>\n");
        if (report.Error is not null)
            body.Append($"<pre class=\"error\">{Html(report.Error)}</pre>\n");

        for (int i = 0; i < document.Elements.Count; i++)
        {
            var element = document.Elements[i];
            int number = i + 1;
            string where = $"{report.Name} cell {number}";
            if (NotebookExecutor.IsMarkdown(element))
            {
                body.Append($"<section class=\"cell markdown\" id=\"cell-{number}\">\n{RenderMarkdown(element.Contents, notebooksDir, math, where)}</section>\n");
                objectives ??= Objectives(element.Contents, notebooksDir, math, where);
                continue;
            }
            var cell = cells.GetValueOrDefault(number);
            var status = cell?.Status ?? Status.NotRun;
            // Code stays open to read, except set-up cells (nothing but #r lines and comments) that ran: they and
            // their package-loading output fold into one line.
            bool setup = IsSetup(element.Contents) && status == Status.Ok;
            body.Append($"<section class=\"cell code {Css(status)}\" id=\"cell-{number}\">\n")
                .Append(setup ? "<details class=\"source\">" : "<details class=\"source\" open>")
                .Append("<summary class=\"cell-head\">")
                .Append($"<a href=\"#cell-{number}\">cell {number}</a>")
                .Append(status == Status.NotRun ? " · not run" : $" · {cell!.Seconds:0.00} s")
                .Append(status is Status.Failed or Status.Timeout ? $" · <b>{NotebookExecutor.Mark(status).Trim()}</b>" : "")
                .Append(cell?.Solution == true ? " · <span class=\"badge\">exercise solution filled in by the runner</span>" : "")
                .Append(setup ? $" · <code>{Html(NotebookExecutor.FirstLine(element.Contents))}</code>" : "")
                .Append("</summary>")
                .Append($"<pre class=\"source\"><code>{Html(element.Contents)}</code></pre>")
                .Append(setup ? "\n" : "</details>\n");
            if (element.Outputs.Count > 0)
            {
                body.Append("<div class=\"outputs\">\n");
                foreach (var output in element.Outputs)
                {
                    string html = Output(output, notebooksDir, math, where);
                    var offline = OfflineHtml.Rewrite(html, PlotlyAsset.Version);
                    plotly |= offline.UsesPlotly;
                    require |= offline.UsesRequire;
                    problems.AddRange(offline.Problems.Select(p => $"cell {number}: {p}"));
                    body.Append("<div class=\"output\">").Append(offline.Html).Append("</div>\n");
                }
                body.Append("</div>\n");
            }
            body.Append(setup ? "</details></section>\n" : "</section>\n");
        }

        body.Append("<nav class=\"bottom\">")
            .Append(previous is not null ? $"<a rel=\"prev\" href=\"{Attr(previous.Page)}\">← {Html(previous.Title)}</a>" : "<span></span>")
            .Append("<a href=\"index.html\">Contents</a>")
            .Append(next is not null ? $"<a rel=\"next\" href=\"{Attr(next.Page)}\">{Html(next.Title)} →</a>" : "<span></span>")
            .Append("</nav>\n");

        var head = new StringBuilder(Head(report.Title, hasMath: math.Count > formulas));
        if (plotly) head.Append($"<script src=\"{PlotlyAsset.FileName}\"></script>\n");
        if (require) head.Append($"<script src=\"{OfflineHtml.RequireShimFile}\"></script>\n");
        head.Append("</head><body><main>\n");
        return new PageHtml(head.Append(body).Append("</main></body></html>\n").ToString(), plotly, require, problems, objectives);
    }

    // "06 · Regularization: fitting the data without memorizing it" → "06 · Regularization", for one navigation line.
    private static string Short(string title) => title.Split(':', 2)[0].Trim();

    private static string Head(string title, bool hasMath) =>
        $"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{Html(title)}</title>\n"
        + (hasMath ? $"<link rel=\"stylesheet\" href=\"{BookMath.Stylesheet}\">\n" : "")
        + $"<link rel=\"stylesheet\" href=\"{CssFile}\">\n";

    // A cell a reader need not read: only #r/#! directives, using directives, the seeds and thread count every notebook
    // sets, comments and blank lines (so a page opens on its lesson, not on its boilerplate).
    private static bool IsSetup(string code) =>
        code.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).All(l => l.Length == 0 || SetupPrefixes.Any(p => l.StartsWith(p, StringComparison.Ordinal)));

    private static readonly string[] SetupPrefixes =
        ["#r ", "#!", "//", "using ", "torch.set_num_threads(", "torch.manual_seed(", "var rng = new Rng("];

    /// <summary>The list after a "**Objectives**" paragraph (the course's notebooks open with one), as HTML.</summary>
    private string? Objectives(string markdown, string notebooksDir, BookMath math, string where)
    {
        var document = Markdig.Markdown.Parse(markdown, Markdown);
        for (int i = 0; i + 1 < document.Count; i++)
            if (document[i] is ParagraphBlock p && markdown.AsSpan(p.Span.Start).StartsWith("**Objectives**") && document[i + 1] is ListBlock list)
                return RenderMarkdown(markdown.Substring(list.Span.Start, list.Span.Length), notebooksDir, math, where);
        return null;
    }

    private static string Index(RunReport run, IReadOnlyDictionary<string, string> objectives, BookMath math)
    {
        var html = new StringBuilder();
        int ok = run.Notebooks.Count(n => n.Status == Status.Ok);
        const string title = "Deep Learning with C# — the executed course";
        html.Append(Head(title, hasMath: objectives.Values.Any(BookMath.HasFormulas))).Append("</head><body><main class=\"index\">\n")
            .Append($"<h1>{title}</h1>\n")
            .Append($"<p class=\"run {(run.Passed ? "ok" : "failed")}\">{ok} of {run.Notebooks.Count} notebooks passed; run started {run.Started:yyyy-MM-dd HH:mm}, took {Summary.Time(run.Seconds)}")
            .Append(run.Solutions ? ", with the exercise solutions filled in" : ", exercises as learners get them")
            .Append(". Machine-readable: <a href=\"report.json\">report.json</a>.</p>\n")
            .Append("<table class=\"contents\">\n<thead><tr><th>notebook</th><th>what you will learn</th><th>run time</th><th>status</th></tr></thead>\n<tbody>\n");
        foreach (var n in run.Notebooks)
        {
            var slowest = n.Cells.Where(c => c.Status != Status.NotRun).MaxBy(c => c.Seconds);
            html.Append($"<tr class=\"{Css(n.Status)}\"><td class=\"title\"><a href=\"{Attr(n.Page)}\">{Html(n.Title)}</a>")
                .Append($"<br><small>{Html(n.Name)}{(n.Executed.Length > 0 ? $" · <a href=\"{Attr(n.Executed)}\">executed .ipynb</a>" : "")}</small></td>")
                .Append($"<td class=\"objectives\">{objectives.GetValueOrDefault(n.Name, "")}</td>")
                .Append($"<td class=\"time\">{Summary.Time(n.Seconds)}")
                .Append(slowest is null ? "" : $"<br><small>slowest: <a href=\"{Attr(n.Page)}#cell-{slowest.Number}\">cell {slowest.Number}</a>, {slowest.Seconds:0.0} s</small>")
                .Append($"</td><td class=\"status\">{StatusMark(n.Status)} {Html(StatusText(n))}</td></tr>\n");
        }
        html.Append("</tbody></table>\n");
        foreach (var n in run.Notebooks.Where(n => n.Error is not null))
            html.Append($"<pre class=\"error\">{Html(n.Error!)}</pre>\n");
        return html.Append("</main></body></html>\n").ToString();
    }

    // Marks every font has (DejaVu too), unlike the emoji ✅/❌.
    private static string StatusMark(Status status) => status switch
    {
        Status.Ok => "<span class=\"check pass\">✔</span>",
        Status.NotRun => "<span class=\"check\">–</span>",
        _ => "<span class=\"check fail\">✘</span>",
    };

    private static string StatusText(NotebookReport n) => n.Status switch
    {
        Status.Ok => $"ran {n.Cells.Count} code cells in {Summary.Time(n.Seconds)}",
        Status.NotRun => "not run",
        _ when n.Culprit is { } c => $"{NotebookExecutor.Mark(n.Status).Trim()} at cell {c.Number} after {Summary.Time(n.Seconds)}",
        _ => $"{NotebookExecutor.Mark(n.Status).Trim()} after {Summary.Time(n.Seconds)}",
    };

    // One output as HTML: the richest representation a notebook front end would pick.
    private string Output(InteractiveDocumentOutputElement output, string notebooksDir, BookMath math, string where) => output switch
    {
        TextElement t => $"<pre class=\"stream {Attr(t.Name)}\">{Stream(t.Text)}</pre>",
        ErrorElement e => $"<pre class=\"error\"><b>{Html(e.ErrorName)}</b>: {Html(e.ErrorValue)}</pre>"
                          + (e.StackTrace.Length > 0 ? $"<details><summary>stack trace</summary><pre class=\"error\">{Html(string.Join("\n", e.StackTrace))}</pre></details>" : ""),
        DisplayElement d => Data(d.Data, notebooksDir, math, where),
        ReturnValueElement r => Data(r.Data, notebooksDir, math, where),
        _ => "",
    };

    // Printed text, with the course's check lines (✔ claims, ✅/❌ exercises) marked so they stand out.
    private static string Stream(string text) =>
        CheckLine().Replace(Html(text), m => $"<span class=\"check {(m.Groups["mark"].Value is "✔" or "✅" ? "pass" : "fail")}\">{m.Value}</span>");

    private string Data(IDictionary<string, object> data, string notebooksDir, BookMath math, string where)
    {
        string? Get(string mime) => data.TryGetValue(mime, out var value) ? Text(value) : null;
        if (Get("text/html") is { } html) return html;
        if (Get("image/svg+xml") is { } svg) return svg;
        foreach (string image in new[] { "image/png", "image/jpeg", "image/gif" })
            if (Get(image) is { } base64) return $"<img src=\"data:{image};base64,{Attr(base64.Trim())}\" alt=\"\">";
        if (Get("text/markdown") is { } md) return RenderMarkdown(md, notebooksDir, math, where);
        if (Get("text/plain") is { } text) return $"<pre class=\"plain\">{Stream(text)}</pre>";
        return data.Count == 0 ? "" : $"<pre class=\"plain\">{Html(Text(data.First().Value))}</pre>";
    }

    // nbformat stores text either as one string or as a list of lines.
    private static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString() ?? "",
        JsonElement { ValueKind: JsonValueKind.Array } e => string.Concat(e.EnumerateArray().Select(x => x.ToString())),
        IEnumerable<object> lines => string.Concat(lines.Select(Text)),
        _ => value.ToString() ?? "",
    };

    /// <summary>Markdown as HTML, its formulas as placeholders for <paramref name="math"/>.</summary>
    private string RenderMarkdown(string markdown, string notebooksDir, BookMath math, string where)
    {
        var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Markdown.Setup(renderer);
        math.Setup(renderer, where);
        renderer.Render(Markdig.Markdown.Parse(markdown, Markdown));
        writer.Flush();
        string html = writer.ToString();
        html = NotebookLink().Replace(html, "href=\"${page}.html${anchor}\"");
        foreach (Match m in LocalImage().Matches(html))
        {
            // Images next to the notebooks (never outside their folder) are copied beside the pages.
            string relative = m.Groups["src"].Value;
            string from = Path.GetFullPath(Path.Combine(notebooksDir, relative)), to = Path.GetFullPath(Path.Combine(outDir, relative));
            if (!relative.Contains("..", StringComparison.Ordinal) && File.Exists(from) && to.StartsWith(Path.GetFullPath(outDir), StringComparison.Ordinal))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(from, to, overwrite: true);
            }
        }
        return html;
    }

    private static string Css(Status status) => status switch
    {
        Status.Ok => "ok",
        Status.NotRun => "not-run",
        Status.Timeout => "timeout",
        _ => "failed",
    };

    private static string Html(string text) => WebUtility.HtmlEncode(text);
    private static string Attr(string text) => WebUtility.HtmlEncode(text);

    [GeneratedRegex(@"^[ \t]*(?<mark>✔|✅|❌|✗)[^\n]*", RegexOptions.Multiline)]
    private static partial Regex CheckLine();

    [GeneratedRegex(@"href=""(?!https?:|//)(?<page>[^""#:]+)\.ipynb(?<anchor>#[^""]*)?""")]
    private static partial Regex NotebookLink();

    [GeneratedRegex(@"<img\b[^>]*\bsrc=""(?!https?:|//|data:)(?<src>[^""]+)""")]
    private static partial Regex LocalImage();

    private const string Style = """
        body { margin: 0; background: #f4f5f7; color: #1d1d1f; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        main { position: relative; max-width: 980px; margin: 0 auto; padding: 1.3rem 2.5rem 3rem; background: #fff; min-height: 100vh; box-shadow: 0 0 12px rgba(0,0,0,.06); }
        nav { font-size: 0.9rem; }
        nav.top { margin-bottom: 0.5rem; color: #6e7781; }
        nav.bottom { display: flex; justify-content: space-between; gap: 1rem; margin-top: 3rem; padding-top: 1rem; border-top: 1px solid #e3e3e3; }
        .toggle { position: absolute; top: 0.15rem; right: 2.5rem; font-size: 0.78rem; cursor: pointer; user-select: none; }
        .toggle input { vertical-align: -0.15em; margin: 0 0.2rem 0 0; }
        a { color: #0b5cad; }
        h1, h2, h3 { line-height: 1.25; }
        h1 { margin: 0.4rem 0 0.8rem; }
        h2 { margin-top: 1.5rem; padding-bottom: 0.2rem; border-bottom: 1px solid #eaecef; }
        p code, li code, td code { background: #f3f4f6; border-radius: 4px; padding: 0.05em 0.3em; font-size: 0.88em; }
        table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.92rem; }
        th, td { border-bottom: 1px solid #e3e3e3; padding: 0.35rem 0.7rem; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; font-weight: 600; }
        tbody tr:nth-child(even) td { background: #fbfbfc; }
        tr.failed td, tr.timeout td { background: #fff1f0 !important; }
        .run { padding: 0.5rem 0.8rem; border-radius: 6px; background: #eef7ee; font-size: 0.92rem; }
        .run.failed, .run.timeout { background: #fff1f0; }
        .run.not-run { background: #f3f3f3; }
        /* The index: one row per notebook, its objectives beside it. */
        table.contents { width: 100%; }
        table.contents td.title { min-width: 11rem; font-weight: 600; }
        table.contents td.title small { font-weight: normal; color: #6e7781; }
        table.contents td.objectives ul { margin: 0; padding-left: 1.1rem; font-size: 0.88rem; }
        table.contents td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
        table.contents td.status { font-size: 0.9rem; min-width: 10rem; }
        table.contents td.objectives { width: 50%; }
        .cell { margin: 0.8rem 0; }
        .cell.code { border-left: 3px solid #d0d7de; padding-left: 0.8rem; }
        .cell.code.ok { border-left-color: #9bd0a5; }
        .cell.code.failed, .cell.code.timeout { border-left-color: #d1242f; }
        .cell.code.not-run { opacity: 0.6; }
        .cell-head { font-size: 0.78rem; color: #6e7781; cursor: pointer; }
        .cell-head a { color: inherit; text-decoration: none; }
        .cell-head code { font-size: 0.95em; }
        body:has(#hide-code:checked) details.source { display: none; }
        .badge { background: #fff8c5; border-radius: 4px; padding: 0 0.3rem; }
        pre { overflow-x: auto; padding: 0.5rem 0.8rem; border-radius: 6px; font: 0.84rem/1.45 ui-monospace, "Cascadia Code", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
        pre.source, .markdown pre { background: #f6f8fa; margin: 0.2rem 0; }
        pre.source { max-height: 32rem; }
        .outputs { margin-top: 0.3rem; }
        .output { margin: 0.3rem 0; overflow-x: auto; overflow-y: hidden; }
        .output table { font-variant-numeric: tabular-nums; }
        /* A figure's div grows to the height plotly.js draws (a layout height may exceed the div's own). */
        .course-figure { height: auto !important; min-height: 420px; }
        pre.stream, pre.plain { background: none; padding: 0.2rem 0; margin: 0; white-space: pre-wrap; }
        pre.stream.stderr { color: #9a6700; }
        .check.pass { color: #116329; }
        .check.fail { color: #a40e26; font-weight: 600; }
        pre.error { background: #fff1f0; color: #82071e; white-space: pre-wrap; }
        .katex { font-size: 1.08em; }
        .katex-display { overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0; }
        .math-error { font-family: ui-monospace, monospace;  color: #a40e26; background: #fff1f0; }
        """;
}
