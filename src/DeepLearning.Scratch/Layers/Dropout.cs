using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>The scaled keep-mask of one dropout call: 0 where dropped, 1/(1−p) where kept; null when dropout was the identity (eval mode, or p = 0).</summary>
public sealed record DropoutCache<T>(NDArray<T>? Mask) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Inverted dropout (torch.nn.functional.dropout with training=True): each element is zeroed with probability p and
/// the survivors are scaled by 1/(1−p), so E[out] = x and evaluation needs no rescaling — it is the identity, which
/// <see cref="DropoutLayer{T}"/> applies in eval mode.
/// </summary>
public static class Dropout
{
    /// <summary>out = x ⊙ mask / (1−p) with mask ~ Bernoulli(1−p), drawn from <paramref name="rng"/>.</summary>
    /// <param name="x">Any shape.</param>
    /// <param name="p">Probability of dropping an element, in [0, 1).</param>
    /// <param name="rng">Draws the mask.</param>
    public static (NDArray<T> Out, DropoutCache<T> Cache) Forward<T>(NDArray<T> x, double p, Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        // p = 1 would drop everything and scale by 1/0; PyTorch returns zeros there, which only hides a bug.
        Check.InRange(p, 0, 1, nameof(p));
        ArgumentNullException.ThrowIfNull(rng);
        if (p == 0) return (x.Clone(), new DropoutCache<T>(null));

        var mask = x.ZerosLike();
        T scale = T.One / T.CreateChecked(1 - p);
        for (int i = 0; i < mask.Length; i++)
            mask.Data[i] = rng.Bernoulli(1 - p) ? scale : T.Zero;
        var y = x.ZerosLike();
        TensorPrimitives.Multiply(x.Span, mask.Span, y.Span);
        return (y, new DropoutCache<T>(mask));
    }

    /// <summary>dx = dout ⊙ mask: only the kept elements pass gradient, scaled like their forward values.</summary>
    public static NDArray<T> Backward<T>(NDArray<T> dout, DropoutCache<T> cache)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dout);
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.Mask is null) return dout.Clone();
        Check.SameShape(cache.Mask, "the forward input", dout, nameof(dout));
        var dx = dout.ZerosLike();
        TensorPrimitives.Multiply(dout.Span, cache.Mask.Span, dx.Span);
        return dx;
    }
}

/// <summary>
/// A dropout layer with a mode (torch.nn.Dropout): in training mode (the start, as in PyTorch) it applies
/// <see cref="Dropout.Forward{T}"/> with masks from its own <see cref="Rng"/>; after <see cref="Eval"/> it is the identity.
/// </summary>
public sealed class DropoutLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Rng _rng;

    /// <summary>Drops each element with probability <paramref name="p"/> in [0, 1), masks drawn from <paramref name="rng"/>.</summary>
    public DropoutLayer(double p, Rng rng)
    {
        Check.InRange(p, 0, 1, nameof(p));
        ArgumentNullException.ThrowIfNull(rng);
        P = p;
        _rng = rng;
    }

    /// <summary>The drop probability.</summary>
    public double P { get; }

    /// <summary>True in training mode (drops), false in eval mode (identity).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Training mode: Forward drops elements. Returns this layer.</summary>
    public DropoutLayer<T> Train()
    {
        Training = true;
        return this;
    }

    /// <summary>Eval mode: Forward is the identity. Returns this layer.</summary>
    public DropoutLayer<T> Eval()
    {
        Training = false;
        return this;
    }

    /// <summary>x ⊙ mask / (1−p) in training mode; a copy of x in eval mode.</summary>
    public (NDArray<T> Out, DropoutCache<T> Cache) Forward(NDArray<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Training ? Dropout.Forward(x, P, _rng) : (x.Clone(), new DropoutCache<T>(null));
    }

    /// <summary>dx = dout ⊙ mask (dout itself, copied, after an eval-mode forward).</summary>
    public NDArray<T> Backward(NDArray<T> dout, DropoutCache<T> cache) => Dropout.Backward(dout, cache);
}
