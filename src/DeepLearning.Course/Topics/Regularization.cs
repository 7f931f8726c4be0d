using DeepLearning.Scratch;
using TorchSharp;
using static TorchSharp.torch;
using ScratchDropout = DeepLearning.Scratch.Dropout;
using ScratchRegularization = DeepLearning.Scratch.Regularization;
using TorchParameter = TorchSharp.Modules.Parameter;

namespace DeepLearning.Course;

/// <summary>
/// Weight penalties in TorchSharp, with the scratch half's conventions (so L2's gradient λw is exactly what
/// <c>weight_decay = λ</c> adds): L1 = λ·Σ|w|, L2 = (λ/2)·Σw². Add the result to the data loss before backward().
/// </summary>
public static class TorchRegularization
{
    /// <summary>λ·Σ|w| over every tensor in <paramref name="parameters"/> (a scalar tensor in autograd's graph).</summary>
    public static Tensor L1(IEnumerable<Tensor> parameters, double lambda) => Penalty(parameters, lambda, static w => w.abs().sum(), 1.0);

    /// <summary>(λ/2)·Σw² over every tensor in <paramref name="parameters"/>.</summary>
    public static Tensor L2(IEnumerable<Tensor> parameters, double lambda) => Penalty(parameters, lambda, static w => w.pow(2).sum(), 0.5);

    /// <summary>The weights of a module, without biases (parameters named "weight" or "….weight"): what penalties usually cover.</summary>
    public static IReadOnlyList<TorchParameter> Weights(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return [.. module.named_parameters().Where(p => p.name == "weight" || p.name.EndsWith(".weight", StringComparison.Ordinal)).Select(p => p.parameter)];
    }

    private static Tensor Penalty(IEnumerable<Tensor> parameters, double lambda, Func<Tensor, Tensor> term, double factor)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(lambda >= 0) || !double.IsFinite(lambda))
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, $"lambda must be a finite number ≥ 0, got {lambda}.");
        var list = parameters.ToList();
        if (list.Count == 0) throw new ArgumentException("parameters is empty: pass the tensors to penalise.", nameof(parameters));
        for (int i = 0; i < list.Count; i++)
            if (list[i] is null) throw new ArgumentException($"parameters[{i}] is null.", nameof(parameters));
        using var scope = torch.NewDisposeScope();
        var sum = term(list[0]);
        for (int i = 1; i < list.Count; i++) sum = sum + term(list[i]);
        return (sum * (factor * lambda)).MoveToOuterDisposeScope();
    }
}

public static partial class Parity
{
    /// <summary>
    /// An L1 or L2 penalty ("l1", "l2") over <paramref name="weights"/> from scratch (<c>Regularization.L1/L2</c>: Value,
    /// Backward) and in TorchSharp (<see cref="TorchRegularization"/> + autograd): rows "penalty (÷ max(1, |P|))" and "∂penalty/∂w[i]".
    /// </summary>
    public static ParityReport Penalty(string penalty, IReadOnlyList<NDArray<float>> weights, double lambda)
    {
        ArgumentNullException.ThrowIfNull(penalty);
        ArgumentNullException.ThrowIfNull(weights);
        string kind = penalty.Trim().ToLowerInvariant();
        if (kind is not ("l1" or "l2"))
            throw new ArgumentException($"Unknown penalty \"{penalty}\"; use \"l1\" or \"l2\".", nameof(penalty));
        if (weights.Count == 0) throw new ArgumentException("weights is empty: pass at least one array.", nameof(weights));
        for (int i = 0; i < weights.Count; i++)
            if (weights[i] is null) throw new ArgumentException($"weights[{i}] is null.", nameof(weights));

        var ps = weights.Select((w, i) => new Parameter<float>($"w{i}", w.Clone())).ToList();
        float value;
        if (kind == "l1")
        {
            (value, var cache) = ScratchRegularization.L1.Forward(ps, lambda);
            ScratchRegularization.L1.Backward(cache);
        }
        else
        {
            (value, var cache) = ScratchRegularization.L2.Forward(ps, lambda);
            ScratchRegularization.L2.Backward(cache);
        }

        using var scope = torch.NewDisposeScope();
        var ts = weights.Select(w => w.ToTensor(requiresGrad: true)).ToList();
        var pt = kind == "l1" ? TorchRegularization.L1(ts, lambda) : TorchRegularization.L2(ts, lambda);
        pt.backward();
        // One float32 sum over every weight: compared relative to max(1, |P|), as a reduced loss.
        double p = pt.item<float>();
        var rows = new List<ParityRow> { new("penalty (÷ max(1, |P|))", Math.Abs((double)value - p) / Math.Max(1, Math.Abs(p))) };
        for (int i = 0; i < ps.Count; i++)
            rows.Add(new($"∂penalty/∂w[{i}]", Bridge.MaxAbsDiff(ps[i].Grad, ts[i].grad!, $"∂penalty/∂w[{i}]")));
        return new ParityReport($"Penalty {kind.ToUpperInvariant()} (λ = {lambda})", rows);
    }

    /// <summary>
    /// Dropout with the SAME mask on both sides (the two RNGs differ): torch's F.dropout draws the mask, the scratch
    /// forward/backward reuse its keep pattern with their own scale 1/(1 − p). Rows "output (same mask)", "∂L/∂x (same
    /// mask)", "kept scale 1/(1−p)" and "eval output (identity)".
    /// </summary>
    public static ParityReport Dropout(double p, NDArray<float> x, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        RegularizationExperiments.CheckP(p);
        var dout = new Rng(unchecked((ulong)seed)).NormalArray<float>(0, 1, x.Shape);

        torch.manual_seed(seed);
        using var scope = torch.NewDisposeScope();
        var xt = x.ToTensor(requiresGrad: true);
        var yt = torch.nn.functional.dropout(xt, p, training: true);
        // Backward from ones reads off the scaled mask torch used (∂y/∂x), whatever x's values; then the real dout.
        yt.backward([torch.ones_like(yt)], retain_graph: true);
        var maskT = xt.grad!.ToNDArray();
        xt.grad!.zero_();
        yt.backward([dout.ToTensor()]);

        // The scratch half's mask for the same keep pattern: 1/(1−p) where torch kept, 0 where it dropped.
        float scale = 1f / (float)(1 - p); // the scratch Dropout's scale, T.One / T.CreateChecked(1 − p)
        var mask = maskT.ZerosLike();
        double scaleDiff = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            if (maskT.Data[i] == 0) continue;
            mask.Data[i] = scale;
            scaleDiff = Math.Max(scaleDiff, Math.Abs(maskT.Data[i] - scale));
        }
        var cache = new DropoutCache<float>(mask);
        var yS = x.ZerosLike();
        for (int i = 0; i < yS.Length; i++) yS.Data[i] = x.Data[i] * mask.Data[i];
        var dxS = ScratchDropout.Backward(dout, cache);

        var (evalS, _) = new DropoutLayer<float>(p, new Rng(0)).Eval().Forward(x);
        var evalT = torch.nn.functional.dropout(xt.detach(), p, training: false);
        return new ParityReport($"Dropout p = {p}",
        [
            new("output (same mask)", Bridge.MaxAbsDiff(yS, yt, "output")),
            new("∂L/∂x (same mask)", Bridge.MaxAbsDiff(dxS, xt.grad!, "∂L/∂x")),
            new("kept scale 1/(1−p)", scaleDiff),
            new("eval output (identity)", Bridge.MaxAbsDiff(evalS, evalT, "eval output")),
        ]);
    }
}

/// <summary>Statistics of one dropout call on an input of ones.</summary>
/// <param name="Implementation">"torch" or "scratch".</param>
/// <param name="Train">Training mode (eval mode is the identity).</param>
/// <param name="ZeroFraction">Fraction of outputs that are 0 (≈ p in training, 0 in eval).</param>
/// <param name="KeptValue">The value of the surviving outputs (1/(1 − p) in training: inverted dropout; 1 in eval).</param>
/// <param name="Mean">Mean output (≈ 1 = the input's mean: the scaling keeps the expectation).</param>
public sealed record DropoutStats(string Implementation, bool Train, double ZeroFraction, double KeptValue, double Mean);

/// <summary>nn.Dropout's behaviour in train and eval mode, next to the scratch Dropout's.</summary>
/// <param name="P">Drop probability.</param>
/// <param name="Elements">Size of the input of ones.</param>
/// <param name="Rows">torch train, torch eval, scratch train, scratch eval.</param>
public sealed record DropoutBehaviour(double P, int Elements, IReadOnlyList<DropoutStats> Rows)
{
    /// <summary>The row of one implementation and mode.</summary>
    public DropoutStats Get(string implementation, bool train) =>
        Rows.FirstOrDefault(r => r.Implementation == implementation && r.Train == train)
        ?? throw new ArgumentException($"No row for {implementation} (train = {train}); implementations: torch, scratch.", nameof(implementation));
}

/// <summary>One comparison of weight-decay variants trained from the same start.</summary>
/// <param name="Comparison">What is compared.</param>
/// <param name="MaxParamDiff">max |θ_A − θ_B| after training: ~1e-7 means the two are the same algorithm.</param>
/// <param name="NormA">‖θ_A‖ after training.</param>
/// <param name="NormB">‖θ_B‖ after training.</param>
public sealed record DecayComparison(string Comparison, double MaxParamDiff, double NormA, double NormB);

/// <summary>A linear model trained with one penalty: its weights (for the histogram) and their sparsity.</summary>
/// <param name="Penalty">"none", "L1" or "L2".</param>
/// <param name="Lambda">λ.</param>
/// <param name="Weights">The trained weights (bias excluded).</param>
/// <param name="SparseFraction">Fraction of weights with |w| &lt; the sparsity threshold.</param>
/// <param name="Threshold">The sparsity threshold (1e-3 by default).</param>
/// <param name="DataLoss">The final training MSE (without the penalty).</param>
public sealed record SparsityRun(string Penalty, double Lambda, double[] Weights, double SparseFraction, double Threshold, double DataLoss);

/// <summary>Lesson 6's experiments that need no trainer: weight decay vs L2, coupled vs decoupled, dropout, L1 vs L2 sparsity.</summary>
public static class RegularizationExperiments
{
    /// <summary>
    /// Trains the same linear regression (5 → 3, full batch, from the same init) with weight-decay variants and compares
    /// the final parameters: SGD's weight_decay IS an L2 penalty (λ/2)‖θ‖² in the loss; so is Adam's (coupled); AdamW's
    /// decoupled decay is not — it equals Adam with the explicit shrink θ ← θ(1 − lr·λ) before each step.
    /// </summary>
    public static IReadOnlyList<DecayComparison> WeightDecayEquivalence(double lambda = 0.1, double lr = 0.05, int steps = 50, int seed = 0)
    {
        Check.Positive(lambda, nameof(lambda));
        Check.Positive(lr, nameof(lr));
        TopicArgs.AtLeast(steps, 1, nameof(steps));

        var rng = new Rng(unchecked((ulong)seed));
        var x = rng.NormalArray<float>(0, 1, 32, 5);
        var y = rng.NormalArray<float>(0, 1, 32, 3);
        var w0 = rng.NormalArray<float>(0, 1, 3, 5);
        var b0 = rng.NormalArray<float>(0, 1, 3);

        var sgdDecay = Train(OptimizerSpec.Sgd(lr, weightDecay: lambda), 0, false);
        var sgdL2 = Train(OptimizerSpec.Sgd(lr), lambda, false);
        var adamDecay = Train(OptimizerSpec.Adam(lr, weightDecay: lambda), 0, false);
        var adamL2 = Train(OptimizerSpec.Adam(lr), lambda, false);
        var adamW = Train(OptimizerSpec.AdamW(lr, weightDecay: lambda), 0, false);
        var adamShrink = Train(OptimizerSpec.Adam(lr), 0, true);
        return
        [
            Compare($"SGD(weight_decay={lambda}) vs SGD + (λ/2)‖θ‖² in the loss", sgdDecay, sgdL2),
            Compare($"Adam(weight_decay={lambda}) vs Adam + (λ/2)‖θ‖² in the loss", adamDecay, adamL2),
            Compare($"AdamW(weight_decay={lambda}) vs Adam(weight_decay={lambda})", adamW, adamDecay),
            Compare($"AdamW(weight_decay={lambda}) vs Adam after θ ← θ(1 − lr·λ)", adamW, adamShrink),
        ];

        float[] Train(OptimizerSpec spec, double l2, bool shrink)
        {
            using var scope = torch.NewDisposeScope();
            var w = torch.nn.Parameter(w0.ToTensor());
            var b = torch.nn.Parameter(b0.ToTensor());
            var (xt, yt) = (x.ToTensor(), y.ToTensor());
            using var opt = spec.CreateTorch([w, b]);
            for (int t = 0; t < steps; t++)
            {
                using var step = torch.NewDisposeScope();
                opt.zero_grad();
                var loss = torch.nn.functional.mse_loss(torch.nn.functional.linear(xt, w, b), yt);
                if (l2 > 0) loss = loss + TorchRegularization.L2([w, b], l2);
                loss.backward();
                if (shrink)
                {
                    using var noGrad = torch.no_grad();
                    w.mul_(1 - (lr * lambda));
                    b.mul_(1 - (lr * lambda));
                }
                opt.step();
            }
            return [.. w.ToNDArray().Data, .. b.ToNDArray().Data];
        }

        static DecayComparison Compare(string what, float[] a, float[] b) =>
            new(what, Parity.MaxAbsDiff(a, b), Math.Sqrt(a.Sum(v => (double)v * v)), Math.Sqrt(b.Sum(v => (double)v * v)));
    }

    /// <summary>
    /// nn.Dropout(p) on <paramref name="elements"/> ones in train and eval mode, and the scratch Dropout likewise: in
    /// training a fraction ≈ p is zeroed and survivors become 1/(1 − p) (so the mean stays ≈ 1); in eval it is the identity.
    /// The RNGs differ, so the comparison is statistical (exact parity with a shared mask: <c>Parity.Dropout</c>).
    /// </summary>
    public static DropoutBehaviour Dropout(double p, int elements = 100_000, int seed = 0)
    {
        CheckP(p);
        TopicArgs.AtLeast(elements, 1, nameof(elements));
        var rows = new List<DropoutStats>();

        torch.manual_seed(seed);
        using (var scope = torch.NewDisposeScope())
        using (var dropout = torch.nn.Dropout(p))
        {
            var x = torch.ones(elements);
            dropout.train();
            rows.Add(Stats("torch", true, dropout.forward(x).ToNDArray().Data));
            dropout.eval();
            rows.Add(Stats("torch", false, dropout.forward(x).ToNDArray().Data));
        }

        var ones = NDArray.Full(1f, elements);
        rows.Add(Stats("scratch", true, ScratchDropout.Forward(ones, p, new Rng(unchecked((ulong)seed))).Out.Data));
        rows.Add(Stats("scratch", false, new DropoutLayer<float>(p, new Rng(0)).Eval().Forward(ones).Out.Data));
        return new DropoutBehaviour(p, elements, rows);

        static DropoutStats Stats(string implementation, bool train, float[] y)
        {
            int zeros = y.Count(v => v == 0);
            double kept = zeros == y.Length ? double.NaN : y.First(v => v != 0);
            return new DropoutStats(implementation, train, (double)zeros / y.Length, kept, y.Average(v => (double)v));
        }
    }

    /// <summary>
    /// A linear model (features → 1; only the first <paramref name="informative"/> features matter) trained by full-batch
    /// gradient descent (torch.optim.SGD whose learning rate is annealed to 0 by a cosine schedule over the steps) with no penalty, L1 and L2 on its weights: L1 drives
    /// the useless weights to (about) exactly 0, L2 only shrinks them. Reports each run's weights and the fraction with
    /// |w| &lt; <paramref name="threshold"/>.
    /// </summary>
    /// <remarks>
    /// (Sub)gradient descent makes an L1 weight hop around 0 by up to lr·λ; the annealed lr shrinks the hops below the
    /// threshold by the end (a constant lr would need lr·λ &lt; threshold).
    /// </remarks>
    public static IReadOnlyList<SparsityRun> L1VsL2(double lambda = 0.05, int features = 20, int informative = 3, int n = 200, int steps = 300,
        double lr = 0.05, double threshold = 1e-3, int seed = 0)
    {
        Check.Positive(lambda, nameof(lambda));
        TopicArgs.AtLeast(features, 1, nameof(features));
        if (informative < 0 || informative > features)
            throw new ArgumentOutOfRangeException(nameof(informative), informative, $"informative must be in [0, {features}], got {informative}.");
        TopicArgs.AtLeast(n, 1, nameof(n));
        TopicArgs.AtLeast(steps, 1, nameof(steps));
        Check.Positive(lr, nameof(lr));
        Check.Positive(threshold, nameof(threshold));

        using var scope = torch.NewDisposeScope();
        var (xt, yt) = SparseLinearData(features, informative, n, seed);
        return [Run("none"), Run("L1"), Run("L2")];

        SparsityRun Run(string penalty)
        {
            torch.manual_seed(seed);
            using var model = torch.nn.Linear(features, 1);
            using var opt = torch.optim.SGD(model.parameters(), lr);
            var schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps);
            var weights = TorchRegularization.Weights(model);
            for (int t = 0; t < steps; t++)
            {
                using var step = torch.NewDisposeScope();
                opt.zero_grad();
                var loss = torch.nn.functional.mse_loss(model.forward(xt), yt);
                if (penalty == "L1") loss = loss + TorchRegularization.L1(weights, lambda);
                if (penalty == "L2") loss = loss + TorchRegularization.L2(weights, lambda);
                loss.backward();
                opt.step();
                schedule.step();
            }
            using var noGrad = torch.no_grad();
            double dataLoss = torch.nn.functional.mse_loss(model.forward(xt), yt).item<float>();
            double[] w = [.. weights[0].ToNDArray().Data.Select(v => (double)v)];
            return new SparsityRun(penalty, penalty == "none" ? 0 : lambda, w, w.Count(v => Math.Abs(v) < threshold) / (double)w.Length, threshold, dataLoss);
        }
    }

    /// <summary>
    /// The data of <see cref="L1VsL2"/>, for learners' own loops: x [n, features] ~ N(0, 1) and y [n, 1] =
    /// 2·x₀ − 1.5·x₁ + 2·x₂ − … over the first <paramref name="informative"/> features, plus N(0, 0.1²) noise; the
    /// other features do not matter. Seeded (the same draw as L1VsL2 with the same seed).
    /// </summary>
    public static (Tensor X, Tensor Y) SparseLinearData(int features = 20, int informative = 3, int n = 200, int seed = 0)
    {
        TopicArgs.AtLeast(features, 1, nameof(features));
        if (informative < 0 || informative > features)
            throw new ArgumentOutOfRangeException(nameof(informative), informative, $"informative must be in [0, {features}], got {informative}.");
        TopicArgs.AtLeast(n, 1, nameof(n));
        var rng = new Rng(unchecked((ulong)seed));
        var x = rng.NormalArray<float>(0, 1, n, features);
        var y = new NDArray<float>([n, 1]);
        for (int i = 0; i < n; i++)
        {
            double s = rng.Normal(0, 0.1);
            for (int j = 0; j < informative; j++) s += (j % 2 == 0 ? 2.0 : -1.5) * x[i, j];
            y[i] = (float)s;
        }
        return (x.ToTensor(), y.ToTensor());
    }

    internal static void CheckP(double p)
    {
        if (!(p >= 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"p (the drop probability) must be in [0, 1), got {p}.");
    }
}
