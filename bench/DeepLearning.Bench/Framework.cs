namespace DeepLearning.Bench;

/// <summary>
/// The framework side of the comparison. Compiled in only with -p:WithTorch=true (bench/run sets it when
/// TorchSharp-cpu restores); otherwise <see cref="Probe"/> says why the comparison is skipped.
/// </summary>
public static class Framework
{
    /// <summary>Whether TorchSharp can run here, and a description (or the reason it cannot).</summary>
    public static (bool Ok, string Description) Probe(string[] args)
    {
#if WITH_TORCH
        // --torch-threads N: libtorch's intra-op threads (default: every core; the notebooks use 1).
        int i = Array.IndexOf(args, "--torch-threads");
        int threads = i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n > 0 ? n : Environment.ProcessorCount;
        return TorchWorkloads.Probe(threads);
#else
        int i = Array.IndexOf(args, "--torch-skip-reason");
        string reason = i >= 0 && i + 1 < args.Length
            ? args[i + 1]
            : "this build has no TorchSharp (build with -p:WithTorch=true, or run bench/run, which does so when TorchSharp-cpu restores)";
        return (false, reason);
#endif
    }

    /// <summary>The TorchSharp twin of a scratch workload, or null when there is none.</summary>
    public static IWorkload? Create(string key)
    {
#if WITH_TORCH
        return TorchWorkloads.Create(key);
#else
        _ = key;
        return null;
#endif
    }
}
