using DeepLearning.Scratch;
using TorchSharp;

namespace DeepLearning.Course.Tests;

public class OptimizersParityTests
{
    private static readonly Dictionary<string, OptimizerSpec> Specs = new()
    {
        ["sgd"] = OptimizerSpec.Sgd(0.1),
        ["sgd momentum"] = OptimizerSpec.Sgd(0.1, momentum: 0.9),
        ["sgd nesterov"] = OptimizerSpec.Sgd(0.05, momentum: 0.9, nesterov: true),
        ["sgd dampening + weight decay"] = OptimizerSpec.Sgd(0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.05),
        ["rmsprop"] = OptimizerSpec.RmsProp(0.01),
        ["rmsprop centered + momentum + weight decay"] = OptimizerSpec.RmsProp(0.005, alpha: 0.9, weightDecay: 0.01, momentum: 0.5, centered: true),
        ["adam"] = OptimizerSpec.Adam(0.01),
        ["adam amsgrad + weight decay"] = OptimizerSpec.Adam(0.02, beta1: 0.8, beta2: 0.99, weightDecay: 0.1, amsgrad: true),
        ["adamw"] = OptimizerSpec.AdamW(0.01),
        ["adamw amsgrad"] = OptimizerSpec.AdamW(0.02, weightDecay: 0.1, amsgrad: true),
    };

    private static readonly Dictionary<string, LrSchedule> Schedules = new()
    {
        ["step"] = new StepLR(5, 0.5),
        ["exponential"] = new ExponentialLR(0.9),
        ["cosine"] = new CosineAnnealingLR(10, 0.001),
        ["linear"] = new LinearLR(0.1, 1, 5),
        ["warmup cosine"] = new WarmupCosine(5, 20),
        ["sequential"] = new SequentialLR([new LinearLR(0.25, 1, 3), new StepLR(4, 0.5)], [3]),
    };

    public static TheoryData<string, GradientSource> OptimizerCases()
    {
        var data = new TheoryData<string, GradientSource>();
        foreach (string name in Specs.Keys)
        {
            data.Add(name, GradientSource.Random);
            data.Add(name, GradientSource.LeastSquares);
        }
        return data;
    }

    public static TheoryData<string, string> ScheduledCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string schedule in Schedules.Keys)
            foreach (string spec in new[] { "sgd momentum", "adam" })
                data.Add(spec, schedule);
        return data;
    }

    public static TheoryData<string> ScheduleNames() => [.. Schedules.Keys];

    [Theory, MemberData(nameof(OptimizerCases))]
    public void Scratch_optimizer_tracks_torch_step_by_step(string spec, GradientSource gradients)
    {
        var report = Parity.Optimizer(Specs[spec], steps: 25, gradients, seed: 7);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Equal(25, report.Rows.Count);
        Assert.Equal("parameters after step 25", report.Rows[^1].Quantity);
    }

    [Theory, MemberData(nameof(ScheduledCases))]
    public void Optimizers_with_schedulers_stay_together(string spec, string schedule)
    {
        var report = Parity.Optimizer(Specs[spec], steps: 20, GradientSource.LeastSquares, Schedules[schedule]);
        Assert.True(report.Agrees(1e-5), report.ToString());
    }

    [Theory, MemberData(nameof(ScheduleNames))]
    public void Schedules_match_torch_schedulers_epoch_by_epoch(string schedule)
    {
        var report = Parity.Schedule(Schedules[schedule], baseLr: 0.1, epochs: 30);
        Assert.True(report.Agrees(1e-12), report.ToString());
        Assert.Equal(30, report.Rows.Count);
    }

    [Fact]
    public void Schedule_curve_shows_the_warmup_then_the_decay()
    {
        var c = OptimizerExperiments.ScheduleCurve(new WarmupCosine(5, 20), 0.1, 30);
        Assert.Equal(0.1 / 3, c.Torch[0], 1e-12);
        Assert.Equal(0.1, c.Torch[5], 1e-12);
        Assert.True(c.Torch[10] < c.Torch[5]);
        Assert.Equal(c.Scratch, c.Torch, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Bad_hyperparameters_are_rejected_by_name()
    {
        var lr = Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSpec.Sgd(-0.1));
        Assert.Equal("lr", lr.ParamName);
        Assert.Contains("-0.1", lr.Message);
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSpec.Adam(double.NaN)).ParamName);
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => OptimizerSpec.Sgd(0.1, nesterov: true)).ParamName);
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSpec.Adam(beta1: 1)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSpec.RmsProp(alpha: 1)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSpec.AdamW(weightDecay: -1)).ParamName);
        Assert.Equal("dampening", Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerSpec.Sgd(0.1, dampening: 2)).ParamName);
        var direct = new OptimizerSpec(OptimizerKind.Adam, 0); // the record constructor skips the factory: creation checks again
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => direct.CreateScratch([new Parameter<float>("p", NDArray.Zeros<float>(1))])).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => Parity.Optimizer(OptimizerSpec.Sgd(0.1), steps: 0)).ParamName);
    }

    private sealed class Constant : LrSchedule
    {
        protected override double Compute(int epoch, double baseLr) => baseLr;
    }

    [Fact]
    public void Schedules_without_a_torch_counterpart_are_rejected()
    {
        using var scope = torch.NewDisposeScope();
        var p = torch.nn.Parameter(torch.zeros(1));
        using var opt = torch.optim.SGD([p], 0.1);
        var ex = Assert.Throws<ArgumentException>(() => TorchSchedules.Create(new Constant(), opt));
        Assert.Equal("schedule", ex.ParamName);
        Assert.Contains("Constant", ex.Message);
        var nested = new SequentialLR([new SequentialLR([new StepLR(2)], []), new StepLR(3)], [4]);
        Assert.Equal("schedule", Assert.Throws<ArgumentException>(() => TorchSchedules.Create(nested, opt)).ParamName);
    }

    [Fact]
    public void Labels_show_only_non_default_settings()
    {
        Assert.Equal("SGD(lr=0.1, momentum=0.9, nesterov)", OptimizerSpec.Sgd(0.1, momentum: 0.9, nesterov: true).ToString());
        Assert.Equal("AdamW(lr=0.001, weight_decay=0.01)", OptimizerSpec.AdamW().ToString());
        Assert.Equal("RMSprop(lr=0.01, centered)", OptimizerSpec.RmsProp(centered: true).ToString());
    }
}
