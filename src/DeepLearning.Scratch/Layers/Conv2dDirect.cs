using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepLearning.Scratch;

/// <summary>
/// Direct kernels for a first convolution layer (one input channel, stride 1, output rows at most 32 wide, float32,
/// AVX-512): LeNet's conv 5×5 1→6 on 28×28 digits. With one channel, im2col copies every pixel kH·kW = 25 times to
/// feed a GEMM of depth 25 — more copying than arithmetic. Here each output row is two 16-float vectors computed
/// straight from a zero-padded copy of the image: for every kernel tap (p, q), one shifted row of the image times
/// six filters' weights, twelve FMAs per two loads, nothing materialised. ∂L/∂w is the same picture read backwards
/// (a correlation of dout with the shifted image), summed into per-tap vectors and reduced once per chunk of images.
/// The im2col path stays the reference (the tests turn this one off and compare) and handles every other shape.
/// </summary>
internal static unsafe class Conv2dDirect
{
    private const int Lanes = 16;      // floats per Vector512
    private const int Group = 6;       // filters per pass: 6 × 2 accumulators + 2 inputs + 1 weight fit the 32 registers

    /// <summary>Tests set this to false to compare the direct kernels with the im2col path.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>True when the direct kernels handle this convolution.</summary>
    public static bool Applies<T>(in Conv2d.Geometry g) =>
        Enabled && typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated
        && g.C == 1 && g.SH == 1 && g.SW == 1 && g.Wo <= 2 * Lanes && g.KW <= 2 * Lanes && g.KH <= 64;

    // The padded image: rows of RowStride floats, wide enough that the two vectors read at any tap q stay in the row.
    private static int RowStride(in Conv2d.Geometry g) => (2 * Lanes) + g.KW + Lanes - 1 - ((2 * Lanes) + g.KW - 1) % Lanes;

    private static int PaddedRows(in Conv2d.Geometry g) => g.H + (2 * g.PH);

    /// <summary>y[n] (all F planes) = conv(x[n], w) + b for one image; x and y point at that image.</summary>
    public static void ForwardImage(float* x, float* w, float* b, float* y, in Conv2d.Geometry g, Workspace ws)
    {
        int rs = RowStride(g), ho = g.Ho, wo = g.Wo, taps = g.KH * g.KW;
        float* xp = ws.Padded(g, x);
        float* wg = ws.Weights;                 // one group's weights, [tap][Group], zeros for missing filters
        float* row = ws.Row;                    // a full 32-wide output row before the first Wo values are kept
        for (int f0 = 0; f0 < g.F; f0 += Group)
        {
            int fs = Math.Min(Group, g.F - f0);
            for (int t = 0; t < taps; t++)
                for (int f = 0; f < Group; f++)
                    wg[(t * Group) + f] = f < fs ? w[((f0 + f) * taps) + t] : 0;
            for (int i = 0; i < ho; i++)
            {
                Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
                Vector512<float> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
                float* wt = wg;
                for (int p = 0; p < g.KH; p++)
                {
                    float* src = xp + ((i + p) * rs);
                    for (int q = 0; q < g.KW; q++, wt += Group)
                    {
                        var v0 = Vector512.Load(src + q);
                        var v1 = Vector512.Load(src + q + Lanes);
                        var c = Vector512.Create(wt[0]);
                        a00 = Vector512.FusedMultiplyAdd(c, v0, a00); a01 = Vector512.FusedMultiplyAdd(c, v1, a01);
                        c = Vector512.Create(wt[1]);
                        a10 = Vector512.FusedMultiplyAdd(c, v0, a10); a11 = Vector512.FusedMultiplyAdd(c, v1, a11);
                        c = Vector512.Create(wt[2]);
                        a20 = Vector512.FusedMultiplyAdd(c, v0, a20); a21 = Vector512.FusedMultiplyAdd(c, v1, a21);
                        c = Vector512.Create(wt[3]);
                        a30 = Vector512.FusedMultiplyAdd(c, v0, a30); a31 = Vector512.FusedMultiplyAdd(c, v1, a31);
                        c = Vector512.Create(wt[4]);
                        a40 = Vector512.FusedMultiplyAdd(c, v0, a40); a41 = Vector512.FusedMultiplyAdd(c, v1, a41);
                        c = Vector512.Create(wt[5]);
                        a50 = Vector512.FusedMultiplyAdd(c, v0, a50); a51 = Vector512.FusedMultiplyAdd(c, v1, a51);
                    }
                }
                Keep(a00, a01, 0); Keep(a10, a11, 1); Keep(a20, a21, 2);
                Keep(a30, a31, 3); Keep(a40, a41, 4); Keep(a50, a51, 5);

                void Keep(Vector512<float> lo, Vector512<float> hi, int f)
                {
                    if (f >= fs) return;
                    float bias = b == null ? 0 : b[f0 + f];
                    var add = Vector512.Create(bias);
                    Vector512.Store(lo + add, row);
                    Vector512.Store(hi + add, row + Lanes);
                    Buffer.MemoryCopy(row, y + ((((f0 + f) * ho) + i) * wo), wo * sizeof(float), wo * sizeof(float));
                }
            }
        }
    }

    /// <summary>
    /// Adds ∂L/∂w of one image to the per-tap vector sums in <paramref name="ws"/> (<see cref="Workspace.Sums"/>,
    /// [F][tap] vectors of 32 partial sums); <see cref="ReduceInto"/> folds them into dw.
    /// </summary>
    public static void AccumulateWeightGradient(float* x, float* dout, in Conv2d.Geometry g, Workspace ws)
    {
        int rs = RowStride(g), ho = g.Ho, wo = g.Wo, taps = g.KH * g.KW;
        float* xp = ws.Padded(g, x);
        float* d = ws.Row;                      // one dout row, zero past Wo so the padded lanes add nothing
        for (int j = wo; j < 2 * Lanes; j++) d[j] = 0;
        float* sums = ws.Sums;
        for (int f = 0; f < g.F; f++)
            for (int i = 0; i < ho; i++)
            {
                Buffer.MemoryCopy(dout + (((f * ho) + i) * wo), d, wo * sizeof(float), wo * sizeof(float));
                var d0 = Vector512.Load(d);
                var d1 = Vector512.Load(d + Lanes);
                float* s = sums + (f * taps * 2 * Lanes);
                for (int p = 0; p < g.KH; p++)
                {
                    float* src = xp + ((i + p) * rs);
                    for (int q = 0; q < g.KW; q++, s += 2 * Lanes)
                    {
                        Vector512.Store(Vector512.FusedMultiplyAdd(d0, Vector512.Load(src + q), Vector512.Load(s)), s);
                        Vector512.Store(Vector512.FusedMultiplyAdd(d1, Vector512.Load(src + q + Lanes), Vector512.Load(s + Lanes)), s + Lanes);
                    }
                }
            }
    }

    /// <summary>dw[f, 0, p, q] += the sum of the per-tap vectors, then clears them for the next chunk.</summary>
    public static void ReduceInto(Span<float> dw, in Conv2d.Geometry g, Workspace ws)
    {
        int taps = g.KH * g.KW;
        float* s = ws.Sums;
        for (int k = 0; k < g.F * taps; k++, s += 2 * Lanes)
        {
            dw[k] += Vector512.Sum(Vector512.Load(s) + Vector512.Load(s + Lanes));
            Vector512.Store(Vector512<float>.Zero, s);
            Vector512.Store(Vector512<float>.Zero, s + Lanes);
        }
    }

    /// <summary>Per-thread buffers (pinned, 64-byte aligned), grown on demand and kept, so a step allocates nothing once warm.</summary>
    internal sealed class Workspace
    {
        [ThreadStatic] private static Workspace? current;

        private float[] storage = [];
        private float* aligned;
        private int padded, sums, weights;
        private Conv2d.Geometry last;

        public static Workspace For(in Conv2d.Geometry g)
        {
            var ws = current ??= new Workspace();
            ws.Fit(g);
            return ws;
        }

        public float* Weights => aligned + padded;

        public float* Row => aligned + padded + weights;

        public float* Sums => aligned + padded + weights + (2 * Lanes);

        // The image, zero-padded: the border stays zero (written once per size), only the interior is copied.
        public float* Padded(in Conv2d.Geometry g, float* x)
        {
            int rs = RowStride(g);
            for (int h = 0; h < g.H; h++)
                Buffer.MemoryCopy(x + (h * g.W), aligned + ((g.PH + h) * rs) + g.PW, g.W * sizeof(float), g.W * sizeof(float));
            return aligned;
        }

        private void Fit(in Conv2d.Geometry g)
        {
            // Rows past the last padded one: the loads of the last row's taps may read one vector beyond it.
            int p = RoundUp((PaddedRows(g) + 1) * RowStride(g), Lanes), wgt = RoundUp(g.KH * g.KW * Group, Lanes);
            int s = g.F * g.KH * g.KW * 2 * Lanes;
            // The padding border must be zero: a different image geometry may have written there.
            bool sameLayout = g with { N = 0, F = 0 } == last with { N = 0, F = 0 };
            last = g;
            if (p == padded && wgt == weights && s <= sums)
            {
                if (!sameLayout) new Span<float>(aligned, padded).Clear();
                return;
            }
            sums = Math.Max(s, sums);
            (padded, weights) = (p, wgt);
            storage = GC.AllocateArray<float>(padded + weights + (2 * Lanes) + sums + Lanes, pinned: true);   // zeroed
            aligned = (float*)(((nint)Unsafe.AsPointer(ref storage[0]) + 63) & ~(nint)63);
        }

        private static int RoundUp(int x, int m) => (x + m - 1) / m * m;
    }
}
