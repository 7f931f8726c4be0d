using System.Diagnostics;
using System.Globalization;

namespace DeepLearning.Bench;

/// <summary>
/// The comparison harness: the same work through the scratch half and through TorchSharp, timed in one run,
/// interleaved sample by sample so that a busy machine slows both sides alike, then reported side by side.
/// </summary>
public static class Compare
{
    /// <summary>One row of the comparison: a scratch workload, its framework twin (if any), and the goal for the ratio.</summary>
    private sealed record Case(string Name, Func<IWorkload> Scratch, string FrameworkKey, double? Flops = null, double? GoalRatio = null);

    /// <summary>Timing of one side: per-operation seconds of every sample, and managed bytes allocated per operation.</summary>
    private sealed record Timing(List<double> Seconds, double BytesPerOp)
    {
        public double Median => Percentile(0.5);

        public double Best => Seconds.Min();

        private double Percentile(double q)
        {
            var s = Seconds.Order().ToList();
            return s[(int)Math.Round(q * (s.Count - 1))];
        }
    }

    /// <summary>Runs every case and prints the tables; returns 0.</summary>
    public static int Run(string[] args)
    {
        int rounds = IntOption(args, "--rounds", 60);
        double sampleSeconds = IntOption(args, "--sample-ms", 20) / 1000.0;
        gapMs = IntOption(args, "--gap-ms", 10);
        string? only = StringOption(args, "--filter");
        Console.WriteLine($"# Scratch vs TorchSharp — {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
        Console.WriteLine();
        Console.WriteLine($"machine: {Machine.Describe()}");
        Console.WriteLine($"load average at start: {Machine.LoadAverage()} (on {Environment.ProcessorCount} CPUs)");
        var peak = Machine.DetectPeak();
        Console.WriteLine(peak.Describe());
        double ceiling1 = Machine.MeasureFmaCeiling(1), ceilingAll = Machine.MeasureFmaCeiling(Environment.ProcessorCount);
        Console.WriteLine($"measured in-register FMA ceiling (best short bursts): 1 thread {ceiling1:F1} GFLOP/s (≈ {ceiling1 / (peak.FlopPerCycle):F2} GHz effective), {Environment.ProcessorCount} threads {ceilingAll:F1} GFLOP/s");
        var (torchOk, torchWhy) = Framework.Probe(args);
        Console.WriteLine(torchOk ? $"framework: {torchWhy}" : $"comparison with TorchSharp: skipped — {torchWhy}");
        Console.WriteLine($"method: {rounds} rounds of ~{sampleSeconds * 1000:F0} ms samples per side, scratch and framework alternating with {gapMs} ms pauses (threads stop spinning); per-op median and best sample. Ratio = framework time / scratch time (> 1: scratch is faster); goals are judged on medians and on best samples.");
        Console.WriteLine();

        var cases = Cases().Where(c => only is null || c.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();
        var results = new List<(Case Case, Timing Scratch, Timing? Torch)>();
        foreach (var c in cases)
        {
            Console.Error.Write($"  {c.Name} …");
            IWorkload scratch = c.Scratch();
            IWorkload? torch = torchOk ? Framework.Create(c.FrameworkKey) : null;
            var (s, t) = Measure(scratch, torch, rounds, sampleSeconds);
            results.Add((c, s, t));
            Console.Error.WriteLine(" done");
            (torch as IDisposable)?.Dispose();
        }

        Console.WriteLine("| workload | scratch median | scratch best | alloc/op | TorchSharp median | TorchSharp best | ratio (median) | ratio (best) | goal |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var (c, s, t) in results)
        {
            string goal = c.GoalRatio is double g
                ? t is null ? $"≥ {g:0.0#}× (not measured)" : $"≥ {g:0.0#}× — {Verdict(t.Best / s.Best >= g, t.Median / s.Median >= g)}"
                : "";
            Console.WriteLine($"| {c.Name} | {Time(s.Median)} | {Time(s.Best)} | {Bytes(s.BytesPerOp)} | {(t is null ? "—" : Time(t.Median))} | {(t is null ? "—" : Time(t.Best))} | " +
                              $"{(t is null ? "—" : $"{t.Median / s.Median:F2}×")} | {(t is null ? "—" : $"{t.Best / s.Best:F2}×")} | {goal} |");
        }
        Console.WriteLine();

        Console.WriteLine("| GEMM (float32, square) | scratch GFLOP/s median / best | % of theoretical peak (best) | % of measured FMA ceiling (median / best) | TorchSharp GFLOP/s median / best | goal ≥ 80 % of the ceiling |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | --- |");
        foreach (var (c, s, t) in results.Where(r => r.Case.Flops is not null))
        {
            double f = c.Flops!.Value / 1e9;
            bool parallel = c.Flops >= 2.0 * (1 << 21);
            double theory = parallel ? peak.Gflops : peak.GflopsPerCore, ceiling = parallel ? ceilingAll : ceiling1;
            string goal = parallel ? Verdict(f / s.Best / ceiling >= 0.8, f / s.Median / ceiling >= 0.8) : "";
            Console.WriteLine($"| {c.Name}{(parallel ? $" ({Environment.ProcessorCount} threads)" : " (1 thread)")} | {f / s.Median:F1} / {f / s.Best:F1} | {100 * f / s.Best / theory:F0} % of {theory:F0} | {100 * f / s.Median / ceiling:F0} / {100 * f / s.Best / ceiling:F0} % of {ceiling:F0} | " +
                              $"{(t is null ? "—" : $"{f / t.Median:F1} / {f / t.Best:F1}")} | {goal} |");
        }
        Console.WriteLine();
        Console.WriteLine($"load average at end: {Machine.LoadAverage()}");
        return 0;
    }

    /// <summary>
    /// How cost grows (issue 17): the MLP step and the LeNet conv part over batch 16 → 256, and GEMM 64³ → 2048³,
    /// scratch and TorchSharp alternating sample by sample as in <see cref="Run"/>; prints one table per workload.
    /// </summary>
    public static int Scaling(string[] args)
    {
        int rounds = IntOption(args, "--rounds", 20);
        double sampleSeconds = IntOption(args, "--sample-ms", 20) / 1000.0;
        gapMs = IntOption(args, "--gap-ms", 10);
        string? only = StringOption(args, "--filter");
        Console.WriteLine($"# How cost grows: scratch vs TorchSharp — {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
        Console.WriteLine();
        Console.WriteLine($"machine: {Machine.Describe()}");
        Console.WriteLine($"load average at start: {Machine.LoadAverage()} (on {Environment.ProcessorCount} CPUs)");
        var (torchOk, torchWhy) = Framework.Probe(args);
        Console.WriteLine(torchOk ? $"framework: {torchWhy}" : $"comparison with TorchSharp: skipped — {torchWhy}");
        Console.WriteLine($"method: {rounds} rounds of ~{sampleSeconds * 1000:F0} ms samples (at least one operation) per side, alternating with {gapMs} ms pauses; medians, best samples in the last column. Ratio = TorchSharp time / scratch time (> 1: scratch is faster).");
        int[] batches = [16, 32, 64, 128, 256];
        int[] sizes = [64, 128, 256, 512, 1024, 2048];
        var families = new (string Title, string Unit, IEnumerable<(int Size, Func<IWorkload> Scratch, string Key, double? Flops)> Rows)[]
        {
            ("MLP 64→128→10 SGD step", "batch", batches.Select(b => (b, (Func<IWorkload>)(() => new Scratch.MlpStep(batch: b)), $"mlp:{b}", (double?)null))),
            ("LeNet conv part fwd+bwd (N×1×28×28)", "batch", batches.Select(b => (b, (Func<IWorkload>)(() => new Scratch.LeNetConvStep(b)), $"lenet:{b}", (double?)null))),
            ("GEMM (float32, square n³)", "n", sizes.Select(n => (n, (Func<IWorkload>)(() => new Scratch.GemmWork(n)), $"gemm:{n}", (double?)(2.0 * n * n * n)))),
        };
        foreach (var (title, unit, rows) in families.Where(f => only is null || f.Title.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            Console.WriteLine();
            Console.WriteLine($"## {title}");
            Console.WriteLine();
            bool gemm = unit == "n";
            Console.WriteLine($"| {unit} | scratch median | TorchSharp median | {(gemm ? "scratch GFLOP/s | TorchSharp GFLOP/s | " : "scratch per example | TorchSharp per example | ")}ratio (median) | ratio (best) |");
            Console.WriteLine($"| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var (size, scratchFactory, key, flops) in rows)
            {
                Console.Error.Write($"  {title} {unit} {size} …");
                IWorkload scratch = scratchFactory();
                IWorkload? torch = torchOk ? Framework.Create(key) : null;
                var (sT, tT) = Measure(scratch, torch, rounds, sampleSeconds);
                (torch as IDisposable)?.Dispose();
                Console.Error.WriteLine(" done");
                string extra = gemm
                    ? $"{flops!.Value / 1e9 / sT.Median:F1} | {(tT is null ? "—" : $"{flops.Value / 1e9 / tT.Median:F1}")}"
                    : $"{Time(sT.Median / size)} | {(tT is null ? "—" : Time(tT.Median / size))}";
                Console.WriteLine($"| {size} | {Time(sT.Median)} | {(tT is null ? "—" : Time(tT.Median))} | {extra} | " +
                                  $"{(tT is null ? "—" : $"{tT.Median / sT.Median:F2}×")} | {(tT is null ? "—" : $"{tT.Best / sT.Best:F2}×")} |");
            }
        }
        Console.WriteLine();
        Console.WriteLine($"load average at end: {Machine.LoadAverage()}");
        return 0;
    }

    /// <summary>
    /// The scratch workloads' process CPU time per operation (best of five ~S-second runs): on a machine shared with
    /// other jobs, CPU time moves far less than wall time, so A/B comparisons of one's own changes stay readable.
    /// Run with DOTNET_PROCESSOR_COUNT=1 to keep it to one thread (no helpers spinning).
    /// </summary>
    public static int CpuTime(string[] args)
    {
        double seconds = IntOption(args, "--seconds", 1);
        string? only = StringOption(args, "--filter");
        Console.WriteLine($"scratch CPU time per operation, best of 5 runs of ~{seconds:0} s (threads: {Environment.ProcessorCount}; load average {Machine.LoadAverage()})");
        double ceiling = Machine.MeasureFmaCeiling(Environment.ProcessorCount);
        Console.WriteLine($"measured in-register FMA ceiling: {ceiling:F1} GFLOP/s on {Environment.ProcessorCount} thread(s)");
        foreach (var c in Cases().Where(c => c.Name != Cases()[4].Name && (only is null || c.Name.Contains(only, StringComparison.OrdinalIgnoreCase))))
        {
            var w = c.Scratch();
            Calibrate(w, 0.001);
            using var self = Process.GetCurrentProcess();
            double best = double.MaxValue;
            for (int run = 0; run < 5; run++)
            {
                self.Refresh();
                var cpu0 = self.TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                int reps = 0;
                while (wall.Elapsed.TotalSeconds < seconds) { w.Run(); reps++; }
                self.Refresh();
                best = Math.Min(best, (self.TotalProcessorTime - cpu0).TotalSeconds / reps);
            }
            string rate = c.Flops is double flops ? $"   {flops / 1e9 / best:F1} GFLOP/s per CPU-second = {100 * flops / 1e9 / best / (ceiling / Environment.ProcessorCount):F0} % of one thread's ceiling" : "";
            Console.WriteLine($"  {c.Name,-45} {Time(best)}{rate}");
        }
        return 0;
    }

    /// <summary>
    /// Where the LeNet conv step's time goes: the whole step runs back to back as in <see cref="Run"/>, with a timestamp
    /// between its calls, so each call is timed inside the real sequence (warm caches and helper threads as a training
    /// loop has them). Prints the median and best per call over all steps, and each call's share of the summed medians.
    /// </summary>
    public static int Stages(string[] args)
    {
        int batch = IntOption(args, "--batch", 64), steps = IntOption(args, "--steps", 2000);
        var w = new Scratch.LeNetConvStep(batch);
        var stages = w.Stages;
        Calibrate(w, 0.02);
        var ticks = new long[stages.Count][];
        for (int k = 0; k < stages.Count; k++) ticks[k] = new long[steps];
        var total = new long[steps];
        for (int s = 0; s < steps; s++)
        {
            long start = Stopwatch.GetTimestamp(), t = start;
            for (int k = 0; k < stages.Count; k++)
            {
                stages[k].Run();
                long now = Stopwatch.GetTimestamp();
                ticks[k][s] = now - t;
                t = now;
            }
            total[s] = t - start;
        }
        double Median(long[] a) => a.Order().ElementAt(a.Length / 2) / (double)Stopwatch.Frequency;
        double Best(long[] a) => a.Min() / (double)Stopwatch.Frequency;
        double sum = ticks.Sum(Median);
        Console.WriteLine($"LeNet conv step, batch {batch}: {steps} steps, per-call median and best (load average {Machine.LoadAverage()}, {Environment.ProcessorCount} threads)");
        Console.WriteLine();
        Console.WriteLine("| call | median | best | share of summed medians |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        for (int k = 0; k < stages.Count; k++)
            Console.WriteLine($"| {stages[k].Name} | {Time(Median(ticks[k]))} | {Time(Best(ticks[k]))} | {100 * Median(ticks[k]) / sum:F0} % |");
        Console.WriteLine($"| whole step | {Time(Median(total))} | {Time(Best(total))} | |");
        return 0;
    }

    // Issue 17's goal: the scratch half ≥ 1.5× TorchSharp on every course workload (judged on medians and best samples).
    private const double Goal = 1.5;

    private static List<Case> Cases() =>
    [
        new("GEMM 64³", () => new Scratch.GemmWork(64), "gemm64", Flops: 2.0 * 64 * 64 * 64, GoalRatio: Goal),
        new("GEMM 256³", () => new Scratch.GemmWork(256), "gemm256", Flops: 2.0 * 256 * 256 * 256, GoalRatio: Goal),
        new("GEMM 1024³", () => new Scratch.GemmWork(1024), "gemm1024", Flops: 2.0 * 1024 * 1024 * 1024, GoalRatio: Goal),
        new("MLP 64→128→10 SGD step, batch 64", () => new Scratch.MlpStep(), "mlp", GoalRatio: Goal),
        // The same TorchSharp step at 1→1→1, batch 1: the identical sequence of ops with next to no arithmetic, i.e.
        // the framework's per-op floor, which no BLAS can lower. Scratch still runs the full-size step.
        new("MLP step vs TorchSharp's per-op floor (same ops at 1→1→2, batch 1)", () => new Scratch.MlpStep(), "mlp-floor"),
        new("BatchNorm1d fwd+bwd, 256×128", () => new Scratch.BatchNormStep(), "batchnorm", GoalRatio: Goal),
        new("softmax cross-entropy fwd+bwd, 256×10", () => new Scratch.SoftmaxCrossEntropyStep(), "softmaxce", GoalRatio: Goal),
        new("LeNet conv part fwd+bwd, 64×1×28×28", () => new Scratch.LeNetConvStep(), "lenet", GoalRatio: Goal),
    ];

    // Warm both sides up, pick a repetition count per sample, then alternate samples (order flipped every round).
    private static (Timing Scratch, Timing? Torch) Measure(IWorkload scratch, IWorkload? torch, int rounds, double sampleSeconds)
    {
        int repsS = Calibrate(scratch, sampleSeconds), repsT = torch is null ? 0 : Calibrate(torch, sampleSeconds);
        List<double> s = [], t = [];
        for (int r = 0; r < rounds; r++)
        {
            if (r % 2 == 0) s.Add(Sample(scratch, repsS));
            Rest();
            if (torch is not null) t.Add(Sample(torch, repsT));
            Rest();
            if (r % 2 == 1) s.Add(Sample(scratch, repsS));
        }
        return (new Timing(s, AllocatedPerOp(scratch)), torch is null ? null : new Timing(t, AllocatedPerOp(torch)));
    }

    // Samples are ~20 ms (--sample-ms): long enough for several LeNet steps or 1024³ products per sample, so a sample
    // measures back-to-back operations as a training loop runs them, not one operation after the other side's.
    // A pause between samples, so that the side that just ran has stopped spinning before the other starts: libtorch's
    // OpenMP workers (GNU libgomp) busy-wait for a while after each parallel region, and the scratch helpers for
    // 200 µs; without the pause one side's spinning threads take a core from the other side's next sample. Each
    // sample then starts with its threads asleep, as the first step after any pause does (set by --gap-ms).
    private static int gapMs = 10;

    private static void Rest()
    {
        if (gapMs > 0) Thread.Sleep(gapMs);
    }

    private static int Calibrate(IWorkload w, double sampleSeconds)
    {
        var sw = Stopwatch.StartNew();
        int runs = 0;
        // Long enough for tiered compilation to reach its optimized code (the first second is not representative).
        while (runs < 20 || sw.Elapsed.TotalSeconds < 1.0) { w.Run(); runs++; }
        double best = double.MaxValue;
        for (int i = 0; i < 5; i++) best = Math.Min(best, Sample(w, 1));
        return Math.Max(1, (int)(sampleSeconds / best));
    }

    private static double Sample(IWorkload w, int reps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < reps; i++) w.Run();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / reps;
    }

    // Managed bytes per operation over all threads (GEMM helpers included), after warm-up.
    private static double AllocatedPerOp(IWorkload w)
    {
        const int reps = 50;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < reps; i++) w.Run();
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)reps;
    }

    // Judged on the best samples (the least disturbed by other processes); the median is shown beside it.
    private static string Verdict(bool best, bool median) => (best, median) switch
    {
        (true, true) => "met",
        (true, false) => "met on best samples, not on medians",
        (false, true) => "NOT met on best samples (met on medians)",
        _ => "NOT met",
    };

    private static string Time(double seconds) => seconds switch
    {
        < 1e-3 => $"{seconds * 1e6:F1} µs",
        < 1 => $"{seconds * 1e3:F2} ms",
        _ => $"{seconds:F2} s",
    };

    private static string Bytes(double b) => b < 1 ? "0 B" : b < 10_000 ? $"{b:F0} B" : $"{b / 1024:F0} KiB";

    private static int IntOption(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : fallback;
    }

    private static string? StringOption(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
