using System.Text.Json;
using System.Text.RegularExpressions;
using DeepLearning.Notebooks.Book;

namespace DeepLearning.Notebooks.Tests;

/// <summary>
/// The synthetic run's book as a reader gets it: formulas typeset at build time by KaTeX (the pages need only its
/// stylesheet and fonts), an index with objectives, run time and status, previous/next links, marked check lines.
/// </summary>
[Collection(BookRunGroup.Name)]
public class BookReadingTests(BookRun run)
{
    [Fact]
    public void Formulas_are_typeset_at_build_time_and_pages_need_only_katex_css_and_fonts()
    {
        string math = run.Page("math.html");
        string head = math[..math.IndexOf("</head>", StringComparison.Ordinal)];
        Assert.Contains("<link rel=\"stylesheet\" href=\"katex/katex.min.css\">", head, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", math, StringComparison.Ordinal);   // typeset already: no script on the page
        // Objectives (1), inline (1), display in a paragraph (1), display block (1), a Markdown output (1).
        Assert.Equal(5, Regex.Count(math, "<span class=\"katex\">"));
        Assert.Equal(2, Regex.Count(math, "<span class=\"katex-display\">"));
        Assert.Contains("<annotation encoding=\"application/x-tex\">\\hat x_i = \\frac{x_i - \\mu_B}{\\sqrt{\\sigma_B^2 + \\varepsilon}}</annotation>", math, StringComparison.Ordinal);
        Assert.Contains("<annotation encoding=\"application/x-tex\">L = \\tfrac12 (y - \\hat y)^2</annotation>", math, StringComparison.Ordinal);
        Assert.DoesNotContain("math-error", math, StringComparison.Ordinal);

        // Dollars in code are code.
        Assert.Contains("<code>$&quot;{x}&quot;</code>", math, StringComparison.Ordinal);
        Assert.Contains("var s = $&quot;{1 + 1} dollars&quot;;", math, StringComparison.Ordinal);
        Assert.Contains("4 is printed with $ in the code", math, StringComparison.Ordinal);

        Assert.True(File.Exists(Path.Combine(run.Out, "katex", "katex.min.css")));
        var fonts = Directory.GetFiles(Path.Combine(run.Out, "katex", "fonts"), "*.woff2");
        Assert.True(fonts.Length >= 20, $"{fonts.Length} KaTeX fonts");
        Assert.DoesNotContain("katex.min.css", run.Page("outputs.html"), StringComparison.Ordinal);   // no math, no stylesheet
    }

    [Fact]
    public void The_index_shows_each_notebooks_objectives_run_time_and_status()
    {
        string index = run.Page("index.html");
        var row = Regex.Match(index, "<tr class=\"ok\"><td class=\"title\"><a href=\"math.html\">Math</a>.*?</tr>", RegexOptions.Singleline);
        Assert.True(row.Success, index);
        Assert.Contains("<td class=\"objectives\"><ul>\n<li>compute the logistic <span class=\"katex\">", row.Value, StringComparison.Ordinal);
        Assert.Contains("<li>read display math.</li>", row.Value, StringComparison.Ordinal);
        Assert.Matches(@"<td class=""time"">\d+\.\d s<br><small>slowest: <a href=""math\.html#cell-\d"">cell \d</a>", row.Value);
        Assert.Contains("<span class=\"check pass\">✔</span> ran 2 code cells", row.Value, StringComparison.Ordinal);
        Assert.Matches("<tr class=\"failed\"><td class=\"title\"><a href=\"failing.html\">Failing</a>.*<span class=\"check fail\">✘</span> FAILED at cell 4", index);
        Assert.Contains("katex/katex.min.css", index, StringComparison.Ordinal);
    }

    [Fact]
    public void Pages_link_the_previous_and_next_notebook_and_mark_check_lines()
    {
        string math = run.Page("math.html");
        Assert.Contains("<nav class=\"bottom\"><a rel=\"prev\" href=\"failing.html\">← Failing</a><a href=\"index.html\">Contents</a><a rel=\"next\" href=\"outputs.html\">Outputs →</a></nav>", math, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"prev\"", run.Page("chart.html"), StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"next\"", run.Page("outputs.html"), StringComparison.Ordinal);
        Assert.Contains("<span class=\"check pass\">✔ the mean is 0 (max |mean| 1.2E-07)</span>\n4 is printed", math, StringComparison.Ordinal);
        Assert.Contains("<span class=\"check pass\">✅ Exercise 1: correct.</span>", run.Page("exercise.html"), StringComparison.Ordinal);
        Assert.Contains("<details class=\"source\" open><summary class=\"cell-head\"><a href=\"#cell-3\">cell 3</a>", math, StringComparison.Ordinal);
    }
}

/// <summary>Books built in process from Markdown alone: how formulas are found, and what fails the build.</summary>
public class BookMathTests
{
    [Fact]
    public void A_formula_may_run_over_the_lines_of_a_paragraph_and_prices_are_not_math()
    {
        var book = LocalBook.Build(
            "# Lines\n\nThe error $\\lVert a - b \\rVert /\n(\\lVert a \\rVert + \\lVert b \\rVert)$ is relative.\n\n" +
            "$$\\mu = \\frac1m\\sum_{i} x_i, \\qquad\n\\sigma^2 = 1 .$$\n\n" +
            "It costs $5 and $10, escaped \\$x\\$ too.\n");
        Assert.Empty(book.Problems);
        Assert.Equal(2, Regex.Count(book.Html, "<span class=\"katex\">"));
        Assert.Contains("\\sum_{i} x_i, \\qquad\n\\sigma^2 = 1 .</annotation>", book.Html, StringComparison.Ordinal);
        Assert.Contains("It costs $5 and $10, escaped $x$ too.", book.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_TeX_fails_the_build_naming_the_notebook_and_cell()
    {
        var book = LocalBook.Build("# Bad\n", "Fine $x^2$, then a broken one: $\\frac{1}{$ and an unknown $\\foo$.\n");
        Assert.Equal(
            [
                "bad.ipynb cell 2: bad TeX in $\\frac{1}{$: KaTeX parse error: Unexpected end of input in a macro argument, expected '}' at end of input: \\frac{1}{",
                "bad.ipynb cell 2: bad TeX in $\\foo$: KaTeX parse error: Undefined control sequence: \\foo at position 1: \\̲f̲o̲o̲",
            ],
            book.Problems);
        Assert.Single(Regex.Matches(book.Html, "<span class=\"katex\">"));   // the good formula is still typeset
        Assert.Contains("<span class=\"math-error\" title=\"not typeset\">$\\frac{1}{$</span>", book.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_KaTeX_installed_the_build_fails_and_says_how_to_install_it()
    {
        using var empty = Runner.NewOutDir("no-katex");
        var book = LocalBook.WithKatexIn(empty, "# No KaTeX\n\n$x$ and $y$\n");
        string problem = Assert.Single(book.Problems);
        Assert.StartsWith($"2 formulas left as TeX: KaTeX is not installed in {empty.Path}; install KaTeX with ", problem, StringComparison.Ordinal);
        Assert.EndsWith("katex/install (npm ci; notebooks/run and tests/run call it)", problem, StringComparison.Ordinal);
        Assert.Contains("<span class=\"math-error\" title=\"not typeset\">$x$</span>", book.Html, StringComparison.Ordinal);
    }
}

/// <summary>A one-notebook book built in process from Markdown cells, without running anything.</summary>
internal static class LocalBook
{
    public sealed record Built(string Html, IReadOnlyList<string> Problems);

    public static Built Build(params string[] markdown) => Build(markdown, null);

    public static Built WithKatexIn(string katexDir, string markdown) => Build([markdown], katexDir);

    private static Built Build(string[] markdown, string? katexDir)
    {
        using var dir = Runner.NewOutDir("local-book");
        string notebooks = Directory.CreateDirectory(Path.Combine(dir, "notebooks")).FullName, book = Path.Combine(dir, "book");
        string name = markdown[0].StartsWith("# Bad", StringComparison.Ordinal) ? "bad.ipynb" : "local.ipynb";
        File.WriteAllText(Path.Combine(notebooks, name), Notebook(markdown));
        var notebook = new NotebookReport(name, "Local", Status.NotRun, 0, 0, [], null, "", Path.ChangeExtension(name, ".html"));
        var result = new BookBuilder(book, katexDir).Build(new RunReport(DateTimeOffset.Now, 0, true, [notebook]), notebooks);
        return new Built(File.ReadAllText(Path.Combine(book, notebook.Page)), result.Problems);
    }

    private static string Notebook(string[] markdown) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["cells"] = markdown.Select((m, i) => new Dictionary<string, object>
        {
            ["cell_type"] = "markdown", ["id"] = $"md{i}", ["metadata"] = new { }, ["source"] = m,
        }).ToArray(),
        ["metadata"] = new Dictionary<string, object>
        {
            ["kernelspec"] = new { display_name = ".NET (C#)", language = "C#", name = ".net-csharp" },
            ["language_info"] = new { name = "polyglot-notebook" },
        },
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
    });
}
