using TorchSharp;

namespace DeepLearning.Course.Tests;

public class BatchNormTests
{
    // (features, batch, length, steps, seed): [N, C] and [N, C, L] inputs, a batch of two, several steps.
    public static TheoryData<int, int, int, int, int> Cases1d => new()
    {
        { 4, 8, 0, 3, 0 },
        { 3, 5, 4, 3, 1 },
        { 1, 2, 0, 4, 2 },
    };

    [Theory, MemberData(nameof(Cases1d))]
    public void BatchNorm1d_matches_scratch_in_train_and_eval_with_running_stats_after_every_step(int features, int batch, int length, int steps, int seed)
    {
        var report = Parity.BatchNorm1d(features, batch, length, steps, seed: seed);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Equal(6 * steps + 1, report.Rows.Count); // output, dx, dγ, dβ, running mean, running var per step + eval
        Assert.Contains(report.Rows, r => r.Quantity == $"step {steps}: running var");
    }

    [Theory]
    [InlineData(3, 4, 5, 5, 3, 0)]
    [InlineData(2, 2, 3, 4, 2, 1)]
    public void BatchNorm2d_matches_scratch_in_train_and_eval(int channels, int batch, int height, int width, int steps, int seed)
    {
        var report = Parity.BatchNorm2d(channels, batch, height, width, steps, seed: seed);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Equal(6 * steps + 1, report.Rows.Count);
    }

    [Fact]
    public void Parity_with_other_momentum_and_eps_still_agrees()
    {
        Assert.True(Parity.BatchNorm1d(momentum: 0.5, eps: 1e-3).Agrees(1e-5));
        Assert.True(Parity.BatchNorm2d(momentum: 1, eps: 0.1).Agrees(1e-5));
    }

    [Fact]
    public void Parity_rejects_runs_that_cannot_train()
    {
        var batch = Assert.Throws<ArgumentOutOfRangeException>(() => Parity.BatchNorm1d(batch: 1));
        Assert.Equal("batch", batch.ParamName);
        Assert.Contains("batch = 1", batch.Message);
        var steps = Assert.Throws<ArgumentOutOfRangeException>(() => Parity.BatchNorm2d(steps: 0));
        Assert.Equal("steps", steps.ParamName);
        var length = Assert.Throws<ArgumentOutOfRangeException>(() => Parity.BatchNorm1d(length: -2));
        Assert.Equal("length", length.ParamName);
        Assert.Contains("-2", length.Message);
    }

    [Fact]
    public void Face_builds_torch_modules_with_the_given_gamma_and_beta()
    {
        using var bn = BatchNormLab.BatchNorm1d(3, eps: 1e-3, momentum: 0.2, gamma: [1f, 2f, 3f], beta: [0f, -1f, 0.5f]);
        Assert.Equal([1f, 2f, 3f], bn.weight.ToNDArray().Data);
        Assert.Equal([0f, -1f, 0.5f], bn.bias!.ToNDArray().Data);
        Assert.Equal(1e-3, bn.eps);
        Assert.Equal(0.2, bn.momentum);
        using var bn2 = BatchNormLab.BatchNorm2d(2);
        Assert.Equal([1f, 1f], bn2.weight.ToNDArray().Data);
    }

    [Fact]
    public void Face_rejects_bad_hyperparameters_with_the_value()
    {
        var channels = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormLab.BatchNorm2d(0));
        Assert.Equal("channels", channels.ParamName);
        var eps = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormLab.BatchNorm1d(2, eps: -1));
        Assert.Equal("eps", eps.ParamName);
        Assert.Contains("-1", eps.Message);
        var momentum = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormLab.BatchNorm1d(2, momentum: 1.5));
        Assert.Equal("momentum", momentum.ParamName);
        Assert.Contains("1.5", momentum.Message);
        var gamma = Assert.Throws<ArgumentException>(() => BatchNormLab.BatchNorm1d(3, gamma: [1f, 2f]));
        Assert.Equal("gamma", gamma.ParamName);
        Assert.Contains("2 values", gamma.Message);
        Assert.Contains("3 channels", gamma.Message);
    }

    [Fact]
    public void Mlp_refuses_a_training_batch_of_one_but_predicts_one_example_in_eval()
    {
        using var net = new BatchNormMlp(64, 16, 2, 10, batchNorm: true);
        using var x = torch.rand(1, 64);
        net.train();
        var ex = Assert.Throws<ArgumentException>(() => net.call(x));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[1, 64]", ex.Message);
        net.eval();
        using var y = net.call(x);
        Assert.Equal([1L, 10], y.shape);
        using var plain = new BatchNormMlp(64, 16, 2, 10, batchNorm: false);
        using var z = plain.call(x); // no batch norm, no restriction
        Assert.Equal(2, plain.Depth);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNormMlp(64, 0, 2, 10, true));
    }

    [Fact]
    public void Batch_norm_keeps_every_layers_pre_activations_standardised_while_plain_ones_shrink()
    {
        var r = BatchNormLab.PreActivationStatistics(depth: 8, epochs: 3);
        Assert.Equal(8, r.PlainAtInit.Count);
        foreach (var s in r.BatchNormAtInit)
        {
            Assert.InRange(s.Mean, -0.01, 0.01);
            Assert.InRange(s.Std, 0.99, 1.0);
        }
        Assert.True(r.PlainAtInit[^1].Std < 0.5 * r.PlainAtInit[0].Std, $"plain std first {r.PlainAtInit[0].Std} last {r.PlainAtInit[^1].Std}");
        Assert.All(r.BatchNormTrained, s => Assert.InRange(s.Std, 0.7, 1.4));
        Assert.True(r.BatchNormTrained.Min(s => s.Std) > 5 * r.PlainTrained[^1].Std);
    }

    [Fact]
    public void Evaluating_with_batch_statistics_fails_on_tiny_and_skewed_batches()
    {
        var r = BatchNormLab.TrainVsEval();
        Assert.True(r.EvalAccuracy >= 0.95, r.ToString());
        Assert.Equal(r.EvalAccuracy, r.EvalOneAtATimeAccuracy);           // eval mode: each prediction is the example's own
        Assert.InRange(r.BatchStatsAccuracy, r.EvalAccuracy - 0.02, 1);   // a big random batch is fine
        Assert.Equal(1, r.BatchOfOneDistinctPredictions);                 // batch of one: the input is erased
        Assert.True(r.BatchOfOneAccuracy < 0.2, r.ToString());
        Assert.True(r.BatchOfOnePoisonsRunningVariance, "TorchSharp has no batch-of-one guard: running var turns NaN");
        Assert.True(r.BatchOfTwoAccuracy < r.EvalAccuracy - 0.3, r.ToString());
        Assert.True(r.SkewedEvalAccuracy >= 0.9, r.ToString());
        Assert.True(r.SkewedBatchStatsAccuracy <= 0.5, r.ToString());
        Assert.True(r.SkewedMeanGap > 5 * r.TestMeanGap, r.ToString());
        Assert.True(r.MaxLogitChangeWithBatchmates > 0.1, r.ToString());
    }

    [Fact]
    public void Batch_norm_trains_at_learning_rates_where_the_plain_net_fails()
    {
        var runs = BatchNormLab.LearningRateSweep();
        LearningRateRun Run(double lr, bool bn) => runs.Single(r => r.LearningRate == lr && r.BatchNorm == bn);
        double HighestTrainable(bool bn) => runs.Where(r => r.BatchNorm == bn && r.TestAccuracy >= 0.8).Max(r => r.LearningRate);
        string all = string.Join("\n", runs);
        Assert.Equal(10, runs.Count);
        Assert.True(Run(0.1, false).TestAccuracy >= 0.8, all);    // the plain net is trainable at a moderate rate…
        foreach (double lr in new[] { 1.0, 2.0 })
        {
            Assert.True(Run(lr, false).TestAccuracy < 0.5, all);  // …but not at large ones
            Assert.True(Run(lr, true).TestAccuracy >= 0.8, all);  // while batch norm is
        }
        Assert.True(Run(2.0, false).Diverged && double.IsNaN(Run(2.0, false).FinalLoss), all);
        Assert.False(Run(2.0, true).Diverged, all);
        Assert.True(HighestTrainable(true) >= 10 * HighestTrainable(false), all);
    }

    [Fact]
    public void Lesson_runs_reject_bad_arguments()
    {
        var empty = Assert.Throws<ArgumentException>(() => BatchNormLab.LearningRateSweep([]));
        Assert.Equal("learningRates", empty.ParamName);
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormLab.LearningRateSweep([0.1, -0.5]));
        Assert.Equal("learningRates", negative.ParamName);
        Assert.Contains("-0.5", negative.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormLab.LearningRateSweep([double.NaN]));
        var lr = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormLab.PreActivationStatistics(learningRate: 0));
        Assert.Equal("learningRate", lr.ParamName);
        var cls = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormLab.TrainVsEval(skewedClass: 10));
        Assert.Equal("skewedClass", cls.ParamName);
        Assert.Contains("10", cls.Message);
    }
}
