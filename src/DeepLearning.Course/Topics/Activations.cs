using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using TorchLinear = TorchSharp.Modules.Linear;
using static TorchSharp.torch;
using ScratchActivations = DeepLearning.Scratch.Activations;
using GeluApproximate = TorchSharp.Modules.GELU.Approximate;

namespace DeepLearning.Course;

/// <summary>
/// The activations of lesson 1 in TorchSharp, by the name <c>torch.nn.functional</c> gives them: "relu",
/// "leaky_relu", "prelu", "elu", "selu", "gelu", "gelu_tanh" (GELU's tanh approximation), "silu", "softplus",
/// "sigmoid", "tanh", "softmax", "log_softmax" (softmax and log-softmax act on the last dimension).
/// </summary>
public static class TorchActivations
{
    /// <summary>Every name <see cref="Apply"/>, <see cref="Module"/> and <c>Parity.Activation</c> accept.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "gelu_tanh", "silu", "softplus", "sigmoid", "tanh", "softmax", "log_softmax"];

    /// <summary>The names of the elementwise activations (all but softmax and log-softmax): the ones with a scalar f and f′.</summary>
    public static IReadOnlyList<string> Elementwise { get; } = [.. Names.Where(n => n is not ("softmax" or "log_softmax"))];

    /// <summary>
    /// f(x) through <c>torch.nn.functional</c>. <paramref name="preluWeight"/> is PReLU's slope a ([1] or one per
    /// channel, dimension 1 of x); without it a = 0.25 (PyTorch's init). The other arguments are the activations' own:
    /// leaky_relu's negative slope, ELU's α, softplus's β and threshold.
    /// </summary>
    public static Tensor Apply(string name, Tensor x, Tensor? preluWeight = null, double negativeSlope = 0.01, double alpha = 1.0,
        double beta = 1.0, double threshold = 20)
    {
        ArgumentNullException.ThrowIfNull(x);
        string key = Resolve(name);
        TopicArgs.FloatingPoint(x, nameof(x));
        if (key == "prelu" && preluWeight is not null)
        {
            long channels = x.dim() >= 2 ? x.shape[1] : 1;
            if (preluWeight.dim() != 1 || (preluWeight.shape[0] != 1 && preluWeight.shape[0] != channels))
                throw new ArgumentException(
                    $"preluWeight has shape {TopicArgs.Shape(preluWeight)}, but PReLU needs [1] or one slope per channel ([{channels}]) for x of shape {TopicArgs.Shape(x)}.",
                    nameof(preluWeight));
        }
        if (key == "prelu" && preluWeight is not null && preluWeight.dtype != x.dtype)
            throw new ArgumentException($"preluWeight is {preluWeight.dtype} but x is {x.dtype}; use one dtype for both.", nameof(preluWeight));
        if (key == "leaky_relu") TopicArgs.Finite(negativeSlope, nameof(negativeSlope));
        if (key == "elu") TopicArgs.Finite(alpha, nameof(alpha));
        if (key == "softplus")
        {
            Check.Positive(beta, nameof(beta));
            TopicArgs.Finite(threshold, nameof(threshold));
        }
        if (key is "softmax" or "log_softmax" && x.dim() == 0)
            throw new ArgumentException($"{key} acts on the last dimension, but x is a scalar (shape []).", nameof(x));
        return key switch
        {
            "relu" => torch.nn.functional.relu(x),
            "leaky_relu" => torch.nn.functional.leaky_relu(x, negativeSlope),
            "prelu" => preluWeight is null ? PreluDefault(x) : torch.nn.functional.prelu(x, preluWeight),
            "elu" => torch.nn.functional.elu(x, alpha),
            "selu" => torch.nn.functional.selu(x),
            "gelu" => torch.nn.functional.gelu(x),
            "gelu_tanh" => torch.nn.functional.gelu(x, GeluApproximate.tanh),
            "silu" => torch.nn.functional.silu(x),
            "softplus" => torch.nn.functional.softplus(x, beta, threshold),
            "sigmoid" => torch.nn.functional.sigmoid(x),
            "tanh" => torch.nn.functional.tanh(x),
            "softmax" => torch.nn.functional.softmax(x, -1),
            _ => torch.nn.functional.log_softmax(x, -1),
        };
    }

    /// <summary>
    /// The activation as a <c>torch.nn</c> module (ReLU(), PReLU(numParameters, 0.25), Softmax(dim: -1), …), ready to
    /// put between layers; "gelu_tanh" is GELU(approximate: tanh).
    /// </summary>
    public static nn.Module<Tensor, Tensor> Module(string name, int preluParameters = 1, double negativeSlope = 0.01, double alpha = 1.0,
        double beta = 1.0, double threshold = 20)
    {
        string key = Resolve(name);
        if (preluParameters < 1)
            throw new ArgumentOutOfRangeException(nameof(preluParameters), preluParameters, $"PReLU needs at least one slope, got {preluParameters}.");
        return key switch
        {
            "relu" => torch.nn.ReLU(),
            "leaky_relu" => torch.nn.LeakyReLU(negativeSlope),
            "prelu" => torch.nn.PReLU(preluParameters, 0.25),
            "elu" => torch.nn.ELU(alpha),
            "selu" => torch.nn.SELU(),
            "gelu" => torch.nn.GELU(),
            "gelu_tanh" => torch.nn.GELU(GeluApproximate.tanh),
            "silu" => torch.nn.SiLU(),
            "softplus" => torch.nn.Softplus(beta, threshold),
            "sigmoid" => torch.nn.Sigmoid(),
            "tanh" => torch.nn.Tanh(),
            "softmax" => torch.nn.Softmax(-1),
            _ => torch.nn.LogSoftmax(-1),
        };
    }

    /// <summary>The canonical name for <paramref name="name"/> (case-insensitive; "-" and "_" alike), or an error listing the valid ones.</summary>
    public static string Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim().ToLowerInvariant().Replace('-', '_');
        if (key == "logsoftmax") key = "log_softmax";
        if (key == "leakyrelu") key = "leaky_relu";
        if (!Names.Contains(key))
            throw new ArgumentException($"Unknown activation \"{name}\"; use one of: {string.Join(", ", Names)}.", nameof(name));
        return key;
    }

    private static Tensor PreluDefault(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.full(1, 0.25, dtype: x.dtype, device: x.device);
        return torch.nn.functional.prelu(x, a).MoveToOuterDisposeScope();
    }
}

public static partial class Parity
{
    /// <summary>
    /// One activation from scratch (<c>DeepLearning.Scratch.Activations</c>: Forward, then Backward with an upstream
    /// gradient dout) and in TorchSharp (forward, then autograd with the same dout): rows "output", "∂L/∂x" and, for
    /// PReLU, "∂L/∂a". dout is N(0, 1), drawn from <paramref name="seed"/>.
    /// </summary>
    /// <param name="name">One of <see cref="TorchActivations.Names"/>.</param>
    /// <param name="x">The input, any shape (softmax and log-softmax act on its last dimension).</param>
    /// <param name="preluWeight">PReLU's slope a: [1] or one per channel ([x.Shape[1]]); default a single 0.25.</param>
    /// <param name="negativeSlope">leaky_relu's slope for x ≤ 0.</param>
    /// <param name="alpha">ELU's α.</param>
    /// <param name="beta">softplus's β.</param>
    /// <param name="threshold">softplus's switch to the identity (βx &gt; threshold).</param>
    /// <param name="seed">Seed of the upstream gradient dout.</param>
    public static ParityReport Activation(string name, NDArray<float> x, NDArray<float>? preluWeight = null, double negativeSlope = 0.01,
        double alpha = 1.0, double beta = 1.0, double threshold = 20, int seed = 0)
    {
        string key = TorchActivations.Resolve(name);
        ArgumentNullException.ThrowIfNull(x);
        if (key == "prelu")
        {
            preluWeight ??= NDArray.Full(0.25f, 1);
            int channels = x.Rank >= 2 ? x.Shape[1] : 1;
            if (preluWeight.Rank != 1 || (preluWeight.Length != 1 && preluWeight.Length != channels))
                throw new ArgumentException(
                    $"preluWeight has shape {Shapes.Format(preluWeight.Shape)}, but PReLU needs [1] or one slope per channel ([{channels}]) for x of shape {Shapes.Format(x.Shape)}.",
                    nameof(preluWeight));
        }
        var dout = new Rng(unchecked((ulong)seed)).NormalArray<float>(0, 1, x.Shape);

        // Scratch: the CS231n pair.
        NDArray<float> yS, dxS;
        NDArray<float>? daS = null;
        switch (key)
        {
            case "relu": { var (y, c) = ScratchActivations.Relu.Forward(x); (yS, dxS) = (y, ScratchActivations.Relu.Backward(dout, c)); break; }
            case "leaky_relu": { var (y, c) = ScratchActivations.LeakyRelu.Forward(x, negativeSlope); (yS, dxS) = (y, ScratchActivations.LeakyRelu.Backward(dout, c)); break; }
            case "prelu":
                {
                    var (y, c) = ScratchActivations.PRelu.Forward(x, preluWeight!);
                    var g = ScratchActivations.PRelu.Backward(dout, c);
                    (yS, dxS, daS) = (y, g.Dx, g.Da);
                    break;
                }
            case "elu": { var (y, c) = ScratchActivations.Elu.Forward(x, alpha); (yS, dxS) = (y, ScratchActivations.Elu.Backward(dout, c)); break; }
            case "selu": { var (y, c) = ScratchActivations.Selu.Forward(x); (yS, dxS) = (y, ScratchActivations.Selu.Backward(dout, c)); break; }
            case "gelu": { var (y, c) = ScratchActivations.Gelu.Forward(x); (yS, dxS) = (y, ScratchActivations.Gelu.Backward(dout, c)); break; }
            case "gelu_tanh": { var (y, c) = ScratchActivations.Gelu.Forward(x, GeluApproximation.Tanh); (yS, dxS) = (y, ScratchActivations.Gelu.Backward(dout, c)); break; }
            case "silu": { var (y, c) = ScratchActivations.Silu.Forward(x); (yS, dxS) = (y, ScratchActivations.Silu.Backward(dout, c)); break; }
            case "softplus": { var (y, c) = ScratchActivations.Softplus.Forward(x, beta, threshold); (yS, dxS) = (y, ScratchActivations.Softplus.Backward(dout, c)); break; }
            case "sigmoid": { var (y, c) = ScratchActivations.Sigmoid.Forward(x); (yS, dxS) = (y, ScratchActivations.Sigmoid.Backward(dout, c)); break; }
            case "tanh": { var (y, c) = ScratchActivations.Tanh.Forward(x); (yS, dxS) = (y, ScratchActivations.Tanh.Backward(dout, c)); break; }
            case "softmax": { var (y, c) = ScratchActivations.Softmax.Forward(x); (yS, dxS) = (y, ScratchActivations.Softmax.Backward(dout, c)); break; }
            default: { var (y, c) = ScratchActivations.LogSoftmax.Forward(x); (yS, dxS) = (y, ScratchActivations.LogSoftmax.Backward(dout, c)); break; }
        }

        // TorchSharp: forward, then autograd with the same upstream gradient.
        using var scope = torch.NewDisposeScope();
        var xt = x.ToTensor(requiresGrad: true);
        var at = key == "prelu" ? preluWeight!.ToTensor(requiresGrad: true) : null;
        var yt = TorchActivations.Apply(key, xt, at, negativeSlope, alpha, beta, threshold);
        yt.backward([dout.ToTensor()]);
        List<ParityRow> rows =
        [
            new("output", Bridge.MaxAbsDiff(yS, yt, "output")),
            new("∂L/∂x", Bridge.MaxAbsDiff(dxS, xt.grad!, "∂L/∂x")),
        ];
        if (at is not null) rows.Add(new("∂L/∂a", Bridge.MaxAbsDiff(daS!, at.grad!, "∂L/∂a")));
        return new ParityReport($"Activation {key}", rows);
    }
}

/// <summary>A deep stack of Linear layers without activations, and the single Linear layer it equals.</summary>
/// <param name="Sizes">Layer widths, input first.</param>
/// <param name="Weight">The composed weight W = W_L·…·W₁ ([out, in]).</param>
/// <param name="Bias">The composed bias b = W_L(…(W₂b₁ + b₂)…) + b_L.</param>
/// <param name="MaxAbsDiff">max |stack(x) − single(x)| on a random batch: float32 round-off, so the stack IS one layer.</param>
/// <param name="WithReluMaxAbsDiff">The same comparison with ReLU between the layers: far from 0, the nonlinearity breaks the collapse.</param>
public sealed record LinearCollapse(IReadOnlyList<int> Sizes, NDArray<float> Weight, NDArray<float> Bias, double MaxAbsDiff, double WithReluMaxAbsDiff);

/// <summary>One training run of the dying-ReLU experiment.</summary>
/// <param name="Activation">"relu" or "leaky_relu".</param>
/// <param name="LearningRate">SGD's learning rate.</param>
/// <param name="BiasInit">Initial value of every hidden bias (0 is the sane choice; a large negative value kills units at birth).</param>
/// <param name="DeadFraction">Fraction of hidden units whose output is 0 for every training example (no gradient can reach them).</param>
/// <param name="InactiveFraction">Fraction of hidden units whose pre-activation is ≤ 0 for every example (dead for ReLU; LeakyReLU still passes gradient 0.01).</param>
/// <param name="FinalLoss">Training cross-entropy at the end.</param>
/// <param name="Accuracy">Training accuracy at the end.</param>
public sealed record DyingReluRun(string Activation, double LearningRate, double BiasInit, double DeadFraction, double InactiveFraction, double FinalLoss, double Accuracy)
{
    /// <summary>True when training blew up (the final loss is NaN or infinite; for a mean over nets, when any net did).</summary>
    public bool Diverged => !double.IsFinite(FinalLoss);
}

/// <summary>How many units of a sigmoid/tanh layer are saturated (|f′| below a threshold) at one input scale.</summary>
/// <param name="InputScale">Standard deviation s of the pre-activations z ~ N(0, s²).</param>
/// <param name="Threshold">|f′(z)| below this counts as saturated.</param>
/// <param name="Rows">One row per activation.</param>
public sealed record SaturationResult(double InputScale, double Threshold, IReadOnlyList<SaturationRow> Rows)
{
    /// <summary>The row of one activation.</summary>
    public SaturationRow this[string activation] =>
        Rows.FirstOrDefault(r => r.Activation == TorchActivations.Resolve(activation))
        ?? throw new ArgumentException($"No row for \"{activation}\"; rows: {string.Join(", ", Rows.Select(r => r.Activation))}.", nameof(activation));
}

/// <summary>Saturation of one activation.</summary>
/// <param name="Activation">Its name.</param>
/// <param name="SaturatedFraction">Measured fraction of units with |f′(z)| &lt; threshold (f′ from autograd).</param>
/// <param name="MeanAbsDerivative">Mean |f′(z)|: how much gradient the layer lets through on average.</param>
public sealed record SaturationRow(string Activation, double SaturatedFraction, double MeanAbsDerivative);

/// <summary>f and f′ of one activation on a grid, for charting; computed from scratch and checked against autograd.</summary>
/// <param name="Name">The activation.</param>
/// <param name="X">Grid points.</param>
/// <param name="F">f(x) from the scratch <c>Apply</c>.</param>
/// <param name="DF">f′(x) from the scratch <c>Derivative</c>.</param>
/// <param name="Check">Scratch vs TorchSharp autograd (float64) on the same grid.</param>
public sealed record ActivationTable(string Name, double[] X, double[] F, double[] DF, ParityReport Check);

/// <summary>The weight gradient of every layer of a deep stack with one activation: how much learning signal reaches each layer.</summary>
/// <param name="Activation">The activation between the layers.</param>
/// <param name="WeightGradientNorms">‖∂L/∂W_l‖ (Frobenius) for l = 1 … depth, the first (input-side) layer first.</param>
public sealed record DepthGradients(string Activation, double[] WeightGradientNorms)
{
    /// <summary>‖∂L/∂W₁‖ / ‖∂L/∂W_depth‖: ≈ 1 when the gradient reaches the first layer intact, ≪ 1 when it vanishes on the way.</summary>
    public double FirstToLast => WeightGradientNorms[0] / WeightGradientNorms[^1];

    /// <summary>
    /// ‖∂L/∂h_{l−1}‖ for l = 1 … depth: the backward signal arriving at the input of layer l (h₀ is the network's
    /// input), the quantity W_lᵀ(φ′(z_l) ⊙ ∂L/∂h_l) whose product over layers vanishes or explodes.
    /// </summary>
    public double[] SignalGradientNorms { get; init; } = [];

    /// <summary>‖∂L/∂h₀‖ / ‖∂L/∂h_{depth−1}‖: how much of the backward signal survives from the last layer's input to the first's.</summary>
    public double SignalFirstToLast => SignalGradientNorms.Length == 0 ? double.NaN : SignalGradientNorms[0] / SignalGradientNorms[^1];
}

/// <summary>Lesson 1's experiments: why nonlinearity, dying ReLUs, saturation, and the f/f′ tables the charts draw.</summary>
public static partial class ActivationExperiments
{
    /// <summary>
    /// Builds a stack of <c>torch.nn.Linear</c> layers of the given <paramref name="sizes"/> with no activation, composes
    /// their weights into one layer (W = W_L·…·W₁, b = W_L(…) + b_L) and compares both on a random batch.
    /// </summary>
    public static LinearCollapse StackedLinearCollapse(IReadOnlyList<int>? sizes = null, int batch = 32, int seed = 0)
    {
        sizes ??= [8, 32, 32, 32, 32, 32, 32, 4];
        if (sizes.Count < 3)
            throw new ArgumentException($"sizes needs at least 3 widths (two layers) to show a collapse, got [{string.Join(", ", sizes)}].", nameof(sizes));
        foreach (int s in sizes)
            if (s < 1) throw new ArgumentException($"Every width must be ≥ 1, got [{string.Join(", ", sizes)}].", nameof(sizes));
        TopicArgs.AtLeast(batch, 1, nameof(batch));

        torch.manual_seed(seed);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var layers = new List<TorchLinear>();
        for (int i = 0; i + 1 < sizes.Count; i++) layers.Add(torch.nn.Linear(sizes[i], sizes[i + 1]));
        var x = torch.randn(batch, sizes[0]);

        Tensor stack = x, withRelu = x;
        for (int i = 0; i < layers.Count; i++)
        {
            stack = layers[i].forward(stack);
            withRelu = layers[i].forward(withRelu);
            if (i + 1 < layers.Count) withRelu = torch.nn.functional.relu(withRelu);
        }

        // y = W_L(…(W₁x + b₁)…) + b_L: fold the layers one at a time, W ← W_k·W, b ← W_k·b + b_k.
        Tensor w = layers[0].weight!, b = layers[0].bias!;
        for (int i = 1; i < layers.Count; i++)
        {
            w = layers[i].weight!.matmul(w);
            b = layers[i].weight!.matmul(b) + layers[i].bias!;
        }
        var single = torch.nn.functional.linear(x, w, b);
        double diff = (stack - single).abs().max().item<float>();
        double reluDiff = (withRelu - single).abs().max().item<float>();
        var result = new LinearCollapse([.. sizes], w.ToNDArray(), b.ToNDArray(), diff, reluDiff);
        foreach (var layer in layers) layer.Dispose();
        return result;
    }

    /// <summary>
    /// Trains a 2 → hidden → hidden → 2 MLP with <paramref name="activation"/> ("relu" or "leaky_relu") on two moons
    /// by minibatch SGD, then counts the hidden units that are dead (output 0 on every training example) and inactive
    /// (pre-activation ≤ 0 on every example). A learning rate that is too high, or a large negative bias init, kills
    /// ReLU units for good; LeakyReLU units keep a gradient and can come back.
    /// </summary>
    public static DyingReluRun DyingRelu(double learningRate, string activation = "relu", double biasInit = 0, int hidden = 64,
        int epochs = 30, int n = 256, int batchSize = 32, int seed = 0)
    {
        string act = TorchActivations.Resolve(activation);
        if (act is not ("relu" or "leaky_relu"))
            throw new ArgumentException($"The dying-ReLU experiment compares \"relu\" and \"leaky_relu\", got \"{activation}\".", nameof(activation));
        Check.Positive(learningRate, nameof(learningRate));
        if (!double.IsFinite(biasInit))
            throw new ArgumentOutOfRangeException(nameof(biasInit), biasInit, $"biasInit must be finite, got {biasInit}.");
        TopicArgs.AtLeast(hidden, 1, nameof(hidden));
        TopicArgs.AtLeast(epochs, 0, nameof(epochs));
        TopicArgs.AtLeast(batchSize, 1, nameof(batchSize));

        var rng = new Rng(unchecked((ulong)seed));
        var data = Synthetic.TwoMoons(n, 0.1, rng);
        torch.manual_seed(seed);
        using var net = new ProbeMlp(hidden, act, biasInit);
        using var scope = torch.NewDisposeScope();
        var x = data.X.ToTensor();
        var y = Bridge.Labels(data.Labels);
        using var optimizer = torch.optim.SGD(net.parameters(), learningRate);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            int[] order = rng.Permutation(n);
            for (int start = 0; start < n; start += batchSize)
            {
                using var step = torch.NewDisposeScope();
                var idx = Bridge.Labels(order.AsSpan(start, Math.Min(batchSize, n - start)));
                optimizer.zero_grad();
                var loss = torch.nn.functional.cross_entropy(net.forward(x.index_select(0, idx)), y.index_select(0, idx));
                loss.backward();
                optimizer.step();
            }
        }

        using var noGrad = torch.no_grad();
        var (z1, z2, logits) = net.Trace(x);
        double finalLoss = torch.nn.functional.cross_entropy(logits, y).item<float>();
        double accuracy = logits.argmax(1).eq(y).to_type(ScalarType.Float32).mean().item<float>();
        // A unit is dead when its output is 0 for every example, inactive when its pre-activation is ≤ 0 for every example.
        // A net that diverged has NaN everywhere: its units pass no usable gradient either, so NaN counts as dead
        // (otherwise a blown-up LeakyReLU net would look like one with no dead units).
        var preActivations = torch.cat([z1, z2], 1);
        var outputs = TorchActivations.Apply(act, preActivations);
        double dead = outputs.ne(0).logical_and(outputs.isfinite()).any(0).logical_not().to_type(ScalarType.Float32).mean().item<float>();
        double inactive = preActivations.gt(0).any(0).logical_not().to_type(ScalarType.Float32).mean().item<float>();
        return new DyingReluRun(act, learningRate, biasInit, dead, inactive, finalLoss, accuracy);
    }

    /// <summary>
    /// The lesson's comparison: ReLU and LeakyReLU, each with a sane learning rate and a too-high one (same data). Each
    /// row is the mean over <paramref name="nets"/> nets (init and shuffling seeds seed, seed + 1, …): at a too-high
    /// learning rate training is chaotic, and one net's numbers swing with its seed — and with the round-off of the
    /// machine it runs on. Measured on seeds 0–9 (libtorch 2.10): at rate 2 no net diverges, 24–54 % of ReLU units die
    /// (7–18 % at 0.1) and every net still fits the moons; at rate 3, 43–83 % die, accuracy swings between 50 and 100 %
    /// for both activations, and 2 of 10 LeakyReLU nets blow up to NaN.
    /// </summary>
    public static IReadOnlyList<DyingReluRun> DyingReluComparison(double saneLearningRate = 0.1, double highLearningRate = 2, int seed = 0, int nets = 5)
    {
        TopicArgs.AtLeast(nets, 1, nameof(nets));
        return
        [
            Mean(saneLearningRate, "relu"),
            Mean(highLearningRate, "relu"),
            Mean(saneLearningRate, "leaky_relu"),
            Mean(highLearningRate, "leaky_relu"),
        ];

        DyingReluRun Mean(double learningRate, string activation)
        {
            var runs = Enumerable.Range(seed, nets).Select(s => DyingRelu(learningRate, activation, seed: s)).ToList();
            return new DyingReluRun(runs[0].Activation, learningRate, 0, runs.Average(r => r.DeadFraction), runs.Average(r => r.InactiveFraction),
                runs.Average(r => r.FinalLoss), runs.Average(r => r.Accuracy));
        }
    }

    /// <summary>
    /// Pre-activations z ~ N(0, <paramref name="inputScale"/>²) through each activation: the fraction of units with
    /// |f′(z)| &lt; <paramref name="threshold"/> (derivatives by autograd) and the mean |f′|. Large inputs saturate
    /// sigmoid and tanh, so almost no gradient passes.
    /// </summary>
    public static SaturationResult Saturation(double inputScale, double threshold = 0.01, int units = 20_000, IReadOnlyList<string>? activations = null,
        int seed = 0)
    {
        Check.Positive(inputScale, nameof(inputScale));
        Check.Positive(threshold, nameof(threshold));
        TopicArgs.AtLeast(units, 1, nameof(units));
        string[] names = [.. (activations ?? ["sigmoid", "tanh"]).Select(TorchActivations.Resolve)];
        foreach (string name in names)
            if (!TorchActivations.Elementwise.Contains(name))
                throw new ArgumentException($"Saturation is measured for elementwise activations; \"{name}\" is not one.", nameof(activations));

        torch.manual_seed(seed);
        using var scope = torch.NewDisposeScope();
        var z0 = torch.randn(units) * inputScale;
        var rows = new List<SaturationRow>();
        foreach (string name in names)
        {
            var z = z0.detach().requires_grad_();
            TorchActivations.Apply(name, z).sum().backward(); // elementwise, so ∂Σf/∂zᵢ = f′(zᵢ)
            var df = z.grad!.abs();
            rows.Add(new SaturationRow(name, df.lt(threshold).to_type(ScalarType.Float32).mean().item<float>(), df.mean().item<float>()));
        }
        return new SaturationResult(inputScale, threshold, rows);
    }

    /// <summary><see cref="Saturation"/> at each of <paramref name="inputScales"/>, for a saturation-vs-scale chart.</summary>
    public static IReadOnlyList<SaturationResult> SaturationSweep(IReadOnlyList<double> inputScales, double threshold = 0.01, int units = 20_000,
        IReadOnlyList<string>? activations = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(inputScales);
        return [.. inputScales.Select(s => Saturation(s, threshold, units, activations, seed))];
    }

    /// <summary>
    /// f and f′ of one elementwise activation on <paramref name="points"/> evenly spaced x in [<paramref name="from"/>,
    /// <paramref name="to"/>], from the scratch Apply/Derivative, checked against TorchSharp autograd in float64.
    /// </summary>
    public static ActivationTable Table(string name, double from = -5, double to = 5, int points = 201, double negativeSlope = 0.01,
        double alpha = 1.0, double preluSlope = 0.25, double beta = 1.0, double threshold = 20)
    {
        string key = TorchActivations.Resolve(name);
        if (!TorchActivations.Elementwise.Contains(key))
            throw new ArgumentException($"\"{key}\" is not elementwise (each output depends on the whole row), so it has no scalar f′ to tabulate.", nameof(name));
        if (!double.IsFinite(from) || !double.IsFinite(to) || !(from < to))
            throw new ArgumentException($"The grid needs finite from < to, got [{from}, {to}].", nameof(to));
        TopicArgs.AtLeast(points, 2, nameof(points));

        double[] x = [.. Enumerable.Range(0, points).Select(i => from + ((to - from) * i / (points - 1)))];
        Func<double, double> f, df;
        switch (key)
        {
            case "relu": (f, df) = (ScratchActivations.Relu.Apply, ScratchActivations.Relu.Derivative); break;
            case "leaky_relu": (f, df) = (v => ScratchActivations.LeakyRelu.Apply(v, negativeSlope), v => ScratchActivations.LeakyRelu.Derivative(v, negativeSlope)); break;
            case "prelu": (f, df) = (v => ScratchActivations.PRelu.Apply(v, preluSlope), v => ScratchActivations.PRelu.Derivative(v, preluSlope)); break;
            case "elu": (f, df) = (v => ScratchActivations.Elu.Apply(v, alpha), v => ScratchActivations.Elu.Derivative(v, alpha)); break;
            case "selu": (f, df) = (ScratchActivations.Selu.Apply, ScratchActivations.Selu.Derivative); break;
            case "gelu": (f, df) = (v => ScratchActivations.Gelu.Apply(v), v => ScratchActivations.Gelu.Derivative(v)); break;
            case "gelu_tanh": (f, df) = (v => ScratchActivations.Gelu.Apply(v, GeluApproximation.Tanh), v => ScratchActivations.Gelu.Derivative(v, GeluApproximation.Tanh)); break;
            case "silu": (f, df) = (ScratchActivations.Silu.Apply, ScratchActivations.Silu.Derivative); break;
            case "softplus": (f, df) = (v => ScratchActivations.Softplus.Apply(v, beta, threshold), v => ScratchActivations.Softplus.Derivative(v, beta, threshold)); break;
            case "sigmoid": (f, df) = (ScratchActivations.Sigmoid.Apply, ScratchActivations.Sigmoid.Derivative); break;
            default: (f, df) = (ScratchActivations.Tanh.Apply, ScratchActivations.Tanh.Derivative); break;
        }
        double[] fx = [.. x.Select(f)], dfx = [.. x.Select(df)];

        using var scope = torch.NewDisposeScope();
        var xt = torch.tensor(x, dtype: ScalarType.Float64, requires_grad: true);
        var a = torch.full(1, preluSlope, dtype: ScalarType.Float64);
        var yt = TorchActivations.Apply(key, xt, a, negativeSlope, alpha, beta, threshold);
        yt.sum().backward();
        var check = new ParityReport($"Activation table {key} (float64)",
        [
            new("f(x)", MaxAbsDiff(fx, yt.ToNDArray64().Data)),
            new("f′(x)", MaxAbsDiff(dfx, xt.grad!.ToNDArray64().Data)),
        ]);
        return new ActivationTable(key, x, fx, dfx, check);
    }

    /// <summary><see cref="Table"/> for every elementwise activation (or the given ones), for one chart of all curves.</summary>
    public static IReadOnlyList<ActivationTable> Tables(IReadOnlyList<string>? names = null, double from = -5, double to = 5, int points = 201) =>
        [.. (names ?? TorchActivations.Elementwise).Select(n => Table(n, from, to, points))];

    /// <summary>
    /// Sends a batch of N(0, 1) inputs through <paramref name="depth"/> Linear(width, width) layers, each followed by
    /// <paramref name="activation"/>, with Xavier-normal weights (gain 1, Glorot &amp; Bengio 2010) and zero biases;
    /// backpropagates an N(0, 1) upstream gradient from the output and reports every layer's weight-gradient norm and the
    /// norm of the backward signal ∂L/∂h arriving at every layer's input.
    /// Each layer multiplies the backward signal by Wᵀ and f′(z): with sigmoid (σ′ ≤ ¼) it shrinks about 4× per layer,
    /// and so does the weight gradient; with ReLU it shrinks by about 1/√2 per layer, but the weight gradient
    /// (signal × the layer's input, which shrinks the other way) reaches the first layer about intact.
    /// </summary>
    public static DepthGradients GradientThroughDepth(string activation, int depth = 10, int width = 64, int batch = 64, int seed = 0)
    {
        string act = TorchActivations.Resolve(activation);
        if (!TorchActivations.Elementwise.Contains(act))
            throw new ArgumentException($"GradientThroughDepth stacks elementwise activations; \"{act}\" is not one.", nameof(activation));
        TopicArgs.AtLeast(depth, 2, nameof(depth));
        TopicArgs.AtLeast(width, 1, nameof(width));
        TopicArgs.AtLeast(batch, 1, nameof(batch));

        torch.manual_seed(seed);
        var layers = new List<TorchLinear>();
        try
        {
            using var scope = torch.NewDisposeScope();
            for (int l = 0; l < depth; l++)
            {
                var layer = torch.nn.Linear(width, width);
                layers.Add(layer);
                using var noGrad = torch.no_grad();
                InitLab.Fill(layer.weight!, InitScheme.XavierNormal);
                layer.bias!.zero_();
            }
            var h = torch.randn(batch, width).requires_grad_();
            var inputs = new List<Tensor>();   // h_{l−1}, the input of layer l, kept to read ∂L/∂h_{l−1}
            foreach (var layer in layers)
            {
                if (inputs.Count > 0) h.retain_grad();
                inputs.Add(h);
                h = TorchActivations.Apply(act, layer.forward(h));
            }
            h.backward([torch.randn_like(h)]);
            double[] norms = [.. layers.Select(layer => (double)layer.weight!.grad!.norm().item<float>())];
            double[] signal = [.. inputs.Select(x => (double)x.grad!.norm().item<float>())];
            return new DepthGradients(act, norms) { SignalGradientNorms = signal };
        }
        finally
        {
            foreach (var layer in layers) layer.Dispose();
        }
    }

    private static double MaxAbsDiff(double[] a, double[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs(a[i] - b[i]);
            if (double.IsNaN(d)) return double.NaN;
            max = Math.Max(max, d);
        }
        return max;
    }

    // 2 → hidden → hidden → 2, with the activation under study after each hidden layer.
    private sealed class ProbeMlp : nn.Module<Tensor, Tensor>
    {
        private readonly TorchLinear fc1, fc2, head;
        private readonly nn.Module<Tensor, Tensor> act;

        public ProbeMlp(int hidden, string activation, double biasInit) : base(nameof(ProbeMlp))
        {
            fc1 = torch.nn.Linear(2, hidden);
            fc2 = torch.nn.Linear(hidden, hidden);
            head = torch.nn.Linear(hidden, 2);
            act = TorchActivations.Module(activation);
            if (biasInit != 0)
            {
                using var noGrad = torch.no_grad();
                fc1.bias!.fill_(biasInit);
                fc2.bias!.fill_(biasInit);
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => head.forward(act.forward(fc2.forward(act.forward(fc1.forward(input)))));

        // The hidden pre-activations of both layers and the logits.
        public (Tensor Z1, Tensor Z2, Tensor Logits) Trace(Tensor input)
        {
            var z1 = fc1.forward(input);
            var z2 = fc2.forward(act.forward(z1));
            return (z1, z2, head.forward(act.forward(z2)));
        }
    }
}
