using DeepLearning.Notebooks.Execution;

namespace DeepLearning.Notebooks.Tests;

/// <summary>Exercise cells run with their solutions in headless runs; without them, a check cell fails the notebook.</summary>
public class ExerciseTests
{
    [Fact]
    public void Without_its_solution_a_check_cell_fails_the_headless_run()
    {
        using var outDir = Runner.NewOutDir("no-solutions");
        var result = Runner.Run(TimeSpan.FromMinutes(3), "run", "--notebooks", Runner.TestNotebooks, "--out", outDir, "--no-solutions", "exercise");

        Assert.True(result.ExitCode == 1, result.ToString());
        var notebook = RunReport.Load(Path.Combine(outDir, "report.json")).Notebooks.Single();
        Assert.Equal(Status.Failed, notebook.Status);
        Assert.Equal("exercise.ipynb, cell 4 (id ex1-check): `Check(\"1\", answer == 42, \"six times seven\");` — System.Exception: Exercise 1 failed in a headless run. Hint: six times seven", notebook.Error);
        var exercise = notebook.Cells.Single(c => c.Id == "ex1");
        Assert.False(exercise.Solution);
        Assert.Equal("// Your code here: make answer 42.", exercise.FirstLine);
        Assert.Contains("❌ Exercise 1: not yet. Hint: six times seven", File.ReadAllText(Path.Combine(outDir, "notebooks", "exercise.ipynb")), StringComparison.Ordinal);
    }

    [Fact]
    public void Solutions_file_is_split_into_blocks_by_cell_id()
    {
        var blocks = Solutions.Parse("// header, ignored\n\n//# cell: a\nint x = 1;\n\nx++;\n\n//#cell:b\nvar y = 2;\n", "s.cs");
        Assert.Equal(["a", "b"], blocks.Keys);
        Assert.Equal("int x = 1;\n\nx++;", blocks["a"]);
        Assert.Equal("var y = 2;", blocks["b"]);
    }

    [Fact]
    public void Solutions_file_with_a_duplicate_or_empty_block_is_rejected()
    {
        Assert.Contains("two solution blocks for cell 'a'",
            Assert.Throws<FormatException>(() => Solutions.Parse("//# cell: a\n1;\n//# cell: a\n2;\n", "s.cs")).Message, StringComparison.Ordinal);
        Assert.Contains("the solution block for cell 'b' is empty",
            Assert.Throws<FormatException>(() => Solutions.Parse("//# cell: b\n\n", "s.cs")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Solutions_live_next_to_the_notebooks()
    {
        Assert.Equal(Path.Combine("/course", "notebooks", "solutions", "03-optimizers.cs"), Solutions.PathFor("/course/notebooks/03-optimizers.ipynb"));
    }

    [Fact]
    public async Task A_solution_for_a_cell_the_notebook_lacks_is_an_error()
    {
        using var dir = Runner.NewOutDir("stale-solution");
        File.Copy(Path.Combine(Runner.TestNotebooks, "exercise.ipynb"), Path.Combine(dir, "exercise.ipynb"));
        File.WriteAllText(Path.Combine(dir, "exercise.cs"), "//# cell: renamed-cell\nint answer = 42;\n");
        var job = new NotebookJob(Path.Combine(dir, "exercise.ipynb"), Path.Combine(dir, "out.ipynb"), Path.Combine(dir, "out.json"), TimeSpan.FromSeconds(30), Path.Combine(dir, "exercise.cs"));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new NotebookExecutor(TextWriter.Null).RunAsync(job));
        Assert.EndsWith("/exercise.cs has a solution for cell 'renamed-cell', but exercise.ipynb has no cell with that id", e.Message, StringComparison.Ordinal);
    }
}
