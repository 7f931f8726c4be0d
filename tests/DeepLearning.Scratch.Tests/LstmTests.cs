using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class LstmTests
{
    private static (LstmLayer<double> Lstm, NDArray<double> X, NDArray<double> H0, NDArray<double> C0, NDArray<double> DOut) Case(
        int steps = 5, int n = 3, int input = 4, int hidden = 6, double? forgetBias = null)
    {
        var rng = new Rng(7);
        var lstm = new LstmLayer<double>(input, hidden, rng, forgetBias);
        var x = rng.NormalArray<double>(0, 1, steps, n, input);
        var h0 = rng.NormalArray<double>(0, 1, n, hidden);
        var c0 = rng.NormalArray<double>(0, 1, n, hidden);
        var dout = rng.NormalArray<double>(0, 1, steps, n, hidden);
        return (lstm, x, h0, c0, dout);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1.0)]
    public void Backpropagation_through_time_passes_gradient_check(double? forgetBias)
    {
        var (lstm, x, h0, c0, dout) = Case(forgetBias: forgetBias);
        NDArray<double> F() => lstm.Forward(x, h0, c0).Out;
        var (_, cache) = lstm.Forward(x, h0, c0);
        var dx = lstm.Backward(dout, cache);
        var rx = GradCheck.CheckOutput(F, x, dout, dx);
        Assert.True(rx.Passed(), $"dx: {rx}");
        foreach (var p in lstm.Parameters)
        {
            var r = GradCheck.CheckOutput(F, p.Value, dout, p.Grad);
            Assert.True(r.Passed(), $"{p.Name}: {r}");
        }
    }

    [Fact]
    public void A_single_step_follows_the_gate_equations()
    {
        var (lstm, x, h0, c0, _) = Case(steps: 1, n: 2, input: 3, hidden: 4);
        var (h, cache) = lstm.Forward(x, h0, c0);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int r = 0; r < 2; r++)
            for (int j = 0; j < 4; j++)
            {
                double Z(int gate)
                {
                    int row = (gate * 4) + j;
                    double z = lstm.Bih.Value[row] + lstm.Bhh.Value[row];
                    for (int k = 0; k < 3; k++) z += x[0, r, k] * lstm.Wih.Value[row, k];
                    for (int k = 0; k < 4; k++) z += h0[r, k] * lstm.Whh.Value[row, k];
                    return z;
                }
                double c = (Sigmoid(Z(1)) * c0[r, j]) + (Sigmoid(Z(0)) * Math.Tanh(Z(2)));
                Assert.Equal(c, cache.C[0, r, j], 1e-14);
                Assert.Equal(Sigmoid(Z(3)) * Math.Tanh(c), h[0, r, j], 1e-14);
            }
    }

    [Fact]
    public void Cell_gradients_are_total_derivatives_through_later_steps()
    {
        // A loss on the last output only: ∂L/∂c_{T−2} by finite differences — c_{T−2} reaches the loss directly through
        // c_{T−1} and through h_{T−2} = o ⊙ tanh(c_{T−2}), so the last step is run from both, with o from the cache.
        var (lstm, x, h0, c0, _) = Case(steps: 4, n: 2, input: 4, hidden: 5);
        var dout = new NDArray<double>([4, 2, 5]);
        for (int i = 30; i < 40; i++) dout.Data[i] = 1;
        var (_, cache) = lstm.Forward(x, h0, c0);
        var dCell = new NDArray<double>([4, 2, 5]);
        lstm.Backward(dout, cache, dCell);
        var last = NDArray.From(x.Data[(3 * 8)..], 1, 2, 4);
        var cPrev = NDArray.From(cache.C.Data[20..30], 2, 5);
        double L()
        {
            var hPrev = new NDArray<double>([2, 5]);
            for (int r = 0; r < 2; r++)
                for (int j = 0; j < 5; j++) hPrev[r, j] = cache.Gates[2, r, 15 + j] * Math.Tanh(cPrev[r, j]);
            var s = 0.0;
            foreach (var v in lstm.Forward(last, hPrev, cPrev).Out.Data) s += v;
            return s;
        }
        var numeric = GradCheck.Numeric(L, cPrev);
        for (int i = 0; i < 10; i++) Assert.Equal(numeric.Data[i], dCell.Data[20 + i], 1e-9);
    }

    [Fact]
    public void Forget_bias_sets_the_total_forget_gate_bias_and_leaves_the_other_weights_alone()
    {
        var plain = new LstmLayer<double>(3, 5, new Rng(4));
        var biased = new LstmLayer<double>(3, 5, new Rng(4), forgetBias: 1.0);
        Assert.All(biased.ForgetGateBias(), b => Assert.Equal(1.0, b));
        Assert.Equal(plain.Wih.Value.Data, biased.Wih.Value.Data);
        Assert.Equal(plain.Whh.Value.Data, biased.Whh.Value.Data);
        for (int i = 0; i < 20; i++)
        {
            if (i is >= 5 and < 10) continue; // the forget block
            Assert.Equal(plain.Bih.Value.Data[i], biased.Bih.Value.Data[i]);
            Assert.Equal(plain.Bhh.Value.Data[i], biased.Bhh.Value.Data[i]);
        }
        double bound = 1 / Math.Sqrt(5);
        Assert.All(plain.Parameters.SelectMany(p => p.Value.Data), v => Assert.InRange(v, -bound, bound));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LstmLayer<double>(3, 5, new Rng(4), forgetBias: double.NaN));
        Assert.Equal("forgetBias", e.ParamName);
    }

    [Fact]
    public void Gradients_accumulate_over_calls()
    {
        var (lstm, x, h0, c0, dout) = Case();
        var (_, cache) = lstm.Forward(x, h0, c0);
        lstm.Backward(dout, cache);
        var once = (double[])lstm.Whh.Grad.Data.Clone();
        lstm.Backward(dout, cache);
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], lstm.Whh.Grad.Data[i], 1e-12);
        lstm.ZeroGrad();
        Assert.All(lstm.Parameters, p => Assert.All(p.Grad.Data, g => Assert.Equal(0, g)));
    }

    [Fact]
    public void Zero_states_are_the_default_and_the_cache_owns_copies()
    {
        var (lstm, x, _, _, _) = Case();
        var a = lstm.Forward(x).Out;
        var b = lstm.Forward(x, new NDArray<double>([3, 6]), new NDArray<double>([3, 6])).Out;
        Assert.Equal(a.Data, b.Data);
        Assert.Equal([5, 3, 6], a.Shape);
        var (_, cache) = lstm.Forward(x);
        double before = cache.X.Data[0];
        x.Data[0] += 1;
        Assert.Equal(before, cache.X.Data[0]);
    }

    [Fact]
    public void Bad_arguments_get_clear_errors_and_change_nothing()
    {
        var (lstm, x, h0, c0, dout) = Case();
        var e = Assert.Throws<ArgumentException>(() => lstm.Forward(new NDArray<double>([5, 3, 2])));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("[5, 3, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => lstm.Forward(x, new NDArray<double>([2, 6])));
        Assert.Equal("h0", e.ParamName);
        Assert.Contains("[3, 6]", e.Message);
        e = Assert.Throws<ArgumentException>(() => lstm.Forward(x, h0, new NDArray<double>([3, 5])));
        Assert.Equal("c0", e.ParamName);
        Assert.Contains("[3, 5]", e.Message);
        var (_, cache) = lstm.Forward(x, h0, c0);
        e = Assert.Throws<ArgumentException>(() => lstm.Backward(new NDArray<double>([5, 3, 5]), cache));
        Assert.Equal("dOut", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => lstm.Backward(dout, cache, new NDArray<double>([5, 3, 5])));
        Assert.Equal("dCell", e.ParamName);
        var other = new LstmLayer<double>(4, 6, new Rng(1));
        e = Assert.Throws<ArgumentException>(() => other.Backward(dout, cache));
        Assert.Equal("cache", e.ParamName);
        Assert.All(lstm.Parameters, p => Assert.All(p.Grad.Data, g => Assert.Equal(0, g)));
        Assert.All(other.Parameters, p => Assert.All(p.Grad.Data, g => Assert.Equal(0, g)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LstmLayer<double>(0, 6, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LstmLayer<double>(4, 0, new Rng(1)));
    }
}
