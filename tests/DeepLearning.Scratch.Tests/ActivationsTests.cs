using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class ActivationsTests
{
    private const string Topic = "activations";

    public static TheoryData<string> Cases
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var c in Fixture.Load(Topic).Cases)
                if (c.Op != "erf") data.Add(c.Name);
            return data;
        }
    }

    public static TheoryData<string> Ops =>
        ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "silu", "softplus", "softmax", "log_softmax", "prelu"];

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch(string name)
    {
        var c = Fixture.Load(Topic)[name];
        Compare<float>(c);
        Compare<double>(c);
    }

    private static void Compare<T>(FixtureCase c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string what = $"{c.Name} ({typeof(T).Name})";
        var x = c.Input<T>("x");
        var dout = c.Input<T>("dout");
        if (c.Op == "prelu")
        {
            var (y, cache) = Activations.PRelu.Forward(x, c.Input<T>("a"));
            Close.Assert(c.Output<T>("out"), y, what + " out");
            var grads = Activations.PRelu.Backward(dout, cache);
            Close.Assert(c.Grad<T>("x"), grads.Dx, what + " dx");
            Close.Assert(c.Grad<T>("a"), grads.Da, what + " da");
            return;
        }
        var (out_, backward) = Run(c, x);
        Close.Assert(c.Output<T>("out"), out_, what + " out");
        Close.Assert(c.Grad<T>("x"), backward(dout), what + " dx");
    }

    [Theory, MemberData(nameof(Ops))]
    public void Backward_passes_gradcheck(string op)
    {
        var cases = Fixture.Load(Topic).Cases.Where(c => c.Op == op && !c.Name.EndsWith("/edge") && !c.Name.EndsWith("/huge")).ToList();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var x = c.Input<double>("x");
            var dout = c.Input<double>("dout");
            if (op == "prelu")
            {
                var a = c.Input<double>("a");
                var grads = Activations.PRelu.Backward(dout, Activations.PRelu.Forward(x, a).Cache);
                AssertPassed(GradCheck.CheckOutput(() => Activations.PRelu.Forward(x, a).Out, x, dout, grads.Dx), c.Name + " dx");
                AssertPassed(GradCheck.CheckOutput(() => Activations.PRelu.Forward(x, a).Out, a, dout, grads.Da), c.Name + " da");
                continue;
            }
            var analytic = Run(c, x).Backward(dout);
            AssertPassed(GradCheck.CheckOutput(() => Run(c, x).Out, x, dout, analytic), c.Name);
        }
    }

    private static void AssertPassed(GradCheckResult r, string what) => Assert.True(r.Passed(1e-9), $"{what}: {r}");

    // Dispatches a fixture case to the matching activation: its output and a backward closure over the cache.
    private static (NDArray<T> Out, Func<NDArray<T>, NDArray<T>> Backward) Run<T>(FixtureCase c, NDArray<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> => Run(c.Op, x, c);

    // With no case, every parameter takes its default.
    private static (NDArray<T> Out, Func<NDArray<T>, NDArray<T>> Backward) Run<T>(string op, NDArray<T> x, FixtureCase? c = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double P(string key, double fallback) => c?.RawParam(key)?.GetDouble() ?? fallback;
        switch (op)
        {
            case "sigmoid": { var (y, k) = Activations.Sigmoid.Forward(x); return (y, d => Activations.Sigmoid.Backward(d, k)); }
            case "tanh": { var (y, k) = Activations.Tanh.Forward(x); return (y, d => Activations.Tanh.Backward(d, k)); }
            case "relu": { var (y, k) = Activations.Relu.Forward(x); return (y, d => Activations.Relu.Backward(d, k)); }
            case "leaky_relu": { var (y, k) = Activations.LeakyRelu.Forward(x, P("negative_slope", 0.01)); return (y, d => Activations.LeakyRelu.Backward(d, k)); }
            case "elu": { var (y, k) = Activations.Elu.Forward(x, P("alpha", 1)); return (y, d => Activations.Elu.Backward(d, k)); }
            case "selu": { var (y, k) = Activations.Selu.Forward(x); return (y, d => Activations.Selu.Backward(d, k)); }
            case "gelu": { var (y, k) = Activations.Gelu.Forward(x); return (y, d => Activations.Gelu.Backward(d, k)); }
            case "gelu_tanh": { var (y, k) = Activations.Gelu.Forward(x, GeluApproximation.Tanh); return (y, d => Activations.Gelu.Backward(d, k)); }
            case "silu": { var (y, k) = Activations.Silu.Forward(x); return (y, d => Activations.Silu.Backward(d, k)); }
            case "softplus": { var (y, k) = Activations.Softplus.Forward(x, P("beta", 1), P("threshold", 20)); return (y, d => Activations.Softplus.Backward(d, k)); }
            case "softmax": { var (y, k) = Activations.Softmax.Forward(x); return (y, d => Activations.Softmax.Backward(d, k)); }
            case "log_softmax": { var (y, k) = Activations.LogSoftmax.Forward(x); return (y, d => Activations.LogSoftmax.Backward(d, k)); }
            default: throw new InvalidOperationException($"No activation for op '{op}'.");
        }
    }

    // ─── erf ────────────────────────────────────────────────────────────────────────────────────────────────────────

    [Fact]
    public void Erf_and_erfc_match_torch_to_double_precision()
    {
        var c = Fixture.Load(Topic)["erf/grid"];
        var x = c.Input<double>("x");
        var erf = c.Output<double>("erf");
        var erfc = c.Output<double>("erfc");
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i];
            Close.Scalar(erf[i], Activations.Erf(xi), $"erf({xi:R})", rtol: 1e-15, atol: 1e-300);
            Close.Scalar(erfc[i], Activations.Erfc(xi), $"erfc({xi:R})", rtol: 2e-15, atol: 1e-300);
        }
    }

    [Fact]
    public void Erf_handles_infinities_nan_and_symmetry()
    {
        Assert.Equal(1.0, Activations.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, Activations.Erf(double.NegativeInfinity));
        Assert.Equal(0.0, Activations.Erfc(double.PositiveInfinity));
        Assert.Equal(2.0, Activations.Erfc(double.NegativeInfinity));
        Assert.True(double.IsNaN(Activations.Erf(double.NaN)));
        Assert.Equal(-Activations.Erf(0.7), Activations.Erf(-0.7));
    }

    // ─── Stability and the charting helpers ─────────────────────────────────────────────────────────────────────────

    [Fact]
    public void Stable_forms_have_no_nan_or_inf_at_plus_minus_1000()
    {
        var xf = NDArray.From(new[] { -1000f, -90f, 0.25f, 90f, 1000f });
        AssertFiniteEverywhere(xf);
        AssertFiniteEverywhere(xf.Cast<double>());

        Assert.Equal([0f, 0f, 1f, 1f], Activations.Sigmoid.Forward(NDArray.From(new[] { -1000f, -200f, 200f, 1000f })).Out.Data);
        Assert.Equal(1000.0, Activations.Softplus.Apply(1000.0));
        Assert.Equal(0.0, Activations.Softplus.Apply(-1000.0));
    }

    private static void AssertFiniteEverywhere<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ones = NDArray.Full(T.One, x.Shape);
        foreach (string op in Ops)
        {
            if (op == "prelu") continue;
            var (y, backward) = Run(op, x);
            var dx = backward(ones);
            Assert.True(y.Data.All(T.IsFinite), $"{op} forward ({typeof(T).Name}) gives {y}");
            Assert.True(dx.Data.All(T.IsFinite), $"{op} backward ({typeof(T).Name}) gives {dx}");
        }
    }

    [Fact]
    public void Softmax_of_huge_logits_sums_to_one_and_log_softmax_stays_finite()
    {
        var x = NDArray.From(new[] { 3e4f, 3e4f - 1, -3e4f, 0f }, 1, 4);
        var p = Activations.Softmax.Forward(x).Out;
        Assert.Equal(1f, p.Data.Sum(), 6);
        Assert.Equal(1 / (1 + MathF.Exp(-1)), p[0], 6);
        var logp = Activations.LogSoftmax.Forward(x).Out;
        Assert.Equal(-6e4f, logp[2], 0);
        Assert.True(logp.Data.All(float.IsFinite));
    }

    [Fact]
    public void Hand_computed_values()
    {
        Assert.Equal([0.0, 2.0], Activations.Relu.Forward(NDArray.From(new[] { -1.0, 2.0 })).Out.Data);
        Assert.Equal(-0.02, Activations.LeakyRelu.Apply(-2.0), 15);
        Assert.Equal(0.5, Activations.Sigmoid.Apply(0.0));
        Assert.Equal(0.25, Activations.Sigmoid.Derivative(0.0));
        var p = Activations.Softmax.Forward(NDArray.From(new[] { 0.0, Math.Log(3) }, 1, 2)).Out;
        Assert.Equal(0.25, p[0], 15);
        Assert.Equal(0.75, p[1], 15);
        Assert.Equal(Math.Log(2), Activations.Softplus.Apply(0.0), 15);
        Assert.Equal(0.5, Activations.Gelu.Derivative(0.0));
        Assert.Equal(Activations.Selu.Scale * Activations.Selu.Alpha * (Math.Exp(-1) - 1), Activations.Selu.Apply(-1.0), 15);
    }

    [Fact]
    public void Apply_and_Derivative_helpers_agree_with_forward_and_backward()
    {
        var x = new Rng(11).NormalArray<double>(0, 3, 64);
        var ones = NDArray.Full(1.0, 64);
        (string Op, Func<double, double> F, Func<double, double> D)[] helpers =
        [
            ("sigmoid", v => Activations.Sigmoid.Apply(v), v => Activations.Sigmoid.Derivative(v)),
            ("tanh", v => Activations.Tanh.Apply(v), v => Activations.Tanh.Derivative(v)),
            ("relu", v => Activations.Relu.Apply(v), v => Activations.Relu.Derivative(v)),
            ("leaky_relu", v => Activations.LeakyRelu.Apply(v), v => Activations.LeakyRelu.Derivative(v)),
            ("elu", v => Activations.Elu.Apply(v), v => Activations.Elu.Derivative(v)),
            ("selu", v => Activations.Selu.Apply(v), v => Activations.Selu.Derivative(v)),
            ("gelu", v => Activations.Gelu.Apply(v), v => Activations.Gelu.Derivative(v)),
            ("gelu_tanh", v => Activations.Gelu.Apply(v, GeluApproximation.Tanh), v => Activations.Gelu.Derivative(v, GeluApproximation.Tanh)),
            ("silu", v => Activations.Silu.Apply(v), v => Activations.Silu.Derivative(v)),
            ("softplus", v => Activations.Softplus.Apply(v), v => Activations.Softplus.Derivative(v)),
        ];
        foreach (var (op, f, d) in helpers)
        {
            var (y, backward) = Run(op, x);
            var dx = backward(ones);
            for (int i = 0; i < x.Length; i++)
            {
                Close.Scalar(y[i], f(x[i]), $"{op}.Apply({x[i]})", 1e-15, 1e-300);
                Close.Scalar(dx[i], d(x[i]), $"{op}.Derivative({x[i]})", 1e-14, 1e-300);
            }
        }
        Assert.Equal(0.3, Activations.PRelu.Derivative(-1.0, 0.3));
    }

    [Fact]
    public void PRelu_layer_owns_a_slope_starting_at_a_quarter_and_accumulates_its_gradient()
    {
        var layer = new PReluLayer<float>(3);
        var a = layer.Weight;
        Assert.Equal("prelu.weight", a.Name);
        Assert.Equal([0.25f, 0.25f, 0.25f], a.Value.Data);
        var x = NDArray.From(new[] { -4f, 4f, -8f, 8f, -1f, 1f }, 1, 3, 2);
        var (y, cache) = layer.Forward(x);
        Assert.Equal([-1f, 4f, -2f, 8f, -0.25f, 1f], y.Data);
        var dout = NDArray.Full(1f, 1, 3, 2);
        var dx = layer.Backward(dout, cache);
        Assert.Equal([0.25f, 1f, 0.25f, 1f, 0.25f, 1f], dx.Data);
        Assert.Equal([-4f, -8f, -1f], a.Grad.Data);                 // Σ dout·x over the non-positive inputs
        layer.Backward(dout, cache);
        Assert.Equal([-8f, -16f, -2f], a.Grad.Data);                // accumulated, as autograd does
        layer.ZeroGrad();
        Assert.All(a.Grad.Data, v => Assert.Equal(0f, v));
        // The functional form's cache is not this layer's: its slope is another array.
        var (_, foreign) = Activations.PRelu.Forward(x, a.Value.Clone());
        Assert.Equal("cache", Assert.Throws<ArgumentException>(() => layer.Backward(dout, foreign)).ParamName);
    }

    // ─── Bad input ──────────────────────────────────────────────────────────────────────────────────────────────────

    [Fact]
    public void Backward_with_a_dout_of_the_wrong_shape_names_both_shapes()
    {
        var (_, cache) = Activations.Tanh.Forward(NDArray.Zeros<float>(2, 3));
        var ex = Assert.Throws<ArgumentException>(() => Activations.Tanh.Backward(NDArray.Zeros<float>(3, 2), cache));
        Assert.Equal("dout", ex.ParamName);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[3, 2]", ex.Message);

        var (_, sm) = Activations.Softmax.Forward(NDArray.Zeros<float>(2, 3));
        Assert.Equal("dout", Assert.Throws<ArgumentException>(() => Activations.Softmax.Backward(NDArray.Zeros<float>(6), sm)).ParamName);
    }

    [Fact]
    public void PRelu_rejects_a_slope_count_that_is_neither_one_nor_the_channels()
    {
        var x = NDArray.Zeros<double>(2, 3, 4, 4);
        var ex = Assert.Throws<ArgumentException>(() => Activations.PRelu.Forward(x, NDArray.Zeros<double>(4)));
        Assert.Equal("a", ex.ParamName);
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[2, 3, 4, 4]", ex.Message);
        var rank = Assert.Throws<ArgumentException>(() => Activations.PRelu.Forward(x, NDArray.Zeros<double>(1, 3)));
        Assert.Equal("a", rank.ParamName);
        Assert.Contains("[1, 3]", rank.Message);
        // A 1-D input has no channel dimension, so only a single shared slope fits (as in PyTorch).
        Assert.Throws<ArgumentException>(() => Activations.PRelu.Forward(NDArray.Zeros<double>(3), NDArray.Zeros<double>(3)));
    }

    [Fact]
    public void Bad_parameters_are_rejected_with_their_value()
    {
        var x = NDArray.Zeros<float>(2, 2);
        var beta = Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Softplus.Forward(x, beta: 0));
        Assert.Equal("beta", beta.ParamName);
        Assert.Contains("got 0", beta.Message);
        var slope = Assert.Throws<ArgumentOutOfRangeException>(() => Activations.LeakyRelu.Forward(x, double.NaN));
        Assert.Equal("negativeSlope", slope.ParamName);
        Assert.Contains("NaN", slope.Message);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Elu.Forward(x, double.PositiveInfinity)).ParamName);
        var mode = Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Gelu.Forward(x, (GeluApproximation)7));
        Assert.Equal("approximate", mode.ParamName);
        Assert.Contains("7", mode.Message);
        Assert.Equal("numParameters", Assert.Throws<ArgumentOutOfRangeException>(() => new PReluLayer<float>(0)).ParamName);
    }

    [Fact]
    public void Softmax_needs_a_non_empty_last_dimension()
    {
        var ex = Assert.Throws<ArgumentException>(() => Activations.Softmax.Forward(NDArray.Zeros<float>(4, 0)));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[4, 0]", ex.Message);
        Assert.Throws<ArgumentException>(() => Activations.LogSoftmax.Forward(NDArray.Scalar(1.0)));
        Assert.Throws<ArgumentNullException>(() => Activations.Relu.Forward<float>(null!));
    }
}
