using System.Numerics;

namespace DeepLearning.Scratch;

/// <summary>What <see cref="Attention.Forward{T}"/> keeps: the inputs and the attention weights P = softmax(QKᵀ/√d).</summary>
public sealed record AttentionCache<T>(NDArray<T> Q, NDArray<T> K, NDArray<T> V, NDArray<T> Weights)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>∂L/∂Q, ∂L/∂K and ∂L/∂V of scaled dot-product attention.</summary>
public sealed record AttentionGrads<T>(NDArray<T> Dq, NDArray<T> Dk, NDArray<T> Dv) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Scaled dot-product attention, softmax(Q·Kᵀ/√d)·V, as torch.nn.functional.scaled_dot_product_attention computes it
/// for Q [N, Lq, d], K [N, Lk, d], V [N, Lk, dv]. With <c>causal</c> position i only attends to positions j ≤ i
/// (PyTorch's is_causal: a lower-triangular mask). The functional form: Backward returns one gradient per input.
/// </summary>
public static class Attention
{
    /// <summary>The output [N, Lq, dv] and a cache holding the weights [N, Lq, Lk] (each row sums to 1).</summary>
    public static (NDArray<T> Out, AttentionCache<T> Cache) Forward<T>(NDArray<T> q, NDArray<T> k, NDArray<T> v, bool causal = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, lq, lk, d, dv) = CheckInputs(q, k, v);
        q = NDArray.From(q.Data, q.Shape); // copies: the cache must not see later edits
        k = NDArray.From(k.Data, k.Shape);
        v = NDArray.From(v.Data, v.Shape);
        var p = new NDArray<T>([n, lq, lk]);
        var o = new NDArray<T>([n, lq, dv]);
        T scale = T.One / T.Sqrt(T.CreateChecked(d));
        for (int b = 0; b < n; b++)
        {
            Gemm.Multiply<T>(q.Data.AsSpan(b * lq * d, lq * d), k.Data.AsSpan(b * lk * d, lk * d), p.Data.AsSpan(b * lq * lk, lq * lk), lq, lk, d, transB: true);
            for (int i = 0; i < lq; i++)
            {
                var row = p.Data.AsSpan(((b * lq) + i) * lk, lk);
                int visible = causal ? Math.Min(i + 1, lk) : lk; // the mask: −∞ scores become weight 0
                T max = T.NegativeInfinity;
                for (int j = 0; j < visible; j++) { row[j] *= scale; max = T.Max(max, row[j]); }
                T sum = T.Zero;
                for (int j = 0; j < visible; j++) { row[j] = T.Exp(row[j] - max); sum += row[j]; }
                for (int j = 0; j < visible; j++) row[j] /= sum;
                row[visible..].Clear();
            }
            Gemm.Multiply<T>(p.Data.AsSpan(b * lq * lk, lq * lk), v.Data.AsSpan(b * lk * dv, lk * dv), o.Data.AsSpan(b * lq * dv, lq * dv), lq, dv, lk);
        }
        return (o, new AttentionCache<T>(q, k, v, p));
    }

    /// <summary>dV = Pᵀ·dO; dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)) (softmax's backward); dQ = dS·K/√d; dK = dSᵀ·Q/√d.</summary>
    public static AttentionGrads<T> Backward<T>(NDArray<T> dOut, AttentionCache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dOut);
        ArgumentNullException.ThrowIfNull(cache);
        var (q, k, v, p) = (cache.Q, cache.K, cache.V, cache.Weights);
        int n = q.Dim(0), lq = q.Dim(1), d = q.Dim(2), lk = k.Dim(1), dv = v.Dim(2);
        Check.Rank(dOut, 3, nameof(dOut), "N, Lq, dv");
        if (dOut.Dim(0) != n || dOut.Dim(1) != lq || dOut.Dim(2) != dv)
            throw new ArgumentException($"dOut has shape {Shapes.Format(dOut.Shape)} but the forward output was [{n}, {lq}, {dv}].", nameof(dOut));
        var dq = q.ZerosLike();
        var dk = k.ZerosLike();
        var dvArr = v.ZerosLike();
        var ds = new T[lq * lk];
        T scale = T.One / T.Sqrt(T.CreateChecked(d));
        for (int b = 0; b < n; b++)
        {
            var pb = p.Data.AsSpan(b * lq * lk, lq * lk);
            var dob = dOut.Data.AsSpan(b * lq * dv, lq * dv);
            Gemm.Multiply<T>(pb, dob, dvArr.Data.AsSpan(b * lk * dv, lk * dv), lk, dv, lq, transA: true); // dV = Pᵀ·dO
            Gemm.Multiply<T>(dob, v.Data.AsSpan(b * lk * dv, lk * dv), ds, lq, lk, dv, transB: true);   // dP = dO·Vᵀ
            for (int i = 0; i < lq; i++)
            {
                var pr = pb.Slice(i * lk, lk);
                var dr = ds.AsSpan(i * lk, lk);
                T dot = T.Zero;
                for (int j = 0; j < lk; j++) dot += pr[j] * dr[j];
                for (int j = 0; j < lk; j++) dr[j] = pr[j] * (dr[j] - dot) * scale; // masked entries have P = 0: no gradient
            }
            Gemm.Multiply<T>(ds, k.Data.AsSpan(b * lk * d, lk * d), dq.Data.AsSpan(b * lq * d, lq * d), lq, d, lk);             // dQ = dS·K
            Gemm.Multiply<T>(ds, q.Data.AsSpan(b * lq * d, lq * d), dk.Data.AsSpan(b * lk * d, lk * d), lk, d, lq, transA: true); // dK = dSᵀ·Q
        }
        return new AttentionGrads<T>(dq, dk, dvArr);
    }

    private static (int N, int Lq, int Lk, int D, int Dv) CheckInputs<T>(NDArray<T> q, NDArray<T> k, NDArray<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        Check.Rank(q, 3, nameof(q), "N, Lq, d");
        Check.Rank(k, 3, nameof(k), "N, Lk, d");
        Check.Rank(v, 3, nameof(v), "N, Lk, dv");
        string shapes = $"q {Shapes.Format(q.Shape)}, k {Shapes.Format(k.Shape)}, v {Shapes.Format(v.Shape)}";
        if (k.Dim(0) != q.Dim(0) || v.Dim(0) != q.Dim(0))
            throw new ArgumentException($"q, k and v must have the same batch size N ({shapes}).", nameof(k));
        if (k.Dim(2) != q.Dim(2))
            throw new ArgumentException($"k's feature size must equal q's, d, for the dot products q·k ({shapes}).", nameof(k));
        if (v.Dim(1) != k.Dim(1))
            throw new ArgumentException($"v must have one row per key, Lk = {k.Dim(1)} ({shapes}).", nameof(v));
        if (q.Dim(1) == 0 || k.Dim(1) == 0 || q.Dim(2) == 0)
            throw new ArgumentException($"attention needs at least one query, one key and one feature ({shapes}).", nameof(q));
        return (q.Dim(0), q.Dim(1), k.Dim(1), q.Dim(2), v.Dim(2));
    }
}
