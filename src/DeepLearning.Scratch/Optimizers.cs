using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>What a learning-rate schedule and a training loop need from any optimizer, whatever its precision.</summary>
public interface IOptimizer
{
    /// <summary>The learning rate the next <see cref="Step"/> uses (torch: <c>param_groups[0]["lr"]</c>).</summary>
    double Lr { get; set; }

    /// <summary>Updates every parameter from its gradient (optimizer.step()).</summary>
    void Step();

    /// <summary>Sets every gradient to zero (optimizer.zero_grad()).</summary>
    void ZeroGrad();
}

/// <summary>
/// The shared part of torch.optim's optimizers: one parameter group, a learning rate, a step counter.
/// Subclasses keep their per-parameter state (momentum buffers, moment estimates) as arrays shaped like the
/// parameters, and write <see cref="Step"/> as the algorithm box in torch's documentation reads.
/// </summary>
/// <remarks>
/// Weight decay comes in two kinds, and the difference matters for adaptive methods:
/// <list type="bullet">
/// <item><b>L2 (coupled)</b>, in <see cref="Sgd{T}"/>, <see cref="RmsProp{T}"/> and <see cref="Adam{T}"/>:
/// g ← g + λ·θ, i.e. the gradient of (λ/2)·‖θ‖² is added to the loss gradient before the update, so Adam
/// rescales it by 1/√v like any other gradient.</item>
/// <item><b>Decoupled</b>, in <see cref="AdamW{T}"/>: θ ← θ − lr·λ·θ is applied to the weights directly, outside
/// the adaptive rescaling (Loshchilov &amp; Hutter, 2019). For plain SGD the two are the same thing.</item>
/// </list>
/// Hyperparameter arithmetic (bias corrections, lr·λ) is done in double, as torch does in Python, and cast to
/// <typeparamref name="T"/> once per step; the element-wise updates run in <typeparamref name="T"/>.
/// </remarks>
public abstract class Optimizer<T> : IOptimizer where T : unmanaged, IFloatingPointIeee754<T>
{
    private double _lr;

    /// <summary>Checks and keeps the parameter list and learning rate.</summary>
    protected Optimizer(IReadOnlyList<Parameter<T>> parameters, double lr)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0)
            throw new ArgumentException("The optimizer got an empty parameter list; pass the model's parameters.", nameof(parameters));
        for (int i = 0; i < parameters.Count; i++)
            if (parameters[i] is null)
                throw new ArgumentException($"parameters[{i}] is null.", nameof(parameters));
        Check.Positive(lr, nameof(lr));
        Parameters = [.. parameters]; // a copy: the state arrays below are laid out for exactly this list
        _lr = lr;
    }

    /// <summary>The parameters this optimizer updates, in order.</summary>
    public IReadOnlyList<Parameter<T>> Parameters { get; }

    /// <summary>
    /// The learning rate of the next step. The constructor requires it &gt; 0; afterwards schedules may set any
    /// finite value ≥ 0 (cosine annealing reaches exactly 0 at T_max).
    /// </summary>
    public double Lr
    {
        get => _lr;
        set
        {
            if (!double.IsFinite(value) || value < 0)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Lr must be a finite number ≥ 0, got {value}.");
            _lr = value;
        }
    }

    /// <summary>How many steps have been taken (torch's <c>state["step"]</c>; Adam's t).</summary>
    public int StepCount { get; private set; }

    /// <summary>Takes one step: t ← t + 1, then the algorithm's update for every parameter.</summary>
    public void Step()
    {
        StepCount++;
        for (int i = 0; i < Parameters.Count; i++)
            Update(i, Parameters[i].Value.Span, Parameters[i].Grad.Span);
    }

    /// <summary>Sets every parameter's gradient to zero (torch 1.13's zero_grad(set_to_none=False)).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }

    /// <summary>Updates parameter <paramref name="index"/> in place from its gradient <paramref name="g"/>.</summary>
    protected abstract void Update(int index, Span<T> theta, ReadOnlySpan<T> g);

    /// <summary>One zero array per parameter, shaped like it (state buffers).</summary>
    protected NDArray<T>[] ZerosPerParameter() => [.. Parameters.Select(p => p.Value.ZerosLike())];

    /// <summary><paramref name="x"/> in precision <typeparamref name="T"/>.</summary>
    protected static T Cast(double x) => T.CreateChecked(x);
}

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov and L2 weight decay
/// (torch.optim.SGD, velocity form):
/// g ← g + λθ;  b₁ = g₁, b_t = μ·b_{t−1} + (1−τ)·g_t;  g ← g + μ·b (Nesterov) or g ← b;  θ ← θ − lr·g.
/// </summary>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NDArray<T>[]? _b;

    /// <summary>Creates SGD over <paramref name="parameters"/>; defaults are torch's.</summary>
    /// <param name="parameters">What to update.</param>
    /// <param name="lr">Learning rate (required, as in torch).</param>
    /// <param name="momentum">μ; 0 is plain SGD.</param>
    /// <param name="dampening">τ: the fraction of each new gradient left out of the velocity (not of the first).</param>
    /// <param name="nesterov">Look-ahead momentum g + μ·b; needs μ &gt; 0 and τ = 0.</param>
    /// <param name="weightDecay">λ of the L2 (coupled) penalty: g ← g + λθ.</param>
    public Sgd(IReadOnlyList<Parameter<T>> parameters, double lr, double momentum = 0, double dampening = 0,
        bool nesterov = false, double weightDecay = 0)
        : base(parameters, lr)
    {
        Check.NonNegative(momentum, nameof(momentum));
        Check.InRange(dampening, 0, 1, nameof(dampening), highInclusive: true);
        Check.NonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException(
                $"Nesterov momentum requires a momentum and zero dampening, got momentum = {momentum}, dampening = {dampening}.", nameof(nesterov));
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        if (momentum != 0) _b = ZerosPerParameter();
    }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>τ.</summary>
    public double Dampening { get; }

    /// <summary>Whether the step uses g + μ·b instead of b.</summary>
    public bool Nesterov { get; }

    /// <summary>λ (L2, coupled).</summary>
    public double WeightDecay { get; }

    /// <summary>The velocity b of each parameter (torch's momentum_buffer); null without momentum.</summary>
    public IReadOnlyList<NDArray<T>>? MomentumBuffers => _b;

    /// <inheritdoc/>
    protected override void Update(int index, Span<T> theta, ReadOnlySpan<T> g)
    {
        T lr = Cast(Lr), wd = Cast(WeightDecay), mu = Cast(Momentum), oneMinusTau = Cast(1 - Dampening);
        bool first = StepCount == 1; // torch starts the buffer as a copy of the first gradient: b₁ = g₁
        Span<T> b = _b is null ? default : _b[index].Span;
        for (int i = 0; i < theta.Length; i++)
        {
            T gi = g[i];
            if (WeightDecay != 0) gi += wd * theta[i];
            if (_b is not null)
            {
                b[i] = first ? gi : (mu * b[i]) + (oneMinusTau * gi);
                gi = Nesterov ? gi + (mu * b[i]) : b[i];
            }
            theta[i] -= lr * gi;
        }
    }
}

/// <summary>
/// RMSprop (torch.optim.RMSprop): v ← αv + (1−α)g²; centered: ḡ ← αḡ + (1−α)g and v̂ = v − ḡ²;
/// then θ ← θ − lr·g/(√v̂ + ε), or with momentum b ← μb + g/(√v̂ + ε), θ ← θ − lr·b. Weight decay is L2 (coupled).
/// </summary>
public sealed class RmsProp<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NDArray<T>[] _v;
    private readonly NDArray<T>[]? _gAvg, _b;

    /// <summary>Creates RMSprop over <paramref name="parameters"/>; defaults are torch's.</summary>
    /// <param name="parameters">What to update.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">Smoothing constant α of the squared-gradient average, in [0, 1).</param>
    /// <param name="eps">ε added to √v for stability, &gt; 0.</param>
    /// <param name="weightDecay">λ of the L2 (coupled) penalty: g ← g + λθ.</param>
    /// <param name="momentum">μ of the momentum buffer on the normalised step.</param>
    /// <param name="centered">Normalise by an estimate of the gradient's variance v − ḡ² instead of v.</param>
    public RmsProp(IReadOnlyList<Parameter<T>> parameters, double lr = 0.01, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(parameters, lr)
    {
        Check.InRange(alpha, 0, 1, nameof(alpha));
        Check.Positive(eps, nameof(eps));
        Check.NonNegative(weightDecay, nameof(weightDecay));
        Check.NonNegative(momentum, nameof(momentum));
        (Alpha, Eps, WeightDecay, Momentum, Centered) = (alpha, eps, weightDecay, momentum, centered);
        _v = ZerosPerParameter();
        if (centered) _gAvg = ZerosPerParameter();
        if (momentum > 0) _b = ZerosPerParameter();
    }

    /// <summary>α.</summary>
    public double Alpha { get; }

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>λ (L2, coupled).</summary>
    public double WeightDecay { get; }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>Whether the squared average is centred by the mean gradient.</summary>
    public bool Centered { get; }

    /// <summary>The running average of g² of each parameter (torch's square_avg).</summary>
    public IReadOnlyList<NDArray<T>> SquareAvg => _v;

    /// <inheritdoc/>
    protected override void Update(int index, Span<T> theta, ReadOnlySpan<T> g)
    {
        T lr = Cast(Lr), alpha = Cast(Alpha), oneMinusAlpha = Cast(1 - Alpha), eps = Cast(Eps);
        T wd = Cast(WeightDecay), mu = Cast(Momentum);
        Span<T> v = _v[index].Span;
        Span<T> gAvg = _gAvg is null ? default : _gAvg[index].Span;
        Span<T> b = _b is null ? default : _b[index].Span;
        for (int i = 0; i < theta.Length; i++)
        {
            T gi = g[i];
            if (WeightDecay != 0) gi += wd * theta[i];
            v[i] = (alpha * v[i]) + (oneMinusAlpha * gi * gi);
            T avg;
            if (Centered)
            {
                gAvg[i] = (alpha * gAvg[i]) + (oneMinusAlpha * gi);
                avg = T.Sqrt(v[i] - (gAvg[i] * gAvg[i])) + eps;
            }
            else
            {
                avg = T.Sqrt(v[i]) + eps;
            }
            if (_b is not null)
            {
                b[i] = (mu * b[i]) + (gi / avg);
                theta[i] -= lr * b[i];
            }
            else
            {
                theta[i] -= lr * (gi / avg);
            }
        }
    }
}

/// <summary>
/// Adam (torch.optim.Adam) with L2 (coupled) weight decay g ← g + λθ and optional AMSGrad:
/// m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  step_size = lr / (1 − β₁ᵗ);
/// denom = √v / √(1 − β₂ᵗ) + ε;  θ ← θ − step_size · m / denom  (AMSGrad uses v_max = max(v_max, v) for v).
/// </summary>
public class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NDArray<T>[] _m, _v;
    private readonly NDArray<T>[]? _vMax;
    private readonly bool _decoupled;

    /// <summary>Creates Adam over <paramref name="parameters"/>; defaults are torch's.</summary>
    /// <param name="parameters">What to update.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">β₁, decay of the first-moment average m, in [0, 1).</param>
    /// <param name="beta2">β₂, decay of the second-moment average v, in [0, 1).</param>
    /// <param name="eps">ε added to the bias-corrected √v, &gt; 0.</param>
    /// <param name="weightDecay">λ of the L2 (coupled) penalty: g ← g + λθ (for decoupled decay use <see cref="AdamW{T}"/>).</param>
    /// <param name="amsgrad">Normalise by the largest v seen so far (AMSGrad).</param>
    public Adam(IReadOnlyList<Parameter<T>> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: false)
    {
    }

    private protected Adam(IReadOnlyList<Parameter<T>> parameters, double lr, double beta1, double beta2,
        double eps, double weightDecay, bool amsgrad, bool decoupled)
        : base(parameters, lr)
    {
        Check.InRange(beta1, 0, 1, nameof(beta1));
        Check.InRange(beta2, 0, 1, nameof(beta2));
        Check.Positive(eps, nameof(eps));
        Check.NonNegative(weightDecay, nameof(weightDecay));
        (Beta1, Beta2, Eps, WeightDecay, AmsGrad, _decoupled) = (beta1, beta2, eps, weightDecay, amsgrad, decoupled);
        _m = ZerosPerParameter();
        _v = ZerosPerParameter();
        if (amsgrad) _vMax = ZerosPerParameter();
    }

    /// <summary>β₁.</summary>
    public double Beta1 { get; }

    /// <summary>β₂.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>λ: L2 (coupled) in Adam, decoupled in AdamW.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether AMSGrad's running maximum of v is used.</summary>
    public bool AmsGrad { get; }

    /// <summary>The first-moment estimate m of each parameter (torch's exp_avg).</summary>
    public IReadOnlyList<NDArray<T>> ExpAvg => _m;

    /// <summary>The second-moment estimate v of each parameter (torch's exp_avg_sq).</summary>
    public IReadOnlyList<NDArray<T>> ExpAvgSq => _v;

    /// <inheritdoc/>
    protected override void Update(int index, Span<T> theta, ReadOnlySpan<T> g)
    {
        // Scalars exactly as torch computes them, in double: bias corrections for step t.
        int t = StepCount;
        double biasCorrection1 = 1 - Math.Pow(Beta1, t);
        double biasCorrection2 = 1 - Math.Pow(Beta2, t);
        T stepSize = Cast(Lr / biasCorrection1), bc2Sqrt = Cast(Math.Sqrt(biasCorrection2));
        T b1 = Cast(Beta1), oneMinusB1 = Cast(1 - Beta1), b2 = Cast(Beta2), oneMinusB2 = Cast(1 - Beta2);
        T eps = Cast(Eps), wd = Cast(WeightDecay), shrink = Cast(1 - (Lr * WeightDecay));
        Span<T> m = _m[index].Span, v = _v[index].Span;
        Span<T> vMax = _vMax is null ? default : _vMax[index].Span;
        for (int i = 0; i < theta.Length; i++)
        {
            T gi = g[i];
            if (_decoupled) theta[i] *= shrink;            // AdamW: θ ← θ·(1 − lr·λ), outside the adaptive step
            else if (WeightDecay != 0) gi += wd * theta[i]; // Adam: L2 enters the gradient
            m[i] = (b1 * m[i]) + (oneMinusB1 * gi);
            v[i] = (b2 * v[i]) + (oneMinusB2 * gi * gi);
            T vHat = v[i];
            if (_vMax is not null) vHat = vMax[i] = T.Max(vMax[i], v[i]);
            T denom = (T.Sqrt(vHat) / bc2Sqrt) + eps;
            theta[i] -= stepSize * (m[i] / denom);
        }
    }
}

/// <summary>
/// AdamW (torch.optim.AdamW): Adam with DECOUPLED weight decay θ ← θ − lr·λ·θ applied before the Adam step,
/// so decay is not rescaled by 1/√v. Default λ = 1e-2, as in torch.
/// </summary>
public sealed class AdamW<T> : Adam<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates AdamW over <paramref name="parameters"/>; defaults are torch's.</summary>
    /// <param name="parameters">What to update.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">β₁, in [0, 1).</param>
    /// <param name="beta2">β₂, in [0, 1).</param>
    /// <param name="eps">ε, &gt; 0.</param>
    /// <param name="weightDecay">λ of the decoupled decay θ ← θ − lr·λ·θ.</param>
    /// <param name="amsgrad">Normalise by the largest v seen so far (AMSGrad).</param>
    public AdamW(IReadOnlyList<Parameter<T>> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: true)
    {
    }
}

/// <summary>Gradient clipping before optimizer.step() (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Rescales all gradients together so their joint p-norm is at most <paramref name="maxNorm"/>, and returns
    /// the norm before clipping. As torch: total = ‖(‖g₁‖ₚ, ‖g₂‖ₚ, …)‖ₚ (max|g| for p = ∞),
    /// clip_coef = maxNorm / (total + 1e-6), and every gradient is multiplied by it only when it is &lt; 1.
    /// </summary>
    /// <remarks>The norm is accumulated in double for accuracy in both precisions.</remarks>
    public static T ClipGradNorm<T>(IReadOnlyList<Parameter<T>> parameters, double maxNorm, double normType = 2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckParameters(parameters);
        Check.NonNegative(maxNorm, nameof(maxNorm));
        if (!(normType > 0) || double.IsNaN(normType)) // +∞ is allowed: the max norm
            throw new ArgumentOutOfRangeException(nameof(normType), normType, $"normType must be > 0 or +∞, got {normType}.");
        double total = 0;
        foreach (var p in parameters)
        {
            double norm = PNorm(p.Grad.Span, normType);
            total = double.IsPositiveInfinity(normType) ? Math.Max(total, norm) : total + Math.Pow(norm, normType);
        }
        if (!double.IsPositiveInfinity(normType)) total = Math.Pow(total, 1 / normType);
        double clipCoef = maxNorm / (total + 1e-6);
        if (!(clipCoef >= 1)) // a NaN norm poisons the gradients, as in torch (error_if_nonfinite=False)
        {
            T c = T.CreateChecked(clipCoef);
            foreach (var p in parameters)
                TensorPrimitives.Multiply(p.Grad.Span, c, p.Grad.Span);
        }
        return T.CreateChecked(total);
    }

    /// <summary>Clamps every gradient entry into [−<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    public static void ClipGradValue<T>(IReadOnlyList<Parameter<T>> parameters, double clipValue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckParameters(parameters);
        Check.NonNegative(clipValue, nameof(clipValue));
        T hi = T.CreateChecked(clipValue), lo = -hi;
        foreach (var p in parameters)
        {
            Span<T> g = p.Grad.Span;
            for (int i = 0; i < g.Length; i++) g[i] = T.Clamp(g[i], lo, hi);
        }
    }

    private static double PNorm<T>(ReadOnlySpan<T> g, double p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double acc = 0;
        foreach (T x in g)
        {
            double a = Math.Abs(double.CreateChecked(x));
            acc = double.IsPositiveInfinity(p) ? Math.Max(acc, a) : acc + (p == 2 ? a * a : Math.Pow(a, p));
        }
        return double.IsPositiveInfinity(p) ? acc : p == 2 ? Math.Sqrt(acc) : Math.Pow(acc, 1 / p);
    }

    private static void CheckParameters<T>(IReadOnlyList<Parameter<T>> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        for (int i = 0; i < parameters.Count; i++)
            if (parameters[i] is null)
                throw new ArgumentException($"parameters[{i}] is null.", nameof(parameters));
    }
}
