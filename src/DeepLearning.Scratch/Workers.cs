namespace DeepLearning.Scratch;

/// <summary>A piece of work over items [first, end) done by participant <c>worker</c> (0 is the calling thread).</summary>
internal interface IWorkRange
{
    void Run(int first, int end, int worker);
}

/// <summary>
/// Shares independent items (the images of a batch, the planes of a pooling) among the cores. The calling thread
/// works too and claims chunks from a shared counter, so when the machine is busy and no helper gets scheduled the
/// caller simply does everything itself instead of waiting. Nothing is allocated once warm: jobs are pooled per
/// body type, the body is a struct, and the helpers are a few long-lived threads of our own (the .NET thread pool
/// adds threads under load, and each new one would allocate its own buffers).
/// </summary>
internal static class Workers
{
    private static readonly System.Collections.Concurrent.ConcurrentQueue<IThreadPoolWorkItem> Queue = new();
    private static readonly SemaphoreSlim Signal = new(0);
    private static int started;

    /// <summary>Hands <paramref name="item"/> to a helper thread (started on first use, one per core beyond the caller's).</summary>
    public static void Post(IThreadPoolWorkItem item)
    {
        if (Volatile.Read(ref started) == 0 && Interlocked.Exchange(ref started, 1) == 0)
            for (int i = 1; i < Count; i++)
                new Thread(Helper) { IsBackground = true, Name = $"DeepLearning.Scratch worker {i}" }.Start();
        Queue.Enqueue(item);
        Signal.Release();
    }

    // Waits for work, spinning for a moment before blocking: training calls GEMMs and convolutions back to back, and
    // a helper that has gone to sleep takes tens of microseconds to wake, as long as a whole 256³ product.
    private static void Helper()
    {
        long spinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 µs
        while (true)
        {
            long idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
            while (Signal.CurrentCount == 0 && System.Diagnostics.Stopwatch.GetTimestamp() - idleSince < spinTicks) Thread.SpinWait(50);
            Signal.Wait();
            if (Queue.TryDequeue(out var item)) item.Execute();
        }
    }

    /// <summary>The most participants a job can have (the calling thread plus helpers).</summary>
    public static int Count { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Runs <paramref name="body"/> over [0, <paramref name="count"/>) in chunks of <paramref name="chunk"/> items,
    /// on up to <see cref="Count"/> threads when <paramref name="parallel"/>; returns once every item is done and
    /// reports how many participants took part (worker indices run from 0 to that number − 1).
    /// </summary>
    public static int For<TBody>(int count, int chunk, bool parallel, TBody body) where TBody : struct, IWorkRange
    {
        int chunks = (count + chunk - 1) / chunk;
        int helpers = parallel ? Math.Min(Count, chunks) - 1 : 0;
        if (helpers <= 0)
        {
            body.Run(0, count, 0);
            return 1;
        }
        var job = Job<TBody>.Rent();
        job.Start(count, chunk, chunks, body, helpers);
        return job.RunAndWait();
    }

    private sealed class Job<TBody> : IThreadPoolWorkItem where TBody : struct, IWorkRange
    {
        private static readonly Stack<Job<TBody>> Pool = new();

        private TBody body;
        private int count, chunk, chunks;
        private int next, done, workers, refs; // next chunk to claim, chunks finished, participants so far, threads holding the job

        public static Job<TBody> Rent()
        {
            lock (Pool) return Pool.Count > 0 ? Pool.Pop() : new Job<TBody>();
        }

        public void Start(int count, int chunk, int chunks, TBody body, int helpers)
        {
            (this.count, this.chunk, this.chunks, this.body) = (count, chunk, chunks, body);
            (next, done, workers, refs) = (0, 0, 0, 1 + helpers);
            for (int h = 0; h < helpers; h++) Post(this);
        }

        // The caller works, then waits only for chunks some thread has actually claimed.
        public int RunAndWait()
        {
            Work();
            var spin = new SpinWait();
            while (Volatile.Read(ref done) < chunks) spin.SpinOnce(sleep1Threshold: -1);
            int participants = Volatile.Read(ref workers);
            Release();
            return participants;
        }

        public void Execute()
        {
            Work();
            Release();
        }

        // A participant takes a worker index only once it has claimed a chunk, so a helper that starts late (after
        // every chunk is gone) touches nothing the caller is about to read.
        private void Work()
        {
            int worker = -1, c;
            while ((c = Interlocked.Increment(ref next) - 1) < chunks)
            {
                if (worker < 0) worker = Interlocked.Increment(ref workers) - 1;
                int first = c * chunk;
                body.Run(first, Math.Min(first + chunk, count), worker);
                Interlocked.Increment(ref done);
            }
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref refs) != 0) return;
            body = default; // drop the arrays it refers to
            lock (Pool) Pool.Push(this);
        }
    }
}
