using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepLearning.Scratch;

/// <summary>
/// Direct kernels for small multi-channel convolutions (stride 1, up to 32 filters, at most 512 weights per filter,
/// float32, AVX-512): LeNet's conv 5×5 6→16 on 14×14 maps. There im2col + GEMM multiplies [16, 150]·[150, 100] per
/// image: the copy writes six times the image, and the product is too small and oddly shaped for the GEMM's panels.
/// These kernels read a zero-padded copy of the image instead and keep their sums in registers:
/// <list type="bullet">
/// <item>forward: one vector holds 16 filters' outputs at one pixel; a block of up to 10 pixels of an output row
/// takes, per tap, one vector of 16 weights and 10 broadcast pixels (10 FMAs). The [pixel][filter] tile is then
/// transposed into the NCHW output.</item>
/// <item>∂L/∂w: the same vectors of 16 filters; a block of 10 taps sums dout (transposed to [pixel][filter]) times
/// the broadcast pixel each tap sees, over every pixel of the image; per-thread sums are folded into dw per chunk.</item>
/// <item>∂L/∂x: a full correlation of dout with the flipped filters; one vector is 16 input columns of a row, two rows
/// × 6 channels are 12 sums, and each tap (filter, p, q) is one shifted dout row per row plus 6 broadcast weights.</item>
/// </list>
/// The im2col path stays the reference (the tests turn this one off and compare) and handles every other shape.
/// The kernels and their copying helpers are compiled fully optimized from the first call, as
/// <see cref="Conv2dDirect"/>'s are: left to tiering, the image copy alone ran at unoptimized speed for the first
/// seconds and cost as much as the arithmetic.
/// </summary>
internal static unsafe class Conv2dChannels
{
    private const int Lanes = 16;   // floats per Vector512: filters per vector (forward, ∂L/∂w), columns per vector (∂L/∂x)
    private const int Block = 10;   // pixels (forward) or taps (∂L/∂w) per register block: 10 sums + operands fit 32 registers
    private const int Group = 6;    // input channels per ∂L/∂x pass: 2 rows × 6 sums + 2 dout rows + 1 weight

    /// <summary>Tests set this to false to compare the direct kernels with the im2col path.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>True when these kernels handle this convolution (one-channel inputs go to <see cref="Conv2dDirect"/>).</summary>
    public static bool Applies<T>(in Conv2d.Geometry g) =>
        Enabled && typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated
        && g.C >= 2 && g.SH == 1 && g.SW == 1 && g.F >= 8 && g.F <= 2 * Lanes && g.Ckk <= 512
        && g.H + (2 * g.PH) <= 64 && g.W + (2 * g.PW) <= 64;

    private static int FilterBlocks(in Conv2d.Geometry g) => (g.F + Lanes - 1) / Lanes;

    /// <summary>y[n] = conv(x[n], w) + b for one image; x and y point at that image, the weights were packed by <see cref="Workspace.Pack"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardImage(float* x, float* b, float* y, in Conv2d.Geometry g, Workspace ws)
    {
        int ho = g.Ho, wo = g.Wo, pixels = ho * wo, taps = g.Ckk, hp = g.H + (2 * g.PH), wp = g.W + (2 * g.PW);
        float* xp = ws.Pad(g, x);
        float* tile = ws.Tile;
        float* bb = stackalloc float[Lanes];
        for (int fb = 0; fb < FilterBlocks(g); fb++)
        {
            int f0 = fb * Lanes, fs = Math.Min(Lanes, g.F - f0);
            float* panel = ws.ForwardWeights + (fb * taps * Lanes);   // [tap][16 filters]
            var bias = Vector512<float>.Zero;
            if (b != null)
            {
                for (int f = 0; f < Lanes; f++) bb[f] = f < fs ? b[f0 + f] : 0;
                bias = Vector512.Load(bb);
            }
            for (int i = 0; i < ho; i++)
                for (int j0 = 0; j0 < wo; j0 += Block)
                {
                    // Past the row's end (a last, partial block) the sums read padding or the next row and are dropped.
                    Vector512<float> a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias, a7 = bias, a8 = bias, a9 = bias;
                    float* wt = panel;
                    for (int c = 0; c < g.C; c++)
                        for (int p = 0; p < g.KH; p++)
                        {
                            float* src = xp + (((c * hp) + i + p) * wp) + j0;
                            for (int q = 0; q < g.KW; q++, wt += Lanes, src++)
                            {
                                var v = Vector512.Load(wt);
                                a0 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[0]), a0);
                                a1 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[1]), a1);
                                a2 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[2]), a2);
                                a3 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[3]), a3);
                                a4 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[4]), a4);
                                a5 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[5]), a5);
                                a6 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[6]), a6);
                                a7 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[7]), a7);
                                a8 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[8]), a8);
                                a9 = Vector512.FusedMultiplyAdd(v, Vector512.Create(src[9]), a9);
                            }
                        }
                    // The tile has room for a whole last block, so all ten are stored and only the real pixels are read.
                    float* t = tile + (((i * wo) + j0) * Lanes);
                    a0.Store(t); a1.Store(t + Lanes); a2.Store(t + (2 * Lanes)); a3.Store(t + (3 * Lanes)); a4.Store(t + (4 * Lanes));
                    a5.Store(t + (5 * Lanes)); a6.Store(t + (6 * Lanes)); a7.Store(t + (7 * Lanes)); a8.Store(t + (8 * Lanes)); a9.Store(t + (9 * Lanes));
                }
            // [pixel][filter] → y[filter][pixel], 16 pixels at a time (the last block overlapping the one before).
            if (pixels < Lanes)
            {
                for (int f = 0; f < fs; f++)
                    for (int s = 0; s < pixels; s++) y[((f0 + f) * pixels) + s] = tile[(s * Lanes) + f];
                continue;
            }
            for (int s0 = 0; ; s0 += Lanes)
            {
                if (s0 > pixels - Lanes) s0 = pixels - Lanes;
                Transpose16(tile + (s0 * Lanes), Lanes, Lanes, y + (f0 * pixels) + s0, pixels, fs);
                if (s0 == pixels - Lanes) break;
            }
        }
    }

    /// <summary>
    /// Adds ∂L/∂w of one image to the per-thread sums (<see cref="Workspace.WeightSums"/>, [tap][16 filters] per filter
    /// block) and, when <paramref name="dx"/> is not null, writes ∂L/∂x of the image (every value: no clearing needed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardImage(float* x, float* dout, float* dx, in Conv2d.Geometry g, Workspace ws)
    {
        int pixels = g.Ho * g.Wo;
        float* xp = ws.Pad(g, x);
        for (int fb = 0; fb < FilterBlocks(g); fb++)
        {
            int f0 = fb * Lanes, fs = Math.Min(Lanes, g.F - f0);
            // dout of this filter block as [pixel][16]. Lanes past the last filter are zeros or stale values: lanes never
            // mix, so they only feed sums of filters that do not exist, which ReduceInto never reads.
            float* dt = ws.Tile;
            if (pixels < Lanes)
            {
                for (int f = 0; f < fs; f++)
                    for (int s = 0; s < pixels; s++) dt[(s * Lanes) + f] = dout[((f0 + f) * pixels) + s];
            }
            else
            {
                for (int s0 = 0; ; s0 += Lanes)
                {
                    if (s0 > pixels - Lanes) s0 = pixels - Lanes;
                    Transpose16(dout + (f0 * pixels) + s0, pixels, fs, dt + (s0 * Lanes), Lanes, Lanes);
                    if (s0 == pixels - Lanes) break;
                }
            }
            WeightGradient(xp, dt, ws.WeightSums + (fb * ws.TapsRounded * Lanes), g, ws.Offsets);
        }
        if (dx != null) InputGradient(dout, dx, g, ws);
    }

    // sums[t] += Σ over pixels of dt[pixel] · xp[pixel's patch at tap t], ten taps at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradient(float* xp, float* dt, float* sums, in Conv2d.Geometry g, int* offsets)
    {
        int ho = g.Ho, wo = g.Wo, wp = g.W + (2 * g.PW);
        for (int t0 = 0; t0 < g.Ckk; t0 += Block)
        {
            // Taps past the last (a partial block) read the image's first pixel and sum into the rounded-up tail.
            int* o = offsets + t0;
            float* s = sums + (t0 * Lanes);
            Vector512<float> a0 = Vector512.Load(s), a1 = Vector512.Load(s + Lanes), a2 = Vector512.Load(s + (2 * Lanes));
            Vector512<float> a3 = Vector512.Load(s + (3 * Lanes)), a4 = Vector512.Load(s + (4 * Lanes)), a5 = Vector512.Load(s + (5 * Lanes));
            Vector512<float> a6 = Vector512.Load(s + (6 * Lanes)), a7 = Vector512.Load(s + (7 * Lanes)), a8 = Vector512.Load(s + (8 * Lanes));
            Vector512<float> a9 = Vector512.Load(s + (9 * Lanes));
            float* p0 = xp + o[0], p1 = xp + o[1], p2 = xp + o[2], p3 = xp + o[3], p4 = xp + o[4];
            float* p5 = xp + o[5], p6 = xp + o[6], p7 = xp + o[7], p8 = xp + o[8], p9 = xp + o[9];
            float* d = dt;
            for (int i = 0; i < ho; i++)
                for (int j = 0, at = i * wp; j < wo; j++, at++, d += Lanes)
                {
                    var v = Vector512.Load(d);
                    a0 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p0[at]), a0);
                    a1 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p1[at]), a1);
                    a2 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p2[at]), a2);
                    a3 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p3[at]), a3);
                    a4 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p4[at]), a4);
                    a5 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p5[at]), a5);
                    a6 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p6[at]), a6);
                    a7 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p7[at]), a7);
                    a8 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p8[at]), a8);
                    a9 = Vector512.FusedMultiplyAdd(v, Vector512.Create(p9[at]), a9);
                }
            a0.Store(s); a1.Store(s + Lanes); a2.Store(s + (2 * Lanes)); a3.Store(s + (3 * Lanes)); a4.Store(s + (4 * Lanes));
            a5.Store(s + (5 * Lanes)); a6.Store(s + (6 * Lanes)); a7.Store(s + (7 * Lanes)); a8.Store(s + (8 * Lanes)); a9.Store(s + (9 * Lanes));
        }
    }

    // dx[c, h, v] = Σ_f,p,q w[f, c, p, q] · dout[f, h + pH − p, v + pW − q], from a copy of dout padded by kH − 1 rows
    // and kW − 1 columns of zeros on each side, so every tap is a plain shifted row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradient(float* dout, float* dx, in Conv2d.Geometry g, Workspace ws)
    {
        int filters = g.F, kh = g.KH, kw = g.KW, height = g.H, width = g.W, kk = kh * kw, ho = g.Ho;
        int rs = ws.DoutStride, plane = ws.DoutRows * rs;
        float* dp = ws.PadDout(g, dout) + ((g.PH + kh - 1) * rs) + g.PW + kw - 1;   // dout at tap (0, 0) of input (0, 0)
        float* sums = ws.Tile;   // 2 rows × 6 channels × 16 columns
        for (int c0 = 0; c0 < g.C; c0 += Group)
        {
            int cs = Math.Min(Group, g.C - c0);
            float* wg = ws.BackwardWeights + (c0 / Group * filters * kk * Group);   // [f][p][q][6 channels]
            for (int h = 0; h < height; h += 2)
                for (int v0 = 0; v0 < width; v0 += Lanes)
                {
                    Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default;
                    Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
                    // Only kernel rows p that meet a dout row (h + pH − p in [0, Ho)) for one of the two rows: the
                    // others would add the padding's zeros (near the top and bottom, up to half the taps).
                    int p0 = Math.Max(0, h + g.PH - ho + 1), p1 = Math.Min(kh, h + 1 + g.PH + 1);
                    for (int f = 0; f < filters; f++)
                        for (int p = p0; p < p1; p++)
                        {
                            float* wt = wg + ((((f * kh) + p) * kw) * Group);
                            float* src = dp + (f * plane) + ((h - p) * rs) + v0;
                            for (int q = 0; q < kw; q++, wt += Group, src--)
                            {
                                var d0 = Vector512.Load(src);
                                var d1 = Vector512.Load(src + rs);
                                var k = Vector512.Create(wt[0]);
                                a00 = Vector512.FusedMultiplyAdd(k, d0, a00); a10 = Vector512.FusedMultiplyAdd(k, d1, a10);
                                k = Vector512.Create(wt[1]);
                                a01 = Vector512.FusedMultiplyAdd(k, d0, a01); a11 = Vector512.FusedMultiplyAdd(k, d1, a11);
                                k = Vector512.Create(wt[2]);
                                a02 = Vector512.FusedMultiplyAdd(k, d0, a02); a12 = Vector512.FusedMultiplyAdd(k, d1, a12);
                                k = Vector512.Create(wt[3]);
                                a03 = Vector512.FusedMultiplyAdd(k, d0, a03); a13 = Vector512.FusedMultiplyAdd(k, d1, a13);
                                k = Vector512.Create(wt[4]);
                                a04 = Vector512.FusedMultiplyAdd(k, d0, a04); a14 = Vector512.FusedMultiplyAdd(k, d1, a14);
                                k = Vector512.Create(wt[5]);
                                a05 = Vector512.FusedMultiplyAdd(k, d0, a05); a15 = Vector512.FusedMultiplyAdd(k, d1, a15);
                            }
                        }
                    // All twelve go to memory first: a call (or a sum still needed) after one of them would make the
                    // JIT keep every sum on the stack throughout the loop above.
                    a00.Store(sums); a01.Store(sums + Lanes); a02.Store(sums + (2 * Lanes));
                    a03.Store(sums + (3 * Lanes)); a04.Store(sums + (4 * Lanes)); a05.Store(sums + (5 * Lanes));
                    a10.Store(sums + (6 * Lanes)); a11.Store(sums + (7 * Lanes)); a12.Store(sums + (8 * Lanes));
                    a13.Store(sums + (9 * Lanes)); a14.Store(sums + (10 * Lanes)); a15.Store(sums + (11 * Lanes));
                    // Only the real columns of the real rows and channels are written.
                    int n = Math.Min(Lanes, width - v0), rows = Math.Min(2, height - h);
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < cs; c++)
                        {
                            float* from = sums + (((r * Group) + c) * Lanes), to = dx + ((((c0 + c) * height) + h + r) * width) + v0;
                            if (n == Lanes) Vector512.Load(from).Store(to);
                            else for (int j = 0; j < n; j++) to[j] = from[j];
                        }
                }
        }
    }

    /// <summary>dw[f, tap] += the per-thread sums, then clears them for the next chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReduceInto(Span<float> dw, in Conv2d.Geometry g, Workspace ws)
    {
        int taps = g.Ckk;
        for (int fb = 0; fb < FilterBlocks(g); fb++)
        {
            int f0 = fb * Lanes, fs = Math.Min(Lanes, g.F - f0);
            float* s = ws.WeightSums + (fb * ws.TapsRounded * Lanes);
            for (int t = 0; t < taps; t++)
                for (int f = 0; f < fs; f++)
                    dw[((f0 + f) * taps) + t] += s[(t * Lanes) + f];
        }
        new Span<float>(ws.WeightSums, FilterBlocks(g) * ws.TapsRounded * Lanes).Clear();
    }

    /// <summary>
    /// A 16×16 transpose in registers: reads rows k &lt; <paramref name="loadRows"/> at src + k·srcStride (the others
    /// count as zero), writes rows k &lt; <paramref name="storeRows"/> at dst + k·dstStride. The kernels' [pixel][filter]
    /// tiles and NCHW planes meet here; value by value this took a third of the forward pass's time.
    /// </summary>
    /// <remarks>
    /// Four rounds of two-source permutes; round k swaps bit k of the row index with bit k of the column index, so
    /// after all four, row r column c holds what row c column r held.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose16(float* src, int srcStride, int loadRows, float* dst, int dstStride, int storeRows)
    {
        Vector512<float> r0 = Row(0), r1 = Row(1), r2 = Row(2), r3 = Row(3), r4 = Row(4), r5 = Row(5), r6 = Row(6), r7 = Row(7), r8 = Row(8), r9 = Row(9), r10 = Row(10), r11 = Row(11), r12 = Row(12), r13 = Row(13), r14 = Row(14), r15 = Row(15);
        var lo0 = Vector512.Create(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
        var hi0 = Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
        (r0, r1) = (Avx512F.PermuteVar16x32x2(r0, lo0, r1), Avx512F.PermuteVar16x32x2(r0, hi0, r1));
        (r2, r3) = (Avx512F.PermuteVar16x32x2(r2, lo0, r3), Avx512F.PermuteVar16x32x2(r2, hi0, r3));
        (r4, r5) = (Avx512F.PermuteVar16x32x2(r4, lo0, r5), Avx512F.PermuteVar16x32x2(r4, hi0, r5));
        (r6, r7) = (Avx512F.PermuteVar16x32x2(r6, lo0, r7), Avx512F.PermuteVar16x32x2(r6, hi0, r7));
        (r8, r9) = (Avx512F.PermuteVar16x32x2(r8, lo0, r9), Avx512F.PermuteVar16x32x2(r8, hi0, r9));
        (r10, r11) = (Avx512F.PermuteVar16x32x2(r10, lo0, r11), Avx512F.PermuteVar16x32x2(r10, hi0, r11));
        (r12, r13) = (Avx512F.PermuteVar16x32x2(r12, lo0, r13), Avx512F.PermuteVar16x32x2(r12, hi0, r13));
        (r14, r15) = (Avx512F.PermuteVar16x32x2(r14, lo0, r15), Avx512F.PermuteVar16x32x2(r14, hi0, r15));
        var lo1 = Vector512.Create(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
        var hi1 = Vector512.Create(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
        (r0, r2) = (Avx512F.PermuteVar16x32x2(r0, lo1, r2), Avx512F.PermuteVar16x32x2(r0, hi1, r2));
        (r1, r3) = (Avx512F.PermuteVar16x32x2(r1, lo1, r3), Avx512F.PermuteVar16x32x2(r1, hi1, r3));
        (r4, r6) = (Avx512F.PermuteVar16x32x2(r4, lo1, r6), Avx512F.PermuteVar16x32x2(r4, hi1, r6));
        (r5, r7) = (Avx512F.PermuteVar16x32x2(r5, lo1, r7), Avx512F.PermuteVar16x32x2(r5, hi1, r7));
        (r8, r10) = (Avx512F.PermuteVar16x32x2(r8, lo1, r10), Avx512F.PermuteVar16x32x2(r8, hi1, r10));
        (r9, r11) = (Avx512F.PermuteVar16x32x2(r9, lo1, r11), Avx512F.PermuteVar16x32x2(r9, hi1, r11));
        (r12, r14) = (Avx512F.PermuteVar16x32x2(r12, lo1, r14), Avx512F.PermuteVar16x32x2(r12, hi1, r14));
        (r13, r15) = (Avx512F.PermuteVar16x32x2(r13, lo1, r15), Avx512F.PermuteVar16x32x2(r13, hi1, r15));
        var lo2 = Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
        var hi2 = Vector512.Create(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
        (r0, r4) = (Avx512F.PermuteVar16x32x2(r0, lo2, r4), Avx512F.PermuteVar16x32x2(r0, hi2, r4));
        (r1, r5) = (Avx512F.PermuteVar16x32x2(r1, lo2, r5), Avx512F.PermuteVar16x32x2(r1, hi2, r5));
        (r2, r6) = (Avx512F.PermuteVar16x32x2(r2, lo2, r6), Avx512F.PermuteVar16x32x2(r2, hi2, r6));
        (r3, r7) = (Avx512F.PermuteVar16x32x2(r3, lo2, r7), Avx512F.PermuteVar16x32x2(r3, hi2, r7));
        (r8, r12) = (Avx512F.PermuteVar16x32x2(r8, lo2, r12), Avx512F.PermuteVar16x32x2(r8, hi2, r12));
        (r9, r13) = (Avx512F.PermuteVar16x32x2(r9, lo2, r13), Avx512F.PermuteVar16x32x2(r9, hi2, r13));
        (r10, r14) = (Avx512F.PermuteVar16x32x2(r10, lo2, r14), Avx512F.PermuteVar16x32x2(r10, hi2, r14));
        (r11, r15) = (Avx512F.PermuteVar16x32x2(r11, lo2, r15), Avx512F.PermuteVar16x32x2(r11, hi2, r15));
        var lo3 = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        var hi3 = Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
        (r0, r8) = (Avx512F.PermuteVar16x32x2(r0, lo3, r8), Avx512F.PermuteVar16x32x2(r0, hi3, r8));
        (r1, r9) = (Avx512F.PermuteVar16x32x2(r1, lo3, r9), Avx512F.PermuteVar16x32x2(r1, hi3, r9));
        (r2, r10) = (Avx512F.PermuteVar16x32x2(r2, lo3, r10), Avx512F.PermuteVar16x32x2(r2, hi3, r10));
        (r3, r11) = (Avx512F.PermuteVar16x32x2(r3, lo3, r11), Avx512F.PermuteVar16x32x2(r3, hi3, r11));
        (r4, r12) = (Avx512F.PermuteVar16x32x2(r4, lo3, r12), Avx512F.PermuteVar16x32x2(r4, hi3, r12));
        (r5, r13) = (Avx512F.PermuteVar16x32x2(r5, lo3, r13), Avx512F.PermuteVar16x32x2(r5, hi3, r13));
        (r6, r14) = (Avx512F.PermuteVar16x32x2(r6, lo3, r14), Avx512F.PermuteVar16x32x2(r6, hi3, r14));
        (r7, r15) = (Avx512F.PermuteVar16x32x2(r7, lo3, r15), Avx512F.PermuteVar16x32x2(r7, hi3, r15));
        if (storeRows > 0) r0.Store(dst + (0 * dstStride));
        if (storeRows > 1) r1.Store(dst + (1 * dstStride));
        if (storeRows > 2) r2.Store(dst + (2 * dstStride));
        if (storeRows > 3) r3.Store(dst + (3 * dstStride));
        if (storeRows > 4) r4.Store(dst + (4 * dstStride));
        if (storeRows > 5) r5.Store(dst + (5 * dstStride));
        if (storeRows > 6) r6.Store(dst + (6 * dstStride));
        if (storeRows > 7) r7.Store(dst + (7 * dstStride));
        if (storeRows > 8) r8.Store(dst + (8 * dstStride));
        if (storeRows > 9) r9.Store(dst + (9 * dstStride));
        if (storeRows > 10) r10.Store(dst + (10 * dstStride));
        if (storeRows > 11) r11.Store(dst + (11 * dstStride));
        if (storeRows > 12) r12.Store(dst + (12 * dstStride));
        if (storeRows > 13) r13.Store(dst + (13 * dstStride));
        if (storeRows > 14) r14.Store(dst + (14 * dstStride));
        if (storeRows > 15) r15.Store(dst + (15 * dstStride));

        Vector512<float> Row(int k) => k < loadRows ? Vector512.Load(src + (k * srcStride)) : Vector512<float>.Zero;
    }

    /// <summary>
    /// The sum of n floats (a dout plane, for db). The generic TensorPrimitives.Sum took a third of LeNet's conv2
    /// backward, called a thousand times per step on 100-value planes; this loop is a few vector adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Sum(float* p, int n)
    {
        var acc = Vector512<float>.Zero;
        int i = 0;
        for (; i <= n - Lanes; i += Lanes) acc += Vector512.Load(p + i);
        float sum = Vector512.Sum(acc);
        for (; i < n; i++) sum += p[i];
        return sum;
    }

    /// <summary>
    /// dst[0..n) = src[0..n) for the short rows the kernels copy by the hundred per image (14 or 28 values in LeNet):
    /// 8-float vectors, the last overlapping the one before, instead of a general-purpose memmove call per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyRow(float* src, float* dst, int n)
    {
        if (n < 8 || !Vector256.IsHardwareAccelerated)
        {
            for (int j = 0; j < n; j++) dst[j] = src[j];
            return;
        }
        for (int j = 0; j < n - 8; j += 8) Vector256.Load(src + j).Store(dst + j);
        Vector256.Load(src + n - 8).Store(dst + n - 8);
    }

    /// <summary>Per-thread buffers (pinned, 64-byte aligned), grown on demand and kept, so a step allocates nothing once warm.</summary>
    internal sealed class Workspace
    {
        [ThreadStatic] private static Workspace? current;

        private float[] storage = [];
        private int[] offsets = [];
        private float* aligned;
        private int padded, tile, forwardWeights, backwardWeights, weightSums, doutPadded;
        private Conv2d.Geometry last;
        private long packedCall = -1;
        private static long calls;

        /// <summary>A new number for each convolution call, so each thread packs that call's weights once (<see cref="Pack"/>).</summary>
        public static long NextCall() => Interlocked.Increment(ref calls);

        public static Workspace For(in Conv2d.Geometry g)
        {
            var ws = current ??= new Workspace();
            ws.Fit(g);
            return ws;
        }

        public float* Tile => aligned + padded;

        public float* ForwardWeights => Tile + tile;

        public float* BackwardWeights => ForwardWeights + forwardWeights;

        public float* WeightSums => BackwardWeights + backwardWeights;

        public float* DoutPadded => WeightSums + weightSums;

        public int* Offsets => (int*)Unsafe.AsPointer(ref offsets[0]);   // pinned: allocated with GC.AllocateArray(pinned)

        public int TapsRounded { get; private set; }

        public int DoutStride { get; private set; }

        public int DoutRows { get; private set; }

        // The image, zero-padded: the border stays zero (written once per layout), only the interior is copied.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public float* Pad(in Conv2d.Geometry g, float* x)
        {
            int hp = g.H + (2 * g.PH), wp = g.W + (2 * g.PW);
            for (int c = 0; c < g.C; c++)
                for (int h = 0; h < g.H; h++)
                    CopyRow(x + (((c * g.H) + h) * g.W), aligned + (((c * hp) + g.PH + h) * wp) + g.PW, g.W);
            return aligned;
        }

        // dout of one image with kH − 1 zero rows above and below and kW − 1 zero columns on the left (and more on the
        // right, for the vector reads past the last column); only the interior is copied.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public float* PadDout(in Conv2d.Geometry g, float* dout)
        {
            int ho = g.Ho, wo = g.Wo, plane = DoutRows * DoutStride;
            for (int f = 0; f < g.F; f++)
                for (int i = 0; i < ho; i++)
                    CopyRow(dout + (((f * ho) + i) * wo), DoutPadded + (f * plane) + ((g.KH - 1 + i) * DoutStride) + g.KW - 1, wo);
            return DoutPadded;
        }

        /// <summary>Packs the weights of call <paramref name="call"/> unless this thread already did (chunks of one call share them).</summary>
        public void Pack(long call, in Conv2d.Geometry g, float* w)
        {
            if (call == packedCall) return;
            PackWeights(g, w);
            packedCall = call;
        }

        /// <summary>
        /// Packs w [F, C, kH, kW] into the forward panels ([tap][16 filters], zeros past the last filter) and the
        /// ∂L/∂x layout ([channel group][f][p][q][6 channels]): a few thousand floats, once per call on each thread.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PackWeights(in Conv2d.Geometry g, float* w)
        {
            int taps = g.Ckk, kk = g.KH * g.KW;
            for (int fb = 0; fb < FilterBlocks(g); fb++)
                for (int t = 0; t < taps; t++)
                    for (int f = 0; f < Lanes; f++)
                    {
                        int ff = (fb * Lanes) + f;
                        ForwardWeights[(((fb * taps) + t) * Lanes) + f] = ff < g.F ? w[(ff * taps) + t] : 0;
                    }
            for (int c0 = 0; c0 < g.C; c0 += Group)
            {
                float* wg = BackwardWeights + (c0 / Group * g.F * kk * Group);
                for (int f = 0; f < g.F; f++)
                    for (int k = 0; k < kk; k++)
                        for (int c = 0; c < Group; c++)
                            wg[(((f * kk) + k) * Group) + c] = c0 + c < g.C ? w[(((f * g.C) + c0 + c) * kk) + k] : 0;
            }
        }

        private void Fit(in Conv2d.Geometry g)
        {
            int hp = g.H + (2 * g.PH), wp = g.W + (2 * g.PW), ho = g.Ho, wo = g.Wo;
            TapsRounded = RoundUp(g.Ckk, Block);
            // The padded image, plus slack for a last partial block's reads past its row (dropped sums).
            int p = RoundUp((g.C * hp * wp) + Block + g.KW + Lanes, Lanes);
            int t = Math.Max(ho * RoundUp(wo, Block), 2 * Group) * Lanes;   // forward tile, dout tile, or ∂L/∂x's 12 sums
            int fw = FilterBlocks(g) * g.Ckk * Lanes;
            int bw = RoundUp(((g.C + Group - 1) / Group) * g.F * g.KH * g.KW * Group, Lanes);
            int s = FilterBlocks(g) * TapsRounded * Lanes;
            // Padded dout: reads reach column PW + (last vector start) + 15 + kW − 1, and one row past the last.
            DoutStride = Math.Max(wo + (2 * (g.KW - 1)), g.PW + RoundUp(g.W, Lanes) + g.KW - 1);
            DoutRows = ho + (2 * (g.KH - 1)) + 1;
            int d = RoundUp((g.F * DoutRows * DoutStride) + Lanes, Lanes);
            bool sameLayout = g with { N = 0 } == last with { N = 0 };
            last = g;
            if (!sameLayout) packedCall = -1;
            if (p <= padded && t <= tile && fw <= forwardWeights && bw <= backwardWeights && s <= weightSums && d <= doutPadded
                && TapsRounded <= offsets.Length)
            {
                if (!sameLayout)
                {
                    // A different geometry may have written where this one's zero borders are.
                    new Span<float>(aligned, padded).Clear();
                    new Span<float>(DoutPadded, doutPadded).Clear();
                    new Span<float>(WeightSums, weightSums).Clear();
                    FillOffsets(g);
                }
                return;
            }
            (padded, tile, forwardWeights, backwardWeights, weightSums, doutPadded) =
                (Math.Max(p, padded), Math.Max(t, tile), Math.Max(fw, forwardWeights), Math.Max(bw, backwardWeights), Math.Max(s, weightSums), Math.Max(d, doutPadded));
            storage = GC.AllocateArray<float>(padded + tile + forwardWeights + backwardWeights + weightSums + doutPadded + Lanes, pinned: true);   // zeroed
            aligned = (float*)(((nint)Unsafe.AsPointer(ref storage[0]) + 63) & ~(nint)63);
            packedCall = -1;
            offsets = GC.AllocateArray<int>(Math.Max(TapsRounded, offsets.Length), pinned: true);
            FillOffsets(g);
        }

        // Where tap t = (c, p, q) of output pixel (0, 0) sits in the padded image; past the last tap, the first pixel.
        private void FillOffsets(in Conv2d.Geometry g)
        {
            int hp = g.H + (2 * g.PH), wp = g.W + (2 * g.PW), t = 0;
            for (int c = 0; c < g.C; c++)
                for (int p = 0; p < g.KH; p++)
                    for (int q = 0; q < g.KW; q++)
                        offsets[t++] = (((c * hp) + p) * wp) + q;
            for (; t < offsets.Length; t++) offsets[t] = 0;
        }

        private static int RoundUp(int x, int m) => (x + m - 1) / m * m;
    }
}
