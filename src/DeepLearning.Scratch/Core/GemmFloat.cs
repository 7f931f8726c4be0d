using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepLearning.Scratch;

/// <summary>The instruction set a float GEMM kernel is written in (tests force each one the machine supports).</summary>
internal enum GemmIsa
{
    /// <summary>The widest the machine accelerates.</summary>
    Auto,

    /// <summary>Vector512 (AVX-512F): 16 floats per register, 32 registers.</summary>
    Avx512,

    /// <summary>Vector256 with FMA (AVX2 + FMA3): 8 floats per register.</summary>
    Avx2,

    /// <summary>Vector&lt;float&gt;, whatever width the runtime picks (NEON, SSE, …).</summary>
    Portable,
}

/// <summary>
/// The float32 GEMM used by training: C[m×n] += op(A)·op(B), organised the way BLIS/GotoBLAS organise it.
/// </summary>
/// <remarks>
/// <para><b>Register blocking.</b> The innermost code (the micro-kernel) keeps a 6×(2 vectors) tile of C in registers
/// (8×(2 vectors) with AVX-512's 32 registers) and, for every p, loads two vectors of row p of B, broadcasts six
/// entries of column p of A and does twelve fused multiply-adds: 12 FMAs per 8 loads, instead of the 1 FMA per 2
/// loads of a row-times-row loop.</para>
/// <para><b>Packing.</b> The kernel wants, for each p, six (or eight) consecutive A values and a contiguous run of
/// B values. Large operands are copied ("packed") into exactly that order, block by block (KC deep), so the kernel streams
/// memory linearly from cache; the copy is where op(A)/op(B) transposes happen. Small operands that already sit
/// in cache are read in place through strides, because at the course's sizes the copy would cost as much as the
/// multiply.</para>
/// <para><b>Threads.</b> Large products are cut into tiles of C that threads claim from a shared counter, columns
/// first, so each thread packs only its own columns of B. The caller works too, so when the machine is busy and no
/// helper gets scheduled, the caller simply does every tile itself instead of waiting. Buffers are per thread and
/// reused, so a multiply allocates nothing after warm-up.</para>
/// </remarks>
internal static unsafe class GemmFloat
{
    private const int MaxMR = 8;     // rows of the register tile: 8 with AVX-512's 32 registers, 6 with 16 (TS.Rows)
    private const int KC = 256;      // depth of a packed block: a KC×(2 vectors) strip of B stays in L1
    private const int MC = 96;       // rows of A per pass over a packed B panel (a packed MC×KC block of A stays in L2)
    private const int NC = 512;      // columns of a tile of C (B's packed KC×NC panel stays in L2)
    private const int MaxNR = 32;    // 2 × Vector512<float>.Count

    // Below this many multiply-adds (≈ 128³) a second thread costs more than it saves, above all on a busy machine.
    private const long ParallelThreshold = 1L << 21;

    // In-place reads are fine while an operand block is small; beyond this many floats it is packed. (At 2¹⁴, 128³'s B
    // was read in place: a strip's rows 512 bytes apart fall on a quarter of L1's sets, and the product ran 1.3× slower.)
    private const long InPlaceLimit = 1L << 13;

    /// <summary>The kernel family chosen for this machine.</summary>
    internal static GemmIsa BestIsa { get; } =
        Vector512.IsHardwareAccelerated ? GemmIsa.Avx512 :
        Vector256.IsHardwareAccelerated && Fma.IsSupported ? GemmIsa.Avx2 :
        GemmIsa.Portable;

    /// <summary>True when <paramref name="isa"/> runs accelerated here.</summary>
    internal static bool Supports(GemmIsa isa) => isa switch
    {
        GemmIsa.Avx512 => Vector512.IsHardwareAccelerated,
        GemmIsa.Avx2 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        _ => true,
    };

    /// <summary>C[m×n] += op(A)·op(B); A is [m×k] ([k×m] when transA), B is [k×n] ([n×k] when transB).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        bool transA, bool transB) =>
        Multiply(a, b, c, m, n, k, transA, transB, GemmIsa.Auto, parallel: null);

    /// <summary>As above, with the kernel family and the threading forced (null = decide by size) for tests.</summary>
    internal static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        bool transA, bool transB, GemmIsa isa, bool? parallel)
    {
        if (isa == GemmIsa.Auto) isa = BestIsa;
        if (!Supports(isa)) throw new PlatformNotSupportedException($"{isa} kernels are not accelerated on this machine.");
        if (m == 0 || n == 0 || k == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            bool split = parallel ?? ((long)m * n * k >= ParallelThreshold);
            var job = Job.Rent();
            job.Set(pa, pb, pc, m, n, k, transA, transB, isa, split);
            job.Run(split ? Math.Min(Workers.Count, job.Tiles) - 1 : 0);
        }
    }

    /// <summary>One multiply: its operands, how it is cut into tiles, and the counters threads share.</summary>
    private sealed class Job : IThreadPoolWorkItem
    {
        private static readonly Stack<Job> Pool = new();

        private Operands ops;
        private GemmIsa isa;
        private int m, n, k, tileM, tileN, tilesN;
        private int next, done, refs;       // next tile to claim, tiles finished, threads still holding the job

        public int Tiles { get; private set; }

        public static Job Rent()
        {
            lock (Pool) return Pool.Count > 0 ? Pool.Pop() : new Job();
        }

        public void Set(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB, GemmIsa isa, bool split)
        {
            (this.m, this.n, this.k, this.isa) = (m, n, k, isa);
            var (rsA, csA) = transA ? ((nint)1, (nint)m) : (k, 1);
            var (rsB, csB) = transB ? ((nint)1, (nint)k) : (n, 1);
            // A is read in place through its strides, except Aᵀ when large: then each p of a strip sits on another
            // page, and packing is cheaper than the TLB misses. B is read as row vectors, so Bᵀ is always packed,
            // and B is packed when large so a strip sits in L1 instead of scattering over conflicting sets.
            bool packA = transA && (long)m * Math.Min(k, KC) > InPlaceLimit;
            bool packB = transB || (long)n * Math.Min(k, KC) > InPlaceLimit;
            ops = new Operands(a, b, c, n, rsA, csA, rsB, csB, packA, packB);

            // A tile is a block of C: at most NC columns (B's packed panel) by all rows. Split for threads, tiles are
            // cut further until there are four per thread (with two, medians were 2–19 % slower in paired runs: a
            // helper that starts late leaves a bigger share to the caller), columns first: each thread packs only its own
            // columns of B, once. (Sharing one packed panel between threads was tried: the lines it writes must
            // then cross between the cores' caches on every product, and 128³–256³ ran 5–10 % slower.) Columns stay
            // multiples of the widest register tile and rows multiples of its height, so only the last tile is ragged.
            int mr = isa == GemmIsa.Avx512 ? Simd512.Rows : Simd256.Rows;
            int rowBlocks = 1, colBlocks = Ceil(n, NC);
            while (split && rowBlocks * colBlocks < 4 * Workers.Count)
            {
                if (n / colBlocks >= 2 * MaxNR) colBlocks++;
                else if (m / rowBlocks >= 2 * mr) rowBlocks++;
                else break;
            }
            tileM = RoundUp(Ceil(m, rowBlocks), mr);
            tileN = RoundUp(Ceil(n, colBlocks), MaxNR);
            tilesN = Ceil(n, tileN);
            Tiles = Ceil(m, tileM) * tilesN;
            (next, done) = (0, 0);
        }

        // Queues helpers, works alongside them, and waits only for tiles that some thread has actually claimed.
        public void Run(int helpers)
        {
            refs = 1 + helpers;
            for (int h = 0; h < helpers; h++) Workers.Post(this);
            Work();
            var spin = new SpinWait();
            while (Volatile.Read(ref done) < Tiles) spin.SpinOnce(sleep1Threshold: -1);
            Release();
        }

        public void Execute()
        {
            Work();
            Release();
        }

        // A helper that starts late finds no tile left and only drops its reference; the job is reused after that.
        private void Release()
        {
            if (Interlocked.Decrement(ref refs) != 0) return;
            lock (Pool) Pool.Push(this);
        }

        private void Work()
        {
            int t;
            while ((t = Interlocked.Increment(ref next) - 1) < Tiles)
            {
                int i0 = t / tilesN * tileM, j0 = t % tilesN * tileN, mt = Math.Min(tileM, m - i0), nt = Math.Min(tileN, n - j0);
                switch (isa)
                {
                    case GemmIsa.Avx512: ops.Tile<Vector512<float>, Simd512>(i0, mt, j0, nt, k); break;
                    case GemmIsa.Avx2: ops.Tile<Vector256<float>, Simd256>(i0, mt, j0, nt, k); break;
                    default: ops.Tile<Vector<float>, SimdPortable>(i0, mt, j0, nt, k); break;
                }
                Interlocked.Increment(ref done);
            }
        }

        private static int Ceil(int x, int y) => (x + y - 1) / y;

        private static int RoundUp(int x, int multiple) => Ceil(x, multiple) * multiple;
    }

    /// <summary>The operands of one multiply, seen from the thread that computes a tile of C.</summary>
    private readonly struct Operands(float* a, float* b, float* c, int n, nint rsA, nint csA, nint rsB, nint csB, bool packA, bool packB)
    {
        // C[i0:i0+mt, j0:j0+nt] += op(A)[i0:i0+mt, :]·op(B)[:, j0:j0+nt], one KC-deep block of B at a time (packed
        // once by this thread, then used by every MC-row block of A).
        public void Tile<TV, TS>(int i0, int mt, int j0, int nt, int k) where TV : struct where TS : ISimd<TV>
        {
            var ws = Workspace.Current;
            for (int p0 = 0; p0 < k; p0 += KC)
            {
                int kc = Math.Min(KC, k - p0);
                float* bBlock = b + (p0 * rsB) + (j0 * csB);
                if (packB) PackB<TV, TS>(bBlock, nt, kc, ws.B);
                for (int ic = 0; ic < mt; ic += MC)
                {
                    int mc = Math.Min(MC, mt - ic);
                    float* aBlock = a + ((i0 + ic) * rsA) + (p0 * csA);
                    if (packA) PackA(aBlock, mc, kc, TS.Rows, ws.A);
                    Block<TV, TS>(aBlock, mc, bBlock, ws.B, nt, kc, c + ((i0 + ic) * (nint)n) + j0, ws);
                }
            }
        }

        // The two loops around the micro-kernel: strips of B (kept in L1) outside, strips of A inside.
        private void Block<TV, TS>(float* aBlock, int mc, float* bBlock, float* packed, int nt, int kc, float* cBlock, Workspace ws)
            where TV : struct where TS : ISimd<TV>
        {
            int w = TS.Width, nr = 2 * w, mr = TS.Rows;
            for (int jr = 0; jr < nt; jr += nr)
            {
                int cols = Math.Min(nr, nt - jr);
                // The strip of B the kernel reads: packed (ldb = nr), or B itself when its rows are contiguous.
                float* bs = packed + (jr * kc);
                nint ldb = nr;
                if (!packB && cols == nr)
                {
                    bs = bBlock + jr;
                    ldb = rsB;
                }
                else if (!packB)
                {
                    bs = ws.EdgeB;
                    PackB<TV, TS>(bBlock + jr, cols, kc, ws.EdgeB);
                }

                for (int ir = 0; ir < mc; ir += mr)
                {
                    int rows = Math.Min(mr, mc - ir);
                    float* s = ws.A + (ir * kc);
                    nint rs = 1, cs = mr;
                    if (!packA && rows == mr)
                    {
                        s = aBlock + (ir * rsA);
                        (rs, cs) = (rsA, csA);
                    }
                    else if (!packA)
                    {
                        s = ws.EdgeA;
                        PackA(aBlock + (ir * rsA), rows, kc, mr, ws.EdgeA);
                    }

                    float* cTile = cBlock + (ir * (nint)n) + jr;
                    if (rows == mr && cols == nr)
                    {
                        Kernel<TV, TS>(kc, s, rs, cs, bs, ldb, cTile, n, wide: true);
                        continue;
                    }
                    // A ragged edge: compute the full register tile into scratch, add back only what exists.
                    new Span<float>(ws.C, MaxMR * MaxNR).Clear();
                    Kernel<TV, TS>(kc, s, rs, cs, bs, ldb, ws.C, MaxNR, wide: cols > w);
                    for (int r = 0; r < rows; r++)
                        System.Numerics.Tensors.TensorPrimitives.Add(
                            new ReadOnlySpan<float>(cTile + (r * (nint)n), cols),
                            new ReadOnlySpan<float>(ws.C + (r * MaxNR), cols),
                            new Span<float>(cTile + (r * (nint)n), cols));
                }
            }
        }

        // Copies rows [0, mt) × columns [0, kc) of the A block into strips of mr rows: strip s holds, for each p, the
        // mr values A(s·mr + r, p) side by side (zeros past the last row).
        private void PackA(float* aBlock, int mt, int kc, int mr, float* dst)
        {
            for (int s0 = 0; s0 < mt; s0 += mr, dst += mr * kc)
            {
                int rows = Math.Min(mr, mt - s0);
                float* src = aBlock + (s0 * rsA);
                if (csA == 1)
                {
                    // A row-major: each of the strip's rows is contiguous along p.
                    for (int r = 0; r < mr; r++)
                    {
                        float* row = src + (r * rsA);
                        if (r < rows) for (int p = 0; p < kc; p++) dst[(p * mr) + r] = row[p];
                        else for (int p = 0; p < kc; p++) dst[(p * mr) + r] = 0;
                    }
                }
                else
                {
                    // op(A) = Aᵀ: the strip's values for one p are already contiguous.
                    for (int p = 0; p < kc; p++)
                    {
                        float* col = src + (p * csA);
                        int r = 0;
                        for (; r < rows; r++) dst[(p * mr) + r] = col[r];
                        for (; r < mr; r++) dst[(p * mr) + r] = 0;
                    }
                }
            }
        }

        // Copies rows [0, kc) × columns [0, nt) of the B block into strips nr = 2 vectors wide: strip t holds, for
        // each p, the nr values B(p, t·nr + q) side by side (zeros past the last column).
        private void PackB<TV, TS>(float* bBlock, int nt, int kc, float* dst) where TV : struct where TS : ISimd<TV>
        {
            int w = TS.Width, nr = 2 * w;
            for (int t0 = 0; t0 < nt; t0 += nr, dst += nr * kc)
            {
                int cols = Math.Min(nr, nt - t0);
                float* src = bBlock + (t0 * csB);
                if (csB == 1 && cols == nr)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        TS.Store(dst + (p * nr), TS.Load(src + (p * rsB)));
                        TS.Store(dst + (p * nr) + w, TS.Load(src + (p * rsB) + w));
                    }
                }
                else if (csB == 1)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        var row = new Span<float>(dst + (p * nr), nr);
                        new ReadOnlySpan<float>(src + (p * rsB), cols).CopyTo(row);
                        row[cols..].Clear();
                    }
                }
                else
                {
                    // op(B) = Bᵀ: each stored row q of B (contiguous along p) becomes column q of the strip. Eight
                    // rows at a time go through an 8×8 register transpose where AVX has one; the rest one by one.
                    int q8 = Avx.IsSupported ? cols / 8 * 8 : 0, p8 = kc / 8 * 8;
                    for (int q = 0; q < q8; q += 8)
                        for (int p = 0; p < p8; p += 8)
                            Transpose8x8(src + (q * csB) + p, csB, dst + (p * nr) + q, nr);
                    for (int q = 0; q < nr; q++)
                    {
                        float* col = src + (q * csB);
                        if (q < cols) for (int p = q < q8 ? p8 : 0; p < kc; p++) dst[(p * nr) + q] = col[p];
                        else for (int p = 0; p < kc; p++) dst[(p * nr) + q] = 0;
                    }
                }
            }
        }
    }

    // dst[j·ldd + i] = src[i·lds + j] for an 8×8 block: the usual unpack / shuffle / lane-swap sequence.
    private static void Transpose8x8(float* src, nint lds, float* dst, nint ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + lds),
            r2 = Avx.LoadVector256(src + (2 * lds)), r3 = Avx.LoadVector256(src + (3 * lds)),
            r4 = Avx.LoadVector256(src + (4 * lds)), r5 = Avx.LoadVector256(src + (5 * lds)),
            r6 = Avx.LoadVector256(src + (6 * lds)), r7 = Avx.LoadVector256(src + (7 * lds));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
            t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE),
            s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + (2 * ldd), Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + (3 * ldd), Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + (4 * ldd), Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + (5 * ldd), Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + (6 * ldd), Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + (7 * ldd), Avx.Permute2x128(s3, s7, 0x31));
    }

    // The micro-kernel: C[0:6, 0:nr] += Σ_p a(·, p) ⊗ b(p, ·) with the 6×nr tile held in registers (8×nr: Kernel8). A(r, p) is
    // a[r·rs + p·cs]; row p of the B strip starts at b + p·ldb. With wide = false only the first vector column is used.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TV, TS>(int kc, float* a, nint rs, nint cs, float* b, nint ldb, float* c, nint ldc, bool wide)
        where TV : struct where TS : ISimd<TV>
    {
        if (TS.Rows == 8)
        {
            if (wide) Kernel8<TV, TS>(kc, a, rs, cs, b, ldb, c, ldc);
            else KernelNarrow8<TV, TS>(kc, a, rs, cs, b, ldb, c, ldc);
            return;
        }
        if (!wide)
        {
            KernelNarrow<TV, TS>(kc, a, rs, cs, b, ldb, c, ldc);
            return;
        }
        int w = TS.Width;
        nint rs2 = 2 * rs, rs3 = 3 * rs, rs4 = 4 * rs, rs5 = 5 * rs;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += cs, b += ldb)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + w), ai;
            ai = TS.Broadcast(a);
            c00 = TS.Fma(ai, b0, c00); c01 = TS.Fma(ai, b1, c01);
            ai = TS.Broadcast(a + rs);
            c10 = TS.Fma(ai, b0, c10); c11 = TS.Fma(ai, b1, c11);
            ai = TS.Broadcast(a + rs2);
            c20 = TS.Fma(ai, b0, c20); c21 = TS.Fma(ai, b1, c21);
            ai = TS.Broadcast(a + rs3);
            c30 = TS.Fma(ai, b0, c30); c31 = TS.Fma(ai, b1, c31);
            ai = TS.Broadcast(a + rs4);
            c40 = TS.Fma(ai, b0, c40); c41 = TS.Fma(ai, b1, c41);
            ai = TS.Broadcast(a + rs5);
            c50 = TS.Fma(ai, b0, c50); c51 = TS.Fma(ai, b1, c51);
        }
        TS.AddTo(c, c00); TS.AddTo(c + w, c01); c += ldc;
        TS.AddTo(c, c10); TS.AddTo(c + w, c11); c += ldc;
        TS.AddTo(c, c20); TS.AddTo(c + w, c21); c += ldc;
        TS.AddTo(c, c30); TS.AddTo(c + w, c31); c += ldc;
        TS.AddTo(c, c40); TS.AddTo(c + w, c41); c += ldc;
        TS.AddTo(c, c50); TS.AddTo(c + w, c51);
    }

    // The same for a strip one vector wide (narrow outputs such as a 10-class layer).
    private static void KernelNarrow<TV, TS>(int kc, float* a, nint rs, nint cs, float* b, nint ldb, float* c, nint ldc)
        where TV : struct where TS : ISimd<TV>
    {
        nint rs2 = 2 * rs, rs3 = 3 * rs, rs4 = 4 * rs, rs5 = 5 * rs;
        TV c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (int p = 0; p < kc; p++, a += cs, b += ldb)
        {
            TV b0 = TS.Load(b);
            c0 = TS.Fma(TS.Broadcast(a), b0, c0);
            c1 = TS.Fma(TS.Broadcast(a + rs), b0, c1);
            c2 = TS.Fma(TS.Broadcast(a + rs2), b0, c2);
            c3 = TS.Fma(TS.Broadcast(a + rs3), b0, c3);
            c4 = TS.Fma(TS.Broadcast(a + rs4), b0, c4);
            c5 = TS.Fma(TS.Broadcast(a + rs5), b0, c5);
        }
        TS.AddTo(c, c0); c += ldc;
        TS.AddTo(c, c1); c += ldc;
        TS.AddTo(c, c2); c += ldc;
        TS.AddTo(c, c3); c += ldc;
        TS.AddTo(c, c4); c += ldc;
        TS.AddTo(c, c5);
    }

    // The 8-row tile for 32-register machines: 16 accumulators, two B vectors and a broadcast. 8 rows divide the
    // course's power-of-two batches and widths, so no row strip is ragged (with 6 rows, 64 = 10 × 6 + 4).
    private static void Kernel8<TV, TS>(int kc, float* a, nint rs, nint cs, float* b, nint ldb, float* c, nint ldc)
        where TV : struct where TS : ISimd<TV>
    {
        int w = TS.Width;
        nint rs2 = 2 * rs, rs3 = 3 * rs, rs4 = 4 * rs, rs5 = 5 * rs, rs6 = 6 * rs, rs7 = 7 * rs;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        TV c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += cs, b += ldb)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + w), ai;
            ai = TS.Broadcast(a);
            c00 = TS.Fma(ai, b0, c00); c01 = TS.Fma(ai, b1, c01);
            ai = TS.Broadcast(a + rs);
            c10 = TS.Fma(ai, b0, c10); c11 = TS.Fma(ai, b1, c11);
            ai = TS.Broadcast(a + rs2);
            c20 = TS.Fma(ai, b0, c20); c21 = TS.Fma(ai, b1, c21);
            ai = TS.Broadcast(a + rs3);
            c30 = TS.Fma(ai, b0, c30); c31 = TS.Fma(ai, b1, c31);
            ai = TS.Broadcast(a + rs4);
            c40 = TS.Fma(ai, b0, c40); c41 = TS.Fma(ai, b1, c41);
            ai = TS.Broadcast(a + rs5);
            c50 = TS.Fma(ai, b0, c50); c51 = TS.Fma(ai, b1, c51);
            ai = TS.Broadcast(a + rs6);
            c60 = TS.Fma(ai, b0, c60); c61 = TS.Fma(ai, b1, c61);
            ai = TS.Broadcast(a + rs7);
            c70 = TS.Fma(ai, b0, c70); c71 = TS.Fma(ai, b1, c71);
        }
        TS.AddTo(c, c00); TS.AddTo(c + w, c01); c += ldc;
        TS.AddTo(c, c10); TS.AddTo(c + w, c11); c += ldc;
        TS.AddTo(c, c20); TS.AddTo(c + w, c21); c += ldc;
        TS.AddTo(c, c30); TS.AddTo(c + w, c31); c += ldc;
        TS.AddTo(c, c40); TS.AddTo(c + w, c41); c += ldc;
        TS.AddTo(c, c50); TS.AddTo(c + w, c51); c += ldc;
        TS.AddTo(c, c60); TS.AddTo(c + w, c61); c += ldc;
        TS.AddTo(c, c70); TS.AddTo(c + w, c71);
    }

    private static void KernelNarrow8<TV, TS>(int kc, float* a, nint rs, nint cs, float* b, nint ldb, float* c, nint ldc)
        where TV : struct where TS : ISimd<TV>
    {
        nint rs2 = 2 * rs, rs3 = 3 * rs, rs4 = 4 * rs, rs5 = 5 * rs, rs6 = 6 * rs, rs7 = 7 * rs;
        TV c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++, a += cs, b += ldb)
        {
            TV b0 = TS.Load(b);
            c0 = TS.Fma(TS.Broadcast(a), b0, c0);
            c1 = TS.Fma(TS.Broadcast(a + rs), b0, c1);
            c2 = TS.Fma(TS.Broadcast(a + rs2), b0, c2);
            c3 = TS.Fma(TS.Broadcast(a + rs3), b0, c3);
            c4 = TS.Fma(TS.Broadcast(a + rs4), b0, c4);
            c5 = TS.Fma(TS.Broadcast(a + rs5), b0, c5);
            c6 = TS.Fma(TS.Broadcast(a + rs6), b0, c6);
            c7 = TS.Fma(TS.Broadcast(a + rs7), b0, c7);
        }
        TS.AddTo(c, c0); c += ldc;
        TS.AddTo(c, c1); c += ldc;
        TS.AddTo(c, c2); c += ldc;
        TS.AddTo(c, c3); c += ldc;
        TS.AddTo(c, c4); c += ldc;
        TS.AddTo(c, c5); c += ldc;
        TS.AddTo(c, c6); c += ldc;
        TS.AddTo(c, c7);
    }

    /// <summary>Per-thread packing buffers, allocated once per thread on the pinned heap and aligned to 64 bytes.</summary>
    private sealed class Workspace
    {
        [ThreadStatic] private static Workspace? current;

        private readonly float[] storage;

        private Workspace()
        {
            int lengthA = MC * KC, lengthB = KC * NC, lengthEdgeA = MaxMR * KC, lengthEdgeB = KC * MaxNR, lengthC = MaxMR * MaxNR;
            storage = GC.AllocateUninitializedArray<float>(lengthA + lengthB + lengthEdgeA + lengthEdgeB + lengthC + 16, pinned: true);
            float* p = (float*)(((nint)Unsafe.AsPointer(ref storage[0]) + 63) & ~(nint)63);
            A = p;
            B = A + lengthA;
            EdgeA = B + lengthB;
            EdgeB = EdgeA + lengthEdgeA;
            C = EdgeB + lengthEdgeB;
        }

        public static Workspace Current => current ??= new Workspace();

        public float* A { get; }

        public float* B { get; }

        public float* EdgeA { get; }

        public float* EdgeB { get; }

        public float* C { get; }
    }

    /// <summary>The few vector operations the kernel needs, so one generic kernel serves every register width.</summary>
    private interface ISimd<TV> where TV : struct
    {
        static abstract int Width { get; }

        /// <summary>Rows of the register tile: as many as the register file holds 2 accumulators per row for.</summary>
        static abstract int Rows { get; }

        static abstract TV Load(float* p);

        static abstract void Store(float* p, TV v);

        static abstract TV Broadcast(float* p);

        static abstract TV Fma(TV x, TV y, TV addend);

        static abstract void AddTo(float* p, TV v);
    }

    private readonly struct Simd512 : ISimd<Vector512<float>>
    {
        public static int Width => Vector512<float>.Count;

        public static int Rows => 8;

        public static Vector512<float> Load(float* p) => Vector512.Load(p);

        public static void Store(float* p, Vector512<float> v) => Vector512.Store(v, p);

        public static Vector512<float> Broadcast(float* p) => Vector512.Create(*p);

        public static Vector512<float> Fma(Vector512<float> x, Vector512<float> y, Vector512<float> addend) =>
            Vector512.FusedMultiplyAdd(x, y, addend);

        public static void AddTo(float* p, Vector512<float> v) => Vector512.Store(Vector512.Load(p) + v, p);
    }

    private readonly struct Simd256 : ISimd<Vector256<float>>
    {
        public static int Width => Vector256<float>.Count;

        public static int Rows => 6;

        public static Vector256<float> Load(float* p) => Vector256.Load(p);

        public static void Store(float* p, Vector256<float> v) => Vector256.Store(v, p);

        public static Vector256<float> Broadcast(float* p) => Vector256.Create(*p);

        public static Vector256<float> Fma(Vector256<float> x, Vector256<float> y, Vector256<float> addend) =>
            Vector256.FusedMultiplyAdd(x, y, addend);

        public static void AddTo(float* p, Vector256<float> v) => Vector256.Store(Vector256.Load(p) + v, p);
    }

    private readonly struct SimdPortable : ISimd<Vector<float>>
    {
        public static int Width => Vector<float>.Count;

        public static int Rows => 6;

        public static Vector<float> Load(float* p) => Vector.Load(p);

        public static void Store(float* p, Vector<float> v) => Vector.Store(v, p);

        public static Vector<float> Broadcast(float* p) => new(*p);

        // Fused where the hardware has it (NEON, FMA3), multiply-then-add where it does not.
        public static Vector<float> Fma(Vector<float> x, Vector<float> y, Vector<float> addend) =>
            Vector.MultiplyAddEstimate(x, y, addend);

        public static void AddTo(float* p, Vector<float> v) => Vector.Store(Vector.Load(p) + v, p);
    }
}
