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
/// <remarks>
/// The kernels are compiled fully optimized from the first call (AggressiveOptimization): a step calls each only a
/// few hundred times, and until tiering reaches its optimized code they run mostly as unoptimized code.
/// </remarks>
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardImage(float* x, float* w, float* b, float* y, in Conv2d.Geometry g, Workspace ws)
    {
        int rs = RowStride(g), ho = g.Ho, wo = g.Wo, taps = g.KH * g.KW;
        float* xp = ws.Padded(g, x);
        float* wg = ws.Weights;                 // one group's weights, [tap][Group], zeros for missing filters
        float* row = ws.Row;                    // six full 32-wide output rows before the first Wo values are kept
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
                // All twelve go to memory before any is copied out: a call (the copy) while other sums are still
                // needed would make the JIT keep every sum on the stack throughout the loop above.
                a00.Store(row); a01.Store(row + Lanes); a10.Store(row + (2 * Lanes)); a11.Store(row + (3 * Lanes));
                a20.Store(row + (4 * Lanes)); a21.Store(row + (5 * Lanes)); a30.Store(row + (6 * Lanes)); a31.Store(row + (7 * Lanes));
                a40.Store(row + (8 * Lanes)); a41.Store(row + (9 * Lanes)); a50.Store(row + (10 * Lanes)); a51.Store(row + (11 * Lanes));
                for (int f = 0; f < fs; f++)
                {
                    float bias = b == null ? 0 : b[f0 + f];
                    float* from = row + (f * 2 * Lanes), to = y + ((((f0 + f) * ho) + i) * wo);
                    if (wo < Lanes)
                    {
                        for (int j = 0; j < wo; j++) to[j] = from[j] + bias;
                        continue;
                    }
                    // Two vectors, the second ending at Wo (overlapping the first when Wo < 32): no per-value loop.
                    var add = Vector512.Create(bias);
                    (Vector512.Load(from) + add).Store(to);
                    (Vector512.Load(from + wo - Lanes) + add).Store(to + wo - Lanes);
                }
            }
        }
    }

    /// <summary>
    /// Adds ∂L/∂w of one image to the per-tap vector sums in <paramref name="ws"/> (<see cref="Workspace.Sums"/>,
    /// [F][tap] vectors of 32 partial sums); <see cref="ReduceInto"/> folds them into dw.
    /// </summary>
    /// <remarks>
    /// Two filters × five taps of one kernel row at a time, summed in 20 registers over every output row: each row
    /// costs 4 dout loads and 10 image loads for 20 FMAs, and the sums touch memory once per block, not once per row.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateWeightGradient(float* x, float* dout, in Conv2d.Geometry g, Workspace ws)
    {
        const int ds = 2 * Lanes;               // row stride of the copied dout: zero past Wo, so those lanes add nothing
        int rs = RowStride(g), ho = g.Ho, wo = g.Wo, kh = g.KH, kw = g.KW, taps = kh * kw, filters = g.F;
        float* xp = ws.Padded(g, x);
        float* dp = ws.Douts;
        for (int r = 0; r < filters * ho; r++)
            Conv2dChannels.CopyRow(dout + (r * wo), dp + (r * ds), wo);
        float* sums = ws.Sums;
        for (int f = 0; f < filters; f += 2)
        {
            bool pair = f + 1 < filters;        // an odd last filter computes a second copy of itself, not stored
            float* da = dp + (f * ho * ds), db = pair ? da + (ho * ds) : da;
            for (int p = 0; p < kh; p++)
                for (int q0 = 0; q0 < kw; q0 += 5)
                {
                    // Taps past the kernel's last column (a partial block) read the next values of the row: dropped.
                    Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
                    Vector512<float> a30 = default, a31 = default, a40 = default, a41 = default;
                    Vector512<float> b00 = default, b01 = default, b10 = default, b11 = default, b20 = default, b21 = default;
                    Vector512<float> b30 = default, b31 = default, b40 = default, b41 = default;
                    float* src = xp + (p * rs) + q0, pa = da, pb = db;
                    for (int i = 0; i < ho; i++, src += rs, pa += ds, pb += ds)
                    {
                        var da0 = Vector512.Load(pa);
                        var da1 = Vector512.Load(pa + Lanes);
                        var db0 = Vector512.Load(pb);
                        var db1 = Vector512.Load(pb + Lanes);
                        var x0 = Vector512.Load(src);
                        var x1 = Vector512.Load(src + Lanes);
                        a00 = Vector512.FusedMultiplyAdd(da0, x0, a00); a01 = Vector512.FusedMultiplyAdd(da1, x1, a01);
                        b00 = Vector512.FusedMultiplyAdd(db0, x0, b00); b01 = Vector512.FusedMultiplyAdd(db1, x1, b01);
                        x0 = Vector512.Load(src + 1);
                        x1 = Vector512.Load(src + 1 + Lanes);
                        a10 = Vector512.FusedMultiplyAdd(da0, x0, a10); a11 = Vector512.FusedMultiplyAdd(da1, x1, a11);
                        b10 = Vector512.FusedMultiplyAdd(db0, x0, b10); b11 = Vector512.FusedMultiplyAdd(db1, x1, b11);
                        x0 = Vector512.Load(src + 2);
                        x1 = Vector512.Load(src + 2 + Lanes);
                        a20 = Vector512.FusedMultiplyAdd(da0, x0, a20); a21 = Vector512.FusedMultiplyAdd(da1, x1, a21);
                        b20 = Vector512.FusedMultiplyAdd(db0, x0, b20); b21 = Vector512.FusedMultiplyAdd(db1, x1, b21);
                        x0 = Vector512.Load(src + 3);
                        x1 = Vector512.Load(src + 3 + Lanes);
                        a30 = Vector512.FusedMultiplyAdd(da0, x0, a30); a31 = Vector512.FusedMultiplyAdd(da1, x1, a31);
                        b30 = Vector512.FusedMultiplyAdd(db0, x0, b30); b31 = Vector512.FusedMultiplyAdd(db1, x1, b31);
                        x0 = Vector512.Load(src + 4);
                        x1 = Vector512.Load(src + 4 + Lanes);
                        a40 = Vector512.FusedMultiplyAdd(da0, x0, a40); a41 = Vector512.FusedMultiplyAdd(da1, x1, a41);
                        b40 = Vector512.FusedMultiplyAdd(db0, x0, b40); b41 = Vector512.FusedMultiplyAdd(db1, x1, b41);
                    }
                    int nq = Math.Min(5, kw - q0);
                    float* sa = sums + ((((f * taps) + (p * kw)) + q0) * ds), sb = sa + (taps * ds);
                    Add(sa, a00, a01);
                    if (nq > 1) Add(sa + ds, a10, a11);
                    if (nq > 2) Add(sa + (2 * ds), a20, a21);
                    if (nq > 3) Add(sa + (3 * ds), a30, a31);
                    if (nq > 4) Add(sa + (4 * ds), a40, a41);
                    if (!pair) continue;
                    Add(sb, b00, b01);
                    if (nq > 1) Add(sb + ds, b10, b11);
                    if (nq > 2) Add(sb + (2 * ds), b20, b21);
                    if (nq > 3) Add(sb + (3 * ds), b30, b31);
                    if (nq > 4) Add(sb + (4 * ds), b40, b41);
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* s, Vector512<float> lo, Vector512<float> hi)
    {
        (Vector512.Load(s) + lo).Store(s);
        (Vector512.Load(s + Lanes) + hi).Store(s + Lanes);
    }

    /// <summary>dw[f, 0, p, q] += the sum of the per-tap vectors, then clears them for the next chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        private int padded, sums, weights, douts;
        private Conv2d.Geometry last;

        public static Workspace For(in Conv2d.Geometry g)
        {
            var ws = current ??= new Workspace();
            ws.Fit(g);
            return ws;
        }

        public float* Weights => aligned + padded;

        public float* Row => aligned + padded + weights;   // 2 × Group vectors: one group's output rows

        public float* Douts => Row + (2 * Group * Lanes);   // one image's dout, rows of 32 (zeros past Wo)

        public float* Sums => Douts + douts;

        // The image, zero-padded: the border stays zero (written once per size), only the interior is copied.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public float* Padded(in Conv2d.Geometry g, float* x)
        {
            int rs = RowStride(g);
            for (int h = 0; h < g.H; h++)
                Conv2dChannels.CopyRow(x + (h * g.W), aligned + ((g.PH + h) * rs) + g.PW, g.W);
            return aligned;
        }

        private void Fit(in Conv2d.Geometry g)
        {
            // Rows past the last padded one: the loads of the last row's taps may read one vector beyond it.
            int p = RoundUp((PaddedRows(g) + 1) * RowStride(g), Lanes), wgt = RoundUp(g.KH * g.KW * Group, Lanes);
            int s = g.F * g.KH * g.KW * 2 * Lanes, d = g.F * g.Ho * 2 * Lanes;
            // The padding border and the lanes past Wo must be zero: a different geometry may have written there.
            bool sameLayout = g with { N = 0 } == last with { N = 0 };
            last = g;
            if (p == padded && wgt == weights && s <= sums && d <= douts)
            {
                if (!sameLayout)
                {
                    new Span<float>(aligned, padded).Clear();
                    new Span<float>(Douts, douts).Clear();
                }
                return;
            }
            (sums, douts) = (Math.Max(s, sums), Math.Max(d, douts));
            (padded, weights) = (p, wgt);
            storage = GC.AllocateArray<float>(padded + weights + (2 * Group * Lanes) + douts + sums + Lanes, pinned: true);   // zeroed
            aligned = (float*)(((nint)Unsafe.AsPointer(ref storage[0]) + 63) & ~(nint)63);
        }

        private static int RoundUp(int x, int m) => (x + m - 1) / m * m;
    }
}
