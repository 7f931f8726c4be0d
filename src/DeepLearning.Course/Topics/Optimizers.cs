using System.Globalization;
using System.Numerics;
using DeepLearning.Scratch;
using TorchSharp;
using static TorchSharp.torch;
using ScratchLinear = DeepLearning.Scratch.Linear;
using ScratchLosses = DeepLearning.Scratch.Losses;
using TorchParameter = TorchSharp.Modules.Parameter;

namespace DeepLearning.Course;

/// <summary>The optimizers of lesson 3, each with torch.optim's update rule and defaults.</summary>
public enum OptimizerKind
{
    /// <summary>SGD, with optional momentum, dampening, Nesterov and (L2) weight decay.</summary>
    Sgd,

    /// <summary>RMSprop.</summary>
    RmsProp,

    /// <summary>Adam (weight decay is L2, coupled).</summary>
    Adam,

    /// <summary>AdamW (decoupled weight decay).</summary>
    AdamW,
}

/// <summary>
/// An optimizer and its hyperparameters, buildable both from scratch (<see cref="CreateScratch{T}"/>) and in
/// TorchSharp (<see cref="CreateTorch"/>), so the two can be run side by side. Use the factories
/// <see cref="Sgd"/>, <see cref="RmsProp"/>, <see cref="Adam"/>, <see cref="AdamW"/>; defaults are torch's.
/// </summary>
public sealed record OptimizerSpec(OptimizerKind Kind, double Lr, double Momentum = 0, double Dampening = 0, bool Nesterov = false,
    double WeightDecay = 0, double Alpha = 0.99, double Beta1 = 0.9, double Beta2 = 0.999, double Eps = 1e-8, bool Centered = false,
    bool AmsGrad = false)
{
    /// <summary>torch.optim.SGD(lr, momentum, dampening, weight_decay, nesterov).</summary>
    public static OptimizerSpec Sgd(double lr, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0) =>
        new OptimizerSpec(OptimizerKind.Sgd, lr, Momentum: momentum, Dampening: dampening, Nesterov: nesterov, WeightDecay: weightDecay).Validated();

    /// <summary>torch.optim.RMSprop(lr, alpha, eps, weight_decay, momentum, centered).</summary>
    public static OptimizerSpec RmsProp(double lr = 0.01, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0,
        bool centered = false) =>
        new OptimizerSpec(OptimizerKind.RmsProp, lr, Momentum: momentum, WeightDecay: weightDecay, Alpha: alpha, Eps: eps, Centered: centered).Validated();

    /// <summary>torch.optim.Adam(lr, betas, eps, weight_decay, amsgrad).</summary>
    public static OptimizerSpec Adam(double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0,
        bool amsgrad = false) =>
        new OptimizerSpec(OptimizerKind.Adam, lr, WeightDecay: weightDecay, Beta1: beta1, Beta2: beta2, Eps: eps, AmsGrad: amsgrad).Validated();

    /// <summary>torch.optim.AdamW(lr, betas, eps, weight_decay = 1e-2, amsgrad).</summary>
    public static OptimizerSpec AdamW(double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2,
        bool amsgrad = false) =>
        new OptimizerSpec(OptimizerKind.AdamW, lr, WeightDecay: weightDecay, Beta1: beta1, Beta2: beta2, Eps: eps, AmsGrad: amsgrad).Validated();

    /// <summary>The scratch optimizer (DeepLearning.Scratch.Sgd/RmsProp/Adam/AdamW) over <paramref name="parameters"/>.</summary>
    public Optimizer<T> CreateScratch<T>(IReadOnlyList<Parameter<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validated();
        return Kind switch
        {
            OptimizerKind.Sgd => new Sgd<T>(parameters, Lr, Momentum, Dampening, Nesterov, WeightDecay),
            OptimizerKind.RmsProp => new RmsProp<T>(parameters, Lr, Alpha, Eps, WeightDecay, Momentum, Centered),
            OptimizerKind.Adam => new Adam<T>(parameters, Lr, Beta1, Beta2, Eps, WeightDecay, AmsGrad),
            _ => new AdamW<T>(parameters, Lr, Beta1, Beta2, Eps, WeightDecay, AmsGrad),
        };
    }

    /// <summary>The torch.optim optimizer over <paramref name="parameters"/> (e.g. <c>model.parameters()</c>).</summary>
    public optim.Optimizer CreateTorch(IEnumerable<TorchParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Validated();
        return Kind switch
        {
            OptimizerKind.Sgd => torch.optim.SGD(parameters, Lr, Momentum, Dampening, WeightDecay, Nesterov),
            OptimizerKind.RmsProp => torch.optim.RMSProp(parameters, Lr, Alpha, Eps, WeightDecay, Momentum, Centered),
            OptimizerKind.Adam => torch.optim.Adam(parameters, Lr, Beta1, Beta2, Eps, WeightDecay, AmsGrad),
            _ => torch.optim.AdamW(parameters, Lr, Beta1, Beta2, Eps, WeightDecay, AmsGrad), // TorchSharp's default λ is 0, torch's 1e-2: always pass it
        };
    }

    /// <summary>A short label for legends, e.g. "SGD(lr=0.1, momentum=0.9, nesterov)" (only non-default settings).</summary>
    public override string ToString()
    {
        var parts = new List<string> { $"lr={F(Lr)}" };
        if (Momentum != 0) parts.Add($"momentum={F(Momentum)}");
        if (Dampening != 0) parts.Add($"dampening={F(Dampening)}");
        if (Nesterov) parts.Add("nesterov");
        if (Kind == OptimizerKind.RmsProp && Alpha != 0.99) parts.Add($"alpha={F(Alpha)}");
        if (Kind is OptimizerKind.Adam or OptimizerKind.AdamW && (Beta1 != 0.9 || Beta2 != 0.999)) parts.Add($"betas=({F(Beta1)}, {F(Beta2)})");
        if (Eps != 1e-8) parts.Add($"eps={F(Eps)}");
        if (WeightDecay != 0) parts.Add($"weight_decay={F(WeightDecay)}");
        if (Centered) parts.Add("centered");
        if (AmsGrad) parts.Add("amsgrad");
        string name = Kind switch { OptimizerKind.Sgd => "SGD", OptimizerKind.RmsProp => "RMSprop", OptimizerKind.Adam => "Adam", _ => "AdamW" };
        return $"{name}({string.Join(", ", parts)})";

        static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
    }

    private OptimizerSpec Validated()
    {
        if (!Enum.IsDefined(Kind))
            throw new ArgumentOutOfRangeException(nameof(Kind), Kind, $"Kind = {Kind} is not one of {string.Join(", ", Enum.GetNames<OptimizerKind>())}.");
        Positive(Lr, "lr");
        NonNegative(Momentum, "momentum");
        NonNegative(WeightDecay, "weightDecay");
        Positive(Eps, "eps");
        if (!(Dampening >= 0 && Dampening <= 1))
            throw new ArgumentOutOfRangeException("dampening", Dampening, $"dampening must be in [0, 1], got {Dampening}.");
        if (Nesterov && (Kind != OptimizerKind.Sgd || Momentum <= 0 || Dampening != 0))
            throw new ArgumentException($"Nesterov momentum is SGD's and requires a momentum and zero dampening, got momentum = {Momentum}, dampening = {Dampening}.", "nesterov");
        if (!(Alpha >= 0 && Alpha < 1))
            throw new ArgumentOutOfRangeException("alpha", Alpha, $"alpha must be in [0, 1), got {Alpha}.");
        if (!(Beta1 >= 0 && Beta1 < 1))
            throw new ArgumentOutOfRangeException("beta1", Beta1, $"beta1 must be in [0, 1), got {Beta1}.");
        if (!(Beta2 >= 0 && Beta2 < 1))
            throw new ArgumentOutOfRangeException("beta2", Beta2, $"beta2 must be in [0, 1), got {Beta2}.");
        return this;

        static void Positive(double v, string name)
        {
            if (!(v > 0) || !double.IsFinite(v))
                throw new ArgumentOutOfRangeException(name, v, $"{name} must be a finite number > 0, got {v}.");
        }

        static void NonNegative(double v, string name)
        {
            if (!(v >= 0) || !double.IsFinite(v))
                throw new ArgumentOutOfRangeException(name, v, $"{name} must be a finite number ≥ 0, got {v}.");
        }
    }
}

/// <summary>Learning-rate schedules in TorchSharp, built from the scratch half's schedule objects so both describe the same curve.</summary>
public static class TorchSchedules
{
    /// <summary>
    /// The torch.optim.lr_scheduler equivalent of <paramref name="schedule"/> attached to <paramref name="optimizer"/>:
    /// StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, and SequentialLR of those (so WarmupCosine is
    /// SequentialLR([LinearLR, CosineAnnealingLR], [warmup])). Call <c>step()</c> once per epoch, as in PyTorch.
    /// </summary>
    public static optim.lr_scheduler.LRScheduler Create(LrSchedule schedule, optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(optimizer);
        Check(schedule);
        return Build(schedule, optimizer);
    }

    private static optim.lr_scheduler.LRScheduler Build(LrSchedule schedule, optim.Optimizer optimizer) => schedule switch
    {
        StepLR s => optim.lr_scheduler.StepLR(optimizer, s.StepSize, s.Gamma),
        ExponentialLR e => optim.lr_scheduler.ExponentialLR(optimizer, e.Gamma),
        CosineAnnealingLR c => optim.lr_scheduler.CosineAnnealingLR(optimizer, c.TMax, c.EtaMin),
        LinearLR l => optim.lr_scheduler.LinearLR(optimizer, l.StartFactor, l.EndFactor, l.TotalIters),
        _ => optim.lr_scheduler.SequentialLR(optimizer, [.. ((SequentialLR)schedule).Schedules.Select(s => Build(s, optimizer))],
            ((SequentialLR)schedule).Milestones),
    };

    // Everything is checked before any scheduler touches the optimizer's lr.
    private static void Check(LrSchedule schedule)
    {
        switch (schedule)
        {
            case StepLR or ExponentialLR or CosineAnnealingLR or LinearLR:
                return;
            case SequentialLR seq:
                foreach (var s in seq.Schedules)
                {
                    if (s is SequentialLR)
                        throw new ArgumentException("A SequentialLR inside a SequentialLR has no torch equivalent here; flatten it.", nameof(schedule));
                    Check(s);
                }
                return;
            default:
                throw new ArgumentException(
                    $"{schedule.GetType().Name} has no TorchSharp equivalent here; use StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, SequentialLR or WarmupCosine.",
                    nameof(schedule));
        }
    }
}

/// <summary>How <c>Parity.Optimizer</c> produces the gradients both optimizers receive.</summary>
public enum GradientSource
{
    /// <summary>Hand-written: fresh N(0, 1) gradients each step, the same arrays on both sides (isolates the update rule).</summary>
    Random,

    /// <summary>The same loss: least-squares linear regression, gradients by the scratch backward and by autograd.</summary>
    LeastSquares,
}

public static partial class Parity
{
    /// <summary>
    /// One optimizer from scratch and in torch.optim, from the same initial parameters (a Linear layer's W [3, 5] and
    /// b [3]), for <paramref name="steps"/> steps: rows "parameters after step t", max |Δ| over W and b. With a
    /// <paramref name="schedule"/>, both sides also step their scheduler after every optimizer step.
    /// </summary>
    public static ParityReport Optimizer(OptimizerSpec spec, int steps = 20, GradientSource gradients = GradientSource.LeastSquares,
        LrSchedule? schedule = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        TopicArgs.AtLeast(steps, 1, nameof(steps));
        if (!Enum.IsDefined(gradients))
            throw new ArgumentOutOfRangeException(nameof(gradients), gradients, $"gradients = {gradients} is not Random or LeastSquares.");

        var rng = new Rng(unchecked((ulong)seed));
        var w = new Parameter<float>("weight", rng.NormalArray<float>(0, 0.5, 3, 5));
        var b = new Parameter<float>("bias", rng.NormalArray<float>(0, 0.5, 3));
        var x = rng.NormalArray<float>(0, 1, 16, 5);
        var y = rng.NormalArray<float>(0, 1, 16, 3);
        Parameter<float>[] scratchParams = [w, b];
        var scratch = spec.CreateScratch(scratchParams);
        var scratchScheduler = schedule is null ? null : new LrScheduler(scratch, schedule);

        using var scope = torch.NewDisposeScope();
        var wt = torch.nn.Parameter(w.Value.ToTensor());
        var bt = torch.nn.Parameter(b.Value.ToTensor());
        var (xt, yt) = (x.ToTensor(), y.ToTensor());
        using var framework = spec.CreateTorch([wt, bt]);
        var frameworkScheduler = schedule is null ? null : TorchSchedules.Create(schedule, framework);

        var rows = new List<ParityRow>();
        for (int t = 1; t <= steps; t++)
        {
            using var stepScope = torch.NewDisposeScope();
            if (gradients == GradientSource.Random)
            {
                var (gw, gb) = (rng.NormalArray<float>(0, 1, 3, 5), rng.NormalArray<float>(0, 1, 3));
                gw.Data.CopyTo(w.Grad.Data, 0);
                gb.Data.CopyTo(b.Grad.Data, 0);
                wt.grad = gw.ToTensor();
                bt.grad = gb.ToTensor();
            }
            else
            {
                scratch.ZeroGrad();
                var (yHat, linearCache) = ScratchLinear.Forward(x, w.Value, b.Value);
                var (_, mseCache) = ScratchLosses.Mse.Forward(yHat, y);
                var grads = ScratchLinear.Backward(ScratchLosses.Mse.Backward(mseCache), linearCache);
                grads.Dw.Data.CopyTo(w.Grad.Data, 0);
                grads.Db!.Data.CopyTo(b.Grad.Data, 0);

                framework.zero_grad();
                torch.nn.functional.mse_loss(torch.nn.functional.linear(xt, wt, bt), yt).backward();
            }
            scratch.Step();
            framework.step();
            scratchScheduler?.Step();
            frameworkScheduler?.step();
            rows.Add(new ParityRow($"parameters after step {t}",
                Math.Max(Bridge.MaxAbsDiff(w.Value, wt, "weight"), Bridge.MaxAbsDiff(b.Value, bt, "bias"))));
        }
        string what = schedule is null ? spec.ToString() : $"{spec} with {schedule.GetType().Name}";
        return new ParityReport($"Optimizer {what}, {gradients} gradients", rows);
    }

    /// <summary>The scratch schedule's lr and torch's scheduler's lr at epochs 0 … epochs − 1: one row per epoch.</summary>
    public static ParityReport Schedule(LrSchedule schedule, double baseLr = 0.1, int epochs = 30)
    {
        var curve = OptimizerExperiments.ScheduleCurve(schedule, baseLr, epochs);
        return new ParityReport($"Schedule {schedule.GetType().Name}",
            [.. Enumerable.Range(0, epochs).Select(t => new ParityRow($"lr at epoch {t}", Math.Abs(curve.Scratch[t] - curve.Torch[t])))]);
    }
}

/// <summary>A learning-rate schedule as the scratch formula gives it and as torch's scheduler sets it, epoch by epoch.</summary>
/// <param name="Name">The schedule's type.</param>
/// <param name="BaseLr">The optimizer's lr when the scheduler was attached.</param>
/// <param name="Scratch">The scratch <see cref="LrSchedule.Curve"/>.</param>
/// <param name="Torch">The lr torch.optim.lr_scheduler set at each epoch.</param>
public sealed record ScheduleCurve(string Name, double BaseLr, double[] Scratch, double[] Torch);

/// <summary>A 2-parameter loss for watching optimizers move: value, gradient, and its torch form (for autograd).</summary>
public sealed class LossSurface
{
    private readonly Func<double, double, double> _f;
    private readonly Func<double, double, (double, double)> _gradient;
    private readonly Func<Tensor, Tensor, Tensor> _torch;

    private LossSurface(string name, Func<double, double, double> f, Func<double, double, (double, double)> gradient, Func<Tensor, Tensor, Tensor> torchForm,
        (double X, double Y) criticalPoint, (double X, double Y) start, (double Min, double Max) xRange, (double Min, double Max) yRange,
        double sgdLr, double adaptiveLr, int raceSteps, double raceThreshold)
    {
        (Name, _f, _gradient, _torch, CriticalPoint, Start, XRange, YRange) = (name, f, gradient, torchForm, criticalPoint, start, xRange, yRange);
        (RaceSteps, RaceThreshold) = (raceSteps, raceThreshold);
        Lineup =
        [
            OptimizerSpec.Sgd(sgdLr),
            OptimizerSpec.Sgd(sgdLr, momentum: 0.9),
            OptimizerSpec.Sgd(sgdLr, momentum: 0.9, nesterov: true),
            OptimizerSpec.RmsProp(adaptiveLr),
            OptimizerSpec.Adam(adaptiveLr),
        ];
    }

    /// <summary>The formula, e.g. "ravine ½(x² + 20y²)".</summary>
    public string Name { get; }

    /// <summary>The minimum (or, for the saddle, the saddle point).</summary>
    public (double X, double Y) CriticalPoint { get; }

    /// <summary>A start that shows the surface's difficulty.</summary>
    public (double X, double Y) Start { get; }

    /// <summary>
    /// The race's default lineup: SGD, SGD + momentum 0.9, Nesterov (all at one lr that suits the surface), RMSprop and
    /// Adam (at a shared adaptive lr).
    /// </summary>
    public IReadOnlyList<OptimizerSpec> Lineup { get; }

    /// <summary>The race's default number of steps.</summary>
    public int RaceSteps { get; }

    /// <summary>The race's default loss threshold (for the saddle, −1: "escaped").</summary>
    public double RaceThreshold { get; }

    /// <summary>x range for plotting.</summary>
    public (double Min, double Max) XRange { get; }

    /// <summary>y range for plotting.</summary>
    public (double Min, double Max) YRange { get; }

    /// <summary>
    /// An ill-conditioned quadratic ½(x² + κy²): curvature κ times larger across the valley than along it, so plain
    /// SGD must keep lr &lt; 2/κ and then crawls along x.
    /// </summary>
    public static LossSurface Ravine(double conditioning = 20)
    {
        if (!(conditioning >= 1) || !double.IsFinite(conditioning))
            throw new ArgumentOutOfRangeException(nameof(conditioning), conditioning, $"conditioning must be a finite number ≥ 1, got {conditioning}.");
        double k = conditioning;
        return new LossSurface($"ravine ½(x² + {k.ToString(CultureInfo.InvariantCulture)}y²)",
            (x, y) => 0.5 * ((x * x) + (k * y * y)), (x, y) => (x, k * y), (x, y) => ((x * x) + (y * y * k)) * 0.5,
            (0, 0), (-4, 1), (-5, 5), (-1.5, 1.5), sgdLr: 0.02, adaptiveLr: 0.1, raceSteps: 300, raceThreshold: 1e-3);
    }

    /// <summary>The saddle x² − y²: a minimum along x, a maximum along y, a critical point at the origin that is no minimum.</summary>
    public static LossSurface Saddle() =>
        new("saddle x² − y²", (x, y) => (x * x) - (y * y), (x, y) => (2 * x, -2 * y), (x, y) => (x * x) - (y * y),
            (0, 0), (1, 1e-3), (-1.5, 1.5), (-1.5, 1.5), sgdLr: 0.05, adaptiveLr: 0.1, raceSteps: 50, raceThreshold: -1);

    /// <summary>Rosenbrock's banana valley (a − x)² + b(y − x²)², minimum at (a, a²): easy to find the valley, slow to follow it.</summary>
    public static LossSurface Rosenbrock(double a = 1, double b = 100)
    {
        if (!double.IsFinite(a)) throw new ArgumentOutOfRangeException(nameof(a), a, $"a must be finite, got {a}.");
        if (!(b > 0) || !double.IsFinite(b)) throw new ArgumentOutOfRangeException(nameof(b), b, $"b must be a finite number > 0, got {b}.");
        return new LossSurface($"Rosenbrock (a = {a.ToString(CultureInfo.InvariantCulture)}, b = {b.ToString(CultureInfo.InvariantCulture)})",
            (x, y) => ((a - x) * (a - x)) + (b * (y - (x * x)) * (y - (x * x))),
            (x, y) => ((-2 * (a - x)) - (4 * b * x * (y - (x * x))), 2 * b * (y - (x * x))),
            (x, y) => (a - x).pow(2) + ((y - x.pow(2)).pow(2) * b),
            (a, a * a), (-1.5, 2), (-2, 2), (-1, 3), sgdLr: 1e-3, adaptiveLr: 0.1, raceSteps: 2000, raceThreshold: 1e-3);
    }

    /// <summary>f(x, y).</summary>
    public double Value(double x, double y) => _f(x, y);

    /// <summary>(∂f/∂x, ∂f/∂y).</summary>
    public (double Dx, double Dy) Gradient(double x, double y) => _gradient(x, y);

    /// <summary>f on tensors, for autograd.</summary>
    public Tensor Value(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return _torch(x, y);
    }

    /// <summary>f on an n × n grid over <see cref="XRange"/> × <see cref="YRange"/> (Z[i, j] = f(X[j], Y[i]), as contour plots want).</summary>
    public SurfaceGrid Grid(int n = 101)
    {
        TopicArgs.AtLeast(n, 2, nameof(n));
        double[] xs = [.. Enumerable.Range(0, n).Select(i => XRange.Min + ((XRange.Max - XRange.Min) * i / (n - 1)))];
        double[] ys = [.. Enumerable.Range(0, n).Select(i => YRange.Min + ((YRange.Max - YRange.Min) * i / (n - 1)))];
        var z = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) z[i, j] = _f(xs[j], ys[i]);
        return new SurfaceGrid(Name, xs, ys, z);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A loss surface sampled on a grid, for contour and surface charts.</summary>
/// <param name="Name">The surface.</param>
/// <param name="X">Grid x values.</param>
/// <param name="Y">Grid y values.</param>
/// <param name="Z">Z[i, j] = f(X[j], Y[i]).</param>
public sealed record SurfaceGrid(string Name, double[] X, double[] Y, double[,] Z);

/// <summary>One point of an optimizer's path.</summary>
/// <param name="Step">0 is the start.</param>
/// <param name="X">First parameter.</param>
/// <param name="Y">Second parameter.</param>
/// <param name="Loss">f(x, y).</param>
public sealed record TrajectoryPoint(int Step, double X, double Y, double Loss);

/// <summary>An optimizer's path on a loss surface, start included.</summary>
/// <param name="Surface">The surface's name.</param>
/// <param name="Optimizer">The optimizer's label.</param>
/// <param name="Points">Start, then one point per step.</param>
public sealed record Trajectory(string Surface, string Optimizer, IReadOnlyList<TrajectoryPoint> Points)
{
    /// <summary>The last point.</summary>
    public TrajectoryPoint Final => Points[^1];

    /// <summary>The first step whose loss is below <paramref name="threshold"/>, or null if none is.</summary>
    public int? StepsTo(double threshold) => Points.FirstOrDefault(p => p.Loss < threshold)?.Step;

    /// <summary>The distance of the last point from (x, y).</summary>
    public double FinalDistanceTo((double X, double Y) point) => Math.Sqrt(Math.Pow(Final.X - point.X, 2) + Math.Pow(Final.Y - point.Y, 2));
}

/// <summary>One optimizer's result in a race on a loss surface.</summary>
/// <param name="Optimizer">Its label.</param>
/// <param name="StepsToThreshold">The first step with loss below the threshold, or null if it never got there.</param>
/// <param name="FinalLoss">The loss after the last step.</param>
/// <param name="FinalDistance">Distance of the last point from the surface's critical point (for the saddle: how far it escaped).</param>
/// <param name="Trajectory">The full path, for the chart.</param>
public sealed record RaceEntry(string Optimizer, int? StepsToThreshold, double FinalLoss, double FinalDistance, Trajectory Trajectory);

/// <summary>One way of cutting the data into updates: full batch, minibatches, or single examples.</summary>
/// <param name="Name">"batch", "minibatch" or "stochastic", with the batch size.</param>
/// <param name="BatchSize">Examples per update.</param>
/// <param name="UpdateLoss">The minibatch loss at each update (what a training log shows: noisy for small batches).</param>
/// <param name="EpochLoss">The full-data loss before training and after each epoch.</param>
public sealed record GradientDescentRun(string Name, int BatchSize, double[] UpdateLoss, double[] EpochLoss);

/// <summary>Lesson 3's experiments: optimizer paths on loss surfaces, races, schedules, batch sizes.</summary>
public static class OptimizerExperiments
{
    /// <summary>
    /// The path of the SCRATCH optimizer <paramref name="optimizer"/> (in double) from <paramref name="start"/> (default
    /// the surface's <see cref="LossSurface.Start"/>) for <paramref name="steps"/> steps, using the surface's exact gradient.
    /// </summary>
    public static Trajectory Trajectory(LossSurface surface, OptimizerSpec optimizer, (double X, double Y)? start = null, int steps = 100)
    {
        ArgumentNullException.ThrowIfNull(surface);
        ArgumentNullException.ThrowIfNull(optimizer);
        TopicArgs.AtLeast(steps, 0, nameof(steps));
        var (x0, y0) = start ?? surface.Start;
        var theta = new Parameter<double>("θ", NDArray.From([x0, y0]));
        var opt = optimizer.CreateScratch([theta]);
        var points = new List<TrajectoryPoint>(steps + 1) { new(0, x0, y0, surface.Value(x0, y0)) };
        for (int t = 1; t <= steps; t++)
        {
            var (dx, dy) = surface.Gradient(theta.Value[0], theta.Value[1]);
            (theta.Grad[0], theta.Grad[1]) = (dx, dy);
            opt.Step();
            points.Add(new(t, theta.Value[0], theta.Value[1], surface.Value(theta.Value[0], theta.Value[1])));
        }
        return new Trajectory(surface.Name, optimizer.ToString(), points);
    }

    /// <summary>The same path with torch.optim and autograd (float64), to show it coincides with the scratch one.</summary>
    public static Trajectory TorchTrajectory(LossSurface surface, OptimizerSpec optimizer, (double X, double Y)? start = null, int steps = 100)
    {
        ArgumentNullException.ThrowIfNull(surface);
        ArgumentNullException.ThrowIfNull(optimizer);
        TopicArgs.AtLeast(steps, 0, nameof(steps));
        var (x0, y0) = start ?? surface.Start;
        using var scope = torch.NewDisposeScope();
        var theta = torch.nn.Parameter(torch.tensor(new[] { x0, y0 }, dtype: ScalarType.Float64));
        using var opt = optimizer.CreateTorch([theta]);
        var points = new List<TrajectoryPoint>(steps + 1) { new(0, x0, y0, surface.Value(x0, y0)) };
        for (int t = 1; t <= steps; t++)
        {
            using var step = torch.NewDisposeScope();
            opt.zero_grad();
            surface.Value(theta[0], theta[1]).backward();
            opt.step();
            double[] v = theta.ToNDArray64().Data;
            points.Add(new(t, v[0], v[1], surface.Value(v[0], v[1])));
        }
        return new Trajectory(surface.Name, optimizer.ToString(), points);
    }

    /// <summary>
    /// Runs every optimizer from the same start (scratch, double) and reports how many steps each needs to bring the
    /// loss below <paramref name="threshold"/> and where it ends. Defaults come from the surface: its
    /// <see cref="LossSurface.Lineup"/>, <see cref="LossSurface.Start"/>, <see cref="LossSurface.RaceSteps"/> and
    /// <see cref="LossSurface.RaceThreshold"/>.
    /// </summary>
    public static IReadOnlyList<RaceEntry> Race(LossSurface surface, IReadOnlyList<OptimizerSpec>? optimizers = null, (double X, double Y)? start = null,
        int? steps = null, double? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(surface);
        if (threshold is double th && double.IsNaN(th)) throw new ArgumentOutOfRangeException(nameof(threshold), th, "threshold must be a number.");
        optimizers ??= surface.Lineup;
        if (optimizers.Count == 0) throw new ArgumentException("optimizers is empty: pass at least one OptimizerSpec.", nameof(optimizers));
        int n = steps ?? surface.RaceSteps;
        double limit = threshold ?? surface.RaceThreshold;
        return [.. optimizers.Select(o =>
        {
            var path = Trajectory(surface, o, start, n);
            return new RaceEntry(path.Optimizer, path.StepsTo(limit), path.Final.Loss, path.FinalDistanceTo(surface.CriticalPoint), path);
        })];
    }

    /// <summary>
    /// Escaping the saddle x² − y² from just off its ridge (default (1, 0.001)): how far from the saddle point each
    /// optimizer is after <paramref name="steps"/> steps, and when its loss first drops below −1.
    /// </summary>
    public static IReadOnlyList<RaceEntry> SaddleEscape(IReadOnlyList<OptimizerSpec>? optimizers = null, (double X, double Y)? start = null, int steps = 50) =>
        Race(LossSurface.Saddle(), optimizers, start, steps, threshold: -1);

    /// <summary>The lr per epoch of <paramref name="schedule"/> from the scratch formula and from torch's scheduler.</summary>
    public static ScheduleCurve ScheduleCurve(LrSchedule schedule, double baseLr = 0.1, int epochs = 30)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        Check.Positive(baseLr, nameof(baseLr));
        TopicArgs.AtLeast(epochs, 1, nameof(epochs));
        double[] scratch = schedule.Curve(baseLr, epochs);

        using var scope = torch.NewDisposeScope();
        var p = torch.nn.Parameter(torch.zeros(1));
        using var optimizer = torch.optim.SGD([p], baseLr);
        var scheduler = TorchSchedules.Create(schedule, optimizer);
        double[] framework = new double[epochs];
        for (int t = 0; t < epochs; t++)
        {
            if (t > 0)
            {
                optimizer.step(); // torch warns when the scheduler steps before the optimizer
                scheduler.step();
            }
            framework[t] = optimizer.ParamGroups.First().LearningRate;
        }
        return new ScheduleCurve(schedule.GetType().Name, baseLr, scratch, framework);
    }

    /// <summary>
    /// Batch vs minibatch vs stochastic gradient descent on a small linear regression (n examples, 4 features), with
    /// torch.optim.SGD at one learning rate and the same initial model: the loss at every update and after every epoch.
    /// Small batches make many cheap, noisy updates per epoch; the full batch makes one smooth update.
    /// </summary>
    public static IReadOnlyList<GradientDescentRun> BatchSizes(IReadOnlyList<int>? batchSizes = null, int n = 64, int epochs = 20,
        double learningRate = 0.05, int seed = 0)
    {
        TopicArgs.AtLeast(n, 1, nameof(n));
        batchSizes ??= [n, 8, 1];
        foreach (int bs in batchSizes)
            if (bs < 1 || bs > n)
                throw new ArgumentException($"Every batch size must be in [1, {n}], got [{string.Join(", ", batchSizes)}].", nameof(batchSizes));
        TopicArgs.AtLeast(epochs, 1, nameof(epochs));
        Check.Positive(learningRate, nameof(learningRate));

        var rng = new Rng(unchecked((ulong)seed));
        var x = rng.NormalArray<float>(0, 1, n, 4);
        float[] wTrue = [1.5f, -2f, 0.5f, 3f];
        var y = new NDArray<float>([n, 1]);
        for (int i = 0; i < n; i++)
        {
            double s = 0.7 + rng.Normal(0, 0.3);
            for (int j = 0; j < 4; j++) s += x[i, j] * wTrue[j];
            y[i] = (float)s;
        }

        using var scope = torch.NewDisposeScope();
        var (xt, yt) = (x.ToTensor(), y.ToTensor());
        var runs = new List<GradientDescentRun>();
        foreach (int batchSize in batchSizes)
        {
            torch.manual_seed(seed);
            using var model = torch.nn.Linear(4, 1);
            using var optimizer = torch.optim.SGD(model.parameters(), learningRate);
            var order = new Rng(unchecked((ulong)seed) + 1);
            var updates = new List<double>();
            var epochLoss = new List<double> { FullLoss(model, xt, yt) };
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                int[] perm = order.Permutation(n);
                for (int start = 0; start < n; start += batchSize)
                {
                    using var step = torch.NewDisposeScope();
                    var idx = Bridge.Labels(perm.AsSpan(start, Math.Min(batchSize, n - start)));
                    optimizer.zero_grad();
                    var loss = torch.nn.functional.mse_loss(model.forward(xt.index_select(0, idx)), yt.index_select(0, idx));
                    updates.Add(loss.item<float>());
                    loss.backward();
                    optimizer.step();
                }
                epochLoss.Add(FullLoss(model, xt, yt));
            }
            string kind = batchSize == n ? "batch" : batchSize == 1 ? "stochastic" : "minibatch";
            runs.Add(new GradientDescentRun($"{kind} ({batchSize})", batchSize, [.. updates], [.. epochLoss]));
        }
        return runs;

        static double FullLoss(nn.Module<Tensor, Tensor> model, Tensor xt, Tensor yt)
        {
            using var noGrad = torch.no_grad();
            using var s = torch.NewDisposeScope();
            return torch.nn.functional.mse_loss(model.forward(xt), yt).item<float>();
        }
    }
}
