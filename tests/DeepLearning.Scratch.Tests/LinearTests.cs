using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class LinearTests
{
    public static TheoryData<string> Cases => Fixture.Names("layers", "linear");

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch_float32(string name) => MatchesPytorch<float>(name);

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch_float64(string name) => MatchesPytorch<double>(name);

    private static void MatchesPytorch<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("layers")[name];
        var b = c.Has("inputs", "b") ? c.Input<T>("b") : null;
        var (y, cache) = Linear.Forward(c.Input<T>("x"), c.Input<T>("w"), b);
        Close.Assert(c.Output<T>("out"), y, name + " out");
        var g = Linear.Backward(c.Input<T>("dout"), cache);
        Close.Assert(c.Grad<T>("x"), g.Dx, name + " dx");
        Close.Assert(c.Grad<T>("w"), g.Dw, name + " dw");
        if (b is null) Assert.Null(g.Db);
        else Close.Assert(c.Grad<T>("b"), g.Db!, name + " db");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_matches_finite_differences(string name)
    {
        var c = Fixture.Load("layers")[name];
        var (x, w, dout) = (c.Input<double>("x"), c.Input<double>("w"), c.Input<double>("dout"));
        var b = c.Has("inputs", "b") ? c.Input<double>("b") : null;
        var g = Linear.Backward(dout, Linear.Forward(x, w, b).Cache);
        NDArray<double> F() => Linear.Forward(x, w, b).Out;
        AssertPassed(GradCheck.CheckOutput(F, x, dout, g.Dx), "dx");
        AssertPassed(GradCheck.CheckOutput(F, w, dout, g.Dw), "dw");
        if (b is not null) AssertPassed(GradCheck.CheckOutput(F, b, dout, g.Db!), "db");
    }

    private static void AssertPassed(GradCheckResult r, string what) => Assert.True(r.Passed(1e-9), $"{what}: {r}");

    [Fact]
    public void Mismatched_x_and_w_names_both_shapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Linear.Forward(NDArray.Zeros<float>(4, 3), NDArray.Zeros<float>(5, 2), null));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[4, 3]", ex.Message);
        Assert.Contains("[5, 2]", ex.Message);
    }

    [Fact]
    public void Bias_of_the_wrong_length_is_reported()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Linear.Forward(NDArray.Zeros<float>(4, 3), NDArray.Zeros<float>(5, 3), NDArray.Zeros<float>(4)));
        Assert.Equal("b", ex.ParamName);
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("[5, 3]", ex.Message);
    }

    [Fact]
    public void Input_that_is_not_a_batch_is_reported()
    {
        var ex = Assert.Throws<ArgumentException>(() => Linear.Forward(NDArray.Zeros<float>(3), NDArray.Zeros<float>(5, 3), null));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[3]", ex.Message);
    }

    [Fact]
    public void Dout_of_the_wrong_shape_is_reported()
    {
        var (_, cache) = Linear.Forward(NDArray.Zeros<float>(4, 3), NDArray.Zeros<float>(5, 3), null);
        var ex = Assert.Throws<ArgumentException>(() => Linear.Backward(NDArray.Zeros<float>(4, 3), cache));
        Assert.Equal("dout", ex.ParamName);
        Assert.Contains("[4, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
    }

    [Fact]
    public void Tiny_example_by_hand()
    {
        // y = x·Wᵀ + b with x = [1, 2], W = [[3, 4], [5, 6]], b = [10, 20] → [1·3 + 2·4 + 10, 1·5 + 2·6 + 20] = [21, 37]
        var (y, cache) = Linear.Forward(NDArray.From(new double[] { 1, 2 }, 1, 2), NDArray.From(new double[] { 3, 4, 5, 6 }, 2, 2),
            NDArray.From(new double[] { 10, 20 }));
        Assert.Equal([21.0, 37.0], y.Data);
        var g = Linear.Backward(NDArray.From(new double[] { 1, -1 }, 1, 2), cache);
        Assert.Equal([3.0 - 5, 4.0 - 6], g.Dx.Data);   // dout·W
        Assert.Equal([1.0, 2, -1, -2], g.Dw.Data);      // doutᵀ·x
        Assert.Equal([1.0, -1], g.Db!.Data);
    }
}

public class LinearLayerTests
{
    [Fact]
    public void Default_init_is_uniform_within_one_over_sqrt_fan_in()
    {
        var layer = new LinearLayer<double>(100, 200, new Rng(1));
        double bound = 0.1;
        Assert.Equal([200, 100], layer.W.Value.Shape);
        Assert.Equal([200], layer.B!.Value.Shape);
        Assert.All(layer.W.Value.Data, v => Assert.InRange(v, -bound, bound));
        Assert.All(layer.B.Value.Data, v => Assert.InRange(v, -bound, bound));
        // U(−a, a) has mean 0 and variance a²/3; 20 000 draws pin both to within a few percent.
        double mean = layer.W.Value.Data.Average();
        double variance = layer.W.Value.Data.Select(v => v * v).Average();
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(variance, 0.97 * bound * bound / 3, 1.03 * bound * bound / 3);
    }

    [Fact]
    public void Same_seed_same_weights_and_names_follow_pytorch()
    {
        var a = new LinearLayer<float>(3, 2, new Rng(7), name: "fc1");
        var b = new LinearLayer<float>(3, 2, new Rng(7), name: "fc1");
        Assert.Equal(a.W.Value.Data, b.W.Value.Data);
        Assert.Equal(["fc1.weight", "fc1.bias"], a.Parameters.Select(p => p.Name));
        Assert.Single(new LinearLayer<float>(3, 2, new Rng(7), bias: false).Parameters);
    }

    [Fact]
    public void Backward_accumulates_into_the_parameter_gradients()
    {
        var rng = new Rng(3);
        var layer = new LinearLayer<double>(4, 3, rng);
        var x = rng.NormalArray<double>(0, 1, 5, 4);
        var dout = rng.NormalArray<double>(0, 1, 5, 3);
        var (_, cache) = layer.Forward(x);
        var expected = Linear.Backward(dout, cache);
        var dx = layer.Backward(dout, cache);
        layer.Backward(dout, cache);
        Assert.Equal(expected.Dx.Data, dx.Data);
        Assert.Equal(expected.Dw.Data.Select(v => 2 * v), layer.W.Grad.Data);
        Assert.Equal(expected.Db!.Data.Select(v => 2 * v), layer.B!.Grad.Data);
    }

    [Fact]
    public void Non_positive_sizes_are_rejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLayer<float>(0, 3, new Rng(1)));
        Assert.Equal("inFeatures", ex.ParamName);
        Assert.Contains("0", ex.Message);
    }
}
