using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class NDArrayTests
{
    [Fact]
    public void Reshape_shares_data_and_infers_minus_one()
    {
        var a = NDArray.From(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = a.Reshape(3, -1);
        Assert.Equal([3, 2], b.Shape);
        b[2, 1] = 60;
        Assert.Equal(60, a[1, 2]);
    }

    [Fact]
    public void Bad_shapes_are_reported_with_the_shape()
    {
        var ex = Assert.Throws<ArgumentException>(() => NDArray.From(new float[5], 2, 3));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Throws<ArgumentException>(() => NDArray.Zeros<float>(6).Reshape(4, -1));
    }

    [Fact]
    public void Indexers_are_row_major()
    {
        var a = NDArray.Zeros<double>(2, 3, 4, 5);
        a[1, 2, 3, 4] = 7;
        Assert.Equal(7, a.Data[a.Length - 1]);
        Assert.Equal(-1 + 5, a.Dim(-1) - 1);
    }
}

public class RngTests
{
    [Fact]
    public void Same_seed_same_stream_and_different_seed_differs()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        var c = new Rng(43);
        double[] xa = [.. Enumerable.Range(0, 5).Select(_ => a.NextDouble())];
        double[] xb = [.. Enumerable.Range(0, 5).Select(_ => b.NextDouble())];
        double[] xc = [.. Enumerable.Range(0, 5).Select(_ => c.NextDouble())];
        Assert.Equal(xa, xb);
        Assert.NotEqual(xa, xc);
    }

    [Fact]
    public void Normal_has_the_requested_moments()
    {
        var rng = new Rng(7);
        double[] x = [.. Enumerable.Range(0, 200_000).Select(_ => rng.Normal(2, 3))];
        double mean = x.Average();
        double std = Math.Sqrt(x.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, 1.97, 2.03);
        Assert.InRange(std, 2.97, 3.03);
    }

    [Fact]
    public void Permutation_is_a_permutation()
    {
        int[] p = new Rng(1).Permutation(100);
        Assert.Equal(Enumerable.Range(0, 100), p.Order());
        Assert.NotEqual(Enumerable.Range(0, 100), p);
    }
}

public class GradCheckTests
{
    [Fact]
    public void Correct_gradient_scores_below_1e9()
    {
        // f(x) = Σ sin(x_i)·x_i², ∂f/∂x_i = cos(x_i)·x_i² + 2·x_i·sin(x_i)
        var x = new Rng(3).NormalArray<double>(0, 1, 4, 5);
        double F() => x.Data.Sum(v => Math.Sin(v) * v * v);
        var analytic = x.ZerosLike();
        for (int i = 0; i < x.Length; i++)
        {
            double v = x.Data[i];
            analytic.Data[i] = (Math.Cos(v) * v * v) + (2 * v * Math.Sin(v));
        }
        var result = GradCheck.Check(F, x, analytic);
        Assert.True(result.Passed(1e-9), result.ToString());
        Assert.Equal(20, result.Checked);
    }

    [Fact]
    public void Wrong_gradient_is_caught()
    {
        var x = new Rng(3).NormalArray<double>(0, 1, 10);
        double F() => x.Data.Sum(v => v * v * v);
        var wrong = x.ZerosLike();
        for (int i = 0; i < x.Length; i++) wrong.Data[i] = 3 * x.Data[i] * x.Data[i] * 1.01; // 1 % off
        var result = GradCheck.Check(F, x, wrong);
        Assert.False(result.Passed(1e-9));
        Assert.InRange(result.RelativeError, 1e-3, 1e-2);
    }

    [Fact]
    public void Sparse_sampling_checks_only_the_requested_count_and_restores_x()
    {
        var x = new Rng(5).NormalArray<double>(0, 1, 50);
        var before = x.Clone();
        var dout = new Rng(6).NormalArray<double>(0, 1, 50);
        var analytic = x.ZerosLike();
        for (int i = 0; i < x.Length; i++) analytic.Data[i] = dout.Data[i] * Math.Exp(x.Data[i]);
        NDArray<double> Exp()
        {
            var y = x.ZerosLike();
            for (int i = 0; i < x.Length; i++) y.Data[i] = Math.Exp(x.Data[i]);
            return y;
        }
        var result = GradCheck.CheckOutput(Exp, x, dout, analytic, samples: 7, rng: new Rng(1));
        Assert.Equal(7, result.Checked);
        Assert.True(result.Passed(), result.ToString());
        Assert.Equal(before.Data, x.Data);
    }
}

public class NDArrayFormattingTests
{
    [Fact]
    public void Notebooks_see_a_compact_table_with_the_shape()
    {
        var a = NDArray.From(new float[] { 1.5f, -2, 3, 4, 5, 6 }, 2, 3);
        var attribute = typeof(NDArray<float>).GetCustomAttributes(false).Single(x => x.GetType().Name == "TypeFormatterSourceAttribute");
        var source = Activator.CreateInstance(((TypeFormatterSourceAttribute)attribute).FormatterSourceType)!;
        var formatter = ((System.Collections.IEnumerable)source.GetType().GetMethod("CreateTypeFormatters")!.Invoke(source, null)!).Cast<object>().Single();
        var writer = new StringWriter();
        Assert.True((bool)formatter.GetType().GetMethod("Format")!.Invoke(formatter, [a, writer])!);
        string html = writer.ToString();
        Assert.Contains("[2, 3]", html);
        Assert.Contains(">1.5<", html);
        Assert.Equal(6, html.Split("<td").Length - 1);
        Assert.False((bool)formatter.GetType().GetMethod("Format")!.Invoke(formatter, ["text", new StringWriter()])!);
        string big = NDArrayHtmlFormatter.Html([20, 30], new double[600], "Single");
        Assert.Contains("…", big);
        Assert.Contains("⋮", big);
    }
}
