using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;
using ScratchLosses = DeepLearning.Scratch.Losses;

namespace DeepLearning.Course;

/// <summary>
/// The losses of lesson 2 in TorchSharp, by name: "mse", "l1", "huber", "bce", "bce_with_logits", "cross_entropy"
/// (class indices as an int64 tensor, or class probabilities of the input's shape), "nll"; plus the pair losses
/// <see cref="TripletMargin"/> (built in) and <see cref="Contrastive"/> (PyTorch has none: written from primitives).
/// </summary>
public static class TorchLosses
{
    /// <summary>The names <see cref="Apply"/>, <see cref="Module"/> and <c>Parity.Loss</c> accept.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mse", "l1", "huber", "bce", "bce_with_logits", "cross_entropy", "nll"];

    /// <summary>The scratch half's reduction as TorchSharp's <c>torch.nn.Reduction</c>.</summary>
    public static nn.Reduction ToTorch(this Reduction reduction) => reduction switch
    {
        Reduction.Mean => nn.Reduction.Mean,
        Reduction.Sum => nn.Reduction.Sum,
        Reduction.None => nn.Reduction.None,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"reduction = {reduction} is not Mean, Sum or None."),
    };

    /// <summary>
    /// The loss through <c>torch.nn.functional</c>: mse_loss, l1_loss, huber_loss(delta), binary_cross_entropy,
    /// binary_cross_entropy_with_logits(pos_weights), cross_entropy(label_smoothing), nll_loss.
    /// </summary>
    public static Tensor Apply(string name, Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0,
        double labelSmoothing = 0, Tensor? posWeight = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        string key = Resolve(name);
        var r = reduction.ToTorch();
        CheckArguments(key, input, target, delta, labelSmoothing, posWeight);
        return key switch
        {
            "mse" => torch.nn.functional.mse_loss(input, target, r),
            "l1" => torch.nn.functional.l1_loss(input, target, r),
            "huber" => torch.nn.functional.huber_loss(input, target, delta, r),
            "bce" => torch.nn.functional.binary_cross_entropy(input, target, reduction: r),
            "bce_with_logits" => torch.nn.functional.binary_cross_entropy_with_logits(input, target, reduction: r, pos_weights: posWeight),
            "cross_entropy" => torch.nn.functional.cross_entropy(input, target, reduction: r, label_smoothing: labelSmoothing),
            _ => torch.nn.functional.nll_loss(input, target, reduction: r),
        };
    }

    // Everything libtorch would reject (or silently broadcast) is caught here, with the shapes in the message.
    private static void CheckArguments(string key, Tensor input, Tensor target, double delta, double labelSmoothing, Tensor? posWeight)
    {
        TopicArgs.FloatingPoint(input, nameof(input));
        if (posWeight is not null && key != "bce_with_logits")
            throw new ArgumentException($"posWeight belongs to bce_with_logits, not {key}.", nameof(posWeight));
        switch (key)
        {
            case "cross_entropy" or "nll":
                TopicArgs.Rank(input, 2, nameof(input), key == "nll" ? "[batch, classes] log-probabilities" : "[batch, classes] logits");
                if (key == "cross_entropy" && target.is_floating_point()) TopicArgs.SameShape(input, nameof(input), target, nameof(target));
                else TopicArgs.ClassIndices(target, input.shape[0], input.shape[1], nameof(target));
                if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
                    throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"labelSmoothing must be in [0, 1], got {labelSmoothing}.");
                if (key == "nll" && labelSmoothing != 0)
                    throw new ArgumentException($"labelSmoothing belongs to cross_entropy, not nll (got {labelSmoothing}).", nameof(labelSmoothing));
                return;
            default:
                TopicArgs.SameShape(input, nameof(input), target, nameof(target));
                TopicArgs.FloatingPoint(target, nameof(target));
                break;
        }
        if (key == "huber") Check.Positive(delta, nameof(delta));
        if (key == "bce" && input.numel() > 0)
        {
            using var scope = torch.NewDisposeScope();
            double lo = input.min().item<float>(), hi = input.max().item<float>();
            if (!(lo >= 0 && hi <= 1))
                throw new ArgumentOutOfRangeException(nameof(input), lo < 0 ? lo : hi,
                    $"bce takes probabilities in [0, 1], but input holds {(lo < 0 ? lo : hi)}: apply a sigmoid first, or use bce_with_logits.");
        }
        if (posWeight is not null)
        {
            long classes = input.dim() == 0 ? 1 : input.shape[^1];
            if (posWeight.dim() != 1 || posWeight.shape[0] != classes)
                throw new ArgumentException(
                    $"posWeight has shape {TopicArgs.Shape(posWeight)}, but needs one weight per class ([{classes}], the last dimension of input {TopicArgs.Shape(input)}).", nameof(posWeight));
        }
    }

    /// <summary>The loss as a <c>torch.nn</c> module (MSELoss(), HuberLoss(delta), CrossEntropyLoss(label_smoothing), …).</summary>
    public static nn.Module<Tensor, Tensor, Tensor> Module(string name, Reduction reduction = Reduction.Mean, double delta = 1.0,
        double labelSmoothing = 0, Tensor? posWeight = null)
    {
        string key = Resolve(name);
        var r = reduction.ToTorch();
        return key switch
        {
            "mse" => torch.nn.MSELoss(r),
            "l1" => torch.nn.L1Loss(r),
            "huber" => torch.nn.HuberLoss(delta, r),
            "bce" => torch.nn.BCELoss(reduction: r),
            "bce_with_logits" => torch.nn.BCEWithLogitsLoss(reduction: r, pos_weights: posWeight),
            "cross_entropy" => new TorchSharp.Modules.CrossEntropyLoss(reduction: r, label_smoothing: labelSmoothing),
            _ => torch.nn.NLLLoss(reduction: r),
        };
    }

    /// <summary>torch.nn.functional.triplet_margin_loss: max(‖a − p + eps‖ₚ − ‖a − n + eps‖ₚ + margin, 0).</summary>
    public static Tensor TripletMargin(Tensor anchor, Tensor positive, Tensor negative, Reduction reduction = Reduction.Mean,
        double margin = 1.0, int p = 2, double eps = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        ArgumentNullException.ThrowIfNull(positive);
        ArgumentNullException.ThrowIfNull(negative);
        TopicArgs.Rank(anchor, 2, nameof(anchor), "[batch, features]");
        TopicArgs.SameShape(anchor, nameof(anchor), positive, nameof(positive));
        TopicArgs.SameShape(anchor, nameof(anchor), negative, nameof(negative));
        Check.Positive(margin, nameof(margin));
        TopicArgs.AtLeast(p, 1, nameof(p));
        Check.NonNegative(eps, nameof(eps));
        return torch.nn.functional.triplet_margin_loss(anchor, positive, negative, margin, p, eps, false, reduction.ToTorch());
    }

    /// <summary>
    /// Contrastive loss for pairs, exactly as the scratch half defines it (Hadsell, Chopra &amp; LeCun 2006): with
    /// d = ‖x1 − x2‖₂ per row and y = 1 for a similar pair, 0 for a dissimilar one, ℓ = y·d² + (1 − y)·max(0, margin − d)².
    /// </summary>
    public static Tensor Contrastive(Tensor x1, Tensor x2, Tensor y, Reduction reduction = Reduction.Mean, double margin = 1.0)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(x2);
        ArgumentNullException.ThrowIfNull(y);
        TopicArgs.Rank(x1, 2, nameof(x1), "[batch, features]");
        TopicArgs.SameShape(x1, nameof(x1), x2, nameof(x2));
        Check.Positive(margin, nameof(margin));
        if (y.dim() != 1 || y.shape[0] != x1.shape[0])
            throw new ArgumentException($"y must hold one label per pair ([{x1.shape[0]}]), got shape {TopicArgs.Shape(y)}.", nameof(y));
        using var scope = torch.NewDisposeScope();
        if (y.numel() > 0 && y.ne(0).logical_and(y.ne(1)).any().item<bool>())
            throw new ArgumentOutOfRangeException(nameof(y), "A pair label must be 1 (similar) or 0 (dissimilar); y holds other values.");
        var d = torch.linalg.vector_norm(x1 - x2, 2, [1]);
        var similar = y.to_type(d.dtype);
        var each = (similar * d.pow(2)) + ((1 - similar) * torch.clamp_min(margin - d, 0).pow(2));
        var loss = reduction switch
        {
            Reduction.Mean => each.mean(),
            Reduction.Sum => each.sum(),
            Reduction.None => each,
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"reduction = {reduction} is not Mean, Sum or None."),
        };
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The canonical name for <paramref name="name"/> (case-insensitive; "-" and "_" alike), or an error listing the valid ones.</summary>
    public static string Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim().ToLowerInvariant().Replace('-', '_');
        key = key switch
        {
            "mae" => "l1",
            "bcewithlogits" => "bce_with_logits",
            "crossentropy" or "ce" => "cross_entropy",
            _ => key,
        };
        if (!Names.Contains(key))
            throw new ArgumentException($"Unknown loss \"{name}\"; use one of: {string.Join(", ", Names)} (pair losses: Parity.TripletMarginLoss, Parity.ContrastiveLoss).", nameof(name));
        return key;
    }
}

public static partial class Parity
{
    /// <summary>
    /// A loss whose target is an array shaped like the input — "mse", "l1", "huber", "bce", "bce_with_logits",
    /// "cross_entropy" (class probabilities) — from scratch (<c>DeepLearning.Scratch.Losses</c>) and in TorchSharp:
    /// rows "loss" and "∂L/∂input". With <see cref="Reduction.None"/> both sides get the same random upstream gradient;
    /// a reduced loss (one float32 sum) is compared relative to max(1, |L|), the row "loss (÷ max(1, |L|))".
    /// </summary>
    public static ParityReport Loss(string name, NDArray<float> input, NDArray<float> target, Reduction reduction = Reduction.Mean,
        double delta = 1.0, double labelSmoothing = 0, NDArray<float>? posWeight = null, int seed = 0)
    {
        string key = TorchLosses.Resolve(name);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (key == "nll")
            throw new ArgumentException("nll takes class indices: pass the target as an int[].", nameof(target));
        if (posWeight is not null && key != "bce_with_logits")
            throw new ArgumentException($"posWeight belongs to bce_with_logits, not {key}.", nameof(posWeight));
        LossParity.CheckReduction(reduction);

        // Scratch: ForwardNone gives the per-element terms for Reduction.None, Forward the reduced scalar.
        NDArray<float> lossS, dxS;
        NDArray<float>? dLoss = null;
        bool none = reduction == Reduction.None;
        switch (key)
        {
            case "mse":
                {
                    var (l, c) = none ? ScratchLosses.Mse.ForwardNone(input, target) : LossParity.Scalar(ScratchLosses.Mse.Forward(input, target, reduction));
                    dLoss = LossParity.Upstream(l, none, seed);
                    (lossS, dxS) = (l, ScratchLosses.Mse.Backward(dLoss, c));
                    break;
                }
            case "l1":
                {
                    var (l, c) = none ? ScratchLosses.L1.ForwardNone(input, target) : LossParity.Scalar(ScratchLosses.L1.Forward(input, target, reduction));
                    dLoss = LossParity.Upstream(l, none, seed);
                    (lossS, dxS) = (l, ScratchLosses.L1.Backward(dLoss, c));
                    break;
                }
            case "huber":
                {
                    var (l, c) = none ? ScratchLosses.Huber.ForwardNone(input, target, delta) : LossParity.Scalar(ScratchLosses.Huber.Forward(input, target, reduction, delta));
                    dLoss = LossParity.Upstream(l, none, seed);
                    (lossS, dxS) = (l, ScratchLosses.Huber.Backward(dLoss, c));
                    break;
                }
            case "bce":
                {
                    var (l, c) = none ? ScratchLosses.Bce.ForwardNone(input, target) : LossParity.Scalar(ScratchLosses.Bce.Forward(input, target, reduction));
                    dLoss = LossParity.Upstream(l, none, seed);
                    (lossS, dxS) = (l, ScratchLosses.Bce.Backward(dLoss, c));
                    break;
                }
            case "bce_with_logits":
                {
                    var (l, c) = none ? ScratchLosses.BceWithLogits.ForwardNone(input, target, posWeight)
                        : LossParity.Scalar(ScratchLosses.BceWithLogits.Forward(input, target, reduction, posWeight));
                    dLoss = LossParity.Upstream(l, none, seed);
                    (lossS, dxS) = (l, ScratchLosses.BceWithLogits.Backward(dLoss, c));
                    break;
                }
            default:
                {
                    var (l, c) = none ? ScratchLosses.CrossEntropy.ForwardNone(input, target, labelSmoothing)
                        : LossParity.Scalar(ScratchLosses.CrossEntropy.Forward(input, target, reduction, labelSmoothing));
                    dLoss = LossParity.Upstream(l, none, seed);
                    (lossS, dxS) = (l, ScratchLosses.CrossEntropy.Backward(dLoss, c));
                    break;
                }
        }

        using var scope = torch.NewDisposeScope();
        var xt = input.ToTensor(requiresGrad: true);
        var lt = TorchLosses.Apply(key, xt, target.ToTensor(), reduction, delta, labelSmoothing, posWeight?.ToTensor());
        LossParity.Backward(lt, dLoss, none);
        return new ParityReport($"Loss {key} ({reduction})",
        [
            LossParity.LossRow(lossS, lt),
            new("∂L/∂input", Bridge.MaxAbsDiff(dxS, xt.grad!, "∂L/∂input")),
        ]);
    }

    /// <summary>
    /// A loss on logits/log-probabilities [N, C] with class-index targets — "cross_entropy" (optionally label-smoothed)
    /// or "nll" — from scratch and in TorchSharp: rows "loss" and "∂L/∂input".
    /// </summary>
    public static ParityReport Loss(string name, NDArray<float> input, int[] target, Reduction reduction = Reduction.Mean,
        double labelSmoothing = 0, int seed = 0)
    {
        string key = TorchLosses.Resolve(name);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (key is not ("cross_entropy" or "nll"))
            throw new ArgumentException($"Class-index targets are for cross_entropy and nll; {key} needs a target array shaped like the input.", nameof(target));
        if (key == "nll" && labelSmoothing != 0)
            throw new ArgumentException($"labelSmoothing belongs to cross_entropy, not nll (got {labelSmoothing}).", nameof(labelSmoothing));
        LossParity.CheckReduction(reduction);

        bool none = reduction == Reduction.None;
        NDArray<float> lossS, dxS;
        NDArray<float>? dLoss;
        if (key == "nll")
        {
            var (l, c) = none ? ScratchLosses.Nll.ForwardNone(input, target) : LossParity.Scalar(ScratchLosses.Nll.Forward(input, target, reduction));
            dLoss = LossParity.Upstream(l, none, seed);
            (lossS, dxS) = (l, ScratchLosses.Nll.Backward(dLoss, c));
        }
        else
        {
            var (l, c) = none ? ScratchLosses.CrossEntropy.ForwardNone(input, target, labelSmoothing)
                : LossParity.Scalar(ScratchLosses.CrossEntropy.Forward(input, target, reduction, labelSmoothing));
            dLoss = LossParity.Upstream(l, none, seed);
            (lossS, dxS) = (l, ScratchLosses.CrossEntropy.Backward(dLoss, c));
        }

        using var scope = torch.NewDisposeScope();
        var xt = input.ToTensor(requiresGrad: true);
        var lt = TorchLosses.Apply(key, xt, Bridge.Labels(target), reduction, labelSmoothing: labelSmoothing);
        LossParity.Backward(lt, dLoss, none);
        return new ParityReport($"Loss {key} ({reduction}, class indices)",
        [
            LossParity.LossRow(lossS, lt),
            new("∂L/∂input", Bridge.MaxAbsDiff(dxS, xt.grad!, "∂L/∂input")),
        ]);
    }

    /// <summary>Triplet margin loss on anchors, positives, negatives [N, D]: rows "loss", "∂L/∂anchor", "∂L/∂positive", "∂L/∂negative".</summary>
    public static ParityReport TripletMarginLoss(NDArray<float> anchor, NDArray<float> positive, NDArray<float> negative,
        Reduction reduction = Reduction.Mean, double margin = 1.0, int p = 2, double eps = 1e-6, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        ArgumentNullException.ThrowIfNull(positive);
        ArgumentNullException.ThrowIfNull(negative);
        if (p < 1) throw new ArgumentOutOfRangeException(nameof(p), p, $"p (the norm's order) must be ≥ 1, got {p}.");
        LossParity.CheckReduction(reduction);
        bool none = reduction == Reduction.None;
        var (l, c) = none ? ScratchLosses.TripletMargin.ForwardNone(anchor, positive, negative, margin, p, eps)
            : LossParity.Scalar(ScratchLosses.TripletMargin.Forward(anchor, positive, negative, reduction, margin, p, eps));
        var dLoss = LossParity.Upstream(l, none, seed);
        var g = ScratchLosses.TripletMargin.Backward(dLoss, c);

        using var scope = torch.NewDisposeScope();
        var (at, pt, nt) = (anchor.ToTensor(requiresGrad: true), positive.ToTensor(requiresGrad: true), negative.ToTensor(requiresGrad: true));
        var lt = TorchLosses.TripletMargin(at, pt, nt, reduction, margin, p, eps);
        LossParity.Backward(lt, dLoss, none);
        return new ParityReport($"Loss triplet_margin ({reduction})",
        [
            LossParity.LossRow(l, lt),
            new("∂L/∂anchor", Bridge.MaxAbsDiff(g.DAnchor, at.grad!, "∂L/∂anchor")),
            new("∂L/∂positive", Bridge.MaxAbsDiff(g.DPositive, pt.grad!, "∂L/∂positive")),
            new("∂L/∂negative", Bridge.MaxAbsDiff(g.DNegative, nt.grad!, "∂L/∂negative")),
        ]);
    }

    /// <summary>Contrastive loss on pairs x1, x2 [N, D] with labels y (1 similar, 0 dissimilar): rows "loss", "∂L/∂x1", "∂L/∂x2".</summary>
    public static ParityReport ContrastiveLoss(NDArray<float> x1, NDArray<float> x2, int[] y, Reduction reduction = Reduction.Mean,
        double margin = 1.0, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(x2);
        ArgumentNullException.ThrowIfNull(y);
        LossParity.CheckReduction(reduction);
        bool none = reduction == Reduction.None;
        var (l, c) = none ? ScratchLosses.Contrastive.ForwardNone(x1, x2, y, margin)
            : LossParity.Scalar(ScratchLosses.Contrastive.Forward(x1, x2, y, reduction, margin));
        var dLoss = LossParity.Upstream(l, none, seed);
        var g = ScratchLosses.Contrastive.Backward(dLoss, c);

        using var scope = torch.NewDisposeScope();
        var (at, bt) = (x1.ToTensor(requiresGrad: true), x2.ToTensor(requiresGrad: true));
        var lt = TorchLosses.Contrastive(at, bt, Bridge.Labels(y), reduction, margin);
        LossParity.Backward(lt, dLoss, none);
        return new ParityReport($"Loss contrastive ({reduction})",
        [
            LossParity.LossRow(l, lt),
            new("∂L/∂x1", Bridge.MaxAbsDiff(g.DX1, at.grad!, "∂L/∂x1")),
            new("∂L/∂x2", Bridge.MaxAbsDiff(g.DX2, bt.grad!, "∂L/∂x2")),
        ]);
    }
}

/// <summary>A line y = slope·x + intercept fitted by gradient descent with one loss.</summary>
/// <param name="Loss">"mse", "l1" or "huber".</param>
/// <param name="Slope">Fitted slope.</param>
/// <param name="Intercept">Fitted intercept.</param>
/// <param name="SlopeError">|fitted − true| slope.</param>
/// <param name="InterceptError">|fitted − true| intercept.</param>
/// <param name="LossCurve">The training loss before each step.</param>
public sealed record LineFit(string Loss, double Slope, double Intercept, double SlopeError, double InterceptError, double[] LossCurve)
{
    /// <summary>Distance from the true (slope, intercept): √(Δslope² + Δintercept²).</summary>
    public double ParameterError => Math.Sqrt((SlopeError * SlopeError) + (InterceptError * InterceptError));
}

/// <summary>MSE vs MAE vs Huber on a line with outliers: the data (for the scatter plot) and one fit per loss.</summary>
/// <param name="TrueSlope">The line's slope.</param>
/// <param name="TrueIntercept">The line's intercept.</param>
/// <param name="X">Inputs.</param>
/// <param name="Y">Targets (outliers included).</param>
/// <param name="Outliers">Which points were pushed up.</param>
/// <param name="Fits">One fit per loss.</param>
public sealed record RobustRegressionResult(double TrueSlope, double TrueIntercept, double[] X, double[] Y, bool[] Outliers, IReadOnlyList<LineFit> Fits)
{
    /// <summary>The fit of one loss ("mse", "l1"/"mae", "huber").</summary>
    public LineFit this[string loss] => Fits.FirstOrDefault(f => f.Loss == TorchLosses.Resolve(loss))
        ?? throw new ArgumentException($"No fit for \"{loss}\"; fits: {string.Join(", ", Fits.Select(f => f.Loss))}.", nameof(loss));
}

/// <summary>One quantity computed naively from probabilities and stably from logits, at one logit size.</summary>
/// <param name="Quantity">What is computed.</param>
/// <param name="Logit">The logit z.</param>
/// <param name="NaiveForm">The naive formula.</param>
/// <param name="Naive">Its value in float32 (may be ∞ or NaN).</param>
/// <param name="NaiveGradient">Its autograd derivative with respect to z (may be NaN).</param>
/// <param name="StableForm">The stable formula (what the built-in loss does).</param>
/// <param name="Stable">Its value in float32.</param>
/// <param name="StableGradient">Its derivative with respect to z.</param>
public sealed record StabilityRow(string Quantity, double Logit, string NaiveForm, double Naive, double NaiveGradient, string StableForm,
    double Stable, double StableGradient)
{
    /// <summary>True when the naive value and gradient are finite numbers.</summary>
    public bool NaiveFinite => double.IsFinite(Naive) && double.IsFinite(NaiveGradient);

    /// <summary>True when the stable value and gradient are finite numbers.</summary>
    public bool StableFinite => double.IsFinite(Stable) && double.IsFinite(StableGradient);
}

/// <summary>What label smoothing ε does to the target and to the confidence a model can reach.</summary>
/// <param name="Epsilon">ε.</param>
/// <param name="Classes">C.</param>
/// <param name="Target">The smoothed target for true class 0: (1 − ε)·onehot + ε/C.</param>
/// <param name="TorchLossMatches">|cross_entropy(label_smoothing = ε) − cross_entropy with the explicit target| on random logits.</param>
/// <param name="OptimalConfidence">The best confidence the loss rewards: q_true = 1 − ε + ε/C (1 without smoothing).</param>
/// <param name="TrainedConfidence">softmax(z)_true after training free logits z.</param>
/// <param name="LogitGap">z_true − z_other after training (grows without bound when ε = 0).</param>
/// <param name="OptimalLogitGap">log(q_true / q_other), the gap where training stops (∞ when ε = 0).</param>
/// <param name="LossFloor">The lowest loss reachable: the entropy of the smoothed target.</param>
public sealed record LabelSmoothingResult(double Epsilon, int Classes, double[] Target, double TorchLossMatches, double OptimalConfidence,
    double TrainedConfidence, double LogitGap, double OptimalLogitGap, double LossFloor);

/// <summary>A small network trained to embed the 8×8 digits with a pair loss, measured before and after training.</summary>
/// <param name="Loss">"triplet" or "contrastive".</param>
/// <param name="LossCurve">The minibatch loss at each step.</param>
/// <param name="TestEmbedding">The trained embedding of every test image, [N, dimensions] (for a scatter plot).</param>
/// <param name="TestLabels">Their digits.</param>
/// <param name="NearestNeighbourBefore">Test accuracy of labelling each test image with its nearest training image's digit, in the untrained embedding.</param>
/// <param name="NearestNeighbourAfter">The same in the trained embedding.</param>
/// <param name="DistanceRatioBefore">Mean distance between test images of the same digit / of different digits, untrained (scale-free; 1 = no structure).</param>
/// <param name="DistanceRatioAfter">The same, trained: well below 1 when the digits form tight, separate clusters.</param>
public sealed record EmbeddingRun(string Loss, double[] LossCurve, NDArray<float> TestEmbedding, int[] TestLabels, double NearestNeighbourBefore,
    double NearestNeighbourAfter, double DistanceRatioBefore, double DistanceRatioAfter);

/// <summary>Lesson 2's experiments: robust regression, logits vs probabilities, label smoothing, embeddings.</summary>
public static class LossExperiments
{
    /// <summary>
    /// Fits y = a·x + b by full-batch gradient descent (torch.optim.SGD) on <c>Synthetic.NoisyLine</c> with MSE, MAE (L1)
    /// and Huber. The one-sided outliers drag the MSE line; MAE and Huber stay near the true line.
    /// </summary>
    public static RobustRegressionResult RobustRegression(double outlierFraction = 0.1, int n = 100, double slope = 2, double intercept = 1,
        double noise = 0.2, double huberDelta = 1.0, int steps = 300, double learningRate = 0.1, int seed = 0)
    {
        TopicArgs.AtLeast(steps, 1, nameof(steps));
        Check.Positive(learningRate, nameof(learningRate));
        Check.Positive(huberDelta, nameof(huberDelta));
        var data = Synthetic.NoisyLine(n, slope, intercept, noise, outlierFraction, new Rng(unchecked((ulong)seed)));

        using var scope = torch.NewDisposeScope();
        var x = data.X.ToTensor().reshape(-1);
        var y = data.Y.ToTensor().reshape(-1);
        var fits = new List<LineFit>();
        foreach (string loss in new[] { "mse", "l1", "huber" })
        {
            var a = torch.nn.Parameter(torch.zeros(1));
            var b = torch.nn.Parameter(torch.zeros(1));
            using var optimizer = torch.optim.SGD([a, b], learningRate);
            double[] curve = new double[steps];
            for (int t = 0; t < steps; t++)
            {
                using var step = torch.NewDisposeScope();
                optimizer.zero_grad();
                var l = TorchLosses.Apply(loss, (a * x) + b, y, delta: huberDelta);
                curve[t] = l.item<float>();
                l.backward();
                optimizer.step();
            }
            double fa = a.item<float>(), fb = b.item<float>();
            fits.Add(new LineFit(loss, fa, fb, Math.Abs(fa - slope), Math.Abs(fb - intercept), curve));
        }
        return new RobustRegressionResult(slope, intercept, [.. data.X.Data.Select(v => (double)v)], [.. data.Y.Data.Select(v => (double)v)],
            data.Outliers ?? new bool[n], fits);
    }

    /// <summary>
    /// The same losses computed naively from probabilities and stably from logits, in float32, for growing logits z
    /// (default 1, 10, 50, 100, 1000): BCE for y = 0 (−log(1 − σ(z)) vs BCEWithLogits), cross-entropy of the wrong class
    /// for logits [z, 0] with a textbook softmax (eˣ/Σeˣ) and with torch.softmax, each then logged, vs cross_entropy.
    /// The naive forms lose digits, then return ∞ or NaN; the stable ones stay finite.
    /// </summary>
    public static IReadOnlyList<StabilityRow> LogitsVsProbabilities(IReadOnlyList<double>? logits = null)
    {
        logits ??= [1, 10, 50, 100, 1000];
        var rows = new List<StabilityRow>();
        foreach (double z in logits)
        {
            if (!double.IsFinite(z))
                throw new ArgumentException($"Every logit must be finite, got {z}.", nameof(logits));
            rows.Add(Compare("BCE, target 0", z, "−log(1 − σ(z))", "binary_cross_entropy_with_logits(z, 0)",
                zt => -torch.log(1 - torch.sigmoid(zt)),
                zt => torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.zeros_like(zt))));
            rows.Add(Compare("CE, wrong class of [z, 0]", z, "−log(e⁰ / (eᶻ + e⁰))", "cross_entropy([z, 0], 1)",
                zt => -torch.log(torch.exp(Pair(zt)) / torch.exp(Pair(zt)).sum())[1],
                zt => torch.nn.functional.cross_entropy(Pair(zt).unsqueeze(0), torch.tensor(new long[] { 1 }))));
            rows.Add(Compare("CE, wrong class of [z, 0]", z, "−log(softmax([z, 0])[1])", "cross_entropy([z, 0], 1)",
                zt => -torch.log(torch.softmax(Pair(zt), 0))[1],
                zt => torch.nn.functional.cross_entropy(Pair(zt).unsqueeze(0), torch.tensor(new long[] { 1 }))));
        }
        return rows;

        static Tensor Pair(Tensor zt) => torch.cat([zt.reshape(1), torch.zeros(1)]);
    }

    /// <summary>
    /// Label smoothing ε with C classes: the smoothed target, a check that torch's label_smoothing equals cross-entropy
    /// with that explicit target, and what training does to confidence — free logits of one example (what a large
    /// network can do) trained by SGD to convergence: without smoothing the confidence creeps to 1 and the logit gap
    /// grows without bound; with smoothing both stop at q_true = 1 − ε + ε/C and log(q_true/q_other).
    /// </summary>
    public static LabelSmoothingResult LabelSmoothing(double epsilon, int classes = 10, int steps = 500, double learningRate = 1.0, int seed = 0)
    {
        if (!(epsilon >= 0 && epsilon <= 1))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"epsilon must be in [0, 1], got {epsilon}.");
        TopicArgs.AtLeast(classes, 2, nameof(classes));
        TopicArgs.AtLeast(steps, 1, nameof(steps));
        Check.Positive(learningRate, nameof(learningRate));

        double qTrue = 1 - epsilon + (epsilon / classes), qOther = epsilon / classes;
        double[] target = [.. Enumerable.Range(0, classes).Select(c => c == 0 ? qTrue : qOther)];
        double floor = -target.Where(q => q > 0).Sum(q => q * Math.Log(q));

        torch.manual_seed(seed);
        using var scope = torch.NewDisposeScope();
        // torch's label_smoothing is cross-entropy against the smoothed target.
        var probe = torch.randn(4, classes);
        var labels = torch.zeros(4, dtype: ScalarType.Int64);
        var q = torch.tensor(target, dtype: ScalarType.Float32).unsqueeze(0).expand(4, classes);
        double matches = (torch.nn.functional.cross_entropy(probe, labels, label_smoothing: epsilon)
            - torch.nn.functional.cross_entropy(probe, q)).abs().item<float>();

        var z = torch.nn.Parameter(torch.zeros(1, classes), true);
        var label = torch.zeros(1, dtype: ScalarType.Int64);
        using (var optimizer = torch.optim.SGD([z], learningRate))
        {
            for (int t = 0; t < steps; t++)
            {
                using var step = torch.NewDisposeScope();
                optimizer.zero_grad();
                torch.nn.functional.cross_entropy(z, label, label_smoothing: epsilon).backward();
                optimizer.step();
            }
        }
        using var noGrad = torch.no_grad();
        double confidence = torch.softmax(z, 1)[0, 0].item<float>();
        double gap = (z[0, 0] - z[0, 1]).item<float>();
        double optimalGap = epsilon == 0 ? double.PositiveInfinity : Math.Log(qTrue / qOther);
        return new LabelSmoothingResult(epsilon, classes, target, matches, qTrue, confidence, gap, optimalGap, floor);
    }

    /// <summary>
    /// Trains a 64 → 64 → <paramref name="dimensions"/> MLP (ReLU) with Adam to embed the 8×8 digits (70 % train,
    /// 30 % test) so that images of the same digit land close together, with <paramref name="loss"/> "triplet"
    /// (random anchor, a positive of its digit, a negative of another digit) or "contrastive" (random pairs, half of
    /// them the same digit). No class labels are predicted: the loss only sees "same" or "different". Reports the
    /// nearest-neighbour accuracy and the within/between distance ratio of the test images before and after training.
    /// </summary>
    public static EmbeddingRun Embedding(string loss = "triplet", int dimensions = 2, int steps = 300, int batchSize = 128, double margin = 1.0,
        double learningRate = 0.01, int seed = 0)
    {
        string key = loss?.Trim().ToLowerInvariant() ?? throw new ArgumentNullException(nameof(loss));
        if (key is not ("triplet" or "contrastive"))
            throw new ArgumentException($"loss must be \"triplet\" or \"contrastive\", got \"{loss}\".", nameof(loss));
        TopicArgs.AtLeast(dimensions, 1, nameof(dimensions));
        TopicArgs.AtLeast(steps, 1, nameof(steps));
        TopicArgs.AtLeast(batchSize, 1, nameof(batchSize));
        Check.Positive(margin, nameof(margin));
        Check.Positive(learningRate, nameof(learningRate));

        var rng = new Rng(unchecked((ulong)seed));
        var (train, test) = Splits.TrainTestSplit(Digits.Load8x8(), 0.3, rng);
        int[][] byClass = [.. Enumerable.Range(0, train.Classes).Select(c => Enumerable.Range(0, train.Count).Where(i => train.Labels[i] == c).ToArray())];

        torch.manual_seed(seed);
        using var net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, dimensions));
        using var scope = torch.NewDisposeScope();
        var (xTrain, xTest) = (train.X.ToTensor(), test.X.ToTensor());
        var (nnBefore, ratioBefore, _) = Evaluate(net, xTrain, train.Labels, xTest, test.Labels);

        using var optimizer = torch.optim.Adam(net.parameters(), learningRate);
        double[] curve = new double[steps];
        for (int t = 0; t < steps; t++)
        {
            using var step = torch.NewDisposeScope();
            // Index triples (anchor, partner, other): the partner shares the anchor's digit, the other does not.
            int[] a = new int[batchSize], p = new int[batchSize], n = new int[batchSize];
            int[] similar = new int[batchSize];
            for (int i = 0; i < batchSize; i++)
            {
                a[i] = rng.NextInt(train.Count);
                int c = train.Labels[a[i]], other = (c + 1 + rng.NextInt(train.Classes - 1)) % train.Classes;
                p[i] = byClass[c][rng.NextInt(byClass[c].Length)];
                n[i] = byClass[other][rng.NextInt(byClass[other].Length)];
                similar[i] = rng.Bernoulli(0.5) ? 1 : 0;
            }
            optimizer.zero_grad();
            var ea = net.forward(xTrain.index_select(0, Bridge.Labels(a)));
            var ep = net.forward(xTrain.index_select(0, Bridge.Labels(p)));
            var en = net.forward(xTrain.index_select(0, Bridge.Labels(n)));
            Tensor l;
            if (key == "triplet")
            {
                l = TorchLosses.TripletMargin(ea, ep, en, margin: margin);
            }
            else
            {
                // Contrastive: each anchor is paired with its positive (y = 1) or its negative (y = 0).
                var y = Bridge.Labels(similar);
                var partner = torch.where(y.unsqueeze(1).eq(1), ep, en);
                l = TorchLosses.Contrastive(ea, partner, y, margin: margin);
            }
            curve[t] = l.item<float>();
            l.backward();
            optimizer.step();
        }
        var (nnAfter, ratioAfter, embedding) = Evaluate(net, xTrain, train.Labels, xTest, test.Labels);
        return new EmbeddingRun(key, curve, embedding, [.. test.Labels], nnBefore, nnAfter, ratioBefore, ratioAfter);

        static (double NearestNeighbour, double Ratio, NDArray<float> TestEmbedding) Evaluate(nn.Module<Tensor, Tensor> net, Tensor xTrain,
            int[] trainLabels, Tensor xTest, int[] testLabels)
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var (eTrain, eTest) = (net.forward(xTrain), net.forward(xTest));
            var yTrain = Bridge.Labels(trainLabels);
            var yTest = Bridge.Labels(testLabels);
            // 1-nearest neighbour: the training image closest in the embedding lends its digit.
            var nearest = torch.cdist(eTest, eTrain).argmin(1);
            double accuracy = yTrain.index_select(0, nearest).eq(yTest).to_type(ScalarType.Float32).mean().item<float>();
            // Mean distance within a digit / between digits over all test pairs (the diagonal's zeros left out).
            var d = torch.cdist(eTest, eTest);
            var same = yTest.unsqueeze(1).eq(yTest.unsqueeze(0)).logical_and(torch.eye(yTest.shape[0], dtype: ScalarType.Bool).logical_not());
            var different = yTest.unsqueeze(1).ne(yTest.unsqueeze(0));
            double within = d.masked_select(same).mean().item<float>(), between = d.masked_select(different).mean().item<float>();
            return (accuracy, within / between, eTest.ToNDArray());
        }
    }

    private static StabilityRow Compare(string quantity, double z, string naiveForm, string stableForm, Func<Tensor, Tensor> naive, Func<Tensor, Tensor> stable)
    {
        using var scope = torch.NewDisposeScope();
        var (nv, ng) = ValueAndGradient(z, naive);
        var (sv, sg) = ValueAndGradient(z, stable);
        return new StabilityRow(quantity, z, naiveForm, nv, ng, stableForm, sv, sg);
    }

    private static (double Value, double Gradient) ValueAndGradient(double z, Func<Tensor, Tensor> f)
    {
        using var scope = torch.NewDisposeScope();
        var zt = torch.tensor((float)z, requires_grad: true);
        var y = f(zt);
        y.backward();
        return (y.item<float>(), zt.grad!.item<float>());
    }
}

// The loss parity helpers live in a file-local class so the partial Parity class (shared by every topic) stays free of them.
file static class LossParity
{
    internal static void CheckReduction(Reduction reduction)
    {
        if (reduction is not (Reduction.Mean or Reduction.Sum or Reduction.None))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"reduction = {reduction} is not Mean, Sum or None.");
    }

    // A reduced scalar as a 0-d array, so the reduced and unreduced paths look alike.
    internal static (NDArray<float> Loss, TCache Cache) Scalar<TCache>((float Loss, TCache Cache) r) => (NDArray.Scalar(r.Loss), r.Cache);

    // The upstream gradient: none for a reduced loss (backward from 1), N(0, 1) per term for Reduction.None.
    internal static NDArray<float>? Upstream(NDArray<float> loss, bool none, int seed) =>
        none ? new Rng(unchecked((ulong)seed)).NormalArray<float>(0, 1, loss.Shape) : null;

    internal static void Backward(Tensor loss, NDArray<float>? dLoss, bool none)
    {
        if (none) loss.backward([dLoss!.ToTensor()]);
        else loss.backward();
    }

    // A reduced loss is one float32 sum of many terms, so its last bit is worth ~1e-7·|L|: compare it relative to
    // max(1, |L|), or a Sum over a big batch would fail on round-off alone. Unreduced terms compare absolutely.
    internal static double LossDiff(NDArray<float> scratch, Tensor framework)
    {
        var f = framework.ToNDArray();
        if (scratch.Length != 1) return Parity.MaxAbsDiff(scratch.Data, f.Data);
        return Math.Abs((double)scratch.Data[0] - f.Data[0]) / Math.Max(1, Math.Abs((double)f.Data[0]));
    }

    internal static ParityRow LossRow(NDArray<float> scratch, Tensor framework) =>
        new(scratch.Length == 1 ? LossRowReduced : "loss", LossDiff(scratch, framework));

    internal const string LossRowReduced = "loss (÷ max(1, |L|))";
}
