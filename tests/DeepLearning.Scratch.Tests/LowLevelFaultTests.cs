using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// Fault class 1: the low-level types explain instead of crashing — null arrays, out-of-range dimensions, rows and
/// indices (none may read a neighbouring element), element counts that overflow an int, and Check helpers that must
/// not throw IndexOutOfRange/NullReference themselves. Plus the NDArray operations lessons need (transpose, permute)
/// and the copying From.
/// </summary>
public class LowLevelFaultTests
{
    [Fact]
    public void Null_arrays_are_argument_errors_naming_the_argument()
    {
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => NDArray.From<float>(null!)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => NDArray.Wrap<float>(null!)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentNullException>(() => new NDArray<float>(null!)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentNullException>(() => NDArray.Zeros<float>(6).Reshape(null!)).ParamName);
        var row = Assert.Throws<ArgumentException>(() => NDArray.FromRows(new[] { new[] { 1f }, null! }));
        Assert.Contains("Row 1 is null", row.Message);
        Assert.Equal("other", Assert.Throws<ArgumentNullException>(() => NDArray.Zeros<float>(2).SameShape<float>(null!)).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentNullException>(() => new Parameter<float>("w", null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => new Parameter<float>(null!, NDArray.Zeros<float>(1))).ParamName);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-3)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void A_dimension_outside_the_rank_is_named_with_the_shape(int d)
    {
        var a = NDArray.Zeros<float>(4, 5);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => a.Dim(d));
        Assert.Equal("d", ex.ParamName);
        Assert.Contains("[4, 5]", ex.Message);
        Assert.Equal(5, a.Dim(-1));
        Assert.Equal(4, a.Dim(-2));
    }

    [Fact]
    public void Rows_and_indexers_outside_the_array_throw_instead_of_reading_a_neighbour()
    {
        var a = NDArray.From(new float[] { 0, 1, 2, 3, 4, 5 }, 2, 3);
        Assert.Equal("i", Assert.Throws<ArgumentOutOfRangeException>(() => a.Row(2)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Row(-1));
        Assert.Throws<InvalidOperationException>(() => NDArray.Scalar(1f).Row(0));
        // [0, 3] would have read element 3 — row 1's first value — before the indexers checked each coordinate.
        var column = Assert.Throws<ArgumentOutOfRangeException>(() => a[0, 3]);
        Assert.Contains("[0, 3]", column.Message);
        Assert.Contains("[2, 3]", column.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => a[-1, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => a[6]);
        Assert.Throws<ArgumentOutOfRangeException>(() => a[0, 0, 0]);      // 3 indices into a 2-D array
        Assert.Throws<ArgumentOutOfRangeException>(() => a[0, 0, 0, 0]);
        var b = NDArray.Zeros<float>(2, 2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => b[0, 0, 2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => b[0, 1]);         // 2 indices into a 3-D array
        var c = NDArray.Zeros<float>(1, 2, 3, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => c[0, 0, 0, 4]);
        Assert.Equal(5f, a[1, 2]);
    }

    [Theory]
    [InlineData(new[] { 65536, 65536 })]                         // 2³² elements
    [InlineData(new[] { int.MaxValue, int.MaxValue, int.MaxValue })] // overflows a long too
    [InlineData(new[] { 46341, 46341 })]                         // just over int.MaxValue
    public void Element_counts_that_overflow_are_reported_not_wrapped(int[] shape)
    {
        var ex = Assert.Throws<ArgumentException>(() => new NDArray<float>(shape));
        Assert.Contains("more elements than one array can hold", ex.Message);
        Assert.Throws<ArgumentException>(() => Shapes.Count(shape));
    }

    [Fact]
    public void A_zero_dimension_makes_an_empty_array_but_negatives_are_still_rejected()
    {
        Assert.Equal(0, new NDArray<float>([0, int.MaxValue, int.MaxValue]).Length);
        Assert.Throws<ArgumentException>(() => new NDArray<float>([0, -1]));
        Assert.Throws<ArgumentException>(() => new NDArray<float>([-2, 0]));
    }

    [Fact]
    public void Reshape_rejects_two_minus_ones_other_negatives_and_overflowing_products()
    {
        var a = NDArray.Zeros<float>(12);
        Assert.Contains("only one dimension may be -1", Assert.Throws<ArgumentException>(() => a.Reshape(-1, -1)).Message);
        Assert.Throws<ArgumentException>(() => a.Reshape(-2, -6));
        Assert.Throws<ArgumentException>(() => a.Reshape(65536, 65536, 0, -1));
        Assert.Throws<ArgumentException>(() => a.Reshape(int.MaxValue, int.MaxValue));
        Assert.Equal([3, 4], a.Reshape(3, -1).Shape);
    }

    [Fact]
    public void From_copies_so_a_cache_does_not_see_later_edits_and_Wrap_shares()
    {
        float[] data = [-1, 2, -3];
        var x = NDArray.From(data);
        var (_, cache) = Activations.Relu.Forward(x);
        data[0] = 5; // the caller reuses its buffer
        Assert.Equal(-1f, cache.X[0]);
        Assert.Equal(0f, Activations.Relu.Backward(NDArray.Full(1f, 3), cache)[0]);

        var shared = NDArray.Wrap(data, 3, 1);
        data[1] = 7;
        Assert.Equal(7f, shared[1, 0]);
        Assert.Equal([3], NDArray.Wrap(data).Shape);
    }

    [Fact]
    public void Transpose_and_permute_move_elements_like_torch()
    {
        var a = NDArray.From(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var t = a.Transpose();
        Assert.Equal([3, 2], t.Shape);
        Assert.Equal([1.0, 4, 2, 5, 3, 6], t.Data);
        Assert.Equal(a.Data, t.Transpose().Data);
        t[0, 0] = 100;
        Assert.Equal(1, a[0, 0]); // a copy

        // NCHW → NHWC and back; element (n, c, h, w) lands at (n, h, w, c).
        var x = new Rng(1).NormalArray<double>(0, 1, 2, 3, 4, 5);
        var nhwc = x.Permute(0, 2, 3, 1);
        Assert.Equal([2, 4, 5, 3], nhwc.Shape);
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int h = 0; h < 4; h++)
                    for (int w = 0; w < 5; w++)
                        Assert.Equal(x[n, c, h, w], nhwc[n, h, w, c]);
        Assert.Equal(x.Data, nhwc.Permute(0, 3, 1, 2).Data);
        Assert.Equal([2, 5, 4, 3], x.Transpose(1, -1).Shape);
        Assert.Equal(0, NDArray.Zeros<float>(0, 3).Transpose().Length);

        Assert.Throws<InvalidOperationException>(() => x.Transpose());
        Assert.Equal("dims", Assert.Throws<ArgumentException>(() => x.Permute(0, 1, 1, 2)).ParamName);
        Assert.Equal("dims", Assert.Throws<ArgumentException>(() => x.Permute(0, 1)).ParamName);
        Assert.Equal("dims", Assert.Throws<ArgumentOutOfRangeException>(() => x.Permute(0, 1, 2, 4)).ParamName);
        Assert.Equal("dim1", Assert.Throws<ArgumentOutOfRangeException>(() => x.Transpose(0, 9)).ParamName);
    }

    [Fact]
    public void Check_helpers_report_instead_of_throwing_index_or_null_reference_errors()
    {
        var a = NDArray.Zeros<float>(2, 3);
        // A dimension the array does not have, a null array, null names and layouts.
        var dim = Assert.Throws<ArgumentException>(() => Check.DimEquals(a, 5, 3, "a", "why"));
        Assert.Contains("[2, 3]", dim.Message);
        Assert.Equal("a", Assert.Throws<ArgumentNullException>(() => Check.DimEquals<float>(null!, 0, 3, "a", "why")).ParamName);
        Assert.Throws<ArgumentNullException>(() => Check.Rank<float>(null!, 2, null!, null!));
        Assert.Throws<ArgumentException>(() => Check.Rank(a, 3, null!, null!));
        Assert.Throws<ArgumentNullException>(() => Check.SameShape(a, null!, null!, null!));
        Assert.Throws<ArgumentException>(() => Check.SameShape(a, null!, NDArray.Zeros<float>(3), null!));
        Assert.Throws<ArgumentNullException>(() => Check.NotEmpty<float>(null!, null!));
        Assert.Throws<ArgumentException>(() => Check.NotEmpty(NDArray.Zeros<float>(0, 3), null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => Check.Labels([0, 1], 2, 0, null!));
        Assert.Throws<ArgumentException>(() => Check.Labels([0], 2, 3, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => Check.Labels([0, -1], 2, 3, "y"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Check.Positive(0, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => Check.NonNegative(double.NaN, null!));
        Assert.Throws<ArgumentException>(() => Check.InRange(0.5, 1, 0, "p"));          // an empty range is the caller's bug
        Assert.Throws<ArgumentOutOfRangeException>(() => Check.InRange(double.NaN, 0, 1, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => Check.PositiveInt(0, null!));
        Assert.Throws<ArgumentNullException>(() => Check.NoNulls<string>(null!, "list"));
        Assert.Contains("list[1] is null", Assert.Throws<ArgumentException>(() => Check.NoNulls(new[] { "a", null }, "list")).Message);
    }

    [Theory]
    [InlineData(-1.0, "std")]
    [InlineData(double.NaN, "std")]
    [InlineData(double.PositiveInfinity, "std")]
    public void Rng_normal_rejects_a_bad_std_before_drawing(double std, string param)
    {
        var rng = new Rng(3);
        var twin = new Rng(3);
        Assert.Equal(param, Assert.Throws<ArgumentOutOfRangeException>(() => rng.Normal(0, std)).ParamName);
        Assert.Equal(param, Assert.Throws<ArgumentOutOfRangeException>(() => rng.NormalArray<float>(0, std, 2)).ParamName);
        Assert.Equal("mean", Assert.Throws<ArgumentOutOfRangeException>(() => rng.Normal(double.NaN, 1)).ParamName);
        Assert.Equal(twin.NextULong(), rng.NextULong()); // the stream did not move
        Assert.Equal(0.0, new Rng(1).Normal(0, 0));       // std 0 is a point mass, allowed
    }

    [Fact]
    public void Rng_rejects_reversed_or_non_finite_ranges_bad_probabilities_and_negative_counts()
    {
        var rng = new Rng(4);
        var twin = new Rng(4);
        var reversed = Assert.Throws<ArgumentException>(() => rng.Uniform(1, 0));
        Assert.Contains("low ≤ high", reversed.Message);
        Assert.Throws<ArgumentException>(() => rng.UniformArray<float>(2, -2, 3));
        Assert.Equal("low", Assert.Throws<ArgumentOutOfRangeException>(() => rng.Uniform(double.NegativeInfinity, 0)).ParamName);
        Assert.Equal("high", Assert.Throws<ArgumentOutOfRangeException>(() => rng.Uniform(0, double.NaN)).ParamName);
        Assert.Throws<ArgumentException>(() => rng.Uniform(-double.MaxValue, double.MaxValue)); // the width overflows
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => rng.Bernoulli(1.5)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => rng.Bernoulli(-0.1)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => rng.Bernoulli(double.NaN)).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => rng.Permutation(-1)).ParamName);
        Assert.Equal("maxExclusive", Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0)).ParamName);
        Assert.Throws<ArgumentException>(() => rng.NormalArray<float>(0, 1, -3));
        Assert.Equal(twin.NextULong(), rng.NextULong());
        Assert.Empty(rng.Permutation(0));
        Assert.True(rng.Bernoulli(1));
        Assert.False(rng.Bernoulli(0));
        Assert.Equal(2.0, rng.Uniform(2, 2));
    }
}
