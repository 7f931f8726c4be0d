namespace DeepLearning.Course.Tests;

/// <summary>
/// Tests whose numbers depend on torch.manual_seed: torch's random generator is one per process, so a test running in
/// parallel that draws from it (a Linear's default init, randn, randperm) would change their results. Tests in this
/// collection run after the parallel ones, one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRandom
{
    /// <summary>The collection's name, for <c>[Collection(TorchRandom.Name)]</c>.</summary>
    public const string Name = "torch global RNG";
}
