using DeepLearning.Scratch;

namespace DeepLearning.Course.Tests;

public class RegularizationParityTests
{
    [Theory]
    [InlineData("l1", 0.0)]
    [InlineData("l1", 0.01)]
    [InlineData("l1", 0.5)]
    [InlineData("l2", 0.0)]
    [InlineData("l2", 0.01)]
    [InlineData("l2", 0.5)]
    public void Penalties_and_their_gradients_match(string penalty, double lambda)
    {
        var rng = new Rng(8);
        var report = Parity.Penalty(penalty, [rng.NormalArray<float>(0, 1, 10, 10), rng.NormalArray<float>(0, 1, 10)], lambda);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Equal(["penalty (÷ max(1, |P|))", "∂penalty/∂w[0]", "∂penalty/∂w[1]"], report.Rows.Select(r => r.Quantity));
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.1, 2)]
    [InlineData(0.5, 3)]
    [InlineData(0.9, 4)]
    public void Dropout_with_a_shared_mask_matches_exactly(double p, int seed)
    {
        var x = new Rng((ulong)seed).NormalArray<float>(0, 1, 8, 32);
        var report = Parity.Dropout(p, x, seed);
        Assert.True(report.Agrees(1e-6), report.ToString());
        Assert.Equal(4, report.Rows.Count);
    }

    [Fact]
    public void Penalty_and_dropout_arguments_are_checked()
    {
        var w = new[] { NDArray.Zeros<float>(2) };
        Assert.Equal("penalty", Assert.Throws<ArgumentException>(() => Parity.Penalty("l3", w, 0.1)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => Parity.Penalty("l2", [], 0.1)).ParamName);
        var lambda = Assert.Throws<ArgumentOutOfRangeException>(() => Parity.Penalty("l1", w, -1));
        Assert.Equal("lambda", lambda.ParamName);
        Assert.Contains("-1", lambda.Message);
        var p = Assert.Throws<ArgumentOutOfRangeException>(() => Parity.Dropout(1.0, NDArray.Zeros<float>(3)));
        Assert.Equal("p", p.ParamName);
        Assert.Contains("[0, 1)", p.Message);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => Parity.Dropout(-0.1, NDArray.Zeros<float>(3))).ParamName);
    }
}
