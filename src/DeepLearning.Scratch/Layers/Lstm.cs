using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>
/// What <see cref="LstmLayer{T}.Forward"/> keeps for backpropagation through time: the input, h₀, c₀, every hidden
/// and cell state, and the four activated gates i, f, g, o of every step ([T, N, 4·hidden], PyTorch's gate order).
/// </summary>
public sealed record LstmCache<T>(NDArray<T> X, NDArray<T> H0, NDArray<T> C0, NDArray<T> H, NDArray<T> C, NDArray<T> Gates, NDArray<T> Wih, NDArray<T> Whh)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// A one-layer LSTM as torch.nn.LSTM computes it with its default layout (batch_first=False): x is [T, N, in], h₀ and
/// c₀ are [N, hidden], and with z_t = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh split into four blocks in the order
/// i, f, g, o: i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o), c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
/// The output is every h_t, [T, N, hidden]; its last row is PyTorch's h_n, and the last cell state is c_n. The same
/// weights serve every step, so the backward pass adds each step's contribution into the same gradients.
/// </summary>
public sealed class LstmLayer<T> : RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// An LSTM from <paramref name="inputSize"/> features to <paramref name="hiddenSize"/> states, initialised as
    /// PyTorch does, U(−1/√hidden, 1/√hidden). With <paramref name="forgetBias"/>, the forget gate's total bias starts
    /// at that value instead (b_ih's forget block = forgetBias, b_hh's = 0): 1 is the usual choice (Jozefowicz et al. 2015),
    /// so that the cell starts by keeping about σ(1) ≈ 73 % of itself per step rather than σ(0) = 50 %.
    /// </summary>
    public LstmLayer(int inputSize, int hiddenSize, Rng rng, double? forgetBias = null, string name = "lstm")
        : base("LSTM", gates: 4, inputSize, hiddenSize, CheckedBeforeDrawing(rng, forgetBias), name)
    {
        if (forgetBias is double f)
        {
            // Drawn first and then overwritten, so the other weights are the same with or without the option.
            Bih.Value.Span.Slice(hiddenSize, hiddenSize).Fill(T.CreateChecked(f));
            Bhh.Value.Span.Slice(hiddenSize, hiddenSize).Clear();
        }
    }

    // Runs before the base constructor draws from rng: a bad forgetBias must leave the generator untouched.
    private static Rng CheckedBeforeDrawing(Rng rng, double? forgetBias)
    {
        if (forgetBias is double fb) Check.Finite(fb, nameof(forgetBias));
        return rng;
    }

    /// <summary>The forget gate's total bias b_ih + b_hh for each unit (its block is the second of four).</summary>
    public T[] ForgetGateBias()
    {
        int hid = HiddenSize;
        var sum = new T[hid];
        TensorPrimitives.Add(Bih.Value.Span.Slice(hid, hid), Bhh.Value.Span.Slice(hid, hid), sum);
        return sum;
    }

    /// <summary>
    /// Runs the sequence <paramref name="x"/> [T, N, in] from <paramref name="h0"/> and <paramref name="c0"/> [N, hidden]
    /// (zeros when null); returns every h_t, [T, N, hidden]. The cache holds every c_t (the last is c_n).
    /// </summary>
    public (NDArray<T> Out, LstmCache<T> Cache) Forward(NDArray<T> x, NDArray<T>? h0 = null, NDArray<T>? c0 = null)
    {
        var (steps, n) = CheckInput(x);
        int hid = HiddenSize, inF = InputSize, g4 = 4 * hid;
        CheckState(h0, nameof(h0), x, n);
        CheckState(c0, nameof(c0), x, n);
        // Copies: later edits to x, h0 or c0 cannot reach the cache.
        var hStart = h0 is null ? new NDArray<T>([n, hid]) : NDArray.From(h0.Data, h0.Shape);
        var cStart = c0 is null ? new NDArray<T>([n, hid]) : NDArray.From(c0.Data, c0.Shape);
        var xs = NDArray.From(x.Data, x.Shape);
        var h = new NDArray<T>([steps, n, hid]);
        var c = new NDArray<T>([steps, n, hid]);
        var gates = new NDArray<T>([steps, n, g4]);
        int block = n * hid;
        for (int t = 0; t < steps; t++)
        {
            var z = gates.Data.AsSpan(t * n * g4, n * g4);
            ReadOnlySpan<T> hPrev = t == 0 ? hStart.Data : h.Data.AsSpan((t - 1) * block, block);
            ReadOnlySpan<T> cPrev = t == 0 ? cStart.Data : c.Data.AsSpan((t - 1) * block, block);
            Gemm.Multiply<T>(xs.Data.AsSpan(t * n * inF, n * inF), Wih.Value.Data, z, n, g4, inF, transB: true);  // x_t·W_ihᵀ
            Gemm.Multiply<T>(hPrev, Whh.Value.Data, z, n, g4, hid, transB: true, accumulate: true);              // + h_{t−1}·W_hhᵀ
            var ct = c.Data.AsSpan(t * block, block);
            var ht = h.Data.AsSpan(t * block, block);
            for (int r = 0; r < n; r++)
            {
                var row = z.Slice(r * g4, g4);
                TensorPrimitives.Add(row, Bih.Value.Span, row);
                TensorPrimitives.Add(row, Bhh.Value.Span, row);
                TensorPrimitives.Sigmoid<T>(row[..(2 * hid)], row[..(2 * hid)]);  // i, f
                TensorPrimitives.Tanh<T>(row.Slice(2 * hid, hid), row.Slice(2 * hid, hid)); // g
                TensorPrimitives.Sigmoid<T>(row[(3 * hid)..], row[(3 * hid)..]);  // o
                Span<T> ig = row[..hid], fg = row.Slice(hid, hid), gg = row.Slice(2 * hid, hid), og = row[(3 * hid)..];
                var cRow = ct.Slice(r * hid, hid);
                var hRow = ht.Slice(r * hid, hid);
                var cPrevRow = cPrev.Slice(r * hid, hid);
                for (int j = 0; j < hid; j++)
                {
                    cRow[j] = (fg[j] * cPrevRow[j]) + (ig[j] * gg[j]);   // c_t = f ⊙ c_{t−1} + i ⊙ g: the additive path
                    hRow[j] = og[j] * T.Tanh(cRow[j]);                   // h_t = o ⊙ tanh(c_t)
                }
            }
        }
        return (NDArray.From(h.Data, h.Shape), new LstmCache<T>(xs, hStart, cStart, h, c, gates, Wih.Value, Whh.Value));
    }

    /// <summary>
    /// Backpropagation through time: adds ∂L/∂W_ih, ∂L/∂W_hh, ∂L/∂b_ih, ∂L/∂b_hh into the parameters' gradients and
    /// returns ∂L/∂x [T, N, in]. <paramref name="dOut"/> is ∂L/∂h_t for every step (zeros where the loss does not look).
    /// When given, <paramref name="dCell"/> [T, N, hidden] receives the total ∂L/∂c_t — the gradient on the cell's
    /// additive path, which going back one step is only multiplied by f.
    /// </summary>
    public NDArray<T> Backward(NDArray<T> dOut, LstmCache<T> cache, NDArray<T>? dCell = null)
    {
        ArgumentNullException.ThrowIfNull(dOut);
        ArgumentNullException.ThrowIfNull(cache);
        if (!ReferenceEquals(cache.Wih, Wih.Value) || !ReferenceEquals(cache.Whh, Whh.Value))
            throw new ArgumentException("cache was made by another LSTM layer: pass the cache this layer's Forward returned.", nameof(cache));
        Check.SameShape(cache.H, "the forward output", dOut, nameof(dOut));
        if (dCell is not null) Check.SameShape(cache.C, "the forward cell states", dCell, nameof(dCell));
        int steps = cache.H.Dim(0), n = cache.H.Dim(1), hid = HiddenSize, inF = InputSize, g4 = 4 * hid, block = n * hid;

        var dx = cache.X.ZerosLike();
        var sums = NewGradientSums();
        var dh = new T[block];       // ∂L/∂h_t, total
        var dhNext = new T[block];   // ∂L/∂h_t arriving from step t + 1
        var dc = new T[block];       // ∂L/∂c_t, total
        var dcNext = new T[block];   // ∂L/∂c_t arriving from step t + 1 (through f_{t+1})
        var da = new T[n * g4];      // ∂L/∂z_t, the four pre-activations
        for (int t = steps - 1; t >= 0; t--)
        {
            TensorPrimitives.Add(dOut.Data.AsSpan(t * block, block), dhNext, dh);
            ReadOnlySpan<T> gates = cache.Gates.Data.AsSpan(t * n * g4, n * g4);
            ReadOnlySpan<T> ct = cache.C.Data.AsSpan(t * block, block);
            ReadOnlySpan<T> cPrev = t == 0 ? cache.C0.Data : cache.C.Data.AsSpan((t - 1) * block, block);
            for (int r = 0; r < n; r++)
            {
                var row = gates.Slice(r * g4, g4);
                var dRow = da.AsSpan(r * g4, g4);
                for (int j = 0; j < hid; j++)
                {
                    int k = (r * hid) + j;
                    T i = row[j], f = row[hid + j], g = row[(2 * hid) + j], o = row[(3 * hid) + j];
                    T tc = T.Tanh(ct[k]);
                    T dcTotal = dcNext[k] + (dh[k] * o * (T.One - (tc * tc)));   // through h_t = o ⊙ tanh(c_t), plus from c_{t+1}
                    dc[k] = dcTotal;
                    dRow[j] = dcTotal * g * i * (T.One - i);                        // ∂L/∂z_i
                    dRow[hid + j] = dcTotal * cPrev[k] * f * (T.One - f);           // ∂L/∂z_f
                    dRow[(2 * hid) + j] = dcTotal * i * (T.One - (g * g));          // ∂L/∂z_g
                    dRow[(3 * hid) + j] = dh[k] * tc * o * (T.One - o);             // ∂L/∂z_o
                    dcNext[k] = dcTotal * f;                                        // on to c_{t−1}: only × f
                }
            }
            if (dCell is not null) dc.CopyTo(dCell.Data.AsSpan(t * block, block));
            ReadOnlySpan<T> hPrev = t == 0 ? cache.H0.Data : cache.H.Data.AsSpan((t - 1) * block, block);
            AffineBackward(da, cache.X.Data.AsSpan(t * n * inF, n * inF), hPrev, dx.Data.AsSpan(t * n * inF, n * inF), dhNext, sums);
        }
        CommitGradients(sums);   // everything is computed; only now touch the parameters
        return dx;
    }
}
