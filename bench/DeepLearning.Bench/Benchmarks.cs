using BenchmarkDotNet.Attributes;

namespace DeepLearning.Bench;

/// <summary>float32 C = A·B, square.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private Scratch.GemmWork work = null!;

    [Params(64, 256, 1024)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup() => work = new Scratch.GemmWork(N);

    [Benchmark]
    public void Gemm() => work.Run();
}

/// <summary>The course's training steps and layers, on the course's sizes.</summary>
[MemoryDiagnoser]
public class LayerBenchmarks
{
    private readonly Scratch.MlpStep mlp = new();
    private readonly Scratch.BatchNormStep batchNorm = new();
    private readonly Scratch.SoftmaxCrossEntropyStep softmaxCe = new();
    private readonly Scratch.LeNetConvStep lenet = new();

    [Benchmark(Description = "MLP 64→128→10 step, batch 64")]
    public void MlpStep() => mlp.Run();

    [Benchmark(Description = "BatchNorm1d fwd+bwd, 256×128")]
    public void BatchNorm() => batchNorm.Run();

    [Benchmark(Description = "softmax-CE fwd+bwd, 256×10")]
    public void SoftmaxCrossEntropy() => softmaxCe.Run();

    [Benchmark(Description = "LeNet conv fwd+bwd, 64×1×28×28")]
    public void LeNetConv() => lenet.Run();
}
