using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepLearning.Scratch;

/// <summary>What <see cref="MaxPool2d.Backward"/> needs: where each output's maximum came from (flat index into x).</summary>
public sealed record MaxPool2dCache(int[] XShape, int[] OutShape, int[] Argmax);

/// <summary>What <see cref="AvgPool2d.Backward"/> needs: the input shape and the window geometry.</summary>
public sealed record AvgPool2dCache(int[] XShape, int[] OutShape, Size2d Kernel, Size2d Stride, Size2d Padding, bool CountIncludePad);

/// <summary>What <see cref="GlobalAvgPool.Backward"/> needs: the input shape.</summary>
public sealed record GlobalAvgPoolCache(int[] XShape);

/// <summary>
/// Max pooling (PyTorch's <c>F.max_pool2d</c>): each output is the largest value in its kH×kW window of x [N, C, H, W];
/// padding counts as −∞. The gradient flows only to that largest value, so the forward pass remembers where it was.
/// </summary>
public static class MaxPool2d
{
    /// <summary>Pools x [N, C, H, W] into [N, C, Ho, Wo]; stride defaults to the kernel size (non-overlapping windows).</summary>
    public static (NDArray<T> Out, MaxPool2dCache Cache) Forward<T>(NDArray<T> x, Size2d kernel, Size2d? stride = null, Size2d padding = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = PoolGeometry.Of(x, kernel, stride ?? kernel, padding);
        var y = new NDArray<T>(g.OutShape);
        int[] argmax = new int[y.Length];
        ForwardInto(x, kernel, stride, padding, y, argmax);
        return (y, new MaxPool2dCache(x.Shape, g.OutShape, argmax));
    }

    /// <summary>
    /// <see cref="Forward"/> into <paramref name="y"/> [N, C, Ho, Wo] and <paramref name="argmax"/> (one flat index into
    /// x per output), allocating nothing: the form for training loops that reuse their arrays.
    /// </summary>
    public static void ForwardInto<T>(NDArray<T> x, Size2d kernel, Size2d? stride, Size2d padding, NDArray<T> y, int[] argmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = PoolGeometry.Of(x, kernel, stride ?? kernel, padding);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(argmax);
        if (y.Rank != 4 || y.Shape[0] != g.N || y.Shape[1] != g.C || y.Shape[2] != g.Ho || y.Shape[3] != g.Wo)
            throw new ArgumentException($"y has shape {Shapes.Format(y.Shape)} but the pooled output has shape [{g.N}, {g.C}, {g.Ho}, {g.Wo}].", nameof(y));
        if (argmax.Length != y.Length)
            throw new ArgumentException($"argmax has {argmax.Length} entries but y has {y.Length} values; it needs one per output.", nameof(argmax));
        // The planes are independent, so large inputs are shared among the cores.
        bool worthwhile = (long)y.Length * g.Kernel.H * g.Kernel.W >= 1L << 16;
        Workers.For(g.N * g.C, 16, worthwhile, new MaxPlanes<T>(x.Data, y.Data, argmax, g));
    }

    private readonly struct MaxPlanes<T>(T[] xs, T[] ys, int[] argmax, PoolGeometry g) : IWorkRange
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int first, int end, int worker)
        {
            int ho = g.Ho, wo = g.Wo; // (divisions: computed once, not per output)
            if (g.Kernel == new Size2d(2, 2) && g.Stride == new Size2d(2, 2) && g.Padding == default)
            {
                Run2x2(first, end, ho, wo);
                return;
            }
            for (int plane = first; plane < end; plane++)
            {
                int offset = plane * g.H * g.W, o = plane * ho * wo;
                for (int i = 0; i < ho; i++)
                    for (int j = 0; j < wo; j++, o++)
                    {
                        var (h0, h1, w0, w1) = g.Window(i, j);
                        int best = offset + (h0 * g.W) + w0;
                        for (int h = h0; h < h1; h++)
                            for (int at = offset + (h * g.W) + w0, stop = at + (w1 - w0); at < stop; at++)
                            {
                                // Strict '>' keeps the first maximum in scan order (PyTorch's tie rule); NaN wins, as in
                                // PyTorch. Arithmetic instead of a branch: on real data which value wins is a coin toss,
                                // and mispredicted branches made this loop 2.5× slower.
                                T v = xs[at];
                                int take = (v > xs[best] ? 1 : 0) | (T.IsNaN(v) ? 1 : 0);
                                best += take * (at - best);
                            }
                        argmax[o] = best;
                        ys[o] = xs[best];
                    }
            }
        }

        // The course's pooling (2×2, stride 2, no padding: every window is whole) without the general window
        // bookkeeping: the same four candidates in the same scan order, the same tie and NaN rules.
        private void Run2x2(int first, int end, int ho, int wo)
        {
            if (typeof(T) == typeof(float) && Sse41.IsSupported && wo >= 4)
            {
                Run2x2Float(MemoryMarshal.Cast<T, float>(xs.AsSpan()), MemoryMarshal.Cast<T, float>(ys.AsSpan()), first, end, ho, wo);
                return;
            }
            int w = g.W;
            for (int plane = first; plane < end; plane++)
            {
                int offset = plane * g.H * w, o = plane * ho * wo;
                for (int i = 0; i < ho; i++, o += wo)
                {
                    int top = offset + (2 * i * w);
                    var r0 = xs.AsSpan(top, 2 * wo);
                    var r1 = xs.AsSpan(top + w, 2 * wo);
                    var yRow = ys.AsSpan(o, wo);
                    var aRow = argmax.AsSpan(o, wo);
                    for (int j = 0; j < wo; j++)
                    {
                        // The running maximum only steers the comparisons (T.Max may pick +0 over −0, which compare
                        // equal, so every decision is the same); the output is read back at the winning index.
                        T best = r0[2 * j], v;
                        int at = 0, take;
                        v = r0[(2 * j) + 1]; take = (v > best ? 1 : 0) | (T.IsNaN(v) ? 1 : 0); at += take * (1 - at); best = T.Max(best, v);
                        v = r1[2 * j]; take = (v > best ? 1 : 0) | (T.IsNaN(v) ? 1 : 0); at += take * (w - at); best = T.Max(best, v);
                        v = r1[(2 * j) + 1]; take = (v > best ? 1 : 0) | (T.IsNaN(v) ? 1 : 0); at += take * (w + 1 - at);
                        aRow[j] = top + (2 * j) + at;
                        yRow[j] = xs[top + (2 * j) + at];
                    }
                }
            }
        }

        // Run2x2 for float, four windows at a time: the even and odd columns of the two rows are split into four
        // vectors and compared in the same order with the same rules (strict '>', NaN wins) — one comparison per
        // candidate for four outputs instead of a branch-free scalar sequence per output. The last block of a row
        // overlaps the one before when Wo is not a multiple of four (those outputs are simply written twice).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Run2x2Float(ReadOnlySpan<float> x, Span<float> y, int first, int end, int ho, int wo)
        {
            int w = g.W;
            // Every read lies within the plane's rows 2i, 2i + 1 and columns < 2·Wo ≤ W; checked once here.
            if (x.Length < end * g.H * w || y.Length < end * ho * wo || argmax.Length < end * ho * wo)
                throw new InvalidOperationException("Pooling buffers are smaller than the geometry says.");
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            ref int ar = ref MemoryMarshal.GetArrayDataReference(argmax);
            var lanes = Vector128.Create(0, 2, 4, 6);
            Vector128<int> one = Vector128.Create(1), down = Vector128.Create(w), diagonal = Vector128.Create(w + 1);
            for (int plane = first; plane < end; plane++)
            {
                int offset = plane * g.H * w, o = plane * ho * wo;
                for (int i = 0; i < ho; i++, o += wo)
                {
                    int top = offset + (2 * i * w);
                    for (int j0 = 0; ; j0 += 4)
                    {
                        if (j0 > wo - 4) j0 = wo - 4;
                        int at0 = top + (2 * j0);
                        var t0 = Vector128.LoadUnsafe(ref xr, (nuint)at0);
                        var t1 = Vector128.LoadUnsafe(ref xr, (nuint)(at0 + 4));
                        var b0 = Vector128.LoadUnsafe(ref xr, (nuint)(at0 + w));
                        var b1 = Vector128.LoadUnsafe(ref xr, (nuint)(at0 + w + 4));
                        Vector128<float> best = Sse.Shuffle(t0, t1, 0b10_00_10_00), v;
                        Vector128<int> at = Vector128<int>.Zero;
                        v = Sse.Shuffle(t0, t1, 0b11_01_11_01);
                        var take = Sse.CompareGreaterThan(v, best) | Sse.CompareUnordered(v, v);
                        best = Sse41.BlendVariable(best, v, take);
                        at = Sse41.BlendVariable(at, one, take.AsInt32());
                        v = Sse.Shuffle(b0, b1, 0b10_00_10_00);
                        take = Sse.CompareGreaterThan(v, best) | Sse.CompareUnordered(v, v);
                        best = Sse41.BlendVariable(best, v, take);
                        at = Sse41.BlendVariable(at, down, take.AsInt32());
                        v = Sse.Shuffle(b0, b1, 0b11_01_11_01);
                        take = Sse.CompareGreaterThan(v, best) | Sse.CompareUnordered(v, v);
                        best = Sse41.BlendVariable(best, v, take);
                        at = Sse41.BlendVariable(at, diagonal, take.AsInt32());
                        // The selected value is the value at the winning index (what the scalar path reads back).
                        best.StoreUnsafe(ref yr, (nuint)(o + j0));
                        (at + lanes + Vector128.Create(at0)).StoreUnsafe(ref ar, (nuint)(o + j0));
                        if (j0 == wo - 4) break;
                    }
                }
            }
        }
    }

    /// <summary>∂L/∂x: each dout goes to the position its maximum came from (overlapping windows add up).</summary>
    public static NDArray<T> Backward<T>(NDArray<T> dout, MaxPool2dCache cache) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.XShape is not { Length: 4 } || cache.OutShape is not { Length: 4 })
            throw new ArgumentException($"cache must hold the [N, C, H, W] shapes of a forward pass, but has XShape {Shapes.Format(cache.XShape)} and OutShape {Shapes.Format(cache.OutShape)}.", nameof(cache));
        Conv2d.CheckDout(dout, cache.OutShape);
        var dx = new NDArray<T>(cache.XShape);
        BackwardInto(dout, cache.Argmax, dx);
        return dx;
    }

    /// <summary><see cref="Backward"/> into <paramref name="dx"/> (overwritten), given the argmax <see cref="ForwardInto"/> filled.</summary>
    public static void BackwardInto<T>(NDArray<T> dout, int[] argmax, NDArray<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dout);
        ArgumentNullException.ThrowIfNull(argmax);
        ArgumentNullException.ThrowIfNull(dx);
        if (argmax.Length != dout.Length)
            throw new ArgumentException($"dout has shape {Shapes.Format(dout.Shape)} ({dout.Length} values) but argmax has {argmax.Length} entries.", nameof(dout));
        // The usual case: [N, C, …] pooled plane by plane, every position inside its own plane of dx. Then the planes
        // are independent (cleared and filled one at a time, while they sit in the cache, and shared among the cores).
        if (dout.Rank == 4 && dx.Rank == 4 && dout.Shape[0] == dx.Shape[0] && dout.Shape[1] == dx.Shape[1]
            && dout.Length > 0 && InOwnPlanes(argmax, dout.Shape[2] * dout.Shape[3], dx.Shape[2] * dx.Shape[3]))
        {
            int planes = dout.Shape[0] * dout.Shape[1];
            Workers.For(planes, 32, dx.Length >= 1 << 18, new BackwardPlanes<T>(dout.Data, argmax, dx.Data, dout.Length / planes, dx.Length / planes));
            return;
        }
        // Every position must lie inside dx: an argmax from another (larger) pooling would write out of bounds.
        for (int o = 0; o < argmax.Length; o++)
            if ((uint)argmax[o] >= (uint)dx.Length)
                throw new ArgumentException(
                    $"argmax[{o}] = {argmax[o]} is not a position in dx (shape {Shapes.Format(dx.Shape)}, {dx.Length} values): it must come from the forward pass over an input of dx's shape.", nameof(argmax));
        dx.Span.Clear();
        T[] d = dout.Data, g = dx.Data;
        for (int o = 0; o < d.Length; o++) g[argmax[o]] += d[o];
    }

    // True when argmax[o] lies in plane o / outPlane of an input with planes of inPlane values. Vectorised: this
    // check runs over every output before anything is written, on one core.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool InOwnPlanes(int[] argmax, int outPlane, int inPlane)
    {
        if (outPlane == 0) return false;
        var limit = Vector256.Create((uint)inPlane);
        for (int o = 0, lo = 0; o < argmax.Length; lo += inPlane)
        {
            int end = o + outPlane;
            if (Vector256.IsHardwareAccelerated)
            {
                var low = Vector256.Create(lo);
                for (; o <= end - Vector256<int>.Count; o += Vector256<int>.Count)
                    if (Vector256.GreaterThanOrEqualAny((Vector256.LoadUnsafe(ref argmax[o]) - low).AsUInt32(), limit)) return false;
            }
            for (; o < end; o++)
                if ((uint)(argmax[o] - lo) >= (uint)inPlane) return false;
        }
        return true;
    }

    private readonly struct BackwardPlanes<T>(T[] dout, int[] argmax, T[] dx, int outPlane, int inPlane) : IWorkRange
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int first, int end, int worker)
        {
            dx.AsSpan(first * inPlane, (end - first) * inPlane).Clear();
            for (int o = first * outPlane; o < end * outPlane; o++) dx[argmax[o]] += dout[o];
        }
    }
}

/// <summary>
/// Average pooling (PyTorch's <c>F.avg_pool2d</c>): each output is the mean of its kH×kW window of x [N, C, H, W].
/// With <c>countIncludePad</c> (PyTorch's default) padded zeros count in the divisor; without, only real pixels do.
/// </summary>
public static class AvgPool2d
{
    /// <summary>Pools x [N, C, H, W] into [N, C, Ho, Wo]; stride defaults to the kernel size.</summary>
    public static (NDArray<T> Out, AvgPool2dCache Cache) Forward<T>(NDArray<T> x, Size2d kernel, Size2d? stride = null,
        Size2d padding = default, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = PoolGeometry.Of(x, kernel, stride ?? kernel, padding);
        var y = new NDArray<T>(g.OutShape);
        int o = 0;
        for (int plane = 0; plane < g.N * g.C; plane++)
        {
            int offset = plane * g.H * g.W;
            for (int i = 0; i < g.Ho; i++)
                for (int j = 0; j < g.Wo; j++, o++)
                {
                    var (h0, h1, w0, w1) = g.Window(i, j);
                    T sum = T.Zero;
                    for (int h = h0; h < h1; h++)
                        for (int v = w0; v < w1; v++)
                            sum += x.Data[offset + (h * g.W) + v];
                    y.Data[o] = sum / T.CreateChecked(g.Divisor(i, j, countIncludePad));
                }
        }
        return (y, new AvgPool2dCache(x.Shape, g.OutShape, kernel, stride ?? kernel, padding, countIncludePad));
    }

    /// <summary>∂L/∂x: each dout is shared equally (÷ divisor) by the pixels of its window.</summary>
    public static NDArray<T> Backward<T>(NDArray<T> dout, AvgPool2dCache cache) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(cache);
        var g = PoolGeometry.Of(cache.XShape, cache.Kernel, cache.Stride, cache.Padding, "cache.XShape");
        Conv2d.CheckDout(dout, g.OutShape);
        var dx = new NDArray<T>(cache.XShape);
        int o = 0;
        for (int plane = 0; plane < g.N * g.C; plane++)
        {
            int offset = plane * g.H * g.W;
            for (int i = 0; i < g.Ho; i++)
                for (int j = 0; j < g.Wo; j++, o++)
                {
                    var (h0, h1, w0, w1) = g.Window(i, j);
                    T share = dout.Data[o] / T.CreateChecked(g.Divisor(i, j, cache.CountIncludePad));
                    for (int h = h0; h < h1; h++)
                        for (int v = w0; v < w1; v++)
                            dx.Data[offset + (h * g.W) + v] += share;
                }
        }
        return dx;
    }
}

/// <summary>
/// Global average pooling (PyTorch's <c>nn.AdaptiveAvgPool2d(1)</c>): x [N, C, H, W] → [N, C, 1, 1], the mean of each
/// channel. ResNet's head uses it so the classifier sees one number per channel whatever the image size.
/// </summary>
public static class GlobalAvgPool
{
    /// <summary>Averages each channel of x [N, C, H, W] into out [N, C, 1, 1].</summary>
    public static (NDArray<T> Out, GlobalAvgPoolCache Cache) Forward<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Rank(x, 4, nameof(x), "N, C, H, W");
        int hw = x.Shape[2] * x.Shape[3];
        if (hw == 0)
            throw new ArgumentException($"x has shape {Shapes.Format(x.Shape)}: an empty image has no average.", nameof(x));
        var y = new NDArray<T>([x.Shape[0], x.Shape[1], 1, 1]);
        for (int plane = 0; plane < y.Length; plane++)
            y.Data[plane] = System.Numerics.Tensors.TensorPrimitives.Sum<T>(x.Data.AsSpan(plane * hw, hw)) / T.CreateChecked(hw);
        return (y, new GlobalAvgPoolCache(x.Shape));
    }

    /// <summary>∂L/∂x: each channel's dout spread evenly, dout / (H·W), over its H×W pixels.</summary>
    public static NDArray<T> Backward<T>(NDArray<T> dout, GlobalAvgPoolCache cache) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.XShape is not { Length: 4 } || cache.XShape.Any(d => d < 0) || cache.XShape[2] * (long)cache.XShape[3] == 0)
            throw new ArgumentException($"cache.XShape must be the non-empty [N, C, H, W] shape of a forward input, but is {Shapes.Format(cache.XShape)}.", nameof(cache));
        Conv2d.CheckDout(dout, [cache.XShape[0], cache.XShape[1], 1, 1]);
        var dx = new NDArray<T>(cache.XShape);
        int hw = cache.XShape[2] * cache.XShape[3];
        for (int plane = 0; plane < dout.Length; plane++)
            dx.Data.AsSpan(plane * hw, hw).Fill(dout.Data[plane] / T.CreateChecked(hw));
        return dx;
    }
}

/// <summary>The window arithmetic shared by the pooling layers, validated once.</summary>
internal readonly record struct PoolGeometry(int N, int C, int H, int W, Size2d Kernel, Size2d Stride, Size2d Padding)
{
    public int Ho => Conv2d.Size(H, Kernel.H, Stride.H, Padding.H);
    public int Wo => Conv2d.Size(W, Kernel.W, Stride.W, Padding.W);
    public int[] OutShape => [N, C, Ho, Wo];

    // The window of output (i, j), clipped to the real (unpadded) pixels: rows [h0, h1), columns [w0, w1).
    public (int H0, int H1, int W0, int W1) Window(int i, int j)
    {
        int h0 = (i * Stride.H) - Padding.H, w0 = (j * Stride.W) - Padding.W;
        return (Math.Max(h0, 0), Math.Min(h0 + Kernel.H, H), Math.Max(w0, 0), Math.Min(w0 + Kernel.W, W));
    }

    // PyTorch's divisor: the window clipped to the padded image (count_include_pad) or to the real pixels.
    public int Divisor(int i, int j, bool countIncludePad)
    {
        if (!countIncludePad)
        {
            var (h0, h1, w0, w1) = Window(i, j);
            return (h1 - h0) * (w1 - w0);
        }
        int hs = (i * Stride.H) - Padding.H, ws = (j * Stride.W) - Padding.W;
        int he = Math.Min(hs + Kernel.H, H + Padding.H), we = Math.Min(ws + Kernel.W, W + Padding.W);
        return (he - hs) * (we - ws);
    }

    public static PoolGeometry Of<T>(NDArray<T> x, Size2d kernel, Size2d stride, Size2d padding)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Rank(x, 4, nameof(x), "N, C, H, W");
        return Of(x.Shape, kernel, stride, padding, nameof(x));
    }

    // From a shape alone: the backward passes rebuild the geometry from their cache, which a caller could have made up.
    public static PoolGeometry Of(int[] xShape, Size2d kernel, Size2d stride, Size2d padding, string name)
    {
        if (xShape is not { Length: 4 } || xShape.Any(d => d < 0))
            throw new ArgumentException($"{name} must describe an [N, C, H, W] input, but is {Shapes.Format(xShape)}.", name);
        if (kernel.H <= 0 || kernel.W <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"kernel must be positive on both axes, got {kernel}.");
        Conv2d.CheckStridePadding(stride, padding);
        // PyTorch's rule: a window must always hold a real pixel, so padding may be at most half the kernel.
        if (2L * padding.H > kernel.H || 2L * padding.W > kernel.W)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"padding {padding} must be at most half the kernel {kernel}.");
        long hp = xShape[2] + (2L * padding.H), wp = xShape[3] + (2L * padding.W);
        if (kernel.H > hp || kernel.W > wp)
            throw new ArgumentException(
                $"The kernel {kernel} is larger than the padded input {hp}×{wp} ({name} is {Shapes.Format(xShape)}, padding {padding}).", nameof(kernel));
        Shapes.Count([xShape[0], xShape[1], Conv2d.Size(xShape[2], kernel.H, stride.H, padding.H), Conv2d.Size(xShape[3], kernel.W, stride.W, padding.W)], name);
        return new PoolGeometry(xShape[0], xShape[1], xShape[2], xShape[3], kernel, stride, padding);
    }
}
