using System.Text.Json.Nodes;
using DeepLearning.Notebooks.Execution;

namespace DeepLearning.Notebooks.Tests;

/// <summary>
/// How the runner overlaps notebooks: up to --jobs at once, the next worker started ahead. Fake workers finish when a
/// test says so; whatever the order they finish in, results come back in course order, and no started worker is left
/// undisposed however the run ends.
/// </summary>
public class SchedulerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Reports_come_back_in_course_order_when_notebooks_finish_out_of_order()
    {
        var fakes = new Fakes();
        List<int> finishedOrder = [], turns = [];
        var run = new NotebookScheduler(jobs: 2, ahead: 1).RunAsync(4, fakes.Start, (i, r) =>
        {
            lock (finishedOrder) finishedOrder.Add(i);
            return (r, null);
        }, CancellationToken.None, i => { lock (turns) turns.Add(i); });

        await Until(() => fakes.Running.SetEquals([0, 1]) && fakes.Created.Count == 3);   // two run, a third is up
        fakes[1].Finish();
        await Until(() => fakes.Running.SetEquals([0, 2]) && fakes.Created.Count == 4);
        fakes[2].Finish();
        await Until(() => fakes.Running.SetEquals([0, 3]));
        fakes[3].Finish();
        await Until(() => fakes.Running.SetEquals([0]));
        fakes[0].Finish();
        var outcome = await run.WaitAsync(Patience);

        Assert.Equal(["n0", "n1", "n2", "n3"], outcome.Reports.Select(r => r!.Name));
        Assert.Equal([0, 1, 2, 3], turns);   // turns come in course order
        Assert.Equal([1, 2, 3, 0], finishedOrder);
        Assert.Null(outcome.Stop);
        Assert.Equal(2, fakes.MostAtOnce);
        Assert.All(fakes.All, f => Assert.Equal(1, f.Disposals));
    }

    [Fact]
    public async Task The_next_worker_is_started_while_the_current_notebook_runs_and_runs_when_it_ends()
    {
        var fakes = new Fakes();
        var run = new NotebookScheduler(jobs: 1, ahead: 1).RunAsync(3, fakes.Start, (_, r) => (r, null), CancellationToken.None);

        await Until(() => fakes.Running.SetEquals([0]) && fakes.Created.SetEquals([0, 1]));
        Assert.False(fakes[1].Ran);   // started ahead: up, waiting for its turn
        fakes[0].Finish();
        await Until(() => fakes.Running.SetEquals([1]) && fakes.Created.SetEquals([0, 1, 2]));
        Assert.Equal(1, fakes[0].Disposals);
        fakes[1].Finish();
        await Until(() => fakes.Running.SetEquals([2]));
        fakes[2].Finish();
        var outcome = await run.WaitAsync(Patience);
        Assert.All(outcome.Reports, r => Assert.NotNull(r));
        Assert.Equal(1, fakes.MostAtOnce);
    }

    [Fact]
    public async Task Without_start_ahead_a_worker_is_created_only_when_its_turn_comes()
    {
        var fakes = new Fakes();
        var run = new NotebookScheduler(jobs: 1, ahead: 0).RunAsync(2, fakes.Start, (_, r) => (r, null), CancellationToken.None);
        await Until(() => fakes.Running.SetEquals([0]));
        Assert.Equal([0], fakes.Created);
        fakes[0].Finish();
        await Until(() => fakes.Running.SetEquals([1]));
        fakes[1].Finish();
        await run.WaitAsync(Patience);
    }

    [Fact]
    public async Task An_interrupted_run_stops_the_running_notebook_and_disposes_the_one_started_ahead_unrun()
    {
        var fakes = new Fakes();
        using var interrupt = new CancellationTokenSource();
        var run = new NotebookScheduler(jobs: 1, ahead: 1).RunAsync(3, fakes.Start, (_, r) => (r, null), interrupt.Token);
        await Until(() => fakes.Running.SetEquals([0]) && fakes.Created.SetEquals([0, 1]));

        await interrupt.CancelAsync();
        var outcome = await run.WaitAsync(Patience);

        Assert.True(fakes[0].Cancelled);
        Assert.Equal(Status.Failed, outcome.Reports[0]!.Status);   // the interrupted notebook keeps its own report
        Assert.Equal([null, null], outcome.Reports.Skip(1));
        Assert.False(fakes[1].Ran);
        Assert.Equal(1, fakes[1].Disposals);
        Assert.Equal([0, 1], fakes.Created.Order());   // nothing started after the interrupt
        Assert.All(fakes.All, f => Assert.Equal(1, f.Disposals));
    }

    [Fact]
    public async Task A_notebook_that_stops_the_run_lets_earlier_notebooks_finish_and_stops_later_ones()
    {
        var fakes = new Fakes();
        var run = new NotebookScheduler(jobs: 2, ahead: 1).RunAsync(5, fakes.Start,
            (i, r) => (r with { Title = "kept" }, i == 1 ? "packages cannot be restored" : null), CancellationToken.None);
        await Until(() => fakes.Running.SetEquals([0, 1]) && fakes.Created.Count == 3);

        fakes[1].Finish();   // notebook 1 stops the run while notebook 0 still runs and 2 waits
        await Until(() => fakes[2].Disposals == 1);
        Assert.False(fakes[2].Ran);
        Assert.False(fakes[0].Cancelled);
        fakes[0].Finish();
        var outcome = await run.WaitAsync(Patience);

        Assert.Equal("packages cannot be restored", outcome.Stop);
        Assert.Equal(["kept", "kept", null, null, null], outcome.Reports.Select(r => r?.Title));
        Assert.Equal(3, fakes.Created.Count);
        Assert.All(fakes.All, f => Assert.Equal(1, f.Disposals));
    }

    [Fact]
    public async Task A_later_notebook_running_when_an_earlier_one_stops_the_run_is_stopped_and_counts_as_not_run()
    {
        var fakes = new Fakes();
        var run = new NotebookScheduler(jobs: 2, ahead: 0).RunAsync(3, fakes.Start, (i, r) => (r, i == 0 ? "stop" : null), CancellationToken.None);
        await Until(() => fakes.Running.SetEquals([0, 1]));
        fakes[0].Finish();
        var outcome = await run.WaitAsync(Patience);
        Assert.True(fakes[1].Cancelled);
        Assert.Equal(["n0", null, null], outcome.Reports.Select(r => r?.Name));
    }

    [Fact]
    public async Task A_failure_of_the_runner_itself_still_disposes_every_worker()
    {
        var fakes = new Fakes { FailAt = 2 };
        var run = new NotebookScheduler(jobs: 1, ahead: 1).RunAsync(3, fakes.Start, (_, r) => (r, null), CancellationToken.None);
        await Until(() => fakes.Running.SetEquals([0]));
        fakes[0].Finish();   // its turn starts notebook 2's worker, which throws
        await Assert.ThrowsAsync<IOException>(() => run.WaitAsync(Patience));
        Assert.True(fakes[1].Cancelled);
        Assert.All(fakes.All, f => Assert.Equal(1, f.Disposals));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, -1)]
    public void Rejects_no_jobs_or_negative_ahead(int jobs, int ahead) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new NotebookScheduler(jobs, ahead));

    [Fact]
    public void Console_lines_come_in_course_order_whatever_order_notebooks_write_in()
    {
        var text = new StringWriter { NewLine = "\n" };
        var output = new OrderedConsole(text, 3);
        TextWriter a = output.Slot(0), b = output.Slot(1), c = output.Slot(2);
        output.Open(0);
        output.Open(1);
        c.WriteLine("c1");   // started ahead, its turn not come yet
        b.WriteLine("b1");
        a.WriteLine("a1");
        Assert.Equal("a1\n", text.ToString());   // the first notebook's lines live, the others' held
        b.Write("b2 in ");
        b.WriteLine("two writes");
        output.Close(1);   // finished before the first: still held
        Assert.Equal("a1\n", text.ToString());
        a.WriteLine("a2");
        output.Close(0);
        Assert.Equal("a1\na2\nb1\nb2 in two writes\n", text.ToString());   // c's turn has not come: held
        output.Open(2);
        c.WriteLine("c2");
        output.Close(2);
        Assert.Equal("a1\na2\nb1\nb2 in two writes\nc1\nc2\n", text.ToString());
    }

    [Fact]
    public void A_notebook_that_never_ran_shows_nothing()
    {
        var text = new StringWriter { NewLine = "\n" };
        var output = new OrderedConsole(text, 3);
        output.Open(0);
        output.Slot(0).WriteLine("ran");
        output.Slot(1).WriteLine("started ahead, then the run was interrupted");
        output.Close(0);
        output.Discard(1);
        output.Close(1);
        output.Discard(2);
        output.Close(2);
        Assert.Equal("ran\n", text.ToString());
    }

    [Fact]
    public void Report_json_has_the_wall_time_apart_from_the_notebooks_own_times()
    {
        NotebookReport Notebook(string name, double seconds, Status status = Status.Ok) =>
            new NotebookReport(name + ".ipynb", name, status, seconds, 1, [new CellReport(2, "c", "x", status, seconds / 2)], null, "", name + ".html").WithSplit();
        var run = new RunReport(DateTimeOffset.UnixEpoch, 21, true, [Notebook("a", 10), Notebook("b", 20), Notebook("c", 0, Status.NotRun)], Jobs: 2, StartAhead: true);
        Assert.Equal(30, run.NotebookSeconds, 1e-9);

        using var dir = Runner.NewOutDir("wall-time");
        string path = Path.Combine(dir, "report.json");
        run.Save(path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal((21.0, 30.0, 2, true), ((double)json["seconds"]!, (double)json["notebookSeconds"]!, (int)json["jobs"]!, (bool)json["startAhead"]!));
        var back = RunReport.Load(path);
        Assert.Equal((21.0, 2, true, 30.0), (back.Seconds, back.Jobs, back.StartAhead, back.NotebookSeconds));

        var console = new StringWriter();
        Summary.Print(run, null, dir, console);
        Assert.Contains("2/3 notebooks passed in 21.0 s wall time; 2 notebooks at once, the next notebook's worker started ahead, " +
                        "the notebooks' own times add up to 30.0 s", console.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"in all +30\.0 s +", console.ToString());
    }

    [Fact]
    public void Parses_jobs_and_start_ahead()
    {
        var (defaults, _) = RunOptions.Parse([]);
        Assert.Equal((RunOptions.DefaultJobs, true), (defaults!.Jobs, defaults.StartAhead));
        var (options, error) = RunOptions.Parse(["--jobs", "3", "--no-start-ahead"]);
        Assert.Null(error);
        Assert.Equal((3, false), (options!.Jobs, options.StartAhead));
        foreach (string bad in new[] { "0", "-1", "1.5", "two" })
            Assert.Equal($"--jobs wants a positive whole number of notebooks, got '{bad}'", RunOptions.Parse(["--jobs", bad]).Error);
        Assert.Equal("--jobs needs a value", RunOptions.Parse(["--jobs"]).Error);
    }

    private static async Task Until(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Patience) throw new TimeoutException("the scheduler did not get there in time");
            await Task.Delay(10);
        }
    }

    private sealed class Fakes
    {
        private readonly List<Fake> _all = [];
        private int _running, _most;

        public int? FailAt { get; init; }

        public Fake this[int index] { get { lock (_all) return _all[index]; } }

        public IReadOnlyList<Fake> All { get { lock (_all) return [.. _all]; } }

        public HashSet<int> Created { get { lock (_all) return [.. _all.Select(f => f.Index)]; } }

        public HashSet<int> Running { get { lock (_all) return [.. _all.Where(f => f.IsRunning).Select(f => f.Index)]; } }

        public int MostAtOnce => Volatile.Read(ref _most);

        public INotebookWorker Start(int index)
        {
            if (index == FailAt) throw new IOException("cannot start");
            var fake = new Fake(index, this);
            lock (_all) _all.Add(fake);
            return fake;
        }

        internal void Began()
        {
            int now = Interlocked.Increment(ref _running);
            int most;
            while (now > (most = Volatile.Read(ref _most)) && Interlocked.CompareExchange(ref _most, now, most) != most) { }
        }

        internal void Ended() => Interlocked.Decrement(ref _running);
    }

    private sealed class Fake(int index, Fakes owner) : INotebookWorker
    {
        private readonly TaskCompletionSource<NotebookReport> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _disposals;

        public int Index => index;
        public bool Ran { get; private set; }
        public bool IsRunning { get; private set; }
        public bool Cancelled { get; private set; }
        public int Disposals => Volatile.Read(ref _disposals);

        public void Finish() => _done.TrySetResult(Report(Status.Ok));

        public async Task<NotebookReport> RunAsync(CancellationToken cancel)
        {
            Assert.Equal(0, Disposals);
            (Ran, IsRunning) = (true, true);
            owner.Began();
            using var stop = cancel.Register(() =>
            {
                Cancelled = true;
                _done.TrySetResult(Report(Status.Failed));
            });
            try { return await _done.Task; }
            finally
            {
                IsRunning = false;
                owner.Ended();
            }
        }

        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref _disposals);
            return ValueTask.CompletedTask;
        }

        private NotebookReport Report(Status status) => new($"n{index}", $"n{index}", status, 1, 0, [], null, "", "");
    }
}
