using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class ResidualTests
{
    public static TheoryData<string> Cases => Fixture.Names("residual");

    public static TheoryData<string> TrainCases
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var c in Fixture.Load("residual").Cases)
                if (c.RawParam("train")!.Value.GetBoolean()) data.Add(c.Name);
            return data;
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Training_step_matches_pytorch_float32(string name) => Run<float>(name);

    [Theory, MemberData(nameof(Cases))]
    public void Training_step_matches_pytorch_float64(string name) => Run<double>(name);

    private static void Run<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("residual")[name];
        var block = Build<T>(c);
        var (y, cache) = (Train(c) ? block.Train() : block.Eval()).Forward(c.Input<T>("x"));
        Close.Assert(c.Output<T>("out"), y, $"{name} out");
        var dx = block.Backward(c.Input<T>("dout"), cache);
        Close.Assert(c.Grad<T>("x"), dx, $"{name} dx");
        foreach (var p in block.Parameters)
            Close.Assert(c.Grad<T>(p.Name), p.Grad, $"{name} ∂L/∂{p.Name}");
        foreach (var (bufferName, value) in block.Buffers)
            Close.Assert(c.Output<T>(bufferName), value, $"{name} {bufferName} after the step");
    }

    [Theory, MemberData(nameof(TrainCases))]
    public void Backward_passes_gradient_check(string name)
    {
        var c = Fixture.Load("residual")[name];
        var block = Build<double>(c);
        var (x, dout) = (c.Input<double>("x"), c.Input<double>("dout"));
        var dx = block.Backward(dout, block.Train().Forward(x).Cache);
        NDArray<double> F() => block.Train().Forward(x).Out;
        // A block has hundreds of ReLU inputs; a nudge of 1e-3 (the default step) moves all of them and can carry one
        // across the kink at 0. A step of 1e-4 keeps them on their side, and the five-point error O(h⁴) stays negligible.
        const double h = 1e-4;
        var rng = new Rng(11);
        var rx = GradCheck.CheckOutput(F, x, dout, dx, h, samples: 24, rng: rng);
        Assert.True(rx.Passed(), $"dx: {rx}");
        foreach (var p in block.Parameters)
        {
            var rp = GradCheck.CheckOutput(F, p.Value, dout, p.Grad, h, samples: 4, rng: rng);
            Assert.True(rp.Passed(), $"∂L/∂{p.Name}: {rp}");
        }
    }

    // A block shaped like the case, with PyTorch's weights (and, for eval cases, running statistics) copied in.
    private static ResidualBlock<T> Build<T>(FixtureCase c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inC = (int)c.Param("in_channels"), stride = (int)c.Param("stride");
        ResidualBlock<T> block = c.Op == "basic"
            ? new BasicBlock<T>(inC, (int)c.Param("out_channels"), stride, new Rng(1))
            : new Bottleneck<T>(inC, (int)c.Param("width"), stride, new Rng(1));
        foreach (var p in block.Parameters)
        {
            var value = c.Input<T>(p.Name);
            Assert.True(value.SameShape(p.Value), $"{p.Name}: {Shapes.Format(p.Value.Shape)} vs PyTorch {Shapes.Format(value.Shape)}");
            value.Data.CopyTo(p.Value.Data, 0);
        }
        if (!Train(c))
            foreach (var (bufferName, value) in block.Buffers)
                c.Input<T>(bufferName).Data.CopyTo(value.Data, 0);
        return block;
    }

    private static bool Train(FixtureCase c) => c.RawParam("train")!.Value.GetBoolean();

    [Fact]
    public void Parameter_names_follow_torchvision()
    {
        var c = Fixture.Load("residual")["bottleneck/projection_stride2"];
        var block = new Bottleneck<float>(8, 4, 2, new Rng(0));
        string[] expected = ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias",
            "conv3.weight", "bn3.weight", "bn3.bias", "downsample.0.weight", "downsample.1.weight", "downsample.1.bias"];
        Assert.Equal(expected, block.Parameters.Select(p => p.Name));
        Assert.All(expected, n => Assert.True(c.Has("grads", n), n));
        Assert.Equal(["bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var", "bn3.running_mean",
            "bn3.running_var", "downsample.1.running_mean", "downsample.1.running_var"], block.Buffers.Select(b => b.Name));
        var prefixed = new BasicBlock<float>(4, 4, 1, new Rng(0), prefix: "layer1.0");
        Assert.Equal(["layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias",
            "layer1.0.conv2.weight", "layer1.0.bn2.weight", "layer1.0.bn2.bias"], prefixed.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void Shortcut_is_a_projection_only_when_the_shape_changes()
    {
        var rng = new Rng(0);
        Assert.Null(new BasicBlock<float>(4, 4, 1, rng).Downsample);
        Assert.NotNull(new BasicBlock<float>(4, 8, 1, rng).Downsample);
        Assert.NotNull(new BasicBlock<float>(4, 4, 2, rng).Downsample);
        Assert.Null(new Bottleneck<float>(16, 4, 1, rng).Downsample);
        var b = new Bottleneck<float>(8, 4, 2, rng);
        Assert.Equal(16, b.OutChannels);
        Assert.Equal(new Size2d(2, 2), b.Downsample!.Conv.Stride);
        var (y, _) = b.Train().Forward(rng.NormalArray<float>(0, 1, 2, 8, 7, 7));
        Assert.Equal([2, 16, 4, 4], y.Shape);
    }

    [Fact]
    public void Conv_weights_start_he_normal_with_fan_out()
    {
        var block = new BasicBlock<double>(64, 64, 1, new Rng(3));
        var w = block.Main[0].Weight.Value;
        double mean = w.Data.Average(), std = Math.Sqrt(w.Data.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(std / Math.Sqrt(2.0 / (64 * 3 * 3)), 0.97, 1.03);
        Assert.All(block.Main[0].Bn.Gamma.Value.Data, g => Assert.Equal(1.0, g));
    }

    [Fact]
    public void Backward_accumulates_into_parameter_gradients_until_zero_grad()
    {
        var rng = new Rng(4);
        var block = new BasicBlock<double>(3, 4, 2, rng);
        var x = rng.NormalArray<double>(0, 1, 2, 3, 6, 6);
        var (y, cache) = block.Train().Forward(x);
        var dout = rng.NormalArray<double>(0, 1, y.Shape);
        block.Backward(dout, cache);
        block.Backward(dout, cache);
        var twice = block.Parameters.Select(p => p.Grad.Clone()).ToArray();
        foreach (var g in twice) System.Numerics.Tensors.TensorPrimitives.Multiply(g.Span, 0.5, g.Span);
        block.ZeroGrad();
        Assert.All(block.Parameters, p => Assert.All(p.Grad.Data, g => Assert.Equal(0.0, g)));
        block.Backward(dout, cache);
        for (int i = 0; i < twice.Length; i++)
            Close.Assert(twice[i], block.Parameters[i].Grad, $"{block.Parameters[i].Name}: two backward passes add up", (1e-12, 1e-14));
    }

    [Fact]
    public void Wrong_input_channels_name_x_and_its_shape()
    {
        var block = new BasicBlock<float>(4, 8, 2, new Rng(0));
        var ex = Assert.Throws<ArgumentException>(() => block.Train().Forward(NDArray.Zeros<float>(2, 3, 8, 8)));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[2, 3, 8, 8]", ex.Message);
        Assert.Contains("4", ex.Message);
    }

    [Fact]
    public void Backward_rejects_dout_of_the_wrong_shape()
    {
        var rng = new Rng(0);
        var block = new BasicBlock<float>(4, 8, 2, rng);
        var (_, cache) = block.Train().Forward(rng.NormalArray<float>(0, 1, 2, 4, 8, 8));
        var ex = Assert.Throws<ArgumentException>(() => block.Backward(NDArray.Zeros<float>(2, 8, 8, 8), cache));
        Assert.Equal("dout", ex.ParamName);
        Assert.Contains("[2, 8, 8, 8]", ex.Message);
        Assert.Contains("[2, 8, 4, 4]", ex.Message);
    }
}
