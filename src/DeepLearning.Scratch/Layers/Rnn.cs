using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>What <see cref="RnnLayer{T}.Forward"/> keeps for backpropagation through time: the input, h₀ and every hidden state.</summary>
public sealed record RnnCache<T>(NDArray<T> X, NDArray<T> H0, NDArray<T> H, NDArray<T> Wih, NDArray<T> Whh)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// A one-layer vanilla (Elman) RNN with tanh, as torch.nn.RNN computes it with its default layout (batch_first=False):
/// x is [T, N, in], h₀ is [N, hidden], and h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh). The output is every
/// h_t, [T, N, hidden]; the last row is PyTorch's h_n. The same four parameters are used at every time step, so the
/// backward pass (backpropagation through time) adds each step's contribution into the same gradients.
/// </summary>
public sealed class RnnLayer<T> : RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>An RNN from <paramref name="inputSize"/> features to <paramref name="hiddenSize"/> states, initialised as PyTorch does, U(−1/√hidden, 1/√hidden).</summary>
    public RnnLayer(int inputSize, int hiddenSize, Rng rng, string name = "rnn")
        : base("RNN", gates: 1, inputSize, hiddenSize, rng, name)
    {
    }

    /// <summary>Runs the sequence <paramref name="x"/> [T, N, in] from <paramref name="h0"/> [N, hidden] (zeros when null); returns every h_t, [T, N, hidden].</summary>
    public (NDArray<T> Out, RnnCache<T> Cache) Forward(NDArray<T> x, NDArray<T>? h0 = null)
    {
        var (steps, n) = CheckInput(x);
        int hid = HiddenSize, inF = InputSize;
        CheckState(h0, nameof(h0), x, n);
        var start = h0 is null ? new NDArray<T>([n, hid]) : NDArray.From(h0.Data, h0.Shape); // a copy: later edits to h0 cannot reach the cache
        var xs = NDArray.From(x.Data, x.Shape);
        var h = new NDArray<T>([steps, n, hid]);
        int block = n * hid;
        for (int t = 0; t < steps; t++)
        {
            var ht = h.Data.AsSpan(t * block, block);
            ReadOnlySpan<T> prev = t == 0 ? start.Data : h.Data.AsSpan((t - 1) * block, block);
            Gemm.Multiply<T>(xs.Data.AsSpan(t * n * inF, n * inF), Wih.Value.Data, ht, n, hid, inF, transB: true);  // x_t·W_ihᵀ
            Gemm.Multiply<T>(prev, Whh.Value.Data, ht, n, hid, hid, transB: true, accumulate: true);             // + h_{t−1}·W_hhᵀ
            for (int i = 0; i < n; i++)
            {
                var row = ht.Slice(i * hid, hid);
                TensorPrimitives.Add(row, Bih.Value.Span, row);
                TensorPrimitives.Add(row, Bhh.Value.Span, row);
            }
            TensorPrimitives.Tanh(ht, ht);
        }
        return (NDArray.From(h.Data, h.Shape), new RnnCache<T>(xs, start, h, Wih.Value, Whh.Value));
    }

    /// <summary>
    /// Backpropagation through time: adds ∂L/∂W_ih, ∂L/∂W_hh, ∂L/∂b_ih, ∂L/∂b_hh into the parameters' gradients and
    /// returns ∂L/∂x [T, N, in]. <paramref name="dOut"/> is ∂L/∂h_t for every step (zeros where the loss does not look).
    /// When given, <paramref name="dHidden"/> [T, N, hidden] receives the total ∂L/∂h_t — through the output at t and
    /// through all later steps — which is what vanishes or explodes over time.
    /// </summary>
    public NDArray<T> Backward(NDArray<T> dOut, RnnCache<T> cache, NDArray<T>? dHidden = null)
    {
        ArgumentNullException.ThrowIfNull(dOut);
        ArgumentNullException.ThrowIfNull(cache);
        if (!ReferenceEquals(cache.Wih, Wih.Value) || !ReferenceEquals(cache.Whh, Whh.Value))
            throw new ArgumentException("cache was made by another RNN layer: pass the cache this layer's Forward returned.", nameof(cache));
        Check.SameShape(cache.H, "the forward output", dOut, nameof(dOut));
        if (dHidden is not null) Check.SameShape(cache.H, "the forward output", dHidden, nameof(dHidden));
        int steps = cache.H.Dim(0), n = cache.H.Dim(1), hid = HiddenSize, inF = InputSize, block = n * hid;

        var dx = cache.X.ZerosLike();
        var sums = NewGradientSums();
        var dh = new T[block];     // ∂L/∂h_t, total
        var dNext = new T[block];  // ∂L/∂h_t arriving from step t + 1
        var da = new T[block];     // ∂L/∂(pre-activation) at step t
        for (int t = steps - 1; t >= 0; t--)
        {
            TensorPrimitives.Add(dOut.Data.AsSpan(t * block, block), dNext, dh);
            if (dHidden is not null) dh.CopyTo(dHidden.Data.AsSpan(t * block, block));
            var ht = cache.H.Data.AsSpan(t * block, block);
            for (int i = 0; i < block; i++) da[i] = dh[i] * (T.One - (ht[i] * ht[i])); // tanh′ = 1 − tanh²
            ReadOnlySpan<T> prev = t == 0 ? cache.H0.Data : cache.H.Data.AsSpan((t - 1) * block, block);
            AffineBackward(da, cache.X.Data.AsSpan(t * n * inF, n * inF), prev, dx.Data.AsSpan(t * n * inF, n * inF), dNext, sums);
        }
        CommitGradients(sums);   // everything is computed; only now touch the parameters
        return dx;
    }
}
