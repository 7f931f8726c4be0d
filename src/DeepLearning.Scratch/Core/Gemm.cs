using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>
/// Matrix multiplication C = op(A)·op(B), row-major, where op is the identity or the transpose. Every dense and
/// convolution layer funnels through here, so this is the one hot loop that matters.
/// </summary>
public static class Gemm
{
    // Below this many multiply-adds (≈ 128³) a parallel loop costs more than it saves, above all when the machine
    // is busy and the pool's threads are slow to start. (The float path decides for itself, in GemmFloat.)
    private const long ParallelThreshold = 1L << 21;

    /// <summary>
    /// C[m×n] (+)= op(A)·op(B). A is [m×k] (or [k×m] when <paramref name="transA"/>), B is [k×n] (or [n×k] when
    /// <paramref name="transB"/>). With <paramref name="accumulate"/> the product is added to C.
    /// </summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k,
        bool transA = false, bool transB = false, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length < (long)m * k) throw new ArgumentException($"a has {a.Length} elements, needs {m}×{k}.", nameof(a));
        if (b.Length < (long)k * n) throw new ArgumentException($"b has {b.Length} elements, needs {k}×{n}.", nameof(b));
        if (c.Length < (long)m * n) throw new ArgumentException($"c has {c.Length} elements, needs {m}×{n}.", nameof(c));
        if (!accumulate) c[..(m * n)].Clear();
        if (m == 0 || n == 0 || k == 0) return;

        if (typeof(T) == typeof(float))
        {
            // float is what training runs in; it has a packed, register-blocked kernel (transposes happen while packing).
            GemmFloat.Multiply(
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(b),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(c), m, n, k, transA, transB);
            return;
        }
        RowByRow(a, b, c, m, n, k, transA, transB);
    }

    // The generic path (double, for gradient checks): one output row at a time. (A method of its own, so the
    // closure the parallel loop captures is not allocated on the float path.)
    private static void RowByRow<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool transA, bool transB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        unsafe
        {
            fixed (T* pa = a, pb = b, pc = c)
            {
                T* ap = pa, bp = pb, cp = pc;
                bool parallel = (long)m * n * k >= ParallelThreshold && m > 1;
                if (parallel)
                    Parallel.For(0, m, i => Row(ap, bp, cp, i, m, n, k, transA, transB));
                else
                    for (int i = 0; i < m; i++) Row(ap, bp, cp, i, m, n, k, transA, transB);
            }
        }
    }

    // One output row: C[i,:] += Σ_p op(A)[i,p] · op(B)[p,:].
    private static unsafe void Row<T>(T* a, T* b, T* c, int i, int m, int n, int k, bool transA, bool transB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var cRow = new Span<T>(c + ((long)i * n), n);
        if (transB)
        {
            // op(B)[p, j] = B[j, p]: each output is a dot product of two contiguous rows.
            for (int j = 0; j < n; j++)
            {
                var bRow = new ReadOnlySpan<T>(b + ((long)j * k), k);
                T dot;
                if (!transA)
                {
                    dot = TensorPrimitives.Dot(new ReadOnlySpan<T>(a + ((long)i * k), k), bRow);
                }
                else
                {
                    dot = T.Zero;
                    for (int p = 0; p < k; p++) dot += a[((long)p * m) + i] * bRow[p];
                }
                cRow[j] += dot;
            }
            return;
        }
        for (int p = 0; p < k; p++)
        {
            T aip = transA ? a[((long)p * m) + i] : a[((long)i * k) + p];
            if (aip == T.Zero) continue;
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(b + ((long)p * n), n), aip, cRow, cRow);
        }
    }

    /// <summary>Returns op(A)·op(B) for 2-D arrays, checking that the inner dimensions agree.</summary>
    public static NDArray<T> MatMul<T>(NDArray<T> a, NDArray<T> b, bool transA = false, bool transB = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Rank(a, 2, nameof(a));
        Check.Rank(b, 2, nameof(b));
        int m = transA ? a.Shape[1] : a.Shape[0], ka = transA ? a.Shape[0] : a.Shape[1];
        int kb = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        if (ka != kb)
            throw new ArgumentException(
                $"Inner dimensions differ: a{(transA ? "ᵀ" : "")} is {m}×{ka} (a has shape {Shapes.Format(a.Shape)}) but b{(transB ? "ᵀ" : "")} is {kb}×{n} (b has shape {Shapes.Format(b.Shape)}).", nameof(b));
        var c = new NDArray<T>([m, n]);
        Multiply<T>(a.Data, b.Data, c.Data, m, n, ka, transA, transB);
        return c;
    }
}
