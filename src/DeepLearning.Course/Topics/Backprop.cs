using System.Globalization;
using System.Net;
using System.Text;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>The loss of the one-hidden-layer net and its gradient with respect to each parameter (tensors the caller owns).</summary>
public sealed record NetGradients(double Loss, Tensor DW1, Tensor Db1, Tensor DW2, Tensor Db2) : IDisposable
{
    /// <summary>The four gradients in the order W1, b1, W2, b2.</summary>
    public IReadOnlyList<Tensor> All => [DW1, Db1, DW2, Db2];

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in All) t.Dispose();
    }
}

/// <summary>One input's gradient check: how far the analytic gradient is from centred finite differences.</summary>
/// <param name="Name">The input's name.</param>
/// <param name="Elements">How many elements were perturbed.</param>
/// <param name="MaxAbsError">max |analytic − numeric|.</param>
/// <param name="RelativeError">‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖): scale-free, ~1e-9 or less when right in float64.</param>
public sealed record GradCheckEntry(string Name, long Elements, double MaxAbsError, double RelativeError);

/// <summary>A gradient check over several inputs; <see cref="Passes"/> when every relative error is small.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record GradCheckReport(IReadOnlyList<GradCheckEntry> Entries) : IHtmlView
{
    /// <summary>The worst relative error over all inputs.</summary>
    public double MaxRelativeError => Entries.Count == 0 ? double.NaN : Entries.Max(e => double.IsNaN(e.RelativeError) ? double.PositiveInfinity : e.RelativeError);

    /// <summary>True when every input's relative error is at most <paramref name="tolerance"/>.</summary>
    public bool Passes(double tolerance = 1e-6) => Entries.Count > 0 && MaxRelativeError <= tolerance;

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder($"gradient check: max relative error {MaxRelativeError.ToString("E2", CultureInfo.InvariantCulture)}");
        foreach (var e in Entries)
            sb.Append(CultureInfo.InvariantCulture, $"\n  {e.Name,-10} {e.Elements,6} elements  max |Δ| {e.MaxAbsError:E2}  relative {e.RelativeError:E2}");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public string ToHtml()
    {
        var sb = new StringBuilder("<table class=\"course-gradcheck\"><caption>analytic vs finite-difference gradients</caption>")
            .Append("<tr><th>input</th><th>elements</th><th>max |Δ|</th><th>relative error</th><th></th></tr>");
        foreach (var e in Entries)
            sb.Append("<tr><td>").Append(WebUtility.HtmlEncode(e.Name)).Append("</td><td>").Append(e.Elements)
              .Append("</td><td>").Append(e.MaxAbsError.ToString("E2", CultureInfo.InvariantCulture))
              .Append("</td><td>").Append(e.RelativeError.ToString("E2", CultureInfo.InvariantCulture))
              .Append("</td><td>").Append(e.RelativeError <= 1e-6 ? "✅" : "❌").Append("</td></tr>");
        return sb.Append("</table>").ToString();
    }
}

/// <summary>Training risk vs true risk of one model trained on <see cref="TrainSize"/> examples (mean cross-entropy, and 0-1 error).</summary>
/// <param name="TrainSize">n, the number of training examples.</param>
/// <param name="EmpiricalRisk">Mean loss on the n training examples: what training minimises.</param>
/// <param name="TrueRisk">Mean loss on a large fresh sample from the same distribution: an estimate of what we care about.</param>
/// <param name="EmpiricalError">Misclassified fraction of the training examples.</param>
/// <param name="TrueError">Misclassified fraction of the fresh sample.</param>
public sealed record RiskPoint(int TrainSize, double EmpiricalRisk, double TrueRisk, double EmpiricalError, double TrueError)
{
    /// <summary>True risk − empirical risk: the generalisation gap.</summary>
    public double Gap => TrueRisk - EmpiricalRisk;
}

/// <summary>
/// Backpropagation with TorchSharp: the lesson's one-hidden-layer network differentiated by hand with tensor ops,
/// by autograd and by the scratch MLP; a finite-difference gradient checker; empirical vs true risk.
/// The network: z1 = x·W1ᵀ + b1, a1 = σ(z1), z2 = a1·W2ᵀ + b2, L = mean −log softmax(z2)_y.
/// </summary>
public static class BackpropLab
{
    /// <summary>
    /// The lesson's backward pass written out with tensor ops, no autograd: δ2 = (softmax(z2) − onehot(y))/N,
    /// dW2 = δ2ᵀ·a1, db2 = Σ δ2, δ1 = (δ2·W2) ⊙ σ'(z1), dW1 = δ1ᵀ·x, db1 = Σ δ1.
    /// </summary>
    public static NetGradients ByHand(Tensor x, Tensor y, Tensor w1, Tensor b1, Tensor w2, Tensor b2, HiddenActivation activation = HiddenActivation.Sigmoid)
    {
        CheckNet(x, y, w1, b1, w2, b2);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long n = x.shape[0], classes = w2.shape[0];

        var z1 = x.matmul(w1.t()) + b1;                  // z1 = x·W1ᵀ + b1
        var a1 = Sigma(z1, activation);                  // a1 = σ(z1)
        var z2 = a1.matmul(w2.t()) + b2;                 // z2 = a1·W2ᵀ + b2
        var logp = nn.functional.log_softmax(z2, 1);     // log softmax, stable
        double loss = -D(logp.gather(1, y.unsqueeze(1)).mean());

        var delta2 = (logp.exp() - nn.functional.one_hot(y, classes).to_type(x.dtype)) / n; // ∂L/∂z2
        var dW2 = delta2.t().matmul(a1);
        var db2 = delta2.sum(dim: 0);
        var delta1 = delta2.matmul(w2) * SigmaPrime(z1, a1, activation);                     // ∂L/∂z1
        var dW1 = delta1.t().matmul(x);
        var db1 = delta1.sum(dim: 0);
        return new NetGradients(loss, dW1.MoveToOuterDisposeScope(), db1.MoveToOuterDisposeScope(),
            dW2.MoveToOuterDisposeScope(), db2.MoveToOuterDisposeScope());
    }

    /// <summary>The same gradients from autograd: the forward pass with parameters that require grad, then <c>loss.backward()</c>.</summary>
    public static NetGradients ByAutograd(Tensor x, Tensor y, Tensor w1, Tensor b1, Tensor w2, Tensor b2, HiddenActivation activation = HiddenActivation.Sigmoid)
    {
        CheckNet(x, y, w1, b1, w2, b2);
        using var scope = torch.NewDisposeScope();
        Tensor[] p = [.. new[] { w1, b1, w2, b2 }.Select(t => t.detach().clone().requires_grad_(true))];
        var loss = Loss(x, y, p, activation);
        loss.backward();
        return new NetGradients(D(loss), Grad(p[0]), Grad(p[1]), Grad(p[2]), Grad(p[3]));

        static Tensor Grad(Tensor t) => t.grad!.detach().clone().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Checks analytic gradients against centred finite differences (f(θ + ε) − f(θ − ε)) / 2ε, computed with torch ops
    /// in float64. <paramref name="f"/> maps the inputs to a scalar; the analytic gradients come from autograd unless
    /// <paramref name="analytic"/> (e.g. a hand-written backward) is given. Every element is perturbed: keep inputs small.
    /// </summary>
    public static GradCheckReport GradCheck(Func<IReadOnlyList<Tensor>, Tensor> f, IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? names = null,
        Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>>? analytic = null, double eps = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("inputs is empty; give the tensors to differentiate with respect to.", nameof(inputs));
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i].dtype != ScalarType.Float64)
                throw new ArgumentException(
                    $"inputs[{i}] is {inputs[i].dtype} (shape {Fmt(inputs[i])}); finite differences need float64 — in float32 the rounding error of f(θ ± ε) swamps the difference.",
                    nameof(inputs));
        if (names is not null && names.Count != inputs.Count)
            throw new ArgumentException($"names has {names.Count} entries but there are {inputs.Count} inputs.", nameof(names));
        if (!double.IsFinite(eps) || eps <= 0) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"eps must be a finite number > 0, got {eps}.");

        using var scope = torch.NewDisposeScope();
        IReadOnlyList<Tensor> grads;
        if (analytic is null)
        {
            Tensor[] leaves = [.. inputs.Select(t => t.detach().clone().requires_grad_(true))];
            var value = f(leaves);
            if (value.numel() != 1) throw new ArgumentException($"f must return a scalar, but returned shape {Fmt(value)}.", nameof(f));
            grads = [.. torch.autograd.grad([value], leaves)];
        }
        else
        {
            using var noGrad = torch.no_grad();
            grads = analytic([.. inputs.Select(t => t.detach().clone())]);
            if (grads.Count != inputs.Count)
                throw new ArgumentException($"analytic returned {grads.Count} gradients for {inputs.Count} inputs.", nameof(analytic));
        }

        var entries = new List<GradCheckEntry>();
        using (torch.no_grad())
        {
            Tensor[] work = [.. inputs.Select(t => t.detach().clone().contiguous())];
            for (int i = 0; i < work.Length; i++)
            {
                if (!grads[i].shape.SequenceEqual(work[i].shape))
                    throw new ArgumentException($"The analytic gradient of input {i} has shape {Fmt(grads[i])}, the input {Fmt(work[i])}.", nameof(analytic));
                var flat = work[i].view(-1);
                long count = flat.numel();
                var numeric = new double[count];
                for (long j = 0; j < count; j++)
                {
                    using var inner = torch.NewDisposeScope();
                    var element = flat[j];
                    double theta = element.item<double>();
                    element.fill_(theta + eps);
                    double plus = D(f(work));
                    element.fill_(theta - eps);
                    double minus = D(f(work));
                    element.fill_(theta);
                    numeric[j] = (plus - minus) / (2 * eps);
                }
                double[] a = grads[i].detach().to_type(ScalarType.Float64).contiguous().view(-1).data<double>().ToArray();
                double diff2 = 0, a2 = 0, n2 = 0, maxAbs = 0;
                for (long j = 0; j < count; j++)
                {
                    double d = a[j] - numeric[j];
                    diff2 += d * d;
                    a2 += a[j] * a[j];
                    n2 += numeric[j] * numeric[j];
                    maxAbs = Math.Max(maxAbs, double.IsNaN(d) ? double.PositiveInfinity : Math.Abs(d));
                }
                double denominator = Math.Sqrt(a2) + Math.Sqrt(n2);
                double relative = denominator == 0 ? Math.Sqrt(diff2) : Math.Sqrt(diff2) / denominator;
                entries.Add(new GradCheckEntry(names?[i] ?? $"input {i}", count, maxAbs, relative));
            }
        }
        return new GradCheckReport(entries);

    }

    /// <summary>Checks autograd on the lesson's net (float64, random data of the given sizes) with <see cref="GradCheck"/>.</summary>
    public static GradCheckReport CheckAutograd(int inputs = 4, int hidden = 5, int classes = 3, int batch = 8, HiddenActivation activation = HiddenActivation.Sigmoid, int seed = 0)
    {
        var (x, y, p) = RandomNet(inputs, hidden, classes, batch, seed);
        using (x) using (y)
        {
            try
            {
                return GradCheck(q => Loss(x, y, q, activation), p, ["W1", "b1", "W2", "b2"]);
            }
            finally
            {
                foreach (var t in p) t.Dispose();
            }
        }
    }

    /// <summary>Checks <see cref="ByHand"/>'s gradients (not autograd's) on the lesson's net against finite differences.</summary>
    public static GradCheckReport CheckByHand(int inputs = 4, int hidden = 5, int classes = 3, int batch = 8, HiddenActivation activation = HiddenActivation.Sigmoid, int seed = 0)
    {
        var (x, y, p) = RandomNet(inputs, hidden, classes, batch, seed);
        using (x) using (y)
        {
            try
            {
                return GradCheck(q => Loss(x, y, q, activation), p, ["W1", "b1", "W2", "b2"],
                    analytic: q => ByHand(x, y, q[0], q[1], q[2], q[3], activation).All);
            }
            finally
            {
                foreach (var t in p) t.Dispose();
            }
        }
    }

    /// <summary>
    /// Empirical risk (training loss) vs an estimate of the true risk (loss on <paramref name="freshSamples"/> new points
    /// from the same generator) of the lesson's net trained on n two-moons points, for each n in <paramref name="trainSizes"/>.
    /// </summary>
    public static IReadOnlyList<RiskPoint> EmpiricalVsTrueRisk(int[]? trainSizes = null, int hidden = 32, int steps = 400, double noise = 0.3,
        int freshSamples = 10_000, int seed = 0)
    {
        trainSizes ??= [8, 16, 32, 64, 128, 256, 1024];
        if (trainSizes.Length == 0) throw new ArgumentException("trainSizes is empty; give at least one training-set size.", nameof(trainSizes));
        foreach (int n in trainSizes)
            if (n < 2) throw new ArgumentOutOfRangeException(nameof(trainSizes), n, $"Every training-set size must be ≥ 2 (one point per moon), got {n} in [{string.Join(", ", trainSizes)}].");
        if (hidden <= 0) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, $"hidden must be a positive integer, got {hidden}.");
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps must be a positive integer, got {steps}.");
        if (!double.IsFinite(noise) || noise < 0) throw new ArgumentOutOfRangeException(nameof(noise), noise, $"noise must be a finite number ≥ 0, got {noise}.");
        if (freshSamples < 2) throw new ArgumentOutOfRangeException(nameof(freshSamples), freshSamples, $"freshSamples must be ≥ 2, got {freshSamples}.");

        var fresh = Synthetic.TwoMoons(freshSamples, noise, new Rng((ulong)seed + 0x9E3779B97F4A7C15UL));
        using var xFresh = fresh.X.ToTensor();
        using var yFresh = Bridge.Labels(fresh.Labels);
        var points = new List<RiskPoint>();
        foreach (int n in trainSizes)
        {
            var train = Synthetic.TwoMoons(n, noise, new Rng(((ulong)seed * 1_000_003UL) + (ulong)n));
            using var scope = torch.NewDisposeScope();
            var x = train.X.ToTensor();
            var y = Bridge.Labels(train.Labels);
            torch.manual_seed(seed);
            using var net = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2));
            using var optimizer = torch.optim.Adam(net.parameters(), lr: 0.02);   // its moment buffers live outside any scope
            for (int step = 0; step < steps; step++)
            {
                using var stepScope = torch.NewDisposeScope();
                optimizer.zero_grad();
                nn.functional.cross_entropy(net.call(x), y).backward();
                optimizer.step();
            }
            using var noGrad = torch.no_grad();
            var (empirical, empiricalError) = RiskOf(net.call(x), y);
            var (truth, trueError) = RiskOf(net.call(xFresh), yFresh);
            points.Add(new RiskPoint(n, empirical, truth, empiricalError, trueError));
        }
        return points;

        static (double Risk, double Error) RiskOf(Tensor logits, Tensor y) =>
            (nn.functional.cross_entropy(logits, y).item<float>(), logits.argmax(1).ne(y).to_type(ScalarType.Float64).mean().item<double>());
    }

    /// <summary>The lesson's loss L(W1, b1, W2, b2) = cross_entropy(σ(x·W1ᵀ + b1)·W2ᵀ + b2, y) as tensor ops (autograd tracks it); p = [W1, b1, W2, b2].</summary>
    public static Tensor Loss(Tensor x, Tensor y, IReadOnlyList<Tensor> p, HiddenActivation activation = HiddenActivation.Sigmoid)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Count != 4) throw new ArgumentException($"p must hold [W1, b1, W2, b2], but has {p.Count} tensors.", nameof(p));
        var a1 = Sigma(x.matmul(p[0].t()) + p[1], activation);
        return nn.functional.cross_entropy(a1.matmul(p[2].t()) + p[3], y);
    }

    // A small random instance of the lesson's net in float64: x, labels, and [W1, b1, W2, b2].
    private static (Tensor X, Tensor Y, Tensor[] P) RandomNet(int inputs, int hidden, int classes, int batch, int seed)
    {
        foreach (var (value, name) in new[] { (inputs, nameof(inputs)), (hidden, nameof(hidden)), (classes, nameof(classes)), (batch, nameof(batch)) })
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive integer, got {value}.");
        var rng = new Rng((ulong)seed);
        var x = rng.NormalArray<double>(0, 1, batch, inputs).ToTensor();
        var y = Bridge.Labels([.. Enumerable.Range(0, batch).Select(_ => rng.NextInt(classes))]);
        Tensor[] p =
        [
            rng.NormalArray<double>(0, 0.5, hidden, inputs).ToTensor(), rng.NormalArray<double>(0, 0.5, hidden).ToTensor(),
            rng.NormalArray<double>(0, 0.5, classes, hidden).ToTensor(), rng.NormalArray<double>(0, 0.5, classes).ToTensor(),
        ];
        return (x, y, p);
    }

    internal static Tensor Sigma(Tensor z, HiddenActivation activation) => activation switch
    {
        HiddenActivation.Relu => nn.functional.relu(z),
        HiddenActivation.Tanh => z.tanh(),
        HiddenActivation.Sigmoid => z.sigmoid(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    // σ'(z) from z or a = σ(z): relu' = [z > 0], tanh' = 1 − a², sigmoid' = a(1 − a).
    private static Tensor SigmaPrime(Tensor z, Tensor a, HiddenActivation activation) => activation switch
    {
        HiddenActivation.Relu => z.gt(0).to_type(z.dtype),
        HiddenActivation.Tanh => 1 - (a * a),
        _ => a * (1 - a),
    };

    private static void CheckNet(Tensor x, Tensor y, Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(w1);
        ArgumentNullException.ThrowIfNull(b1);
        ArgumentNullException.ThrowIfNull(w2);
        ArgumentNullException.ThrowIfNull(b2);
        if (x.ndim != 2 || x.shape[0] == 0)
            throw new ArgumentException($"x must be a non-empty batch [N, inputs], but has shape {Fmt(x)}.", nameof(x));
        if (w1.ndim != 2 || w1.shape[1] != x.shape[1])
            throw new ArgumentException($"w1 must be [hidden, inputs] = [?, {x.shape[1]}] for x of shape {Fmt(x)}, but has shape {Fmt(w1)}.", nameof(w1));
        if (b1.ndim != 1 || b1.shape[0] != w1.shape[0])
            throw new ArgumentException($"b1 must be [{w1.shape[0]}] (one bias per hidden unit of w1 {Fmt(w1)}), but has shape {Fmt(b1)}.", nameof(b1));
        if (w2.ndim != 2 || w2.shape[1] != w1.shape[0])
            throw new ArgumentException($"w2 must be [classes, hidden] = [?, {w1.shape[0]}] after w1 {Fmt(w1)}, but has shape {Fmt(w2)}.", nameof(w2));
        if (b2.ndim != 1 || b2.shape[0] != w2.shape[0])
            throw new ArgumentException($"b2 must be [{w2.shape[0]}] (one bias per class of w2 {Fmt(w2)}), but has shape {Fmt(b2)}.", nameof(b2));
        foreach (var (t, name) in new[] { (w1, nameof(w1)), (b1, nameof(b1)), (w2, nameof(w2)), (b2, nameof(b2)) })
            if (t.dtype != x.dtype)
                throw new ArgumentException($"{name} is {t.dtype} but x is {x.dtype}; use one floating-point type throughout.", name);
        if (y.ndim != 1 || y.shape[0] != x.shape[0])
            throw new ArgumentException($"y must hold one label per row of x ({x.shape[0]}), but has shape {Fmt(y)}.", nameof(y));
        if (y.dtype != ScalarType.Int64)
            throw new ArgumentException($"y must be int64 class indices (Bridge.Labels), but is {y.dtype}.", nameof(y));
        long classes = w2.shape[0];
        using var noGrad = torch.no_grad();
        long min = y.min().item<long>(), max = y.max().item<long>();
        if (min < 0 || max >= classes)
            throw new ArgumentOutOfRangeException(nameof(y), $"Labels must be class indices in [0, {classes}), but range over [{min}, {max}].");
    }

    // A scalar tensor's value, whatever its floating-point type.
    internal static double D(Tensor t) => t.to_type(ScalarType.Float64).item<double>();

    internal static string Fmt(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}

public static partial class Parity
{
    /// <summary>
    /// The lesson's one-hidden-layer net, three ways on the same weights and batch: by hand with tensor ops, by
    /// autograd, and by the scratch <see cref="Mlp{T}"/> (float32). Rows compare loss and each parameter's gradient.
    /// </summary>
    public static ParityReport Backprop(int inputs = 4, int hidden = 5, int classes = 3, int batch = 8, HiddenActivation activation = HiddenActivation.Sigmoid, int seed = 0)
    {
        foreach (var (value, name) in new[] { (inputs, nameof(inputs)), (hidden, nameof(hidden)), (classes, nameof(classes)), (batch, nameof(batch)) })
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive integer, got {value}.");
        var rng = new Rng((ulong)seed);
        var mlp = new Mlp<float>([inputs, hidden, classes], activation, rng);
        var x = rng.NormalArray<float>(0, 1, batch, inputs);
        int[] labels = [.. Enumerable.Range(0, batch).Select(_ => rng.NextInt(classes))];
        float scratchLoss = mlp.LossAndGradients(x, labels);

        using var scope = torch.NewDisposeScope();
        var (l1, l2) = (mlp.Layers[0], mlp.Layers[1]);
        Tensor[] p = [l1.W.Value.ToTensor(), l1.B!.Value.ToTensor(), l2.W.Value.ToTensor(), l2.B!.Value.ToTensor()];
        NDArray<float>[] scratch = [l1.W.Grad, l1.B.Grad, l2.W.Grad, l2.B.Grad];
        var xt = x.ToTensor();
        var yt = Bridge.Labels(labels);
        using var hand = BackpropLab.ByHand(xt, yt, p[0], p[1], p[2], p[3], activation);
        using var auto = BackpropLab.ByAutograd(xt, yt, p[0], p[1], p[2], p[3], activation);

        var rows = new List<ParityRow>
        {
            new("loss: by hand vs autograd", Math.Abs(hand.Loss - auto.Loss)),
            new("loss: scratch vs by hand", Math.Abs(scratchLoss - hand.Loss)),
        };
        string[] names = ["∂L/∂W1", "∂L/∂b1", "∂L/∂W2", "∂L/∂b2"];
        for (int i = 0; i < 4; i++)
        {
            rows.Add(new($"{names[i]}: by hand vs autograd", Bridge.MaxAbsDiff(hand.All[i].ToNDArray(), auto.All[i], names[i])));
            rows.Add(new($"{names[i]}: scratch vs by hand", Bridge.MaxAbsDiff(scratch[i], hand.All[i], names[i])));
        }
        return new ParityReport($"Backprop (1 hidden layer, {activation})", rows);
    }

    /// <summary>
    /// The scratch scalar autograd (<see cref="Value"/>) vs torch autograd on micrograd's test graphs: g(a, b) built
    /// from +, ·, powers, ReLU and division, and h(a, b) from tanh, exp, log and sigmoid. Rows: values and ∂/∂a, ∂/∂b.
    /// </summary>
    public static ParityReport ScalarAutograd(double a = -4, double b = 2)
    {
        var rows = new List<ParityRow>();
        rows.AddRange(ScalarRows("g", MicrogradG, MicrogradG, a, b));
        rows.AddRange(ScalarRows("h", MicrogradH, MicrogradH, a, b));
        return new ParityReport("scalar autograd (Value vs torch)", rows);
    }

    /// <summary>Your own expression, written once for <see cref="Value"/> and once for tensors: the values and ∂/∂a, ∂/∂b must agree.</summary>
    public static ParityReport ScalarAutograd(Func<Value, Value, Value> scratch, Func<Tensor, Tensor, Tensor> framework, double a, double b, string name = "f")
    {
        ArgumentNullException.ThrowIfNull(scratch);
        ArgumentNullException.ThrowIfNull(framework);
        return new ParityReport("scalar autograd (Value vs torch)", ScalarRows(name, scratch, framework, a, b));
    }

    private static List<ParityRow> ScalarRows(string name, Func<Value, Value, Value> scratch, Func<Tensor, Tensor, Tensor> framework, double a, double b)
    {
        if (!double.IsFinite(a) || !double.IsFinite(b))
            throw new ArgumentOutOfRangeException(double.IsFinite(a) ? nameof(b) : nameof(a), $"a and b must be finite numbers, got a = {a}, b = {b}.");
        var (va, vb) = (new Value(a, "a"), new Value(b, "b"));
        var g = scratch(va, vb);
        g.Backward();

        using var scope = torch.NewDisposeScope();
        var ta = torch.tensor(a, ScalarType.Float64, requires_grad: true);
        var tb = torch.tensor(b, ScalarType.Float64, requires_grad: true);
        var tg = framework(ta, tb);
        if (tg.numel() != 1) throw new ArgumentException($"The tensor expression must return a scalar, but returned shape {BackpropLab.Fmt(tg)}.", nameof(framework));
        tg.backward();
        return
        [
            new($"{name}(a, b)", Math.Abs(g.Data - BackpropLab.D(tg))),
            new($"∂{name}/∂a", Math.Abs(va.Grad - BackpropLab.D(ta.grad!))),
            new($"∂{name}/∂b", Math.Abs(vb.Grad - BackpropLab.D(tb.grad!))),
        ];
    }

    // micrograd's test_more_ops graph, once for Value and once for tensors.
    private static Value MicrogradG(Value a, Value b)
    {
        var c = a + b;
        var d = (a * b) + b.Pow(3);
        c += c + 1;
        c += 1 + c + (-a);
        d += (d * 2) + (b + a).Relu();
        d += (3 * d) + (b - a).Relu();
        var e = c - d;
        var f = e.Pow(2);
        var g = f / 2.0;
        g += 10.0 / f;
        return g;
    }

    private static Tensor MicrogradG(Tensor a, Tensor b)
    {
        var c = a + b;
        var d = (a * b) + b.pow(3);
        c += c + 1;
        c += 1 + c + (-a);
        d += (d * 2) + (b + a).relu();
        d += (3 * d) + (b - a).relu();
        var e = c - d;
        var f = e.pow(2);
        var g = f / 2.0;
        g += 10.0 / f;
        return g;
    }

    // The smooth ops: h = log(e^{σ(b)·a} + tanh(a·b)/2 + b²) / (a² + 1).
    private static Value MicrogradH(Value a, Value b) =>
        ((b.Sigmoid() * a).Exp() + ((a * b).Tanh() * 0.5) + b.Pow(2)).Log() / (a.Pow(2) + 1);

    private static Tensor MicrogradH(Tensor a, Tensor b) =>
        ((b.sigmoid() * a).exp() + ((a * b).tanh() * 0.5) + b.pow(2)).log() / (a.pow(2) + 1);
}
