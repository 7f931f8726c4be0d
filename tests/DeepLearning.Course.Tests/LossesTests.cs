using DeepLearning.Scratch;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course.Tests;

public class LossesTests
{
    public static TheoryData<string> Names() => [.. TorchLosses.Names];

    [Fact]
    public void Outliers_pull_the_mse_line_while_mae_and_huber_stay_close()
    {
        var r = LossExperiments.RobustRegression();
        var (mse, mae, huber) = (r["mse"], r["mae"], r["huber"]);
        Assert.True(huber.SlopeError < mse.SlopeError / 5, $"slope errors: Huber {huber.SlopeError}, MSE {mse.SlopeError}");
        Assert.True(mae.SlopeError < mse.SlopeError / 5, $"slope errors: MAE {mae.SlopeError}, MSE {mse.SlopeError}");
        Assert.True(mse.InterceptError > 1, $"MSE intercept error {mse.InterceptError}");
        Assert.True(huber.ParameterError < 0.2 && mae.ParameterError < 0.2, $"Huber {huber.ParameterError}, MAE {mae.ParameterError}");
        Assert.Equal(100, r.X.Length);
        Assert.Equal(10, r.Outliers.Count(o => o));
        foreach (var fit in r.Fits) Assert.True(fit.LossCurve[^1] < fit.LossCurve[0], fit.Loss);
    }

    [Fact]
    public void Without_outliers_all_three_find_the_line()
    {
        var r = LossExperiments.RobustRegression(outlierFraction: 0, seed: 3);
        foreach (var fit in r.Fits) Assert.True(fit.ParameterError < 0.15, $"{fit.Loss}: {fit.ParameterError}");
    }

    [Fact]
    public void Robust_regression_rejects_bad_arguments()
    {
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => LossExperiments.RobustRegression(steps: 0)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => LossExperiments.RobustRegression(learningRate: -1)).ParamName);
        Assert.Equal("outlierFraction", Assert.Throws<ArgumentOutOfRangeException>(() => LossExperiments.RobustRegression(outlierFraction: 2)).ParamName);
    }

    [Fact]
    public void Naive_probability_forms_overflow_where_the_logit_forms_stay_finite()
    {
        var rows = LossExperiments.LogitsVsProbabilities();
        Assert.Equal(15, rows.Count);
        foreach (var row in rows.Where(r => r.Logit == 1))
        {
            Assert.True(row.NaiveFinite && row.StableFinite, row.ToString());
            Assert.Equal(row.Stable, row.Naive, 1e-5);
            Assert.Equal(row.StableGradient, row.NaiveGradient, 1e-5);
        }
        foreach (var row in rows.Where(r => r.Logit == 1000))
        {
            Assert.False(row.NaiveFinite, row.ToString());
            Assert.True(row.StableFinite, row.ToString());
            Assert.Equal(1000, row.Stable, 1e-3);
            Assert.Equal(1, row.StableGradient, 1e-6);
        }
        Assert.All(rows, r => Assert.True(r.StableFinite, r.ToString()));
        Assert.Contains(rows, r => r.Logit == 50 && double.IsPositiveInfinity(r.Naive)); // BCE overflows already at z = 50
    }

    [Fact]
    public void Logits_must_be_finite()
    {
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => LossExperiments.LogitsVsProbabilities([1, double.NaN])).ParamName);
    }

    [Fact]
    public void Label_smoothing_caps_confidence_at_the_smoothed_target()
    {
        var smooth = LossExperiments.LabelSmoothing(0.1);
        Assert.Equal(1, smooth.Target.Sum(), 1e-12);
        Assert.Equal(0.91, smooth.Target[0], 1e-12);
        Assert.Equal(0.01, smooth.Target[1], 1e-12);
        Assert.True(smooth.TorchLossMatches < 1e-6, $"torch label_smoothing vs explicit target: {smooth.TorchLossMatches}");
        Assert.Equal(smooth.OptimalConfidence, smooth.TrainedConfidence, 1e-3);
        Assert.Equal(smooth.OptimalLogitGap, smooth.LogitGap, 1e-2);

        var hard = LossExperiments.LabelSmoothing(0);
        Assert.True(hard.TrainedConfidence > 0.99, $"unsmoothed confidence {hard.TrainedConfidence}");
        Assert.True(hard.LogitGap > smooth.LogitGap + 2, $"gaps: hard {hard.LogitGap}, smoothed {smooth.LogitGap}");
        Assert.Equal(double.PositiveInfinity, hard.OptimalLogitGap);
        Assert.Equal(0, hard.LossFloor);
    }

    [Fact]
    public void Label_smoothing_rejects_bad_arguments()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => LossExperiments.LabelSmoothing(1.5));
        Assert.Equal("epsilon", ex.ParamName);
        Assert.Contains("1.5", ex.Message);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => LossExperiments.LabelSmoothing(0.1, classes: 1)).ParamName);
    }

    [Theory]
    [InlineData("triplet")]
    [InlineData("contrastive")]
    public void A_pair_loss_alone_teaches_an_embedding_where_digits_cluster(string loss)
    {
        var r = LossExperiments.Embedding(loss);
        Assert.Equal(loss, r.Loss);
        Assert.Equal(300, r.LossCurve.Length);
        Assert.Equal([r.TestLabels.Length, 2], r.TestEmbedding.Shape);
        Assert.InRange(r.TestLabels.Length, 530, 550); // 30 % of 1,797, rounded per digit
        Assert.True(r.NearestNeighbourAfter > r.NearestNeighbourBefore + 0.4, $"nearest neighbour {r.NearestNeighbourBefore} → {r.NearestNeighbourAfter}");
        Assert.True(r.NearestNeighbourAfter > 0.8, $"nearest neighbour after {r.NearestNeighbourAfter}");
        Assert.True(r.DistanceRatioAfter < 0.4 && r.DistanceRatioBefore > 0.6, $"within/between {r.DistanceRatioBefore} → {r.DistanceRatioAfter}");
        double first = r.LossCurve.Take(20).Average(), last = r.LossCurve.TakeLast(20).Average();
        Assert.True(last < first / 2, $"loss over the first 20 steps {first}, the last 20 {last}");
    }

    [Fact]
    public void Embedding_rejects_bad_arguments()
    {
        var ex = Assert.Throws<ArgumentException>(() => LossExperiments.Embedding("hinge"));
        Assert.Equal("loss", ex.ParamName);
        Assert.Contains("hinge", ex.Message);
        Assert.Equal("dimensions", Assert.Throws<ArgumentOutOfRangeException>(() => LossExperiments.Embedding(dimensions: 0)).ParamName);
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => LossExperiments.Embedding(margin: -1)).ParamName);
    }

    [Theory, MemberData(nameof(Names))]
    public void Loss_modules_compute_the_same_as_the_functional_form(string name)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        var input = name switch
        {
            "bce" => torch.rand(4, 3) * 0.9 + 0.05,
            "nll" => torch.nn.functional.log_softmax(torch.randn(4, 3), 1),
            _ => torch.randn(4, 3),
        };
        var target = name is "cross_entropy" or "nll" ? torch.tensor(new long[] { 0, 2, 1, 2 }) : torch.rand(4, 3);
        using var module = TorchLosses.Module(name, labelSmoothing: 0);
        Assert.Equal(TorchLosses.Apply(name, input, target).item<float>(), module.forward(input, target).item<float>(), 1e-6);
    }

    [Fact]
    public void Functional_losses_catch_shape_and_label_mistakes_before_libtorch()
    {
        using var scope = torch.NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => TorchLosses.Apply("mse", torch.zeros(64, 1), torch.zeros(64)));
        Assert.Equal("target", ex.ParamName);
        Assert.Contains("[64, 1]", ex.Message);
        Assert.Contains("[64]", ex.Message);
        var label = Assert.Throws<ArgumentOutOfRangeException>(() => TorchLosses.Apply("cross_entropy", torch.zeros(2, 3), torch.tensor(new long[] { 0, 3 })));
        Assert.Equal("target", label.ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => TorchLosses.Apply("nll", torch.zeros(3), torch.tensor(new long[] { 0 }))).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentOutOfRangeException>(() => TorchLosses.Apply("bce", torch.ones(2) * 2, torch.ones(2))).ParamName);
        Assert.Equal("posWeight", Assert.Throws<ArgumentException>(() =>
            TorchLosses.Apply("bce_with_logits", torch.zeros(2, 3), torch.zeros(2, 3), posWeight: torch.ones(2))).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentOutOfRangeException>(() =>
            TorchLosses.Contrastive(torch.zeros(2, 3), torch.ones(2, 3), torch.tensor(new long[] { 0, 2 }))).ParamName);
        Assert.Equal("negative", Assert.Throws<ArgumentException>(() =>
            TorchLosses.TripletMargin(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 4))).ParamName);
    }

    [Fact]
    public void Reductions_convert_to_torch()
    {
        Assert.Equal(nn.Reduction.Mean, Reduction.Mean.ToTorch());
        Assert.Equal(nn.Reduction.Sum, Reduction.Sum.ToTorch());
        Assert.Equal(nn.Reduction.None, Reduction.None.ToTorch());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((Reduction)9).ToTorch());
    }

    [Fact]
    public void Loss_calls_leave_no_tensors_behind()
    {
        var rng = new Rng(2);
        var x = rng.NormalArray<float>(0, 1, 4, 3);
        AssertNoLeak("Parity.Loss", () => Parity.Loss("huber", x, rng.NormalArray<float>(0, 1, 4, 3), Reduction.None));
        AssertNoLeak("Parity.Loss", () => Parity.Loss("cross_entropy", x, [0, 1, 2, 1], labelSmoothing: 0.1));
        AssertNoLeak("Parity.TripletMarginLoss", () => Parity.TripletMarginLoss(x, x, rng.NormalArray<float>(0, 1, 4, 3)));
        AssertNoLeak("Parity.ContrastiveLoss", () => Parity.ContrastiveLoss(x, rng.NormalArray<float>(0, 1, 4, 3), [1, 0, 0, 1]));
        AssertNoLeak("RobustRegression", () => LossExperiments.RobustRegression(steps: 3));
        AssertNoLeak("LogitsVsProbabilities", () => LossExperiments.LogitsVsProbabilities([1, 1000]));
        AssertNoLeak("LabelSmoothing", () => LossExperiments.LabelSmoothing(0.1, steps: 3));
        AssertNoLeak("Embedding", () => LossExperiments.Embedding("contrastive", steps: 2, batchSize: 4));
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
