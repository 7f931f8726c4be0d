using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeepLearning.Notebooks.Book;

namespace DeepLearning.Notebooks.Tests;

/// <summary>A [Theory] that is skipped, with the reason, where no headless Chromium (or Chrome) is installed.</summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    public ChromiumTheoryAttribute()
    {
        if (Browser.Path is null) Skip = new ChromiumFactAttribute().Skip;
    }
}

/// <summary>How the browser tests judge a page of a built book.</summary>
public static partial class BookPages
{
    /// <summary>Every page of a book: the index first, then a page per notebook, as the run report lists them.</summary>
    public static IReadOnlyList<string> Of(string book) =>
        ["index.html", .. JsonNode.Parse(File.ReadAllText(Path.Combine(book, "report.json")))!["notebooks"]!.AsArray().Select(n => (string)n!["page"]!)];

    /// <summary>Whether the page's notebook has math: a <c>$</c> in a Markdown cell outside code.</summary>
    public static bool ExpectsMath(string book, string page)
    {
        string notebook = Path.Combine(book, BookBuilder.ExecutedFolder, Path.ChangeExtension(page, ".ipynb"));
        if (page == "index.html" || !File.Exists(notebook)) return false;
        return JsonNode.Parse(File.ReadAllText(notebook))!["cells"]!.AsArray()
            .Where(c => (string?)c!["cell_type"] == "markdown")
            .Select(c => BookRun.Text(c!["source"]))
            .Any(md => Code().Replace(md, "").Contains('$', StringComparison.Ordinal));
    }

    /// <summary>Opens the page and fails with every problem a reader would meet on it.</summary>
    public static PageView AssertReadsRight(DevTools browser, string book, string page, ITestOutputHelper output)
    {
        var view = browser.View(Path.Combine(book, page));
        output.WriteLine(view.ToString());
        var problems = view.Problems(ExpectsMath(book, page));
        Assert.True(problems.Count == 0, $"{page}:\n  {string.Join("\n  ", problems)}");
        return view;
    }

    [GeneratedRegex(@"```.*?```|`[^`\n]*`", RegexOptions.Singleline)]
    private static partial Regex Code();
}

/// <summary>One headless Chromium for the tests of a class (started on first use).</summary>
public sealed class ChromiumSession : IDisposable
{
    private readonly Lazy<DevTools> _browser = new(DevTools.Start);

    public DevTools Browser => _browser.Value;

    public void Dispose()
    {
        if (_browser.IsValueCreated) _browser.Value.Dispose();
    }
}

/// <summary>
/// Every page of the synthetic run's book, opened offline in a real browser: no raw TeX left in the text, formulas
/// typeset on the pages with math, every chart's plot area drawn, no request leaving the machine. The controls
/// show that each check fails where it should.
/// </summary>
[Collection(BookRunGroup.Name)]
public class BookBrowserTests(BookRun run, ChromiumSession chromium, ITestOutputHelper output) : IClassFixture<ChromiumSession>
{
    public static TheoryData<string> Pages => new(["index.html", .. BookRun.Notebooks.Select(n => n + ".html")]);

    [ChromiumTheory, MemberData(nameof(Pages))]
    public void Every_page_reads_right_offline(string page)
    {
        Assert.Contains(page, BookPages.Of(run.Out));
        var view = BookPages.AssertReadsRight(chromium.Browser, run.Out, page, output);
        if (page == "math.html")
        {
            Assert.Equal(5, view.Formulas);
            Assert.True(view.KatexStyled && view.KatexFonts);
        }
    }

    [ChromiumFact]
    public void Control_the_same_book_built_without_KaTeX_fails_the_math_checks()
    {
        // The book as it was before formulas were typeset: the TeX shows as text. The checks must say so.
        using var copy = Runner.NewOutDir("book-without-katex");
        using var empty = Runner.NewOutDir("no-katex");
        CopyFolder(Path.Combine(run.Out, BookBuilder.ExecutedFolder), Path.Combine(copy, BookBuilder.ExecutedFolder));
        var built = new BookBuilder(copy, katexDir: empty).Build(run.Report, Runner.TestNotebooks);
        Assert.Contains(built.Problems, p => p.Contains("KaTeX is not installed", StringComparison.Ordinal));

        var view = chromium.Browser.View(Path.Combine(copy, "math.html"));
        output.WriteLine(view.ToString());
        var problems = view.Problems(BookPages.ExpectsMath(copy, "math.html"));
        Assert.Equal(0, view.Formulas);
        Assert.Contains("the notebook has math but the page has no typeset formula (.katex)", problems);
        Assert.Contains(problems, p => p.StartsWith("raw TeX in the text: «", StringComparison.Ordinal) && p.Contains("$\\hat x_i = \\frac{x_i - \\mu_B}", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("$$\\mu_B = \\frac1m\\sum_{i} x_i", StringComparison.Ordinal));
        Assert.Throws<Xunit.Sdk.TrueException>(() => BookPages.AssertReadsRight(chromium.Browser, copy, "math.html", output));
    }

    [ChromiumFact]
    public void Control_an_undrawn_chart_and_requests_for_the_network_fail_the_checks()
    {
        // A chart whose plotly.js is missing, and a page that asks a CDN and another host for files.
        string page = Path.Combine(run.Out, "control-network.html");
        File.WriteAllText(page, """
            <!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="book.css">
            <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.19.1/dist/katex.min.css"></head><body><main>
            <p>Not typeset: \(x^2\) and $y$.</p>
            <img src="http://example.com/a.png" alt="">
            <div id="fig-1" style="width:600px;height:400px"></div>
            <script>Plotly.newPlot('fig-1', [{ x: [1, 2], y: [3, 4] }], {});</script>
            <img src="missing.png" alt="">
            </main></body></html>
            """);
        var view = chromium.Browser.View(page, settle: TimeSpan.FromSeconds(2));
        output.WriteLine(view.ToString());
        Assert.Equal(["http://example.com/a.png", "https://cdn.jsdelivr.net/npm/katex@0.19.1/dist/katex.min.css"], view.ExternalRequests.Order(StringComparer.Ordinal));
        Assert.Equal(["fig-1"], view.Charts);
        Assert.Equal(["fig-1: plotly.js drew nothing"], view.UndrawnCharts);
        Assert.Contains(view.ScriptErrors, e => e.Contains("Plotly is not defined", StringComparison.Ordinal));
        Assert.Contains(view.MissingFiles, f => f.Contains("missing.png", StringComparison.Ordinal));
        Assert.Equal(["Not typeset: \\(x^2\\) and $y$."], view.RawTex);
    }

    [ChromiumFact]
    public void A_chart_drawn_by_the_books_plotly_js_passes_the_chart_check()
    {
        // The counterpart of the control above: the same chart, with the plotly.js the book ships.
        using var dir = Runner.NewOutDir("chart-drawn");
        File.WriteAllText(Path.Combine(dir, PlotlyAsset.FileName), PlotlyAsset.Read());
        string page = Path.Combine(dir, "drawn.html");
        File.WriteAllText(page, $$"""
            <!DOCTYPE html><html><head><meta charset="utf-8"><script src="{{PlotlyAsset.FileName}}"></script></head><body>
            <div id="fig-1" style="width:600px;height:400px"></div>
            <div id="fig-2" style="width:600px;height:400px"></div>
            <script>Plotly.newPlot('fig-1', [{ x: [1, 2], y: [3, 4] }], {});</script>
            <script>Plotly.newPlot(document.getElementById("fig-2"), [{ z: [[1, 2], [3, 4]], type: 'heatmap' }], {});</script>
            </body></html>
            """);
        var view = chromium.Browser.View(page);
        output.WriteLine(view.ToString());
        Assert.Equal(["fig-1", "fig-2"], view.Charts);
        Assert.Empty(view.Problems(expectMath: false));
    }

    [ChromiumFact]
    public void A_page_with_math_opens_on_typeset_formulas()
    {
        var view = chromium.Browser.View(Path.Combine(run.Out, "math.html"));
        Assert.Equal(2, view.FirstScreenDisplays);
        string png = chromium.Browser.Screenshot(Path.Combine(run.Out, "math.html"), Path.Combine(Shots, "math.png"));
        Assert.Equal((1200, 900), (Png.Read(png).Width, Png.Read(png).Height));
    }

    internal static string Shots { get; } = Directory.CreateDirectory(Path.Combine(Runner.RepoRoot, "artifacts", "test-screenshots")).FullName;

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}

/// <summary>
/// Every page of the course's own book (built by the course run of <see cref="CourseNotebookTests"/>) reads right
/// offline in a browser, and 07-batch-norm opens on its equations typeset.
/// </summary>
[Collection(CourseRunGroup.Name)]
public class CourseBookBrowserTests(CourseRunFixture course, ChromiumSession chromium, ITestOutputHelper output) : IClassFixture<ChromiumSession>
{
    public static TheoryData<string> Pages => 
        new(["index.html", .. Directory.GetFiles(Path.Combine(Runner.RepoRoot, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal).Select(n => Path.GetFileNameWithoutExtension(n) + ".html")]);

    [ChromiumTheory, MemberData(nameof(Pages))]
    public void Every_page_of_the_course_book_reads_right_offline(string page)
    {
        Assert.True(course.Report is not null, $"the course run wrote no report; {course.Result}");
        BookPages.AssertReadsRight(chromium.Browser, course.Out, page, output);
    }

    [ChromiumFact]
    public void The_batch_norm_page_opens_on_its_equations_typeset()
    {
        Assert.True(course.Report is not null, $"the course run wrote no report; {course.Result}");
        string page = Path.Combine(course.Out, "07-batch-norm.html");
        var view = chromium.Browser.View(page);
        string png = chromium.Browser.Screenshot(page, Path.Combine(BookBrowserTests.Shots, "07-batch-norm.png"));
        output.WriteLine($"{view}; screenshot {png}");
        Assert.True(view.FirstScreenDisplays >= 1, $"no display formula on the first screen of {page} (see {png})");
        Assert.True(view.KatexStyled && view.KatexFonts, $"KaTeX's stylesheet or fonts missing (see {png})");
    }
}

/// <summary>
/// Any built book, e.g. the one <c>notebooks/run</c> wrote: <c>COURSE_BOOK=artifacts/book dotnet test … --filter
/// BuiltBookBrowserTests</c> checks every page of it as the tests above do and screenshots each page's first screen
/// (skipped when COURSE_BOOK is unset).
/// </summary>
public class BuiltBookBrowserTests(ChromiumSession chromium, ITestOutputHelper output) : IClassFixture<ChromiumSession>
{
    private static readonly string? Book = Environment.GetEnvironmentVariable("COURSE_BOOK") is { Length: > 0 } b ? Path.GetFullPath(b, Runner.RepoRoot) : null;

    public sealed class BookFactAttribute : FactAttribute
    {
        public BookFactAttribute()
        {
            if (Book is null) Skip = "set COURSE_BOOK to a built book's folder";
            else if (Browser.Path is null) Skip = new ChromiumFactAttribute().Skip;
        }
    }

    [BookFact]
    public void Every_page_of_the_built_book_reads_right_offline()
    {
        var problems = new List<string>();
        foreach (string page in BookPages.Of(Book!))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var view = chromium.Browser.View(Path.Combine(Book!, page));
            output.WriteLine($"{view} [{clock.Elapsed.TotalSeconds:0.0} s]");
            problems.AddRange(view.Problems(BookPages.ExpectsMath(Book!, page)).Select(p => $"{page}: {p}"));
            // The first screen of every page, for a look (artifacts/test-screenshots/book-<page>.png).
            chromium.Browser.Screenshot(Path.Combine(Book!, page), Path.Combine(BookBrowserTests.Shots, "book-" + Path.ChangeExtension(page, ".png")));
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
