using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepLearning.Scratch;

/// <summary>
/// A (height, width) pair for kernel sizes, strides and paddings. An <see cref="int"/> converts to the same value
/// on both axes and a tuple to one per axis, as PyTorch's <c>stride=2</c> / <c>stride=(2, 1)</c>.
/// </summary>
/// <param name="H">Along the height (rows).</param>
/// <param name="W">Along the width (columns).</param>
public readonly record struct Size2d(int H, int W)
{
    /// <summary>The same size on both axes.</summary>
    public static implicit operator Size2d(int size) => new(size, size);

    /// <summary>One size per axis, (height, width).</summary>
    public static implicit operator Size2d((int H, int W) size) => new(size.H, size.W);

    /// <inheritdoc/>
    public override string ToString() => H == W ? $"{H}" : $"({H}, {W})";
}

/// <summary>What <see cref="Conv2d.Backward"/> needs: the input, the filters and the geometry of the call.</summary>
public sealed record Conv2dCache<T>(NDArray<T> X, NDArray<T> W, bool HasBias, Size2d Stride, Size2d Padding)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>Gradients of a convolution: ∂L/∂x, ∂L/∂w and ∂L/∂b (null when the call had no bias).</summary>
public sealed record Conv2dGrads<T>(NDArray<T> Dx, NDArray<T> Dw, NDArray<T>? Db)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// 2-D convolution (PyTorch's <c>F.conv2d</c>, really a cross-correlation): the functional form, whose filters and bias
/// are inputs, so Backward returns their gradients beside dx; <see cref="Conv2dLayer{T}"/> owns them as parameters.
/// x [N, C, H, W] and filters
/// w [F, C, kH, kW] give out [N, F, Ho, Wo] with Ho = ⌊(H + 2·pH − kH) / sH⌋ + 1 (same for Wo) and
/// out[n, f, i, j] = b[f] + Σ_c Σ_p Σ_q x_pad[n, c, i·sH + p, j·sW + q] · w[f, c, p, q].
/// </summary>
/// <remarks>
/// <para><b>im2col.</b> Each output value is a dot product between one filter (C·kH·kW numbers) and the input patch
/// under it. Copy every patch of an image into one column of a matrix <c>cols</c> [C·kH·kW, Ho·Wo]; the filters,
/// read as a matrix [F, C·kH·kW], times <c>cols</c> then computes all F filters at all Ho·Wo positions at once:
/// one GEMM per image, whose [F, Ho·Wo] result already is that image's output in NCHW order. The copy costs memory
/// (an input pixel lands in up to kH·kW columns) but turns a seven-deep loop nest into the single, tuned kernel
/// every dense layer uses too (<see cref="Gemm"/>).</para>
/// <para><b>Backward</b> is the same picture read backwards: out = w·cols, so ∂L/∂w = dout·colsᵀ (summed over the
/// batch), ∂L/∂cols = wᵀ·dout, and col2im adds each column of ∂L/∂cols back onto the patch it was copied from.
/// Overlapping patches add up: an input pixel used by several outputs collects a gradient from each of them.</para>
/// </remarks>
public static class Conv2d
{
    /// <summary>The output length along one axis: ⌊(size + 2·padding − kernel) / stride⌋ + 1.</summary>
    public static int OutputSize(int size, int kernel, int stride, int padding)
    {
        Check.NonNegativeInt(size, nameof(size));
        Check.PositiveInt(kernel, nameof(kernel));
        Check.PositiveInt(stride, nameof(stride));
        Check.NonNegativeInt(padding, nameof(padding));
        long padded = size + (2L * padding);
        if (kernel > padded)
            throw new ArgumentException($"The kernel {kernel} is larger than the padded input {padded} (size {size}, padding {padding}).", nameof(kernel));
        return Size(size, kernel, stride, padding);
    }

    // The formula for sizes already validated (the loops call it per row, so it must stay cheap).
    internal static int Size(int size, int kernel, int stride, int padding) => (int)(((size + (2L * padding) - kernel) / stride) + 1);

    /// <summary>Convolves x [N, C, H, W] with w [F, C, kH, kW] (+ b [F]) by im2col + GEMM; stride defaults to 1, padding to 0.</summary>
    public static (NDArray<T> Out, Conv2dCache<T> Cache) Forward<T>(NDArray<T> x, NDArray<T> w, NDArray<T>? b,
        Size2d? stride = null, Size2d padding = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Geometry.Of(x, w, b, stride ?? 1, padding);
        var y = new NDArray<T>([g.N, g.F, g.Ho, g.Wo]);
        ForwardInto(x, w, b, y, stride, padding);
        return (y, new Conv2dCache<T>(x, w, b is not null, stride ?? 1, padding));
    }

    /// <summary>
    /// <see cref="Forward"/> into <paramref name="y"/> [N, F, Ho, Wo], allocating nothing once warm (the columns live in
    /// a per-thread buffer): the form for training loops that reuse their arrays.
    /// </summary>
    public static void ForwardInto<T>(NDArray<T> x, NDArray<T> w, NDArray<T>? b, NDArray<T> y, Size2d? stride = null, Size2d padding = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Geometry.Of(x, w, b, stride ?? 1, padding);
        CheckShape(y, g.N, g.F, g.Ho, g.Wo, nameof(y), "the convolution's output");
        // The images are independent, so large batches are shared among the cores (each with its own columns).
        Workers.For(g.N, ImagesPerChunk, Worthwhile(g), new ForwardImages<T>(x, w, b, y, g, Conv2dChannels.Workspace.NextCall()));
    }

    private readonly struct ForwardImages<T>(NDArray<T> x, NDArray<T> w, NDArray<T>? b, NDArray<T> y, Geometry g, long call) : IWorkRange
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int first, int end, int worker)
        {
            int image = g.C * g.H * g.W, outImage = g.F * g.P;
            if (Conv2dDirect.Applies<T>(g))
            {
                RunDirect(first, end, image, outImage);
                return;
            }
            if (Conv2dChannels.Applies<T>(g))
            {
                RunChannels(first, end, image, outImage);
                return;
            }
            var cols = Workspace<T>.Columns(g.Ckk * g.P); // reused for every image
            for (int n = first; n < end; n++)
            {
                Im2Col(x.Data.AsSpan(n * image, image), g, cols);
                var yn = y.Data.AsSpan(n * outImage, outImage);
                Gemm.Multiply<T>(w.Data, cols, yn, g.F, g.P, g.Ckk); // [F, Ckk]·[Ckk, Ho·Wo]
                if (b is not null)
                    for (int f = 0; f < g.F; f++)
                        TensorPrimitives.Add(yn.Slice(f * g.P, g.P), b.Data[f], yn.Slice(f * g.P, g.P));
            }
        }

        // A one-channel first layer: no columns at all (Conv2dDirect says why). Applies ensured T is float.
        private unsafe void RunDirect(int first, int end, int image, int outImage)
        {
            var ws = Conv2dDirect.Workspace.For(g);
            fixed (T* px = x.Data, pw = w.Data, py = y.Data, pb = b?.Data)
                for (int n = first; n < end; n++)
                    Conv2dDirect.ForwardImage((float*)px + (n * image), (float*)pw, (float*)pb, (float*)py + (n * outImage), g, ws);
        }

        // A small multi-channel layer: straight from the padded image, sums in registers (Conv2dChannels says why).
        private unsafe void RunChannels(int first, int end, int image, int outImage)
        {
            var ws = Conv2dChannels.Workspace.For(g);
            fixed (T* px = x.Data, pw = w.Data, py = y.Data, pb = b?.Data)
            {
                ws.Pack(call, g, (float*)pw);
                for (int n = first; n < end; n++)
                    Conv2dChannels.ForwardImage((float*)px + (n * image), (float*)pb, (float*)py + (n * outImage), g, ws);
            }
        }
    }

    /// <summary>Gradients of <see cref="Forward"/> given dout = ∂L/∂out [N, F, Ho, Wo]: dw = Σₙ dout·colsᵀ, dx = col2im(wᵀ·dout), db = Σ dout.</summary>
    public static Conv2dGrads<T> Backward<T>(NDArray<T> dout, Conv2dCache<T> cache)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(cache);
        var (x, w) = (cache.X, cache.W);
        var g = Geometry.Of(x, w, null, cache.Stride, cache.Padding);
        CheckDout(dout, [g.N, g.F, g.Ho, g.Wo]);
        var dx = x.ZerosLike();
        var dw = w.ZerosLike();
        var db = cache.HasBias ? new NDArray<T>([g.F]) : null;
        BackwardInto(dout, x, w, dx, dw, db, cache.Stride, cache.Padding);
        return new Conv2dGrads<T>(dx, dw, db);
    }

    /// <summary>
    /// <see cref="Backward"/> into caller-owned arrays, allocating nothing once warm: dw = Σₙ dout·colsᵀ, db = Σ dout
    /// (skipped when null) and dx = col2im(wᵀ·dout) (skipped when null: a first layer's images need no gradient).
    /// With <paramref name="accumulate"/> dw and db are added to, as autograd adds to .grad.
    /// </summary>
    public static void BackwardInto<T>(NDArray<T> dout, NDArray<T> x, NDArray<T> w, NDArray<T>? dx, NDArray<T> dw, NDArray<T>? db,
        Size2d? stride = null, Size2d padding = default, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Geometry.Of(x, w, null, stride ?? 1, padding);
        CheckShape(dout, g.N, g.F, g.Ho, g.Wo, nameof(dout), "the forward output");
        if (dx is not null) Check.SameShape(x, nameof(x), dx, nameof(dx));
        Check.SameShape(w, nameof(w), dw, nameof(dw));
        if (db is not null && (db.Rank != 1 || db.Dim(0) != g.F))
            throw new ArgumentException($"db has shape {Shapes.Format(db.Shape)} but must be [{g.F}], one per filter.", nameof(db));
        if (!accumulate)
        {
            dw.Span.Clear();
            db?.Span.Clear();
        }
        if (!Conv2dChannels.Applies<T>(g)) dx?.Span.Clear(); // col2im adds into it (the direct kernels write every value)

        // Images are shared among the cores as in the forward pass. dw and db sum over images, so each extra worker
        // sums into its own partial (the caller's reused buffers), and the partials are added once all are done.
        int length = dw.Length + g.F;
        T[][] partials = Workspace<T>.Partials(Workers.Count, length);
        int workers = Workers.For(g.N, ImagesPerChunk, Worthwhile(g),
            new BackwardImages<T>(dout, x, w, dx, dw, db, partials, g, Conv2dChannels.Workspace.NextCall()));
        for (int k = 1; k < workers; k++)
        {
            TensorPrimitives.Add(dw.Span, partials[k].AsSpan(0, dw.Length), dw.Span);
            if (db is not null) TensorPrimitives.Add(db.Span, partials[k].AsSpan(dw.Length, g.F), db.Span);
        }
    }

    private readonly struct BackwardImages<T>(NDArray<T> dout, NDArray<T> x, NDArray<T> w, NDArray<T>? dx, NDArray<T> dw, NDArray<T>? db,
        T[][] partials, Geometry g, long call) : IWorkRange
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int first, int end, int worker)
        {
            Span<T> dwSum = worker == 0 ? dw.Span : partials[worker].AsSpan(0, dw.Length);
            Span<T> dbSum = worker == 0 ? (db is null ? default : db.Span) : partials[worker].AsSpan(dw.Length, g.F);
            int image = g.C * g.H * g.W, outImage = g.F * g.P;
            if (dx is null && Conv2dDirect.Applies<T>(g))
            {
                RunDirect(first, end, image, outImage, dwSum, dbSum);
                return;
            }
            if (Conv2dChannels.Applies<T>(g))
            {
                RunChannels(first, end, image, outImage, dwSum, dbSum);
                return;
            }
            // The columns are recomputed rather than cached: they are up to kH·kW times larger than x.
            var cols = Workspace<T>.Columns(g.Ckk * g.P);
            var dcols = Workspace<T>.ColumnGradients(g.Ckk * g.P);
            for (int n = first; n < end; n++)
            {
                var doutN = dout.Data.AsSpan(n * outImage, outImage);
                Im2Col(x.Data.AsSpan(n * image, image), g, cols);
                Gemm.Multiply<T>(doutN, cols, dwSum, g.F, g.Ckk, g.P, transB: true, accumulate: true); // dw += dout·colsᵀ
                if (dx is not null)
                {
                    Gemm.Multiply<T>(w.Data, doutN, dcols, g.Ckk, g.P, g.F, transA: true);            // dcols = wᵀ·dout
                    Col2Im(dcols, g, dx.Data.AsSpan(n * image, image));
                }
                if (db is not null)
                    for (int f = 0; f < g.F; f++)
                        dbSum[f] += TensorPrimitives.Sum<T>(doutN.Slice(f * g.P, g.P));
            }
        }

        // A one-channel first layer whose images need no gradient: ∂L/∂w straight from the image (Conv2dDirect).
        private unsafe void RunDirect(int first, int end, int image, int outImage, Span<T> dwSum, Span<T> dbSum)
        {
            var ws = Conv2dDirect.Workspace.For(g);
            fixed (T* px = x.Data, pd = dout.Data)
                for (int n = first; n < end; n++)
                {
                    Conv2dDirect.AccumulateWeightGradient((float*)px + (n * image), (float*)pd + (n * outImage), g, ws);
                    if (db is not null)
                        for (int f = 0; f < g.F; f++)
                            dbSum[f] += T.CreateTruncating(Conv2dChannels.Sum((float*)pd + (n * outImage) + (f * g.P), g.P));
                }
            Conv2dDirect.ReduceInto(MemoryMarshal.Cast<T, float>(dwSum), g, ws);
        }

        // A small multi-channel layer: ∂L/∂w and ∂L/∂x straight from the padded image and dout (Conv2dChannels).
        private unsafe void RunChannels(int first, int end, int image, int outImage, Span<T> dwSum, Span<T> dbSum)
        {
            var ws = Conv2dChannels.Workspace.For(g);
            fixed (T* px = x.Data, pd = dout.Data, pw = w.Data, pdx = dx?.Data)
            {
                ws.Pack(call, g, (float*)pw);
                for (int n = first; n < end; n++)
                {
                    Conv2dChannels.BackwardImage((float*)px + (n * image), (float*)pd + (n * outImage), pdx == null ? null : (float*)pdx + (n * image), g, ws);
                    if (db is not null)
                        for (int f = 0; f < g.F; f++)
                            dbSum[f] += T.CreateTruncating(Conv2dChannels.Sum((float*)pd + (n * outImage) + (f * g.P), g.P));
                }
            }
            Conv2dChannels.ReduceInto(MemoryMarshal.Cast<T, float>(dwSum), g, ws);
        }
    }

    // A chunk of images per claim, and a second core only when the batch has enough arithmetic (≈ 1M multiply-adds)
    // to pay for waking it.
    private const int ImagesPerChunk = 4;

    private static bool Worthwhile(in Geometry g) => (long)g.N * g.F * g.P * g.Ckk >= 1L << 20;

    // Per-thread column buffers, grown on demand and kept, so a training step allocates nothing once warm.
    private static class Workspace<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static T[]? cols, dcols;
        [ThreadStatic] private static T[][]? partials;

        public static Span<T> Columns(int length) => Grow(ref cols, length);

        public static Span<T> ColumnGradients(int length) => Grow(ref dcols, length);

        // The calling thread's per-worker partial sums for the backward pass, zeroed (worker 0 sums in place).
        public static T[][] Partials(int workers, int length)
        {
            partials ??= new T[workers][];
            for (int k = 1; k < workers; k++)
            {
                if (partials[k] is null || partials[k].Length < length) partials[k] = new T[length];
                partials[k].AsSpan(0, length).Clear();
            }
            return partials;
        }

        private static Span<T> Grow(ref T[]? buffer, int length)
        {
            if (buffer is null || buffer.Length < length) buffer = new T[length];
            return buffer.AsSpan(0, length);
        }
    }

    /// <summary>
    /// The same convolution as <see cref="Forward"/>, written as the formula reads: a loop over every output value,
    /// summing input × weight over channels and kernel positions (zero padding = skipping positions off the image).
    /// Slow; it is the definition the im2col version is tested against.
    /// </summary>
    public static NDArray<T> ForwardNaive<T>(NDArray<T> x, NDArray<T> w, NDArray<T>? b, Size2d? stride = null, Size2d padding = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = Geometry.Of(x, w, b, stride ?? 1, padding);
        var y = new NDArray<T>([g.N, g.F, g.Ho, g.Wo]);
        for (int n = 0; n < g.N; n++)
            for (int f = 0; f < g.F; f++)
                for (int i = 0; i < g.Ho; i++)
                    for (int j = 0; j < g.Wo; j++)
                    {
                        T sum = b is null ? T.Zero : b[f];
                        for (int c = 0; c < g.C; c++)
                            for (int p = 0; p < g.KH; p++)
                                for (int q = 0; q < g.KW; q++)
                                {
                                    int h = (i * g.SH) - g.PH + p, v = (j * g.SW) - g.PW + q;
                                    if (h >= 0 && h < g.H && v >= 0 && v < g.W)
                                        sum += x[n, c, h, v] * w[f, c, p, q];
                                }
                        y[n, f, i, j] = sum;
                    }
        return y;
    }

    // Copies every kH×kW patch of one image [C, H, W] into a column: cols[(c, p, q), (i, j)] = x_pad[c, i·sH + p, j·sW + q].
    // Compiled on its own (so its many small calls do get inlined) and optimized from the first call: the step
    // calls it a few hundred times, too few for tiering to reach its optimized code soon.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Im2Col<T>(ReadOnlySpan<T> x, in Geometry g, Span<T> cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ho = g.Ho, wo = g.Wo, row = 0; // (Ho and Wo are divisions: computed once, not per row)
        if (g.SW == 1 && cols.Length >= g.Ckk * ho * wo && x.Length >= g.C * g.H * g.W)
        {
            Im2ColStride1(x, g, cols, ho, wo);
            return;
        }
        for (int c = 0; c < g.C; c++)
            for (int p = 0; p < g.KH; p++)
                for (int q = 0; q < g.KW; q++, row++)
                {
                    for (int i = 0; i < ho; i++)
                    {
                        var dst = cols.Slice(((row * ho) + i) * wo, wo);
                        int h = (i * g.SH) - g.PH + p;
                        if ((uint)h >= (uint)g.H)
                        {
                            dst.Clear(); // a padding row
                            continue;
                        }
                        var src = x.Slice(((c * g.H) + h) * g.W, g.W);
                        for (int j = 0, v = q - g.PW; j < wo; j++, v += g.SW)
                            dst[j] = (uint)v < (uint)g.W ? src[v] : T.Zero;
                    }
                }
    }

    // Stride 1 along the width: each output row of a column is one run of an input row, shifted by q − pW, with zeros
    // where it hangs off the image. These runs are short (28 or 10 values in LeNet) and there are hundreds of
    // thousands per step, so they go through references without per-run bounds checks; the caller checked the
    // lengths of both buffers against the geometry once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Im2ColStride1<T>(ReadOnlySpan<T> x, in Geometry g, Span<T> cols, int ho, int wo) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T xs = ref MemoryMarshal.GetReference(x);
        ref T cs = ref MemoryMarshal.GetReference(cols);
        int row = 0;
        for (int c = 0; c < g.C; c++)
            for (int p = 0; p < g.KH; p++)
                for (int q = 0; q < g.KW; q++, row++)
                {
                    var (j0, j1) = Run(g, q, wo);
                    for (int i = 0; i < ho; i++)
                    {
                        ref T dst = ref Unsafe.Add(ref cs, ((row * ho) + i) * wo);
                        int h = (i * g.SH) - g.PH + p;
                        if ((uint)h >= (uint)g.H)
                        {
                            MemoryMarshal.CreateSpan(ref dst, wo).Clear(); // a padding row
                            continue;
                        }
                        for (int j = 0; j < j0; j++) Unsafe.Add(ref dst, j) = T.Zero;
                        CopyRun(ref Unsafe.Add(ref xs, (((c * g.H) + h) * g.W) + j0 + q - g.PW), ref Unsafe.Add(ref dst, j0), j1 - j0);
                        for (int j = j1; j < wo; j++) Unsafe.Add(ref dst, j) = T.Zero;
                    }
                }
    }

    // The adjoint of Im2Col: adds each column back onto the patch it came from (padding positions are dropped).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Col2Im<T>(ReadOnlySpan<T> cols, in Geometry g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ho = g.Ho, wo = g.Wo, row = 0;
        // As in Im2Col: stride-1 runs through references once both lengths are checked against the geometry.
        bool stride1 = g.SW == 1 && cols.Length >= g.Ckk * ho * wo && dx.Length >= g.C * g.H * g.W;
        ref T cs = ref MemoryMarshal.GetReference(cols);
        ref T ds = ref MemoryMarshal.GetReference(dx);
        for (int c = 0; c < g.C; c++)
            for (int p = 0; p < g.KH; p++)
                for (int q = 0; q < g.KW; q++, row++)
                {
                    var (j0, j1) = Run(g, q, wo);
                    for (int i = 0; i < ho; i++)
                    {
                        int h = (i * g.SH) - g.PH + p;
                        if ((uint)h >= (uint)g.H) continue;
                        if (stride1)
                        {
                            AddRun(ref Unsafe.Add(ref cs, (((row * ho) + i) * wo) + j0), ref Unsafe.Add(ref ds, (((c * g.H) + h) * g.W) + j0 + q - g.PW), j1 - j0);
                            continue;
                        }
                        var src = cols.Slice(((row * ho) + i) * wo, wo);
                        var dst = dx.Slice(((c * g.H) + h) * g.W, g.W);
                        for (int j = 0, v = q - g.PW; j < wo; j++, v += g.SW)
                            if ((uint)v < (uint)g.W) dst[v] += src[j];
                    }
                }
    }

    // dst = src for the short runs (a row of the output, a few dozen values) im2col copies by the thousand: whole
    // vectors, the last overlapping the one before, instead of a general-purpose memmove call per run.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun<T>(ref T src, ref T dst, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        if (!Vector.IsHardwareAccelerated || !Vector<T>.IsSupported || n < w)
        {
            for (int j = 0; j < n; j++) Unsafe.Add(ref dst, j) = Unsafe.Add(ref src, j);
            return;
        }
        for (int j = 0; j < n - w; j += w) Vector.StoreUnsafe(Vector.LoadUnsafe(ref src, (nuint)j), ref dst, (nuint)j);
        Vector.StoreUnsafe(Vector.LoadUnsafe(ref src, (nuint)(n - w)), ref dst, (nuint)(n - w));
    }

    // dst += src for col2im's short runs, likewise without a call per run.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRun<T>(ref T src, ref T dst, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref dst, (nuint)j) + Vector.LoadUnsafe(ref src, (nuint)j), ref dst, (nuint)j);
        for (; j < n; j++) Unsafe.Add(ref dst, j) += Unsafe.Add(ref src, j);
    }

    // With stride 1, the outputs j in [j0, j1) of kernel column q read input column j + q − pW inside the image.
    private static (int J0, int J1) Run(in Geometry g, int q, int wo)
    {
        int j0 = Math.Clamp(g.PW - q, 0, wo);
        return (j0, Math.Clamp(g.W + g.PW - q, j0, wo));
    }

    // dout or y must be [n, c, h, w]; checked without building a shape array (this runs every training step).
    private static void CheckShape<T>(NDArray<T> a, int n, int c, int h, int w, string name, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a, name);
        if (a.Rank != 4 || a.Shape[0] != n || a.Shape[1] != c || a.Shape[2] != h || a.Shape[3] != w)
            throw new ArgumentException($"{name} has shape {Shapes.Format(a.Shape)} but {what} has shape [{n}, {c}, {h}, {w}].", name);
    }

    internal static void CheckDout<T>(NDArray<T> dout, ReadOnlySpan<int> expected) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dout);
        if (!dout.Shape.AsSpan().SequenceEqual(expected))
            throw new ArgumentException(
                $"dout has shape {Shapes.Format(dout.Shape)} but the forward output had shape {Shapes.Format(expected)}.", nameof(dout));
    }

    /// <summary>The sizes of one convolution call, validated once so the loops can trust them.</summary>
    internal readonly record struct Geometry(int N, int C, int H, int W, int F, int KH, int KW, int SH, int SW, int PH, int PW)
    {
        public int Ho => Size(H, KH, SH, PH);
        public int Wo => Size(W, KW, SW, PW);
        public int P => Ho * Wo;
        public int Ckk => C * KH * KW;

        public static Geometry Of<T>(NDArray<T> x, NDArray<T> w, NDArray<T>? b, Size2d stride, Size2d padding)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            Check.Rank(x, 4, nameof(x), "N, C, H, W");
            Check.Rank(w, 4, nameof(w), "outC, inC, kH, kW");
            CheckStridePadding(stride, padding);
            if (w.Shape[1] != x.Shape[1])
                throw new ArgumentException(
                    $"w has shape {Shapes.Format(w.Shape)}, so it expects {w.Shape[1]} input channels, but x has shape {Shapes.Format(x.Shape)} with {x.Shape[1]} channels (dimension 1).", nameof(w));
            if (b is not null && (b.Rank != 1 || b.Shape[0] != w.Shape[0]))
                throw new ArgumentException(
                    $"b has shape {Shapes.Format(b.Shape)} but must be [{w.Shape[0]}]: one bias per filter of w {Shapes.Format(w.Shape)}.", nameof(b));
            if (w.Shape[1] == 0 || w.Shape[2] == 0 || w.Shape[3] == 0)
                throw new ArgumentException(
                    $"w has shape {Shapes.Format(w.Shape)}: a filter needs at least one input channel and a kernel of at least 1×1.", nameof(w));
            long hp = x.Shape[2] + (2L * padding.H), wp = x.Shape[3] + (2L * padding.W);
            if (w.Shape[2] > hp || w.Shape[3] > wp)
                throw new ArgumentException(
                    $"The kernel {w.Shape[2]}×{w.Shape[3]} (w has shape {Shapes.Format(w.Shape)}) is larger than the padded input {hp}×{wp} (x has shape {Shapes.Format(x.Shape)}, padding {padding}).", nameof(w));
            var g = new Geometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[0], w.Shape[2], w.Shape[3],
                stride.H, stride.W, padding.H, padding.W);
            // The columns of one image, [C·kH·kW, Ho·Wo], must fit one array (and every product below must fit an int).
            long columns = (long)g.C * g.KH * g.KW * g.Ho * g.Wo, output = (long)g.N * g.F * g.Ho * g.Wo;
            if (columns > Array.MaxLength || output > Array.MaxLength)
                throw new ArgumentException(
                    $"This convolution is too large for one array: x {Shapes.Format(x.Shape)}, w {Shapes.Format(w.Shape)}, stride {stride}, padding {padding} " +
                    $"needs {Math.Max(columns, output)} values in one buffer.", nameof(x));
            return g;
        }
    }

    internal static void CheckStridePadding(Size2d stride, Size2d padding)
    {
        if (stride.H <= 0 || stride.W <= 0)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"stride must be positive on both axes, got {stride}.");
        if (padding.H < 0 || padding.W < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"padding must be ≥ 0 on both axes, got {padding}.");
    }
}

/// <summary>
/// A convolution layer that owns its filters and bias (torch.nn.Conv2d): weight [outC, inC, kH, kW] and bias [outC],
/// initialised as PyTorch does, U(±1/√fan_in) with fan_in = inC·kH·kW. Backward adds dW and db to the parameters'
/// gradients and returns dx; the math is <see cref="Conv2d"/>.
/// </summary>
public sealed class Conv2dLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A k×k (or kH×kW) convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/>, initialised from <paramref name="rng"/>.</summary>
    public Conv2dLayer(int inChannels, int outChannels, Size2d kernel, Rng rng, Size2d? stride = null, Size2d padding = default,
        bool bias = true, string name = "conv")
    {
        Check.PositiveInt(inChannels, nameof(inChannels));
        Check.PositiveInt(outChannels, nameof(outChannels));
        if (kernel.H <= 0 || kernel.W <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"kernel must be positive on both axes, got {kernel}.");
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(name);
        Conv2d.CheckStridePadding(stride ?? 1, padding);
        Shapes.Count([outChannels, inChannels, kernel.H, kernel.W], nameof(kernel));
        Weight = new Parameter<T>(name + ".weight", new NDArray<T>([outChannels, inChannels, kernel.H, kernel.W]));
        Bias = bias ? new Parameter<T>(name + ".bias", new NDArray<T>([outChannels])) : null;
        Init.Conv2dDefault(Weight.Value, Bias?.Value, rng);
        (Stride, Padding) = (stride ?? 1, padding);
    }

    /// <summary>A layer starting from the given filters [outC, inC, kH, kW] and bias [outC] (both copied; bias may be null).</summary>
    public Conv2dLayer(NDArray<T> weight, NDArray<T>? bias, Size2d? stride = null, Size2d padding = default, string name = "conv")
    {
        Check.Rank(weight, 4, nameof(weight), "outC, inC, kH, kW");
        if (weight.Shape[0] == 0 || weight.Shape[1] == 0 || weight.Shape[2] == 0 || weight.Shape[3] == 0)
            throw new ArgumentException($"weight has shape {Shapes.Format(weight.Shape)}: every dimension must be at least 1.", nameof(weight));
        if (bias is not null && (bias.Rank != 1 || bias.Length != weight.Shape[0]))
            throw new ArgumentException($"bias has shape {Shapes.Format(bias.Shape)} but must be [{weight.Shape[0]}], one per filter.", nameof(bias));
        ArgumentNullException.ThrowIfNull(name);
        Conv2d.CheckStridePadding(stride ?? 1, padding);
        Weight = new Parameter<T>(name + ".weight", weight.Clone());
        Bias = bias is null ? null : new Parameter<T>(name + ".bias", bias.Clone());
        (Stride, Padding) = (stride ?? 1, padding);
    }

    /// <summary>The filters, [outC, inC, kH, kW].</summary>
    public Parameter<T> Weight { get; }

    /// <summary>The bias, [outC], or null.</summary>
    public Parameter<T>? Bias { get; }

    /// <summary>The step between windows (height, width).</summary>
    public Size2d Stride { get; }

    /// <summary>The zero padding on each side (height, width).</summary>
    public Size2d Padding { get; }

    /// <summary>The weight and (when present) the bias, in PyTorch's state-dict order.</summary>
    public IReadOnlyList<Parameter<T>> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    /// <summary>out = conv(x, W) + b for x [N, inC, H, W].</summary>
    public (NDArray<T> Out, Conv2dCache<T> Cache) Forward(NDArray<T> x) => Conv2d.Forward(x, Weight.Value, Bias?.Value, Stride, Padding);

    /// <summary>Adds dW and db to the parameters' gradients and returns dx.</summary>
    public NDArray<T> Backward(NDArray<T> dout, Conv2dCache<T> cache)
    {
        CheckBackward(dout, cache);
        var dx = cache.X.ZerosLike();
        Conv2d.BackwardInto(dout, cache.X, Weight.Value, dx, Weight.Grad, Bias?.Grad, Stride, Padding, accumulate: true);
        return dx;
    }

    /// <summary>Sets the gradients of the weight and bias to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }

    /// <summary>Throws unless <paramref name="cache"/> came from this layer's Forward and <paramref name="dout"/> fits it; changes nothing.</summary>
    internal void CheckBackward(NDArray<T> dout, Conv2dCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (!ReferenceEquals(cache.W, Weight.Value) || cache.HasBias != Bias is not null || cache.Stride != Stride || cache.Padding != Padding)
            throw new ArgumentException("cache was made by another convolution (or the functional form): pass the cache this layer's Forward returned.", nameof(cache));
        var g = Conv2d.Geometry.Of(cache.X, cache.W, null, cache.Stride, cache.Padding);
        Conv2d.CheckDout(dout, [g.N, g.F, g.Ho, g.Wo]);
    }
}
