using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>The float32, no-transpose GEMM used by training: C[m×n] += A[m×k]·B[k×n].</summary>
internal static class GemmFloat
{
    private const long ParallelThreshold = 1L << 18;

    public static unsafe void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            float* ap = pa, bp = pb, cp = pc;
            if ((long)m * n * k >= ParallelThreshold && m > 1)
                Parallel.For(0, m, i => Row(ap, bp, cp, i, n, k));
            else
                for (int i = 0; i < m; i++) Row(ap, bp, cp, i, n, k);
        }
    }

    // C[i,:] += Σ_p A[i,p]·B[p,:], streaming contiguous rows of B (SIMD across j).
    private static unsafe void Row(float* a, float* b, float* c, int i, int n, int k)
    {
        var cRow = new Span<float>(c + ((long)i * n), n);
        float* aRow = a + ((long)i * k);
        for (int p = 0; p < k; p++)
        {
            float aip = aRow[p];
            if (aip == 0f) continue;
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b + ((long)p * n), n), aip, cRow, cRow);
        }
    }
}
