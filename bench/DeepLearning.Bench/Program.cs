using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace DeepLearning.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "bdn";
        string[] rest = args.Length > 0 ? args[1..] : [];
        switch (mode)
        {
            case "bdn":
                // In-process (no generated projects to restore and build, which matters offline), memory diagnoser on.
                string[] bdnArgs = [.. rest, .. rest.Contains("--filter") ? Array.Empty<string>() : ["--filter", "*"], "--inProcess", "--memory"];
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(bdnArgs, DefaultConfig.Instance);
                return 0;
            case "peak":
                var peak = Machine.DetectPeak();
                Console.WriteLine(Machine.Describe());
                Console.WriteLine(peak.Describe());
                Console.WriteLine($"measured in-register FMA ceiling: 1 thread {Machine.MeasureFmaCeiling(1):F1} GFLOP/s, {Environment.ProcessorCount} threads {Machine.MeasureFmaCeiling(Environment.ProcessorCount):F1} GFLOP/s (load average {Machine.LoadAverage()})");
                return 0;
            case "compare":
                return Compare.Run(rest);
            case "scaling":
                return Compare.Scaling(rest);
            case "stages":
                return Compare.Stages(rest);
            case "cpu":
                return Compare.CpuTime(rest);
            default:
                Console.Error.WriteLine("usage: DeepLearning.Bench [bdn [BenchmarkDotNet args] | compare|scaling [--rounds N] [--sample-ms MS] [--filter TEXT] | cpu [--filter TEXT] [--seconds S] | stages [--batch N] [--steps N] | peak]");
                return 2;
        }
    }
}
