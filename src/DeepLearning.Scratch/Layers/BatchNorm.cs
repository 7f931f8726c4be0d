using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>What a batch-norm forward keeps: the normalised input, 1/√(var+eps) per channel, and the mode it ran in.</summary>
public sealed record BatchNormCache<T>(NDArray<T> Xhat, NDArray<T> InvStd, bool Train) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Batch normalisation over channel dimension 1 of x [N, C, *] (torch.nn.BatchNorm1d/2d): each channel is
/// normalised with its mean and variance over N and all positions, then scaled by γ and shifted by β.
/// Training uses the batch statistics (biased variance, as the normalisation) and folds them into running
/// estimates (unbiased variance, as an estimate of the population); evaluation uses the running estimates.
/// </summary>
public class BatchNorm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A batch norm over <paramref name="channels"/> channels with γ = 1, β = 0, running mean 0 and running variance 1.</summary>
    public BatchNorm(int channels, double momentum = 0.1, double eps = 1e-5, string name = "bn")
    {
        Check.PositiveInt(channels, nameof(channels));
        Check.InRange(momentum, 0, 1, nameof(momentum), highInclusive: true);
        Check.Positive(eps, nameof(eps));
        Channels = channels;
        Momentum = momentum;
        Eps = eps;
        Gamma = new Parameter<T>(name + ".weight", NDArray.Full(T.One, channels));
        Beta = new Parameter<T>(name + ".bias", NDArray.Zeros<T>(channels));
        RunningMean = NDArray.Zeros<T>(channels);
        RunningVar = NDArray.Full(T.One, channels);
    }

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
    public IEnumerable<Parameter<T>> Parameters => [Gamma, Beta];

    /// <summary>out = γ·xhat + β with xhat = (x − μ)/√(σ² + eps); training also updates the running statistics.</summary>
    public (NDArray<T> Out, BatchNormCache<T> Cache) Forward(NDArray<T> x, bool train)
    {
        Check.NotEmpty(x, nameof(x));
        CheckLayout(x);
        Check.DimEquals(x, 1, Channels, nameof(x), $"this batch norm has {Channels} channels");
        int n = x.Dim(0), s = x.Length / (n * Channels), m = n * s;
        if (train && m <= 1)
            throw new ArgumentException(
                $"Expected more than 1 value per channel when training, got input size {Shapes.Format(x.Shape)}: a single value has no variance to normalise by.", nameof(x));

        var xhat = x.ZerosLike();
        var invStd = new NDArray<T>([Channels]);
        var y = x.ZerosLike();
        T mT = T.CreateChecked(m), eps = T.CreateChecked(Eps), mom = T.CreateChecked(Momentum);
        for (int c = 0; c < Channels; c++)
        {
            T mu, variance;
            if (train)
            {
                mu = T.Zero;
                for (int i = 0; i < n; i++) mu += TensorPrimitives.Sum<T>(Slice(x, i, c));
                mu /= mT;
                variance = T.Zero;
                for (int i = 0; i < n; i++)
                    foreach (T v in Slice(x, i, c)) variance += (v - mu) * (v - mu);
                variance /= mT; // biased: the batch's own spread is what gets normalised away

                RunningMean[c] = ((T.One - mom) * RunningMean[c]) + (mom * mu);
                RunningVar[c] = ((T.One - mom) * RunningVar[c]) + (mom * variance * mT / (mT - T.One)); // unbiased
            }
            else
            {
                mu = RunningMean[c];
                variance = RunningVar[c];
            }

            invStd[c] = T.One / T.Sqrt(variance + eps);
            for (int i = 0; i < n; i++)
            {
                Span<T> xs = Slice(x, i, c), xh = Slice(xhat, i, c), ys = Slice(y, i, c);
                for (int j = 0; j < s; j++)
                {
                    xh[j] = (xs[j] - mu) * invStd[c];
                    ys[j] = (Gamma.Value[c] * xh[j]) + Beta.Value[c];
                }
            }
        }
        return (y, new BatchNormCache<T>(xhat, invStd, train));
    }

    /// <summary>
    /// Adds dγ = Σ dout·xhat and dβ = Σ dout to the parameters' gradients and returns dx. In training μ and σ depend
    /// on every x, which gives dx = (1/m)·σ⁻¹·(m·dxhat − Σdxhat − xhat·Σ(dxhat·xhat)) with dxhat = γ·dout and m
    /// values per channel; in evaluation the running statistics are constants and dx = γ·σ⁻¹·dout.
    /// </summary>
    public NDArray<T> Backward(NDArray<T> dout, BatchNormCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var (xhat, invStd) = (cache.Xhat, cache.InvStd);
        Check.SameShape(xhat, "the forward input", dout, nameof(dout));
        int n = xhat.Dim(0), s = xhat.Length / (n * Channels), m = n * s;
        T mT = T.CreateChecked(m);

        var dx = dout.ZerosLike();
        for (int c = 0; c < Channels; c++)
        {
            T gamma = Gamma.Value[c], sumDout = T.Zero, sumDoutXhat = T.Zero;
            for (int i = 0; i < n; i++)
            {
                sumDout += TensorPrimitives.Sum<T>(Slice(dout, i, c));
                sumDoutXhat += TensorPrimitives.Dot<T>(Slice(dout, i, c), Slice(xhat, i, c));
            }
            Gamma.Grad[c] += sumDoutXhat;
            Beta.Grad[c] += sumDout;

            T sumDxhat = gamma * sumDout, sumDxhatXhat = gamma * sumDoutXhat;
            for (int i = 0; i < n; i++)
            {
                Span<T> d = Slice(dout, i, c), xh = Slice(xhat, i, c), g = Slice(dx, i, c);
                for (int j = 0; j < s; j++)
                {
                    T dxhat = gamma * d[j];
                    g[j] = cache.Train
                        ? invStd[c] / mT * ((mT * dxhat) - sumDxhat - (xh[j] * sumDxhatXhat))
                        : invStd[c] * dxhat;
                }
            }
        }
        return dx;
    }

    /// <summary>Throws unless x has a layout this batch norm accepts: [N, C], [N, C, L] or [N, C, H, W].</summary>
    protected virtual void CheckLayout(NDArray<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank is < 2 or > 4)
            throw new ArgumentException($"x must be [N, C], [N, C, L] or [N, C, H, W], but has shape {Shapes.Format(x.Shape)}.", nameof(x));
    }

    // The values of example i in channel c: contiguous, because x is [N, C, *] row-major.
    private Span<T> Slice(NDArray<T> a, int i, int c)
    {
        int s = a.Length / (a.Dim(0) * Channels);
        return a.Data.AsSpan(((i * Channels) + c) * s, s);
    }
}

/// <summary>torch.nn.BatchNorm1d: x is [N, C] (features) or [N, C, L] (sequences).</summary>
public sealed class BatchNorm1d<T>(int channels, double momentum = 0.1, double eps = 1e-5, string name = "bn")
    : BatchNorm<T>(channels, momentum, eps, name) where T : unmanaged, IFloatingPointIeee754<T>
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
public sealed class BatchNorm2d<T>(int channels, double momentum = 0.1, double eps = 1e-5, string name = "bn")
    : BatchNorm<T>(channels, momentum, eps, name) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    protected override void CheckLayout(NDArray<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
            throw new ArgumentException($"BatchNorm2d expects 4-D [N, C, H, W] input, but x has shape {Shapes.Format(x.Shape)}.", nameof(x));
    }
}
