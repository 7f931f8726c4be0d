using System.Globalization;
using System.Text;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>The gradient reaching the first and the last layer of a plain and a residual net of one depth, at initialisation.</summary>
/// <param name="Depth">Weight layers, 6n + 2.</param>
/// <param name="PlainFirst">‖∂L/∂W‖ of the plain net's first conv.</param>
/// <param name="ResidualFirst">‖∂L/∂W‖ of the residual net's first conv.</param>
/// <param name="PlainLast">‖∂L/∂W‖ of the plain net's classifier.</param>
/// <param name="ResidualLast">‖∂L/∂W‖ of the residual net's classifier.</param>
public sealed record GradientNorms(int Depth, double PlainFirst, double ResidualFirst, double PlainLast, double ResidualLast)
{
    /// <summary>First-layer over last-layer gradient norm in the plain net: how evenly the gradient is spread through depth.</summary>
    public double PlainRatio => PlainFirst / PlainLast;

    /// <summary>The same ratio in the residual net.</summary>
    public double ResidualRatio => ResidualFirst / ResidualLast;
}

/// <summary>
/// ‖∂L/∂W‖ of every weight layer on the main path (stem conv, two convs per block, classifier; projections left out)
/// of a plain and a residual net of one depth, at initialisation, input side first.
/// </summary>
/// <param name="Depth">Weight layers, 6n + 2 (the length of each list).</param>
/// <param name="Layers">The layers' module names: "conv1", "layer1.0.conv1", …, "fc".</param>
/// <param name="Plain">The plain net's gradient norms, one per layer.</param>
/// <param name="Residual">The residual net's gradient norms, one per layer.</param>
public sealed record LayerGradientNorms(int Depth, IReadOnlyList<string> Layers, IReadOnlyList<double> Plain, IReadOnlyList<double> Residual)
{
    /// <summary>The largest over the smallest norm in the plain net: how unevenly its layers are updated.</summary>
    public double PlainSpread => Plain.Max() / Plain.Min();

    /// <summary>The same spread in the residual net.</summary>
    public double ResidualSpread => Residual.Max() / Residual.Min();
}

/// <summary>Per-epoch training loss and final accuracies of a plain and a residual net of the same depth.</summary>
public sealed record PlainVsResidual(int Depth, IReadOnlyList<double> PlainLoss, IReadOnlyList<double> ResidualLoss,
    double PlainTestAccuracy, double ResidualTestAccuracy)
{
    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Depth {Depth}, training loss per epoch:");
        sb.Append("\n  plain    ").AppendJoin(" ", PlainLoss.Select(l => l.ToString("F3", CultureInfo.InvariantCulture)));
        sb.Append("\n  residual ").AppendJoin(" ", ResidualLoss.Select(l => l.ToString("F3", CultureInfo.InvariantCulture)));
        sb.Append(CultureInfo.InvariantCulture, $"\n  test accuracy: plain {PlainTestAccuracy:P1}, residual {ResidualTestAccuracy:P1}");
        return sb.ToString();
    }
}

/// <summary>
/// Lesson 10 (residual networks): plain deep nets get harder to train as they grow; shortcuts fix it. Measures the
/// gradient that reaches the first layer at initialisation and short training runs of plain vs residual nets of the
/// same depth, on the 8×8 digits.
/// </summary>
public static class Residual
{
    /// <summary>
    /// For each n in <paramref name="blocksPerStage"/> (depth 6n + 2), builds a <see cref="PlainConvNet"/> and a
    /// <see cref="SmallResNet"/> with identical weights (the residual net's projections aside), runs one batch of
    /// 8×8 digits through each in training mode and returns the gradient norms of the first and last layers.
    /// </summary>
    public static IReadOnlyList<GradientNorms> GradientNormsAtInit(IReadOnlyList<int>? blocksPerStage = null, int width = 8, int batch = 64, int seed = 0)
    {
        blocksPerStage ??= [1, 3, 5, 9];
        using var scope = torch.NewDisposeScope();
        var (x, y) = DigitBatch(batch, seed);
        var rows = new List<GradientNorms>();
        foreach (int n in blocksPerStage)
        {
            torch.manual_seed(seed);
            using var plain = new PlainConvNet(n, width);
            using var residual = new SmallResNet(n, width);
            CopyShared(plain, residual);
            var (pf, pl) = FirstLastGradNorms(plain, x, y);
            var (rf, rl) = FirstLastGradNorms(residual, x, y);
            rows.Add(new GradientNorms(plain.Depth, pf, rf, pl, rl));
        }
        return rows;
    }

    /// <summary>
    /// Builds a <see cref="PlainConvNet"/> and a <see cref="SmallResNet"/> of depth 6n + 2 with identical weights, runs
    /// one batch of 8×8 digits through each in training mode and returns ‖∂L/∂W‖ of every main-path weight layer:
    /// the whole profile behind <see cref="GradientNormsAtInit"/>'s first/last ratio, for a chart against depth.
    /// </summary>
    public static LayerGradientNorms GradientNormsByLayer(int blocksPerStage = 9, int width = 8, int batch = 64, int seed = 0)
    {
        ResidualChecks.Positive(blocksPerStage, nameof(blocksPerStage));
        ResidualChecks.Positive(width, nameof(width));
        using var scope = torch.NewDisposeScope();
        var (x, y) = DigitBatch(batch, seed);
        torch.manual_seed(seed);
        using var plain = new PlainConvNet(blocksPerStage, width);
        using var residual = new SmallResNet(blocksPerStage, width);
        CopyShared(plain, residual);
        var (names, plainNorms) = MainPathGradNorms(plain, x, y);
        var (_, residualNorms) = MainPathGradNorms(residual, x, y);
        return new LayerGradientNorms(plain.Depth, names, plainNorms, residualNorms);
    }

    /// <summary>
    /// Trains a <see cref="PlainConvNet"/> and a <see cref="SmallResNet"/> of depth 6n + 2 (same init, same
    /// minibatches, SGD with momentum as in He et al.) on a seeded 80/20 split of the 8×8 digits and returns both
    /// loss curves and test accuracies. A few seconds for the defaults.
    /// </summary>
    public static PlainVsResidual TrainingComparison(int blocksPerStage = 5, int width = 8, int epochs = 3, double learningRate = 0.05, int seed = 0)
    {
        ResidualChecks.Positive(blocksPerStage, nameof(blocksPerStage));
        ResidualChecks.Positive(epochs, nameof(epochs));
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, $"learningRate must be a positive number, got {learningRate}.");
        var (train, test) = Splits.TrainTestSplit(Digits.Load8x8(), 0.2, new Rng((ulong)seed));
        using var scope = torch.NewDisposeScope();
        var (x, y) = (train.X.Reshape(train.Count, 1, 8, 8).ToTensor(), Bridge.Labels(train.Labels));
        var (xt, yt) = (test.X.Reshape(test.Count, 1, 8, 8).ToTensor(), Bridge.Labels(test.Labels));
        torch.manual_seed(seed);
        using var plain = new PlainConvNet(blocksPerStage, width);
        using var residual = new SmallResNet(blocksPerStage, width);
        CopyShared(plain, residual);
        double[] plainLoss = MiniLoop.Fit(plain, x, y, epochs, batchSize: 64, learningRate, seed);
        double[] residualLoss = MiniLoop.Fit(residual, x, y, epochs, batchSize: 64, learningRate, seed);
        return new PlainVsResidual(plain.Depth, plainLoss, residualLoss, MiniLoop.Accuracy(plain, xt, yt), MiniLoop.Accuracy(residual, xt, yt));
    }

    // Gives the residual net the plain net's weights wherever they share a name (all but the projections).
    private static void CopyShared(nn.Module from, nn.Module to)
    {
        var source = from.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in to.named_parameters())
            if (source.TryGetValue(name, out var s)) p.copy_(s);
    }

    // A seeded batch of 8×8 digits as images [batch, 1, 8, 8] and int64 labels; call inside a dispose scope.
    private static (Tensor X, Tensor Y) DigitBatch(int batch, int seed)
    {
        if (batch < 2) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be ≥ 2 (batch norm), got {batch}.");
        var data = Digits.Load8x8();
        var pick = new Rng((ulong)seed).Permutation(data.Count)[..Math.Min(batch, data.Count)];
        var subset = Splits.Subset(data, pick);
        return (subset.X.Reshape(subset.Count, 1, 8, 8).ToTensor(), Bridge.Labels(subset.Labels));
    }

    // ‖∂L/∂W‖ of the weights on the main path (every conv and the classifier, not BN, not the projections), in order.
    private static (List<string> Names, List<double> Norms) MainPathGradNorms(StagedConvNet net, Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        net.train();
        net.zero_grad();
        torch.nn.functional.cross_entropy(net.forward(x), y).backward();
        var names = new List<string>();
        var norms = new List<double>();
        foreach (var (name, p) in net.named_parameters())
        {
            if (p.dim() < 2 || name.Contains("downsample", StringComparison.Ordinal)) continue;
            names.Add(name[..^".weight".Length]);
            norms.Add(p.grad!.norm().item<float>());
        }
        return (names, norms);
    }

    private static (double First, double Last) FirstLastGradNorms(StagedConvNet net, Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        net.train();
        net.zero_grad();
        torch.nn.functional.cross_entropy(net.forward(x), y).backward();
        return (net.Stem.weight.grad!.norm().item<float>(), net.Head.weight.grad!.norm().item<float>());
    }

    /// <summary>
    /// Runs a scratch residual block and a TorchSharp one holding the same weights (copied by torchvision name) through
    /// one training-mode forward and backward of L = mean(r ⊙ out) for a random r, then an evaluation-mode forward.
    /// </summary>
    internal static ParityReport BlockParity(string topic, ResidualBlock<float> scratch, nn.Module<Tensor, Tensor> block,
        int batch, int size, Rng rng, double tieTolerance = NearTies.DefaultTolerance)
    {
        NearTies.CheckTolerance(tieTolerance, nameof(tieTolerance));
        // Every temporary of this helper dies with the scope; it returns numbers, no tensor.
        using var helperScope = torch.NewDisposeScope();
        var torchParams = block.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var scratchNames = scratch.Parameters.Select(p => p.Name).ToHashSet();
        if (!scratchNames.SetEquals(torchParams.Keys))
            throw new InvalidOperationException(
                $"The blocks' parameter names differ: scratch {string.Join(", ", scratchNames.Order())} vs TorchSharp {string.Join(", ", torchParams.Keys.Order())}.");
        using (torch.no_grad())
            foreach (var p in scratch.Parameters)
                torchParams[p.Name].copy_(p.Value.ToTensor());

        var (x, y, cache, draws) = DrawClearOfKinks(scratch, batch, size, rng, tieTolerance);
        if (draws > 1) topic += $", input drawn {draws} times to keep every ReLU input ≥ {tieTolerance:G2} from 0";
        var dout = Cnn.MeanLossGradient(y.Shape, rng);
        var dx = scratch.Backward(dout, cache);

        using var scope = torch.NewDisposeScope();
        block.train();
        var xt = x.ToTensor(requiresGrad: true);
        var yt = block.forward(xt);
        yt.backward([dout.ToTensor()]);
        var rows = new List<ParityRow>
        {
            new("output (train)", Bridge.MaxAbsDiff(y, yt, "output")),
            new("∂L/∂x", Bridge.MaxAbsDiff(dx, xt.grad!, "∂L/∂x")),
        };
        foreach (var p in scratch.Parameters)
            rows.Add(new($"∂L/∂{p.Name}", Bridge.MaxAbsDiff(p.Grad, torchParams[p.Name].grad!, p.Name)));
        var buffers = block.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, value) in scratch.Buffers)
            rows.Add(new($"{name} after step", Bridge.MaxAbsDiff(value, buffers[name], name)));

        var x2 = rng.NormalArray<float>(0, 1, batch, scratch.InChannels, size, size);
        var (y2, _) = scratch.Eval().Forward(x2);
        block.eval();
        using (torch.no_grad())
            rows.Add(new("output (eval)", Bridge.MaxAbsDiff(y2, block.forward(x2.ToTensor()), "output (eval)")));
        block.train();
        return new ParityReport(topic, rows);
    }

    /// <summary>
    /// A training-mode forward of <paramref name="scratch"/> on an input drawn (up to 50 times) until every ReLU input
    /// — after each inner unit and after the sum — is at least <paramref name="tieTolerance"/> from 0: nearer, the scratch
    /// and TorchSharp blocks may switch a unit differently and route a whole gradient apart (<see cref="NearTies"/>).
    /// A rejected draw's forward has updated the batch norms' running statistics, so they are put back.
    /// </summary>
    internal static (NDArray<float> X, NDArray<float> Out, ResidualCache<float> Cache, int Draws) DrawClearOfKinks(
        ResidualBlock<float> scratch, int batch, int size, Rng rng, double tieTolerance)
    {
        const int MaxDraws = 50;
        var saved = scratch.Buffers.Select(b => (float[])b.Value.Data.Clone()).ToList();
        for (int draw = 1; draw <= MaxDraws; draw++)
        {
            var x = rng.NormalArray<float>(0, 1, batch, scratch.InChannels, size, size);
            var (y, cache) = scratch.Train().Forward(x);
            if (!NearTies.IsNearTie(ReluMargin(cache), tieTolerance)) return (x, y, cache, draw);
            foreach (var (buffer, before) in scratch.Buffers.Zip(saved)) before.CopyTo(buffer.Value.Data, 0);
        }
        throw new InvalidOperationException(
            $"In {MaxDraws} draws of x [{batch}, {scratch.InChannels}, {size}, {size}] every forward pass had a ReLU input within {tieTolerance:G2} of 0: "
            + "too many values for that tolerance; use a smaller batch or image, or a smaller tieTolerance.");
    }

    /// <summary>The smallest |z| over every ReLU input of one forward pass of a block (its cache).</summary>
    internal static double ReluMargin(ResidualCache<float> cache)
    {
        using var scope = torch.NewDisposeScope();
        return cache.Relus.Select(r => r.X).Append(cache.Out.X).Min(z => NearTies.ReluMargin(z.ToTensor()));
    }
}

public static partial class Parity
{
    /// <summary>
    /// The from-scratch <see cref="BasicBlock{T}"/> against the TorchSharp <see cref="BasicBlock"/> with the same
    /// weights (copied by torchvision name): output, ∂L/∂x, every parameter's gradient and the batch norms' running
    /// statistics after one training step, and the evaluation-mode output. The input is drawn until no ReLU input is
    /// within <paramref name="tieTolerance"/> of 0 (see <see cref="Residual.DrawClearOfKinks"/>); the topic says how many draws that took.
    /// </summary>
    public static ParityReport BasicBlock(int inChannels = 4, int outChannels = 8, int stride = 2, int batch = 2, int size = 6, int seed = 0,
        double tieTolerance = NearTies.DefaultTolerance)
    {
        Cnn.CheckImageBatch(batch, inChannels, size, size);
        var rng = new Rng((ulong)seed);
        var scratch = new BasicBlock<float>(inChannels, outChannels, stride, rng);
        using var block = new BasicBlock(inChannels, outChannels, stride);
        return Residual.BlockParity($"BasicBlock {inChannels}→{outChannels}, stride {stride}", scratch, block, batch, size, rng, tieTolerance);
    }

    /// <summary>The from-scratch <see cref="Bottleneck{T}"/> against the TorchSharp <see cref="Bottleneck"/>, as <see cref="BasicBlock(int, int, int, int, int, int, double)"/>.</summary>
    public static ParityReport Bottleneck(int inChannels = 8, int width = 4, int stride = 1, int expansion = 4, int batch = 2, int size = 5, int seed = 0,
        double tieTolerance = NearTies.DefaultTolerance)
    {
        Cnn.CheckImageBatch(batch, inChannels, size, size);
        var rng = new Rng((ulong)seed);
        var scratch = new Bottleneck<float>(inChannels, width, stride, rng, expansion);
        using var block = new Bottleneck(inChannels, width, stride, expansion);
        return Residual.BlockParity($"Bottleneck {inChannels}→{width}→{width * expansion}, stride {stride}", scratch, block, batch, size, rng, tieTolerance);
    }
}
