using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class DropoutTests
{
    public static TheoryData<string> Cases => Fixture.Names("layers", "dropout");

    [Theory, MemberData(nameof(Cases))]
    public void Keeps_about_one_minus_p_scaled_like_pytorch(string name)
    {
        var c = Fixture.Load("layers")[name];
        double p = c.Param("p"), torchKept = double.CreateChecked(c.Output<double>("kept")[0]);
        double torchScale = double.CreateChecked(c.Output<double>("scale")[0]);
        const int n = 100_000;
        var (y, _) = Dropout.Forward(NDArray.Full(1.0, n), p, new Rng(11));

        // Survivors carry exactly PyTorch's scale 1/(1−p); everything else is 0.
        Assert.All(y.Data, v => Assert.True(v == 0 || v == torchScale, $"value {v} is neither 0 nor {torchScale}"));
        double kept = y.Data.Count(v => v != 0) / (double)n;
        double sigma = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(kept, 1 - p - (5 * sigma), 1 - p + (5 * sigma));
        // PyTorch's own fraction (20 000 draws) agrees with ours within both samples' noise.
        Assert.InRange(kept - torchKept, -5 * Math.Sqrt(p * (1 - p) / 20_000), 5 * Math.Sqrt(p * (1 - p) / 20_000));
        // Inverted dropout keeps the expectation: E[out] = x.
        double meanSigma = Math.Sqrt(p / (1 - p) / n);
        Assert.InRange(y.Data.Average(), 1 - (5 * meanSigma), 1 + (5 * meanSigma));
        Close.Assert(c.Output<double>("eval"), new DropoutLayer<double>(p, new Rng(0)).Eval().Forward(NDArray.Full(1.0, 4)).Out, name + " eval");
    }

    [Fact]
    public void Backward_passes_gradient_exactly_through_the_kept_elements()
    {
        var rng = new Rng(5);
        var x = rng.NormalArray<float>(0, 1, 8, 16);
        var dout = rng.NormalArray<float>(0, 1, 8, 16);
        var (y, cache) = Dropout.Forward(x, 0.4, new Rng(1));
        var dx = Dropout.Backward(dout, cache);
        float scale = 1f / 0.6f;
        for (int i = 0; i < x.Length; i++)
        {
            bool kept = cache.Mask![i] != 0;
            Assert.Equal(kept ? scale : 0f, cache.Mask[i]);
            Assert.Equal(kept ? x[i] * scale : 0f, y[i]);
            Assert.Equal(kept ? dout[i] * scale : 0f, dx[i]);
        }
        Assert.Contains(cache.Mask!.Data, v => v == 0);
        Assert.Contains(cache.Mask!.Data, v => v != 0);
    }

    [Fact]
    public void Backward_matches_finite_differences_for_a_fixed_mask()
    {
        var rng = new Rng(6);
        var x = rng.NormalArray<double>(0, 1, 5, 7);
        var dout = rng.NormalArray<double>(0, 1, 5, 7);
        // Re-seeding each call redraws the same mask, so the forward pass is a fixed function of x.
        NDArray<double> F() => Dropout.Forward(x, 0.3, new Rng(9)).Out;
        var dx = Dropout.Backward(dout, Dropout.Forward(x, 0.3, new Rng(9)).Cache);
        var r = GradCheck.CheckOutput(F, x, dout, dx);
        Assert.True(r.Passed(1e-9), r.ToString());
    }

    [Fact]
    public void Eval_mode_and_p_zero_are_the_identity()
    {
        var rng = new Rng(2);
        var x = rng.NormalArray<float>(0, 1, 3, 4);
        var dout = rng.NormalArray<float>(0, 1, 3, 4);
        foreach (var (p, train) in new[] { (0.5, false), (0.0, true), (0.0, false) })
        {
            var layer = new DropoutLayer<float>(p, new Rng(1));
            if (!train) layer.Eval();
            Assert.Equal(train, layer.Training);
            var (y, cache) = layer.Forward(x);
            Assert.Equal(x.Data, y.Data);
            Assert.Equal(dout.Data, Dropout.Backward(dout, cache).Data);
        }
    }

    [Fact]
    public void Same_seed_same_mask()
    {
        var x = NDArray.Full(1f, 64);
        Assert.Equal(Dropout.Forward(x, 0.5, new Rng(3)).Out.Data, Dropout.Forward(x, 0.5, new Rng(3)).Out.Data);
        Assert.NotEqual(Dropout.Forward(x, 0.5, new Rng(3)).Out.Data, Dropout.Forward(x, 0.5, new Rng(4)).Out.Data);
    }

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(-0.1, "-0.1")]
    [InlineData(1.5, "1.5")]
    [InlineData(double.NaN, "NaN")]
    public void P_outside_zero_one_is_rejected(double p, string shown)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward(NDArray.Zeros<float>(2, 2), p, new Rng(1)));
        Assert.Equal("p", ex.ParamName);
        Assert.Contains($"got {shown}", ex.Message);
        // The layer checks p when it is built, whatever mode it will run in.
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => new DropoutLayer<float>(p, new Rng(1))).ParamName);
    }

    [Fact]
    public void Training_without_an_rng_is_rejected()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => Dropout.Forward(NDArray.Zeros<float>(2, 2), 0.5, null!));
        Assert.Equal("rng", ex.ParamName);
        Assert.Equal("rng", Assert.Throws<ArgumentNullException>(() => new DropoutLayer<float>(0.5, null!)).ParamName);
    }

    [Fact]
    public void Dout_of_the_wrong_shape_is_reported()
    {
        var (_, cache) = Dropout.Forward(NDArray.Zeros<float>(2, 3), 0.5, new Rng(1));
        var ex = Assert.Throws<ArgumentException>(() => Dropout.Backward(NDArray.Zeros<float>(3, 2), cache));
        Assert.Equal("dout", ex.ParamName);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[3, 2]", ex.Message);
    }
}
