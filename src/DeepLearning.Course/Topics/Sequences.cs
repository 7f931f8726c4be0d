using DeepLearning.Scratch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ScratchAttention = DeepLearning.Scratch.Attention;

namespace DeepLearning.Course;

/// <summary>
/// A recurrent sequence classifier: an <c>nn.RNN</c> (tanh), <c>nn.LSTM</c> or <c>nn.GRU</c> reads x [N, T, features]
/// (batch first, so the Trainer can batch it like any other input) and a linear layer classifies the last hidden state.
/// </summary>
public sealed class SequenceClassifier : nn.Module<Tensor, Tensor>
{
    /// <summary>The recurrent layers this classifier can use.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["RNN", "LSTM", "GRU"];

    private readonly RNN? rnn;
    private readonly LSTM? lstm;
    private readonly GRU? gru;
    private readonly TorchSharp.Modules.Linear head;

    /// <summary>
    /// A <paramref name="kind"/> ("RNN", "LSTM" or "GRU") with <paramref name="hidden"/> units reading <paramref name="features"/>
    /// per step, then a linear layer to <paramref name="classes"/> logits. For an LSTM, <paramref name="forgetBias"/> sets the
    /// forget gate's total initial bias (bias_ih's forget block to it, bias_hh's to 0), as <see cref="LstmLayer{T}"/> does.
    /// </summary>
    public SequenceClassifier(string kind, int features = 1, int hidden = 16, int classes = 2, double? forgetBias = null, string name = "sequence_classifier") : base(name)
    {
        if (!Kinds.Contains(kind))
            throw new ArgumentException($"kind must be one of {string.Join(", ", Kinds)}, got \"{kind}\".", nameof(kind));
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), features, $"features must be ≥ 1, got {features}.");
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, $"hidden must be ≥ 1, got {hidden}.");
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, $"classes must be ≥ 2, got {classes}.");
        if (forgetBias is double fb)
        {
            if (kind != "LSTM") throw new ArgumentException($"forgetBias applies to an LSTM's forget gate; a {kind} has none.", nameof(forgetBias));
            DeepLearning.Scratch.Check.Finite(fb, nameof(forgetBias));
        }
        Kind = kind;
        switch (kind)
        {
            case "RNN": rnn = nn.RNN(features, hidden, batchFirst: true); break;
            case "LSTM":
                lstm = nn.LSTM(features, hidden, batchFirst: true);
                if (forgetBias is double f)
                    using (torch.no_grad())
                    {
                        // Gate order i, f, g, o: the forget block is rows hidden … 2·hidden − 1 of both biases.
                        lstm.get_parameter("bias_ih_l0")!.narrow(0, hidden, hidden).fill_(f);
                        lstm.get_parameter("bias_hh_l0")!.narrow(0, hidden, hidden).zero_();
                    }
                break;
            default: gru = nn.GRU(features, hidden, batchFirst: true); break;
        }
        head = nn.Linear(hidden, classes);
        RegisterComponents();
    }

    /// <summary>"RNN", "LSTM" or "GRU".</summary>
    public string Kind { get; }

    /// <summary>Logits [N, classes] from the hidden state after the last step of x [N, T, features].</summary>
    public override Tensor forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 3)
            throw new ArgumentException($"x must be [N, T, features], got shape [{string.Join(", ", x.shape)}].", nameof(x));
        using var scope = torch.NewDisposeScope();
        var output = rnn is not null ? rnn.forward(x, null).Item1 : lstm is not null ? lstm.forward(x, null).Item1 : gru!.forward(x, null).Item1;
        var last = output.select(1, -1);                       // [N, hidden]: h_T, what has been remembered
        return head.forward(last).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Lesson 12 (sequences): a vanilla RNN's gradients over time, the tasks the notebook trains on, and the helpers
/// that compare the scratch RNN and attention with TorchSharp (<see cref="Parity.Rnn"/>, <see cref="Parity.ScaledDotProductAttention"/>).
/// </summary>
public static class Sequences
{
    /// <summary>
    /// ‖∂L/∂h_t‖ for t = 1 … <paramref name="steps"/> of a scratch tanh RNN whose loss only looks at the last state
    /// (L = Σ h_T), with W_hh drawn N(0, scale²/hidden) so that its spectral radius is about <paramref name="recurrentScale"/>.
    /// Backpropagation multiplies by diag(1 − h_t²)·W_hh once per step, so the norm shrinks or grows geometrically with
    /// distance from the end.
    /// </summary>
    public static double[] GradientOverTime(double recurrentScale, int steps = 40, int hidden = 32, int batch = 8, double inputScale = 0.1, int seed = 0)
    {
        DeepLearning.Scratch.Check.Positive(recurrentScale, nameof(recurrentScale));
        DeepLearning.Scratch.Check.PositiveInt(steps, nameof(steps));
        DeepLearning.Scratch.Check.PositiveInt(hidden, nameof(hidden));
        DeepLearning.Scratch.Check.PositiveInt(batch, nameof(batch));
        DeepLearning.Scratch.Check.NonNegative(inputScale, nameof(inputScale));
        var rng = new Rng((ulong)seed);
        var rnn = new RnnLayer<double>(1, hidden, rng);
        var w = rng.NormalArray<double>(0, recurrentScale / Math.Sqrt(hidden), hidden, hidden);
        w.Data.CopyTo(rnn.Whh.Value.Data, 0);
        var x = rng.NormalArray<double>(0, inputScale, steps, batch, 1);
        var (h, cache) = rnn.Forward(x);
        var dOut = h.ZerosLike();
        dOut.Data.AsSpan((steps - 1) * batch * hidden).Fill(1); // L = Σ h_T
        var dHidden = h.ZerosLike();
        rnn.Backward(dOut, cache, dHidden);
        var norms = new double[steps];
        int block = batch * hidden;
        for (int t = 0; t < steps; t++)
        {
            double s = 0;
            foreach (double g in dHidden.Data.AsSpan(t * block, block)) s += g * g;
            norms[t] = Math.Sqrt(s);
        }
        return norms;
    }

    /// <summary>
    /// The memory task: <paramref name="count"/> sequences [N, <paramref name="length"/>, 1]; the first value is +1
    /// or −1, the rest is noise U(−1, 1), and the label is 1 when the first value was +1. To answer, a model must
    /// carry one bit across every later step — the long-range dependency that vanishing gradients make hard to learn.
    /// </summary>
    public static TrainData MemoryTask(int count, int length, int seed = 0)
    {
        DeepLearning.Scratch.Check.PositiveInt(count, nameof(count));
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), length, $"length must be ≥ 2 (a first value and at least one more step), got {length}.");
        var rng = new Rng((ulong)seed);
        var x = new float[count * length];
        var labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.Uniform(0, 1) < 0.5 ? 0 : 1;
            x[i * length] = labels[i] == 1 ? 1f : -1f;
            for (int t = 1; t < length; t++) x[(i * length) + t] = (float)rng.Uniform(-1, 1);
        }
        using var xs = torch.tensor(x, [count, length, 1]);   // TrainData keeps its own aliases
        using var ys = torch.tensor(labels);
        return TrainData.Classification(xs, ys, classes: 2, name: $"memory task, length {length}");
    }
}

/// <summary>Parity of lesson 12's scratch pieces with TorchSharp.</summary>
public static partial class Parity
{
    /// <summary>
    /// The scratch <see cref="RnnLayer{T}"/> against <c>torch.nn.RNN</c> (tanh) with the same weights, h₀ and
    /// L = Σ r ⊙ out: every h_t, h_n, ∂L/∂x and the parameter gradients ∂L/∂W_ih, ∂L/∂W_hh, ∂L/∂b_ih, ∂L/∂b_hh.
    /// </summary>
    public static ParityReport Rnn(int steps = 6, int batch = 3, int input = 4, int hidden = 5, int seed = 0)
    {
        DeepLearning.Scratch.Check.PositiveInt(steps, nameof(steps));
        DeepLearning.Scratch.Check.PositiveInt(batch, nameof(batch));
        var rng = new Rng((ulong)seed);
        var scratch = new RnnLayer<float>(input, hidden, rng); // checks input and hidden
        var x = rng.NormalArray<float>(0, 1, steps, batch, input);
        var h0 = rng.NormalArray<float>(0, 0.5, batch, hidden);
        var (h, cache) = scratch.Forward(x, h0);
        var dOut = rng.NormalArray<float>(0, 1, steps, batch, hidden);
        var dx = scratch.Backward(dOut, cache);

        using var scope = torch.NewDisposeScope();
        using var rnn = nn.RNN(input, hidden);
        var named = rnn.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (torch.no_grad())
            foreach (var p in scratch.Parameters)
                named[p.Name["rnn.".Length..]].copy_(p.Value.ToTensor());
        var xt = x.ToTensor(requiresGrad: true);
        var (out_, hn) = rnn.forward(xt, h0.ToTensor().unsqueeze(0));
        out_.backward([dOut.ToTensor()]);
        var rows = new List<ParityRow>
        {
            new("output h_1 … h_T", Bridge.MaxAbsDiff(h, out_, "output")),
            new("h_n", Bridge.MaxAbsDiff(NDArray.From(h.Data[((steps - 1) * batch * hidden)..], 1, batch, hidden), hn, "h_n")),
            new("∂L/∂x", Bridge.MaxAbsDiff(dx, xt.grad!, "∂L/∂x")),
        };
        foreach (var p in scratch.Parameters)
            rows.Add(new($"∂L/∂{p.Name["rnn.".Length..]}", Bridge.MaxAbsDiff(p.Grad, named[p.Name["rnn.".Length..]].grad!, p.Name)));
        return new ParityReport($"RNN (tanh) x {Shapes.Format(x.Shape)}, hidden {hidden}", rows);
    }

    /// <summary>
    /// The scratch <see cref="LstmLayer{T}"/> against <c>torch.nn.LSTM</c> with the same weights, h₀, c₀ and
    /// L = Σ r ⊙ out over the whole sequence: every h_t, h_n, c_n, ∂L/∂x and the parameter gradients ∂L/∂W_ih,
    /// ∂L/∂W_hh, ∂L/∂b_ih, ∂L/∂b_hh. <paramref name="forgetBias"/> is passed to the scratch layer's initialisation.
    /// </summary>
    public static ParityReport Lstm(int steps = 6, int batch = 3, int input = 4, int hidden = 5, double? forgetBias = null, int seed = 0)
    {
        DeepLearning.Scratch.Check.PositiveInt(steps, nameof(steps));
        DeepLearning.Scratch.Check.PositiveInt(batch, nameof(batch));
        var rng = new Rng((ulong)seed);
        var scratch = new LstmLayer<float>(input, hidden, rng, forgetBias); // checks input, hidden and forgetBias
        var x = rng.NormalArray<float>(0, 1, steps, batch, input);
        var h0 = rng.NormalArray<float>(0, 0.5, batch, hidden);
        var c0 = rng.NormalArray<float>(0, 0.5, batch, hidden);
        var (h, cache) = scratch.Forward(x, h0, c0);
        var dOut = rng.NormalArray<float>(0, 1, steps, batch, hidden);
        var dx = scratch.Backward(dOut, cache);

        using var scope = torch.NewDisposeScope();
        using var lstm = nn.LSTM(input, hidden);
        var named = lstm.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (torch.no_grad())
            foreach (var p in scratch.Parameters)
                named[p.Name["lstm.".Length..]].copy_(p.Value.ToTensor());
        var xt = x.ToTensor(requiresGrad: true);
        var (out_, hn, cn) = lstm.forward(xt, (h0.ToTensor().unsqueeze(0), c0.ToTensor().unsqueeze(0)));
        out_.backward([dOut.ToTensor()]);
        int last = (steps - 1) * batch * hidden;
        var rows = new List<ParityRow>
        {
            new("output h_1 … h_T", Bridge.MaxAbsDiff(h, out_, "output")),
            new("h_n", Bridge.MaxAbsDiff(NDArray.From(h.Data[last..], 1, batch, hidden), hn, "h_n")),
            new("c_n", Bridge.MaxAbsDiff(NDArray.From(cache.C.Data[last..], 1, batch, hidden), cn, "c_n")),
            new("∂L/∂x", Bridge.MaxAbsDiff(dx, xt.grad!, "∂L/∂x")),
        };
        foreach (var p in scratch.Parameters)
            rows.Add(new($"∂L/∂{p.Name["lstm.".Length..]}", Bridge.MaxAbsDiff(p.Grad, named[p.Name["lstm.".Length..]].grad!, p.Name)));
        return new ParityReport($"LSTM x {Shapes.Format(x.Shape)}, hidden {hidden}{(forgetBias is double fb ? $", forget bias {fb}" : "")}", rows);
    }

    /// <summary>
    /// The scratch <see cref="ScratchAttention"/> against <c>torch.nn.functional.scaled_dot_product_attention</c> on
    /// Q, K, V [N, L, d] with L = Σ r ⊙ out: output, ∂L/∂Q, ∂L/∂K, ∂L/∂V.
    /// </summary>
    public static ParityReport ScaledDotProductAttention(int batch = 2, int length = 5, int dim = 4, bool causal = true, int seed = 0)
    {
        DeepLearning.Scratch.Check.PositiveInt(batch, nameof(batch));
        DeepLearning.Scratch.Check.PositiveInt(length, nameof(length));
        DeepLearning.Scratch.Check.PositiveInt(dim, nameof(dim));
        var rng = new Rng((ulong)seed);
        var q = rng.NormalArray<float>(0, 1, batch, length, dim);
        var k = rng.NormalArray<float>(0, 1, batch, length, dim);
        var v = rng.NormalArray<float>(0, 1, batch, length, dim);
        var (o, cache) = ScratchAttention.Forward(q, k, v, causal);
        var dOut = rng.NormalArray<float>(0, 1, batch, length, dim);
        var g = ScratchAttention.Backward(dOut, cache);

        using var scope = torch.NewDisposeScope();
        var (qt, kt, vt) = (q.ToTensor(requiresGrad: true), k.ToTensor(requiresGrad: true), v.ToTensor(requiresGrad: true));
        var ot = nn.functional.scaled_dot_product_attention(qt, kt, vt, null, 0.0, causal);
        ot.backward([dOut.ToTensor()]);
        return new ParityReport($"attention Q, K, V {Shapes.Format(q.Shape)}{(causal ? ", causal" : "")}",
        [
            new("output", Bridge.MaxAbsDiff(o, ot, "output")),
            new("∂L/∂Q", Bridge.MaxAbsDiff(g.Dq, qt.grad!, "∂L/∂Q")),
            new("∂L/∂K", Bridge.MaxAbsDiff(g.Dk, kt.grad!, "∂L/∂K")),
            new("∂L/∂V", Bridge.MaxAbsDiff(g.Dv, vt.grad!, "∂L/∂V")),
        ]);
    }
}
