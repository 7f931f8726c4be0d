using DeepLearning.Scratch;
using TorchSharp;

namespace DeepLearning.Course.Tests;

public class BridgeTests
{
    [Fact]
    public void Round_trip_keeps_shape_and_values_and_copies()
    {
        var a = new Rng(1).NormalArray<float>(0, 1, 2, 3, 4);
        using var t = a.ToTensor();
        Assert.Equal([2L, 3, 4], t.shape);
        var back = t.ToNDArray();
        Assert.Equal(a.Shape, back.Shape);
        Assert.Equal(a.Data, back.Data);
        a[0] = 100;                          // the tensor must not alias the array
        Assert.NotEqual(100f, t[0, 0, 0].item<float>());
    }

    [Fact]
    public void Float64_and_labels_convert()
    {
        var a = NDArray.From(new double[] { 1.5, -2.25 }, 2);
        using var t = a.ToTensor(requiresGrad: true);
        Assert.Equal(torch.ScalarType.Float64, t.dtype);
        Assert.True(t.requires_grad);
        Assert.Equal(a.Data, t.ToNDArray64().Data);
        using var labels = Bridge.Labels([3, 0, 7]);
        Assert.Equal(torch.ScalarType.Int64, labels.dtype);
        Assert.Equal([3, 0, 7], labels.ToInts());
    }

    [Fact]
    public void MaxAbsDiff_reports_shape_mismatch_with_both_shapes()
    {
        using var t = torch.zeros(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => Bridge.MaxAbsDiff(NDArray.Zeros<float>(3, 2), t, "output"));
        Assert.Contains("[3, 2]", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Equal(0, Bridge.MaxAbsDiff(NDArray.Zeros<float>(2, 3), t, "output"));
    }
}
