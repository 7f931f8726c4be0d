namespace DeepLearning.Scratch;

/// <summary>
/// A learning-rate schedule as a pure function: the lr at epoch t for a base lr (torch's closed forms).
/// Chart it with <see cref="Curve"/>; train with it through <see cref="LrScheduler"/>, which sets an optimizer's
/// lr to exactly these values, so the chart and the training run cannot disagree.
/// </summary>
/// <remarks>
/// torch 1.13 computes most schedules recursively inside <c>scheduler.step()</c> (lr ← lr·factor); the closed
/// forms here equal those values to ~1e-14 relative or better, which the tests check against torch's real schedulers.
/// </remarks>
public abstract class LrSchedule
{
    /// <summary>The learning rate at <paramref name="epoch"/> (0 = before the first scheduler step).</summary>
    public double LrAt(int epoch, double baseLr)
    {
        if (epoch < 0)
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"epoch must be ≥ 0, got {epoch}.");
        Check.Positive(baseLr, nameof(baseLr));
        return Compute(epoch, baseLr);
    }

    /// <summary>The lr at epochs 0 … <paramref name="epochs"/> − 1, for plotting.</summary>
    public double[] Curve(double baseLr, int epochs)
    {
        Check.PositiveInt(epochs, nameof(epochs));
        return [.. Enumerable.Range(0, epochs).Select(t => LrAt(t, baseLr))];
    }

    /// <summary>The schedule's formula; arguments are already checked.</summary>
    protected abstract double Compute(int epoch, double baseLr);
}

/// <summary>torch's StepLR: lr = base · γ^⌊t / stepSize⌋ (decay by γ every <c>stepSize</c> epochs).</summary>
public sealed class StepLR : LrSchedule
{
    /// <summary>Decays by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs.</summary>
    public StepLR(int stepSize, double gamma = 0.1)
    {
        Check.PositiveInt(stepSize, nameof(stepSize));
        Check.Positive(gamma, nameof(gamma));
        (StepSize, Gamma) = (stepSize, gamma);
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>Decay factor γ.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double Compute(int epoch, double baseLr) => baseLr * Math.Pow(Gamma, epoch / StepSize);
}

/// <summary>torch's ExponentialLR: lr = base · γᵗ.</summary>
public sealed class ExponentialLR : LrSchedule
{
    /// <summary>Decays by <paramref name="gamma"/> every epoch.</summary>
    public ExponentialLR(double gamma)
    {
        Check.Positive(gamma, nameof(gamma));
        Gamma = gamma;
    }

    /// <summary>Decay factor γ.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double Compute(int epoch, double baseLr) => baseLr * Math.Pow(Gamma, epoch);
}

/// <summary>
/// torch's CosineAnnealingLR: lr = η_min + (base − η_min)·(1 + cos(π·t / T_max)) / 2. Like torch, it does not
/// stop at η_min after T_max: the cosine continues, climbing back to base at 2·T_max.
/// </summary>
public sealed class CosineAnnealingLR : LrSchedule
{
    /// <summary>Anneals from base to <paramref name="etaMin"/> over <paramref name="tMax"/> epochs.</summary>
    public CosineAnnealingLR(int tMax, double etaMin = 0)
    {
        Check.PositiveInt(tMax, nameof(tMax));
        Check.NonNegative(etaMin, nameof(etaMin));
        (TMax, EtaMin) = (tMax, etaMin);
    }

    /// <summary>Half-period T_max in epochs.</summary>
    public int TMax { get; }

    /// <summary>The minimum lr η_min, reached at t = T_max.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double Compute(int epoch, double baseLr) =>
        EtaMin + ((baseLr - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2);
}

/// <summary>
/// torch's LinearLR (linear warmup or decay): lr = base · (s + (e − s)·min(t, T) / T), moving the factor from
/// <c>startFactor</c> s to <c>endFactor</c> e over <c>totalIters</c> T epochs, then holding it.
/// </summary>
public sealed class LinearLR : LrSchedule
{
    /// <summary>Creates the ramp; defaults are torch's (1/3 → 1 over 5 epochs).</summary>
    /// <param name="startFactor">Factor at epoch 0, in (0, 1] (torch's recursive form divides by it).</param>
    /// <param name="endFactor">Factor from epoch <paramref name="totalIters"/> on, in [0, 1].</param>
    /// <param name="totalIters">Length of the ramp in epochs.</param>
    public LinearLR(double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5)
    {
        if (!double.IsFinite(startFactor) || startFactor <= 0 || startFactor > 1)
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, $"startFactor must be in (0, 1], got {startFactor}.");
        Check.InRange(endFactor, 0, 1, nameof(endFactor), highInclusive: true);
        Check.PositiveInt(totalIters, nameof(totalIters));
        (StartFactor, EndFactor, TotalIters) = (startFactor, endFactor, totalIters);
    }

    /// <summary>Factor at epoch 0.</summary>
    public double StartFactor { get; }

    /// <summary>Factor at the end of the ramp.</summary>
    public double EndFactor { get; }

    /// <summary>Ramp length in epochs.</summary>
    public int TotalIters { get; }

    /// <inheritdoc/>
    protected override double Compute(int epoch, double baseLr) =>
        baseLr * (StartFactor + ((EndFactor - StartFactor) * Math.Min(TotalIters, epoch) / TotalIters));
}

/// <summary>
/// torch's SequentialLR: schedule k runs from milestone k−1 on, restarted at its own epoch 0
/// (torch calls <c>scheduler.step(0)</c> at each milestone), so lr(t) = schedule_k(t − milestone_{k−1}).
/// </summary>
public class SequentialLR : LrSchedule
{
    private readonly LrSchedule[] _schedules;
    private readonly int[] _milestones;

    /// <summary>Chains <paramref name="schedules"/>, switching at the increasing epochs <paramref name="milestones"/>.</summary>
    public SequentialLR(IReadOnlyList<LrSchedule> schedules, IReadOnlyList<int> milestones)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedules.Count == 0 || schedules.Any(s => s is null))
            throw new ArgumentException("schedules must be a non-empty list of schedules.", nameof(schedules));
        if (milestones.Count != schedules.Count - 1)
            throw new ArgumentException(
                $"SequentialLR needs one milestone fewer than schedules: {schedules.Count} schedules but {milestones.Count} milestones.", nameof(milestones));
        for (int i = 0; i < milestones.Count; i++)
            if (milestones[i] <= 0 || (i > 0 && milestones[i] <= milestones[i - 1]))
                throw new ArgumentException(
                    $"milestones must be positive and strictly increasing, got [{string.Join(", ", milestones)}].", nameof(milestones));
        _schedules = [.. schedules];
        _milestones = [.. milestones];
    }

    /// <summary>The chained schedules.</summary>
    public IReadOnlyList<LrSchedule> Schedules => _schedules;

    /// <summary>The epochs at which the next schedule takes over.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <inheritdoc/>
    protected override double Compute(int epoch, double baseLr)
    {
        int k = 0;
        while (k < _milestones.Length && epoch >= _milestones[k]) k++; // bisect_right
        int start = k == 0 ? 0 : _milestones[k - 1];
        return _schedules[k].LrAt(epoch - start, baseLr);
    }
}

/// <summary>
/// Linear warmup then cosine annealing, exactly torch's
/// <c>SequentialLR(opt, [LinearLR(opt, start_factor, total_iters=w), CosineAnnealingLR(opt, T_max, eta_min)], milestones=[w])</c>:
/// lr ramps from base·startFactor to base over <c>warmupEpochs</c> epochs, then follows the cosine from base
/// (T_max counted from the end of warmup; set it to total epochs − warmup to end at η_min).
/// </summary>
public sealed class WarmupCosine : SequentialLR
{
    /// <summary>Creates the warmup + cosine schedule.</summary>
    /// <param name="warmupEpochs">Warmup length w (the milestone), ≥ 1.</param>
    /// <param name="tMax">The cosine's T_max, counted from epoch w.</param>
    /// <param name="startFactor">First warmup factor, in (0, 1]; torch's LinearLR default 1/3.</param>
    /// <param name="etaMin">The cosine's η_min.</param>
    public WarmupCosine(int warmupEpochs, int tMax, double startFactor = 1.0 / 3, double etaMin = 0)
        : base(Build(warmupEpochs, tMax, startFactor, etaMin), [warmupEpochs])
    {
        (WarmupEpochs, TMax, StartFactor, EtaMin) = (warmupEpochs, tMax, startFactor, etaMin);
    }

    /// <summary>Warmup length w.</summary>
    public int WarmupEpochs { get; }

    /// <summary>The cosine's T_max (after warmup).</summary>
    public int TMax { get; }

    /// <summary>lr factor at epoch 0.</summary>
    public double StartFactor { get; }

    /// <summary>The cosine's η_min.</summary>
    public double EtaMin { get; }

    private static LrSchedule[] Build(int warmupEpochs, int tMax, double startFactor, double etaMin)
    {
        Check.PositiveInt(warmupEpochs, nameof(warmupEpochs));
        return [new LinearLR(startFactor, 1.0, warmupEpochs), new CosineAnnealingLR(tMax, etaMin)];
    }
}

/// <summary>
/// Drives an optimizer's lr from a schedule, as torch's scheduler objects do: construction sets the epoch-0 lr
/// (the optimizer's current lr is the base), and <see cref="Step"/> — called once per epoch, after the
/// optimizer's steps — advances to the next epoch.
/// </summary>
public sealed class LrScheduler
{
    /// <summary>Attaches <paramref name="schedule"/> to <paramref name="optimizer"/>, whose current lr becomes the base lr.</summary>
    public LrScheduler(IOptimizer optimizer, LrSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(schedule);
        (Optimizer, Schedule, BaseLr) = (optimizer, schedule, optimizer.Lr);
        Optimizer.Lr = Schedule.LrAt(0, BaseLr);
    }

    /// <summary>The optimizer whose lr is set.</summary>
    public IOptimizer Optimizer { get; }

    /// <summary>The schedule followed.</summary>
    public LrSchedule Schedule { get; }

    /// <summary>The optimizer's lr when the scheduler was attached (torch's initial_lr).</summary>
    public double BaseLr { get; }

    /// <summary>The current epoch (torch's last_epoch).</summary>
    public int Epoch { get; private set; }

    /// <summary>The lr this scheduler set last (torch's get_last_lr()).</summary>
    public double LastLr => Schedule.LrAt(Epoch, BaseLr);

    /// <summary>Moves to the next epoch and sets the optimizer's lr for it.</summary>
    public void Step()
    {
        // The lr is computed and set first, so a failure (an lr the optimizer refuses) leaves the epoch unchanged.
        int next = checked(Epoch + 1);
        Optimizer.Lr = Schedule.LrAt(next, BaseLr);
        Epoch = next;
    }
}
