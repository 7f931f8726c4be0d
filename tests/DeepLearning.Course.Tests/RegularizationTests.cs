using DeepLearning.Scratch;
using TorchSharp;

namespace DeepLearning.Course.Tests;

public class RegularizationTests
{
    [Fact]
    public void Weight_decay_is_l2_for_sgd_and_adam_but_adamw_decouples_it()
    {
        var rows = RegularizationExperiments.WeightDecayEquivalence();
        Assert.Equal(4, rows.Count);
        Assert.True(rows[0].MaxParamDiff < 1e-5, rows[0].ToString());
        Assert.True(rows[1].MaxParamDiff < 1e-5, rows[1].ToString());
        Assert.True(rows[2].MaxParamDiff > 1e-2, rows[2].ToString());
        Assert.True(rows[3].MaxParamDiff < 1e-5, rows[3].ToString());
        Assert.StartsWith("AdamW", rows[2].Comparison);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Dropout_zeroes_about_p_and_rescales_in_training_and_is_the_identity_in_eval(double p)
    {
        var b = RegularizationExperiments.Dropout(p);
        foreach (string impl in new[] { "torch", "scratch" })
        {
            var train = b.Get(impl, train: true);
            Assert.InRange(train.ZeroFraction, p - 0.01, p + 0.01);
            Assert.Equal(1 / (1 - p), train.KeptValue, 1e-6);
            Assert.InRange(train.Mean, 0.97, 1.03);
            var eval = b.Get(impl, train: false);
            Assert.Equal((0.0, 1.0, 1.0), (eval.ZeroFraction, eval.KeptValue, eval.Mean));
        }
        Assert.Equal(100_000, b.Elements);
        Assert.Throws<ArgumentException>(() => b.Get("keras", true));
    }

    [Fact]
    public void L1_makes_useless_weights_zero_while_l2_only_shrinks_them()
    {
        var runs = RegularizationExperiments.L1VsL2();
        var (none, l1, l2) = (runs[0], runs[1], runs[2]);
        Assert.Equal(("none", "L1", "L2"), (none.Penalty, l1.Penalty, l2.Penalty));
        Assert.True(l1.SparseFraction >= 0.7, $"L1 sparsity {l1.SparseFraction}");
        Assert.True(l2.SparseFraction <= 0.3 && none.SparseFraction <= 0.3, $"L2 {l2.SparseFraction}, none {none.SparseFraction}");
        Assert.True(Math.Abs(l1.Weights[0]) > 1.5, "the informative weights survive");
        Assert.Equal(20, l1.Weights.Length);
        Assert.True(none.DataLoss <= l1.DataLoss && none.DataLoss <= l2.DataLoss, "penalties trade training fit for simpler weights");
    }

    [Fact]
    public void Penalties_cover_weights_only_and_follow_the_scratch_conventions()
    {
        using var scope = torch.NewDisposeScope();
        using var model = torch.nn.Sequential(("fc1", torch.nn.Linear(3, 4)), ("act", torch.nn.ReLU()), ("fc2", torch.nn.Linear(4, 2)));
        var weights = TorchRegularization.Weights(model);
        Assert.Equal(2, weights.Count);
        Assert.Equal([4L, 3], weights[0].shape);
        double sumSq = weights.Sum(w => w.pow(2).sum().item<float>());
        double sumAbs = weights.Sum(w => w.abs().sum().item<float>());
        Assert.Equal(0.5 * 0.1 * sumSq, TorchRegularization.L2(weights, 0.1).item<float>(), 1e-5);
        Assert.Equal(0.1 * sumAbs, TorchRegularization.L1(weights, 0.1).item<float>(), 1e-5);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => TorchRegularization.L2([], 0.1)).ParamName);
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => TorchRegularization.L1(weights, double.NaN)).ParamName);
    }

    [Fact]
    public void Experiments_reject_bad_arguments()
    {
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => RegularizationExperiments.WeightDecayEquivalence(lambda: 0)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => RegularizationExperiments.Dropout(1)).ParamName);
        Assert.Equal("informative", Assert.Throws<ArgumentOutOfRangeException>(() => RegularizationExperiments.L1VsL2(features: 5, informative: 6)).ParamName);
    }

    [Fact]
    public void Regularization_calls_leave_no_tensors_behind()
    {
        var x = new Rng(3).NormalArray<float>(0, 1, 4, 5);
        AssertNoLeak("Parity.Penalty", () => Parity.Penalty("l1", [x], 0.1));
        AssertNoLeak("Parity.Dropout", () => Parity.Dropout(0.3, x));
        AssertNoLeak("WeightDecayEquivalence", () => RegularizationExperiments.WeightDecayEquivalence(steps: 2));
        AssertNoLeak("Dropout", () => RegularizationExperiments.Dropout(0.5, elements: 100));
        AssertNoLeak("L1VsL2", () => RegularizationExperiments.L1VsL2(steps: 2));
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
