using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class GemmTests
{
    public static TheoryData<string> Cases => Fixture.Names("gemm");

    [Theory, MemberData(nameof(Cases))]
    public void MatMul_matches_pytorch_float32(string name) => Run<float>(name);

    [Theory, MemberData(nameof(Cases))]
    public void MatMul_matches_pytorch_float64(string name) => Run<double>(name);

    private static void Run<T>(string name) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("gemm")[name];
        bool ta = c.Op.Contains("ta"), tb = c.Op.EndsWith("tb") || c.Op.EndsWith("tab");
        var result = Gemm.MatMul(c.Input<T>("a"), c.Input<T>("b"), transA: ta, transB: tb);
        Close.Assert(c.Output<T>("c"), result, name);
    }

    [Fact]
    public void Accumulate_adds_to_existing_output()
    {
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = [1, 1, 1, 1];
        Gemm.Multiply<float>(a, b, c, 2, 2, 2, accumulate: true);
        Assert.Equal([20f, 23f, 44f, 51f], c);
    }

    [Fact]
    public void Mismatched_inner_dimensions_name_both_shapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.MatMul(NDArray.Zeros<float>(2, 3), NDArray.Zeros<float>(4, 5)));
        Assert.Equal("b", ex.ParamName);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
    }
}
