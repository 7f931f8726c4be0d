using DeepLearning.Scratch;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course.Tests;

public class ActivationsTests
{
    public static TheoryData<string> AllNames() => [.. TorchActivations.Names];

    public static TheoryData<string> Elementwise() => [.. TorchActivations.Elementwise];

    [Fact]
    public void Stacked_linear_layers_collapse_to_one_but_not_with_relu_between_them()
    {
        var r = ActivationExperiments.StackedLinearCollapse();
        Assert.True(r.MaxAbsDiff < 1e-5, $"stack vs composed layer differ by {r.MaxAbsDiff}");
        Assert.True(r.WithReluMaxAbsDiff > 1e-2, $"with ReLU the difference is only {r.WithReluMaxAbsDiff}");
        Assert.Equal([4, 8], r.Weight.Shape);
        Assert.Equal([4], r.Bias.Shape);
    }

    [Fact]
    public void Collapse_works_for_custom_sizes_and_rejects_a_single_layer()
    {
        var r = ActivationExperiments.StackedLinearCollapse([3, 5, 2], batch: 4, seed: 2);
        Assert.True(r.MaxAbsDiff < 1e-5);
        Assert.Equal([2, 3], r.Weight.Shape);
        var ex = Assert.Throws<ArgumentException>(() => ActivationExperiments.StackedLinearCollapse([3, 4]));
        Assert.Equal("sizes", ex.ParamName);
        Assert.Contains("[3, 4]", ex.Message);
    }

    [Theory]
    [InlineData(0)] // the notebook's nets: seeds 0–4
    [InlineData(5)] // another five
    public void A_too_high_learning_rate_kills_relu_units_but_leaky_relu_keeps_them_alive(int seed)
    {
        var runs = ActivationExperiments.DyingReluComparison(seed: seed);
        var (reluSane, reluHigh, leakySane, leakyHigh) = (runs[0], runs[1], runs[2], runs[3]);
        Assert.Equal(("relu", 0.1), (reluSane.Activation, reluSane.LearningRate));
        Assert.Equal(("leaky_relu", 2.0), (leakyHigh.Activation, leakyHigh.LearningRate));
        Assert.All(runs, r => Assert.False(r.Diverged, r.ToString()));
        // Means over 5 nets: seeds 0–4 give 13.9 % → 34.6 % dead, seeds 5–9 14 % → 39 %.
        Assert.True(reluSane.DeadFraction > 0.05, $"sane ReLU dead {reluSane.DeadFraction}");
        Assert.True(reluHigh.DeadFraction > 2 * reluSane.DeadFraction, $"dead: high lr {reluHigh.DeadFraction}, sane {reluSane.DeadFraction}");
        Assert.Equal(0, leakySane.DeadFraction);
        Assert.Equal(0, leakyHigh.DeadFraction);
        Assert.All(runs, r => Assert.True(r.Accuracy > 0.9, r.ToString()));   // the moons are easy: dead units are spare capacity lost
        Assert.Equal(reluHigh.DeadFraction, reluHigh.InactiveFraction); // for ReLU, inactive everywhere = dead
    }

    [Fact]
    public void A_leaky_relu_net_that_blows_up_is_reported_as_diverged_not_as_alive()
    {
        // At rate 3, 2 of 10 LeakyReLU nets blew up to NaN on libtorch 2.10 (which ones depends on round-off); at 1e6
        // every one does. NaN units pass no usable gradient: they count as dead, not as alive.
        for (int seed = 0; seed < 3; seed++)
        {
            var run = ActivationExperiments.DyingRelu(1e6, "leaky_relu", seed: seed, epochs: 3);
            Assert.True(run.Diverged, run.ToString());
            Assert.Equal(1, run.DeadFraction);
        }
    }

    [Fact]
    public void A_large_negative_bias_kills_relu_units_at_birth()
    {
        var r = ActivationExperiments.DyingRelu(0.1, "relu", biasInit: -3, epochs: 5);
        Assert.True(r.DeadFraction > 0.9, $"dead fraction {r.DeadFraction}");
        Assert.True(r.Accuracy < 0.6, $"accuracy {r.Accuracy}");
    }

    [Fact]
    public void Dying_relu_rejects_other_activations_and_bad_learning_rates()
    {
        var ex = Assert.Throws<ArgumentException>(() => ActivationExperiments.DyingRelu(0.1, "tanh"));
        Assert.Equal("activation", ex.ParamName);
        var lr = Assert.Throws<ArgumentOutOfRangeException>(() => ActivationExperiments.DyingRelu(double.NaN));
        Assert.Equal("learningRate", lr.ParamName);
        Assert.Contains("NaN", lr.Message);
    }

    [Fact]
    public void Sigmoid_gradients_vanish_through_depth_while_tanh_relu_and_gelu_reach_the_first_layer()
    {
        var sigmoid = ActivationExperiments.GradientThroughDepth("sigmoid");
        Assert.Equal(10, sigmoid.WeightGradientNorms.Length);
        // σ′ ≤ ¼ with gain-1 weights: about 4× less per layer, ≈ 4⁻⁹ over the nine layers below the last.
        Assert.True(sigmoid.FirstToLast < 1e-4, $"sigmoid first/last = {sigmoid.FirstToLast}");
        for (int l = 1; l < 10; l++)
            Assert.True(sigmoid.WeightGradientNorms[l - 1] < sigmoid.WeightGradientNorms[l], $"sigmoid layer {l} vs {l + 1}");
        foreach (string name in new[] { "tanh", "relu", "gelu" })
        {
            var r = ActivationExperiments.GradientThroughDepth(name);
            Assert.InRange(r.FirstToLast, 1.0 / 3, 3);
        }
        Assert.Equal(sigmoid.WeightGradientNorms, ActivationExperiments.GradientThroughDepth("sigmoid").WeightGradientNorms); // seeded
    }

    [Fact]
    public void The_backward_signal_shrinks_with_relu_while_its_weight_gradients_stay_even()
    {
        var relu = ActivationExperiments.GradientThroughDepth("relu");
        Assert.Equal(10, relu.SignalGradientNorms.Length);
        // Xavier weights and ReLU: ‖∂L/∂h‖ loses about 1/√2 per layer on its way down…
        double perLayer = Math.Pow(relu.SignalFirstToLast, 1.0 / 9);
        Assert.InRange(perLayer, 0.6, 0.8);
        // …while ‖∂L/∂W‖ = signal × activation stays within 3× (the activations shrink the other way).
        Assert.InRange(relu.FirstToLast, 1.0 / 3, 3);
        var sigmoid = ActivationExperiments.GradientThroughDepth("sigmoid");
        Assert.True(sigmoid.SignalFirstToLast < 1e-4, $"sigmoid signal first/last = {sigmoid.SignalFirstToLast}");
    }

    [Fact]
    public void Dying_relu_per_epoch_never_revives_a_first_layer_relu_unit_and_counts_leaky_revivals()
    {
        var relu = ActivationExperiments.DyingReluPerEpoch(3, "relu", epochs: 10);
        var leaky = ActivationExperiments.DyingReluPerEpoch(3, "leaky_relu", epochs: 10);
        Assert.Equal(11, relu.InactiveFraction.Length);   // before training and after each epoch
        Assert.Equal(11, relu.Accuracy.Length);
        Assert.Equal(128, relu.Units);
        // A first-layer ReLU unit that is inactive gets an exactly-zero gradient under plain SGD: it cannot come back.
        Assert.Equal(0, relu.FirstLayerRevived);
        Assert.True(relu.FinalInactive > relu.InactiveFraction[0], $"inactive {relu.InactiveFraction[0]} → {relu.FinalInactive}");
        Assert.True(leaky.Revived > relu.Revived, $"revived: leaky {leaky.Revived}, relu {relu.Revived}");
        Assert.Equal(relu.InactiveFraction, ActivationExperiments.DyingReluPerEpoch(3, "relu", epochs: 10).InactiveFraction);   // seeded
        Assert.Equal("activation", Assert.Throws<ArgumentException>(() => ActivationExperiments.DyingReluPerEpoch(0.1, "gelu")).ParamName);
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => ActivationExperiments.DyingReluPerEpoch(0.1, epochs: 0)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => ActivationExperiments.DyingReluPerEpoch(-1)).ParamName);
    }

    [Fact]
    public void Gradient_through_depth_rejects_bad_arguments()
    {
        var ex = Assert.Throws<ArgumentException>(() => ActivationExperiments.GradientThroughDepth("softmax"));
        Assert.Equal("activation", ex.ParamName);
        Assert.Contains("softmax", ex.Message);
        Assert.Equal("depth", Assert.Throws<ArgumentOutOfRangeException>(() => ActivationExperiments.GradientThroughDepth("relu", depth: 1)).ParamName);
        Assert.Equal("width", Assert.Throws<ArgumentOutOfRangeException>(() => ActivationExperiments.GradientThroughDepth("relu", width: 0)).ParamName);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(3.0)]
    [InlineData(10.0)]
    public void Saturated_fraction_matches_the_normal_tail(double scale)
    {
        var r = ActivationExperiments.Saturation(scale);
        // |σ′(z)| < 0.01 ⇔ |z| > z*, with σ(z*)(1 − σ(z*)) = 0.01; |tanh′(z)| < 0.01 ⇔ |z| > atanh(√0.99).
        double s = (1 - Math.Sqrt(0.96)) / 2, zSigmoid = Math.Log((1 - s) / s), zTanh = Math.Atanh(Math.Sqrt(0.99));
        double Tail(double z) => DeepLearning.Scratch.Activations.Erfc(z / (scale * Math.Sqrt(2)));
        Assert.InRange(r["sigmoid"].SaturatedFraction, Tail(zSigmoid) - 0.015, Tail(zSigmoid) + 0.015);
        Assert.InRange(r["tanh"].SaturatedFraction, Tail(zTanh) - 0.015, Tail(zTanh) + 0.015);
    }

    [Fact]
    public void Large_inputs_saturate_sigmoid_and_tanh_small_ones_do_not()
    {
        var sweep = ActivationExperiments.SaturationSweep([0.5, 10]);
        Assert.Equal(0, sweep[0]["sigmoid"].SaturatedFraction);
        Assert.Equal(0, sweep[0]["tanh"].SaturatedFraction);
        Assert.True(sweep[1]["sigmoid"].SaturatedFraction > 0.5);
        Assert.True(sweep[1]["tanh"].SaturatedFraction > sweep[1]["sigmoid"].SaturatedFraction);
        Assert.True(sweep[1]["sigmoid"].MeanAbsDerivative < sweep[0]["sigmoid"].MeanAbsDerivative / 4);
    }

    [Fact]
    public void Saturation_rejects_bad_arguments()
    {
        Assert.Equal("inputScale", Assert.Throws<ArgumentOutOfRangeException>(() => ActivationExperiments.Saturation(0)).ParamName);
        var ex = Assert.Throws<ArgumentException>(() => ActivationExperiments.Saturation(1, activations: ["softmax"]));
        Assert.Equal("activations", ex.ParamName);
        Assert.Throws<ArgumentException>(() => ActivationExperiments.Saturation(1)["relu"]);
    }

    [Theory, MemberData(nameof(Elementwise))]
    public void Tables_from_scratch_agree_with_autograd(string name)
    {
        var t = ActivationExperiments.Table(name);
        Assert.True(t.Check.Agrees(1e-9), t.Check.ToString());
        Assert.Equal(201, t.X.Length);
        Assert.Equal(-5, t.X[0]);
        Assert.Equal(5, t.X[^1]);
        Assert.Equal(0, t.X[100]);
        Assert.Equal(t.X.Length, t.F.Length);
        Assert.Equal(t.X.Length, t.DF.Length);
    }

    [Fact]
    public void Tables_hold_the_textbook_values()
    {
        var relu = ActivationExperiments.Table("relu", -2, 2, 5);
        Assert.Equal([0, 0, 0, 1, 2], relu.F);
        Assert.Equal([0, 0, 0, 1, 1], relu.DF);
        var sigmoid = ActivationExperiments.Table("sigmoid", -1, 1, 3);
        Assert.Equal(0.5, sigmoid.F[1]);
        Assert.Equal(0.25, sigmoid.DF[1]);
        Assert.Equal(TorchActivations.Elementwise.Count, ActivationExperiments.Tables().Count);
    }

    [Fact]
    public void Tables_refuse_non_elementwise_activations_and_bad_grids()
    {
        var ex = Assert.Throws<ArgumentException>(() => ActivationExperiments.Table("softmax"));
        Assert.Equal("name", ex.ParamName);
        Assert.Throws<ArgumentException>(() => ActivationExperiments.Table("relu", 1, -1));
        Assert.Equal("points", Assert.Throws<ArgumentOutOfRangeException>(() => ActivationExperiments.Table("relu", points: 1)).ParamName);
    }

    [Theory, MemberData(nameof(AllNames))]
    public void Modules_compute_the_same_as_the_functional_form(string name)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var x = torch.randn(3, 4) * 3;
        using var module = TorchActivations.Module(name);
        var expected = TorchActivations.Apply(name, x);
        Assert.True(module.forward(x).allclose(expected), name);
    }

    [Fact]
    public void Gelu_tanh_is_the_approximation_and_close_to_exact_gelu()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.linspace(-4, 4, 81);
        var approx = TorchActivations.Apply("gelu_tanh", x);
        var exact = TorchActivations.Apply("gelu", x);
        double gap = (approx - exact).abs().max().item<float>();
        Assert.InRange(gap, 1e-5, 1e-2); // an approximation: close, but not equal
    }

    [Fact]
    public void Functional_form_checks_its_arguments()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(2, 3, 4);
        var ex = Assert.Throws<ArgumentException>(() => TorchActivations.Apply("prelu", x, torch.ones(4)));
        Assert.Equal("preluWeight", ex.ParamName);
        Assert.Contains("[2, 3, 4]", ex.Message);
        var ints = Assert.Throws<ArgumentException>(() => TorchActivations.Apply("relu", torch.ones(3, dtype: ScalarType.Int64)));
        Assert.Equal("x", ints.ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => TorchActivations.Apply("softmax", torch.tensor(1f))).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentOutOfRangeException>(() => TorchActivations.Apply("softplus", x, beta: 0)).ParamName);
        Assert.Equal("preluWeight", Assert.Throws<ArgumentException>(() =>
            TorchActivations.Apply("prelu", x, torch.ones(3, dtype: ScalarType.Float64))).ParamName);
        Assert.Equal("leaky_relu", TorchActivations.Resolve("LeakyReLU"));
        Assert.Equal("log_softmax", TorchActivations.Resolve("Log-Softmax"));
    }

    [Fact]
    public void Activation_calls_leave_no_tensors_behind()
    {
        var x = new Rng(1).NormalArray<float>(0, 1, 3, 4);
        AssertNoLeak("Parity.Activation", () => Parity.Activation("prelu", x, NDArray.Full(0.2f, 4)));
        AssertNoLeak("Parity.Activation", () => Parity.Activation("gelu_tanh", x));
        AssertNoLeak("StackedLinearCollapse", () => ActivationExperiments.StackedLinearCollapse([3, 4, 2], batch: 2));
        AssertNoLeak("DyingRelu", () => ActivationExperiments.DyingRelu(0.1, epochs: 1, n: 32));
        AssertNoLeak("Saturation", () => ActivationExperiments.Saturation(2, units: 100));
        AssertNoLeak("Table", () => ActivationExperiments.Table("softplus", points: 11));
        AssertNoLeak("GradientThroughDepth", () => ActivationExperiments.GradientThroughDepth("tanh", depth: 3, width: 4, batch: 2));
    }

    // Runs once to warm up lazy state, then checks that a second run leaves no live tensor on this thread.
    private static void AssertNoLeak(string what, Action action)
    {
        action();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        action();
        Assert.True(before == DisposeScopeManager.Statistics.ThreadTotalLiveCount,
            $"{what} left {DisposeScopeManager.Statistics.ThreadTotalLiveCount - before} tensors alive");
    }
}
