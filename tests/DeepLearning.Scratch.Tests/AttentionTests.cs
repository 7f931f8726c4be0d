using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class AttentionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Backward_passes_gradient_check(bool causal)
    {
        var rng = new Rng(3);
        var q = rng.NormalArray<double>(0, 1, 2, 4, 3);
        var k = rng.NormalArray<double>(0, 1, 2, 5, 3);
        var v = rng.NormalArray<double>(0, 1, 2, 5, 2);
        var dout = rng.NormalArray<double>(0, 1, 2, 4, 2);
        NDArray<double> F() => Attention.Forward(q, k, v, causal).Out;
        var g = Attention.Backward(dout, Attention.Forward(q, k, v, causal).Cache);
        foreach (var (name, x, analytic) in new[] { ("q", q, g.Dq), ("k", k, g.Dk), ("v", v, g.Dv) })
        {
            var r = GradCheck.CheckOutput(F, x, dout, analytic);
            Assert.True(r.Passed(), $"{name}: {r}");
        }
    }

    [Fact]
    public void Causal_weights_are_lower_triangular_rows_summing_to_one()
    {
        var rng = new Rng(4);
        var x = rng.NormalArray<double>(0, 1, 1, 4, 3);
        var (_, cache) = Attention.Forward(x, x, x, causal: true);
        var p = cache.Weights;
        for (int i = 0; i < 4; i++)
        {
            double sum = 0;
            for (int j = 0; j < 4; j++)
            {
                if (j > i) Assert.Equal(0, p[0, i, j]);
                sum += p[0, i, j];
            }
            Assert.Equal(1, sum, 1e-12);
        }
        Assert.Equal(1, p[0, 0, 0]); // the first position can only attend to itself
    }

    [Fact]
    public void Mismatched_shapes_get_clear_errors()
    {
        var q = new NDArray<double>([2, 4, 3]);
        var e = Assert.Throws<ArgumentException>(() => Attention.Forward(q, new NDArray<double>([2, 5, 2]), new NDArray<double>([2, 5, 2])));
        Assert.Equal("k", e.ParamName);
        Assert.Contains("[2, 5, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Attention.Forward(q, new NDArray<double>([2, 5, 3]), new NDArray<double>([2, 4, 2])));
        Assert.Equal("v", e.ParamName);
    }
}
