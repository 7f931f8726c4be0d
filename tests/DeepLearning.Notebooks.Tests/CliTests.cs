namespace DeepLearning.Notebooks.Tests;

/// <summary>The command line: options, notebook selection, usage errors.</summary>
public class CliTests
{
    [Fact]
    public void Help_lists_the_options()
    {
        var result = Runner.Run(TimeSpan.FromMinutes(1), "--help");
        Assert.Equal(0, result.ExitCode);
        foreach (string option in new[] { "run [options] [names...]", "--notebooks DIR", "--out DIR", "--cell-timeout S", "--notebook-timeout S", "--no-solutions" })
            Assert.Contains(option, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_errors_exit_with_2_and_say_what_is_wrong()
    {
        var unknown = Runner.Run(TimeSpan.FromMinutes(1), "run", "--bogus");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown option '--bogus'", unknown.Output, StringComparison.Ordinal);

        var missing = Runner.Run(TimeSpan.FromMinutes(1), "run", "--notebooks", Runner.TestNotebooks, "--out", Path.Combine(Path.GetTempPath(), "course-runner-tests", "never-written"), "nope");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("'nope' matches no notebook; notebooks in", missing.Output, StringComparison.Ordinal);
        Assert.Contains("chart, exercise, failing, math, outputs, slow", missing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Parses_options_and_defaults()
    {
        var (options, error) = RunOptions.Parse(["--notebooks", "nb", "--out", "o", "--cell-timeout", "2.5", "--notebook-timeout", "30", "--no-solutions", "03", "01"]);
        Assert.Null(error);
        Assert.Equal(new RunOptions
        {
            Notebooks = "nb",
            Out = "o",
            CellTimeout = TimeSpan.FromSeconds(2.5),
            NotebookTimeout = TimeSpan.FromSeconds(30),
            Solutions = false,
            Names = options!.Names,
        }, options);
        Assert.Equal(["03", "01"], options.Names);

        var (defaults, _) = RunOptions.Parse([]);
        Assert.Equal(("notebooks", Path.Combine("artifacts", "book"), true), (defaults!.Notebooks, defaults.OutDir, defaults.Solutions));
        Assert.Equal(Client.InProcess, defaults.Client);
        Assert.Equal((TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(600)), (defaults.CellTimeout, defaults.NotebookTimeout));
    }

    [Fact]
    public void The_jupyter_client_writes_to_its_own_folder_and_compares_with_the_book()
    {
        var (jupyter, error) = RunOptions.Parse(["--client", "jupyter"]);
        Assert.Null(error);
        Assert.Equal((Client.Jupyter, Path.Combine("artifacts", "jupyter"), Path.Combine("artifacts", "book")), (jupyter!.Client, jupyter.OutDir, jupyter.CompareDir));
        var (explicitly, _) = RunOptions.Parse(["--client", "jupyter", "--out", "o", "--compare", "c"]);
        Assert.Equal(("o", "c"), (explicitly!.OutDir, explicitly.CompareDir));
    }

    [Theory]
    [InlineData("--client", "vscode", "--client wants 'inprocess' or 'jupyter', got 'vscode'")]
    [InlineData("--cell-timeout", "0", "--cell-timeout wants a positive number of seconds, got '0'")]
    [InlineData("--notebook-timeout", "soon", "--notebook-timeout wants a positive number of seconds, got 'soon'")]
    [InlineData("--out", null, "--out needs a value")]
    public void Rejects_bad_option_values(string option, string? value, string message)
    {
        var (options, error) = RunOptions.Parse(value is null ? [option] : [option, value]);
        Assert.Null(options);
        Assert.Equal(message, error);
    }

    [Fact]
    public void Selects_notebooks_by_name_stem_or_unique_prefix_in_course_order()
    {
        var options = new RunOptions { Notebooks = Runner.TestNotebooks, Names = ["outputs.ipynb", "ch", "failing"] };
        var (paths, error) = options.Select();
        Assert.Null(error);
        Assert.Equal(["chart.ipynb", "failing.ipynb", "outputs.ipynb"], paths.Select(Path.GetFileName));

        Assert.Equal(6, (new RunOptions { Notebooks = Runner.TestNotebooks }).Select().Paths.Count);   // chart, exercise, failing, math, outputs, slow
        using var dir = Runner.NewOutDir("select");
        foreach (string name in new[] { "01-a.ipynb", "01-b.ipynb" }) File.WriteAllText(Path.Combine(dir, name), "{}");
        Assert.Equal("'01' is ambiguous; notebooks in " + dir + ": 01-a, 01-b", (options with { Notebooks = dir, Names = ["01"] }).Select().Error);
        Assert.Equal("no notebook folder 'no-such-dir'", (options with { Notebooks = "no-such-dir" }).Select().Error);
    }
}
