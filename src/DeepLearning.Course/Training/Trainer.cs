using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>Loss and accuracy of a model on a data set.</summary>
/// <param name="Loss">Mean loss per example.</param>
/// <param name="Accuracy">Fraction classified correctly (null for regression).</param>
/// <param name="Count">How many examples were evaluated.</param>
public sealed record Evaluation(double Loss, double? Accuracy, long Count);

/// <summary>One step's loss, term by term: what the optimizer minimises is <see cref="Total"/>.</summary>
/// <param name="Data">The data loss (cross-entropy, BCE, MSE or the custom loss).</param>
/// <param name="L1">λ₁·Σ|w| over the weights.</param>
/// <param name="L2">(λ₂/2)·Σw² over the weights.</param>
public sealed record LossTerms(double Data, double L1, double L2)
{
    /// <summary>Data + L1 + L2.</summary>
    public double Total => Data + L1 + L2;
}

/// <summary>
/// The fit loop every notebook uses: <c>Trainer.Fit(model, train, validation, new TrainOptions { … })</c> returns
/// a <see cref="History"/>. Each step runs inside its own dispose scope (forward, loss + explicit L1/L2 terms,
/// backward, NaN/∞ guard, clipping, optimizer step); evaluation runs under <c>torch.no_grad()</c> in eval mode.
/// </summary>
/// <example>
/// <code>
/// using var data = TrainData.From(Digits.Load28x28Split().Train.AsImages(1, 28, 28));
/// var (train, val) = data.Split(0.2, seed: 1);
/// var history = Trainer.Fit(model, train, val, new TrainOptions
/// {
///     Epochs = 20, BatchSize = 64, Optimizer = Optim.Adam(1e-3), Scheduler = Scheduler.Cosine(),
///     EarlyStopping = new EarlyStopping(Patience: 3), Seed = 1,
/// });
/// history   // a table; history.LossCurve() feeds a chart
/// </code>
/// </example>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> (minibatches from TorchSharp's DataLoader,
    /// reshuffled every epoch with a seeded order), evaluates on <paramref name="validation"/> after every epoch,
    /// and returns the history. Arguments are checked before any computation: hyperparameters, data shapes against
    /// the model's first layer and its output, labels against the number of outputs. A NaN/∞ loss or gradient
    /// throws <see cref="TrainingDivergedException"/> naming the epoch, the step and the first offending parameter.
    /// The model is left in eval mode.
    /// </summary>
    public static History Fit(nn.Module<Tensor, Tensor> model, TrainData train, TrainData? validation = null, TrainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        options ??= new TrainOptions();
        options.Validate();
        CheckCompatible(train, validation);
        var monitor = ChooseMonitor(options, train, validation);
        CheckFirstLayer(model, train, nameof(train));
        CheckOutputs(model, train, nameof(train));
        if (validation is not null) CheckOutputs(model, validation, nameof(validation));

        var named = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        if (named.Count == 0)
            throw new ArgumentException("The model has no trainable parameters (none with requires_grad).", nameof(model));
        var parameters = named.Select(p => p.parameter).ToList();
        var weights = parameters.Where(p => p.dim() >= 2).ToList();

        _ = torch.manual_seed(options.Seed);
        var optimizer = options.Optimizer.Create(parameters, options.Optimizer.LearningRate);
        var scheduler = options.Scheduler?.Create(optimizer, options.Epochs);
        using var loader = train.ToDataLoader(options.BatchSize, options.Shuffle, options.Seed);
        long stepsPerEpoch = loader.Count;

        var history = new History(monitor, options.Optimizer.Name, options.Scheduler?.Name);
        using var progress = ProgressReporter.Create(options.Progress, options.Epochs, stepsPerEpoch, history);
        var tensorBoard = options.TensorBoardDir is null ? null : new TensorBoardLog(options.TensorBoardDir);
        var early = options.EarlyStopping;
        bool maximize = monitor == MonitorMetric.ValidationAccuracy;
        double best = maximize ? double.NegativeInfinity : double.PositiveInfinity;
        int bad = 0;
        Dictionary<string, Tensor>? bestState = null;
        try
        {
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                double lr = optimizer.ParamGroups.First().LearningRate;
                model.train();
                double lossSum = 0, penaltySum = 0, gradNormSum = 0;
                long correct = 0, seen = 0;
                int step = 0;
                foreach (var batch in loader)
                {
                    step++;
                    using var scope = torch.NewDisposeScope();
                    var x = options.Augment is null ? batch[0] : options.Augment(batch[0]);
                    var y = batch[1];
                    optimizer.zero_grad();
                    var output = model.call(x);
                    var dataLoss = Loss(output, y, train.Task, options.Loss);
                    var (l1, l2) = PenaltyTerms(weights, options.L1, options.L2);
                    var objective = dataLoss;
                    if (l1 is not null) objective = objective + l1;
                    if (l2 is not null) objective = objective + l2;
                    double loss = dataLoss.ToDouble(), penalty = (l1?.ToDouble() ?? 0) + (l2?.ToDouble() ?? 0);
                    if (!double.IsFinite(loss) || !double.IsFinite(penalty))
                    {
                        var diverged = Diverged(named, model, x, objective, epoch, step, stepsPerEpoch, loss + penalty, history);
                        if (options.ThrowOnDivergence) throw diverged;
                        return Stop(history, diverged, model, bestState, early);
                    }
                    objective.backward();
                    double gradNorm = TotalGradNorm(parameters);
                    if (!double.IsFinite(gradNorm) && FirstNonFinite(named, gradients: true) is string culprit)
                    {
                        var diverged = new TrainingDivergedException(epoch, step, stepsPerEpoch, culprit, LayerOf(model, culprit), "gradient", loss, history);
                        if (options.ThrowOnDivergence) throw diverged;
                        return Stop(history, diverged, model, bestState, early);
                    }
                    if (options.ClipGradNorm is double maxNorm) torch.nn.utils.clip_grad_norm_(parameters, maxNorm);
                    if (options.ClipGradValue is double maxValue) torch.nn.utils.clip_grad_value_(parameters, maxValue);
                    optimizer.step();

                    long n = y.shape[0];
                    lossSum += loss * n;
                    penaltySum += penalty * n;
                    gradNormSum += gradNorm;
                    seen += n;
                    if (train.Task != TaskKind.Regression) correct += Correct(output, y, train.Task);
                    progress.Step(epoch, step);
                }

                Evaluation? val = validation is null ? null : Evaluate(model, validation, options.BatchSize, options.Loss);
                var record = new EpochRecord(epoch, lossSum / seen,
                    train.Task == TaskKind.Regression ? null : (double)correct / seen,
                    val?.Loss, val?.Accuracy, lr, clock.Elapsed.TotalSeconds, penaltySum / seen, gradNormSum / step);
                history.Add(record);

                double value = history.Monitored(record) ?? double.NaN;
                double minDelta = early?.MinDelta ?? 0;
                if (maximize ? value > best + minDelta : value < best - minDelta)
                {
                    best = value;
                    bad = 0;
                    history.BestEpoch = epoch;
                    if (early?.RestoreBestWeights == true) bestState = Snapshot(model, bestState);
                }
                else
                {
                    bad++;
                }
                if (history.BestEpoch == 0) history.BestEpoch = epoch;  // NaN from the start: report the first

                tensorBoard?.Epoch(record);
                tensorBoard?.Histograms(named, epoch);
                options.OnEpochEnd?.Invoke(record);
                progress.EpochEnd(record);
                scheduler?.step(val?.Loss ?? record.TrainLoss);

                if (early is not null && bad > 0 && bad >= early.Patience && epoch < options.Epochs)
                {
                    history.StopReason = StopReason.EarlyStopping;
                    history.StopDetail = $"stopped early after epoch {epoch}: no improvement in {history.MonitorName} for {bad} epoch{(bad == 1 ? "" : "s")} (patience {early.Patience}, min delta {early.MinDelta.ToString("G3", CultureInfo.InvariantCulture)})";
                    break;
                }
            }
            if (history.StopReason == StopReason.Completed)
                history.StopDetail = $"completed {options.Epochs} epochs";
            Restore(model, history, bestState, early);
            return history;
        }
        finally
        {
            model.eval();
            if (bestState is not null) foreach (var t in bestState.Values) t.Dispose();
            optimizer.Dispose();
        }
    }

    /// <summary>Mean loss and accuracy of <paramref name="model"/> on <paramref name="data"/>, under no_grad in eval mode (the mode is restored).</summary>
    public static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, TrainData data, int batchSize = 256, Func<Tensor, Tensor, Tensor>? loss = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        TrainChecks.AtLeast(batchSize, 1, nameof(batchSize));
        using var evalMode = model.EvalMode();
        using var noGrad = torch.no_grad();
        double lossSum = 0;
        long correct = 0, n = data.Count;
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            long size = Math.Min(batchSize, n - start);
            var x = data.X.narrow(0, start, size);
            var y = data.Y.narrow(0, start, size);
            var output = model.call(x);
            lossSum += Loss(output, y, data.Task, loss).ToDouble() * size;
            if (data.Task != TaskKind.Regression) correct += Correct(output, y, data.Task);
        }
        return new Evaluation(lossSum / n, data.Task == TaskKind.Regression ? null : (double)correct / n, n);
    }

    /// <summary>The model's outputs (logits) for <paramref name="x"/>, computed in batches under no_grad in eval mode.</summary>
    public static Tensor Predict(nn.Module<Tensor, Tensor> model, Tensor x, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        TrainChecks.AtLeast(batchSize, 1, nameof(batchSize));
        using var evalMode = model.EvalMode();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < x.shape[0]; start += batchSize)
            parts.Add(model.call(x.narrow(0, start, Math.Min(batchSize, x.shape[0] - start))));
        return torch.cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>The predicted class of every example (argmax of the logits; for one logit, logit &gt; 0).</summary>
    public static int[] PredictClasses(nn.Module<Tensor, Tensor> model, Tensor x, int batchSize = 256)
    {
        using var scope = torch.NewDisposeScope();
        var logits = Predict(model, x, batchSize);
        return logits.dim() == 2 && logits.shape[1] > 1 ? logits.argmax(1).ToInts() : (logits.reshape(-1) > 0).ToInts();
    }

    /// <summary>
    /// The loss of one batch, term by term, exactly as a training step computes it (data loss of the task, plus
    /// λ₁·Σ|w| and (λ₂/2)·Σw² over the weights — parameters with ≥ 2 dimensions, i.e. not biases or norm scales).
    /// </summary>
    public static LossTerms LossOf(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, TaskKind task, double l1 = 0, double l2 = 0, Func<Tensor, Tensor, Tensor>? loss = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        TrainChecks.NonNegative(l1, nameof(l1));
        TrainChecks.NonNegative(l2, nameof(l2));
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var weights = model.parameters().Where(p => p.dim() >= 2).ToList();
        var (t1, t2) = PenaltyTerms(weights, l1, l2);
        return new LossTerms(Loss(model.call(x), y, task, loss).ToDouble(), t1?.ToDouble() ?? 0, t2?.ToDouble() ?? 0);
    }

    /// <summary>The loss of the whole of <paramref name="data"/> as one batch, term by term (see the batch overload).</summary>
    public static LossTerms LossOf(nn.Module<Tensor, Tensor> model, TrainData data, double l1 = 0, double l2 = 0, Func<Tensor, Tensor, Tensor>? loss = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return LossOf(model, data.X, data.Y, data.Task, l1, l2, loss);
    }

    /// <summary>The task's default loss on a batch (mean over examples): cross-entropy, BCE-with-logits or MSE.</summary>
    internal static Tensor Loss(Tensor output, Tensor y, TaskKind task, Func<Tensor, Tensor, Tensor>? custom)
    {
        if (task != TaskKind.Classification && output.dim() == 1) output = output.unsqueeze(1);  // [n] → [n, 1] like y
        if (custom is not null) return custom(output, y);
        return task switch
        {
            TaskKind.Classification => torch.nn.functional.cross_entropy(output, y),
            TaskKind.Binary => torch.nn.functional.binary_cross_entropy_with_logits(output, y),
            _ => torch.nn.functional.mse_loss(output, y),
        };
    }

    private static long Correct(Tensor output, Tensor y, TaskKind task)
    {
        using var noGrad = torch.no_grad();
        return task == TaskKind.Classification
            ? output.argmax(1).eq(y).sum().ToInt64()
            : (output.reshape(-1) > 0).eq(y.reshape(-1) > 0.5).sum().ToInt64();
    }

    private static (Tensor? L1, Tensor? L2) PenaltyTerms(IReadOnlyList<Parameter> weights, double l1, double l2)
    {
        Tensor? t1 = null, t2 = null;
        if (l1 > 0) t1 = torch.stack(weights.Select(w => w.abs().sum())).sum() * l1;
        if (l2 > 0) t2 = torch.stack(weights.Select(w => w.square().sum())).sum() * (l2 / 2);
        return (t1, t2);
    }

    // ‖g‖₂ over all gradients together, in float64 so that large finite gradients do not overflow to ∞.
    private static double TotalGradNorm(IReadOnlyList<Parameter> parameters)
    {
        using var scope = torch.NewDisposeScope();
        Tensor? sum = null;
        foreach (var p in parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            var s = g.to_type(ScalarType.Float64).square().sum();
            sum = sum is null ? s : sum + s;
        }
        return sum is null ? 0 : Math.Sqrt(sum.ToDouble());
    }

    private static string? FirstNonFinite(IEnumerable<(string name, Parameter parameter)> named, bool gradients)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in named)
        {
            var t = gradients ? p.grad : p;
            if (t is not null && !t.isfinite().all().ToBoolean()) return name;
        }
        return null;
    }

    // The loss is NaN/∞: blame the first parameter whose value, else whose gradient, is non-finite; else the input.
    private static TrainingDivergedException Diverged(List<(string name, Parameter parameter)> named, nn.Module model, Tensor x,
        Tensor objective, int epoch, int step, long steps, double loss, History history)
    {
        if (FirstNonFinite(named, gradients: false) is string byValue)
            return new TrainingDivergedException(epoch, step, steps, byValue, LayerOf(model, byValue), "value", loss, history);
        bool badInput;
        using (torch.no_grad()) badInput = !x.isfinite().all().ToBoolean();
        if (badInput)
            return new TrainingDivergedException(epoch, step, steps, null, null, "input", loss, history);
        foreach (var (_, p) in named) using (var g = p.grad) g?.zero_();
        objective.backward();
        if (FirstNonFinite(named, gradients: true) is string byGrad)
            return new TrainingDivergedException(epoch, step, steps, byGrad, LayerOf(model, byGrad), "gradient", loss, history);
        return new TrainingDivergedException(epoch, step, steps, null, null, "loss", loss, history);
    }

    private static History Stop(History history, TrainingDivergedException diverged, nn.Module model, Dictionary<string, Tensor>? bestState, EarlyStopping? early)
    {
        history.StopReason = StopReason.Diverged;
        history.StopDetail = diverged.Message;
        Restore(model, history, bestState, early);
        return history;
    }

    private static void Restore(nn.Module model, History history, Dictionary<string, Tensor>? bestState, EarlyStopping? early)
    {
        if (early?.RestoreBestWeights != true || bestState is null) return;
        if (history.Epochs.Count > 0 && history.BestEpoch != history.Epochs[^1].Epoch)
        {
            using var scope = torch.NewDisposeScope();
            model.load_state_dict(bestState);
        }
        history.RestoredBestWeights = true;
    }

    // A copy of every parameter and persistent buffer (running statistics too), outside any dispose scope.
    private static Dictionary<string, Tensor> Snapshot(nn.Module model, Dictionary<string, Tensor>? previous)
    {
        if (previous is not null) foreach (var t in previous.Values) t.Dispose();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>"2 (Linear)" for parameter "2.weight": the module that owns a parameter, with its type.</summary>
    internal static string LayerOf(nn.Module model, string parameterName)
    {
        int dot = parameterName.LastIndexOf('.');
        if (dot < 0) return $"{model.GetType().Name} (the model itself)";
        string path = parameterName[..dot];
        foreach (var (name, module) in model.named_modules())
            if (name == path) return $"{path} ({module.GetType().Name})";
        return path;
    }

    private static MonitorMetric ChooseMonitor(TrainOptions options, TrainData train, TrainData? validation)
    {
        var monitor = options.EarlyStopping?.Monitor ?? (validation is null ? MonitorMetric.TrainLoss : MonitorMetric.ValidationLoss);
        if (monitor != MonitorMetric.TrainLoss && validation is null)
            throw new ArgumentException($"EarlyStopping monitors {monitor}, but no validation data was given. Pass validation data (e.g. train.Split(0.2)) or monitor MonitorMetric.TrainLoss.", nameof(validation));
        if (monitor == MonitorMetric.ValidationAccuracy && train.Task == TaskKind.Regression)
            throw new ArgumentException("EarlyStopping monitors ValidationAccuracy, but a regression task has no accuracy; monitor ValidationLoss.", nameof(options));
        return monitor;
    }

    private static void CheckCompatible(TrainData train, TrainData? validation)
    {
        if (validation is null) return;
        if (validation.Task != train.Task)
            throw new ArgumentException($"The training data is a {train.Task} task but the validation data is {validation.Task}.", nameof(validation));
        if (!validation.ExampleShape.SequenceEqual(train.ExampleShape))
            throw new ArgumentException($"Training examples have shape {TrainChecks.Format(train.ExampleShape)} but validation examples {TrainChecks.Format(validation.ExampleShape)}.", nameof(validation));
        if (!validation.Y.shape.AsSpan(1).SequenceEqual(train.Y.shape.AsSpan(1)))
            throw new ArgumentException($"Training targets are {TrainChecks.Format(train.Y.shape)} but validation targets {TrainChecks.Format(validation.Y.shape)}.", nameof(validation));
    }

    /// <summary>
    /// When the first parameter is a Linear weight [out, in] or a Conv2d weight [outC, inC, kH, kW], checks that the
    /// examples fit it, so a learner gets a sentence instead of a native shape error.
    /// </summary>
    internal static void CheckFirstLayer(nn.Module model, TrainData data, string argument)
    {
        var first = model.named_parameters().FirstOrDefault();
        if (first.parameter is null || !first.name.EndsWith("weight", StringComparison.Ordinal)) return;
        long[] w = first.parameter.shape;
        long[] example = data.ExampleShape;
        long values = example.Aggregate(1L, (a, b) => a * b);
        string layer = $"the model's first layer '{LayerOf(model, first.name)}' (weight {TrainChecks.Format(w)})";
        if (w.Length == 2 && example[^1] != w[1] && values != w[1])
            throw new ArgumentException(
                $"{layer} expects {w[1]} input features, but the examples of {data.Name} have shape {TrainChecks.Format(example)} ({values} values).", argument);
        if (w.Length == 4 && (example.Length != 3 || example[0] != w[1]))
            throw new ArgumentException(
                $"{layer} expects images [N, {w[1]}, H, W], but X is {TrainChecks.Format(data.X.shape)}" +
                (example.Length == 1 ? "; view flat pixels as images first (e.g. Dataset.AsImages(1, 28, 28))." : "."), argument);
    }

    // Runs the model on two examples (eval mode, no_grad) and checks its output against the targets.
    private static void CheckOutputs(nn.Module<Tensor, Tensor> model, TrainData data, string name)
    {
        using var evalMode = model.EvalMode();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = data.X.narrow(0, 0, Math.Min(2, data.Count));
        Tensor output;
        try
        {
            output = model.call(x);
        }
        catch (Exception ex) when (ex is System.Runtime.InteropServices.ExternalException or InvalidOperationException)
        {
            throw new ArgumentException($"The model fails on a batch of {data.Name} of shape {TrainChecks.Format(x.shape)}: {ex.Message.Split('\n')[0]}", name, ex);
        }
        long[] o = output.shape;
        switch (data.Task)
        {
            case TaskKind.Classification:
                if (o.Length != 2)
                    throw new ArgumentException($"For classification the model must output logits [N, classes], but it outputs {TrainChecks.Format(o)} for {TrainChecks.Format(x.shape)}.", name);
                if (o[1] == 1)
                    throw new ArgumentException("The model outputs one logit per example: for a two-class problem with one output use TrainData.From(dataset, binary: true) (BCE-with-logits); for cross-entropy give it one output per class.", name);
                long maxLabel = data.Y.max().ToInt64();
                if (maxLabel >= o[1] || data.Classes > o[1])
                    throw new ArgumentException(
                        $"{data.Name} has {(data.Classes is int k ? $"{k} classes" : $"labels up to {maxLabel}")}, but the model outputs only {o[1]} logits (label {maxLabel} is out of range).", name);
                break;
            case TaskKind.Binary:
                if (!(o.Length == 1 || (o.Length == 2 && o[1] == 1)))
                    throw new ArgumentException($"For 0/1 targets the model must output one logit per example [N, 1], but it outputs {TrainChecks.Format(o)}. For {o[^1]} logits use TrainData.From(dataset) (cross-entropy).", name);
                break;
            default:
                long[] y = data.Y.shape;
                bool fits = o.Length == 1 ? y[1] == 1 : o.Length == y.Length && o.AsSpan(1).SequenceEqual(y.AsSpan(1));
                if (!fits)
                    throw new ArgumentException($"The model outputs {TrainChecks.Format(o)} per batch but the targets are {TrainChecks.Format(y)}: shapes must match, or MSE would broadcast them.", name);
                break;
        }
    }
}

/// <summary>
/// Training produced a NaN or ∞: names the epoch, the step and — when one is to blame — the first parameter (in
/// <c>named_parameters</c> order) whose value or gradient is non-finite, and its layer.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    internal TrainingDivergedException(int epoch, int step, long steps, string? parameter, string? layer, string quantity, double loss, History history)
        : base(Describe(epoch, step, steps, parameter, layer, quantity, loss))
    {
        Epoch = epoch;
        Step = step;
        Parameter = parameter;
        Layer = layer;
        Quantity = quantity;
        History = history;
    }

    /// <summary>The 1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>The 1-based step within the epoch.</summary>
    public int Step { get; }

    /// <summary>The first non-finite parameter, e.g. "2.weight" (null when the input or the loss itself is to blame).</summary>
    public string? Parameter { get; }

    /// <summary>Its layer, e.g. "2 (Linear)".</summary>
    public string? Layer { get; }

    /// <summary>What is non-finite: "value" (a weight), "gradient", "input" or "loss".</summary>
    public string Quantity { get; }

    /// <summary>The epochs completed before it happened.</summary>
    public History History { get; }

    private static string Describe(int epoch, int step, long steps, string? parameter, string? layer, string quantity, double loss)
    {
        string where = string.Create(CultureInfo.InvariantCulture, $"Training diverged at epoch {epoch}, step {step} of {steps} (loss {loss:G4}): ");
        string what = quantity switch
        {
            "value" => $"parameter '{parameter}' of layer {layer} holds NaN/∞ (an earlier update blew it up).",
            "gradient" => $"the gradient of parameter '{parameter}' of layer {layer} is NaN/∞.",
            "input" => "the input batch contains NaN/∞; check the data.",
            _ => "the loss is NaN/∞ although every parameter and its gradient is finite; check the loss (log of 0?) and the targets.",
        };
        return where + what + (quantity is "value" or "gradient" ? " Try a smaller learning rate or gradient clipping (ClipGradNorm)." : "");
    }
}
