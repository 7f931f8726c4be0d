using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.RegularExpressions;

namespace DeepLearning.Bench;

/// <summary>What the machine can do in theory: cores × clock × float32 FLOP per cycle, and how each was found.</summary>
public sealed record Peak(int Cores, double Ghz, string ClockSource, int FmaUnits, int Lanes, string Isa, string LanesNote)
{
    /// <summary>2 FLOP per FMA × FMA units × float lanes each.</summary>
    public int FlopPerCycle => 2 * FmaUnits * Lanes;

    /// <summary>Theoretical float32 GFLOP/s of all cores.</summary>
    public double Gflops => Cores * Ghz * FlopPerCycle;

    /// <summary>Theoretical float32 GFLOP/s of one core.</summary>
    public double GflopsPerCore => Ghz * FlopPerCycle;

    /// <summary>One line per assumption, printed with every result that is compared against the peak.</summary>
    public string Describe() =>
        $"theoretical peak = {Cores} cores × {Ghz:F3} GHz × {FlopPerCycle} FLOP/cycle = {Gflops:F1} GFLOP/s (float32)\n" +
        $"  FLOP/cycle = 2 (FMA) × {FmaUnits} FMA pipes × {Lanes} float lanes ({Isa}{LanesNote})\n" +
        $"  clock: {ClockSource}";
}

/// <summary>Machine facts for the performance page: CPU, ISA, clock, load, and a measured FMA ceiling.</summary>
public static class Machine
{
    /// <summary>The theoretical float32 peak, from the ISA the runtime accelerates and the clock the OS reports.</summary>
    public static Peak DetectPeak()
    {
        var info = CpuInfo();
        string vendor = info.GetValueOrDefault("vendor_id", "?");
        int family = int.TryParse(info.GetValueOrDefault("cpu family"), out int f) ? f : 0;
        string isa;
        int lanes;
        string note = "";
        if (Avx512F.IsSupported)
        {
            isa = "AVX-512F";
            lanes = 16;
            if (vendor == "AuthenticAMD" && family == 0x19)
            {
                lanes = 8; // Zen 4 executes 512-bit FMAs on 256-bit datapaths, in two halves
                note = ", Zen 4 splits each 512-bit FMA into two 256-bit halves";
            }
            else if (vendor == "AuthenticAMD" && family == 0x1A)
            {
                note = $", AMD family 0x1A = Zen 5: full 512-bit datapaths";
            }
        }
        else if (Fma.IsSupported)
        {
            (isa, lanes) = ("AVX2+FMA3", 8);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            (isa, lanes) = (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString() + " 128-bit SIMD", 4);
        }
        else
        {
            (isa, lanes) = ("scalar", 1);
        }
        var (ghz, source) = Clock();
        return new Peak(Environment.ProcessorCount, ghz, source, FmaUnits: 2, lanes, isa,
            note + "; 2 FMA pipes per core is assumed (true of Zen 2–5 and of Intel cores since Haswell, except some AVX-512 parts with one 512-bit unit)");
    }

    /// <summary>The highest clock the OS reports: cpufreq's cpuinfo_max_freq if present, else /proc/cpuinfo's "cpu MHz".</summary>
    public static (double Ghz, string Source) Clock()
    {
        double best = 0;
        foreach (string file in SafeGlob("/sys/devices/system/cpu", "cpu*", "cpufreq/cpuinfo_max_freq"))
            if (double.TryParse(File.ReadAllText(file).Trim(), out double khz)) best = Math.Max(best, khz / 1e6);
        if (best > 0) return (best, "max of /sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq");
        if (File.Exists("/proc/cpuinfo"))
            foreach (Match m in Regex.Matches(File.ReadAllText("/proc/cpuinfo"), @"cpu MHz\s*:\s*([0-9.]+)"))
                best = Math.Max(best, double.Parse(m.Groups[1].Value) / 1000);
        if (best > 0)
            return (best, "max \"cpu MHz\" in /proc/cpuinfo (no cpufreq in this VM, so this is the clock the hypervisor reports; turbo can be higher — see the measured FMA ceiling)");
        return (3.0, "unknown; 3.0 GHz assumed");
    }

    /// <summary>Key/value pairs of the first processor in /proc/cpuinfo (empty elsewhere).</summary>
    public static Dictionary<string, string> CpuInfo()
    {
        var d = new Dictionary<string, string>();
        if (!File.Exists("/proc/cpuinfo")) return d;
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
        {
            if (line.Length == 0) break;
            int colon = line.IndexOf(':');
            if (colon > 0) d.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        return d;
    }

    /// <summary>"1.23 0.98 0.75" from /proc/loadavg, or "n/a".</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>A one-line description of the machine.</summary>
    public static string Describe()
    {
        var info = CpuInfo();
        return $"{info.GetValueOrDefault("model name", System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString())}" +
               $" (vendor {info.GetValueOrDefault("vendor_id", "?")}, family {info.GetValueOrDefault("cpu family", "?")}, model {info.GetValueOrDefault("model", "?")})," +
               $" {Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    /// <summary>
    /// GFLOP/s of independent in-register FMAs on <paramref name="threads"/> threads at once: the most the cores
    /// deliver (turbo included). Timed in short bursts and the best burst of each thread kept, so time slices lost
    /// to other processes on a busy machine do not count (this is a ceiling, not what a long run gets).
    /// </summary>
    public static double MeasureFmaCeiling(int threads, double seconds = 0.3)
    {
        double[] best = new double[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var total = Stopwatch.StartNew();
            while (total.Elapsed.TotalSeconds < seconds)
            {
                long start = Stopwatch.GetTimestamp();
                long flops = FmaBurst(20_000);
                double s = Stopwatch.GetElapsedTime(start).TotalSeconds;
                best[t] = Math.Max(best[t], flops / s / 1e9);
            }
        });
        return best.Sum();
    }

    // 16 independent FMA chains: enough to cover a 4-cycle latency on 2 pipes, all in registers (no call inside
    // the loop, so the JIT has no reason to spill them). Optimized from the first call.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization | System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long FmaBurst(int iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var (y, z) = (Vector512.Create(0.999999f), Vector512.Create(1e-7f));
            Vector512<float> x0 = y, x1 = y, x2 = y, x3 = y, x4 = y, x5 = y, x6 = y, x7 = y, x8 = y, x9 = y, xa = y, xb = y, xc = y, xd = y, xe = y, xf = y;
            for (int i = 0; i < iterations; i++)
            {
                x0 = Vector512.FusedMultiplyAdd(x0, y, z); x1 = Vector512.FusedMultiplyAdd(x1, y, z); x2 = Vector512.FusedMultiplyAdd(x2, y, z); x3 = Vector512.FusedMultiplyAdd(x3, y, z);
                x4 = Vector512.FusedMultiplyAdd(x4, y, z); x5 = Vector512.FusedMultiplyAdd(x5, y, z); x6 = Vector512.FusedMultiplyAdd(x6, y, z); x7 = Vector512.FusedMultiplyAdd(x7, y, z);
                x8 = Vector512.FusedMultiplyAdd(x8, y, z); x9 = Vector512.FusedMultiplyAdd(x9, y, z); xa = Vector512.FusedMultiplyAdd(xa, y, z); xb = Vector512.FusedMultiplyAdd(xb, y, z);
                xc = Vector512.FusedMultiplyAdd(xc, y, z); xd = Vector512.FusedMultiplyAdd(xd, y, z); xe = Vector512.FusedMultiplyAdd(xe, y, z); xf = Vector512.FusedMultiplyAdd(xf, y, z);
            }
            Sink = (x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + xa + xb + xc + xd + xe + xf).GetElement(0);
            return (long)iterations * 16 * 16 * 2;
        }
        else
        {
            var (y, z) = (Vector256.Create(0.999999f), Vector256.Create(1e-7f));
            Vector256<float> x0 = y, x1 = y, x2 = y, x3 = y, x4 = y, x5 = y, x6 = y, x7 = y, x8 = y, x9 = y, xa = y, xb = y;
            for (int i = 0; i < iterations; i++)
            {
                x0 = Vector256.FusedMultiplyAdd(x0, y, z); x1 = Vector256.FusedMultiplyAdd(x1, y, z); x2 = Vector256.FusedMultiplyAdd(x2, y, z); x3 = Vector256.FusedMultiplyAdd(x3, y, z);
                x4 = Vector256.FusedMultiplyAdd(x4, y, z); x5 = Vector256.FusedMultiplyAdd(x5, y, z); x6 = Vector256.FusedMultiplyAdd(x6, y, z); x7 = Vector256.FusedMultiplyAdd(x7, y, z);
                x8 = Vector256.FusedMultiplyAdd(x8, y, z); x9 = Vector256.FusedMultiplyAdd(x9, y, z); xa = Vector256.FusedMultiplyAdd(xa, y, z); xb = Vector256.FusedMultiplyAdd(xb, y, z);
            }
            Sink = (x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + xa + xb).GetElement(0);
            return (long)iterations * 12 * 8 * 2;
        }
    }

    /// <summary>Keeps the FMA loop's result alive so the JIT cannot drop it.</summary>
    public static float Sink { get; private set; }

    private static IEnumerable<string> SafeGlob(string root, string pattern, string tail)
    {
        if (!Directory.Exists(root)) yield break;
        foreach (string dir in Directory.EnumerateDirectories(root, pattern))
        {
            string file = Path.Combine(dir, tail);
            if (File.Exists(file)) yield return file;
        }
    }
}
