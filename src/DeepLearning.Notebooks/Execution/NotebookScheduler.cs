namespace DeepLearning.Notebooks.Execution;

/// <summary>One notebook's worker: created (for a process, started up to its first cell) before its turn.</summary>
internal interface INotebookWorker : IAsyncDisposable
{
    /// <summary>Runs the notebook and returns its report; <paramref name="cancel"/> stops it (a process is killed).</summary>
    Task<NotebookReport> RunAsync(CancellationToken cancel);
}

/// <summary>A worker that does nothing until its turn (the Jupyter client, tests).</summary>
internal sealed class DeferredWorker(Func<CancellationToken, Task<NotebookReport>> run) : INotebookWorker
{
    public Task<NotebookReport> RunAsync(CancellationToken cancel) => run(cancel);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Runs notebooks 0…count-1 in course order with up to <c>jobs</c> at once, and keeps
/// <c>ahead</c> more workers started (process and kernel up, waiting for their first cell) so the next
/// notebook's start overlaps the current ones. Notebooks start in index order, may finish in any order, and each
/// report lands at its own index. Every worker it started is disposed before <see cref="RunAsync"/> returns or
/// throws: an interrupted run (cancel) or a stopped one (a notebook's report stops it) leaves no process behind.
/// </summary>
internal sealed class NotebookScheduler
{
    private readonly int _jobs, _ahead;

    public NotebookScheduler(int jobs, int ahead)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(ahead);
        (_jobs, _ahead) = (jobs, ahead);
    }

    /// <summary>What a finished notebook leaves: the report to keep and, when it shows the other notebooks
    /// cannot run either, why the run stops.</summary>
    public delegate (NotebookReport Report, string? Stop) Finished(int index, NotebookReport report);

    /// <summary>The reports by index (null: not run, because the run was interrupted or stopped before it), and why
    /// the run stopped, if a notebook stopped it.</summary>
    public sealed record Outcome(IReadOnlyList<NotebookReport?> Reports, string? Stop);

    /// <param name="count">How many notebooks.</param>
    /// <param name="start">Creates notebook i's worker (called in index order, at most once per index).</param>
    /// <param name="finished">Called once per notebook that ran, in the order they finish, one at a time.</param>
    /// <param name="cancel">Interrupts the run: running workers are stopped, started ones disposed unrun.</param>
    /// <param name="running">Called when notebook i's turn comes, just before its worker runs it.</param>
    public async Task<Outcome> RunAsync(int count, Func<int, INotebookWorker> start, Finished finished, CancellationToken cancel,
        Action<int>? running = null)
    {
        var reports = new NotebookReport?[count];
        var waiting = new Queue<(int Index, INotebookWorker Worker)>();
        var runs = new Dictionary<Task<NotebookReport>, (int Index, INotebookWorker Worker, CancellationTokenSource Stop)>();
        int next = 0, stopAt = int.MaxValue;
        string? stop = null;
        // Completes (cancelled) on an interrupt, so that waiting workers are disposed at once, not after a notebook.
        Task? interrupt = Task.Delay(Timeout.Infinite, cancel);
        try
        {
            while (true)
            {
                if (stop is null && !cancel.IsCancellationRequested)
                {
                    while (runs.Count < _jobs && (waiting.Count > 0 || next < count))
                    {
                        var (index, worker) = waiting.Count > 0 ? waiting.Dequeue() : (next, start(next++));
                        var stopOne = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                        running?.Invoke(index);
                        runs.Add(worker.RunAsync(stopOne.Token), (index, worker, stopOne));
                    }
                    while (waiting.Count < _ahead && next < count)
                    {
                        int index = next++;
                        waiting.Enqueue((index, start(index)));
                    }
                }
                else
                {
                    while (waiting.Count > 0) await waiting.Dequeue().Worker.DisposeAsync();
                }
                if (runs.Count == 0) break;

                IEnumerable<Task> watched = runs.Keys;
                var done = await Task.WhenAny(interrupt is null ? watched : watched.Append(interrupt));
                if (done is not Task<NotebookReport> finishedTask)
                {
                    interrupt = null;   // seen; the running workers stop through their own (linked) tokens
                    continue;
                }
                var (i, w, s) = runs[finishedTask];
                runs.Remove(finishedTask);
                var report = await finishedTask;
                await w.DisposeAsync();
                s.Dispose();
                if (i > stopAt) continue;   // stopped because an earlier notebook stopped the run: not run

                var (kept, why) = finished(i, report);
                reports[i] = kept;
                if (why is not null && i < stopAt)
                {
                    (stop, stopAt) = (why, i);
                    for (int j = i + 1; j < count; j++) reports[j] = null;
                    foreach (var other in runs.Values.Where(r => r.Index > i)) await other.Stop.CancelAsync();
                }
            }
        }
        finally
        {
            // Whatever ends the loop (an exception included), no worker outlives it.
            while (waiting.Count > 0) await waiting.Dequeue().Worker.DisposeAsync();
            foreach (var (task, (_, worker, stopOne)) in runs)
            {
                await stopOne.CancelAsync();
                try { await task; }
                catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException) { }
                await worker.DisposeAsync();
                stopOne.Dispose();
            }
        }
        return new Outcome(reports, stop);
    }
}
