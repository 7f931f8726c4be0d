using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// Bin edges and counts, as numpy.histogram: <c>Counts[i]</c> counts values in [Edges[i], Edges[i+1]) (the last
/// bin also holds its right edge). Non-finite values are not binned; <see cref="NonFinite"/> counts them.
/// </summary>
/// <param name="Edges">Bins + 1 increasing edges.</param>
/// <param name="Counts">Values per bin.</param>
/// <param name="NonFinite">NaN/∞ values left out.</param>
public sealed record Histogram(double[] Edges, long[] Counts, long NonFinite = 0)
{
    /// <summary>The middle of every bin (x values for a bar chart).</summary>
    public double[] Centers => [.. Counts.Select((_, i) => (Edges[i] + Edges[i + 1]) / 2)];

    /// <summary>How many values were binned.</summary>
    public long Total => Counts.Sum();

    /// <summary>Bins <paramref name="values"/> into <paramref name="bins"/> equal bins over [min, max] (default: the values' range).</summary>
    public static Histogram Of(ReadOnlySpan<float> values, int bins = 40, double? min = null, double? max = null)
    {
        TrainChecks.AtLeast(bins, 1, nameof(bins));
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        long nonFinite = 0;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) { nonFinite++; continue; }
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        lo = min ?? (double.IsFinite(lo) ? lo : 0);
        hi = max ?? (double.IsFinite(hi) ? hi : 1);
        if (!(hi >= lo))
            throw new ArgumentException($"The histogram range [{lo}, {hi}] is empty.", nameof(max));
        if (hi == lo) (lo, hi) = (lo - 0.5, hi + 0.5);   // numpy does the same for a constant array
        double[] edges = [.. Enumerable.Range(0, bins + 1).Select(i => lo + ((hi - lo) * i / bins))];
        long[] counts = new long[bins];
        double scale = bins / (hi - lo);
        foreach (float v in values)
        {
            if (!float.IsFinite(v) || v < lo || v > hi) continue;
            int k = Math.Min(bins - 1, (int)((v - lo) * scale));
            counts[k]++;
        }
        return new Histogram(edges, counts, nonFinite);
    }
}

/// <summary>What one layer's output looked like on a batch.</summary>
/// <param name="Index">Call order in the forward pass (0 = first layer called).</param>
/// <param name="Layer">The module's name in the model ("3", "features.conv1").</param>
/// <param name="Kind">The module's type ("Linear", "Tanh", "ReLU", …).</param>
/// <param name="Shape">The output's shape.</param>
/// <param name="Mean">Mean of the outputs.</param>
/// <param name="Std">Standard deviation of the outputs (unbiased, as torch.std).</param>
/// <param name="Saturation">Tanh: fraction with |a| &gt; 0.97; Sigmoid: fraction with |2a − 1| &gt; 0.97 (a &lt; 0.015 or a &gt; 0.985, the same cut on the tanh scale); ReLU: fraction exactly 0. Null for other layers.</param>
/// <param name="DeadFraction">ReLU only: fraction of units (features, or channels of images) that are 0 for every example of the batch.</param>
/// <param name="Histogram">Histogram of the outputs.</param>
public sealed record LayerActivation(int Index, string Layer, string Kind, long[] Shape, double Mean, double Std,
    double? Saturation, double? DeadFraction, Histogram Histogram);

/// <summary>One parameter's gradient after a backward pass.</summary>
/// <param name="Parameter">Its name ("0.weight").</param>
/// <param name="Layer">Its layer ("0 (Linear)").</param>
/// <param name="Shape">Its shape.</param>
/// <param name="GradNorm">‖∂L/∂w‖₂.</param>
/// <param name="WeightNorm">‖w‖₂.</param>
/// <param name="GradMean">Mean of the gradient's elements.</param>
/// <param name="GradStd">Standard deviation of the gradient's elements (unbiased).</param>
/// <param name="Histogram">Histogram of the gradient's elements.</param>
public sealed record LayerGradient(string Parameter, string Layer, long[] Shape, double GradNorm, double WeightNorm,
    double GradMean, double GradStd, Histogram Histogram)
{
    /// <summary>True for weights (≥ 2 dimensions), false for biases and normalisation scales/shifts.</summary>
    public bool IsWeight => Shape.Length >= 2;

    /// <summary>‖∂L/∂w‖ / ‖w‖.</summary>
    public double GradToWeight => GradNorm / WeightNorm;
}

/// <summary>How much one step changed a parameter, relative to its size (≈ 1e-3 is the classic healthy value).</summary>
/// <param name="Parameter">Its name.</param>
/// <param name="Layer">Its layer.</param>
/// <param name="UpdateNorm">‖Δw‖₂ (the actual change, or ‖lr·∂L/∂w‖ for the SGD estimate).</param>
/// <param name="WeightNorm">‖w‖₂ before the step.</param>
public sealed record LayerUpdate(string Parameter, string Layer, double UpdateNorm, double WeightNorm)
{
    /// <summary>‖Δw‖ / ‖w‖.</summary>
    public double Ratio => UpdateNorm / WeightNorm;

    /// <summary>log₁₀ of <see cref="Ratio"/> (what charts plot; −3 is the rule of thumb).</summary>
    public double Log10Ratio => Math.Log10(Ratio);

    /// <summary>True for weights (≥ 2 dimensions).</summary>
    public bool IsWeight { get; init; }
}

/// <summary>One parameter's values.</summary>
/// <param name="Parameter">Its name.</param>
/// <param name="Layer">Its layer.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Mean">Mean of the elements.</param>
/// <param name="Std">Standard deviation of the elements (unbiased).</param>
/// <param name="Histogram">Histogram of the elements.</param>
public sealed record LayerWeights(string Parameter, string Layer, long[] Shape, double Mean, double Std, Histogram Histogram)
{
    /// <summary>True for weights (≥ 2 dimensions).</summary>
    public bool IsWeight => Shape.Length >= 2;
}

/// <summary>
/// Looks inside a network for the initialisation, vanishing-gradient and batch-norm lessons: per-layer activation
/// statistics and saturation (forward hooks), gradient norms, update-to-weight ratios and histograms. Every call
/// returns plain records that charts draw; nothing is left registered on the model.
/// </summary>
public static class Diagnostics
{
    /// <summary>Saturation threshold on the tanh scale: |tanh| &gt; 0.97 (and the matching sigmoid cut).</summary>
    public const double SaturationThreshold = 0.97;

    /// <summary>
    /// Runs <paramref name="x"/> through the model (under no_grad, in the model's CURRENT mode — batch norm in
    /// training mode normalises with the batch's statistics) and records the output of every leaf module called
    /// (Linear, activations, norms, …) through forward hooks. Activations must be modules (nn.Tanh(), nn.ReLU(),
    /// as in nn.Sequential); functional calls inside a forward are invisible to hooks.
    /// </summary>
    public static IReadOnlyList<LayerActivation> Activations(nn.Module<Tensor, Tensor> model, Tensor x, int bins = 40)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        TrainChecks.AtLeast(bins, 1, nameof(bins));
        var records = new List<LayerActivation>();
        var hooks = new List<Action>();
        try
        {
            foreach (var (name, module) in model.named_modules())
            {
                if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
                var remover = leaf.register_forward_hook((m, input, output) =>
                {
                    records.Add(Describe(records.Count, name, m, output, bins));
                    return output;
                });
                hooks.Add(remover.remove);
            }
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var y = model.call(x);
            if (hooks.Count == 0) records.Add(Describe(0, "output", model, y, bins));  // the model is a single layer
        }
        finally
        {
            foreach (var remove in hooks) remove();
        }
        return records;
    }

    /// <summary>
    /// One forward and backward pass on a batch (gradients zeroed first, model in its current mode), then every
    /// parameter's gradient statistics. The gradients stay in the parameters' <c>.grad</c> afterwards.
    /// </summary>
    public static IReadOnlyList<LayerGradient> Gradients(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y,
        TaskKind task = TaskKind.Classification, Func<Tensor, Tensor, Tensor>? loss = null, int bins = 40)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        Backward(model, x, y, task, loss);
        return Gradients(model, bins);
    }

    /// <summary>Gradient statistics of every parameter from its current <c>.grad</c> (after your own backward pass); parameters without a gradient are skipped.</summary>
    public static IReadOnlyList<LayerGradient> Gradients(nn.Module model, int bins = 40)
    {
        ArgumentNullException.ThrowIfNull(model);
        TrainChecks.AtLeast(bins, 1, nameof(bins));
        using var scope = torch.NewDisposeScope();
        var result = new List<LayerGradient>();
        foreach (var (name, p) in model.named_parameters())
        {
            var g = p.grad;
            if (g is null) continue;
            float[] gv = Values(g), wv = Values(p);
            var (mean, std) = MeanStd(gv);
            result.Add(new LayerGradient(name, Trainer.LayerOf(model, name), p.shape, Norm(gv), Norm(wv), mean, std, Histogram.Of(gv, bins)));
        }
        return result;
    }

    /// <summary>
    /// The update-to-weight ratio plain SGD would make with learning rate <paramref name="lr"/> from the current
    /// gradients: ‖lr·∂L/∂w‖ / ‖w‖ per parameter (no step is taken).
    /// </summary>
    public static IReadOnlyList<LayerUpdate> UpdateRatios(nn.Module model, double lr)
    {
        ArgumentNullException.ThrowIfNull(model);
        TrainChecks.Positive(lr, nameof(lr));
        return [.. Gradients(model, bins: 1).Select(g => new LayerUpdate(g.Parameter, g.Layer, lr * g.GradNorm, g.WeightNorm) { IsWeight = g.IsWeight })];
    }

    /// <summary>
    /// Takes ONE real optimizer step on a batch (zero_grad, forward, backward, step) and measures what it did:
    /// ‖w_after − w_before‖ / ‖w_before‖ per parameter. Works for any optimizer (momentum, Adam's scaling included).
    /// </summary>
    public static IReadOnlyList<LayerUpdate> UpdateRatios(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor x, Tensor y,
        TaskKind task = TaskKind.Classification, Func<Tensor, Tensor, Tensor>? loss = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        using var scope = torch.NewDisposeScope();
        var named = model.named_parameters().ToList();
        Tensor[] before;
        using (torch.no_grad()) before = [.. named.Select(p => p.parameter.detach().clone())];
        optimizer.zero_grad();
        Backward(model, x, y, task, loss);
        optimizer.step();
        var result = new List<LayerUpdate>();
        using (torch.no_grad())
            for (int i = 0; i < named.Count; i++)
            {
                var (name, p) = named[i];
                double delta = (p - before[i]).to_type(ScalarType.Float64).norm().ToDouble();
                double size = before[i].to_type(ScalarType.Float64).norm().ToDouble();
                result.Add(new LayerUpdate(name, Trainer.LayerOf(model, name), delta, size) { IsWeight = p.dim() >= 2 });
            }
        return result;
    }

    /// <summary>Mean, standard deviation and histogram of every parameter (e.g. right after initialisation).</summary>
    public static IReadOnlyList<LayerWeights> Weights(nn.Module model, int bins = 40)
    {
        ArgumentNullException.ThrowIfNull(model);
        TrainChecks.AtLeast(bins, 1, nameof(bins));
        var result = new List<LayerWeights>();
        foreach (var (name, p) in model.named_parameters())
        {
            float[] v = Values(p);
            var (mean, std) = MeanStd(v);
            result.Add(new LayerWeights(name, Trainer.LayerOf(model, name), p.shape, mean, std, Histogram.Of(v, bins)));
        }
        return result;
    }

    /// <summary>A histogram of a tensor's elements.</summary>
    public static Histogram HistogramOf(Tensor t, int bins = 40, double? min = null, double? max = null)
    {
        ArgumentNullException.ThrowIfNull(t);
        return Histogram.Of(Values(t), bins, min, max);
    }

    private static LayerActivation Describe(int index, string name, nn.Module module, Tensor output, int bins)
    {
        float[] a = Values(output);
        var (mean, std) = MeanStd(a);
        double? saturation = null, dead = null;
        switch (module)
        {
            case Tanh:
                saturation = Fraction(a, v => Math.Abs(v) > SaturationThreshold);
                break;
            case Sigmoid:
                saturation = Fraction(a, v => Math.Abs((2 * v) - 1) > SaturationThreshold);
                break;
            case ReLU or ReLU6:
                saturation = Fraction(a, v => v == 0);
                dead = DeadUnits(a, output.shape);
                break;
        }
        return new LayerActivation(index, name, module.GetType().Name, output.shape, mean, std, saturation, dead, Histogram.Of(a, bins));
    }

    // A unit is feature j of [N, F] or channel c of [N, C, …]; dead = 0 for every example (and position).
    private static double DeadUnits(float[] a, long[] shape)
    {
        if (shape.Length < 2 || shape[0] == 0) return double.NaN;
        long n = shape[0], units = shape[1], inner = a.Length / (n * units);
        int deadCount = 0;
        for (long u = 0; u < units; u++)
        {
            bool alive = false;
            for (long i = 0; i < n && !alive; i++)
                for (long k = 0; k < inner && !alive; k++)
                    alive = a[(((i * units) + u) * inner) + k] != 0;
            if (!alive) deadCount++;
        }
        return (double)deadCount / units;
    }

    private static void Backward(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, TaskKind task, Func<Tensor, Tensor, Tensor>? loss)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var p in model.parameters())
            using (var g = p.grad) g?.zero_();
        var l = Trainer.Loss(model.call(x), y, task, loss);
        if (l.numel() != 1)
            throw new ArgumentException($"The loss must be a scalar, but has shape {TrainChecks.Format(l.shape)}.", nameof(loss));
        l.backward();
    }

    private static float[] Values(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    private static (double Mean, double Std) MeanStd(float[] v)
    {
        if (v.Length == 0) return (double.NaN, double.NaN);
        double mean = 0;
        foreach (float x in v) mean += x;
        mean /= v.Length;
        double ss = 0;
        foreach (float x in v) ss += (x - mean) * (x - mean);
        return (mean, v.Length > 1 ? Math.Sqrt(ss / (v.Length - 1)) : 0);
    }

    private static double Norm(float[] v)
    {
        double ss = 0;
        foreach (float x in v) ss += (double)x * x;
        return Math.Sqrt(ss);
    }

    private static double Fraction(float[] v, Func<float, bool> predicate) =>
        v.Length == 0 ? double.NaN : (double)v.Count(predicate) / v.Length;

    /// <summary>A one-line summary per layer ("3 Tanh  mean 0.01  std 0.62  saturated 12.5%"), for printing.</summary>
    public static string Format(IEnumerable<LayerActivation> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var c = CultureInfo.InvariantCulture;
        return string.Join("\n", layers.Select(l =>
            string.Create(c, $"{l.Layer,-12} {l.Kind,-10} mean {l.Mean,8:F4}  std {l.Std,7:F4}") +
            (l.Saturation is double s ? string.Create(c, $"  {(l.Kind.StartsWith("ReLU", StringComparison.Ordinal) ? "zero" : "saturated")} {100 * s,5:F1}%") : "") +
            (l.DeadFraction is double d ? string.Create(c, $"  dead units {100 * d:F1}%") : "")));
    }
}
