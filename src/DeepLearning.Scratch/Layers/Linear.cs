using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>What <see cref="Linear.Forward{T}"/> keeps for the backward pass: the input and the weight it was multiplied by.</summary>
public sealed record LinearCache<T>(NDArray<T> X, NDArray<T> W, bool HasBias) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>∂loss/∂x, ∂loss/∂W and ∂loss/∂b of a linear layer (<see cref="Db"/> is null when there was no bias).</summary>
public sealed record LinearGrads<T>(NDArray<T> Dx, NDArray<T> Dw, NDArray<T>? Db) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// The fully-connected (affine) layer y = x·Wᵀ + b, as torch.nn.functional.linear computes it: x is [N, in],
/// W is [out, in] (PyTorch's layout), b is [out].
/// </summary>
public static class Linear
{
    /// <summary>y = x·Wᵀ + b for a batch x [N, in]; <paramref name="b"/> may be null (no bias).</summary>
    public static (NDArray<T> Out, LinearCache<T> Cache) Forward<T>(NDArray<T> x, NDArray<T> w, NDArray<T>? b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Rank(x, 2, nameof(x), "N, in_features");
        Check.Rank(w, 2, nameof(w), "out_features, in_features");
        int n = x.Dim(0), inF = w.Dim(1), outF = w.Dim(0);
        if (x.Dim(1) != inF)
            throw new ArgumentException(
                $"x has shape {Shapes.Format(x.Shape)} but w has shape {Shapes.Format(w.Shape)}: x's last dimension must equal w's in_features ({inF}).", nameof(x));
        if (b is not null)
        {
            Check.Rank(b, 1, nameof(b), "out_features");
            Check.DimEquals(b, 0, outF, nameof(b), $"one bias per output; w has shape {Shapes.Format(w.Shape)}");
        }

        var y = new NDArray<T>([n, outF]);
        Gemm.Multiply<T>(x.Data, w.Data, y.Data, n, outF, inF, transB: true); // x·Wᵀ
        if (b is not null)
            for (int i = 0; i < n; i++) TensorPrimitives.Add(y.Row(i), b.Span, y.Row(i));
        return (y, new LinearCache<T>(x, w, b is not null));
    }

    /// <summary>dx = dout·W, dW = doutᵀ·x, db = Σ_rows dout.</summary>
    public static LinearGrads<T> Backward<T>(NDArray<T> dout, LinearCache<T> cache)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(cache);
        var (x, w) = (cache.X, cache.W);
        int n = x.Dim(0), inF = w.Dim(1), outF = w.Dim(0);
        Check.Rank(dout, 2, nameof(dout), "N, out_features");
        if (dout.Dim(0) != n || dout.Dim(1) != outF)
            throw new ArgumentException(
                $"dout has shape {Shapes.Format(dout.Shape)} but the forward output was [{n}, {outF}].", nameof(dout));

        var dx = new NDArray<T>([n, inF]);
        Gemm.Multiply<T>(dout.Data, w.Data, dx.Data, n, inF, outF);               // dout·W
        var dw = new NDArray<T>([outF, inF]);
        Gemm.Multiply<T>(dout.Data, x.Data, dw.Data, outF, inF, n, transA: true); // doutᵀ·x
        NDArray<T>? db = null;
        if (cache.HasBias)
        {
            // Every row of the batch added the same b, so its gradient sums over rows.
            db = new NDArray<T>([outF]);
            for (int i = 0; i < n; i++) TensorPrimitives.Add(db.Span, dout.Row(i), db.Span);
        }
        return new LinearGrads<T>(dx, dw, db);
    }
}

/// <summary>
/// A linear layer that owns its parameters (torch.nn.Linear): W [out, in] and b [out], initialised as PyTorch does,
/// U(−1/√in, 1/√in). Backward accumulates into the parameters' gradients, like autograd.
/// </summary>
public sealed class LinearLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A layer mapping <paramref name="inFeatures"/> to <paramref name="outFeatures"/>, initialised from <paramref name="rng"/>.</summary>
    public LinearLayer(int inFeatures, int outFeatures, Rng rng, bool bias = true, string name = "linear")
    {
        Check.PositiveInt(inFeatures, nameof(inFeatures));
        Check.PositiveInt(outFeatures, nameof(outFeatures));
        ArgumentNullException.ThrowIfNull(rng);
        W = new Parameter<T>(name + ".weight", DefaultInit(rng, inFeatures, outFeatures, inFeatures));
        B = bias ? new Parameter<T>(name + ".bias", DefaultInit(rng, inFeatures, outFeatures)) : null;
    }

    /// <summary>The weight, [out, in].</summary>
    public Parameter<T> W { get; }

    /// <summary>The bias, [out], or null.</summary>
    public Parameter<T>? B { get; }

    /// <summary>W and (when present) b, in PyTorch's state-dict order.</summary>
    public IEnumerable<Parameter<T>> Parameters => B is null ? [W] : [W, B];

    /// <summary>y = x·Wᵀ + b.</summary>
    public (NDArray<T> Out, LinearCache<T> Cache) Forward(NDArray<T> x) => Linear.Forward(x, W.Value, B?.Value);

    /// <summary>Adds dW and db to the parameters' gradients and returns dx.</summary>
    public NDArray<T> Backward(NDArray<T> dout, LinearCache<T> cache)
    {
        var g = Linear.Backward(dout, cache);
        TensorPrimitives.Add(W.Grad.Span, g.Dw.Span, W.Grad.Span);
        if (B is not null && g.Db is not null) TensorPrimitives.Add(B.Grad.Span, g.Db.Span, B.Grad.Span);
        return g.Dx;
    }

    // PyTorch's default for nn.Linear: kaiming_uniform_(a=√5) on W and U(±1/√fan_in) on b both reduce to
    // U(−1/√fan_in, 1/√fan_in). TODO(lead): switch to Init.cs once it is merged.
    private static NDArray<T> DefaultInit(Rng rng, int fanIn, params int[] shape) =>
        rng.UniformArray<T>(-1 / Math.Sqrt(fanIn), 1 / Math.Sqrt(fanIn), shape);
}
