using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class RegularizationTests
{
    public static TheoryData<string> Cases => Fixture.Names("regularization");

    /// <summary>Cases without exact zeros, where |w| is differentiable and finite differences are meaningful.</summary>
    public static TheoryData<string> Smooth => [.. Fixture.Load("regularization").Cases.Select(c => c.Name).Where(n => !n.EndsWith("/zeros", StringComparison.Ordinal))];

    private static Parameter<T>[] Load<T>(FixtureCase c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ps = new List<Parameter<T>>();
        for (int i = 0; c.Has("inputs", $"p{i}"); i++) ps.Add(new Parameter<T>($"p{i}", c.Input<T>($"p{i}")));
        return [.. ps];
    }

    private static T Value<T>(FixtureCase c, Parameter<T>[] ps) where T : unmanaged, IFloatingPointIeee754<T> =>
        c.Op == "l1" ? Regularization.L1.Value(ps, c.Param("lambda")) : Regularization.L2.Value(ps, c.Param("lambda"));

    private static void Backward<T>(FixtureCase c, Parameter<T>[] ps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (c.Op == "l1") Regularization.L1.Backward(Regularization.L1.Forward(ps, c.Param("lambda")).Cache);
        else Regularization.L2.Backward(Regularization.L2.Forward(ps, c.Param("lambda")).Cache);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Penalty_and_gradient_match_pytorch_float32(string name) => Run<float>(name);

    [Theory, MemberData(nameof(Cases))]
    public void Penalty_and_gradient_match_pytorch_float64(string name) => Run<double>(name);

    private static void Run<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("regularization")[name];
        var ps = Load<T>(c);
        var (rtol, atol) = Close.For<T>();
        Close.Scalar(c.Output<double>("value")[0], double.CreateChecked(Value(c, ps)), $"{name} value", rtol, atol);
        Backward(c, ps);
        for (int i = 0; i < ps.Length; i++) Close.Assert(c.Grad<T>($"p{i}"), ps[i].Grad, $"{name} grad p{i}");
    }

    [Theory, MemberData(nameof(Smooth))]
    public void Gradient_passes_gradcheck(string name)
    {
        var c = Fixture.Load("regularization")[name];
        var ps = Load<double>(c);
        Backward(c, ps);
        foreach (var p in ps)
        {
            var result = GradCheck.Check(() => Value(c, ps), p.Value, p.Grad);
            Assert.True(result.Passed(), $"{name} {p.Name}: {result}");
        }
    }

    [Fact]
    public void L1_gradient_at_zero_is_zero_like_torch()
    {
        var p = new Parameter<double>("w", NDArray.From([0.0, 2.0, -3.0]));
        Regularization.L1.Backward(Regularization.L1.Forward([p], 0.5).Cache);
        Assert.Equal([0.0, 0.5, -0.5], p.Grad.Data);
    }

    [Fact]
    public void Backward_adds_to_the_existing_gradient()
    {
        var p = new Parameter<float>("w", NDArray.From([1f, -2f]));
        p.Grad.Span.Fill(10);
        Regularization.L2.Backward(Regularization.L2.Forward([p], 0.1).Cache);
        Assert.Equal([10.1f, 9.8f], p.Grad.Data);
    }

    [Fact]
    public void L2_gradient_is_exactly_what_sgd_weight_decay_adds()
    {
        var a = new Parameter<double>("a", new Rng(3).NormalArray<double>(0, 1, 4, 5));
        var b = new Parameter<double>("b", a.Value.Clone());
        var g = new Rng(4).NormalArray<double>(0, 1, 4, 5);
        g.Data.CopyTo(a.Grad.Data, 0);
        g.Data.CopyTo(b.Grad.Data, 0);
        Regularization.L2.Backward(Regularization.L2.Forward([a], 0.3).Cache);
        new Sgd<double>([a], lr: 0.1).Step();
        new Sgd<double>([b], lr: 0.1, weightDecay: 0.3).Step();
        Assert.Equal(b.Value.Data, a.Value.Data);
    }

    [Fact]
    public void Negative_lambda_is_rejected()
    {
        var p = new Parameter<double>("w", NDArray.Zeros<double>(2));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Regularization.L1.Value([p], -0.1));
        Assert.Equal("lambda", ex.ParamName);
        Assert.Contains("-0.1", ex.Message);
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => Regularization.L2.Forward([p], double.NaN)).ParamName);
    }
}

public class EarlyStoppingTests
{
    /// <summary>Feeds losses one epoch at a time; returns the epoch at which ShouldStop first said stop, or −1.</summary>
    private static int Run(EarlyStopping<double> es, double[] losses)
    {
        for (int epoch = 0; epoch < losses.Length; epoch++)
            if (es.ShouldStop(losses[epoch])) return epoch;
        return -1;
    }

    [Fact]
    public void Stops_after_patience_epochs_without_improvement()
    {
        var es = new EarlyStopping<double>(patience: 3);
        Assert.Equal(4, Run(es, [1.0, 0.8, 0.85, 0.9, 0.95, 0.7]));
        Assert.Equal(1, es.BestEpoch);
        Assert.Equal(0.8, es.BestLoss);
        Assert.Equal(3, es.BadEpochs);
        Assert.True(es.Stopped);
    }

    [Fact]
    public void An_improvement_resets_the_count()
    {
        var es = new EarlyStopping<double>(patience: 2);
        Assert.Equal(-1, Run(es, [1.0, 1.1, 0.9, 1.0, 0.8, 0.85]));
        Assert.Equal(4, es.BestEpoch);
        Assert.Equal(1, es.BadEpochs);
        Assert.False(es.Stopped);
    }

    [Fact]
    public void MinDelta_ignores_improvements_that_are_too_small()
    {
        var es = new EarlyStopping<double>(patience: 3, minDelta: 0.05);
        // 0.97 and 0.96 are lower than 1.0 but not by 0.05; 0.90 is.
        Assert.Equal(-1, Run(es, [1.0, 0.97, 0.96, 0.90]));
        Assert.Equal(3, es.BestEpoch);
        Assert.Equal(2, Run(es, [0.89, 0.88, 0.87])); // none beats 0.90 by 0.05: the third in a row stops
        Assert.Equal(7, es.Epochs);
        Assert.Equal(0.90, es.BestLoss);
    }

    [Fact]
    public void NaN_loss_is_never_an_improvement()
    {
        var es = new EarlyStopping<double>(patience: 2);
        Assert.Equal(2, Run(es, [0.5, double.NaN, double.NaN]));
        Assert.Equal(0.5, es.BestLoss);
    }

    [Fact]
    public void Patience_zero_stops_at_the_first_bad_epoch()
    {
        var es = new EarlyStopping<double>(patience: 0);
        Assert.False(es.Stopped);
        Assert.Equal(2, Run(es, [3.0, 2.0, 2.5]));
    }

    [Fact]
    public void RestoreBest_brings_back_the_values_of_the_best_epoch()
    {
        var w = new Parameter<float>("w", NDArray.Zeros<float>(2, 2));
        var b = new Parameter<float>("b", NDArray.Zeros<float>(2));
        var es = new EarlyStopping<float>(patience: 2);
        double[] losses = [0.9, 0.6, 0.7, 0.8];
        for (int epoch = 0; epoch < losses.Length; epoch++)
        {
            w.Value.Span.Fill(epoch); // "training" changes the weights every epoch
            b.Value.Span.Fill(-epoch);
            if (es.ShouldStop(losses[epoch], [w, b])) break;
        }
        Assert.True(es.Stopped);
        Assert.All(w.Value.Data, v => Assert.Equal(3f, v));
        es.RestoreBest([w, b]);
        Assert.Equal(1, es.BestEpoch);
        Assert.All(w.Value.Data, v => Assert.Equal(1f, v));
        Assert.All(b.Value.Data, v => Assert.Equal(-1f, v));
    }

    [Fact]
    public void RestoreBest_needs_a_snapshot_and_matching_parameters()
    {
        var w = new Parameter<double>("w", NDArray.Zeros<double>(3));
        var es = new EarlyStopping<double>(patience: 1);
        es.Update(1.0);
        Assert.False(es.HasBest);
        Assert.Throws<InvalidOperationException>(() => es.RestoreBest([w]));
        es.Update(0.5, [w]);
        var ex = Assert.Throws<ArgumentException>(() => es.RestoreBest([new Parameter<double>("w", NDArray.Zeros<double>(4))]));
        Assert.Equal("parameters", ex.ParamName);
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("[3]", ex.Message);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => es.RestoreBest([w, w])).ParamName);
    }

    [Fact]
    public void Arguments_are_checked()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping<float>(-1));
        Assert.Equal("patience", ex.ParamName);
        Assert.Contains("-1", ex.Message);
        Assert.Equal("minDelta", Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping<float>(3, -0.1)).ParamName);
    }
}
