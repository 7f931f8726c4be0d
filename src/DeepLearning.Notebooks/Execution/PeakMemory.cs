using System.Diagnostics;

namespace DeepLearning.Notebooks.Execution;

/// <summary>
/// A notebook's peak resident memory. Each notebook runs in its own worker process that hosts the kernel in-process,
/// so that process's high-water mark (Linux VmHWM, which <see cref="Process.PeakWorkingSet64"/> reads) is the
/// notebook's. Package restores that the kernel starts as child processes are tooling, not the notebook, and are not
/// counted.
/// </summary>
internal static class PeakMemory
{
    /// <summary>The most resident memory a notebook may use before its run fails (issue 17).</summary>
    public const long DefaultLimitBytes = 1536L << 20;

    /// <summary>This process's peak resident memory so far.</summary>
    public static long Self()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>Samples a child's peak resident memory until it exits: a killed worker cannot report its own.</summary>
    public static async Task<long> WatchAsync(Process process, TimeSpan every, CancellationToken stop)
    {
        long peak = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                process.Refresh();
                if (process.HasExited) break;
                peak = Math.Max(peak, process.PeakWorkingSet64);
            }
            catch (InvalidOperationException) { break; }   // exited between the check and the read
            try { await Task.Delay(every, stop); }
            catch (OperationCanceledException) { break; }
        }
        return peak;
    }

    /// <summary>"1.23 GiB", or "345 MiB" below a gibibyte.</summary>
    public static string Format(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.00} GiB" : $"{bytes / (double)(1L << 20):0} MiB";
}
