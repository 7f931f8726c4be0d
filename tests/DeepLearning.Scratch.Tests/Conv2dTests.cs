using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class Conv2dTests
{
    [Theory]
    [InlineData(3, 1, 6, 28, 28, 5, 5, 2, 2, true)]    // LeNet's first layer on digits
    [InlineData(2, 1, 16, 9, 13, 3, 3, 1, 1, true)]    // more filters than one pass of six
    [InlineData(2, 1, 4, 11, 7, 3, 5, 0, 2, false)]    // non-square kernel, no bias
    [InlineData(1, 1, 7, 6, 32, 1, 1, 0, 0, true)]     // 32-wide rows, 1×1 kernel
    public void The_direct_first_layer_kernels_match_im2col(int n, int c, int f, int h, int w, int kh, int kw, int ph, int pw, bool bias)
    {
        var rng = new Rng(11);
        var x = rng.NormalArray<float>(0, 1, n, c, h, w);
        var wt = rng.NormalArray<float>(0, 0.3, f, c, kh, kw);
        var b = bias ? rng.NormalArray<float>(0, 0.3, f) : null;
        int ho = h + (2 * ph) - kh + 1, wo = w + (2 * pw) - kw + 1;
        var dout = rng.NormalArray<float>(0, 1, n, f, ho, wo);
        // The direct kernels need AVX-512; elsewhere both runs take the im2col path.
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, Conv2dDirect.Applies<float>(Conv2d.Geometry.Of(x, wt, b, 1, (ph, pw))));

        (NDArray<float> Y, NDArray<float> Dw, NDArray<float>? Db) Run()
        {
            var y = new NDArray<float>([n, f, ho, wo]);
            Conv2d.ForwardInto(x, wt, b, y, 1, (ph, pw));
            var dw = wt.ZerosLike();
            var db = bias ? new NDArray<float>([f]) : null;
            Conv2d.BackwardInto(dout, x, wt, null, dw, db, 1, (ph, pw));   // no dx: the direct ∂L/∂w
            return (y, dw, db);
        }

        var direct = Run();
        NDArray<float> y0, dw0;
        NDArray<float>? db0;
        try
        {
            Conv2dDirect.Enabled = false;
            (y0, dw0, db0) = Run();
        }
        finally
        {
            Conv2dDirect.Enabled = true;
        }
        Close.Assert(y0, direct.Y, "out");
        Close.Assert(Conv2d.ForwardNaive(x, wt, b, 1, (ph, pw)), direct.Y, "out vs the definition");
        Close.Assert(dw0, direct.Dw, "dw", (1e-4, 1e-5));   // sums of up to a few thousand products, in another order
        if (bias) Close.Assert(db0!, direct.Db!, "db");
    }

    [Theory]
    [InlineData(3, 6, 16, 14, 14, 5, 5, 0, 0, true)]     // LeNet's second layer
    [InlineData(5, 7, 9, 11, 13, 3, 5, 1, 2, false)]     // ragged: 7 channels (two groups of six), 9 filters, padding, odd rows
    [InlineData(2, 3, 20, 6, 19, 2, 3, 0, 1, true)]      // two filter blocks (16 + 4), rows wider than one vector
    [InlineData(1, 2, 8, 5, 4, 5, 4, 2, 0, true)]        // kernel as large as the image, one output column
    [InlineData(2, 13, 32, 9, 9, 3, 3, 1, 1, false)]     // three channel groups, two full filter blocks
    [InlineData(2, 3, 8, 4, 5, 3, 3, 3, 2, true)]        // padding wider than the kernel: outputs that see only zeros
    public void The_direct_multi_channel_kernels_match_im2col(int n, int c, int f, int h, int w, int kh, int kw, int ph, int pw, bool bias)
    {
        var rng = new Rng(12);
        var x = rng.NormalArray<float>(0, 1, n, c, h, w);
        var wt = rng.NormalArray<float>(0, 0.3, f, c, kh, kw);
        var b = bias ? rng.NormalArray<float>(0, 0.3, f) : null;
        int ho = h + (2 * ph) - kh + 1, wo = w + (2 * pw) - kw + 1;
        var dout = rng.NormalArray<float>(0, 1, n, f, ho, wo);
        // The direct kernels need AVX-512; elsewhere both runs take the im2col path.
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, Conv2dChannels.Applies<float>(Conv2d.Geometry.Of(x, wt, b, 1, (ph, pw))));

        (NDArray<float> Y, NDArray<float> Dx, NDArray<float> Dw, NDArray<float>? Db, NDArray<float> Dw2) Run()
        {
            // Garbage in the outputs first: dx must be overwritten everywhere, dw and db summed from zero.
            var y = NDArray.Full<float>(float.NaN, n, f, ho, wo);
            Conv2d.ForwardInto(x, wt, b, y, 1, (ph, pw));
            var dx = NDArray.Full<float>(float.NaN, n, c, h, w);
            var dw = NDArray.Full<float>(float.NaN, f, c, kh, kw);
            var db = bias ? NDArray.Full<float>(float.NaN, f) : null;
            Conv2d.BackwardInto(dout, x, wt, dx, dw, db, 1, (ph, pw));
            var dw2 = wt.ZerosLike();
            Conv2d.BackwardInto(dout, x, wt, null, dw2, null, 1, (ph, pw));   // a first layer's call: no dx
            return (y, dx, dw, db, dw2);
        }

        var direct = Run();
        (NDArray<float> Y, NDArray<float> Dx, NDArray<float> Dw, NDArray<float>? Db, NDArray<float> Dw2) reference;
        try
        {
            Conv2dChannels.Enabled = false;
            reference = Run();
        }
        finally
        {
            Conv2dChannels.Enabled = true;
        }
        Close.Assert(reference.Y, direct.Y, "out", (1e-4, 1e-5));
        Close.Assert(Conv2d.ForwardNaive(x, wt, b, 1, (ph, pw)), direct.Y, "out vs the definition", (1e-4, 1e-5));
        Close.Assert(reference.Dx, direct.Dx, "dx", (1e-4, 1e-5));
        Close.Assert(reference.Dw, direct.Dw, "dw", (1e-4, 1e-5));   // sums of up to a few thousand products, in another order
        Close.Assert(reference.Dw, direct.Dw2, "dw without dx", (1e-4, 1e-5));
        if (bias) Close.Assert(reference.Db!, direct.Db!, "db");
    }

    public static TheoryData<string> Cases => Fixture.Names("conv");

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch_float32(string name) => Run<float>(name);

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch_float64(string name) => Run<double>(name);

    private static void Run<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("conv")[name];
        var b = c.Has("inputs", "b") ? c.Input<T>("b") : null;
        var (y, cache) = Conv2d.Forward(c.Input<T>("x"), c.Input<T>("w"), b, ConvParams.Pair(c, "stride"), ConvParams.Pair(c, "padding"));
        Close.Assert(c.Output<T>("out"), y, $"{name} out");
        var g = Conv2d.Backward(c.Input<T>("dout"), cache);
        Close.Assert(c.Grad<T>("x"), g.Dx, $"{name} dx");
        Close.Assert(c.Grad<T>("w"), g.Dw, $"{name} dw");
        if (b is null) Assert.Null(g.Db);
        else Close.Assert(c.Grad<T>("b"), g.Db!, $"{name} db");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Naive_loop_nest_equals_im2col(string name)
    {
        var c = Fixture.Load("conv")[name];
        var (x, w) = (c.Input<double>("x"), c.Input<double>("w"));
        var b = c.Has("inputs", "b") ? c.Input<double>("b") : null;
        Size2d stride = ConvParams.Pair(c, "stride"), padding = ConvParams.Pair(c, "padding");
        var (fast, _) = Conv2d.Forward(x, w, b, stride, padding);
        Close.Assert(fast, Conv2d.ForwardNaive(x, w, b, stride, padding), $"{name} naive vs im2col", (1e-13, 1e-14));
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_passes_gradient_check(string name)
    {
        var c = Fixture.Load("conv")[name];
        var (x, w, dout) = (c.Input<double>("x"), c.Input<double>("w"), c.Input<double>("dout"));
        var b = c.Has("inputs", "b") ? c.Input<double>("b") : null;
        Size2d stride = ConvParams.Pair(c, "stride"), padding = ConvParams.Pair(c, "padding");
        NDArray<double> F() => Conv2d.Forward(x, w, b, stride, padding).Out;
        var g = Conv2d.Backward(dout, Conv2d.Forward(x, w, b, stride, padding).Cache);
        Assert.True(GradCheck.CheckOutput(F, x, dout, g.Dx).Passed(), $"dx: {GradCheck.CheckOutput(F, x, dout, g.Dx)}");
        var rw = GradCheck.CheckOutput(F, w, dout, g.Dw);
        Assert.True(rw.Passed(), $"dw: {rw}");
        if (b is not null)
        {
            var rb = GradCheck.CheckOutput(F, b, dout, g.Db!);
            Assert.True(rb.Passed(), $"db: {rb}");
        }
    }

    [Fact]
    public void Hand_computed_example_with_padding_and_stride()
    {
        // x = 1..9 in a 3×3 image, an all-ones 2×2 filter, stride 2, padding 1: each output sums the real pixels
        // of its window. Windows: {1}, {2,3}, {4,7}, {5,6,8,9}.
        var x = NDArray.From(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3);
        var w = NDArray.Full(1.0, 1, 1, 2, 2);
        var (y, _) = Conv2d.Forward(x, w, NDArray.From(new double[] { 0.5 }), stride: 2, padding: 1);
        Assert.Equal([1, 1, 2, 2], y.Shape);
        Assert.Equal([1.5, 5.5, 11.5, 28.5], y.Data);
    }

    [Fact]
    public void Output_size_follows_the_floor_formula()
    {
        var (y, _) = Conv2d.Forward(NDArray.Zeros<float>(1, 1, 7, 6), NDArray.Zeros<float>(2, 1, 3, 2), null, stride: (2, 3), padding: (1, 0));
        Assert.Equal([1, 2, 4, 2], y.Shape); // ⌊(7+2−3)/2⌋+1 = 4, ⌊(6+0−2)/3⌋+1 = 2
    }

    [Fact]
    public void Channel_mismatch_names_both_shapes()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Conv2d.Forward(NDArray.Zeros<float>(2, 3, 8, 8), NDArray.Zeros<float>(4, 2, 3, 3), null));
        Assert.Equal("w", ex.ParamName);
        Assert.Contains("[2, 3, 8, 8]", ex.Message);
        Assert.Contains("[4, 2, 3, 3]", ex.Message);
    }

    [Fact]
    public void Kernel_larger_than_padded_input_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Conv2d.Forward(NDArray.Zeros<float>(1, 1, 2, 5), NDArray.Zeros<float>(1, 1, 5, 3), null, padding: 1));
        Assert.Equal("w", ex.ParamName);
        Assert.Contains("5×3", ex.Message);
        Assert.Contains("4×7", ex.Message);
        Assert.Contains("[1, 1, 2, 5]", ex.Message);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, -2)]
    public void Non_positive_stride_is_rejected(int sh, int sw)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Conv2d.Forward(NDArray.Zeros<float>(1, 1, 4, 4), NDArray.Zeros<float>(1, 1, 3, 3), null, stride: (sh, sw)));
        Assert.Equal("stride", ex.ParamName);
        Assert.Contains($"({sh}, {sw})", ex.Message);
    }

    [Fact]
    public void Negative_padding_is_rejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Conv2d.ForwardNaive(NDArray.Zeros<float>(1, 1, 4, 4), NDArray.Zeros<float>(1, 1, 3, 3), null, padding: -1));
        Assert.Equal("padding", ex.ParamName);
        Assert.Contains("-1", ex.Message);
    }

    [Fact]
    public void Wrong_rank_and_bias_length_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Conv2d.Forward(NDArray.Zeros<float>(3, 8, 8), NDArray.Zeros<float>(4, 3, 3, 3), null));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[3, 8, 8]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            Conv2d.Forward(NDArray.Zeros<float>(1, 3, 8, 8), NDArray.Zeros<float>(4, 3, 3, 3), NDArray.Zeros<float>(3)));
        Assert.Equal("b", ex.ParamName);
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    [Fact]
    public void Backward_rejects_dout_of_the_wrong_shape()
    {
        var (_, cache) = Conv2d.Forward(NDArray.Zeros<float>(2, 3, 8, 8), NDArray.Zeros<float>(4, 3, 3, 3), null);
        var ex = Assert.Throws<ArgumentException>(() => Conv2d.Backward(NDArray.Zeros<float>(2, 4, 8, 8), cache));
        Assert.Equal("dout", ex.ParamName);
        Assert.Contains("[2, 4, 8, 8]", ex.Message);
        Assert.Contains("[2, 4, 6, 6]", ex.Message);
    }
}

/// <summary>Reads (h, w) pairs written by the conv/pool fixture generators.</summary>
internal static class ConvParams
{
    public static Size2d Pair(FixtureCase c, string key)
    {
        var v = c.RawParam(key) ?? throw new KeyNotFoundException($"Case '{c.Name}' has no params.{key}.");
        return (v[0].GetInt32(), v[1].GetInt32());
    }
}
