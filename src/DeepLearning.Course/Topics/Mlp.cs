using System.Globalization;
using System.Text;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepLearning.Course;

/// <summary>One way of writing the XOR-sine network, and how it compares with the Module subclass.</summary>
/// <param name="Style">"Module subclass", "Sequential" or "ModuleList".</param>
/// <param name="Parameters">The number of learnable values.</param>
/// <param name="ParameterNames">The state-dict names, in order.</param>
/// <param name="MaxAbsDiff">max |output − the subclass's output| on the same batch after copying the subclass's weights.</param>
public sealed record ModuleStyle(string Style, long Parameters, IReadOnlyList<string> ParameterNames, double MaxAbsDiff);

/// <summary>The XOR-sine network written three ways (see <see cref="MlpTopic.ThreeWays"/>).</summary>
public sealed record ModuleStyles(IReadOnlyList<ModuleStyle> Styles)
{
    /// <summary>True when all three have the same parameter count and give identical outputs.</summary>
    public bool Equivalent => Styles.All(s => s.Parameters == Styles[0].Parameters && s.MaxAbsDiff == 0);

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder("The XOR-sine network (10→64→128→64→1) written three ways:");
        foreach (var s in Styles)
            sb.Append(CultureInfo.InvariantCulture,
                $"\n  {s.Style,-16} {s.Parameters,7:N0} parameters, max |Δ output| = {s.MaxAbsDiff:G3}, names {string.Join(", ", s.ParameterNames.Take(3))}, …");
        return sb.ToString();
    }
}

/// <summary>The XOR-sine task as tensors: x [N, 10] float32, y [N, 1] float32 in {0, 1} (the BCEWithLogits target layout).</summary>
public sealed record XorSineTensors(Tensor XTrain, Tensor YTrain, Tensor XTest, Tensor YTest);

/// <summary>
/// Lesson 8 (deep MLPs): the three ways to write a network in TorchSharp — a <c>Module</c> subclass with one field
/// per layer (<see cref="XorSineNet"/>), <c>nn.Sequential</c>, and a <c>ModuleList</c> looped over in forward
/// (<see cref="Mlp"/>) — and the XOR-sine network's data.
/// </summary>
public static class MlpTopic
{
    /// <summary>
    /// The XOR-sine network as <c>nn.Sequential</c> with named layers: fc1, relu1, fc2, relu2, fc3, relu3, fc4. Its
    /// state-dict names (fc1.weight, …) are the same as <see cref="XorSineNet"/>'s, so their state dicts interchange.
    /// </summary>
    public static Sequential XorSineNetSequential() =>
        Sequential(
            ("fc1", Linear(10, 64)), ("relu1", ReLU()),
            ("fc2", Linear(64, 128)), ("relu2", ReLU()),
            ("fc3", Linear(128, 64)), ("relu3", ReLU()),
            ("fc4", Linear(64, 1)));

    /// <summary>The XOR-sine network as an <see cref="Mlp"/> (a ModuleList inside): layers.0, layers.2, … are its Linears.</summary>
    public static Mlp XorSineNetMlp() => new(XorSineNet.Sizes);

    /// <summary>
    /// Builds the XOR-sine network as a Module subclass, as a Sequential and as a ModuleList-based Mlp; copies the
    /// subclass's weights into the other two and runs all three on the same random batch. Same parameter count,
    /// identical outputs: the three styles are three spellings of one function.
    /// </summary>
    public static ModuleStyles ThreeWays(int batch = 16, int seed = 0)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be ≥ 1, got {batch}.");
        // Every temporary of this helper dies with the scope; it returns numbers, no tensor.
        using var helperScope = torch.NewDisposeScope();
        torch.manual_seed(seed);
        using var subclass = new XorSineNet();
        using var sequential = XorSineNetSequential();
        using var list = XorSineNetMlp();
        sequential.CopyParametersFrom(subclass);
        list.CopyParametersFrom(subclass);
        using var noGrad = torch.no_grad();
        using var x = torch.randn(batch, 10);
        using var reference = subclass.forward(x);
        ModuleStyle Row(string style, nn.Module<Tensor, Tensor> m)
        {
            using var y = m.forward(x);
            using var diff = (y - reference).abs().max();
            return new ModuleStyle(style, m.ParameterCount(), m.ParameterNames(), diff.item<float>());
        }
        return new ModuleStyles([Row("Module subclass", subclass), Row("Sequential", sequential), Row("ModuleList", list)]);
    }

    /// <summary>
    /// The XOR-sine task (<see cref="Synthetic.XorSine"/>) as tensors: <paramref name="train"/> and <paramref name="test"/>
    /// examples drawn independently from the same distribution, seeded.
    /// </summary>
    public static XorSineTensors XorSineData(int train = 1000, int test = 1000, int seed = 0)
    {
        var rng = new Rng((ulong)seed);
        var trainSet = Synthetic.XorSine(train, rng.Fork());
        var testSet = Synthetic.XorSine(test, rng.Fork());
        return new XorSineTensors(trainSet.X.ToTensor(), Targets(trainSet.Labels), testSet.X.ToTensor(), Targets(testSet.Labels));
    }

    /// <summary>The fraction of rows whose predicted class (logit &gt; 0) equals the 0/1 target y [N, 1].</summary>
    public static double XorSineAccuracy(XorSineNet model, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(y);
        int[] predicted = model.Predict(x);
        if (y.numel() != predicted.Length)
            throw new ArgumentException($"y has shape {ModelInputs.Format(y.shape)} but x has {predicted.Length} rows.", nameof(y));
        using var flat = y.flatten();
        int[] labels = flat.ToInts();
        return (double)predicted.Where((p, i) => p == labels[i]).Count() / labels.Length;
    }

    private static Tensor Targets(int[] labels) =>
        torch.tensor(labels.Select(l => (float)l).ToArray(), [labels.Length, 1], dtype: ScalarType.Float32);
}

public static partial class Parity
{
    /// <summary>
    /// The from-scratch MLP (<see cref="Mlp{T}"/>, explicit backprop) against the TorchSharp <see cref="Mlp"/> with the
    /// same weights: logits, mean cross-entropy, and ∂L/∂ of every weight and bias, on one random batch. With ReLU, a
    /// hidden pre-activation within float32 round-off of 0 can switch a unit on in one implementation and off in the other
    /// (both right, gradients apart by a whole row), so any example of the batch is drawn again until every ReLU input is
    /// at least <paramref name="tieTolerance"/> from 0 (<see cref="NearTies"/>); the report's topic says how many draws were rejected.
    /// </summary>
    public static ParityReport Mlp(IReadOnlyList<int>? sizes = null, string activation = "relu", int batch = 8, int seed = 0,
        double tieTolerance = NearTies.DefaultTolerance)
    {
        sizes ??= [10, 16, 12, 3];
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be ≥ 1, got {batch}.");
        var (hidden, factory) = activation switch
        {
            "relu" => (HiddenActivation.Relu, (Func<nn.Module<Tensor, Tensor>>)(() => ReLU())),
            "tanh" => (HiddenActivation.Tanh, () => Tanh()),
            "sigmoid" => (HiddenActivation.Sigmoid, () => Sigmoid()),
            _ => throw new ArgumentException($"activation must be \"relu\", \"tanh\" or \"sigmoid\", got \"{activation}\".", nameof(activation)),
        };
        NearTies.CheckTolerance(tieTolerance, nameof(tieTolerance));
        var (scratch, x, labels, redrawn, _) = MlpDraw(sizes, hidden, batch, seed, tieTolerance);
        var logits = scratch.Logits(x);
        float loss = scratch.LossAndGradients(x, labels);

        using var scope = torch.NewDisposeScope();
        using var model = new Mlp(sizes, factory);
        using (torch.no_grad())
            for (int l = 0; l < model.Depth; l++)
            {
                model.Linears[l].weight.copy_(scratch.Layers[l].W.Value.ToTensor());
                model.Linears[l].bias!.copy_(scratch.Layers[l].B!.Value.ToTensor());
            }
        var z = model.forward(x.ToTensor());
        var lossT = torch.nn.functional.cross_entropy(z, Bridge.Labels(labels));
        lossT.backward();

        var rows = new List<ParityRow>
        {
            new("logits", Bridge.MaxAbsDiff(logits, z, "logits")),
            new("loss", Math.Abs(loss - lossT.item<float>())),
        };
        for (int l = 0; l < model.Depth; l++)
        {
            rows.Add(new($"∂L/∂W{l + 1}", Bridge.MaxAbsDiff(scratch.Layers[l].W.Grad, model.Linears[l].weight.grad!, "dW")));
            rows.Add(new($"∂L/∂b{l + 1}", Bridge.MaxAbsDiff(scratch.Layers[l].B!.Grad, model.Linears[l].bias!.grad!, "db")));
        }
        string note = redrawn == 0 ? "" : $", {redrawn} row draw{(redrawn == 1 ? "" : "s")} rejected to keep every ReLU input ≥ {tieTolerance:G2} from 0";
        return new ParityReport($"MLP [{string.Join(", ", sizes)}], {activation}{note}", rows);
    }

    /// <summary>
    /// The scratch MLP of <see cref="Mlp"/> and a batch for it. With ReLU, a row (one example) whose hidden
    /// pre-activations come within <paramref name="tieTolerance"/> of 0 is drawn again (up to 50 times; the rows of an MLP
    /// do not interact, so only that row is redrawn). Returns how many row draws were rejected and the nearest margin of
    /// the batch returned (+∞ for smooth activations, which have no kink).
    /// </summary>
    internal static (Mlp<float> Scratch, NDArray<float> X, int[] Labels, int Redrawn, double Margin) MlpDraw(
        IReadOnlyList<int> sizes, HiddenActivation hidden, int batch, int seed, double tieTolerance)
    {
        const int MaxDraws = 50;
        var rng = new Rng((ulong)seed);
        var scratch = new Mlp<float>(sizes, hidden, rng);
        var x = rng.NormalArray<float>(0, 1, batch, sizes[0]);
        int redrawn = 0;
        double[] margins = hidden == HiddenActivation.Relu ? HiddenReluMargins(scratch, x) : [.. Enumerable.Repeat(double.PositiveInfinity, batch)];
        for (int row = 0; row < batch; row++)
        {
            for (int draw = 1; NearTies.IsNearTie(margins[row], tieTolerance); draw++)
            {
                if (draw == MaxDraws)
                    throw new InvalidOperationException(
                        $"In {MaxDraws} draws of row {row} of a batch [{batch}, {sizes[0]}] for the MLP [{string.Join(", ", sizes)}] every forward pass had a ReLU input within {tieTolerance:G2} of 0: "
                        + "too many units for that tolerance; use a smaller network or a smaller tieTolerance.");
                rng.NormalArray<float>(0, 1, sizes[0]).Data.CopyTo(x.Data, row * sizes[0]);
                margins[row] = HiddenReluMargins(scratch, NDArray.From(x.Data[(row * sizes[0])..((row + 1) * sizes[0])], 1, sizes[0]))[0];
                redrawn++;
            }
        }
        int[] labels = [.. Enumerable.Range(0, batch).Select(_ => rng.NextInt(sizes[^1]))];
        return (scratch, x, labels, redrawn, margins.Min());
    }

    // Per row, the smallest |z| over every hidden pre-activation, computed in float64 from the same weights (float32 is ~1e-6 off).
    private static double[] HiddenReluMargins(Mlp<float> scratch, NDArray<float> x)
    {
        using var scope = torch.NewDisposeScope();
        var h = x.ToTensor().to_type(ScalarType.Float64);
        var margin = torch.full(x.Dim(0), double.PositiveInfinity, dtype: ScalarType.Float64);
        for (int l = 0; l < scratch.Layers.Count - 1; l++)
        {
            var layer = scratch.Layers[l];
            var z = h.matmul(layer.W.Value.ToTensor().to_type(ScalarType.Float64).t());
            if (layer.B is not null) z = z + layer.B.Value.ToTensor().to_type(ScalarType.Float64);
            margin = torch.minimum(margin, z.abs().amin([1]));
            h = torch.nn.functional.relu(z);
        }
        return margin.data<double>().ToArray();
    }
}
