using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>What <see cref="Linear.Forward{T}"/> keeps for the backward pass: the input and the weight it was multiplied by.</summary>
public sealed record LinearCache<T>(NDArray<T> X, NDArray<T> W, bool HasBias) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>∂loss/∂x, ∂loss/∂W and ∂loss/∂b of a linear layer (<see cref="Db"/> is null when there was no bias).</summary>
public sealed record LinearGrads<T>(NDArray<T> Dx, NDArray<T> Dw, NDArray<T>? Db) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// The fully-connected (affine) layer y = x·Wᵀ + b, as torch.nn.functional.linear computes it: x is [N, in],
/// W is [out, in] (PyTorch's layout), b is [out]. This is the functional form: W and b are inputs, so Backward returns
/// their gradients beside dx (CS231n's affine_backward). <see cref="LinearLayer{T}"/> owns W and b as parameters.
/// </summary>
public static class Linear
{
    /// <summary>y = x·Wᵀ + b for a batch x [N, in]; <paramref name="b"/> may be null (no bias).</summary>
    public static (NDArray<T> Out, LinearCache<T> Cache) Forward<T>(NDArray<T> x, NDArray<T> w, NDArray<T>? b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, outF) = CheckForward(x, w, b);
        var y = new NDArray<T>([n, outF]);
        ForwardInto(x, w, b, y);
        return (y, new LinearCache<T>(x, w, b is not null));
    }

    /// <summary>
    /// y = x·Wᵀ + b written into <paramref name="y"/> [N, out]: the same as <see cref="Forward{T}"/>
    /// without allocating, for training loops that reuse their buffers (the cache is x and w themselves).
    /// </summary>
    public static void ForwardInto<T>(NDArray<T> x, NDArray<T> w, NDArray<T>? b, NDArray<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, outF) = CheckForward(x, w, b);
        Check.Rank(y, 2, nameof(y), "N, out_features");
        if (y.Dim(0) != n || y.Dim(1) != outF)
            throw new ArgumentException($"y has shape {Shapes.Format(y.Shape)} but x·Wᵀ is [{n}, {outF}] (x {Shapes.Format(x.Shape)}, w {Shapes.Format(w.Shape)}).", nameof(y));
        Gemm.Multiply<T>(x.Data, w.Data, y.Data, n, outF, w.Dim(1), transB: true); // x·Wᵀ
        if (b is not null)
            for (int i = 0; i < n; i++) TensorPrimitives.Add(y.Row(i), b.Span, y.Row(i));
    }

    /// <summary>dx = dout·W, dW = doutᵀ·x, db = Σ_rows dout.</summary>
    public static LinearGrads<T> Backward<T>(NDArray<T> dout, LinearCache<T> cache)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(cache);
        var (x, w) = (cache.X, cache.W);
        var dx = x.ZerosLike();
        var dw = w.ZerosLike();
        var db = cache.HasBias ? new NDArray<T>([w.Dim(0)]) : null;
        BackwardInto(dout, x, w, dx, dw, db);
        return new LinearGrads<T>(dx, dw, db);
    }

    /// <summary>
    /// The backward pass into caller-owned arrays, allocating nothing: dx = dout·W (skipped when
    /// <paramref name="dx"/> is null, as for a first layer), dW = doutᵀ·x, db = Σ_rows dout (skipped when null).
    /// With <paramref name="accumulate"/> dW and db are added to, as autograd adds to .grad.
    /// </summary>
    public static void BackwardInto<T>(NDArray<T> dout, NDArray<T> x, NDArray<T> w, NDArray<T>? dx, NDArray<T> dw, NDArray<T>? db,
        bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, outF) = CheckForward(x, w, null);
        int inF = w.Dim(1);
        Check.Rank(dout, 2, nameof(dout), "N, out_features");
        if (dout.Dim(0) != n || dout.Dim(1) != outF)
            throw new ArgumentException(
                $"dout has shape {Shapes.Format(dout.Shape)} but the forward output was [{n}, {outF}].", nameof(dout));
        if (dx is not null) Check.SameShape(x, nameof(x), dx, nameof(dx));
        Check.SameShape(w, nameof(w), dw, nameof(dw));
        if (db is not null && (db.Rank != 1 || db.Dim(0) != outF))
            throw new ArgumentException($"db has shape {Shapes.Format(db.Shape)} but must be [{outF}], one per output.", nameof(db));

        if (dx is not null) Gemm.Multiply<T>(dout.Data, w.Data, dx.Data, n, inF, outF);       // dx = dout·W
        Gemm.Multiply<T>(dout.Data, x.Data, dw.Data, outF, inF, n, transA: true, accumulate: accumulate); // dW = doutᵀ·x
        if (db is null) return;
        // Every row of the batch added the same b, so its gradient sums over rows.
        if (!accumulate) db.Span.Clear();
        for (int i = 0; i < n; i++) TensorPrimitives.Add(db.Span, dout.Row(i), db.Span);
    }

    private static (int N, int OutF) CheckForward<T>(NDArray<T> x, NDArray<T> w, NDArray<T>? b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Rank(x, 2, nameof(x), "N, in_features");
        Check.Rank(w, 2, nameof(w), "out_features, in_features");
        int inF = w.Dim(1), outF = w.Dim(0);
        if (x.Dim(1) != inF)
            throw new ArgumentException(
                $"x has shape {Shapes.Format(x.Shape)} but w has shape {Shapes.Format(w.Shape)}: x's last dimension must equal w's in_features ({inF}).", nameof(x));
        if (b is not null)
        {
            Check.Rank(b, 1, nameof(b), "out_features");
            if (b.Dim(0) != outF) // (not Check.DimEquals: its message would be built on every call, and training calls this per step)
                throw new ArgumentException(
                    $"b has shape {Shapes.Format(b.Shape)}, but dimension 0 must be {outF} (one bias per output; w has shape {Shapes.Format(w.Shape)}).", nameof(b));
        }
        return (x.Dim(0), outF);
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
        ArgumentNullException.ThrowIfNull(name);
        W = new Parameter<T>(name + ".weight", new NDArray<T>([outFeatures, inFeatures]));
        B = bias ? new Parameter<T>(name + ".bias", new NDArray<T>([outFeatures])) : null;
        Init.LinearDefault(W.Value, B?.Value, rng);
    }

    /// <summary>The weight, [out, in].</summary>
    public Parameter<T> W { get; }

    /// <summary>The bias, [out], or null.</summary>
    public Parameter<T>? B { get; }

    /// <summary>W and (when present) b, in PyTorch's state-dict order.</summary>
    public IReadOnlyList<Parameter<T>> Parameters => B is null ? [W] : [W, B];

    /// <summary>y = x·Wᵀ + b.</summary>
    public (NDArray<T> Out, LinearCache<T> Cache) Forward(NDArray<T> x) => Linear.Forward(x, W.Value, B?.Value);

    /// <summary>Adds dW and db to the parameters' gradients and returns dx.</summary>
    public NDArray<T> Backward(NDArray<T> dout, LinearCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (!ReferenceEquals(cache.W, W.Value) || cache.HasBias != B is not null)
            throw new ArgumentException("cache was made by another linear layer (or the functional form): pass the cache this layer's Forward returned.", nameof(cache));
        var g = Linear.Backward(dout, cache); // checks and computes everything before the writes below
        TensorPrimitives.Add(W.Grad.Span, g.Dw.Span, W.Grad.Span);
        if (B is not null && g.Db is not null) TensorPrimitives.Add(B.Grad.Span, g.Db.Span, B.Grad.Span);
        return g.Dx;
    }

    /// <summary>Sets the gradients of W and b to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }
}
