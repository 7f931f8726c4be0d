using DeepLearning.Scratch;

namespace DeepLearning.Course.Tests;

public class LossesParityTests
{
    private static readonly Reduction[] AllReductions = [Reduction.Mean, Reduction.Sum, Reduction.None];

    public static TheoryData<string, Reduction> ArrayTargetCases()
    {
        var data = new TheoryData<string, Reduction>();
        foreach (string name in new[] { "mse", "l1", "huber", "bce", "bce_with_logits", "cross_entropy" })
            foreach (var r in AllReductions) data.Add(name, r);
        return data;
    }

    public static TheoryData<string, Reduction, double> IndexTargetCases()
    {
        var data = new TheoryData<string, Reduction, double>();
        foreach (var r in AllReductions)
        {
            data.Add("cross_entropy", r, 0);
            data.Add("cross_entropy", r, 0.1);
            data.Add("nll", r, 0);
        }
        return data;
    }

    public static TheoryData<Reduction> Reductions() => [.. AllReductions];

    // Inputs and targets each loss accepts: probabilities for BCE, distributions for cross-entropy.
    private static (NDArray<float> Input, NDArray<float> Target) Arrays(string name, ulong seed)
    {
        var rng = new Rng(seed);
        return name switch
        {
            "bce" => (rng.UniformArray<float>(0.02, 0.98, 6, 4), rng.UniformArray<float>(0, 1, 6, 4)),
            "bce_with_logits" => (rng.NormalArray<float>(0, 3, 6, 4), rng.UniformArray<float>(0, 1, 6, 4)),
            "cross_entropy" => (rng.NormalArray<float>(0, 2, 6, 4), DeepLearning.Scratch.Activations.Softmax.Forward(rng.NormalArray<float>(0, 1, 6, 4)).Out),
            _ => (rng.NormalArray<float>(0, 2, 6, 4), rng.NormalArray<float>(0, 2, 6, 4)),
        };
    }

    [Theory, MemberData(nameof(ArrayTargetCases))]
    public void Array_target_losses_match_torch(string name, Reduction reduction)
    {
        var (input, target) = Arrays(name, 11);
        Assert.True(Parity.Loss(name, input, target, reduction, seed: 3).Agrees(1e-5));
        (input, target) = (Scale(input, name), Scale(target, name)); // a big summed loss: float32 can't resolve 1e-5 absolute
        var report = Parity.Loss(name, input, target, reduction, seed: 3);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Equal([reduction == Reduction.None ? "loss" : "loss (÷ max(1, |L|))", "∂L/∂input"], report.Rows.Select(r => r.Quantity));
    }

    private static NDArray<float> Scale(NDArray<float> a, string name)
    {
        if (name is not ("mse" or "l1" or "huber")) return a; // probabilities and logits keep their meaning
        var b = a.Clone();
        for (int i = 0; i < b.Length; i++) b[i] *= 10;
        return b;
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Huber_delta_reaches_both_sides(double delta)
    {
        var (input, target) = Arrays("huber", 12);
        foreach (var r in AllReductions)
        {
            var report = Parity.Loss("huber", input, target, r, delta: delta);
            Assert.True(report.Agrees(1e-5), report.ToString());
        }
    }

    [Theory, MemberData(nameof(Reductions))]
    public void Bce_with_logits_pos_weight_and_smoothed_probability_targets_match(Reduction reduction)
    {
        var (logits, target) = Arrays("bce_with_logits", 13);
        var pw = NDArray.From(new float[] { 0.5f, 1f, 2f, 4f });
        var report = Parity.Loss("bce_with_logits", logits, target, reduction, posWeight: pw);
        Assert.True(report.Agrees(1e-5), report.ToString());
        var (ceIn, ceTarget) = Arrays("cross_entropy", 14);
        var smoothed = Parity.Loss("cross_entropy", ceIn, ceTarget, reduction, labelSmoothing: 0.2);
        Assert.True(smoothed.Agrees(1e-5), smoothed.ToString());
    }

    [Theory, MemberData(nameof(IndexTargetCases))]
    public void Class_index_losses_match_torch(string name, Reduction reduction, double labelSmoothing)
    {
        var rng = new Rng(21);
        var x = rng.NormalArray<float>(0, 2, 8, 5);
        if (name == "nll") x = DeepLearning.Scratch.Activations.LogSoftmax.Forward(x).Out;
        int[] labels = [0, 4, 2, 2, 1, 3, 0, 4];
        var report = Parity.Loss(name, x, labels, reduction, labelSmoothing, seed: 4);
        Assert.True(report.Agrees(1e-5), report.ToString());
    }

    [Theory]
    [InlineData(1, 0.5)]
    [InlineData(2, 0.5)]
    [InlineData(2, 3.0)]
    public void Triplet_margin_loss_matches_torch(int p, double margin)
    {
        var rng = new Rng(31);
        var (a, pos, neg) = (rng.NormalArray<float>(0, 1, 6, 4), rng.NormalArray<float>(0, 1, 6, 4), rng.NormalArray<float>(0, 1, 6, 4));
        foreach (var r in AllReductions)
        {
            var report = Parity.TripletMarginLoss(a, pos, neg, r, margin, p, seed: 5);
            Assert.True(report.Agrees(1e-5), report.ToString());
            Assert.Equal(4, report.Rows.Count);
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void Contrastive_loss_from_primitives_matches_the_scratch_definition(double margin)
    {
        var rng = new Rng(41);
        var (x1, x2) = (rng.NormalArray<float>(0, 0.6, 8, 3), rng.NormalArray<float>(0, 0.6, 8, 3));
        int[] y = [1, 0, 0, 1, 0, 1, 0, 0];
        foreach (var r in AllReductions)
        {
            var report = Parity.ContrastiveLoss(x1, x2, y, r, margin, seed: 6);
            Assert.True(report.Agrees(1e-5), report.ToString());
        }
    }

    [Fact]
    public void Unknown_loss_names_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Parity.Loss("hinge", NDArray.Zeros<float>(2, 2), NDArray.Zeros<float>(2, 2)));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("bce_with_logits", ex.Message);
        Assert.Equal("l1", TorchLosses.Resolve("MAE"));
        Assert.Equal("cross_entropy", TorchLosses.Resolve("CrossEntropy"));
    }

    [Fact]
    public void Shape_mismatch_names_both_shapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Parity.Loss("mse", NDArray.Zeros<float>(2, 3), NDArray.Zeros<float>(3, 2)));
        Assert.Equal("target", ex.ParamName);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[3, 2]", ex.Message);
    }

    [Fact]
    public void Wrong_target_kinds_and_values_are_rejected()
    {
        var x = NDArray.Zeros<float>(2, 4);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Parity.Loss("nll", x, [1, 9]));
        Assert.Equal("target", range.ParamName);
        Assert.Contains("9", range.Message);
        var count = Assert.Throws<ArgumentException>(() => Parity.Loss("cross_entropy", x, [1]));
        Assert.Equal("target", count.ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentException>(() => Parity.Loss("mse", x, [0, 1])).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentException>(() => Parity.Loss("nll", x, x)).ParamName);
        var bce = Assert.Throws<ArgumentOutOfRangeException>(() => Parity.Loss("bce", NDArray.Full(1.5f, 2, 4), NDArray.Zeros<float>(2, 4)));
        Assert.Equal("input", bce.ParamName);
        Assert.Contains("1.5", bce.Message);
        Assert.Equal("reduction", Assert.Throws<ArgumentOutOfRangeException>(() => Parity.Loss("mse", x, x, (Reduction)7)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => Parity.TripletMarginLoss(x, x, x, p: 0)).ParamName);
    }
}
