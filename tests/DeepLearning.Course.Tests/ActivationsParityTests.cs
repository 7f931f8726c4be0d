using DeepLearning.Scratch;

namespace DeepLearning.Course.Tests;

public class ActivationsParityTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in TorchActivations.Names)
            foreach (int seed in new[] { 1, 2, 3 })
                data.Add(name, seed);
        return data;
    }

    public static TheoryData<string> Elementwise() => [.. TorchActivations.Elementwise];

    [Theory, MemberData(nameof(Cases))]
    public void Scratch_forward_and_backward_match_torch_autograd(string name, int seed)
    {
        int[] shape = seed switch { 1 => [7], 2 => [4, 6], _ => [2, 3, 5] };
        var x = new Rng((ulong)seed).NormalArray<float>(0, 3, shape);
        var report = Parity.Activation(name, x, seed: seed);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Equal(name == "prelu" ? ["output", "∂L/∂x", "∂L/∂a"] : new[] { "output", "∂L/∂x" }, report.Rows.Select(r => r.Quantity));
    }

    [Theory, MemberData(nameof(Elementwise))]
    public void Large_inputs_agree_in_both_tails(string name)
    {
        var x = NDArray.From(new float[] { -60, -35.5f, -17.25f, -9.1f, 9.1f, 17.25f, 35.5f, 60 });
        var report = Parity.Activation(name, x);
        Assert.True(report.Agrees(1e-5), report.ToString());
    }

    [Theory]
    [InlineData("leaky_relu", 0.2, 1.0, 1.0, 20.0)]
    [InlineData("elu", 0.01, 0.5, 1.0, 20.0)]
    [InlineData("elu", 0.01, 2.0, 1.0, 20.0)]
    [InlineData("softplus", 0.01, 1.0, 2.0, 5.0)]
    [InlineData("softplus", 0.01, 1.0, 0.5, 20.0)]
    public void Hyperparameters_reach_both_sides(string name, double negativeSlope, double alpha, double beta, double threshold)
    {
        var x = new Rng(5).NormalArray<float>(0, 3, 5, 8);
        var report = Parity.Activation(name, x, negativeSlope: negativeSlope, alpha: alpha, beta: beta, threshold: threshold);
        Assert.True(report.Agrees(1e-5), report.ToString());
    }

    [Fact]
    public void PRelu_with_one_slope_per_channel_matches_including_the_slope_gradient()
    {
        var x = new Rng(9).NormalArray<float>(0, 2, 2, 3, 5);
        var a = NDArray.From(new float[] { 0.1f, 0.25f, -0.3f });
        var report = Parity.Activation("prelu", x, a);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Contains(report.Rows, r => r.Quantity == "∂L/∂a");
    }

    [Fact]
    public void Unknown_name_is_rejected_with_the_valid_names()
    {
        var ex = Assert.Throws<ArgumentException>(() => Parity.Activation("swish", NDArray.Zeros<float>(3)));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("swish", ex.Message);
        Assert.Contains("gelu_tanh", ex.Message);
    }

    [Fact]
    public void PRelu_slope_count_must_match_the_channels()
    {
        var ex = Assert.Throws<ArgumentException>(() => Parity.Activation("prelu", NDArray.Zeros<float>(2, 3, 4), NDArray.Full(0.25f, 5)));
        Assert.Equal("preluWeight", ex.ParamName);
        Assert.Contains("[5]", ex.Message);
        Assert.Contains("[2, 3, 4]", ex.Message);
    }
}
