using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.Mathematics;
using Markdig.Helpers;
using Markdig.Parsers;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;

namespace DeepLearning.Notebooks.Book;

/// <summary>
/// The book's formulas, typeset offline with KaTeX (pinned in <c>Book/katex/package-lock.json</c>, installed by
/// <c>Book/katex/install</c>). Pages are written with a placeholder per formula; <see cref="RenderAll"/> then runs
/// one node process for every formula of the book (node's start-up costs more than the formulas), and
/// <see cref="Substitute"/> puts KaTeX's HTML in. The pages need only <c>katex.min.css</c> and its fonts, no script.
/// </summary>
internal sealed partial class BookMath(string directory)
{
    /// <summary>Subfolder of the book with katex.min.css and fonts/.</summary>
    public const string Folder = "katex";
    public const string Stylesheet = Folder + "/katex.min.css";

    private readonly List<Formula> _formulas = [];
    private string[]? _html;

    /// <summary>One formula: its TeX, display or inline, and the notebook and cell it is in (for error messages).</summary>
    private sealed record Formula(string Tex, bool Display, string Where);

    private sealed record Rendered([property: JsonPropertyName("html")] string? Html, [property: JsonPropertyName("error")] string? Error);

    /// <summary>Whether KaTeX ran (its stylesheet and fonts are there to copy).</summary>
    public bool Typeset { get; private set; }

    /// <summary>How many formulas the pages hold.</summary>
    public int Count => _formulas.Count;

    /// <summary>
    /// The folder with package.json, render.mjs and (once installed) node_modules/: COURSE_KATEX_DIR, else the
    /// source folder recorded at build time (the runner runs from its build output, the npm install lives in the
    /// source tree).
    /// </summary>
    public static string DefaultDirectory { get; } =
        Environment.GetEnvironmentVariable("COURSE_KATEX_DIR") is { Length: > 0 } dir
            ? dir
            : typeof(BookMath).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "KatexDir").Value!;

    private string Dist => Path.Combine(directory, "node_modules", "katex", "dist");

    private string InstallHint =>
        $"install KaTeX with {Path.Combine(DefaultDirectory, "install")} (npm ci; notebooks/run and tests/run call it)";

    /// <summary>A placeholder for one formula, replaced by its HTML in <see cref="Substitute"/>.</summary>
    public string Add(string tex, bool display, string where)
    {
        if (_html is not null) throw new InvalidOperationException("the formulas were already rendered");
        _formulas.Add(new Formula(tex, display, where));
        return $"{Open}{_formulas.Count - 1}{Close}";
    }

    /// <summary>Typesets every formula in one node process; returns what went wrong (bad TeX names notebook and cell).</summary>
    public IReadOnlyList<string> RenderAll()
    {
        var problems = new List<string>();
        _html = _formulas.Select(Fallback).ToArray();
        if (_formulas.Count == 0) return problems;

        string script = Path.Combine(directory, "render.mjs");
        if (!File.Exists(Path.Combine(Dist, "katex.mjs")))
        {
            problems.Add($"{_formulas.Count} formulas left as TeX: KaTeX is not installed in {directory}; {InstallHint}");
            return problems;
        }
        Rendered[] results;
        try
        {
            results = Node(script, JsonSerializer.Serialize(_formulas.Select(f => new { tex = f.Tex, display = f.Display })));
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or JsonException)
        {
            problems.Add($"{_formulas.Count} formulas left as TeX: {e.Message}");
            return problems;
        }
        if (results.Length != _formulas.Count)
        {
            problems.Add($"{_formulas.Count} formulas left as TeX: render.mjs returned {results.Length} results");
            return problems;
        }
        Typeset = true;
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i].Html is { } html) _html[i] = html;
            else problems.Add($"{_formulas[i].Where}: bad TeX in {Delimited(_formulas[i])}: {results[i].Error}");
        }
        return problems;
    }

    /// <summary>Puts the rendered formulas into a page; whether the page has any.</summary>
    public (string Html, bool HasMath) Substitute(string page)
    {
        string[] html = _html ?? throw new InvalidOperationException("RenderAll first");
        bool any = false;
        string result = Placeholder().Replace(page, m =>
        {
            any = true;
            return html[int.Parse(m.Groups["n"].ValueSpan, System.Globalization.CultureInfo.InvariantCulture)];
        });
        return (result, any);
    }

    /// <summary>Whether some HTML holds formula placeholders.</summary>
    public static bool HasFormulas(string html) => Placeholder().IsMatch(html);

    /// <summary>Copies katex.min.css and its fonts into the book.</summary>
    public void CopyAssets(string outDir)
    {
        string to = Path.Combine(outDir, Folder);
        Directory.CreateDirectory(Path.Combine(to, "fonts"));
        File.Copy(Path.Combine(Dist, "katex.min.css"), Path.Combine(to, "katex.min.css"), overwrite: true);
        foreach (string font in Directory.GetFiles(Path.Combine(Dist, "fonts")))
            File.Copy(font, Path.Combine(to, "fonts", Path.GetFileName(font)), overwrite: true);
    }

    /// <summary>
    /// Replaces Markdig's math renderers (which write <c>\(…\)</c> for a client-side script) by ones that write this
    /// book's placeholders. <c>$$…$$</c> inside a paragraph is display math too.
    /// </summary>
    public void Setup(HtmlRenderer renderer, string where)
    {
        renderer.ObjectRenderers.Replace<HtmlMathInlineRenderer>(new InlineRenderer(this, where));
        renderer.ObjectRenderers.Replace<HtmlMathBlockRenderer>(new BlockRenderer(this, where));
    }

    private sealed class InlineRenderer(BookMath math, string where) : HtmlObjectRenderer<MathInline>
    {
        protected override void Write(HtmlRenderer renderer, MathInline obj) =>
            renderer.Write(math.Add(obj.Content.ToString(), obj.DelimiterCount >= 2, where));
    }

    private sealed class BlockRenderer(BookMath math, string where) : HtmlObjectRenderer<MathBlock>
    {
        protected override void Write(HtmlRenderer renderer, MathBlock obj)
        {
            var tex = new StringBuilder();
            foreach (var line in obj.Lines.Lines.Take(obj.Lines.Count)) tex.Append(line.Slice.ToString()).Append('\n');
            renderer.EnsureLine();
            renderer.Write("<div class=\"math-display\">").Write(math.Add(tex.ToString().Trim(), true, where)).WriteLine("</div>");
        }
    }

    /// <summary>
    /// Markdig's <c>$</c> parser stops at the end of a line; in notebooks (as in Jupyter) a formula may run over the
    /// lines of a paragraph, e.g. <c>$$a = b,\n c = d.$$</c>. This one finds the closing delimiter across line breaks
    /// (a paragraph holds no blank line). It looks only for delimiters; KaTeX parses the TeX. Pandoc's rules for
    /// single dollars keep prices from being read as math: no space inside the dollars, no digit right after the
    /// closing one. Code spans are parsed before (a backtick comes first), so <c>$</c> in code is never math.
    /// </summary>
    internal sealed class MultilineMathExtension : IMarkdownExtension
    {
        public void Setup(MarkdownPipelineBuilder pipeline)
        {
            if (!pipeline.InlineParsers.Replace<MathInlineParser>(new DollarParser()))
                throw new InvalidOperationException("add MultilineMathExtension after Markdig's math extension");
        }

        public void Setup(MarkdownPipeline pipeline, IMarkdownRenderer renderer) { }
    }

    private sealed class DollarParser : InlineParser
    {
        public DollarParser() => OpeningCharacters = ['$'];

        public override bool Match(InlineProcessor processor, ref StringSlice slice)
        {
            string text = slice.Text;
            int start = slice.Start, end = slice.End;
            int count = start + 1 <= end && text[start + 1] == '$' ? 2 : 1;
            int open = start + count;
            if (open > end || (count == 1 && char.IsWhiteSpace(text[open])) || text[open] == '$') return false;
            for (int i = open; i <= end; i++)
            {
                if (text[i] == '\\') { i++; continue; }   // \$ and \\ belong to the TeX
                if (text[i] != '$') continue;
                if (count == 2)
                {
                    if (i + 1 > end || text[i + 1] != '$') continue;
                }
                else if (char.IsWhiteSpace(text[i - 1]) || (i + 1 <= end && char.IsAsciiDigit(text[i + 1])))
                {
                    continue;
                }
                var math = new MathInline
                {
                    Delimiter = '$',
                    DelimiterCount = count,
                    Content = new StringSlice(text, open, i - 1),
                    Span = new SourceSpan(processor.GetSourcePosition(start, out int line, out int column), processor.GetSourcePosition(i + count - 1)),
                    Line = line,
                    Column = column,
                };
                processor.Inline = math;
                slice.Start = i + count;
                return true;
            }
            return false;
        }
    }

    // Until rendered (or when KaTeX fails), a formula shows as its TeX, marked so that it stands out.
    private static string Fallback(Formula f) =>
        $"<span class=\"math-error\" title=\"not typeset\">{System.Net.WebUtility.HtmlEncode(Delimited(f))}</span>";

    private static string Delimited(Formula f) => f.Display ? $"$${f.Tex}$$" : $"${f.Tex}$";

    private Rendered[] Node(string script, string input)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(script);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run node ({e.Message}); the book's math needs Node.js 18 or newer on PATH", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            process.StandardInput.Write(input);
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException("node render.mjs did not finish within 2 minutes");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"node {script} exited with {process.ExitCode}: {stderr.Result.Trim()}; {InstallHint}");
            return JsonSerializer.Deserialize<Rendered[]>(stdout.Result) ?? throw new InvalidOperationException("render.mjs wrote null");
        }
    }

    // Private-use characters: no notebook text contains them, and HTML encoding leaves them alone.
    private const string Open = "\uE000math:", Close = "\uE001";

    [GeneratedRegex("\uE000math:(?<n>[0-9]+)\uE001")]
    private static partial Regex Placeholder();
}
