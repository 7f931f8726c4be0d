using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// How <see cref="Trainer.Fit"/> trains: everything a lesson varies, with defaults that work for small nets.
/// Checked before training starts; a bad value throws an <see cref="ArgumentException"/> naming it.
/// </summary>
public sealed record TrainOptions
{
    /// <summary>Passes over the training data (≥ 1).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Examples per minibatch (≥ 1; the last batch of an epoch may be smaller).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The optimizer and its learning rate, e.g. <c>Optim.Sgd(0.1, momentum: 0.9)</c> or <c>Optim.Adam(1e-3)</c>.</summary>
    public Optim Optimizer { get; init; } = Optim.Sgd(0.1);

    /// <summary>A learning-rate schedule stepped once per epoch, e.g. <c>Scheduler.Cosine(tMax: 20)</c>; none by default.</summary>
    public Scheduler? Scheduler { get; init; }

    /// <summary>λ₁ of the L1 penalty λ₁·Σ|w| added to the loss (weights only: parameters with ≥ 2 dimensions).</summary>
    public double L1 { get; init; }

    /// <summary>λ₂ of the L2 penalty (λ₂/2)·Σw² added to the loss (weights only), so its gradient is λ₂·w.</summary>
    public double L2 { get; init; }

    /// <summary>Rescale all gradients together so their total 2-norm is at most this (torch.nn.utils.clip_grad_norm_).</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>Clamp every gradient element to [−v, v] (torch.nn.utils.clip_grad_value_).</summary>
    public double? ClipGradValue { get; init; }

    /// <summary>Stop when the monitored metric stops improving (and restore the best weights); none by default.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>Seeds torch's generator (initialisation done here, dropout, augmentation) and the batch order.</summary>
    public int Seed { get; init; }

    /// <summary>Reshuffle the training examples every epoch (default true).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>A custom loss (output, target) → scalar mean loss; by default the task's loss (cross-entropy, BCE-with-logits, MSE).</summary>
    public Func<Tensor, Tensor, Tensor>? Loss { get; init; }

    /// <summary>Transforms each training batch's inputs (augmentation, e.g. <see cref="Augment.RandomShift"/>); not applied to validation.</summary>
    public Func<Tensor, Tensor>? Augment { get; init; }

    /// <summary>Live progress: a refreshing table in a notebook, a progress line per epoch on a console, or none.</summary>
    public Progress Progress { get; init; } = Progress.Auto;

    /// <summary>
    /// A folder for TensorBoard event files: per epoch the losses, accuracies, learning rate, gradient norm, and
    /// histograms of every weight and its gradient (read them back with <see cref="TensorBoardEvents.Read"/>); none by default.
    /// </summary>
    public string? TensorBoardDir { get; init; }

    /// <summary>Called after every epoch with its record (for custom logging or snapshots).</summary>
    public Action<EpochRecord>? OnEpochEnd { get; init; }

    /// <summary>
    /// When the loss or a gradient becomes NaN/∞: throw <see cref="TrainingDivergedException"/> (default) or, when
    /// false, stop and return the history with <see cref="History.StopReason"/> saying where it happened.
    /// </summary>
    public bool ThrowOnDivergence { get; init; } = true;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad hyperparameter.</summary>
    public void Validate()
    {
        TrainChecks.AtLeast(Epochs, 1, nameof(Epochs));
        TrainChecks.AtLeast(BatchSize, 1, nameof(BatchSize));
        if (Optimizer is null) throw new ArgumentNullException(nameof(Optimizer), "Optimizer must be set, e.g. Optim.Sgd(0.1).");
        TrainChecks.Positive(Optimizer.LearningRate, nameof(Optimizer) + ".LearningRate");
        TrainChecks.NonNegative(L1, nameof(L1));
        TrainChecks.NonNegative(L2, nameof(L2));
        if (ClipGradNorm is double n) TrainChecks.Positive(n, nameof(ClipGradNorm));
        if (ClipGradValue is double v) TrainChecks.Positive(v, nameof(ClipGradValue));
        EarlyStopping?.Validate();
        if (TensorBoardDir is not null && string.IsNullOrWhiteSpace(TensorBoardDir))
            throw new ArgumentException("TensorBoardDir must be a folder path (or null for no TensorBoard log).", nameof(TensorBoardDir));
    }
}

/// <summary>
/// An optimizer choice: its name, learning rate and how to build it over a model's parameters. Reads like the
/// torch.optim call it makes: <c>Optim.Sgd(0.1, momentum: 0.9)</c> → <c>torch.optim.SGD(parameters, 0.1, momentum: 0.9)</c>.
/// </summary>
/// <param name="Name">A readable name with the hyperparameters, for tables and legends.</param>
/// <param name="LearningRate">The (initial) learning rate.</param>
/// <param name="Create">Builds the torch optimizer over the parameters with the given learning rate.</param>
public sealed record Optim(string Name, double LearningRate, Func<IEnumerable<Parameter>, double, optim.Optimizer> Create)
{
    /// <summary>torch.optim.SGD (with optional momentum, Nesterov and weight decay).</summary>
    public static Optim Sgd(double lr, double momentum = 0, double weightDecay = 0, bool nesterov = false)
    {
        TrainChecks.Positive(lr, nameof(lr));
        TrainChecks.NonNegative(momentum, nameof(momentum));
        TrainChecks.NonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && momentum == 0)
            throw new ArgumentException("Nesterov momentum needs momentum > 0.", nameof(nesterov));
        return new(Describe("SGD", lr, ("momentum", momentum, 0), ("weight_decay", weightDecay, 0)) + (nesterov ? " nesterov" : ""),
            lr, (ps, rate) => torch.optim.SGD(ps, rate, momentum: momentum, weight_decay: weightDecay, nesterov: nesterov));
    }

    /// <summary>torch.optim.Adam (β₁, β₂, ε as in PyTorch).</summary>
    public static Optim Adam(double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    {
        TrainChecks.Positive(lr, nameof(lr));
        CheckBetas(beta1, beta2, eps);
        TrainChecks.NonNegative(weightDecay, nameof(weightDecay));
        return new(Describe("Adam", lr, ("weight_decay", weightDecay, 0)), lr,
            (ps, rate) => torch.optim.Adam(ps, rate, beta1, beta2, eps, weightDecay));
    }

    /// <summary>torch.optim.AdamW (decoupled weight decay, PyTorch's default 0.01).</summary>
    public static Optim AdamW(double lr = 1e-3, double weightDecay = 0.01, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        TrainChecks.Positive(lr, nameof(lr));
        CheckBetas(beta1, beta2, eps);
        TrainChecks.NonNegative(weightDecay, nameof(weightDecay));
        return new(Describe("AdamW", lr, ("weight_decay", weightDecay, -1)), lr,
            (ps, rate) => torch.optim.AdamW(ps, rate, beta1, beta2, eps, weightDecay));
    }

    /// <summary>torch.optim.RMSprop (α = 0.99 as in PyTorch).</summary>
    public static Optim RmsProp(double lr = 0.01, double alpha = 0.99, double momentum = 0, double eps = 1e-8)
    {
        TrainChecks.Positive(lr, nameof(lr));
        if (!(alpha >= 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha must be in [0, 1), got {alpha}.");
        TrainChecks.NonNegative(momentum, nameof(momentum));
        TrainChecks.Positive(eps, nameof(eps));
        return new(Describe("RMSprop", lr, ("momentum", momentum, 0)), lr,
            (ps, rate) => torch.optim.RMSProp(ps, rate, alpha, eps, momentum: momentum));
    }

    /// <summary>Any torch optimizer: <c>Optim.Custom("Adagrad", 0.1, (ps, lr) =&gt; torch.optim.Adagrad(ps, lr))</c>.</summary>
    public static Optim Custom(string name, double lr, Func<IEnumerable<Parameter>, double, optim.Optimizer> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        TrainChecks.Positive(lr, nameof(lr));
        return new(name, lr, create);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static void CheckBetas(double beta1, double beta2, double eps)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, $"beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, $"beta2 must be in [0, 1), got {beta2}.");
        TrainChecks.Positive(eps, nameof(eps));
    }

    private static string Describe(string name, double lr, params (string Key, double Value, double Default)[] extras)
    {
        var parts = new List<string> { "lr=" + lr.ToString("G4", CultureInfo.InvariantCulture) };
        parts.AddRange(extras.Where(e => e.Value != e.Default).Select(e => e.Key + "=" + e.Value.ToString("G4", CultureInfo.InvariantCulture)));
        return $"{name}({string.Join(", ", parts)})";
    }
}

/// <summary>
/// A learning-rate schedule, stepped once at the end of every epoch (torch.optim.lr_scheduler). The learning rate
/// of epoch e (1-based) is the schedule's value after e − 1 steps; <see cref="EpochRecord.LearningRate"/> records it.
/// </summary>
/// <param name="Name">A readable name with the hyperparameters.</param>
/// <param name="Create">Builds the torch scheduler for an optimizer and the number of epochs.</param>
public sealed record Scheduler(string Name, Func<optim.Optimizer, int, optim.lr_scheduler.LRScheduler> Create)
{
    /// <summary>StepLR: lr·γ^⌊t / stepSize⌋ after t steps.</summary>
    public static Scheduler Step(int stepSize, double gamma = 0.1)
    {
        TrainChecks.AtLeast(stepSize, 1, nameof(stepSize));
        TrainChecks.Positive(gamma, nameof(gamma));
        return new(Fmt($"StepLR(step_size={stepSize}, gamma={gamma})"), (o, _) => torch.optim.lr_scheduler.StepLR(o, stepSize, gamma));
    }

    /// <summary>MultiStepLR: multiply by γ at each milestone step.</summary>
    public static Scheduler MultiStep(IReadOnlyList<int> milestones, double gamma = 0.1)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        if (milestones.Count == 0 || milestones.Any(m => m < 1) || milestones.Zip(milestones.Skip(1)).Any(p => p.Second <= p.First))
            throw new ArgumentException($"milestones must be increasing step counts ≥ 1, got [{string.Join(", ", milestones)}].", nameof(milestones));
        TrainChecks.Positive(gamma, nameof(gamma));
        int[] ms = [.. milestones];
        return new(Fmt($"MultiStepLR(milestones=[{string.Join(", ", ms)}], gamma={gamma})"), (o, _) => torch.optim.lr_scheduler.MultiStepLR(o, ms, gamma));
    }

    /// <summary>ExponentialLR: lr·γ^t.</summary>
    public static Scheduler Exponential(double gamma)
    {
        TrainChecks.Positive(gamma, nameof(gamma));
        return new(Fmt($"ExponentialLR(gamma={gamma})"), (o, _) => torch.optim.lr_scheduler.ExponentialLR(o, gamma));
    }

    /// <summary>CosineAnnealingLR: η_min + (lr − η_min)(1 + cos(π t / T_max)) / 2; T_max defaults to the number of epochs.</summary>
    public static Scheduler Cosine(int? tMax = null, double etaMin = 0)
    {
        if (tMax is int t) TrainChecks.AtLeast(t, 1, nameof(tMax));
        TrainChecks.NonNegative(etaMin, nameof(etaMin));
        return new(Fmt($"CosineAnnealingLR(T_max={(tMax is int tm ? tm.ToString(CultureInfo.InvariantCulture) : "epochs")}, eta_min={etaMin})"),
            (o, epochs) => torch.optim.lr_scheduler.CosineAnnealingLR(o, tMax ?? epochs, etaMin));
    }

    /// <summary>LinearLR (warm-up): the factor goes linearly from <paramref name="startFactor"/> to <paramref name="endFactor"/> over <paramref name="totalIters"/> steps.</summary>
    public static Scheduler Linear(double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5)
    {
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, $"startFactor must be in (0, 1], got {startFactor}.");
        if (!(endFactor >= 0 && endFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, $"endFactor must be in [0, 1], got {endFactor}.");
        TrainChecks.AtLeast(totalIters, 1, nameof(totalIters));
        return new(Fmt($"LinearLR(start_factor={startFactor:G4}, end_factor={endFactor}, total_iters={totalIters})"),
            (o, _) => torch.optim.lr_scheduler.LinearLR(o, startFactor, endFactor, totalIters));
    }

    /// <summary>ReduceLROnPlateau: multiply by <paramref name="factor"/> after <paramref name="patience"/> epochs without improvement of the monitored loss (validation loss if there is validation data).</summary>
    public static Scheduler OnPlateau(double factor = 0.1, int patience = 10, double threshold = 1e-4, double minLr = 0)
    {
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, $"factor must be in (0, 1), got {factor}.");
        TrainChecks.AtLeast(patience, 0, nameof(patience));
        TrainChecks.NonNegative(threshold, nameof(threshold));
        TrainChecks.NonNegative(minLr, nameof(minLr));
        return new(Fmt($"ReduceLROnPlateau(factor={factor}, patience={patience})"),
            (o, _) => torch.optim.lr_scheduler.ReduceLROnPlateau(o, "min", factor, patience, threshold, min_lr: [minLr]));
    }

    /// <summary>Any torch scheduler: <c>Scheduler.Custom("OneCycle", (opt, epochs) =&gt; …)</c>.</summary>
    public static Scheduler Custom(string name, Func<optim.Optimizer, int, optim.lr_scheduler.LRScheduler> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        return new(name, create);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What early stopping and "best epoch" watch.</summary>
public enum MonitorMetric
{
    /// <summary>Validation loss (lower is better); the default when validation data is given.</summary>
    ValidationLoss,

    /// <summary>Validation accuracy (higher is better).</summary>
    ValidationAccuracy,

    /// <summary>Training loss (lower is better); the default without validation data.</summary>
    TrainLoss,
}

/// <summary>
/// Early stopping: an epoch improves when the monitored value beats the best so far by more than
/// <paramref name="MinDelta"/>; after <paramref name="Patience"/> epochs in a row without improvement training
/// stops (patience 0 stops at the first such epoch), and with <paramref name="RestoreBestWeights"/> the model ends
/// with the weights (and buffers) of the best epoch — also when training ran to the last epoch.
/// </summary>
/// <param name="Patience">Epochs without improvement tolerated (≥ 0).</param>
/// <param name="MinDelta">How much better than the best a value must be to count (≥ 0).</param>
/// <param name="RestoreBestWeights">Load the best epoch's state dict at the end.</param>
/// <param name="Monitor">What to watch; null = validation loss if there is validation data, else training loss.</param>
public sealed record EarlyStopping(int Patience, double MinDelta = 0, bool RestoreBestWeights = true, MonitorMetric? Monitor = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> for a negative patience or a negative/NaN delta.</summary>
    public void Validate()
    {
        if (Patience < 0)
            throw new ArgumentOutOfRangeException(nameof(Patience), Patience, $"EarlyStopping.Patience must be ≥ 0, got {Patience}.");
        if (!double.IsFinite(MinDelta) || MinDelta < 0)
            throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, $"EarlyStopping.MinDelta must be a finite number ≥ 0, got {MinDelta}.");
    }
}

/// <summary>How training shows its progress.</summary>
public enum Progress
{
    /// <summary>A refreshing table in a notebook kernel, a progress line per epoch elsewhere.</summary>
    Auto,

    /// <summary>Nothing (tests, batch runs).</summary>
    None,

    /// <summary>A one-line progress bar per epoch on the console.</summary>
    Console,

    /// <summary>A table of the epochs so far, updated in place (falls back to printing outside a kernel).</summary>
    Notebook,

    /// <summary>
    /// A live chart of the loss (and accuracy) curves, redrawn in place after every epoch while training runs; outside
    /// a kernel a progress line per epoch and the chart at the end.
    /// </summary>
    Chart,
}
