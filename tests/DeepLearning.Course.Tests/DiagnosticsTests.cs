using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepLearning.Course.Tests;

public class DiagnosticsTests
{
    // A Linear(2 → 3) with the given weights and zero bias, then an activation.
    private static (Sequential Model, Linear Layer) Net(float[] w, nn.Module<Tensor, Tensor> activation)
    {
        var linear = nn.Linear(2, 3);
        using (torch.no_grad())
        {
            linear.weight.copy_(torch.tensor(w, [3, 2]));
            linear.bias!.zero_();
        }
        return (nn.Sequential(("0", linear), ("1", activation)), linear);
    }

    private static (double Mean, double Std) Stats(double[] v)
    {
        double mean = v.Average();
        return (mean, Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)));
    }

    [Fact]
    public void Activations_of_a_tiny_tanh_net_match_the_hand_computation()
    {
        // x = [[1, 2], [3, 0]], W = [[1, 0], [0, 1], [1, 1]]: z = xWᵀ = [[1, 2, 3], [3, 0, 3]].
        var (model, _) = Net([1, 0, 0, 1, 1, 1], nn.Tanh());
        using (model)
        using (var x = torch.tensor(new float[] { 1, 2, 3, 0 }, [2, 2]))
        {
            var layers = Diagnostics.Activations(model, x);
            Assert.Equal(2, layers.Count);
            Assert.Equal((0, "0", "Linear"), (layers[0].Index, layers[0].Layer, layers[0].Kind));
            Assert.Equal((1, "1", "Tanh"), (layers[1].Index, layers[1].Layer, layers[1].Kind));
            Assert.Equal([2L, 3], layers[1].Shape);

            double[] z = [1, 2, 3, 3, 0, 3];
            var (zMean, zStd) = Stats(z);
            Assert.Equal(zMean, layers[0].Mean, 1e-6);
            Assert.Equal(zStd, layers[0].Std, 1e-6);
            Assert.Null(layers[0].Saturation);

            var (aMean, aStd) = Stats([.. z.Select(Math.Tanh)]);
            Assert.Equal(aMean, layers[1].Mean, 1e-6);
            Assert.Equal(aStd, layers[1].Std, 1e-6);
            Assert.Equal(3 / 6.0, layers[1].Saturation);      // tanh(3) = 0.995 > 0.97 three times; tanh(2) = 0.964 is not
            Assert.Null(layers[1].DeadFraction);
            Assert.Equal(6, layers[1].Histogram.Total);

            Assert.Equal(2, Diagnostics.Activations(model, x).Count);   // hooks were removed: nothing doubles up
        }
    }

    [Fact]
    public void Sigmoid_saturation_and_ReLU_zero_and_dead_fractions()
    {
        using var x = torch.tensor(new float[] { 1, 2, 3, 0 }, [2, 2]);
        // Doubled weights: z = [[2, 4, 6], [6, 0, 6]]; σ(6) = 0.9975 > 0.985, σ(4) = 0.982 is not.
        var (sigmoidNet, _) = Net([2, 0, 0, 2, 2, 2], nn.Sigmoid());
        using (sigmoidNet)
            Assert.Equal(0.5, Diagnostics.Activations(sigmoidNet, x)[1].Saturation);

        // W = [[1, 0], [0, 1], [-1, 0]]: z = [[1, 2, -1], [3, 0, -3]] → relu = [[1, 2, 0], [3, 0, 0]].
        var (reluNet, _) = Net([1, 0, 0, 1, -1, 0], nn.ReLU());
        using (reluNet)
        {
            var relu = Diagnostics.Activations(reluNet, x)[1];
            Assert.Equal(3 / 6.0, relu.Saturation);           // zeros
            Assert.Equal(1 / 3.0, relu.DeadFraction);          // unit 3 is 0 for both examples; unit 2 is not
            Assert.Contains("dead units 33.3%", Diagnostics.Format([relu]));
        }
    }

    [Fact]
    public void Batch_norm_in_training_mode_standardises_each_feature_of_the_batch()
    {
        torch.manual_seed(4);
        using var model = nn.Sequential(("fc", nn.Linear(5, 4)), ("bn", nn.BatchNorm1d(4)));
        using var x = torch.randn(64, 5) * 3 + 2;
        model.train();
        var bn = Diagnostics.Activations(model, x).Single(l => l.Kind == "BatchNorm1d");
        Assert.Equal(0, bn.Mean, 1e-5);
        // Each feature is normalised with its biased variance over 64 examples; pooled over 4 × 64 values the
        // unbiased std is √(256/255) (less a trace for eps = 1e-5).
        Assert.Equal(Math.Sqrt(256.0 / 255), bn.Std, 1e-4);
    }

    [Fact]
    public void Gradients_and_update_ratios_of_a_linear_regression_match_the_hand_computation()
    {
        // ŷ = x·w with w = [0.5, −1], b = 0; x = [[1, 2], [3, 4]], y = [0, 1]: ŷ − y = [−1.5, −3.5],
        // ∂MSE/∂w = (2/N)·Σ(ŷ − y)·x = [−12, −17], ∂MSE/∂b = −5.
        var linear = nn.Linear(2, 1);
        using (torch.no_grad())
        {
            linear.weight.copy_(torch.tensor(new float[] { 0.5f, -1 }, [1, 2]));
            linear.bias!.zero_();
        }
        using var model = nn.Sequential(("0", linear));
        using var x = torch.tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var y = torch.tensor(new float[] { 0, 1 }, [2, 1]);

        var grads = Diagnostics.Gradients(model, x, y, TaskKind.Regression);
        var w = grads.Single(g => g.Parameter == "0.weight");
        Assert.Equal("0 (Linear)", w.Layer);
        Assert.True(w.IsWeight);
        Assert.Equal(Math.Sqrt(144 + 289), w.GradNorm, 1e-5);
        Assert.Equal(Math.Sqrt(1.25), w.WeightNorm, 1e-6);
        Assert.Equal(-14.5, w.GradMean, 1e-5);
        Assert.Equal(Math.Sqrt(12.5), w.GradStd, 1e-5);
        Assert.Equal(Math.Sqrt(433 / 1.25), w.GradToWeight, 1e-4);
        var b = grads.Single(g => g.Parameter == "0.bias");
        Assert.False(b.IsWeight);
        Assert.Equal(5, b.GradNorm, 1e-5);

        var estimate = Diagnostics.UpdateRatios(model, lr: 0.01).Single(u => u.Parameter == "0.weight");
        Assert.Equal(0.01 * Math.Sqrt(433 / 1.25), estimate.Ratio, 1e-6);
        Assert.Equal(Math.Log10(estimate.Ratio), estimate.Log10Ratio, 1e-12);

        // The real step of SGD is −lr·g, so the measured ratio equals the estimate.
        using (var sgd = torch.optim.SGD(model.parameters(), 0.01))
        {
            var actual = Diagnostics.UpdateRatios(model, sgd, x, y, TaskKind.Regression).Single(u => u.Parameter == "0.weight");
            Assert.Equal(estimate.Ratio, actual.Ratio, 1e-6);
            Assert.Equal([0.62f, -0.83f], linear.weight.ToNDArray().Data.Select(v => MathF.Round(v, 5)));
        }
    }

    [Fact]
    public void Adams_first_step_moves_every_weight_by_the_learning_rate()
    {
        // m̂/√v̂ = g/|g| on the first step: |Δwᵢ| = lr for every element, so ‖Δw‖ = lr·√(number of elements).
        torch.manual_seed(2);
        using var model = nn.Sequential(("0", nn.Linear(3, 2)));
        using var x = torch.randn(5, 3);
        using var y = torch.tensor(new long[] { 0, 1, 1, 0, 1 });
        using var adam = torch.optim.Adam(model.parameters(), 1e-3);
        var updates = Diagnostics.UpdateRatios(model, adam, x, y);
        Assert.Equal(1e-3 * Math.Sqrt(6), updates.Single(u => u.Parameter == "0.weight").UpdateNorm, 1e-7);
        Assert.Equal(1e-3 * Math.Sqrt(2), updates.Single(u => u.Parameter == "0.bias").UpdateNorm, 1e-7);
    }

    [Fact]
    public void Weights_and_histograms_are_binned_like_numpy()
    {
        var h = Histogram.Of([0, 1, 1, 2, 4, float.NaN], bins: 4);
        Assert.Equal([0.0, 1, 2, 3, 4], h.Edges);
        Assert.Equal([1L, 2, 1, 1], h.Counts);                  // the right edge 4 falls in the last bin
        Assert.Equal(1, h.NonFinite);
        Assert.Equal([0.5, 1.5, 2.5, 3.5], h.Centers);
        Assert.Equal([0.0, 0.5, 1], Histogram.Of([3, 3], bins: 2).Edges.Select(e => e - 2.5));   // constant: ±0.5 around it

        var linear = nn.Linear(2, 1);
        using (torch.no_grad()) linear.weight.copy_(torch.tensor(new float[] { 0.5f, -1 }, [1, 2]));
        using var model = nn.Sequential(("0", linear));
        var weights = Diagnostics.Weights(model, bins: 3).Single(l => l.IsWeight);
        Assert.Equal(-0.25, weights.Mean, 1e-7);
        Assert.Equal(Math.Sqrt(2 * 0.75 * 0.75), weights.Std, 1e-6);
        Assert.Equal(2, weights.Histogram.Total);
        using var t = torch.tensor(new float[] { -1, 0, 1 });
        Assert.Equal([1L, 1, 1], Diagnostics.HistogramOf(t, 3).Counts);
    }

    [Fact]
    public void Diagnostics_leave_no_live_tensors()
    {
        torch.manual_seed(3);
        using var model = nn.Sequential(("0", nn.Linear(4, 8)), ("1", nn.Tanh()), ("2", nn.Linear(8, 3)));
        using var x = torch.randn(16, 4);
        using var y = torch.randint(0, 3, [16], ScalarType.Int64);
        using var sgd = torch.optim.SGD(model.parameters(), 0.1);
        Diagnostics.Gradients(model, x, y);   // creates the .grad tensors once
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
        {
            Diagnostics.Activations(model, x);
            Diagnostics.Gradients(model, x, y);
            Diagnostics.UpdateRatios(model, 0.1);
            Diagnostics.UpdateRatios(model, sgd, x, y);
            Diagnostics.Weights(model);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
