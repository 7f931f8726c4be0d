namespace DeepLearning.Notebooks.Tests;

/// <summary>A cell that never ends stops its notebook — by the cell limit inside the worker, or by the notebook
/// limit, which kills the worker process with everything it started.</summary>
public class TimeoutTests
{
    [Fact]
    public void A_cell_over_the_cell_time_limit_stops_the_notebook()
    {
        using var outDir = Runner.NewOutDir("cell-timeout");
        var result = Runner.Run(TimeSpan.FromMinutes(2), "run", "--notebooks", Runner.TestNotebooks, "--out", outDir, "--cell-timeout", "3", "slow");

        Assert.True(result.ExitCode == 1, result.ToString());
        var slow = RunReport.Load(Path.Combine(outDir, "report.json")).Notebooks.Single();
        Assert.Equal(Status.Timeout, slow.Status);
        Assert.Equal("slow.ipynb, cell 3 (id sleep): `System.Threading.Thread.Sleep(TimeSpan.FromMinutes(10));` — timed out after 3 s (the cell time limit)", slow.Error);
        Assert.Equal([Status.Ok, Status.Timeout, Status.NotRun], slow.Cells.Select(c => c.Status));
        Assert.InRange(slow.Cells[1].Seconds, 2.9, 10);   // timers may fire a hair early
        Assert.Contains(slow.Error!, result.Output, StringComparison.Ordinal);
        Assert.Contains("The runner stopped this cell", File.ReadAllText(Path.Combine(outDir, "notebooks", "slow.ipynb")), StringComparison.Ordinal);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(90), $"took {result.Elapsed}");
    }

    [Fact]
    public void A_notebook_over_the_notebook_time_limit_is_killed_and_the_running_cell_named()
    {
        using var outDir = Runner.NewOutDir("notebook-timeout");
        var result = Runner.Run(TimeSpan.FromMinutes(2), "run", "--notebooks", Runner.TestNotebooks, "--out", outDir, "--notebook-timeout", "30", "slow");

        Assert.True(result.ExitCode == 1, result.ToString());
        var slow = RunReport.Load(Path.Combine(outDir, "report.json")).Notebooks.Single();
        Assert.Equal(Status.Timeout, slow.Status);
        Assert.Equal("slow.ipynb, cell 3 (id sleep): `System.Threading.Thread.Sleep(TimeSpan.FromMinutes(10));` — stopped by the notebook time limit (30 s)", slow.Error);
        Assert.InRange(slow.Seconds, 30, 70);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(90), $"took {result.Elapsed}");
        Assert.Empty(ProcessesMentioning(outDir));   // the worker is gone, not orphaned
    }

    // Processes whose command line contains the text (Linux: /proc/<pid>/cmdline).
    internal static List<int> ProcessesMentioning(string text)
    {
        if (!Directory.Exists("/proc")) return [];
        var found = new List<int>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(text, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}
