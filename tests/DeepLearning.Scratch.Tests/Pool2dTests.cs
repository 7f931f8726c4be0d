using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class Pool2dTests
{
    public static TheoryData<string> Cases => Fixture.Names("pool");

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch_float32(string name) => Run<float>(name);

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch_float64(string name) => Run<double>(name);

    private static void Run<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("pool")[name];
        var (y, dx) = ForwardBackward(c, c.Input<T>("x"), c.Input<T>("dout"));
        Close.Assert(c.Output<T>("out"), y, $"{name} out");
        Close.Assert(c.Grad<T>("x"), dx, $"{name} dx");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_passes_gradient_check(string name)
    {
        // The max-pool fixtures use values 1/64 apart, so a ±2e-3 nudge never changes which one is the maximum.
        var c = Fixture.Load("pool")[name];
        var (x, dout) = (c.Input<double>("x"), c.Input<double>("dout"));
        var (_, dx) = ForwardBackward(c, x, dout);
        var result = GradCheck.CheckOutput(() => ForwardBackward(c, x, null).Out, x, dout, dx);
        Assert.True(result.Passed(), result.ToString());
    }

    // Runs the case's op; backward only when dout is given.
    private static (NDArray<T> Out, NDArray<T> Dx) ForwardBackward<T>(FixtureCase c, NDArray<T> x, NDArray<T>? dout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (c.Op)
        {
            case "maxpool2d":
            {
                var (y, cache) = MaxPool2d.Forward(x, ConvParams.Pair(c, "kernel"), ConvParams.Pair(c, "stride"), ConvParams.Pair(c, "padding"));
                return (y, dout is null ? y : MaxPool2d.Backward(dout, cache));
            }
            case "avgpool2d":
            {
                bool include = c.RawParam("count_include_pad")!.Value.GetBoolean();
                var (y, cache) = AvgPool2d.Forward(x, ConvParams.Pair(c, "kernel"), ConvParams.Pair(c, "stride"), ConvParams.Pair(c, "padding"), include);
                return (y, dout is null ? y : AvgPool2d.Backward(dout, cache));
            }
            case "globalavgpool":
            {
                var (y, cache) = GlobalAvgPool.Forward(x);
                return (y, dout is null ? y : GlobalAvgPool.Backward(dout, cache));
            }
            default:
                throw new InvalidOperationException($"Unknown op {c.Op}");
        }
    }

    [Fact]
    public void Max_pool_routes_the_gradient_to_the_first_maximum_on_ties()
    {
        // One 2×2 window holding 3, 7, 7, 1: PyTorch picks the first 7 in scan order, and so must we.
        var x = NDArray.From(new double[] { 3, 7, 7, 1 }, 1, 1, 2, 2);
        var (y, cache) = MaxPool2d.Forward(x, 2);
        Assert.Equal([7.0], y.Data);
        Assert.Equal([0.0, 5, 0, 0], MaxPool2d.Backward(NDArray.From(new double[] { 5 }, 1, 1, 1, 1), cache).Data);
    }

    [Theory]
    [InlineData(9)]     // Wo = 4: one block of four
    [InlineData(23)]    // Wo = 11: blocks of four, the last overlapping the one before
    [InlineData(7)]     // Wo = 3: the scalar path
    public void The_2x2_fast_path_keeps_the_scan_order_tie_and_NaN_rules(int width)
    {
        // Values from a tiny set, so windows are full of ties, NaNs and ±0; odd sizes leave rows/columns out (floor).
        float[] pool = [-1, 0, -0f, 1, float.NaN];
        var rng = new Rng(7);
        var x = new NDArray<float>([2, 3, 7, width]);
        for (int i = 0; i < x.Length; i++) x.Data[i] = pool[(int)(rng.Uniform(0, 1) * pool.Length) % pool.Length];
        var (y, cache) = MaxPool2d.Forward(x, 2);
        int wo = width / 2;
        Assert.Equal([2, 3, 3, wo], y.Shape);
        int o = 0;
        for (int plane = 0; plane < 6; plane++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < wo; j++, o++)
                {
                    // The definition: scan the window row by row, a strictly larger value or a NaN takes over.
                    int best = (plane * 7 * width) + (2 * i * width) + (2 * j);
                    foreach (int at in new[] { best, best + 1, best + width, best + width + 1 })
                        if (x.Data[at] > x.Data[best] || float.IsNaN(x.Data[at])) best = at;
                    Assert.Equal(best, cache.Argmax[o]);
                    Assert.Equal(BitConverter.SingleToInt32Bits(x.Data[best]), BitConverter.SingleToInt32Bits(y.Data[o]));
                }
    }

    [Fact]
    public void Max_pool_backward_routes_by_argmax_also_across_planes()
    {
        // Forward's argmax stays in each output's own plane (the fast, plane-by-plane path); a made-up one may point
        // anywhere in dx (the general path). Both add each dout at its position.
        var dout = NDArray.From(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2, 2, 1, 2);
        var dx = NDArray.Full<float>(float.NaN, 2, 2, 2, 2);
        int[] own = [0, 3, 4, 6, 9, 10, 15, 12];
        MaxPool2d.BackwardInto(dout, own, dx);
        var expected = new float[16];
        for (int o = 0; o < 8; o++) expected[own[o]] += o + 1;
        Assert.Equal(expected, dx.Data);
        int[] across = [15, 15, 0, 0, 4, 1, 2, 3];
        MaxPool2d.BackwardInto(dout, across, dx);
        Array.Clear(expected);
        for (int o = 0; o < 8; o++) expected[across[o]] += o + 1;
        Assert.Equal(expected, dx.Data);
    }

    [Fact]
    public void Stride_defaults_to_the_kernel()
    {
        var (y, _) = MaxPool2d.Forward(NDArray.Zeros<float>(1, 1, 7, 6), (3, 2));
        Assert.Equal([1, 1, 2, 3], y.Shape);
        var (a, _) = AvgPool2d.Forward(NDArray.Zeros<float>(1, 1, 7, 6), 2);
        Assert.Equal([1, 1, 3, 3], a.Shape);
    }

    [Fact]
    public void Avg_pool_divisor_counts_padding_only_when_asked()
    {
        // A 2×2 image of ones, 3×3 window, padding 1: 4 real pixels in a 9-pixel window.
        var x = NDArray.Full(1.0, 1, 1, 2, 2);
        Assert.Equal(4.0 / 9, AvgPool2d.Forward(x, 3, 1, 1).Out[0], 15);
        Assert.Equal(1.0, AvgPool2d.Forward(x, 3, 1, 1, countIncludePad: false).Out[0], 15);
    }

    [Fact]
    public void Padding_over_half_the_kernel_is_rejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2d.Forward(NDArray.Zeros<float>(1, 1, 6, 6), 2, 2, 2));
        Assert.Equal("padding", ex.ParamName);
        Assert.Contains("2", ex.Message);
    }

    [Fact]
    public void Bad_kernel_stride_and_rank_are_rejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => AvgPool2d.Forward(NDArray.Zeros<float>(1, 1, 6, 6), (0, 2)));
        Assert.Equal("kernel", ex.ParamName);
        Assert.Contains("(0, 2)", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2d.Forward(NDArray.Zeros<float>(1, 1, 6, 6), 2, stride: -1));
        Assert.Equal("stride", ex.ParamName);
        Assert.Contains("-1", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => MaxPool2d.Forward(NDArray.Zeros<float>(1, 1, 2, 3), 3));
        Assert.Equal("kernel", ex2.ParamName);
        Assert.Contains("[1, 1, 2, 3]", ex2.Message);
        ex2 = Assert.Throws<ArgumentException>(() => GlobalAvgPool.Forward(NDArray.Zeros<float>(2, 3, 4)));
        Assert.Equal("x", ex2.ParamName);
        Assert.Contains("[2, 3, 4]", ex2.Message);
    }

    [Fact]
    public void Backward_rejects_dout_of_the_wrong_shape()
    {
        var (_, cache) = MaxPool2d.Forward(NDArray.Zeros<float>(1, 2, 4, 4), 2);
        var ex = Assert.Throws<ArgumentException>(() => MaxPool2d.Backward(NDArray.Zeros<float>(1, 2, 4, 4), cache));
        Assert.Equal("dout", ex.ParamName);
        Assert.Contains("[1, 2, 2, 2]", ex.Message);
        var (_, gcache) = GlobalAvgPool.Forward(NDArray.Zeros<float>(1, 2, 4, 4));
        ex = Assert.Throws<ArgumentException>(() => GlobalAvgPool.Backward(NDArray.Zeros<float>(1, 2), gcache));
        Assert.Equal("dout", ex.ParamName);
        Assert.Contains("[1, 2, 1, 1]", ex.Message);
    }
}
