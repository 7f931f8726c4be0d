using System.Diagnostics;
using DeepLearning.Notebooks.Book;

namespace DeepLearning.Notebooks.Tests;

/// <summary>A [Fact] that is skipped, with the reason, where no headless Chromium (or Chrome) is installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Browser.Path is null)
            Skip = $"no Chromium or Chrome found ({string.Join(", ", Browser.Candidates)}); on Debian/Ubuntu: sudo apt-get install chromium";
    }
}

/// <summary>Headless Chromium taking screenshots of local pages, with networking off.</summary>
public static class Browser
{
    public static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

    public static string? Path { get; } = Candidates.FirstOrDefault(File.Exists);

    /// <summary>Screenshots <paramref name="page"/> at 1200×900 and returns the PNG's path.</summary>
    public static string Screenshot(string page, string png)
    {
        File.Delete(png);
        using var profile = Runner.NewOutDir("chromium-profile");
        var start = new ProcessStartInfo(Path ?? throw new InvalidOperationException("no browser"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     $"--user-data-dir={profile.Path}", $"--screenshot={png}", "--window-size=1200,900",
                     "--virtual-time-budget=10000",   // let plotly.js finish drawing before the screenshot
                     new Uri(page).AbsoluteUri,
                 })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string log = process.StandardError.ReadToEndAsync().Result + process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Chromium did not finish the screenshot of {page}:\n{log}");
        }
        return File.Exists(png) ? png : throw new InvalidOperationException($"Chromium wrote no screenshot of {page}:\n{log}");
    }
}

/// <summary>A page of the book, opened offline in a real browser, shows its chart.</summary>
[Collection(BookRunGroup.Name)]
public class BrowserTests(BookRun run, ITestOutputHelper output)
{
    private static readonly (int R, int G, int B) Red = (0xd6, 0x27, 0x28);          // the chart's fill, #d62728
    private static readonly (int R, int G, int B) PlotArea = (0xe5, 0xec, 0xf6);     // Plotly.NET's default plot background

    // Screenshots outlive the test run, for a look when a check fails.
    private static string Shots { get; } = Directory.CreateDirectory(Path.Combine(Runner.RepoRoot, "artifacts", "test-screenshots")).FullName;

    [ChromiumFact]
    public void A_book_page_renders_its_chart_offline()
    {
        string png = Browser.Screenshot(Path.Combine(run.Out, "chart.html"), Path.Combine(Shots, "chart.png"));
        var shot = Png.Read(png);
        int red = shot.Count(Red), plotArea = shot.Count(PlotArea, tolerance: 6), colors = shot.DistinctColors();
        output.WriteLine($"{png}: {shot.Width}×{shot.Height}, {red} chart-red pixels, {plotArea} plot-area pixels, {colors} colours");

        Assert.Equal((1200, 900), (shot.Width, shot.Height));
        Assert.True(plotArea > 20_000, $"the plot area is drawn: {plotArea} pixels of Plotly's plot background (see {png})");
        Assert.True(red > 5_000, $"the red area trace is drawn: {red} red pixels (see {png})");
        Assert.True(colors > 200, $"the page is not blank: {colors} distinct colours (see {png})");
    }

    [ChromiumFact]
    public void Without_the_shared_plotly_js_the_same_page_shows_no_chart()
    {
        // The control for the test above: the pixel checks do tell a drawn chart from an undrawn one.
        string page = Path.Combine(run.Out, "chart-without-plotly.html");
        File.WriteAllText(page, run.Page("chart.html").Replace($"<script src=\"{PlotlyAsset.FileName}\"></script>", "", StringComparison.Ordinal));
        var shot = Png.Read(Browser.Screenshot(page, Path.Combine(Shots, "chart-without-plotly.png")));
        Assert.Equal(0, shot.Count(Red));
        Assert.True(shot.Count(PlotArea, tolerance: 6) < 1_000);
    }
}
