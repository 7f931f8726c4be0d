using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>What a batch-norm forward keeps: the normalised input and 1/√(var+eps) per channel.</summary>
public sealed record BatchNormCache<T>(NDArray<T> Xhat, NDArray<T> InvStd) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Whether the forward pass that filled this cache ran in training mode (batch statistics, which backward differentiates through).</summary>
    public bool Training { get; internal set; }
}

/// <summary>
/// Batch normalisation over channel dimension 1 of x [N, C, *] (torch.nn.BatchNorm1d/2d): each channel is
/// normalised with its mean and variance over N and all positions, then scaled by γ and shifted by β.
/// Training uses the batch statistics (biased variance, as the normalisation) and folds them into running
/// estimates (unbiased variance, as an estimate of the population); evaluation uses the running estimates.
/// The mode is state, as in PyTorch: a new batch norm trains; <see cref="Eval"/> and <see cref="Train"/> switch it.
/// </summary>
public class BatchNorm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// A batch norm over <paramref name="channels"/> channels with running mean 0 and running variance 1, and γ = 1,
    /// β = 0 unless starting values are given (copied; one per channel).
    /// </summary>
    public BatchNorm(int channels, double momentum = 0.1, double eps = 1e-5, string name = "bn", NDArray<T>? gamma = null, NDArray<T>? beta = null)
    {
        Check.PositiveInt(channels, nameof(channels));
        Check.InRange(momentum, 0, 1, nameof(momentum), highInclusive: true);
        Check.Positive(eps, nameof(eps));
        ArgumentNullException.ThrowIfNull(name);
        CheckPerChannel(gamma, channels, nameof(gamma));
        CheckPerChannel(beta, channels, nameof(beta));
        Channels = channels;
        Momentum = momentum;
        Eps = eps;
        Gamma = new Parameter<T>(name + ".weight", gamma?.Clone() ?? NDArray.Full(T.One, channels));
        Beta = new Parameter<T>(name + ".bias", beta?.Clone() ?? NDArray.Zeros<T>(channels));
        RunningMean = NDArray.Zeros<T>(channels);
        RunningVar = NDArray.Full(T.One, channels);
        (mean, var, scale, shift, slope) = (new T[channels], new T[channels], new T[channels], new T[channels], new T[channels]);
    }

    // Per-channel scratch (μ, σ², and the backward's sums and coefficients), reused so a step allocates nothing.
    private readonly T[] mean, var, scale, shift, slope;

    /// <summary>The number of channels C.</summary>
    public int Channels { get; }

    /// <summary>Weight of the newest batch in the running statistics: running = (1 − momentum)·running + momentum·batch.</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance before the square root, so a constant channel does not divide by zero.</summary>
    public double Eps { get; }

    /// <summary>The per-channel scale γ, [C].</summary>
    public Parameter<T> Gamma { get; }

    /// <summary>The per-channel shift β, [C].</summary>
    public Parameter<T> Beta { get; }

    /// <summary>Running estimate of each channel's mean, used in evaluation.</summary>
    public NDArray<T> RunningMean { get; }

    /// <summary>Running estimate of each channel's (unbiased) variance, used in evaluation.</summary>
    public NDArray<T> RunningVar { get; }

    /// <summary>γ and β, in PyTorch's state-dict order.</summary>
    public IReadOnlyList<Parameter<T>> Parameters => [Gamma, Beta];

    /// <summary>True in training mode (batch statistics, running estimates updated), false in eval mode (running estimates).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Training mode: normalise with each batch's statistics and update the running ones. Returns this batch norm.</summary>
    public BatchNorm<T> Train()
    {
        Training = true;
        return this;
    }

    /// <summary>Eval mode: normalise with the running statistics, leaving them unchanged. Returns this batch norm.</summary>
    public BatchNorm<T> Eval()
    {
        Training = false;
        return this;
    }

    /// <summary>Sets the gradients of γ and β to zero.</summary>
    public void ZeroGrad()
    {
        Gamma.ZeroGrad();
        Beta.ZeroGrad();
    }

    /// <summary>out = γ·xhat + β with xhat = (x − μ)/√(σ² + eps); in training mode also updates the running statistics.</summary>
    public (NDArray<T> Out, BatchNormCache<T> Cache) Forward(NDArray<T> x)
    {
        CheckInput(x, Training);
        var y = x.ZerosLike();
        var cache = NewCache(x.Shape);
        ForwardInto(x, y, cache);
        return (y, cache);
    }

    /// <summary>A cache with buffers for inputs of shape <paramref name="shape"/>, for the allocation-free <see cref="ForwardInto"/>.</summary>
    public BatchNormCache<T> NewCache(int[] shape) => new(new NDArray<T>(shape), new NDArray<T>([Channels]));

    /// <summary>
    /// <see cref="Forward"/> into caller-owned arrays, allocating nothing: y, cache.Xhat and cache.InvStd are
    /// overwritten, in the current mode (recorded in the cache). Make the cache once with <see cref="NewCache"/> and reuse it.
    /// </summary>
    public void ForwardInto(NDArray<T> x, NDArray<T> y, BatchNormCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        CheckInput(x, Training);
        Check.SameShape(x, nameof(x), y, nameof(y));
        Check.SameShape(x, nameof(x), cache.Xhat, "cache.Xhat");
        Check.Rank(cache.InvStd, 1, "cache.InvStd", "one value per channel");
        if (cache.InvStd.Length != Channels)
            throw new ArgumentException($"cache.InvStd has shape {Shapes.Format(cache.InvStd.Shape)} but this batch norm has {Channels} channels.", nameof(cache));
        cache.Training = Training;
        int n = x.Dim(0), s = x.Length / (n * Channels), m = n * s;
        T mT = T.CreateChecked(m), eps = T.CreateChecked(Eps), mom = T.CreateChecked(Momentum);
        Span<T> mu = mean, variance = var, invStd = cache.InvStd.Span, gamma = Gamma.Value.Span, beta = Beta.Value.Span;
        var xhat = cache.Xhat;

        // Each pass below has two forms. With positions (S > 1) example i's channel c is a contiguous run of S
        // values (Run); without (BatchNorm1d on [N, C]) runs would be single values, so the pass works on example
        // i's whole row of C channels (Row) elementwise against the per-channel arrays instead.
        if (cache.Training)
        {
            // μ = Σx/m
            mu.Clear();
            for (int i = 0; i < n; i++)
            {
                if (s == 1) TensorPrimitives.Add(mu, Row(x, i), mu);
                else for (int c = 0; c < Channels; c++) mu[c] += TensorPrimitives.Sum<T>(Run(x, i, c, s));
            }
            TensorPrimitives.Divide(mu, mT, mu);

            // σ² = Σ(x − μ)²/m, biased: the batch's own spread is what gets normalised away. The centred values
            // x − μ are kept in xhat, which the normalisation below scales in place.
            variance.Clear();
            for (int i = 0; i < n; i++)
            {
                if (s == 1)
                {
                    TensorPrimitives.Subtract(Row(x, i), mu, Row(xhat, i));
                    TensorPrimitives.MultiplyAdd(Row(xhat, i), Row(xhat, i), variance, variance);
                    continue;
                }
                for (int c = 0; c < Channels; c++)
                {
                    TensorPrimitives.Subtract(Run(x, i, c, s), mu[c], Run(xhat, i, c, s));
                    variance[c] += TensorPrimitives.Dot<T>(Run(xhat, i, c, s), Run(xhat, i, c, s));
                }
            }
            TensorPrimitives.Divide(variance, mT, variance);

            for (int c = 0; c < Channels; c++)
            {
                RunningMean[c] = ((T.One - mom) * RunningMean[c]) + (mom * mu[c]);
                RunningVar[c] = ((T.One - mom) * RunningVar[c]) + (mom * variance[c] * mT / (mT - T.One)); // unbiased
            }
        }
        else
        {
            RunningMean.Span.CopyTo(mu);
            RunningVar.Span.CopyTo(variance);
            for (int i = 0; i < n; i++)
            {
                if (s == 1) TensorPrimitives.Subtract(Row(x, i), mu, Row(xhat, i));
                else for (int c = 0; c < Channels; c++) TensorPrimitives.Subtract(Run(x, i, c, s), mu[c], Run(xhat, i, c, s));
            }
        }

        // xhat = (x − μ)·σ⁻¹ with σ⁻¹ = 1/√(σ² + eps); y = γ·xhat + β
        TensorPrimitives.Add(variance, eps, invStd);
        TensorPrimitives.ReciprocalSqrt<T>(invStd, invStd);
        for (int i = 0; i < n; i++)
        {
            if (s == 1)
            {
                TensorPrimitives.Multiply(Row(xhat, i), invStd, Row(xhat, i));
                TensorPrimitives.MultiplyAdd(Row(xhat, i), gamma, beta, Row(y, i));
                continue;
            }
            for (int c = 0; c < Channels; c++)
            {
                Span<T> hs = Run(xhat, i, c, s), ys = Run(y, i, c, s);
                TensorPrimitives.Multiply(hs, invStd[c], hs);
                TensorPrimitives.Multiply(hs, gamma[c], ys);
                TensorPrimitives.Add(ys, beta[c], ys);
            }
        }
    }

    /// <summary>
    /// Adds dγ = Σ dout·xhat and dβ = Σ dout to the parameters' gradients and returns dx. In training μ and σ depend
    /// on every x, which gives dx = (1/m)·σ⁻¹·(m·dxhat − Σdxhat − xhat·Σ(dxhat·xhat)) with dxhat = γ·dout and m
    /// values per channel; in evaluation the running statistics are constants and dx = γ·σ⁻¹·dout.
    /// </summary>
    public NDArray<T> Backward(NDArray<T> dout, BatchNormCache<T> cache)
    {
        CheckBackward(dout, cache);
        var dx = dout.ZerosLike();
        BackwardInto(dout, cache, dx);
        return dx;
    }

    /// <summary><see cref="Backward"/> into a caller-owned <paramref name="dx"/>, allocating nothing.</summary>
    public void BackwardInto(NDArray<T> dout, BatchNormCache<T> cache, NDArray<T> dx)
    {
        CheckBackward(dout, cache);
        var xhat = cache.Xhat;
        Check.SameShape(dout, nameof(dout), dx, nameof(dx));
        int n = xhat.Dim(0), s = xhat.Length / (n * Channels);
        T mT = T.CreateChecked(n * s);
        Span<T> sumDout = mean, sumDoutXhat = var, k1 = scale, k2 = shift, k3 = slope, gamma = Gamma.Value.Span, invStd = cache.InvStd.Span;

        sumDout.Clear();
        sumDoutXhat.Clear();
        for (int i = 0; i < n; i++)
        {
            if (s == 1)
            {
                TensorPrimitives.Add(sumDout, Row(dout, i), sumDout);
                TensorPrimitives.MultiplyAdd(Row(dout, i), Row(xhat, i), sumDoutXhat, sumDoutXhat);
                continue;
            }
            for (int c = 0; c < Channels; c++)
            {
                sumDout[c] += TensorPrimitives.Sum<T>(Run(dout, i, c, s));
                sumDoutXhat[c] += TensorPrimitives.Dot<T>(Run(dout, i, c, s), Run(xhat, i, c, s));
            }
        }
        TensorPrimitives.Add(Gamma.Grad.Span, sumDoutXhat, Gamma.Grad.Span);
        TensorPrimitives.Add(Beta.Grad.Span, sumDout, Beta.Grad.Span);

        // The formula above, expanded per channel into dx = k1·dout + k2 + k3·xhat: k1 = γσ⁻¹, k2 = −γσ⁻¹·Σdout/m,
        // k3 = −γσ⁻¹·Σ(dout·xhat)/m (Σdxhat = γΣdout). Evaluation keeps only k1.
        TensorPrimitives.Multiply(gamma, invStd, k1);
        if (cache.Training)
        {
            TensorPrimitives.Multiply(k1, sumDout, k2);
            TensorPrimitives.Divide(k2, -mT, k2);
            TensorPrimitives.Multiply(k1, sumDoutXhat, k3);
            TensorPrimitives.Divide(k3, -mT, k3);
        }
        else
        {
            k2.Clear();
            k3.Clear();
        }
        for (int i = 0; i < n; i++)
        {
            if (s == 1)
            {
                TensorPrimitives.MultiplyAdd(Row(xhat, i), k3, k2, Row(dx, i));
                TensorPrimitives.MultiplyAdd(Row(dout, i), k1, Row(dx, i), Row(dx, i));
                continue;
            }
            for (int c = 0; c < Channels; c++)
            {
                Span<T> gs = Run(dx, i, c, s);
                TensorPrimitives.Multiply(Run(xhat, i, c, s), k3[c], gs);
                TensorPrimitives.Add(gs, k2[c], gs);
                TensorPrimitives.MultiplyAdd(Run(dout, i, c, s), k1[c], gs, gs);
            }
        }
    }

    // Example i's values in channel c (S of them, contiguous because a is [N, C, *] row-major) …
    private Span<T> Run(NDArray<T> a, int i, int c, int s) => a.Data.AsSpan(((i * Channels) + c) * s, s);

    // … and, when S = 1, example i's row of all C channels.
    private Span<T> Row(NDArray<T> a, int i) => a.Data.AsSpan(i * Channels, Channels);

    /// <summary>
    /// Throws unless <paramref name="cache"/> is a cache of this batch norm (its channels) and <paramref name="dout"/> has
    /// the forward output's shape; changes nothing, so layers built from batch norms can check a whole backward pass
    /// before any of it adds to a gradient.
    /// </summary>
    internal void CheckBackward(NDArray<T> dout, BatchNormCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        Check.NotEmpty(cache.Xhat, "cache.Xhat");
        CheckLayout(cache.Xhat);
        if (cache.Xhat.Dim(1) != Channels)
            throw new ArgumentException(
                $"cache.Xhat has shape {Shapes.Format(cache.Xhat.Shape)}, but this batch norm has {Channels} channels: the cache comes from another batch norm.", nameof(cache));
        Check.Rank(cache.InvStd, 1, "cache.InvStd", "one value per channel");
        if (cache.InvStd.Length != Channels)
            throw new ArgumentException($"cache.InvStd has shape {Shapes.Format(cache.InvStd.Shape)} but this batch norm has {Channels} channels.", nameof(cache));
        Check.SameShape(cache.Xhat, "the forward input", dout, nameof(dout));
    }

    private static void CheckPerChannel(NDArray<T>? values, int channels, string name)
    {
        if (values is null) return;
        if (values.Rank != 1 || values.Length != channels)
            throw new ArgumentException($"{name} has shape {Shapes.Format(values.Shape)} but needs one value per channel, [{channels}].", name);
    }

    private void CheckInput(NDArray<T> x, bool train)
    {
        Check.NotEmpty(x, nameof(x));
        CheckLayout(x);
        if (x.Dim(1) != Channels) // (not Check.DimEquals: its message would be built on every step)
            throw new ArgumentException(
                $"x has shape {Shapes.Format(x.Shape)}, but dimension 1 must be {Channels} (this batch norm has {Channels} channels).", nameof(x));
        if (train && x.Length / Channels <= 1)
            throw new ArgumentException(
                $"Expected more than 1 value per channel when training, got input size {Shapes.Format(x.Shape)}: a single value has no variance to normalise by.", nameof(x));
    }

    /// <summary>Throws unless x has a layout this batch norm accepts: [N, C], [N, C, L] or [N, C, H, W].</summary>
    protected virtual void CheckLayout(NDArray<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank is < 2 or > 4)
            throw new ArgumentException($"x must be [N, C], [N, C, L] or [N, C, H, W], but has shape {Shapes.Format(x.Shape)}.", nameof(x));
    }
}

/// <summary>torch.nn.BatchNorm1d: x is [N, C] (features) or [N, C, L] (sequences).</summary>
public sealed class BatchNorm1d<T>(int channels, double momentum = 0.1, double eps = 1e-5, string name = "bn",
    NDArray<T>? gamma = null, NDArray<T>? beta = null)
    : BatchNorm<T>(channels, momentum, eps, name, gamma, beta) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    protected override void CheckLayout(NDArray<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank is not (2 or 3))
            throw new ArgumentException($"BatchNorm1d expects 2-D [N, C] or 3-D [N, C, L] input, but x has shape {Shapes.Format(x.Shape)}.", nameof(x));
    }
}

/// <summary>torch.nn.BatchNorm2d: x is [N, C, H, W]; statistics per channel over N, H and W.</summary>
public sealed class BatchNorm2d<T>(int channels, double momentum = 0.1, double eps = 1e-5, string name = "bn",
    NDArray<T>? gamma = null, NDArray<T>? beta = null)
    : BatchNorm<T>(channels, momentum, eps, name, gamma, beta) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    protected override void CheckLayout(NDArray<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
            throw new ArgumentException($"BatchNorm2d expects 4-D [N, C, H, W] input, but x has shape {Shapes.Format(x.Shape)}.", nameof(x));
    }
}
