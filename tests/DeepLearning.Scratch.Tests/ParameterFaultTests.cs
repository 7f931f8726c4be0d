using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// Fault class 2: parameters nobody validated — Init with zero fans, GradCheck indices outside the input, conv
/// stride 0 and zero-size kernels, MaxPool2d's backward with a foreign argmax, Dataset.ClassName, a record
/// <c>with</c> that bypassed validation, synthetic generators whose sizes overflow. (Rng is in LowLevelFaultTests.)
/// Each gets an argument error naming the argument — never NaN/∞, DivideByZero or IndexOutOfRange.
/// </summary>
public class ParameterFaultTests
{
    [Theory]
    [InlineData(new[] { 0, 0 })]
    [InlineData(new[] { 0, 0, 3, 3 })]
    [InlineData(new[] { 4, 0, 3, 3 })] // fan_in 0 (Kaiming's default mode)
    public void Init_with_a_zero_fan_is_an_error_not_infinity(int[] shape)
    {
        var rng = new Rng(0);
        var w = new NDArray<float>(shape);
        Assert.Contains("fan_in", Assert.Throws<ArgumentException>(() => Init.KaimingNormal(w, rng)).Message);
        Assert.Throws<ArgumentException>(() => Init.KaimingUniform(w, rng));
        Assert.Throws<ArgumentException>(() => Init.KaimingStd(shape));
        if (shape[0] == 0)
        {
            Assert.Contains("fan_in + fan_out", Assert.Throws<ArgumentException>(() => Init.XavierUniform(w, rng)).Message);
            Assert.Throws<ArgumentException>(() => Init.XavierNormalStd(shape));
        }
        Assert.Equal(0, Init.DefaultBound(shape)); // PyTorch's default init: bound 0 for fan_in 0, as torch
    }

    [Fact]
    public void Init_rejects_negative_dimensions_overflowing_fans_and_a_non_finite_gain()
    {
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => Init.Fans(3, -2)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => Init.Fans(2, 65536, 65536, 65536)).ParamName);
        Assert.Equal("gain", Assert.Throws<ArgumentOutOfRangeException>(() => Init.XavierUniformBound([3, 4], double.NaN)).ParamName);
        Assert.Equal((12, 6), Init.Fans(2, 4, 3));
    }

    [Fact]
    public void GradCheck_rejects_indices_outside_the_input_and_restores_x_when_f_throws()
    {
        var x = NDArray.From(new[] { 1.0, 2.0, 3.0 });
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => GradCheck.Numeric(() => 0, x, indices: [0, 3]));
        Assert.Equal("indices", ex.ParamName);
        Assert.Contains("[3]", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradCheck.Numeric(() => 0, x, indices: [-1]));
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => GradCheck.Check(() => 0, x, x.ZerosLike(), samples: 0)).ParamName);
        Assert.Equal("h", Assert.Throws<ArgumentOutOfRangeException>(() => GradCheck.Check(() => 0, x, x.ZerosLike(), h: 0)).ParamName);
        Assert.Equal("f", Assert.Throws<ArgumentNullException>(() => GradCheck.Check(null!, x, x.ZerosLike())).ParamName);

        int calls = 0;
        Assert.Throws<InvalidOperationException>(() => GradCheck.Numeric(() => ++calls == 3 ? throw new InvalidOperationException("f failed") : 0, x));
        Assert.Equal([1.0, 2.0, 3.0], x.Data); // the perturbed entry was put back
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-1, 2)]
    public void Conv_stride_zero_or_negative_is_an_argument_error_not_a_division_by_zero(int sh, int sw)
    {
        var x = NDArray.Zeros<float>(1, 1, 5, 5);
        var w = NDArray.Zeros<float>(1, 1, 3, 3);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2d.Forward(x, w, null, (sh, sw))).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2d.ForwardNaive(x, w, null, (sh, sw))).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2d.OutputSize(5, 3, sh == 0 ? 0 : -1, 0)).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2d.Forward(x, 2, (sh, sw))).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dLayer<float>(1, 1, 3, new Rng(0), (sh, sw))).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => new ConvBn<float>(1, 1, 3, sh == 0 ? 0 : -1, 1, new Rng(0), "c", "b")).ParamName);
    }

    [Fact]
    public void Zero_size_kernels_and_channels_and_bad_output_sizes_are_rejected()
    {
        var x = NDArray.Zeros<float>(1, 2, 5, 5);
        foreach (int[] shape in new[] { new[] { 1, 2, 0, 3 }, [1, 2, 3, 0], [1, 0, 3, 3] })
        {
            var w = new NDArray<float>(shape);
            var input = shape[1] == 0 ? NDArray.Zeros<float>(1, 0, 5, 5) : x;
            Assert.Equal("w", Assert.Throws<ArgumentException>(() => Conv2d.Forward(input, w, null)).ParamName);
            Assert.Equal("weight", Assert.Throws<ArgumentException>(() => new Conv2dLayer<float>(w, null)).ParamName);
        }
        Assert.Equal("kernel", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dLayer<float>(2, 3, (0, 3), new Rng(0))).ParamName);
        Assert.Equal("kernel", Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2d.Forward(x, (2, 0))).ParamName);
        Assert.Equal("kernel", Assert.Throws<ArgumentOutOfRangeException>(() => AvgPool2d.Forward(x, 0)).ParamName);
        Assert.Equal("kernel", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2d.OutputSize(5, 0, 1, 0)).ParamName);
        Assert.Equal("kernel", Assert.Throws<ArgumentException>(() => Conv2d.OutputSize(5, 8, 1, 1)).ParamName);
        Assert.Equal("padding", Assert.Throws<ArgumentOutOfRangeException>(() => Conv2d.OutputSize(5, 3, 1, -1)).ParamName);
        Assert.Equal("padding", Assert.Throws<ArgumentOutOfRangeException>(() => new ConvBn<float>(1, 1, 3, 1, -1, new Rng(0), "c", "b")).ParamName);
        // Padding so large that 2·padding overflows an int must not wrap around into a "valid" size.
        Assert.Equal("padding", Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2d.Forward(x, 3, 1, int.MaxValue / 2 + 1)).ParamName);
        Assert.Throws<ArgumentException>(() => Conv2d.Forward(x, NDArray.Zeros<float>(1, 2, 3, 3), null, 1, int.MaxValue / 2));
        Assert.Equal(3, Conv2d.OutputSize(5, 3, 2, 1));
    }

    [Fact]
    public void MaxPool_backward_with_a_foreign_argmax_is_rejected_before_dx_is_touched()
    {
        var small = new Rng(1).NormalArray<float>(0, 1, 1, 1, 4, 4);
        var big = new Rng(2).NormalArray<float>(0, 1, 1, 1, 8, 8);
        var (ys, cs) = MaxPool2d.Forward(small, 2);
        var (_, cb) = MaxPool2d.Forward(big, 4);                    // also 2×2 outputs, but argmax into a 64-value input
        var dx = NDArray.Full(7f, 1, 1, 4, 4);
        var ex = Assert.Throws<ArgumentException>(() => MaxPool2d.BackwardInto(NDArray.Full(1f, ys.Shape), cb.Argmax, dx));
        Assert.Equal("argmax", ex.ParamName);
        Assert.Contains("[1, 1, 4, 4]", ex.Message);
        Assert.All(dx.Data, v => Assert.Equal(7f, v));
        MaxPool2d.BackwardInto(NDArray.Full(1f, ys.Shape), cs.Argmax, dx); // its own argmax works
        Assert.Equal(4f, dx.Data.Sum());

        // A cache put together by hand is checked too.
        Assert.Equal("cache", Assert.Throws<ArgumentException>(() => MaxPool2d.Backward(NDArray.Full(1f, 1, 1, 2, 2), new MaxPool2dCache([4, 4], [1, 1, 2, 2], new int[4]))).ParamName);
        Assert.Equal("cache.XShape", Assert.Throws<ArgumentException>(() => AvgPool2d.Backward(NDArray.Full(1f, 1, 1, 2, 2),
            new AvgPool2dCache([1, 1, 4], [1, 1, 2, 2], 2, 2, 0, true))).ParamName);
        Assert.Equal("cache", Assert.Throws<ArgumentException>(() => GlobalAvgPool.Backward(NDArray.Full(1f, 1, 1, 1, 1), new GlobalAvgPoolCache([1, 1]))).ParamName);
    }

    [Fact]
    public void Dataset_class_name_outside_the_classes_is_named()
    {
        var d = new Dataset("d", NDArray.Zeros<float>(3, 2), [0, 1, 2], 3, ["a", "b", "c"]);
        Assert.Equal("c", d.ClassName(2));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => d.ClassName(3));
        Assert.Equal("label", ex.ParamName);
        Assert.Contains("0 to 2", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.ClassName(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset("n", NDArray.Zeros<float>(1, 2), [0], 2).ClassName(2));
        d.Labels[0] = 9; // edited after the check at construction
        Assert.Contains("Labels[0] = 9", Assert.Throws<InvalidOperationException>(() => d.ClassCounts()).Message);
    }

    [Fact]
    public void Record_with_cannot_bypass_validation()
    {
        var d = new Dataset("d", NDArray.Zeros<float>(2, 2), [0, 1], 2, ["a", "b"]);
        // X, Labels and Classes are fixed at construction (no `with` can set them); what `with` can set is checked.
        Assert.Equal("ClassNames", Assert.Throws<ArgumentException>(() => d with { ClassNames = ["only one"] }).ParamName);
        Assert.Equal("ClassNames", Assert.Throws<ArgumentException>(() => d with { ClassNames = ["a", null!] }).ParamName);
        Assert.Equal("Name", Assert.Throws<ArgumentNullException>(() => d with { Name = null! }).ParamName);
        Assert.Equal("renamed", (d with { Name = "renamed" }).Name);
        Assert.Equal(["x", "y"], (d with { ClassNames = ["x", "y"] }).ClassNames!);
        Assert.Null(typeof(Dataset).GetProperty(nameof(Dataset.X))!.SetMethod);
        Assert.Null(typeof(Dataset).GetProperty(nameof(Dataset.Labels))!.SetMethod);
        Assert.Null(typeof(Dataset).GetProperty(nameof(Dataset.Classes))!.SetMethod);

        var r = new RegressionSet("r", NDArray.Zeros<float>(2, 1), NDArray.Zeros<float>(2, 1));
        Assert.Equal("Name", Assert.Throws<ArgumentNullException>(() => r with { Name = null! }).ParamName);
        Assert.Null(typeof(RegressionSet).GetProperty(nameof(RegressionSet.Y))!.SetMethod);
        Assert.Equal("Y", Assert.Throws<ArgumentException>(() => new RegressionSet("r", NDArray.Zeros<float>(2, 1), NDArray.Zeros<float>(3, 1))).ParamName);
    }

    [Fact]
    public void Synthetic_generators_reject_sizes_that_overflow()
    {
        var rng = new Rng(0);
        foreach (var make in new Func<int, object>[]
        {
            n => Synthetic.Xor(n, 0, rng), n => Synthetic.TwoMoons(n, 0, rng), n => Synthetic.Circles(n, 0, 0.5, rng),
            n => Synthetic.Spirals(n, 3, 0, rng), n => Synthetic.XorSine(n, rng),
        })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => make(int.MaxValue));
            Assert.Equal("n", ex.ParamName);
            Assert.Contains("more than one array can hold", ex.Message);
        }
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.XorSine(Array.MaxLength / 10 + 1, rng)).ParamName);
    }
}
