using DeepLearning.Scratch;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course.Tests;

public class BackpropTests
{
    [Theory]
    [InlineData(HiddenActivation.Sigmoid, 4, 5, 3, 8, 0)]
    [InlineData(HiddenActivation.Tanh, 6, 7, 4, 5, 1)]
    [InlineData(HiddenActivation.Relu, 64, 32, 10, 16, 2)]
    public void By_hand_autograd_and_scratch_agree(HiddenActivation activation, int inputs, int hidden, int classes, int batch, int seed)
    {
        var report = Parity.Backprop(inputs, hidden, classes, batch, activation, seed);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Equal(10, report.Rows.Count);
    }

    [Theory]
    [InlineData(-4, 2)]
    [InlineData(1.5, -0.5)]
    [InlineData(0.3, 0.7)]
    public void Scalar_autograd_matches_torch_on_micrograds_graphs(double a, double b)
    {
        var report = Parity.ScalarAutograd(a, b);
        Assert.True(report.Agrees(1e-10), report.ToString());
        Assert.Equal(6, report.Rows.Count);
    }

    [Fact]
    public void Scalar_autograd_parity_takes_a_learners_expression_and_can_fail()
    {
        var same = Parity.ScalarAutograd((x, y) => (x * y) + y.Tanh(), (x, y) => (x * y) + y.tanh(), 0.5, -1.5);
        Assert.True(same.Agrees(1e-12), same.ToString());
        var different = Parity.ScalarAutograd((x, y) => x * y, (x, y) => x + y, 0.5, -1.5);
        Assert.False(different.Agrees(), different.ToString());
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Parity.ScalarAutograd(double.NaN, 1));
        Assert.Equal("a", ex.ParamName);
    }

    [Theory]
    [InlineData(HiddenActivation.Sigmoid)]
    [InlineData(HiddenActivation.Tanh)]
    [InlineData(HiddenActivation.Relu)]
    public void Finite_differences_confirm_autograd_and_the_hand_written_backward(HiddenActivation activation)
    {
        var auto = BackpropLab.CheckAutograd(activation: activation);
        Assert.True(auto.Passes(1e-7), auto.ToString());
        Assert.Equal(["W1", "b1", "W2", "b2"], auto.Entries.Select(e => e.Name));
        Assert.Equal(20, auto.Entries[0].Elements);
        var hand = BackpropLab.CheckByHand(activation: activation);
        Assert.True(hand.Passes(1e-7), hand.ToString());
        Assert.Contains("<table", hand.ToHtml());
    }

    [Fact]
    public void Gradient_check_catches_a_wrong_gradient()
    {
        var rng = new Rng(3);
        using var x = rng.NormalArray<double>(0, 1, 6, 3).ToTensor();
        using var y = Bridge.Labels([0, 1, 2, 1, 0, 2]);
        Tensor[] p =
        [
            rng.NormalArray<double>(0, 0.5, 4, 3).ToTensor(), rng.NormalArray<double>(0, 0.5, 4).ToTensor(),
            rng.NormalArray<double>(0, 0.5, 3, 4).ToTensor(), rng.NormalArray<double>(0, 0.5, 3).ToTensor(),
        ];
        // A classic bug: forgetting σ'(z1) in δ1 = (δ2·W2) ⊙ σ'(z1). Only the first layer's gradients go wrong.
        var report = BackpropLab.GradCheck(q => BackpropLab.Loss(x, y, q, HiddenActivation.Tanh), p, ["W1", "b1", "W2", "b2"],
            analytic: q =>
            {
                var a1 = (x.matmul(q[0].t()) + q[1]).tanh();
                var z2 = a1.matmul(q[2].t()) + q[3];
                var delta2 = (nn.functional.softmax(z2, 1) - nn.functional.one_hot(y, 3).to_type(ScalarType.Float64)) / 6;
                var delta1 = delta2.matmul(q[2]);   // bug: no ⊙ (1 − a1²)
                return [delta1.t().matmul(x), delta1.sum(dim: 0), delta2.t().matmul(a1), delta2.sum(dim: 0)];
            });
        Assert.False(report.Passes(), report.ToString());
        Assert.True(report.Entries[0].RelativeError > 1e-2, report.ToString());
        Assert.True(report.Entries[2].RelativeError < 1e-7 && report.Entries[3].RelativeError < 1e-7, report.ToString());
        foreach (var t in p) t.Dispose();
    }

    [Fact]
    public void Gradient_check_explains_its_preconditions()
    {
        using var w32 = torch.randn(3, 2);
        var f32 = Assert.Throws<ArgumentException>(() => BackpropLab.GradCheck(q => q[0].sum(), [w32]));
        Assert.Equal("inputs", f32.ParamName);
        Assert.Contains("Float32", f32.Message);
        Assert.Contains("[3, 2]", f32.Message);
        using var w = torch.randn(3, 2, dtype: ScalarType.Float64);
        var names = Assert.Throws<ArgumentException>(() => BackpropLab.GradCheck(q => q[0].sum(), [w], ["a", "b"]));
        Assert.Equal("names", names.ParamName);
        var eps = Assert.Throws<ArgumentOutOfRangeException>(() => BackpropLab.GradCheck(q => q[0].sum(), [w], eps: 0));
        Assert.Equal("eps", eps.ParamName);
        var scalar = Assert.Throws<ArgumentException>(() => BackpropLab.GradCheck(q => q[0] * 2, [w]));
        Assert.Equal("f", scalar.ParamName);
        Assert.Contains("[3, 2]", scalar.Message);
        Assert.Throws<ArgumentException>(() => BackpropLab.GradCheck(q => q[0].sum(), []));
        var ok = BackpropLab.GradCheck(q => (q[0] * q[0]).sum(), [w]);
        Assert.True(ok.Passes(1e-8), ok.ToString());
    }

    [Fact]
    public void By_hand_rejects_mismatched_shapes_types_and_labels()
    {
        using var x = torch.randn(4, 3);
        using var w1 = torch.randn(5, 3);
        using var b1 = torch.randn(5);
        using var w2 = torch.randn(2, 5);
        using var b2 = torch.randn(2);
        using var y = Bridge.Labels([0, 1, 1, 0]);
        using var ok = BackpropLab.ByHand(x, y, w1, b1, w2, b2);
        Assert.Equal([5L, 3], ok.DW1.shape);

        using var badW1 = torch.randn(5, 4);
        var e1 = Assert.Throws<ArgumentException>(() => BackpropLab.ByHand(x, y, badW1, b1, w2, b2));
        Assert.Equal("w1", e1.ParamName);
        Assert.Contains("[5, 4]", e1.Message);
        Assert.Contains("[4, 3]", e1.Message);
        using var badB2 = torch.randn(3);
        Assert.Equal("b2", Assert.Throws<ArgumentException>(() => BackpropLab.ByHand(x, y, w1, b1, w2, badB2)).ParamName);
        using var shortY = Bridge.Labels([0, 1]);
        var e2 = Assert.Throws<ArgumentException>(() => BackpropLab.ByHand(x, shortY, w1, b1, w2, b2));
        Assert.Equal("y", e2.ParamName);
        Assert.Contains("[2]", e2.Message);
        using var badY = Bridge.Labels([0, 1, 2, 0]);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => BackpropLab.ByHand(x, badY, w1, b1, w2, b2));
        Assert.Equal("y", e3.ParamName);
        Assert.Contains("[0, 2]", e3.Message);
        using var w2d = torch.randn(2, 5, dtype: ScalarType.Float64);
        Assert.Equal("w2", Assert.Throws<ArgumentException>(() => BackpropLab.ByAutograd(x, y, w1, b1, w2d, b2)).ParamName);
    }

    [Fact]
    public void True_risk_exceeds_empirical_risk_and_the_gap_closes_with_more_data()
    {
        var points = BackpropLab.EmpiricalVsTrueRisk([8, 16, 256, 1024]);
        string all = string.Join("\n", points);
        Assert.Equal([8, 16, 256, 1024], points.Select(p => p.TrainSize));
        foreach (var p in points.Where(p => p.TrainSize <= 16))
        {
            Assert.True(p.EmpiricalError == 0 && p.EmpiricalRisk < 0.05, all);   // small samples are memorised…
            Assert.True(p.TrueRisk >= p.EmpiricalRisk + 0.3, all);              // …and generalise badly
        }
        Assert.True(points[^1].Gap < points[0].Gap / 5, all);
        Assert.True(points[^1].TrueError < points[0].TrueError, all);
    }

    [Fact]
    public void Risk_experiment_rejects_bad_arguments()
    {
        Assert.Equal("trainSizes", Assert.Throws<ArgumentException>(() => BackpropLab.EmpiricalVsTrueRisk([])).ParamName);
        var small = Assert.Throws<ArgumentOutOfRangeException>(() => BackpropLab.EmpiricalVsTrueRisk([8, 1]));
        Assert.Equal("trainSizes", small.ParamName);
        Assert.Contains("got 1", small.Message);
        Assert.Equal("noise", Assert.Throws<ArgumentOutOfRangeException>(() => BackpropLab.EmpiricalVsTrueRisk(noise: double.NaN)).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => BackpropLab.EmpiricalVsTrueRisk(steps: 0)).ParamName);
    }
}
