using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>
/// What the recurrent layers share, as PyTorch's <c>RNNBase</c> does: four parameters whose rows stack one block of
/// <c>hidden</c> rows per gate (1 block for <see cref="RnnLayer{T}"/>, 4 for <see cref="LstmLayer{T}"/> in the order
/// i, f, g, o), PyTorch's initialisation U(−1/√hidden, 1/√hidden), and the checks of x and of a start state.
/// </summary>
public abstract class RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly string _kind;

    private protected RecurrentLayer(string kind, int gates, int inputSize, int hiddenSize, Rng rng, string name)
    {
        Check.PositiveInt(inputSize, nameof(inputSize));
        Check.PositiveInt(hiddenSize, nameof(hiddenSize));
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(name);
        _kind = kind;
        Wih = new Parameter<T>(name + ".weight_ih_l0", new NDArray<T>([gates * hiddenSize, inputSize]));
        Whh = new Parameter<T>(name + ".weight_hh_l0", new NDArray<T>([gates * hiddenSize, hiddenSize]));
        Bih = new Parameter<T>(name + ".bias_ih_l0", new NDArray<T>([gates * hiddenSize]));
        Bhh = new Parameter<T>(name + ".bias_hh_l0", new NDArray<T>([gates * hiddenSize]));
        double bound = 1 / Math.Sqrt(hiddenSize); // torch.nn.RNNBase.reset_parameters: every parameter U(−1/√H, 1/√H)
        foreach (var p in Parameters)
            for (int i = 0; i < p.Value.Length; i++) p.Value.Data[i] = T.CreateChecked(rng.Uniform(-bound, bound));
    }

    /// <summary>∂L/∂W_ih, ∂L/∂W_hh and ∂L/∂b summed over the steps of one backward pass, before they reach .Grad.</summary>
    private protected sealed record GradientSums(NDArray<T> Wih, NDArray<T> Whh, NDArray<T> B);

    private protected GradientSums NewGradientSums() => new(Wih.Value.ZerosLike(), Whh.Value.ZerosLike(), Bih.Value.ZerosLike());

    /// <summary>
    /// Backward through one step's affine part z = x_t·W_ihᵀ + h_{t−1}·W_hhᵀ + b_ih + b_hh, the same in every cell:
    /// given ∂L/∂z [n, gates·hidden], writes ∂L/∂x_t and ∂L/∂h_{t−1} and adds this step's weight and bias gradients.
    /// </summary>
    private protected void AffineBackward(ReadOnlySpan<T> dz, ReadOnlySpan<T> xt, ReadOnlySpan<T> hPrev, Span<T> dxt, Span<T> dhPrev, GradientSums sums)
    {
        int width = Wih.Value.Dim(0), inF = InputSize, hid = HiddenSize, n = dz.Length / width;
        Gemm.Multiply(dz, Wih.Value.Data, dxt, n, inF, width);                                            // ∂L/∂x_t = dz·W_ih
        Gemm.Multiply(dz, xt, sums.Wih.Data, width, inF, n, transA: true, accumulate: true);             // += dzᵀ·x_t
        Gemm.Multiply(dz, hPrev, sums.Whh.Data, width, hid, n, transA: true, accumulate: true);          // += dzᵀ·h_{t−1}
        for (int r = 0; r < n; r++) TensorPrimitives.Add(sums.B.Span, dz.Slice(r * width, width), sums.B.Span);
        Gemm.Multiply(dz, Whh.Value.Data, dhPrev, n, hid, width);                                         // ∂L/∂h_{t−1} = dz·W_hh
    }

    /// <summary>Adds the summed gradients to .Grad: called once everything is computed, so a failed call changes nothing.</summary>
    private protected void CommitGradients(GradientSums sums)
    {
        TensorPrimitives.Add(Wih.Grad.Span, sums.Wih.Span, Wih.Grad.Span);
        TensorPrimitives.Add(Whh.Grad.Span, sums.Whh.Span, Whh.Grad.Span);
        TensorPrimitives.Add(Bih.Grad.Span, sums.B.Span, Bih.Grad.Span);   // b_ih and b_hh enter z the same way
        TensorPrimitives.Add(Bhh.Grad.Span, sums.B.Span, Bhh.Grad.Span);
    }

    /// <summary>Input-to-hidden weights, one block per gate: [gates·hidden, in].</summary>
    public Parameter<T> Wih { get; }

    /// <summary>Hidden-to-hidden (recurrent) weights, one block per gate: [gates·hidden, hidden].</summary>
    public Parameter<T> Whh { get; }

    /// <summary>Input biases, one block per gate: [gates·hidden].</summary>
    public Parameter<T> Bih { get; }

    /// <summary>Recurrent biases, one block per gate: [gates·hidden].</summary>
    public Parameter<T> Bhh { get; }

    /// <summary>The number of input features.</summary>
    public int InputSize => Wih.Value.Dim(1);

    /// <summary>The number of hidden units.</summary>
    public int HiddenSize => Whh.Value.Dim(1);

    /// <summary>W_ih, W_hh, b_ih, b_hh, in PyTorch's state-dict order.</summary>
    public IReadOnlyList<Parameter<T>> Parameters => [Wih, Whh, Bih, Bhh];

    /// <summary>Sets the gradients of all four parameters to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }

    /// <summary>Checks x is a non-empty [T, N, in] with this layer's input size; returns (T, N).</summary>
    private protected (int Steps, int N) CheckInput(NDArray<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        Check.Rank(x, 3, nameof(x), "T, N, input_size");
        if (x.Dim(2) != InputSize)
            throw new ArgumentException($"x has shape {Shapes.Format(x.Shape)} but this {_kind} takes {InputSize} input features: x must be [T, N, {InputSize}].", nameof(x));
        if (x.Dim(0) == 0 || x.Dim(1) == 0)
            throw new ArgumentException($"x has shape {Shapes.Format(x.Shape)}: it needs at least one time step and one sequence.", nameof(x));
        return (x.Dim(0), x.Dim(1));
    }

    /// <summary>Checks a start state (h₀ or c₀), when given, is [N, hidden] for the batch of x.</summary>
    private protected void CheckState(NDArray<T>? state, string name, NDArray<T> x, int n)
    {
        if (state is null) return;
        Check.Rank(state, 2, name, "N, hidden");
        if (state.Dim(0) != n || state.Dim(1) != HiddenSize)
            throw new ArgumentException($"{name} has shape {Shapes.Format(state.Shape)} but must be [{n}, {HiddenSize}] (batch of x {Shapes.Format(x.Shape)}, hidden size {HiddenSize}).", name);
    }
}
