using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class BatchNormTests
{
    public static TheoryData<string> Cases => Fixture.Names("batch_norm", "bn1d", "bn2d");

    public static TheoryData<string> RunningCases => Fixture.Names("batch_norm", "bn1d_running", "bn2d_running");

    private static BatchNorm<T> Make<T>(string op, int channels, double momentum, double eps) where T : unmanaged, IFloatingPointIeee754<T> =>
        op.StartsWith("bn1d") ? new BatchNorm1d<T>(channels, momentum, eps) : new BatchNorm2d<T>(channels, momentum, eps);

    // A batch norm set up as the case's PyTorch module was: γ, β and (for eval cases) the running statistics.
    private static BatchNorm<T> FromCase<T>(FixtureCase c, double? eps = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gamma = c.Input<T>("gamma");
        var bn = Make<T>(c.Op, gamma.Length, c.Param("momentum"), eps ?? c.Param("eps"));
        gamma.Span.CopyTo(bn.Gamma.Value.Span);
        c.Input<T>("beta").Span.CopyTo(bn.Beta.Value.Span);
        if (c.Has("inputs", "running_mean"))
        {
            c.Input<T>("running_mean").Span.CopyTo(bn.RunningMean.Span);
            c.Input<T>("running_var").Span.CopyTo(bn.RunningVar.Span);
        }
        return bn;
    }

    private static bool Train(FixtureCase c) => c.RawParam("train")!.Value.GetBoolean();

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch_float32(string name) => MatchesPytorch<float>(name);

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch_float64(string name) => MatchesPytorch<double>(name);

    private static void MatchesPytorch<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("batch_norm")[name];
        var bn = FromCase<T>(c);
        var (y, cache) = (Train(c) ? bn.Train() : bn.Eval()).Forward(c.Input<T>("x"));
        Close.Assert(c.Output<T>("out"), y, name + " out");
        Close.Assert(c.Output<T>("running_mean"), bn.RunningMean, name + " running_mean");
        Close.Assert(c.Output<T>("running_var"), bn.RunningVar, name + " running_var");
        var dx = bn.Backward(c.Input<T>("dout"), cache);
        Close.Assert(c.Grad<T>("x"), dx, name + " dx");
        Close.Assert(c.Grad<T>("gamma"), bn.Gamma.Grad, name + " dgamma");
        Close.Assert(c.Grad<T>("beta"), bn.Beta.Grad, name + " dbeta");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_matches_finite_differences(string name)
    {
        var c = Fixture.Load("batch_norm")[name];
        bool train = Train(c);
        var (x, dout) = (c.Input<double>("x"), c.Input<double>("dout"));
        // With two values per channel xhat = ±1 up to eps, so dx is O(eps) ≈ 1e-6 and drowns in the stencil's
        // round-off; a large eps makes the same formula measurable.
        bool twoValues = train && x.Length / x.Dim(1) == 2;
        var bn = FromCase<double>(c, twoValues ? 0.5 : null);
        var dx = bn.Backward(dout, (train ? bn.Train() : bn.Eval()).Forward(x).Cache);
        // The running statistics change on every training call but never affect a training-mode output.
        NDArray<double> F() => (train ? bn.Train() : bn.Eval()).Forward(x).Out;
        var r = GradCheck.CheckOutput(F, x, dout, dx);
        Assert.True(r.Passed(1e-9), "dx: " + r);
        r = GradCheck.CheckOutput(F, bn.Gamma.Value, dout, bn.Gamma.Grad.Clone());
        Assert.True(r.Passed(1e-9), "dgamma: " + r);
        r = GradCheck.CheckOutput(F, bn.Beta.Value, dout, bn.Beta.Grad.Clone());
        Assert.True(r.Passed(1e-9), "dbeta: " + r);
    }

    [Theory, MemberData(nameof(RunningCases))]
    public void Running_statistics_follow_pytorch_step_by_step_float32(string name) => RunningStatistics<float>(name);

    [Theory, MemberData(nameof(RunningCases))]
    public void Running_statistics_follow_pytorch_step_by_step_float64(string name) => RunningStatistics<double>(name);

    private static void RunningStatistics<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("batch_norm")[name];
        var bn = FromCase<T>(c);
        var batches = c.Input<T>("batches");
        int steps = batches.Dim(0), size = batches.Length / steps;
        var outs = c.OutputList<T>("train_outs");
        var means = c.OutputList<T>("running_mean");
        var variances = c.OutputList<T>("running_var");
        Assert.True(steps >= 5);
        for (int k = 0; k < steps; k++)
        {
            var x = new NDArray<T>(batches.Shape[1..], batches.Data[(k * size)..((k + 1) * size)]);
            Close.Assert(outs[k], bn.Train().Forward(x).Out, $"{name} step {k} out");
            Close.Assert(means[k], bn.RunningMean, $"{name} step {k} running_mean");
            Close.Assert(variances[k], bn.RunningVar, $"{name} step {k} running_var");
        }
        Close.Assert(c.Output<T>("eval_out"), bn.Eval().Forward(c.Input<T>("x_eval")).Out, name + " eval out");
    }

    [Fact]
    public void Tiny_example_by_hand()
    {
        // One channel, values 1 and 3: μ = 2, biased σ² = 1 normalises, unbiased 2 enters the running variance.
        var bn = new BatchNorm1d<double>(1);
        var (y, _) = bn.Train().Forward(NDArray.From(new double[] { 1, 3 }, 2, 1));
        double s = Math.Sqrt(1 + 1e-5);
        Assert.Equal([-1 / s, 1 / s], y.Data);
        Assert.Equal(0.1 * 2, bn.RunningMean[0], 15);
        Assert.Equal((0.9 * 1) + (0.1 * 2), bn.RunningVar[0], 15);
    }

    [Fact]
    public void Eval_does_not_touch_the_running_statistics()
    {
        var bn = new BatchNorm2d<float>(2);
        bn.Eval().Forward(new Rng(1).NormalArray<float>(3, 2, 4, 2, 3, 3));
        Assert.Equal([0f, 0f], bn.RunningMean.Data);
        Assert.Equal([1f, 1f], bn.RunningVar.Data);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(1, 3, 1, 1)]
    public void Training_on_a_single_value_per_channel_is_rejected_like_pytorch(params int[] shape)
    {
        var bn = shape.Length == 2 ? (BatchNorm<float>)new BatchNorm1d<float>(3) : new BatchNorm2d<float>(3);
        var ex = Assert.Throws<ArgumentException>(() => bn.Train().Forward(NDArray.Zeros<float>(shape)));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("Expected more than 1 value per channel when training", ex.Message);
        Assert.Contains(Shapes.Format(shape), ex.Message);
        bn.Eval().Forward(NDArray.Zeros<float>(shape)); // evaluation has no such limit
    }

    [Fact]
    public void Channel_mismatch_names_the_shape_and_the_channel_count()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BatchNorm2d<float>(4).Train().Forward(NDArray.Zeros<float>(2, 3, 5, 5)));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[2, 3, 5, 5]", ex.Message);
        Assert.Contains("4 channels", ex.Message);
    }

    [Fact]
    public void Wrong_rank_is_reported_per_flavour()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BatchNorm1d<float>(3).Train().Forward(NDArray.Zeros<float>(2, 3, 4, 4)));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[2, 3, 4, 4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new BatchNorm2d<float>(3).Train().Forward(NDArray.Zeros<float>(2, 3)));
        Assert.Contains("[2, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new BatchNorm<float>(3).Train().Forward(NDArray.Zeros<float>(6)));
        Assert.Contains("[6]", ex.Message);
    }

    [Fact]
    public void Empty_batch_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BatchNorm1d<float>(3).Eval().Forward(NDArray.Zeros<float>(0, 3)));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[0, 3]", ex.Message);
    }

    [Fact]
    public void Dout_of_the_wrong_shape_is_reported()
    {
        var bn = new BatchNorm1d<float>(3);
        var (_, cache) = bn.Train().Forward(new Rng(1).NormalArray<float>(0, 1, 4, 3));
        var ex = Assert.Throws<ArgumentException>(() => bn.Backward(NDArray.Zeros<float>(3, 4), cache));
        Assert.Equal("dout", ex.ParamName);
        Assert.Contains("[3, 4]", ex.Message);
        Assert.Contains("[4, 3]", ex.Message);
    }

    [Theory]
    [InlineData(-0.1, 1e-5, "momentum")]
    [InlineData(1.5, 1e-5, "momentum")]
    [InlineData(0.1, 0.0, "eps")]
    [InlineData(0.1, double.NaN, "eps")]
    public void Bad_hyperparameters_are_rejected(double momentum, double eps, string param)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d<float>(3, momentum, eps));
        Assert.Equal(param, ex.ParamName);
        Assert.Contains($"got {(param == "eps" ? eps : momentum)}", ex.Message);
    }
}
