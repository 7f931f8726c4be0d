using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class RnnTests
{
    private static (RnnLayer<double> Rnn, NDArray<double> X, NDArray<double> H0, NDArray<double> DOut) Case(int steps = 5, int n = 3, int input = 4, int hidden = 6)
    {
        var rng = new Rng(7);
        var rnn = new RnnLayer<double>(input, hidden, rng);
        var x = rng.NormalArray<double>(0, 1, steps, n, input);
        var h0 = rng.NormalArray<double>(0, 1, n, hidden);
        var dout = rng.NormalArray<double>(0, 1, steps, n, hidden);
        return (rnn, x, h0, dout);
    }

    [Fact]
    public void Backpropagation_through_time_passes_gradient_check()
    {
        var (rnn, x, h0, dout) = Case();
        NDArray<double> F() => rnn.Forward(x, h0).Out;
        var (_, cache) = rnn.Forward(x, h0);
        var dx = rnn.Backward(dout, cache);
        var rx = GradCheck.CheckOutput(F, x, dout, dx);
        Assert.True(rx.Passed(), $"dx: {rx}");
        foreach (var p in rnn.Parameters)
        {
            var r = GradCheck.CheckOutput(F, p.Value, dout, p.Grad);
            Assert.True(r.Passed(), $"{p.Name}: {r}");
        }
    }

    [Fact]
    public void Hidden_gradients_are_total_derivatives_through_later_steps()
    {
        // A loss on the last step only: ∂L/∂h_T is dOut[T−1]; earlier ∂L/∂h_t come only through the recurrence.
        var (rnn, x, h0, _) = Case(steps: 4, n: 2, input: 3, hidden: 5);
        var dout = new NDArray<double>([4, 2, 5]);
        for (int i = 3 * 10; i < 40; i++) dout.Data[i] = 1;
        var (_, cache) = rnn.Forward(x, h0);
        var dHidden = new NDArray<double>([4, 2, 5]);
        rnn.Backward(dout, cache, dHidden);
        Assert.Equal(dout.Data[30..], dHidden.Data[30..]);
        // ∂L/∂h_{T−2} by finite differences: perturb h_{T−2} by running the last step from it.
        var last = NDArray.From(x.Data[(3 * 6)..], 1, 2, 3);
        var hPrev = NDArray.From(cache.H.Data[20..30], 2, 5);
        double L() { var s = 0.0; foreach (var v in rnn.Forward(last, hPrev).Out.Data) s += v; return s; }
        var numeric = GradCheck.Numeric(L, hPrev);
        for (int i = 0; i < 10; i++) Assert.Equal(numeric.Data[i], dHidden.Data[20 + i], 1e-9);
    }

    [Fact]
    public void Gradients_accumulate_over_calls()
    {
        var (rnn, x, h0, dout) = Case();
        var (_, cache) = rnn.Forward(x, h0);
        rnn.Backward(dout, cache);
        var once = (double[])rnn.Whh.Grad.Data.Clone();
        rnn.Backward(dout, cache);
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], rnn.Whh.Grad.Data[i], 1e-12);
        rnn.ZeroGrad();
        Assert.All(rnn.Parameters, p => Assert.All(p.Grad.Data, g => Assert.Equal(0, g)));
    }

    [Fact]
    public void Zero_h0_is_the_default()
    {
        var (rnn, x, _, _) = Case();
        var a = rnn.Forward(x).Out;
        var b = rnn.Forward(x, new NDArray<double>([3, 6])).Out;
        Assert.Equal(a.Data, b.Data);
        Assert.Equal([5, 3, 6], a.Shape);
    }

    [Fact]
    public void Bad_shapes_get_clear_errors_and_change_nothing()
    {
        var (rnn, x, h0, dout) = Case();
        var e = Assert.Throws<ArgumentException>(() => rnn.Forward(new NDArray<double>([5, 3, 2])));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("[5, 3, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => rnn.Forward(x, new NDArray<double>([2, 6])));
        Assert.Equal("h0", e.ParamName);
        Assert.Contains("[3, 6]", e.Message);
        var (_, cache) = rnn.Forward(x, h0);
        e = Assert.Throws<ArgumentException>(() => rnn.Backward(new NDArray<double>([5, 3, 5]), cache));
        Assert.Equal("dOut", e.ParamName);
        var other = new RnnLayer<double>(4, 6, new Rng(1));
        e = Assert.Throws<ArgumentException>(() => other.Backward(dout, cache));
        Assert.Equal("cache", e.ParamName);
        Assert.All(rnn.Parameters, p => Assert.All(p.Grad.Data, g => Assert.Equal(0, g)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RnnLayer<double>(0, 6, new Rng(1)));
    }
}
