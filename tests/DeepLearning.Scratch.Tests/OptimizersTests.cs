using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class OptimizersTests
{
    public static TheoryData<string> Trajectories => Fixture.Names("optimizers", "sgd", "rmsprop", "adam", "adamw");

    public static TheoryData<string> ClipNormCases => Fixture.Names("optimizers", "clip_grad_norm");

    public static TheoryData<string> ClipValueCases => Fixture.Names("optimizers", "clip_grad_value");

    /// <summary>
    /// float32 replays 25 steps of a float64 torch run. Every step's gradient and update round at ~6e-8
    /// relative, and that rounding is carried into all later steps (momentum and the steep quartic term
    /// amplify it a little), so the error grows with the step count instead of staying at one op's ~1e-7:
    /// measured, the worst drift over all cases is ≈ 4e-7 absolute on parameters of size ≤ ~2.6. The bound is
    /// twice the single-op contract, rtol 2e-5 and atol 2e-6 × max|value| (≥ 5× the observed drift), while a
    /// wrong formula (dampening applied to b₁, a misplaced bias correction) fails it in both precisions.
    /// </summary>
    private static readonly (double Rtol, double Atol) Float32Trajectory = (2e-5, 2e-6);

    [Theory, MemberData(nameof(Trajectories))]
    public void Trajectory_matches_pytorch_float32(string name) => Replay<float>(name, Float32Trajectory);

    [Theory, MemberData(nameof(Trajectories))]
    public void Trajectory_matches_pytorch_float64(string name) => Replay<double>(name, Close.Float64);

    private static void Replay<T>(string name, (double Rtol, double Atol) tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("optimizers")[name];
        var problem = new Problem<T>(c.Input<T>("x"), c.Input<T>("y"), c.Param("c"));
        var w = new Parameter<T>("w", c.Input<T>("w0"));
        var b = new Parameter<T>("b", c.Input<T>("b0"));
        Parameter<T>[] ps = [w, b];
        var opt = Make(c, ps);
        var sched = MakeScheduler(c, opt);
        var ws = c.OutputList<T>("w");
        var bs = c.OutputList<T>("b");
        double[] losses = c.OutputScalars("loss"), lrs = c.OutputScalars("lr");
        for (int step = 0; step < ws.Count; step++)
        {
            opt.ZeroGrad();
            double loss = problem.LossAndGrad(w, b);
            Close.Scalar(lrs[step], opt.Lr, $"{name} lr before step {step + 1}", 1e-12);
            Close.Scalar(losses[step], loss, $"{name} loss before step {step + 1}", tolerance.Rtol, tolerance.Atol);
            opt.Step();
            sched?.Step();
            Close.Assert(ws[step], w.Value, $"{name} W after step {step + 1}", tolerance);
            Close.Assert(bs[step], b.Value, $"{name} b after step {step + 1}", tolerance);
        }
    }

    private static Optimizer<T> Make<T>(FixtureCase c, Parameter<T>[] ps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double Get(string key, double fallback) => c.RawParam(key)?.GetDouble() ?? fallback;
        bool Flag(string key) => c.RawParam(key)?.GetBoolean() ?? false;
        if (c.Name.EndsWith("/default", StringComparison.Ordinal))
        {
            // No hyperparameters in the case: ours must default to torch's.
            return c.Op switch
            {
                "rmsprop" => new RmsProp<T>(ps),
                "adam" => new Adam<T>(ps),
                "adamw" => new AdamW<T>(ps),
                _ => throw new InvalidOperationException(c.Name),
            };
        }
        return c.Op switch
        {
            "sgd" => new Sgd<T>(ps, Get("lr", double.NaN), Get("momentum", 0), Get("dampening", 0), Flag("nesterov"), Get("weight_decay", 0)),
            "rmsprop" => new RmsProp<T>(ps, Get("lr", 0.01), Get("alpha", 0.99), Get("eps", 1e-8), Get("weight_decay", 0),
                Get("momentum", 0), Flag("centered")),
            "adam" => new Adam<T>(ps, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8),
                Get("weight_decay", 0), Flag("amsgrad")),
            "adamw" => new AdamW<T>(ps, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8),
                Get("weight_decay", 1e-2), Flag("amsgrad")),
            _ => throw new InvalidOperationException(c.Name),
        };
    }

    private static LrScheduler? MakeScheduler(FixtureCase c, IOptimizer opt) => c.RawParam("schedule")?.GetString() switch
    {
        null => null,
        "step" => new LrScheduler(opt, new StepLR((int)c.Param("step_size"), c.Param("gamma"))),
        "warmup_cosine" => new LrScheduler(opt, new WarmupCosine((int)c.Param("warmup"), (int)c.Param("t_max"), c.Param("start_factor"))),
        var s => throw new InvalidOperationException(s),
    };

    /// <summary>
    /// The fixture's problem, written by hand: r = X·W + b − Y, loss = Σr²/(2N) + (c/4)·ΣW⁴,
    /// dW = Xᵀr/N + c·W³, db = Σ_rows r / N.
    /// </summary>
    private sealed class Problem<T>(NDArray<T> x, NDArray<T> y, double c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Returns the loss and writes ∂loss/∂W, ∂loss/∂b into the parameters' gradients.</summary>
        public double LossAndGrad(Parameter<T> w, Parameter<T> b)
        {
            int n = x.Dim(0), k = x.Dim(1), m = y.Dim(1);
            T invN = T.One / T.CreateChecked(n), cq = T.CreateChecked(c);
            var r = Gemm.MatMul(x, w.Value);
            double loss = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < m; j++)
                {
                    r[i, j] += b.Value[j] - y[i, j];
                    loss += double.CreateChecked(r[i, j] * r[i, j]) / (2 * n);
                    b.Grad[j] += r[i, j] * invN;
                }
            var dw = Gemm.MatMul(x, r, transA: true);
            for (int i = 0; i < k * m; i++)
            {
                T wi = w.Value[i];
                w.Grad[i] += (dw[i] * invN) + (cq * wi * wi * wi);
                loss += c / 4 * Math.Pow(double.CreateChecked(wi), 4);
            }
            return loss;
        }
    }

    [Fact]
    public void Hand_written_gradient_of_the_test_problem_passes_gradcheck()
    {
        var c = Fixture.Load("optimizers")["sgd/plain"];
        var problem = new Problem<double>(c.Input<double>("x"), c.Input<double>("y"), c.Param("c"));
        var w = new Parameter<double>("w", c.Input<double>("w0"));
        var b = new Parameter<double>("b", c.Input<double>("b0"));
        problem.LossAndGrad(w, b);
        var scratchW = new Parameter<double>("w", w.Value);
        var scratchB = new Parameter<double>("b", b.Value);
        double F() => problem.LossAndGrad(scratchW, scratchB);
        var rw = GradCheck.Check(F, w.Value, w.Grad);
        var rb = GradCheck.Check(F, b.Value, b.Grad);
        Assert.True(rw.Passed(), "dW: " + rw);
        Assert.True(rb.Passed(), "db: " + rb);
    }

    [Theory, MemberData(nameof(ClipNormCases))]
    public void ClipGradNorm_matches_pytorch_float32(string name) => ClipNorm<float>(name);

    [Theory, MemberData(nameof(ClipNormCases))]
    public void ClipGradNorm_matches_pytorch_float64(string name) => ClipNorm<double>(name);

    private static void ClipNorm<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("optimizers")[name];
        var ps = GradParameters<T>(c);
        string p = c.Text("norm_type");
        double normType = p == "inf" ? double.PositiveInfinity : double.Parse(p, System.Globalization.CultureInfo.InvariantCulture);
        T total = GradientClipping.ClipGradNorm(ps, c.Param("max_norm"), normType);
        var (rtol, atol) = Close.For<T>();
        Close.Scalar(c.Output<double>("total_norm")[0], double.CreateChecked(total), $"{name} total norm", rtol, atol);
        var expected = c.OutputList<T>("grads");
        for (int i = 0; i < ps.Length; i++) Close.Assert(expected[i], ps[i].Grad, $"{name} grad {i}");
    }

    [Theory, MemberData(nameof(ClipValueCases))]
    public void ClipGradValue_matches_pytorch_float32(string name) => ClipValue<float>(name);

    [Theory, MemberData(nameof(ClipValueCases))]
    public void ClipGradValue_matches_pytorch_float64(string name) => ClipValue<double>(name);

    private static void ClipValue<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("optimizers")[name];
        var ps = GradParameters<T>(c);
        GradientClipping.ClipGradValue(ps, c.Param("clip_value"));
        var expected = c.OutputList<T>("grads");
        for (int i = 0; i < ps.Length; i++) Close.Assert(expected[i], ps[i].Grad, $"{name} grad {i}");
    }

    private static Parameter<T>[] GradParameters<T>(FixtureCase c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ps = new List<Parameter<T>>();
        for (int i = 0; c.Has("inputs", $"g{i}"); i++)
        {
            var g = c.Input<T>($"g{i}");
            var p = new Parameter<T>($"p{i}", g.ZerosLike());
            g.Data.CopyTo(p.Grad.Data, 0);
            ps.Add(p);
        }
        return [.. ps];
    }

    [Fact]
    public void ClipGradNorm_leaves_gradients_alone_below_max_norm_and_clips_to_max_norm_above()
    {
        var p = new Parameter<double>("p", NDArray.Zeros<double>(2));
        p.Grad[0] = 3;
        p.Grad[1] = 4; // ‖g‖ = 5
        Assert.Equal(5, GradientClipping.ClipGradNorm([p], maxNorm: 10));
        Assert.Equal([3.0, 4.0], p.Grad.Data);
        Assert.Equal(5, GradientClipping.ClipGradNorm([p], maxNorm: 1));
        double norm = Math.Sqrt((p.Grad[0] * p.Grad[0]) + (p.Grad[1] * p.Grad[1]));
        Assert.InRange(norm, 1 - 1e-6, 1); // 1 / (5 + 1e-6) · 5
    }

    [Fact]
    public void Sgd_step_is_theta_minus_lr_times_grad()
    {
        var p = new Parameter<double>("p", NDArray.From([1.0, -2.0]));
        p.Grad[0] = 0.5;
        p.Grad[1] = -1;
        new Sgd<double>([p], lr: 0.1).Step();
        Assert.Equal([0.95, -1.9], p.Value.Data);
    }

    [Fact]
    public void Adam_first_step_moves_each_weight_by_about_lr_whatever_the_gradient_scale()
    {
        // Bias correction makes m̂ = g and v̂ = g² at t = 1, so the step is lr·g/(|g| + ε) ≈ lr·sign(g).
        var p = new Parameter<double>("p", NDArray.Zeros<double>(3));
        p.Grad[0] = 1e-3;
        p.Grad[1] = -50;
        p.Grad[2] = 2;
        new Adam<double>([p], lr: 0.01).Step();
        for (int i = 0; i < 3; i++)
            Close.Scalar(-0.01 * Math.Sign(p.Grad[i]), p.Value[i], $"weight {i}", 1e-4);
    }

    [Fact]
    public void AdamW_decay_is_decoupled_and_Adam_decay_is_rescaled()
    {
        // With a zero loss gradient, AdamW just shrinks θ by (1 − lr·λ) per step; Adam's L2 decay is a gradient,
        // normalised by √v, so its first step moves θ by ≈ lr regardless of λ.
        var pw = new Parameter<double>("w", NDArray.From([2.0]));
        var pa = new Parameter<double>("a", NDArray.From([2.0]));
        var adamw = new AdamW<double>([pw], lr: 0.1, weightDecay: 0.5);
        var adam = new Adam<double>([pa], lr: 0.1, weightDecay: 0.5);
        adamw.Step();
        adam.Step();
        Close.Scalar(2.0 * (1 - (0.1 * 0.5)), pw.Value[0], "AdamW", 1e-12);
        Close.Scalar(2.0 - 0.1, pa.Value[0], "Adam", 1e-6);
    }

    [Fact]
    public void ZeroGrad_clears_every_gradient_and_StepCount_counts_steps()
    {
        var a = new Parameter<float>("a", NDArray.Full(1f, 2, 2));
        var b = new Parameter<float>("b", NDArray.Full(1f, 3));
        a.Grad.Span.Fill(2);
        b.Grad.Span.Fill(3);
        var opt = new Adam<float>([a, b]);
        opt.Step();
        opt.Step();
        Assert.Equal(2, opt.StepCount);
        opt.ZeroGrad();
        Assert.All(a.Grad.Data, g => Assert.Equal(0f, g));
        Assert.All(b.Grad.Data, g => Assert.Equal(0f, g));
    }

    private static Parameter<double>[] OneParameter() => [new Parameter<double>("w", NDArray.Zeros<double>(2, 2))];

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(0.0)]
    [InlineData(double.PositiveInfinity)]
    public void Bad_learning_rate_is_rejected_by_every_optimizer(double lr)
    {
        var ps = OneParameter();
        Action[] makers =
        [
            () => _ = new Sgd<double>(ps, lr),
            () => _ = new RmsProp<double>(ps, lr),
            () => _ = new Adam<double>(ps, lr),
            () => _ = new AdamW<double>(ps, lr),
        ];
        foreach (var make in makers)
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(make);
            Assert.Equal("lr", ex.ParamName);
            Assert.Contains(lr.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        }
    }

    [Fact]
    public void Lr_setter_accepts_zero_but_rejects_negative_and_nan()
    {
        var opt = new Sgd<double>(OneParameter(), 0.1) { Lr = 0 };
        Assert.Equal(0, opt.Lr);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => opt.Lr = -1);
        Assert.Contains("-1", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => opt.Lr = double.NaN);
    }

    [Theory]
    [InlineData(1.0, 0.999, "beta1")]
    [InlineData(-0.1, 0.999, "beta1")]
    [InlineData(0.9, 1.0, "beta2")]
    [InlineData(0.9, double.NaN, "beta2")]
    public void Adam_betas_must_be_in_zero_one(double beta1, double beta2, string param)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>(OneParameter(), beta1: beta1, beta2: beta2));
        Assert.Equal(param, ex.ParamName);
        var exW = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<double>(OneParameter(), beta1: beta1, beta2: beta2));
        Assert.Equal(param, exW.ParamName);
    }

    [Fact]
    public void Eps_momentum_and_weight_decay_are_checked()
    {
        var ps = OneParameter();
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>(ps, eps: 0)).ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp<double>(ps, eps: -1e-8)).ParamName);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>(ps, 0.1, momentum: -0.9));
        Assert.Equal("momentum", ex.ParamName);
        Assert.Contains("-0.9", ex.Message);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp<double>(ps, momentum: -1)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<double>(ps, weightDecay: -0.01)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp<double>(ps, alpha: 1)).ParamName);
        Assert.Equal("dampening", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>(ps, 0.1, 0.9, dampening: 1.5)).ParamName);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.9, 0.1)]
    public void Nesterov_needs_momentum_and_no_dampening(double momentum, double dampening)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Sgd<double>(OneParameter(), 0.1, momentum, dampening, nesterov: true));
        Assert.Equal("nesterov", ex.ParamName);
        Assert.Contains($"dampening = {dampening.ToString(System.Globalization.CultureInfo.InvariantCulture)}", ex.Message);
    }

    [Fact]
    public void Empty_parameter_list_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Adam<float>([]));
        Assert.Equal("parameters", ex.ParamName);
        Assert.Contains("empty", ex.Message);
        Assert.Throws<ArgumentNullException>(() => new Sgd<float>(null!, 0.1));
    }

    [Fact]
    public void Clipping_arguments_are_checked()
    {
        var ps = OneParameter();
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm(ps, -1)).ParamName);
        Assert.Equal("normType", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm(ps, 1, 0)).ParamName);
        Assert.Equal("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradValue(ps, double.NaN)).ParamName);
    }
}
