using System.Globalization;
using System.Text;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;
using ScratchConv = DeepLearning.Scratch.Conv2d;
using ScratchLinear = DeepLearning.Scratch.Linear;
using ScratchMaxPool = DeepLearning.Scratch.MaxPool2d;

namespace DeepLearning.Course;

/// <summary>How a pretrained network is reused for a new task.</summary>
public enum TransferMethod
{
    /// <summary>Freeze every pretrained layer; train only a new output layer on the frozen features.</summary>
    FrozenFeatures,

    /// <summary>Start from the pretrained weights with a new output layer, and train every layer.</summary>
    FineTune,

    /// <summary>Ignore the pretrained weights: the same architecture, randomly initialized, trained on the new task.</summary>
    Scratch,
}

/// <summary>One training run of the label-budget comparison: a method, a budget, a draw of the labeled examples.</summary>
/// <param name="Method">How the pretrained network was used.</param>
/// <param name="PerClass">Labeled training examples per class.</param>
/// <param name="Seed">Seed of the draw of labeled examples and of the new head's initialization.</param>
/// <param name="Accuracy">Accuracy on the held-out test images of the new task.</param>
public sealed record BudgetRun(TransferMethod Method, int PerClass, int Seed, double Accuracy);

/// <summary>The result of <see cref="Transfer.CompareBudgets"/>: every run, and mean accuracies per method and budget.</summary>
public sealed record BudgetComparison(IReadOnlyList<int> Budgets, IReadOnlyList<int> Seeds, IReadOnlyList<BudgetRun> Runs)
{
    /// <summary>The methods compared, in the order of <see cref="TransferMethod"/>.</summary>
    public IReadOnlyList<TransferMethod> Methods => [.. Runs.Select(r => r.Method).Distinct().Order()];

    /// <summary>Mean test accuracy of <paramref name="method"/> with <paramref name="perClass"/> labels per class, over the seeds.</summary>
    public double Mean(TransferMethod method, int perClass)
    {
        var runs = Runs.Where(r => r.Method == method && r.PerClass == perClass).ToList();
        if (runs.Count == 0)
            throw new ArgumentException($"No runs of {method} with {perClass} labels per class; budgets are {string.Join(", ", Budgets)}.", nameof(perClass));
        return runs.Average(r => r.Accuracy);
    }

    /// <summary>Mean accuracies of <paramref name="method"/>, one per budget (for a chart).</summary>
    public IReadOnlyList<double> Curve(TransferMethod method) => [.. Budgets.Select(b => Mean(method, b))];

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"Test accuracy on the new task, mean of {Seeds.Count} draw(s) of the labeled examples:\n{"labels per class",-18}");
        foreach (var m in Methods) sb.Append(CultureInfo.InvariantCulture, $"{m,16}");
        foreach (int b in Budgets)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n{b,-18}");
            foreach (var m in Methods) sb.Append(CultureInfo.InvariantCulture, $"{Mean(m, b),16:P1}");
        }
        return sb.ToString();
    }
}

/// <summary>A linear probe on one layer's activations: how well a linear classifier reads the new task from them.</summary>
/// <param name="Layer">"pixels", "pool1", "pool2", "fc1" or "fc2".</param>
/// <param name="Features">The length of the layer's activations.</param>
/// <param name="SourceAccuracy">Probe test accuracy on the pretraining task (digits 0–4).</param>
/// <param name="TargetAccuracy">Probe test accuracy on the new task (digits 5–9).</param>
public sealed record LayerProbe(string Layer, int Features, double SourceAccuracy, double TargetAccuracy)
{
    /// <summary>How much the layer's features lose when moved to the new task: source − target accuracy.</summary>
    public double TransferGap => SourceAccuracy - TargetAccuracy;
}

/// <summary>
/// The pretrained LeNet-5 from scratch: the same weights in plain arrays, the forward pass written with the scratch
/// library's Conv2d, ReLU, MaxPool2d and Linear (no TorchSharp), for parity with the framework's forward.
/// </summary>
public sealed class ScratchLeNet
{
    /// <summary>The state-dict names and shapes a 28×28 LeNet5 with <paramref name="classes"/> outputs has.</summary>
    public static IReadOnlyList<(string Name, int[] Shape)> Layout(int classes) =>
    [
        ("conv1.weight", [6, 1, 5, 5]), ("conv1.bias", [6]), ("conv2.weight", [16, 6, 5, 5]), ("conv2.bias", [16]),
        ("fc1.weight", [120, 400]), ("fc1.bias", [120]), ("fc2.weight", [84, 120]), ("fc2.bias", [84]),
        ("fc3.weight", [classes, 84]), ("fc3.bias", [classes]),
    ];

    private readonly Dictionary<string, NDArray<float>> weights;

    /// <summary>Builds the network from named weights (LeNet5(28)'s state-dict names); every shape is checked.</summary>
    public ScratchLeNet(IReadOnlyDictionary<string, NDArray<float>> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        int classes = stateDict.TryGetValue("fc3.bias", out var b3) && b3.Rank == 1 ? b3.Shape[0] : -1;
        if (classes < 2)
            throw new ArgumentException($"stateDict needs \"fc3.bias\" of shape [classes ≥ 2]; got {(b3 is null ? "none" : Shapes.Format(b3.Shape))}.", nameof(stateDict));
        foreach (var (name, shape) in Layout(classes))
        {
            if (!stateDict.TryGetValue(name, out var w))
                throw new ArgumentException($"stateDict has no \"{name}\" (expected {Shapes.Format(shape)}); it has {string.Join(", ", stateDict.Keys)}.", nameof(stateDict));
            if (!w.Shape.SequenceEqual(shape))
                throw new ArgumentException($"stateDict[\"{name}\"] has shape {Shapes.Format(w.Shape)}, but LeNet5(28) needs {Shapes.Format(shape)}.", nameof(stateDict));
        }
        if (stateDict.Count != Layout(classes).Count)
            throw new ArgumentException($"stateDict has {stateDict.Count} entries, but LeNet5(28) has {Layout(classes).Count}: {string.Join(", ", stateDict.Keys)}.", nameof(stateDict));
        weights = stateDict.ToDictionary(kv => kv.Key, kv => NDArray.From(kv.Value.Data, kv.Value.Shape));
        Classes = classes;
    }

    /// <summary>The number of outputs.</summary>
    public int Classes { get; }

    /// <summary>The number of learnable values (the same count as the TorchSharp model's).</summary>
    public long ParameterCount => weights.Values.Sum(w => (long)w.Length);

    /// <summary>Every stage for images x [N, 1, 28, 28]: conv1 (after ReLU), pool1, conv2 (after ReLU), pool2, fc1, fc2 (after ReLU) and the logits.</summary>
    public IReadOnlyList<(string Stage, NDArray<float> Out)> Stages(NDArray<float> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4 || x.Shape[1] != 1 || x.Shape[2] != 28 || x.Shape[3] != 28)
            throw new ArgumentException($"x must be images [N, 1, 28, 28], got {Shapes.Format(x.Shape)}.", nameof(x));
        var c1 = Activations.Relu.Forward(ScratchConv.Forward(x, weights["conv1.weight"], weights["conv1.bias"], 1, 2).Out).Out;
        var p1 = ScratchMaxPool.Forward(c1, 2).Out;
        var c2 = Activations.Relu.Forward(ScratchConv.Forward(p1, weights["conv2.weight"], weights["conv2.bias"]).Out).Out;
        var p2 = ScratchMaxPool.Forward(c2, 2).Out;
        var f1 = Activations.Relu.Forward(ScratchLinear.Forward(p2.Reshape(x.Shape[0], 400), weights["fc1.weight"], weights["fc1.bias"]).Out).Out;
        var f2 = Activations.Relu.Forward(ScratchLinear.Forward(f1, weights["fc2.weight"], weights["fc2.bias"]).Out).Out;
        var logits = ScratchLinear.Forward(f2, weights["fc3.weight"], weights["fc3.bias"]).Out;
        return [("conv1", c1), ("pool1", p1), ("conv2", c2), ("pool2", p2), ("fc1", f1), ("fc2", f2), ("logits", logits)];
    }

    /// <summary>Logits [N, classes] for images x [N, 1, 28, 28].</summary>
    public NDArray<float> Forward(NDArray<float> x) => Stages(x)[^1].Out;
}

/// <summary>
/// Lesson 13 (transfer learning): a LeNet-5 pretrained on digits 0–4 (shipped in data/models, hash-checked) reused
/// for digits 5–9 with few labels — as a frozen feature extractor, fine-tuned, or not at all (trained from scratch).
/// </summary>
public static class Transfer
{
    /// <summary>The pretrained weights inside the data folder (TorchSharp's module.save format, SHA-256 in MANIFEST.json).</summary>
    public const string PretrainedFile = "models/lenet5-mnist-digits-0-4.bin";

    /// <summary>The digits the shipped network was trained on.</summary>
    public static readonly IReadOnlyList<int> SourceDigits = [0, 1, 2, 3, 4];

    /// <summary>The digits of the new task.</summary>
    public static readonly IReadOnlyList<int> TargetDigits = [5, 6, 7, 8, 9];

    /// <summary>The pretraining recipe's seed (torch.manual_seed: initialization and batch order).</summary>
    public const int PretrainSeed = 0;

    /// <summary>The pretraining recipe's epochs over the 4,881 training images of digits 0–4.</summary>
    public const int PretrainEpochs = 8;

    /// <summary>The examples of <paramref name="data"/> whose label is one of <paramref name="digits"/>, relabelled 0, 1, … in that order.</summary>
    public static Dataset SelectDigits(Dataset data, IReadOnlyList<int> digits)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Count < 2 || digits.Distinct().Count() != digits.Count || digits.Any(d => d < 0 || d >= data.Classes))
            throw new ArgumentException($"digits must be at least 2 distinct labels in [0, {data.Classes}), got [{string.Join(", ", digits)}].", nameof(digits));
        var index = new List<int>();
        for (int i = 0; i < data.Count; i++)
            if (digits.Contains(data.Labels[i])) index.Add(i);
        var subset = Splits.Subset(data, [.. index]);
        int[] labels = [.. subset.Labels.Select(l => IndexOf(digits, l))];
        return new Dataset($"{data.Name}, digits {string.Join("", digits)}", subset.X, labels, digits.Count, [.. digits.Select(d => data.ClassName(d))]);
    }

    /// <summary>A seeded draw of <paramref name="perClass"/> examples of every class of <paramref name="data"/> (the labeled budget).</summary>
    public static Dataset FewLabels(Dataset data, int perClass, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        int smallest = data.ClassCounts().Min();
        if (perClass < 1 || perClass > smallest)
            throw new ArgumentOutOfRangeException(nameof(perClass), perClass, $"perClass must be in [1, {smallest}] ({data.Name}'s smallest class has {smallest} examples), got {perClass}.");
        var order = new Rng((ulong)seed).Permutation(data.Count);
        var taken = new int[data.Classes];
        var index = new List<int>();
        foreach (int i in order)
            if (taken[data.Labels[i]] < perClass) { taken[data.Labels[i]]++; index.Add(i); }
        index.Sort(); // grouped by position in the file, not by draw order: the batch order comes from the training seed
        return Splits.Subset(data, [.. index]) with { Name = $"{data.Name}, {perClass} per class (seed {seed})" };
    }

    /// <summary>
    /// The pretraining recipe (data/scripts/pretrain-lenet.cs runs it): LeNet5(28) with 5 outputs, trained on the
    /// 4,881 MNIST training images of digits 0–4 with Adam (lr 0.001, batches of 64) for <paramref name="epochs"/> epochs.
    /// </summary>
    public static LeNet5 Pretrain(int seed = PretrainSeed, int epochs = PretrainEpochs, string? dataDirectory = null)
    {
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"epochs must be ≥ 1, got {epochs}.");
        var train = SelectDigits(Digits.Load28x28Split(dataDirectory, extraTraining: true).Train, SourceDigits);
        torch.manual_seed(seed);
        var model = new LeNet5(28, classes: SourceDigits.Count);
        using var scope = torch.NewDisposeScope();
        var (x, y) = (Images(train), Bridge.Labels(train.Labels));
        MiniLoop.Fit(model, x, y, epochs, batchSize: 64, learningRate: 0.001, seed: seed, adam: true);
        model.eval();
        return model;
    }

    /// <summary>The shipped pretrained LeNet-5 (digits 0–4), its file checked against data/MANIFEST.json first; in eval mode.</summary>
    public static LeNet5 LoadPretrained(string? dataDirectory = null) => Load(DataFiles.ReadVerified(PretrainedFile, dataDirectory));

    /// <summary>A LeNet5(28) with 5 outputs whose weights are read from <paramref name="weights"/> (TorchSharp's module.save bytes); in eval mode.</summary>
    public static LeNet5 Load(byte[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var model = new LeNet5(28, classes: SourceDigits.Count);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(weights));
            model.load(reader, strict: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            model.Dispose();
            throw new ArgumentException($"weights ({weights.Length} bytes) are not a saved LeNet5(28) with {SourceDigits.Count} outputs: {e.Message}", nameof(weights), e);
        }
        model.eval();
        return model;
    }

    /// <summary>Test accuracy of <paramref name="model"/> on <paramref name="data"/> (28×28 images, labels as the model's outputs).</summary>
    public static double Accuracy(LeNet5 model, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        using var scope = torch.NewDisposeScope();
        return MiniLoop.Accuracy(model, Images(data), Bridge.Labels(data.Labels));
    }

    /// <summary>The layers a transfer copies from the pretrained network: the convolutional feature extractor.</summary>
    public static readonly IReadOnlyList<string> ReusedLayers = ["conv1", "conv2"];

    /// <summary>
    /// A LeNet5(28) for the new task, its classifier fc1–fc3 freshly initialized from <paramref name="seed"/> (the same
    /// classifier for every method). <see cref="TransferMethod.FrozenFeatures"/> and <see cref="TransferMethod.FineTune"/>
    /// copy conv1 and conv2 from <paramref name="pretrained"/> (frozen: requires_grad = false); Scratch copies nothing.
    /// </summary>
    public static LeNet5 NewModel(TransferMethod method, LeNet5 pretrained, int seed)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        if (pretrained.ImageSize != 28)
            throw new ArgumentException($"pretrained must be a LeNet5(28), got LeNet5({pretrained.ImageSize}).", nameof(pretrained));
        if (!Enum.IsDefined(method))
            throw new ArgumentOutOfRangeException(nameof(method), method, $"method must be one of {string.Join(", ", Enum.GetNames<TransferMethod>())}.");
        torch.manual_seed(seed);
        var model = new LeNet5(28, classes: TargetDigits.Count);
        if (method == TransferMethod.Scratch) return model;
        var source = pretrained.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (torch.no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
            {
                if (!ReusedLayers.Contains(name.Split('.')[0])) continue;
                p.copy_(source[name]);
                if (method == TransferMethod.FrozenFeatures) p.requires_grad = false;
            }
        }
        return model;
    }

    /// <summary>
    /// Trains <paramref name="model"/>'s trainable parameters (requires_grad) on <paramref name="train"/> with Adam for
    /// <paramref name="steps"/> steps of up to <paramref name="batchSize"/> examples, batch order from <paramref name="seed"/>.
    /// </summary>
    public static void Train(LeNet5 model, Dataset train, int steps, double learningRate, int seed, int batchSize = 50)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps must be ≥ 1, got {steps}.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize must be ≥ 1, got {batchSize}.");
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, $"learningRate must be a positive number, got {learningRate}.");
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        if (trainable.Count == 0) throw new ArgumentException("model has no trainable parameters (all have requires_grad = false).", nameof(model));
        using var scope = torch.NewDisposeScope();
        var (x, y) = (Images(train), Bridge.Labels(train.Labels));
        long n = x.shape[0], batch = Math.Min(batchSize, n);
        torch.manual_seed(seed);
        using var optimizer = torch.optim.Adam(trainable, learningRate);
        model.train();
        var order = torch.randperm(n);
        long at = 0;
        for (int step = 0; step < steps; step++)
        {
            if (at + batch > n) { order = torch.randperm(n); at = 0; } // a new epoch: reshuffle
            using var stepScope = torch.NewDisposeScope();
            var idx = order.narrow(0, at, batch);
            at += batch;
            var loss = torch.nn.functional.cross_entropy(model.forward(x.index_select(0, idx)), y.index_select(0, idx));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        model.eval();
    }

    /// <summary>
    /// The label-budget experiment: for every budget and seed, draws that many labeled examples per class from
    /// <paramref name="pool"/>, builds each method's model (<see cref="NewModel"/>), trains it for
    /// <paramref name="steps"/> Adam steps (lr 0.001, batches of up to 50) and measures its accuracy on <paramref name="test"/>.
    /// </summary>
    public static BudgetComparison CompareBudgets(LeNet5 pretrained, Dataset pool, Dataset test, IReadOnlyList<int> budgets,
        IReadOnlyList<int> seeds, int steps = 100, IReadOnlyList<TransferMethod>? methods = null)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(budgets);
        ArgumentNullException.ThrowIfNull(seeds);
        if (budgets.Count == 0) throw new ArgumentException("budgets is empty; give at least one number of labels per class.", nameof(budgets));
        if (seeds.Count == 0) throw new ArgumentException("seeds is empty; give at least one seed.", nameof(seeds));
        if (pool.Classes != test.Classes)
            throw new ArgumentException($"pool has {pool.Classes} classes but test has {test.Classes}.", nameof(test));
        methods ??= Enum.GetValues<TransferMethod>();
        var runs = new List<BudgetRun>();
        foreach (int perClass in budgets)
            foreach (int seed in seeds)
            {
                var labeled = FewLabels(pool, perClass, seed);
                foreach (var method in methods)
                {
                    using var model = NewModel(method, pretrained, seed);
                    Train(model, labeled, steps, 0.001, seed);
                    runs.Add(new BudgetRun(method, perClass, seed, Accuracy(model, test)));
                }
            }
        return new BudgetComparison(budgets, seeds, runs);
    }

    /// <summary>
    /// Linear probes per layer (after ReLU and pooling): pixels, pool1, pool2, fc1, fc2 of <paramref name="model"/>,
    /// each trained on <paramref name="perClass"/> examples per class of the source task (digits 0–4) and, separately,
    /// of the new task (5–9), and tested on each task's test images. Deeper features are more specific to the
    /// task the network was trained on.
    /// </summary>
    public static IReadOnlyList<LayerProbe> LayerProbes(LeNet5 model, Dataset sourcePool, Dataset sourceTest, Dataset targetPool, Dataset targetTest,
        int perClass = 20, int seed = 0, int steps = 300)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sourcePool);
        ArgumentNullException.ThrowIfNull(sourceTest);
        ArgumentNullException.ThrowIfNull(targetPool);
        ArgumentNullException.ThrowIfNull(targetTest);
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps must be ≥ 1, got {steps}.");
        if (sourcePool.Classes != sourceTest.Classes || targetPool.Classes != targetTest.Classes)
            throw new ArgumentException(
                $"each pool and its test set must have the same classes: source {sourcePool.Classes} vs {sourceTest.Classes}, target {targetPool.Classes} vs {targetTest.Classes}.", nameof(targetTest));
        var scratch = ToScratch(model);
        var (sTrain, tTrain) = (FewLabels(sourcePool, perClass, seed), FewLabels(targetPool, perClass, seed));
        var layers = new[] { "pixels", "pool1", "pool2", "fc1", "fc2" };
        var sa = ProbeAll(scratch, sTrain, sourceTest, layers, seed, steps);
        var ta = ProbeAll(scratch, tTrain, targetTest, layers, seed, steps);
        return [.. layers.Select((l, i) => new LayerProbe(l, sa[i].Features, sa[i].Accuracy, ta[i].Accuracy))];
    }

    /// <summary>The activations of <paramref name="layer"/> ("pixels", "conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "logits") for every image, flattened to [N, features].</summary>
    public static NDArray<float> LayerFeatures(ScratchLeNet model, Dataset data, string layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var x = ImagesArray(data);
        if (layer == "pixels") return x.Reshape(data.Count, 784);
        var stage = model.Stages(x).FirstOrDefault(s => s.Stage == layer).Out
            ?? throw new ArgumentException($"layer must be \"pixels\", \"conv1\", \"pool1\", \"conv2\", \"pool2\", \"fc1\", \"fc2\" or \"logits\", got \"{layer}\".", nameof(layer));
        return stage.Reshape(data.Count, stage.Length / data.Count);
    }

    // Trains a linear classifier on standardized features of each layer; returns (features, test accuracy) per layer.
    private static (int Features, double Accuracy)[] ProbeAll(ScratchLeNet model, Dataset train, Dataset test, string[] layers, int seed, int steps)
    {
        var xTrain = ImagesArray(train);
        var xTest = ImagesArray(test);
        var trainStages = model.Stages(xTrain).ToDictionary(s => s.Stage, s => s.Out);
        var testStages = model.Stages(xTest).ToDictionary(s => s.Stage, s => s.Out);
        trainStages["pixels"] = xTrain;
        testStages["pixels"] = xTest;
        var result = new (int, double)[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            using var scope = torch.NewDisposeScope();
            var a = trainStages[layers[i]].ToTensor().flatten(1);
            var b = testStages[layers[i]].ToTensor().flatten(1);
            var mean = a.mean([0]);
            var std = a.std(0).clamp_min(1e-3);
            (a, b) = ((a - mean) / std, (b - mean) / std);
            torch.manual_seed(seed);
            using var probe = torch.nn.Linear(a.shape[1], train.Classes);
            using var optimizer = torch.optim.Adam(probe.parameters(), 0.01, weight_decay: 1e-3);
            var y = Bridge.Labels(train.Labels);
            for (int s = 0; s < steps; s++)
            {
                using var stepScope = torch.NewDisposeScope();
                var loss = torch.nn.functional.cross_entropy(probe.forward(a), y);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            result[i] = ((int)a.shape[1], MiniLoop.Accuracy(probe, b, Bridge.Labels(test.Labels)));
        }
        return result;
    }

    /// <summary>The same network in the scratch library: every parameter copied out of <paramref name="model"/> into plain arrays.</summary>
    public static ScratchLeNet ToScratch(LeNet5 model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.ImageSize != 28)
            throw new ArgumentException($"model must be a LeNet5(28), got LeNet5({model.ImageSize}).", nameof(model));
        if (model.Activation != "relu")
            throw new ArgumentException($"model must use ReLU (the scratch forward does), got \"{model.Activation}\".", nameof(model));
        return new ScratchLeNet(model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().ToNDArray()));
    }

    /// <summary>Trainable and frozen parameter counts (requires_grad true / false).</summary>
    public static (long Trainable, long Frozen) ParameterSplit(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var ps = model.parameters().ToList();
        return (ps.Where(p => p.requires_grad).Sum(p => p.numel()), ps.Where(p => !p.requires_grad).Sum(p => p.numel()));
    }

    /// <summary>Each direct child of <paramref name="model"/> with its parameter count, in registration order (a model's outline).</summary>
    public static IReadOnlyList<(string Name, string Type, long Parameters)> Outline(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [.. model.named_children().Select(c => (c.name, c.module.GetType().Name, c.module.parameters().Sum(p => p.numel())))];
    }

    /// <summary>The dataset's 28×28 images as [N, 1, 28, 28] float32.</summary>
    public static NDArray<float> ImagesArray(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.X.Length != data.Count * 784)
            throw new ArgumentException($"{data.Name} has examples of shape {Shapes.Format(data.ExampleShape)}, but the network takes 28×28 images (784 pixels).", nameof(data));
        return data.X.Reshape(data.Count, 1, 28, 28);
    }

    private static Tensor Images(Dataset data) => ImagesArray(data).ToTensor();

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }
}

public static partial class Parity
{
    /// <summary>
    /// The pretrained LeNet-5 run by TorchSharp and by the scratch library on the same images with the same weights
    /// (<see cref="Transfer.ToScratch"/>): every stage of the forward pass, and the logits. Forward values only, so no
    /// near-tie guard is needed: max-pool and ReLU are continuous, whichever cell wins a near-tie gives the same value.
    /// </summary>
    public static ParityReport PretrainedForward(LeNet5 model, Dataset images)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        var scratchStages = Transfer.ToScratch(model).Stages(Transfer.ImagesArray(images));
        using var scope = torch.NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var noGrad = torch.no_grad();
        var x = Transfer.ImagesArray(images).ToTensor();
        var torchStages = model.Features(x).ToDictionary(s => s.Stage, s => s.Maps);
        var fc = model.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
        var f1 = torch.nn.functional.relu(fc["fc1"].call(torchStages["pool2"].flatten(1)));
        var f2 = torch.nn.functional.relu(fc["fc2"].call(f1));
        torchStages["fc1"] = f1;
        torchStages["fc2"] = f2;
        torchStages["logits"] = model.call(x);
        var rows = scratchStages.Select(s => new ParityRow(s.Stage, Bridge.MaxAbsDiff(s.Out, torchStages[s.Stage], s.Stage))).ToList();
        return new ParityReport($"pretrained LeNet-5 forward, {images.Count} images: scratch vs TorchSharp", rows);
    }
}
