using TorchSharp;
using static TorchSharp.torch;
using GeluApproximate = TorchSharp.Modules.GELU.Approximate;

namespace DeepLearning.Course.Tests;

/// <summary>
/// The TorchSharp behaviours the course library and the notebooks' prose rely on, pinned against the served
/// TorchSharp-cpu 0.107.0 (libtorch 2.10). If a TorchSharp update changes one of them, the test names the
/// sentence or workaround to revisit.
/// </summary>
public class TorchSharpQuirksTests
{
    [Fact]
    public void Building_a_Conv2d_leaves_one_tensor_alive_on_the_thread()
    {
        // TorchSharp 0.107: computing a ≥ 3-D weight's fans (Conv2d's init, init.CalculateFanInAndFanOut) leaves one
        // temporary alive, so the course's helpers that build convolutions do it inside a dispose scope (LeakTests).
        // When this fails, the leak is fixed upstream and those scopes may go.
        static long Live() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        torch.nn.Conv2d(1, 6, 3).Dispose();   // warm-up
        long before = Live();
        torch.nn.Conv2d(1, 6, 3).Dispose();
        Assert.Equal(1, Live() - before);
        before = Live();
        using (torch.NewDisposeScope()) torch.nn.Conv2d(1, 6, 3).Dispose();
        Assert.Equal(0, Live() - before);
        before = Live();
        using (var w = torch.empty(16, 3, 5, 5)) _ = torch.nn.init.CalculateFanInAndFanOut(w);
        Assert.Equal(1, Live() - before);
        before = Live();
        using (var w = torch.empty(30, 20)) _ = torch.nn.init.CalculateFanInAndFanOut(w);
        Assert.Equal(0, Live() - before);
    }

    [Fact]
    public void Gelu_has_approximate_tanh_and_it_matches_the_course_formula()
    {
        // 0.106 had no approximate=; 0.107 has it, so the library's gelu_tanh uses it (notebook 01 says so).
        using var scope = torch.NewDisposeScope();
        var x = torch.linspace(-6, 6, 241, dtype: ScalarType.Float64);
        var u = (x + (x.pow(3) * 0.044715)) * Math.Sqrt(2 / Math.PI);
        var formula = x * 0.5 * (torch.tanh(u) + 1);
        var functional = torch.nn.functional.gelu(x, GeluApproximate.tanh);
        using var module = torch.nn.GELU(GeluApproximate.tanh);
        Assert.True((functional - formula).abs().max().item<double>() < 1e-14);
        Assert.True((module.forward(x) - formula).abs().max().item<double>() < 1e-14);
        // And it is not the exact (erf) GELU.
        Assert.True((torch.nn.functional.gelu(x) - formula).abs().max().item<double>() > 1e-4);
        Assert.Equal(0, (TorchActivations.Apply("gelu_tanh", x) - functional).abs().max().item<double>());
    }

    [Fact]
    public void Xavier_normal_still_draws_a_uniform_with_the_glorot_std()
    {
        // TorchSharp's xavier_normal_ (0.106 and still 0.107) calls the native xavier_uniform_: the std is right, the
        // shape is not (excess kurtosis −1.2, every value inside the uniform's bound √3·σ). InitLab.Fill draws the normal.
        using var scope = torch.NewDisposeScope();
        double expected = Math.Sqrt(2.0 / (256 + 512));
        var (std, kurtosis, maxAbs) = Moments(w => torch.nn.init.xavier_normal_(w));
        // n = 131,072 samples: the std's standard error is ~0.2 %, the excess kurtosis's ~0.014 (normal) or ~0.005 (uniform).
        Assert.InRange(std / expected, 0.99, 1.01);
        Assert.InRange(kurtosis, -1.3, -1.1);
        Assert.True(maxAbs <= Math.Sqrt(3) * expected * (1 + 1e-6), $"max |w| = {maxAbs} ≤ √3·σ");

        var (courseStd, courseKurtosis, courseMax) = Moments(w => InitLab.Fill(w, InitScheme.XavierNormal));
        Assert.InRange(courseStd / expected, 0.99, 1.01);
        Assert.InRange(courseKurtosis, -0.1, 0.1);
        Assert.True(courseMax > 1.5 * Math.Sqrt(3) * expected, "a normal has tails beyond the uniform's bound");
    }

    private static (double Std, double ExcessKurtosis, double MaxAbs) Moments(Action<Tensor> fill)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var w = torch.empty(256, 512, dtype: ScalarType.Float64);
        fill(w);
        double std = w.std().item<double>();
        double kurtosis = ((w - w.mean()) / std).pow(4).mean().item<double>() - 3;
        return (std, kurtosis, w.abs().max().item<double>());
    }

    [Fact]
    public void AdamW_default_weight_decay_is_still_zero_unlike_pytorchs_one_hundredth()
    {
        using var scope = torch.NewDisposeScope();
        var p = new TorchSharp.Modules.Parameter(torch.ones(3));
        using var optimizer = torch.optim.AdamW([p]);
        p.grad = torch.zeros(3);
        optimizer.step();
        // With a zero gradient Adam's update is 0, so only decoupled decay could move p: it stays at exactly 1.
        Assert.Equal([1f, 1f, 1f], p.data<float>().ToArray());

        var q = new TorchSharp.Modules.Parameter(torch.ones(3));
        using var decaying = torch.optim.AdamW([q], weight_decay: 0.01);
        q.grad = torch.zeros(3);
        decaying.step();
        Assert.Equal(1 - 1e-3 * 0.01, q.data<float>()[0], 6);
        // The course's wrappers pass PyTorch's default explicitly.
        Assert.Equal(0.01, OptimizerSpec.AdamW().WeightDecay);
    }

    [Fact]
    public void Sum_of_a_literal_zero_binds_to_the_scalar_type_overload()
    {
        // C# converts the literal 0 to any enum, and the ScalarType? overload wins: t.sum(0) sums everything (into
        // dtype 0, Byte), it does not sum over dimension 0. Write sum(dim: 0).
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var literal = t.sum(0);
        Assert.Equal(0, literal.dim());
        Assert.Equal(ScalarType.Byte, literal.dtype);
        Assert.Equal(21, literal.item<byte>());
        var byDim = t.sum(dim: 0);
        Assert.Equal([3L], byDim.shape);
        Assert.Equal([5f, 7f, 9f], byDim.data<float>().ToArray());
    }

    [Fact]
    public void BatchNorm_on_a_training_batch_of_one_writes_nan_into_running_var()
    {
        // PyTorch's Python layer refuses a batch of one in training mode; TorchSharp does not, and the unbiased
        // variance of one value (0/0) turns running_var into NaN. BatchNormMlp.forward guards against it.
        using var scope = torch.NewDisposeScope();
        using var bn = torch.nn.BatchNorm1d(4);
        bn.train();
        bn.forward(torch.randn(1, 4));
        Assert.True(torch.isnan(bn.running_var!).all().item<bool>());
        using var guarded = new BatchNormMlp(4, 8, 1, 2, batchNorm: true, seed: 0);
        guarded.train();
        Assert.Contains("[1, 4]", Assert.Throws<ArgumentException>(() => guarded.forward(torch.randn(1, 4))).Message);
    }
}
