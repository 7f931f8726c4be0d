using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepLearning.Notebooks.Execution;
using Markdig;
using Microsoft.DotNet.Interactive.Documents;

namespace DeepLearning.Notebooks.Book;

/// <summary>What the book builder wrote, and anything that keeps a page from working offline.</summary>
internal sealed record BookResult(string Index, IReadOnlyList<string> Pages, IReadOnlyList<string> Problems);

/// <summary>
/// The static HTML book: one page per notebook (Markdown rendered, code, outputs, per-cell time and status) and an
/// index, from the executed notebooks and the run report. Every page loads one shared copy of plotly.js
/// (<see cref="PlotlyAsset"/>) from the book's folder, so charts render without network access.
/// </summary>
internal sealed partial class BookBuilder(string outDir)
{
    /// <summary>Subfolder of the book with the executed notebooks.</summary>
    public const string ExecutedFolder = "notebooks";
    private const string CssFile = "book.css";

    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    /// <summary>Removes what an earlier run wrote (and nothing else), so the book shows only this run.</summary>
    public static void Clean(string outDir)
    {
        if (!Directory.Exists(outDir)) return;
        foreach (string pattern in new[] { "*.html", "report.json", "plotly-*.min.js", OfflineHtml.RequireShimFile, CssFile })
            foreach (string file in Directory.GetFiles(outDir, pattern)) File.Delete(file);
        string executed = Path.Combine(outDir, ExecutedFolder);
        if (Directory.Exists(executed))
            foreach (string file in Directory.GetFiles(executed, "*.ipynb")) File.Delete(file);
        string work = Path.Combine(outDir, ".work");
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
    }

    public BookResult Build(RunReport run, string notebooksDir)
    {
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, CssFile), Style);
        var problems = new List<string>();
        var pages = new List<string>();
        bool plotly = false, require = false;
        for (int i = 0; i < run.Notebooks.Count; i++)
        {
            var report = run.Notebooks[i];
            string executed = Path.Combine(outDir, report.Executed);
            string source = report.Executed.Length > 0 && File.Exists(executed) ? executed : Path.Combine(notebooksDir, report.Name);
            var page = Page(report, NotebookExecutor.Read(source), notebooksDir,
                i > 0 ? run.Notebooks[i - 1] : null, i + 1 < run.Notebooks.Count ? run.Notebooks[i + 1] : null);
            plotly |= page.UsesPlotly;
            require |= page.UsesRequire;
            problems.AddRange(page.Problems.Select(p => $"{report.Page}: {p}"));
            string path = Path.Combine(outDir, report.Page);
            File.WriteAllText(path, page.Html);
            pages.Add(path);
        }
        if (plotly) File.WriteAllText(Path.Combine(outDir, PlotlyAsset.FileName), PlotlyAsset.Read());
        if (require) File.WriteAllText(Path.Combine(outDir, OfflineHtml.RequireShimFile), OfflineHtml.RequireShim);
        string index = Path.Combine(outDir, "index.html");
        File.WriteAllText(index, Index(run));
        return new BookResult(index, pages, problems);
    }

    private sealed record PageHtml(string Html, bool UsesPlotly, bool UsesRequire, IReadOnlyList<string> Problems);

    private PageHtml Page(NotebookReport report, InteractiveDocument document, string notebooksDir, NotebookReport? previous, NotebookReport? next)
    {
        var body = new StringBuilder();
        var problems = new List<string>();
        bool plotly = false, require = false;
        var cells = report.Cells.ToDictionary(c => c.Number);

        body.Append("<nav><a href=\"index.html\">Contents</a>");
        if (previous is not null) body.Append($" · <a href=\"{Attr(previous.Page)}\">← {Html(previous.Title)}</a>");
        if (next is not null) body.Append($" · <a href=\"{Attr(next.Page)}\">{Html(next.Title)} →</a>");
        if (report.Executed.Length > 0) body.Append($" · <a href=\"{Attr(report.Executed)}\">executed notebook</a>");
        body.Append("</nav>\n");
        body.Append($"<p class=\"run {Css(report.Status)}\">{Html(report.Name)}: {StatusText(report)}</p>\n");
        if (report.Error is not null)
            body.Append($"<pre class=\"error\">{Html(report.Error)}</pre>\n");

        for (int i = 0; i < document.Elements.Count; i++)
        {
            var element = document.Elements[i];
            int number = i + 1;
            if (NotebookExecutor.IsMarkdown(element))
            {
                body.Append($"<section class=\"cell markdown\" id=\"cell-{number}\">\n{RenderMarkdown(element.Contents, notebooksDir)}</section>\n");
                continue;
            }
            var cell = cells.GetValueOrDefault(number);
            var status = cell?.Status ?? Status.NotRun;
            body.Append($"<section class=\"cell code {Css(status)}\" id=\"cell-{number}\">\n<div class=\"cell-head\">")
                .Append($"<a href=\"#cell-{number}\">cell {number}</a>")
                .Append(status == Status.NotRun ? " · not run" : $" · {cell!.Seconds:0.00} s")
                .Append(status is Status.Failed or Status.Timeout ? $" · <b>{NotebookExecutor.Mark(status).Trim()}</b>" : "")
                .Append(cell?.Solution == true ? " · <span class=\"badge\">exercise solution filled in by the runner</span>" : "")
                .Append("</div>\n")
                .Append($"<pre class=\"source\"><code>{Html(element.Contents)}</code></pre>\n");
            if (element.Outputs.Count > 0)
            {
                body.Append("<div class=\"outputs\">\n");
                foreach (var output in element.Outputs)
                {
                    string html = Output(output, notebooksDir);
                    var offline = OfflineHtml.Rewrite(html, PlotlyAsset.Version);
                    plotly |= offline.UsesPlotly;
                    require |= offline.UsesRequire;
                    problems.AddRange(offline.Problems.Select(p => $"cell {number}: {p}"));
                    body.Append("<div class=\"output\">").Append(offline.Html).Append("</div>\n");
                }
                body.Append("</div>\n");
            }
            body.Append("</section>\n");
        }

        var head = new StringBuilder();
        head.Append($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{Html(report.Title)}</title>\n<link rel=\"stylesheet\" href=\"{CssFile}\">\n");
        if (plotly) head.Append($"<script src=\"{PlotlyAsset.FileName}\"></script>\n");
        if (require) head.Append($"<script src=\"{OfflineHtml.RequireShimFile}\"></script>\n");
        head.Append("</head><body><main>\n");
        return new PageHtml(head.Append(body).Append("</main></body></html>\n").ToString(), plotly, require, problems);
    }

    private static string Index(RunReport run)
    {
        var html = new StringBuilder();
        int ok = run.Notebooks.Count(n => n.Status == Status.Ok);
        html.Append($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Deep Learning with C# — the executed course</title>\n<link rel=\"stylesheet\" href=\"{CssFile}\">\n</head><body><main>\n")
            .Append("<h1>Deep Learning with C# — the executed course</h1>\n")
            .Append($"<p class=\"run {(run.Passed ? "ok" : "failed")}\">{ok} of {run.Notebooks.Count} notebooks passed; run started {run.Started:yyyy-MM-dd HH:mm}, took {Summary.Time(run.Seconds)}")
            .Append(run.Solutions ? ", with the exercise solutions filled in" : ", exercises as learners get them")
            .Append(". Machine-readable: <a href=\"report.json\">report.json</a>.</p>\n")
            .Append("<table>\n<thead><tr><th>notebook</th><th>title</th><th>cells</th><th>time</th><th>status</th><th></th></tr></thead>\n<tbody>\n");
        foreach (var n in run.Notebooks)
        {
            var slowest = n.Cells.Where(c => c.Status != Status.NotRun).MaxBy(c => c.Seconds);
            html.Append($"<tr class=\"{Css(n.Status)}\"><td><a href=\"{Attr(n.Page)}\">{Html(n.Name)}</a></td><td>{Html(n.Title)}</td>")
                .Append($"<td>{n.CellsOk}/{n.Cells.Count}</td><td>{Summary.Time(n.Seconds)}</td><td>{Html(StatusText(n))}</td>")
                .Append($"<td>{(n.Executed.Length > 0 ? $"<a href=\"{Attr(n.Executed)}\">.ipynb</a>" : "")}")
                .Append(slowest is null ? "" : $" <small>slowest: cell {slowest.Number}, {slowest.Seconds:0.0} s</small>")
                .Append("</td></tr>\n");
        }
        html.Append("</tbody></table>\n");
        foreach (var n in run.Notebooks.Where(n => n.Error is not null))
            html.Append($"<pre class=\"error\">{Html(n.Error!)}</pre>\n");
        return html.Append("</main></body></html>\n").ToString();
    }

    private static string StatusText(NotebookReport n) => n.Status switch
    {
        Status.Ok => $"ran {n.Cells.Count} code cells in {Summary.Time(n.Seconds)}",
        Status.NotRun => "not run",
        _ when n.Culprit is { } c => $"{NotebookExecutor.Mark(n.Status).Trim()} at cell {c.Number} after {Summary.Time(n.Seconds)}",
        _ => $"{NotebookExecutor.Mark(n.Status).Trim()} after {Summary.Time(n.Seconds)}",
    };

    // One output as HTML: the richest representation a notebook front end would pick.
    private string Output(InteractiveDocumentOutputElement output, string notebooksDir) => output switch
    {
        TextElement t => $"<pre class=\"stream {Attr(t.Name)}\">{Html(t.Text)}</pre>",
        ErrorElement e => $"<pre class=\"error\"><b>{Html(e.ErrorName)}</b>: {Html(e.ErrorValue)}</pre>"
                          + (e.StackTrace.Length > 0 ? $"<details><summary>stack trace</summary><pre class=\"error\">{Html(string.Join("\n", e.StackTrace))}</pre></details>" : ""),
        DisplayElement d => Data(d.Data, notebooksDir),
        ReturnValueElement r => Data(r.Data, notebooksDir),
        _ => "",
    };

    private string Data(IDictionary<string, object> data, string notebooksDir)
    {
        string? Get(string mime) => data.TryGetValue(mime, out var value) ? Text(value) : null;
        if (Get("text/html") is { } html) return html;
        if (Get("image/svg+xml") is { } svg) return svg;
        foreach (string image in new[] { "image/png", "image/jpeg", "image/gif" })
            if (Get(image) is { } base64) return $"<img src=\"data:{image};base64,{Attr(base64.Trim())}\" alt=\"\">";
        if (Get("text/markdown") is { } md) return RenderMarkdown(md, notebooksDir);
        if (Get("text/plain") is { } text) return $"<pre class=\"plain\">{Html(text)}</pre>";
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

    private string RenderMarkdown(string markdown, string notebooksDir)
    {
        string html = Markdig.Markdown.ToHtml(markdown, Markdown);
        html = InlineMath().Replace(html, "<span class=\"math\">${tex}</span>");
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

    [GeneratedRegex(@"<span class=""math"">\\\((?<tex>.*?)\\\)</span>", RegexOptions.Singleline)]
    private static partial Regex InlineMath();

    [GeneratedRegex(@"href=""(?!https?:|//)(?<page>[^""#:]+)\.ipynb(?<anchor>#[^""]*)?""")]
    private static partial Regex NotebookLink();

    [GeneratedRegex(@"<img\b[^>]*\bsrc=""(?!https?:|//|data:)(?<src>[^""]+)""")]
    private static partial Regex LocalImage();

    private const string Style = """
        body { margin: 0; background: #fafafa; color: #1d1d1f; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 2rem 4rem; background: #fff; min-height: 100vh; }
        nav { font-size: 0.9rem; margin-bottom: 1rem; }
        a { color: #0b5cad; }
        h1, h2, h3 { line-height: 1.25; }
        table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: 0.95rem; }
        th, td { border-bottom: 1px solid #e3e3e3; padding: 0.35rem 0.6rem; text-align: left; vertical-align: top; }
        tr.failed td, tr.timeout td { background: #fff1f0; }
        .run { padding: 0.5rem 0.8rem; border-radius: 6px; background: #eef7ee; }
        .run.failed, .run.timeout { background: #fff1f0; }
        .run.not-run { background: #f3f3f3; }
        .cell { margin: 1.2rem 0; }
        .cell.code { border-left: 3px solid #d0d7de; padding-left: 0.8rem; }
        .cell.code.failed, .cell.code.timeout { border-left-color: #d1242f; }
        .cell.code.not-run { opacity: 0.6; }
        .cell-head { font-size: 0.8rem; color: #6e7781; }
        .cell-head a { color: inherit; text-decoration: none; }
        .badge { background: #fff8c5; border-radius: 4px; padding: 0 0.3rem; }
        pre { overflow-x: auto; padding: 0.6rem 0.8rem; border-radius: 6px; font: 0.85rem/1.45 ui-monospace, "Cascadia Code", Menlo, Consolas, monospace; }
        pre.source { background: #f6f8fa; margin: 0.3rem 0; }
        .outputs { margin-top: 0.4rem; }
        .output { margin: 0.3rem 0; overflow-x: auto; overflow-y: hidden; }
        /* A figure's div grows to the height plotly.js draws (a layout height may exceed the div's own). */
        .course-figure { height: auto !important; min-height: 420px; }
        pre.stream, pre.plain { background: none; padding: 0.2rem 0; margin: 0; white-space: pre-wrap; }
        pre.stream.stderr { color: #9a6700; }
        pre.error { background: #fff1f0; color: #82071e; white-space: pre-wrap; }
        .math { font-family: "Cambria Math", "STIX Two Math", serif; font-style: italic; }
        div.math { margin: 0.6rem 2rem; }
        """;
}
