using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using TorchSharp.Modules;
using Linear = TorchSharp.Modules.Linear;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// A deep ReLU MLP for the batch-norm lesson: <c>depth</c> blocks of Linear → [BatchNorm1d] → ReLU, then a Linear
/// classifier. With <c>batchNorm: false</c> it is the same net without the normalisation, initialised identically.
/// </summary>
public sealed class BatchNormMlp : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> layers;
    private readonly ModuleList<BatchNorm1d> norms;
    private readonly Linear head;

    /// <summary>inputs → depth × (Linear(width) [→ BatchNorm1d] → ReLU) → Linear(classes), seeded by <paramref name="seed"/>.</summary>
    public BatchNormMlp(int inputs, int width, int depth, int classes, bool batchNorm, long seed = 0) : base(nameof(BatchNormMlp))
    {
        Positive(inputs, nameof(inputs));
        Positive(width, nameof(width));
        Positive(depth, nameof(depth));
        Positive(classes, nameof(classes));
        torch.manual_seed(seed); // same seed ⇒ the same Linear weights with and without batch norm
        layers = new ModuleList<Linear>([.. Enumerable.Range(0, depth).Select(l => nn.Linear(l == 0 ? inputs : width, width))]);
        head = nn.Linear(width, classes);
        norms = new ModuleList<BatchNorm1d>(batchNorm ? [.. Enumerable.Range(0, depth).Select(_ => nn.BatchNorm1d(width))] : []);
        HasBatchNorm = batchNorm;
        RegisterComponents();
    }

    /// <summary>Whether each hidden block normalises its pre-activations.</summary>
    public bool HasBatchNorm { get; }

    /// <summary>The number of hidden blocks.</summary>
    public int Depth => layers.Count;

    internal Linear FirstLayer => layers[0];

    internal BatchNorm1d? FirstNorm => HasBatchNorm ? norms[0] : null;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        // PyTorch's Python F.batch_norm refuses this; TorchSharp does not, and a single example's unbiased
        // variance 0/0 = NaN would silently poison the running variance.
        if (HasBatchNorm && training && x.ndim == 2 && x.shape[0] < 2)
            throw new ArgumentException(
                $"Expected more than 1 value per channel when training, got input size [{string.Join(", ", x.shape)}]: a batch of one has no variance to normalise by. Call eval() to predict single examples.", nameof(x));
        return ForwardUnchecked(x);
    }

    // The forward pass without the batch-of-one guard, for the lesson's demonstration of what that guard prevents.
    internal Tensor ForwardUnchecked(Tensor x)
    {
        var h = x;
        for (int l = 0; l < layers.Count; l++) h = nn.functional.relu(PreActivation(l, h));
        return head.call(h);
    }

    /// <summary>The input of each hidden ReLU for the batch x (after batch norm when the net has it), first block first.</summary>
    public IReadOnlyList<Tensor> PreActivations(Tensor x)
    {
        var result = new List<Tensor>();
        var h = x;
        for (int l = 0; l < layers.Count; l++)
        {
            var z = PreActivation(l, h);
            result.Add(z);
            h = nn.functional.relu(z);
        }
        return result;
    }

    private Tensor PreActivation(int l, Tensor h)
    {
        var z = layers[l].call(h);
        return HasBatchNorm ? norms[l].call(z) : z;
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive integer, got {value}.");
    }
}

/// <summary>Mean and standard deviation of one layer's values over a batch (all units pooled).</summary>
public sealed record LayerStatistics(int Layer, double Mean, double Std);

/// <summary>
/// Pre-activation statistics per hidden layer of the same deep MLP with and without batch norm: at initialisation
/// (on the training set, batch statistics) and after a short training run (on the test set, eval mode).
/// </summary>
public sealed record PreActivationReport(
    IReadOnlyList<LayerStatistics> PlainAtInit,
    IReadOnlyList<LayerStatistics> BatchNormAtInit,
    IReadOnlyList<LayerStatistics> PlainTrained,
    IReadOnlyList<LayerStatistics> BatchNormTrained);

/// <summary>
/// What changes when a trained batch-norm net is run with batch statistics (train mode) instead of its running
/// statistics (eval mode). Accuracies are on the 8×8 digits test split.
/// </summary>
/// <param name="EvalAccuracy">Eval mode (running statistics) on the whole test set.</param>
/// <param name="EvalOneAtATimeAccuracy">Eval mode, one example per batch: identical, each prediction depends only on its own input.</param>
/// <param name="BatchStatsAccuracy">Train mode (statistics of the batch) with the whole test set as one batch: a big random batch looks like the training data.</param>
/// <param name="BatchOfOneAccuracy">Train mode, one example per batch: each input normalises to 0, so every example gets the same prediction.</param>
/// <param name="BatchOfOneDistinctPredictions">How many different classes those batch-of-one predictions use (1: the input is ignored).</param>
/// <param name="BatchOfOnePoisonsRunningVariance">Whether one train-mode forward pass on a single example leaves NaN in the running variance (its unbiased variance is 0/0).</param>
/// <param name="BatchOfTwoAccuracy">Train mode on batches of two: every feature becomes ±1, the input is all but erased.</param>
/// <param name="SkewedClass">The class the skewed batch is made of.</param>
/// <param name="SkewedEvalAccuracy">Eval mode on a batch holding only <paramref name="SkewedClass"/>.</param>
/// <param name="SkewedBatchStatsAccuracy">Train mode on that batch: its own mean subtracts away what its examples have in common.</param>
/// <param name="TestMeanGap">max over units of |batch mean − running mean| in the first batch-norm layer, whole test set.</param>
/// <param name="SkewedMeanGap">The same for the skewed batch.</param>
/// <param name="MaxLogitChangeWithBatchmates">Train mode: the largest change of one example's logits when only its batchmates change (eval mode: 0).</param>
public sealed record TrainVsEvalReport(
    double EvalAccuracy,
    double EvalOneAtATimeAccuracy,
    double BatchStatsAccuracy,
    double BatchOfOneAccuracy,
    int BatchOfOneDistinctPredictions,
    bool BatchOfOnePoisonsRunningVariance,
    double BatchOfTwoAccuracy,
    int SkewedClass,
    double SkewedEvalAccuracy,
    double SkewedBatchStatsAccuracy,
    double TestMeanGap,
    double SkewedMeanGap,
    double MaxLogitChangeWithBatchmates);

/// <summary>One training run of the learning-rate sweep: the final training loss and test accuracy, and whether the loss blew up.</summary>
public sealed record LearningRateRun(double LearningRate, bool BatchNorm, double FinalLoss, double TestAccuracy, bool Diverged);

/// <summary>
/// Batch normalisation with TorchSharp (nn.BatchNorm1d/2d) and the lesson's measurements: what it does to
/// pre-activation statistics, why evaluation must use running statistics, and why it tolerates large learning rates.
/// </summary>
public static class BatchNormLab
{
    /// <summary>torch.nn.BatchNorm1d over <paramref name="features"/> features, with γ and β set when given (default 1 and 0).</summary>
    public static BatchNorm1d BatchNorm1d(int features, double eps = 1e-5, double momentum = 0.1, float[]? gamma = null, float[]? beta = null)
    {
        CheckHyper(features, eps, momentum, gamma, beta, nameof(features));
        var bn = nn.BatchNorm1d(features, eps, momentum);
        SetAffine(bn, gamma, beta);
        return bn;
    }

    /// <summary>torch.nn.BatchNorm2d over <paramref name="channels"/> channels, with γ and β set when given (default 1 and 0).</summary>
    public static BatchNorm2d BatchNorm2d(int channels, double eps = 1e-5, double momentum = 0.1, float[]? gamma = null, float[]? beta = null)
    {
        CheckHyper(channels, eps, momentum, gamma, beta, nameof(channels));
        var bn = nn.BatchNorm2d(channels, eps, momentum);
        SetAffine(bn, gamma, beta);
        return bn;
    }

    /// <summary>
    /// Mean and std of every hidden layer's pre-activations (the ReLU inputs) of a deep MLP on the 8×8 digits, with and
    /// without batch norm, at initialisation and after <paramref name="epochs"/> epochs of SGD.
    /// </summary>
    public static PreActivationReport PreActivationStatistics(int depth = 8, int width = 64, int epochs = 5, double learningRate = 0.1, int seed = 0)
    {
        CheckRun(depth, width, epochs, learningRate);
        var (xTrain, yTrain, xTest, yTest) = DigitsSplit(seed);
        using (xTrain) using (yTrain) using (xTest) using (yTest)
        {
            using var plain = new BatchNormMlp(64, width, depth, 10, batchNorm: false, seed);
            using var withBn = new BatchNormMlp(64, width, depth, 10, batchNorm: true, seed);
            var plainInit = Statistics(plain, xTrain, batchStatistics: true);
            var bnInit = Statistics(withBn, xTrain, batchStatistics: true);
            MiniLoop.Sgd(plain, xTrain, yTrain, epochs, 64, learningRate, seed);
            MiniLoop.Sgd(withBn, xTrain, yTrain, epochs, 64, learningRate, seed);
            return new PreActivationReport(plainInit, bnInit,
                Statistics(plain, xTest, batchStatistics: false), Statistics(withBn, xTest, batchStatistics: false));
        }
    }

    /// <summary>
    /// Trains a batch-norm MLP on the 8×8 digits, then compares evaluation with running statistics (eval mode) against
    /// batch statistics (train mode) on the whole test set, on tiny batches and on a batch of a single class.
    /// </summary>
    public static TrainVsEvalReport TrainVsEval(int depth = 3, int width = 64, int epochs = 10, double learningRate = 0.1, int skewedClass = 3, int seed = 0)
    {
        CheckRun(depth, width, epochs, learningRate);
        if (skewedClass is < 0 or > 9)
            throw new ArgumentOutOfRangeException(nameof(skewedClass), skewedClass, $"skewedClass must be a digit class in [0, 9], got {skewedClass}.");
        var (xTrain, yTrain, xTest, yTest) = DigitsSplit(seed);
        using (xTrain) using (yTrain) using (xTest) using (yTest)
        {
            using var net = new BatchNormMlp(64, width, depth, 10, batchNorm: true, seed);
            MiniLoop.Sgd(net, xTrain, yTrain, epochs, 64, learningRate, seed);
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            long n = xTest.shape[0];

            double evalAccuracy = Accuracy(Logits(net, xTest, batchStatistics: false), yTest);
            var oneAtATime = torch.cat([.. Enumerable.Range(0, (int)n).Select(i => Logits(net, xTest.narrow(0, i, 1), batchStatistics: false))], 0);
            double batchStatsAccuracy = Accuracy(Logits(net, xTest, batchStatistics: true), yTest);

            // Batch statistics of one example: x − μ = 0, so every input leaves each batch-norm layer as β.
            var single = torch.cat([.. Enumerable.Range(0, (int)n).Select(i => Logits(net, xTest.narrow(0, i, 1), batchStatistics: true))], 0);
            int distinct = single.argmax(1).unique().Item1.ToInts().Length;
            bool poisons = WithSnapshot(net, () =>
            {
                net.train();
                net.ForwardUnchecked(xTest.narrow(0, 0, 1));
                return !torch.isfinite(net.FirstNorm!.running_var!).all().item<bool>();
            });
            long pairs = n / 2 * 2;
            var pairLogits = torch.cat([.. Enumerable.Range(0, (int)(pairs / 2)).Select(i => Logits(net, xTest.narrow(0, 2 * i, 2), batchStatistics: true))], 0);
            double pairAccuracy = Accuracy(pairLogits, yTest.narrow(0, 0, pairs));

            var skewedIdx = yTest.eq(skewedClass).nonzero().squeeze(1);
            var xSkewed = xTest.index_select(0, skewedIdx);
            var ySkewed = yTest.index_select(0, skewedIdx);

            // The same example with two different sets of batchmates: only batch statistics make its logits move.
            var first = xTest.narrow(0, 0, 1);
            var mates1 = torch.cat([first, xTest.narrow(0, 1, 31)], 0);
            var mates2 = torch.cat([first, xSkewed], 0);
            double logitChange = (Logits(net, mates1, true)[0] - Logits(net, mates2, true)[0]).abs().max().item<float>();

            var runningMean = net.FirstNorm!.running_mean!;
            double testGap = (net.FirstLayer.call(xTest).mean([0]) - runningMean).abs().max().item<float>();
            double skewedGap = (net.FirstLayer.call(xSkewed).mean([0]) - runningMean).abs().max().item<float>();

            return new TrainVsEvalReport(evalAccuracy, Accuracy(oneAtATime, yTest), batchStatsAccuracy, Accuracy(single, yTest), distinct, poisons, pairAccuracy,
                skewedClass, Accuracy(Logits(net, xSkewed, false), ySkewed), Accuracy(Logits(net, xSkewed, true), ySkewed),
                testGap, skewedGap, logitChange);
        }
    }

    /// <summary>
    /// Trains the same deep ReLU MLP (He init, so the plain net trains too) with and without batch norm at each
    /// learning rate for the same small budget (<paramref name="epochs"/> epochs of plain SGD, batches of 64, on the
    /// 8×8 digits) and reports final training loss and test accuracy.
    /// </summary>
    public static IReadOnlyList<LearningRateRun> LearningRateSweep(double[]? learningRates = null, int depth = 4, int width = 128, int epochs = 3, int seed = 0)
    {
        learningRates ??= [0.01, 0.1, 0.5, 1.0, 2.0];
        if (learningRates.Length == 0)
            throw new ArgumentException("learningRates is empty; give at least one learning rate.", nameof(learningRates));
        foreach (double lr in learningRates)
            if (!double.IsFinite(lr) || lr <= 0)
                throw new ArgumentOutOfRangeException(nameof(learningRates), lr, $"Every learning rate must be a finite number > 0, got {lr} in [{string.Join(", ", learningRates)}].");
        CheckRun(depth, width, epochs, 0.1);
        var (xTrain, yTrain, xTest, yTest) = DigitsSplit(seed);
        using (xTrain) using (yTrain) using (xTest) using (yTest)
        {
            var runs = new List<LearningRateRun>();
            foreach (double lr in learningRates)
                foreach (bool bn in new[] { false, true })
                {
                    using var net = InitLab.Apply(new BatchNormMlp(64, width, depth, 10, bn, seed), InitScheme.KaimingNormal);
                    var run = MiniLoop.Sgd(net, xTrain, yTrain, epochs, 64, lr, seed);
                    runs.Add(new LearningRateRun(lr, bn, run.FinalLoss, MiniLoop.Evaluate(net, xTest, yTest).Accuracy, run.Diverged));
                }
            return runs;
        }
    }

    // The 8×8 digits, seeded stratified 80/20 split, as tensors.
    internal static (Tensor XTrain, Tensor YTrain, Tensor XTest, Tensor YTest) DigitsSplit(int seed)
    {
        var (train, test) = Splits.TrainTestSplit(Digits.Load8x8(), 0.2, new Rng((ulong)seed));
        return (train.X.ToTensor(), Bridge.Labels(train.Labels), test.X.ToTensor(), Bridge.Labels(test.Labels));
    }

    // Logits with running statistics (eval) or with the batch's own statistics (train mode, running statistics restored after).
    private static Tensor Logits(BatchNormMlp net, Tensor x, bool batchStatistics) =>
        WithSnapshot(net, () =>
        {
            net.train(batchStatistics);
            return net.ForwardUnchecked(x);
        });

    private static List<LayerStatistics> Statistics(BatchNormMlp net, Tensor x, bool batchStatistics)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return WithSnapshot(net, () =>
        {
            net.train(batchStatistics);
            return net.PreActivations(x)
                .Select((z, l) => new LayerStatistics(l + 1, z.mean().item<float>(), z.std(unbiased: false).item<float>())).ToList();
        });
    }

    // Runs f, then puts back the train/eval mode and every batch norm's running statistics: measuring must not change the net.
    private static TResult WithSnapshot<TResult>(BatchNormMlp net, Func<TResult> f)
    {
        var buffers = net.buffers().ToList();
        var saved = buffers.Select(b => b.detach().clone()).ToList();
        bool wasTraining = net.training;
        try
        {
            return f();
        }
        finally
        {
            using (torch.no_grad())
                for (int i = 0; i < buffers.Count; i++) buffers[i].copy_(saved[i]);
            foreach (var t in saved) t.Dispose();
            net.train(wasTraining);
        }
    }

    private static double Accuracy(Tensor logits, Tensor y) => logits.argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();

    private static void SetAffine(TorchSharp.Modules.BatchNorm bn, float[]? gamma, float[]? beta)
    {
        using var noGrad = torch.no_grad();
        if (gamma is not null) bn.weight.copy_(torch.tensor(gamma));
        if (beta is not null) bn.bias!.copy_(torch.tensor(beta));
    }

    private static void CheckHyper(int channels, double eps, double momentum, float[]? gamma, float[]? beta, string name)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(name, channels, $"{name} must be a positive integer, got {channels}.");
        if (!double.IsFinite(eps) || eps <= 0) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"eps must be a finite number > 0, got {eps}.");
        if (!double.IsFinite(momentum) || momentum < 0 || momentum > 1)
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"momentum must be in [0, 1], got {momentum}.");
        if (gamma is not null && gamma.Length != channels)
            throw new ArgumentException($"gamma has {gamma.Length} values but the layer has {channels} channels.", nameof(gamma));
        if (beta is not null && beta.Length != channels)
            throw new ArgumentException($"beta has {beta.Length} values but the layer has {channels} channels.", nameof(beta));
    }

    private static void CheckRun(int depth, int width, int epochs, double learningRate)
    {
        if (depth <= 0) throw new ArgumentOutOfRangeException(nameof(depth), depth, $"depth must be a positive integer, got {depth}.");
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, $"width must be a positive integer, got {width}.");
        if (epochs <= 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"epochs must be a positive integer, got {epochs}.");
        if (!double.IsFinite(learningRate) || learningRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, $"learningRate must be a finite number > 0, got {learningRate}.");
    }
}

public static partial class Parity
{
    /// <summary>
    /// Scratch <see cref="BatchNorm1d{T}"/> vs torch.nn.BatchNorm1d with the same γ/β: train-mode output, ∂L/∂x, ∂L/∂γ,
    /// ∂L/∂β and the running mean/variance after each of <paramref name="steps"/> batches, then the eval-mode output.
    /// x is [batch, features], or [batch, features, length] when <paramref name="length"/> &gt; 0.
    /// </summary>
    public static ParityReport BatchNorm1d(int features = 4, int batch = 8, int length = 0, int steps = 3, double momentum = 0.1, double eps = 1e-5, int seed = 0)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, $"length must be ≥ 0 (0 means [N, C] input), got {length}.");
        int[] shape = length == 0 ? [batch, features] : [batch, features, length];
        CheckBatchNormRun(features, batch, length == 0 ? 1 : length, steps, nameof(features));
        return BatchNormParity("BatchNorm1d", new BatchNorm1d<float>(features, momentum, eps), shape, steps, momentum, eps, seed);
    }

    /// <summary>
    /// Scratch <see cref="BatchNorm2d{T}"/> vs torch.nn.BatchNorm2d with the same γ/β on x [batch, channels, height, width]:
    /// train-mode output and gradients and the running statistics after each step, then the eval-mode output.
    /// </summary>
    public static ParityReport BatchNorm2d(int channels = 3, int batch = 4, int height = 5, int width = 5, int steps = 3, double momentum = 0.1, double eps = 1e-5, int seed = 0)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(height <= 0 ? nameof(height) : nameof(width), $"height and width must be positive, got {height}×{width}.");
        CheckBatchNormRun(channels, batch, height * width, steps, nameof(channels));
        return BatchNormParity("BatchNorm2d", new BatchNorm2d<float>(channels, momentum, eps), [batch, channels, height, width], steps, momentum, eps, seed);
    }

    private static ParityReport BatchNormParity(string topic, BatchNorm<float> scratch, int[] shape, int steps, double momentum, double eps, int seed)
    {
        // Every temporary of this helper dies with the scope; it returns numbers, no tensor.
        using var helperScope = torch.NewDisposeScope();
        var rng = new Rng((ulong)seed);
        int c = scratch.Channels;
        float[] gamma = [.. rng.UniformArray<float>(0.5, 1.5, c).Data], beta = [.. rng.NormalArray<float>(0, 0.5, c).Data];
        gamma.CopyTo(scratch.Gamma.Value.Span);
        beta.CopyTo(scratch.Beta.Value.Span);
        using TorchSharp.Modules.BatchNorm bn = shape.Length == 4
            ? BatchNormLab.BatchNorm2d(c, eps, momentum, gamma, beta)
            : BatchNormLab.BatchNorm1d(c, eps, momentum, gamma, beta);

        var rows = new List<ParityRow>();
        for (int step = 1; step <= steps; step++)
        {
            // Each step a different batch, off-centre and scaled, so the running statistics really move.
            var x = rng.NormalArray<float>(0.5 * step, 1 + step, shape);
            var dout = rng.NormalArray<float>(0, 1, shape);
            scratch.Gamma.Grad.Span.Clear();
            scratch.Beta.Grad.Span.Clear();
            var (y, cache) = scratch.Train().Forward(x);
            var dx = scratch.Backward(dout, cache);

            using var scope = torch.NewDisposeScope();
            bn.train();
            bn.zero_grad();
            var xt = x.ToTensor(requiresGrad: true);
            var yt = bn.call(xt);
            yt.backward([dout.ToTensor()]);
            rows.Add(new($"step {step}: output", Bridge.MaxAbsDiff(y, yt, "output")));
            rows.Add(new($"step {step}: ∂L/∂x", Bridge.MaxAbsDiff(dx, xt.grad!, "∂L/∂x")));
            rows.Add(new($"step {step}: ∂L/∂γ", Bridge.MaxAbsDiff(scratch.Gamma.Grad, bn.weight.grad!, "∂L/∂γ")));
            rows.Add(new($"step {step}: ∂L/∂β", Bridge.MaxAbsDiff(scratch.Beta.Grad, bn.bias!.grad!, "∂L/∂β")));
            rows.Add(new($"step {step}: running mean", Bridge.MaxAbsDiff(scratch.RunningMean, bn.running_mean!, "running mean")));
            rows.Add(new($"step {step}: running var", Bridge.MaxAbsDiff(scratch.RunningVar, bn.running_var!, "running var")));
        }

        var xe = rng.NormalArray<float>(1, 2, shape);
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            bn.eval();
            rows.Add(new("eval: output", Bridge.MaxAbsDiff(scratch.Eval().Forward(xe).Out, bn.call(xe.ToTensor()), "eval output")));
        }
        return new ParityReport(topic, rows);
    }

    private static void CheckBatchNormRun(int channels, int batch, int positions, int steps, string channelsName)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(channelsName, channels, $"{channelsName} must be a positive integer, got {channels}.");
        if (batch <= 0 || batch * positions < 2)
            throw new ArgumentOutOfRangeException(nameof(batch), batch,
                $"Training batch norm needs more than one value per channel, but batch = {batch} with {positions} position(s) per example gives {batch * positions}.");
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps must be a positive integer, got {steps}.");
    }
}
