using System.Text.Json.Nodes;
using DeepLearning.Notebooks.Book;

namespace DeepLearning.Notebooks.Tests;

/// <summary>The runner executes notebooks cell by cell on the real C# kernel and records what each cell produced.</summary>
[Collection(BookRunGroup.Name)]
public class RunnerTests(BookRun run)
{
    [Fact]
    public void A_failing_notebook_fails_the_run_but_every_notebook_runs_and_is_reported()
    {
        Assert.True(run.Result.ExitCode == 1, run.Result.ToString());
        Assert.Equal(BookRun.Notebooks.Select(n => n + ".ipynb"), run.Report.Notebooks.Select(n => n.Name));
        Assert.Equal(Status.Ok, run.Notebook("chart").Status);
        Assert.Equal(Status.Ok, run.Notebook("exercise").Status);
        Assert.Equal(Status.Failed, run.Notebook("failing").Status);
        Assert.Equal(Status.Ok, run.Notebook("math").Status);
        Assert.Equal(Status.Ok, run.Notebook("outputs").Status);
        Assert.False(run.Report.Passed);
    }

    [Fact]
    public void Prints_progress_per_cell_and_a_summary_table()
    {
        string output = run.Result.Output;
        Assert.Contains("[1/5] chart.ipynb", output, StringComparison.Ordinal);
        Assert.Contains("[5/5] outputs.ipynb", output, StringComparison.Ordinal);
        Assert.Matches(@"cell +2/7 +ok +\d+\.\d s +Console\.WriteLine\(""to stdout""\);", output);
        var table = output[output.LastIndexOf("notebook ", StringComparison.Ordinal)..];
        Assert.Matches(@"notebook +cells +time +start +packages +cells +peak RSS +status", table);
        Assert.Matches(@"chart\.ipynb +2/2 +\d+\.\d s +\d+\.\d s +\d+\.\d s +\d+\.\d s +\d+ MiB +ok", table);
        Assert.Matches(@"failing\.ipynb +1/3 +\d+\.\d s +\d+\.\d s +\d+\.\d s +\d+\.\d s +\d+ MiB +FAILED at cell 4", table);
        Assert.Matches(@"in all +\d+\.\d s +\d+\.\d s +\d+\.\d s +\d+\.\d s +\d+ MiB +\(peak: the largest\)", table);
        Assert.Contains("4/5 notebooks passed", table, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_cell_is_named_by_notebook_cell_number_first_line_and_error()
    {
        var failing = run.Notebook("failing");
        string expected = "failing.ipynb, cell 4 (id boom): `// the first line of this cell is a comment` — System.InvalidOperationException: boom 1";
        Assert.Equal(expected, failing.Error);
        Assert.Contains(expected, run.Result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", failing.Error, StringComparison.Ordinal);   // the headline, not the stack trace
        Assert.Equal([Status.Ok, Status.Failed, Status.NotRun], failing.Cells.Select(c => c.Status));
        Assert.Equal([2, 4, 5], failing.Cells.Select(c => c.Number));

        var error = Assert.Single(run.Cell("failing", "boom")["outputs"]!.AsArray());
        Assert.Equal("error", (string?)error!["output_type"]);
        Assert.Equal("InvalidOperationException", (string?)error["ename"]);
        Assert.Contains("at Submission", string.Join("\n", error["traceback"]!.AsArray().Select(l => (string?)l)), StringComparison.Ordinal);
        Assert.Empty(run.Cell("failing", "never")["outputs"]!.AsArray());
        Assert.Null(run.Cell("failing", "never")["execution_count"]?.GetValue<int?>());
    }

    [Fact]
    public void Collects_stdout_and_stderr_as_streams()
    {
        var stdout = Assert.Single(run.Cell("outputs", "stdout")["outputs"]!.AsArray())!;
        Assert.Equal("stream", (string?)stdout["output_type"]);
        Assert.Equal("stdout", (string?)stdout["name"]);
        Assert.Equal("to stdout\nsecond line\n", BookRun.Text(stdout["text"]));

        var stderr = Assert.Single(run.Cell("outputs", "stderr")["outputs"]!.AsArray())!;
        Assert.Equal("stderr", (string?)stderr["name"]);
        Assert.Equal("to stderr\n", BookRun.Text(stderr["text"]));
    }

    [Fact]
    public void Collects_displayed_values_and_updates_them_in_place()
    {
        var outputs = run.Cell("outputs", "display")["outputs"]!.AsArray();
        Assert.Equal(2, outputs.Count);
        Assert.All(outputs, o => Assert.Equal("display_data", (string?)o!["output_type"]));
        Assert.Equal("displayed text", BookRun.Text(outputs[0]!["data"]!["text/plain"]));
        string updated = BookRun.Text(outputs[1]!["data"]!["text/html"]);
        Assert.Contains("{ Answer = 43 }", updated, StringComparison.Ordinal);
        Assert.DoesNotContain("42", updated, StringComparison.Ordinal);
    }

    [Fact]
    public void Collects_return_values_as_execution_results()
    {
        var result = Assert.Single(run.Cell("outputs", "return")["outputs"]!.AsArray())!;
        Assert.Equal("execute_result", (string?)result["output_type"]);
        Assert.Contains("<pre>42</pre>", BookRun.Text(result["data"]!["text/html"]), StringComparison.Ordinal);
        Assert.Equal((int?)run.Cell("outputs", "return")["execution_count"], (int?)result["execution_count"]);
    }

    [Fact]
    public void Runs_each_notebook_in_its_folder_with_COURSE_HEADLESS_set()
    {
        string Value(string id) => BookRun.Text(Assert.Single(run.Cell("outputs", id)["outputs"]!.AsArray())!["data"]!["text/plain"]);
        Assert.Equal("notebooks", Value("cwd"));   // relative #r "../artifacts/…" lines resolve as in a front end
        Assert.Equal("1", Value("headless"));
    }

    [Fact]
    public void Loads_kernel_extensions_from_packages_and_formats_their_charts_offline()
    {
        var outputs = run.Cell("chart", "chart")["outputs"]!.AsArray();
        Assert.Contains(outputs, o => BookRun.Text(o!["data"]?["text/plain"]).StartsWith("Loading extensions from", StringComparison.Ordinal)
                                      && BookRun.Text(o["data"]?["text/plain"]).Contains("Plotly.NET.Interactive.dll", StringComparison.Ordinal));
        string chart = BookRun.Text(outputs.Single(o => (string?)o!["output_type"] == "execute_result")!["data"]!["text/html"]);
        Assert.Contains($"data-course-plotly=\"{PlotlyAsset.Version}\"", chart, StringComparison.Ordinal);   // plotly.js inlined, once
        Assert.Contains("Plotly.newPlot(", chart, StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"https://cdn.plot.ly", chart, StringComparison.Ordinal);   // not Plotly.NET.Interactive's
        Assert.DoesNotContain("requirejs", chart, StringComparison.Ordinal);                   // require.js-from-CDN output

        string second = BookRun.Text(run.Cell("chart", "second")["outputs"]!.AsArray().Single()!["data"]!["text/html"]);
        Assert.DoesNotContain("data-course-plotly", second, StringComparison.Ordinal);   // later charts reuse it
        Assert.Contains("Plotly.newPlot(", second, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_has_time_status_and_first_line_of_every_code_cell()
    {
        foreach (var notebook in run.Report.Notebooks.Where(n => n.Status == Status.Ok))
        {
            var cells = run.Executed(Path.GetFileNameWithoutExtension(notebook.Name))["cells"]!.AsArray();
            var code = cells.Select((c, i) => (Cell: c!, Number: i + 1)).Where(c => (string?)c.Cell["cell_type"] == "code").ToList();
            Assert.Equal(code.Select(c => c.Number), notebook.Cells.Select(c => c.Number));
            foreach (var (cell, report) in code.Zip(notebook.Cells, (c, r) => (c.Cell, r)))
            {
                Assert.Equal(Status.Ok, report.Status);
                Assert.Equal((string?)cell["id"], report.Id);
                string first = BookRun.Text(cell["source"]).Split('\n').First(l => l.Trim().Length > 0).Trim();
                Assert.Equal(first.Length <= 80 ? first : first[..77] + "...", report.FirstLine);
                Assert.InRange(report.Seconds, 1e-6, 60);
                Assert.Equal(report.Seconds, (double)cell["metadata"]!["course_run"]!["seconds"]!, 3);
            }
            Assert.True(notebook.Seconds > notebook.KernelSeconds + notebook.Cells.Sum(c => c.Seconds) - 1e-6, $"{notebook.Name}: notebook time covers kernel start and cells");
        }
    }

    [Fact]
    public void Report_splits_each_notebook_into_start_packages_and_cells_and_records_its_peak_memory()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run.Out, "report.json")))!["notebooks"]!.AsArray();
        foreach (var n in json)
            foreach (string field in (string[])["seconds", "startSeconds", "packageSeconds", "cellSeconds", "peakRssBytes"])
                Assert.True(n![field] is not null, $"{(string?)n!["name"]}: report.json has no {field}");

        foreach (var n in run.Report.Notebooks)
        {
            // A tolerance, not a number of decimals: rounding both sides to 6 places fails when a sum lands on a half.
            Assert.Equal(n.Seconds, n.StartSeconds + n.PackageSeconds + n.CellSeconds, 1e-9);
            Assert.True(n.StartSeconds > 0.1, $"{n.Name}: a process and a kernel take time to start ({n.StartSeconds} s)");
            Assert.True(n.StartSeconds >= n.KernelSeconds, $"{n.Name}: start {n.StartSeconds} s covers the kernel's {n.KernelSeconds} s");
            Assert.Equal(n.Cells.Where(c => !c.Packages).Sum(c => c.Seconds), n.CellSeconds, 1e-9);
            // A .NET process hosting Roslyn uses tens of megabytes at least; these tiny notebooks stay far below the limit.
            Assert.InRange(n.PeakRssBytes ?? 0, 50_000_000, 1_000_000_000);
        }
        var chart = run.Notebook("chart");
        Assert.True(Assert.Single(chart.Cells, c => c.Packages).FirstLine.Length > 0);
        Assert.True(chart.PackageSeconds > 0, "chart.ipynb's #r cell is package loading");
        Assert.Equal(0, run.Notebook("outputs").PackageSeconds);
    }

    [Fact]
    public void Report_has_the_run_wall_time_apart_from_the_notebooks_own_times()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run.Out, "report.json")))!;
        Assert.Equal((RunOptions.DefaultJobs, true), ((int)json["jobs"]!, (bool)json["startAhead"]!));
        double wall = (double)json["seconds"]!, sum = (double)json["notebookSeconds"]!;
        Assert.Equal(run.Report.Notebooks.Sum(n => n.Seconds), sum, 1e-9);
        Assert.InRange(wall, run.Report.Notebooks.Max(n => n.Seconds), run.Result.Elapsed.TotalSeconds);
        Assert.Contains($"4/5 notebooks passed in {Execution.Summary.Time(wall)} wall time; ", run.Result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_notebook_above_the_memory_limit_fails_with_a_clear_message()
    {
        var ok = run.Notebook("chart");
        Assert.Same(ok, Execution.CourseRun.OverMemory(ok, ok.PeakRssBytes!.Value));
        var over = Execution.CourseRun.OverMemory(ok with { PeakRssBytes = 1_700_000_000 }, Execution.PeakMemory.DefaultLimitBytes);
        Assert.Equal(Status.Failed, over.Status);
        Assert.Equal("chart.ipynb: peak resident memory 1.58 GiB is above the limit of 1.50 GiB (--memory-limit); " +
                     "every cell passed, but the notebook needs less memory", over.Error);
        var failed = run.Notebook("failing");   // a failure of its own keeps its own message
        var stillFailed = Execution.CourseRun.OverMemory(failed, 1);
        Assert.Equal((Status.Failed, failed.Error), (stillFailed.Status, stillFailed.Error));
    }

    [Fact]
    public void Executed_notebooks_keep_ids_and_metadata_and_number_their_executions()
    {
        var source = JsonNode.Parse(File.ReadAllText(Path.Combine(Runner.TestNotebooks, "outputs.ipynb")))!;
        var executed = run.Executed("outputs");
        Assert.Equal(4, (int?)executed["nbformat"]);
        Assert.Equal(".net-csharp", (string?)executed["metadata"]!["kernelspec"]!["name"]);
        Assert.Equal(source["cells"]!.AsArray().Select(c => (string?)c!["id"]), executed["cells"]!.AsArray().Select(c => (string?)c!["id"]));
        var counts = executed["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").Select(c => (int?)c!["execution_count"]).ToList();
        Assert.Equal(Enumerable.Range(1, counts.Count).Cast<int?>(), counts);
        Assert.All(executed["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code"), c => Assert.NotEmpty(c!["outputs"]!.AsArray()));
    }

    [Fact]
    public void Exercise_cells_run_with_their_solutions_filled_in()
    {
        var exercise = run.Notebook("exercise");
        var solved = Assert.Single(exercise.Cells, c => c.Solution);
        Assert.Equal("ex1", solved.Id);
        Assert.Equal("int answer = 6 * 7;", solved.FirstLine);
        Assert.Equal("int answer = 6 * 7;", BookRun.Text(run.Cell("exercise", "ex1")["source"]));
        Assert.StartsWith("✅ Exercise 1: correct.", BookRun.Text(run.Cell("exercise", "ex1-check")["outputs"]![0]!["text"]), StringComparison.Ordinal);
    }
}
