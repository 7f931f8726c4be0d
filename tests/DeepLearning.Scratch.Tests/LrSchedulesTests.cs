using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class LrSchedulesTests
{
    public static TheoryData<string> Cases => Fixture.Names("lr_schedules");

    /// <summary>
    /// torch computes the lr recursively (lr ← lr·factor each step), we use the closed form; the two round
    /// differently by a few ulps per step: ≤ 2e-14 relative over 40 epochs (worst near the cosine's minimum, where
    /// the lr is small). atol covers a cosine that reaches exactly 0.
    /// </summary>
    private const double Rtol = 1e-12, Atol = 1e-16;

    private static LrSchedule Make(FixtureCase c)
    {
        double Get(string key, double fallback) => c.RawParam(key)?.GetDouble() ?? fallback;
        return c.Op switch
        {
            "step" => c.RawParam("gamma") is null ? new StepLR((int)c.Param("step_size")) : new StepLR((int)c.Param("step_size"), c.Param("gamma")),
            "exponential" => new ExponentialLR(c.Param("gamma")),
            "cosine" => c.RawParam("eta_min") is null ? new CosineAnnealingLR((int)c.Param("t_max")) : new CosineAnnealingLR((int)c.Param("t_max"), c.Param("eta_min")),
            "linear" => c.RawParam("start_factor") is null ? new LinearLR() // torch's defaults
                : new LinearLR(c.Param("start_factor"), Get("end_factor", 1.0), (int)c.Param("total_iters")),
            "warmup_cosine" => new WarmupCosine((int)c.Param("warmup"), (int)c.Param("t_max"), c.Param("start_factor"), c.Param("eta_min")),
            _ => throw new InvalidOperationException(c.Name),
        };
    }

    [Theory, MemberData(nameof(Cases))]
    public void LrAt_matches_torch_at_every_epoch(string name)
    {
        var c = Fixture.Load("lr_schedules")[name];
        var schedule = Make(c);
        double[] expected = c.OutputScalars("lr");
        Assert.True(expected.Length >= 30);
        for (int t = 0; t < expected.Length; t++)
            Close.Scalar(expected[t], schedule.LrAt(t, c.Param("base_lr")), $"{name} epoch {t}", Rtol, Atol);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Scheduler_drives_the_optimizer_through_the_same_values_as_the_curve(string name)
    {
        var c = Fixture.Load("lr_schedules")[name];
        var schedule = Make(c);
        double baseLr = c.Param("base_lr");
        double[] expected = c.OutputScalars("lr");
        double[] curve = schedule.Curve(baseLr, expected.Length);
        var opt = new Sgd<double>([new Parameter<double>("w", NDArray.Zeros<double>(1))], baseLr);
        var scheduler = new LrScheduler(opt, schedule);
        Assert.Equal(baseLr, scheduler.BaseLr);
        for (int t = 0; t < expected.Length; t++)
        {
            Assert.Equal(t, scheduler.Epoch);
            Assert.Equal(curve[t], opt.Lr); // exactly: the chart is what training uses
            Assert.Equal(curve[t], scheduler.LastLr);
            Close.Scalar(expected[t], opt.Lr, $"{name} epoch {t}", Rtol, Atol);
            opt.Step();
            scheduler.Step();
        }
    }

    [Fact]
    public void WarmupCosine_is_SequentialLR_of_linear_then_cosine_restarted_at_the_milestone()
    {
        var warm = new WarmupCosine(warmupEpochs: 4, tMax: 10, startFactor: 0.25);
        var seq = new SequentialLR([new LinearLR(0.25, 1, 4), new CosineAnnealingLR(10)], [4]);
        for (int t = 0; t < 30; t++) Assert.Equal(seq.LrAt(t, 0.1), warm.LrAt(t, 0.1));
        Assert.Equal(0.025, warm.LrAt(0, 0.1), 15);   // base · startFactor
        Assert.Equal(0.1, warm.LrAt(4, 0.1));          // the cosine starts at base
        Assert.Equal(0.0, warm.LrAt(14, 0.1), 15);     // and reaches η_min after tMax more epochs
    }

    [Fact]
    public void Schedule_arguments_are_checked()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(0));
        Assert.Equal("stepSize", ex.ParamName);
        Assert.Contains("0", ex.Message);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(5, -0.1)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLR(double.NaN)).ParamName);
        Assert.Equal("tMax", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(-3)).ParamName);
        Assert.Equal("etaMin", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(10, -1e-3)).ParamName);
        Assert.Equal("startFactor", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(0)).ParamName);
        Assert.Equal("endFactor", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(0.5, 1.5)).ParamName);
        Assert.Equal("totalIters", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(0.5, 1, 0)).ParamName);
        Assert.Equal("warmupEpochs", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosine(0, 10)).ParamName);
        var ms = Assert.Throws<ArgumentException>(() => new SequentialLR([new StepLR(2), new StepLR(3)], [5, 6]));
        Assert.Equal("milestones", ms.ParamName);
        Assert.Equal("milestones", Assert.Throws<ArgumentException>(() =>
            new SequentialLR([new StepLR(2), new StepLR(3), new StepLR(4)], [6, 5])).ParamName);
    }

    [Fact]
    public void LrAt_rejects_negative_epochs_and_bad_base_lr()
    {
        var s = new ExponentialLR(0.9);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => s.LrAt(-1, 0.1));
        Assert.Equal("epoch", ex.ParamName);
        Assert.Contains("-1", ex.Message);
        Assert.Equal("baseLr", Assert.Throws<ArgumentOutOfRangeException>(() => s.LrAt(0, double.NaN)).ParamName);
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => s.Curve(0.1, 0)).ParamName);
    }
}
