using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// The packed float kernel against a plain triple loop in double, on sizes that are not multiples of the register
/// tile (6 × 2 vectors), the packing depth (256) or the tile of C (96 × 512), for every transpose combination,
/// with and without accumulation, on every kernel family this machine runs, serial and split across threads.
/// </summary>
public class GemmFloatTests
{
    // (m, n, k): random odd sizes in 1..130, plus edges chosen to cross KC = 256, MC = 96 and NC = 512 and to take
    // both the in-place and the packed route for each operand.
    public static TheoryData<int, int, int> Sizes()
    {
        var data = new TheoryData<int, int, int> { { 1, 1, 1 }, { 6, 32, 1 }, { 7, 33, 5 }, { 5, 17, 130 }, { 130, 130, 130 }, { 100, 40, 300 }, { 13, 530, 9 }, { 97, 10, 257 } };
        var rng = new Rng(2024);
        for (int i = 0; i < 12; i++)
            data.Add(1 + (int)(rng.NextDouble() * 130), 1 + (int)(rng.NextDouble() * 130), 1 + (int)(rng.NextDouble() * 130));
        return data;
    }

    public static TheoryData<string> Isas() =>
        [.. Enum.GetValues<GemmIsa>().Where(GemmFloat.Supports).Select(isa => isa.ToString())];

    [Theory, MemberData(nameof(Sizes))]
    public void Matches_a_double_triple_loop_for_every_transpose_and_accumulate(int m, int n, int k)
    {
        var rng = new Rng((ulong)((m * 1_000_003) + (n * 1009) + k));
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                foreach (bool accumulate in new[] { false, true })
                {
                    float[] a = Random(rng, m * k), b = Random(rng, k * n), c = Random(rng, m * n);
                    var (expected, bound) = Reference(a, b, accumulate ? c : null, m, n, k, transA, transB);
                    Gemm.Multiply<float>(a, b, c, m, n, k, transA, transB, accumulate);
                    AssertClose(expected, bound, c, $"{m}×{n}×{k} transA={transA} transB={transB} accumulate={accumulate}");
                }
    }

    // (40, 1100, 530) has 3 × 3 blocks of B (NC = 512 wide, KC = 256 deep) with ragged last ones, and few rows: split
    // for threads, it is cut into column tiles that each pack their own part of B, depth block after depth block.
    [Theory, MemberData(nameof(Isas))]
    public void Every_kernel_family_and_threading_gives_the_same_product(string isaName)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        var rng = new Rng(7);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (6, 16, 3), (11, 9, 40), (37, 70, 129), (130, 65, 300), (101, 600, 20), (40, 1100, 530) })
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    foreach (bool parallel in new[] { false, true })
                    {
                        float[] a = Random(rng, m * k), b = Random(rng, k * n), c = Random(rng, m * n);
                        var (expected, bound) = Reference(a, b, c, m, n, k, transA, transB);
                        GemmFloat.Multiply(a, b, c, m, n, k, transA, transB, isa, parallel);
                        AssertClose(expected, bound, c, $"{isa} parallel={parallel} {m}×{n}×{k} transA={transA} transB={transB}");
                    }
    }

    [Fact]
    public void Concurrent_callers_do_not_share_buffers()
    {
        var rng = new Rng(11);
        const int m = 150, n = 140, k = 300;
        float[] a = Random(rng, m * k), b = Random(rng, k * n);
        var (expected, bound) = Reference(a, b, null, m, n, k, false, false);
        Parallel.For(0, 8, _ =>
        {
            float[] c = new float[m * n];
            for (int r = 0; r < 3; r++)
            {
                Gemm.Multiply<float>(a, b, c, m, n, k);
                AssertClose(expected, bound, c, "concurrent");
            }
        });
    }

    [Fact]
    public void Zero_times_infinity_is_nan_as_in_blas()
    {
        float[] a = [0, 1], b = [float.PositiveInfinity, 2], c = new float[1];
        Gemm.Multiply<float>(a, b, c, 1, 1, 2);
        Assert.True(float.IsNaN(c[0]));
    }

    private static float[] Random(Rng rng, int length)
    {
        float[] x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)((2 * rng.NextDouble()) - 1);
        return x;
    }

    // The exact product in double, and for each element Σ|a·b| (+|c|): float rounding error is relative to that.
    private static (double[] Expected, double[] Bound) Reference(float[] a, float[] b, float[]? c, int m, int n, int k, bool transA, bool transB)
    {
        double[] expected = new double[m * n], bound = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = c is null ? 0 : c[(i * n) + j], abs = Math.Abs(sum);
                for (int p = 0; p < k; p++)
                {
                    double term = (double)(transA ? a[(p * m) + i] : a[(i * k) + p]) * (transB ? b[(j * k) + p] : b[(p * n) + j]);
                    sum += term;
                    abs += Math.Abs(term);
                }
                (expected[(i * n) + j], bound[(i * n) + j]) = (sum, abs);
            }
        return (expected, bound);
    }

    private static void AssertClose(double[] expected, double[] bound, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = 2e-6 * bound[i]; // ≈ 16 float ulps of the sum of magnitudes
            if (!(Math.Abs(actual[i] - expected[i]) <= allowed))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} (|Δ| = {Math.Abs(actual[i] - expected[i]):E3}, allowed {allowed:E3}).");
        }
    }
}
