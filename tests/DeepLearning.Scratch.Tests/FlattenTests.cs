using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class FlattenTests
{
    [Fact]
    public void Forward_views_nchw_as_rows_and_backward_restores_the_shape()
    {
        var x = new Rng(1).NormalArray<float>(0, 1, 2, 3, 4, 5);
        var (y, cache) = Flatten.Forward(x);
        Assert.Equal([2, 60], y.Shape);
        Assert.Equal(x[1, 2, 3, 4], y[1, 59]);
        var dx = Flatten.Backward(y, cache);
        Assert.Equal([2, 3, 4, 5], dx.Shape);
        Assert.Equal(x.Data, dx.Data);
    }

    [Fact]
    public void Backward_matches_finite_differences()
    {
        var rng = new Rng(2);
        var x = rng.NormalArray<double>(0, 1, 3, 2, 2);
        var dout = rng.NormalArray<double>(0, 1, 3, 4);
        var dx = Flatten.Backward(dout, Flatten.Forward(x).Cache);
        var r = GradCheck.CheckOutput(() => Flatten.Forward(x).Out.Clone(), x, dout, dx);
        Assert.True(r.Passed(1e-9), r.ToString());
    }

    [Fact]
    public void Dout_of_the_wrong_shape_is_reported()
    {
        var (_, cache) = Flatten.Forward(NDArray.Zeros<float>(2, 3, 4));
        var ex = Assert.Throws<ArgumentException>(() => Flatten.Backward(NDArray.Zeros<float>(2, 11), cache));
        Assert.Equal("dout", ex.ParamName);
        Assert.Contains("[2, 11]", ex.Message);
        Assert.Contains("[2, 12]", ex.Message);
    }
}
