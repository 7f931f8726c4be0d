using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>The scaled keep-mask of one dropout call: 0 where dropped, 1/(1−p) where kept; null in eval mode (identity).</summary>
public sealed record DropoutCache<T>(NDArray<T>? Mask) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Inverted dropout (torch.nn.functional.dropout): in training each element is zeroed with probability p and the
/// survivors are scaled by 1/(1−p), so E[out] = x and evaluation needs no rescaling — it is the identity.
/// </summary>
public static class Dropout
{
    /// <summary>out = x ⊙ mask / (1−p) with mask ~ Bernoulli(1−p) when <paramref name="train"/>; x itself otherwise.</summary>
    /// <param name="x">Any shape.</param>
    /// <param name="p">Probability of dropping an element, in [0, 1).</param>
    /// <param name="train">Training mode; in eval mode dropout does nothing.</param>
    /// <param name="rng">Draws the mask; needed only when training with p &gt; 0.</param>
    public static (NDArray<T> Out, DropoutCache<T> Cache) Forward<T>(NDArray<T> x, double p, bool train, Rng? rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        // p = 1 would drop everything and scale by 1/0; PyTorch returns zeros there, which only hides a bug.
        Check.InRange(p, 0, 1, nameof(p));
        if (!train || p == 0) return (x.Clone(), new DropoutCache<T>(null));
        ArgumentNullException.ThrowIfNull(rng);

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
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(dout);
        if (cache.Mask is null) return dout.Clone();
        Check.SameShape(cache.Mask, "the forward input", dout, nameof(dout));
        var dx = dout.ZerosLike();
        TensorPrimitives.Multiply(dout.Span, cache.Mask.Span, dx.Span);
        return dx;
    }
}
