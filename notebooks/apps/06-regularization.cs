// 06 · Regularization: fitting the data without memorizing it — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/06-regularization.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/06-regularization.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/06-regularization/.
//          Exercises run as you edit them; `notebooks/run --apps` runs every app with the solutions filled in.
//          COURSE_HEADLESS=1 makes a failing exercise check throw instead of printing ❌.
#:package TorchSharp-cpu@0.107.0
#:package Plotly.NET@6.0.0
#:package Plotly.NET.CSharp@0.14.0
#:package Microsoft.ML.DataView@6.0.0
#:package System.Numerics.Tensors@10.0.11
#:project ../../src/DeepLearning.Course
// A JIT app, not native AOT (TorchSharp and Plotly.NET use reflection); the versions above are the ones
// Directory.Packages.props pins, written out so the file says what it runs. Lesson code is held to the
// notebook's rules, not the library's: no code analysis, and warnings stay warnings (an exercise's TODO
// leaves unused variables); CI builds the solved apps with -p:TreatWarningsAsErrors=true.
#:property PublishAot=false
#:property ManagePackageVersionsCentrally=false
#:property AnalysisLevel=none
#:property TreatWarningsAsErrors=false

using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using DeepLearning.Course;
using TorchSharp;
using static TorchSharp.torch;

Lesson.Start("../06-regularization.ipynb", "06 · Regularization: fitting the data without memorizing it");

// # 06 · Regularization: fitting the data without memorizing it
//
// A network with enough weights can memorize any training set — including its noise. What we want is a network that does
// well on data it has **not** seen. Regularization is everything we do to close the gap between the two: penalize large
// weights (L2) or non-zero ones (L1), randomly silence units while training (dropout), stop before the network starts
// memorizing (early stopping), and show it more varied data than we have (augmentation). This notebook measures each of
// them on the same small problem, so you can see what each one buys and what it costs.
//
// **Objectives** — by the end of this notebook you can:
// - recognise underfitting and overfitting from training and validation curves, and measure the generalization gap;
// - write the L1 and L2 penalties and their gradients; explain why L2 only shrinks weights, why plain (sub)gradient
//   steps on L1 leave weights *hovering* near 0, and how a soft-threshold step makes them exactly 0; tell weight decay
//   from an L2 penalty in Adam (AdamW);
// - explain inverted dropout, show that it is the same model as the classic "scale at test time" version, why it
//   behaves differently in `train()` and `eval()` mode, and choose its rate $p$ on the validation set;
// - train with early stopping that restores the best weights, and with data augmentation;
// - check each from-scratch piece against TorchSharp.
//
// Previous: [05 · Weight initialization](05-init.ipynb) · Next: [07 · Batch normalization](07-batch-norm.ipynb).

torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
torch.manual_seed(0);
var rng = new Rng(0);

// ## 1. Underfitting and overfitting
//
// We want a low **true risk** — the expected loss over the whole data distribution ([notebook 04](04-backprop.ipynb))
// — but we can only measure the **empirical risk**, the mean loss on the training set. The difference between the two
// is the **generalization gap**; the validation loss is our estimate of the true risk:
//
// $$\text{gap} = \underbrace{\mathbb{E}_{(x,y)\sim\mathcal{D}}\,\ell(f(x), y)}_{\text{estimated by the validation loss}} \;-\; \underbrace{\tfrac{1}{N}\textstyle\sum_{i=1}^{N} \ell(f(x_i), y_i)}_{\text{training loss}}$$
//
// - **Underfitting**: the model does not fit even the training set — both losses are high, the gap is small. Two
//   causes: too little capacity, or too little training (stopping long before the loss has come down).
// - **Overfitting**: the training loss keeps falling towards 0 while the validation loss stops falling and *rises*; the
//   gap grows. The network has started to fit the particular examples (and their noise) rather than the pattern.
//
// To make overfitting easy to see and fast to run, we give the 8×8 digits' networks only **150 training images** (15
// per digit) and validate on 901 others. Every large network below starts from the *same* initial weights (`Net()`
// reseeds before building), so differences come from the regularizer alone.
Lesson.Section("1. Underfitting and overfitting");

var digits = Digits.Load8x8();
var all = TrainData.From(digits);
var (pool, val) = all.Split(0.5, seed: 1);     // half for validation
var (_, small) = pool.Split(1.0 / 6, seed: 2); // 1/6 of the other half for training: 150 images
Console.WriteLine($"training: {small.Count} images, validation: {val.Count} images");

var options = new TrainOptions { Epochs = 60, BatchSize = 50, Optimizer = Optim.Adam(3e-3), Seed = 1, Progress = Progress.None };

// The large network of this notebook: 64 → 128 → 128 → 10, about 26,000 weights for 150 images.
Mlp Net(double dropout = 0) { torch.manual_seed(7); return new Mlp([64, 128, 128, 10], dropout: dropout); }

// Loss and accuracy on the training and validation sets, both in eval mode (no dropout), after training.
var results = new List<(string Name, Evaluation Train, Evaluation Val)>();
(Evaluation Train, Evaluation Val) Record(string name, nn.Module<Tensor, Tensor> model, TrainData? train = null, TrainData? validation = null)
{
    var r = (Trainer.Evaluate(model, train ?? small), Trainer.Evaluate(model, validation ?? val));
    results.Add((name, r.Item1, r.Item2));
    Console.WriteLine($"{name,-22} train loss {r.Item1.Loss:F3} acc {r.Item1.Accuracy:P1} | validation loss {r.Item2.Loss:F3} acc {r.Item2.Accuracy:P1} | gap {r.Item2.Loss - r.Item1.Loss:F3}");
    return r;
}

// A network with a 2-unit bottleneck ($64 \to 2 \to 10$) against the large one, both trained for 60 epochs with Adam:

torch.manual_seed(7);
var tinyNet = new Mlp([64, 2, 10]);
var tinyHistory = Trainer.Fit(tinyNet, small, val, options);
var tiny = Record("64→2→10", tinyNet);

var bigNet = Net();
var bigHistory = Trainer.Fit(bigNet, small, val, options);
var big = Record("64→128→128→10", bigNet);

var bigVal = bigHistory.LossCurve().Validation!;
int bigBest = Array.IndexOf(bigVal, bigVal.Min()) + 1;
Console.WriteLine($"large net: lowest validation loss {bigVal.Min():F3} at epoch {bigBest}, {bigVal[^1]:F3} at epoch 60");
var firstEpoch = bigHistory.Epochs[0];
Claim.That("after its first epoch (3 steps) the large network underfits too: training loss still > 1, validation within 0.3 of it",
    firstEpoch.TrainLoss > 1 && Math.Abs(firstEpoch.ValidationLoss!.Value - firstEpoch.TrainLoss) < 0.3,
    $"epoch 1: training {firstEpoch.TrainLoss:F3}, validation {firstEpoch.ValidationLoss:F3}");
Claim.That("the 2-unit network underfits: it cannot fit even the training set (training accuracy < 60 %)",
    tiny.Train.Accuracy < 0.6, $"training accuracy {tiny.Train.Accuracy:P1}, validation {tiny.Val.Accuracy:P1}");
Claim.That("the large network memorizes the training set (100 % training accuracy, training loss < 0.02)",
    big.Train.Accuracy == 1 && big.Train.Loss < 0.02, $"accuracy {big.Train.Accuracy:P1}, loss {big.Train.Loss:F4}");
Claim.That("…and overfits: its validation loss bottoms out in the first half of training and ends ≥ 10 % above that minimum",
    bigBest <= 30 && bigVal[^1] >= 1.1 * bigVal.Min(), $"minimum {bigVal.Min():F3} at epoch {bigBest}, final {bigVal[^1]:F3}");
Lesson.Show(Charts.LossCurves([("64→2→10", tinyHistory.LossCurve().Train, tinyHistory.LossCurve().Validation),
                   ("64→128→128→10", bigHistory.LossCurve().Train, bigVal)], logY: true, title: "Underfitting (2 hidden units) and overfitting (2×128 hidden units)"));

// Read the chart on a log scale: the small network's two curves stay together and high (underfitting). The large one's
// training loss falls by orders of magnitude, while its validation loss turns around after a few epochs — from then on,
// each step makes it more confident on the 150 images it has seen and *more* wrong on new ones. Its validation
// accuracy is still decent; what overfitting damages first is the *confidence*: the validation loss (cross-entropy
// punishes confident mistakes hard) grows while accuracy stagnates. The rest of the notebook tries to pull that
// validation curve down without giving up the large network's capacity.
//
// The large network also shows the *other* kind of underfitting: after its first epoch (three steps of Adam) both its
// losses are still high and close together. Underfitting is not only "too small a model" — it is also "not trained
// enough yet".
//
// ## 2. Weight penalties: L2 and L1
//
// Add a penalty on the weights $w$ (not the biases) to the data loss $L$:
//
// $$\tilde L_{\text{L2}} = L + \frac{\lambda}{2}\sum_j w_j^2, \qquad \frac{\partial \tilde L_{\text{L2}}}{\partial w_j} = \frac{\partial L}{\partial w_j} + \lambda w_j$$
//
// $$\tilde L_{\text{L1}} = L + \lambda\sum_j |w_j|, \qquad \frac{\partial \tilde L_{\text{L1}}}{\partial w_j} = \frac{\partial L}{\partial w_j} + \lambda\,\operatorname{sign}(w_j) \quad (w_j \ne 0)$$
//
// L2's pull is proportional to the weight: large weights shrink fast, small ones barely move, so nothing becomes exactly
// 0. With plain SGD the L2 term turns the update into $w \leftarrow w - \eta(\nabla L + \lambda w) = (1-\eta\lambda)\,w - \eta \nabla L$:
// every step first *decays* the weight by a factor $(1 - \eta\lambda)$, hence the name **weight decay**.
//
// L1's pull has the same size $\lambda$ for every non-zero weight, however small. So a weight whose data gradient is
// weaker than $\lambda$ is pulled towards 0 at a constant rate — L1's optimum is **sparse** (Tibshirani's lasso, 1996):
// many weights are exactly 0 *at the minimum*. Whether your optimizer lands on those zeros is another matter. $|w|$ has
// no derivative at 0, and a plain gradient step moves a weight by $\eta\lambda$ whatever its size: a weight at
// $0.001$ with $\eta\lambda = 0.0025$ jumps to $-0.0015$, then back. Subgradient descent leaves the useless weights
// **hovering** around 0 within about $\eta\lambda$, never at 0. The fix is to treat the penalty exactly instead of
// through its gradient — the **proximal** or **soft-threshold** step, applied after the data-gradient step:
//
// $$w \leftarrow \operatorname{sign}(w)\,\max\big(|w| - \eta\lambda,\ 0\big).$$
//
// It shrinks every weight by $\eta\lambda$ and sets the ones that would cross 0 to exactly 0. Lasso solvers work this
// way (ISTA; scikit-learn's coordinate descent applies the same threshold one weight at a time).
//
// **From scratch** (`src/DeepLearning.Scratch/Regularization.cs`): the forward is the penalty's value, the backward adds
// its gradient to each parameter's `Grad`, after the data loss's backward, as autograd accumulates:
//
// ```csharp
// // Regularization.L1.Backward: grad += λ·sign(w), with sign(0) = 0
// for (int i = 0; i < w.Length; i++) dw[i] += lam * Sign(w[i]);
//
// // Regularization.L2.Backward: grad += λ·w
// for (int i = 0; i < w.Length; i++) dw[i] += lam * w[i];
// ```
//
// **In TorchSharp** you either add the term to the loss and let autograd differentiate it, or pass `weight_decay` to
// the optimizer. The course's `TorchRegularization.L2(weights, λ)` is `(λ/2)·Σ w.pow(2).sum()` over the tensors you
// pass, and `TorchRegularization.Weights(model)` picks the weights (parameters named `weight`) and skips the biases:
Lesson.Section("2. Weight penalties: L2 and L1");

var wa = rng.NormalArray<float>(0, 1, 4, 3);
var wb = rng.NormalArray<float>(0, 1, 3, 2);
var l1Parity = Parity.Penalty("l1", [wa, wb], lambda: 0.1);
var l2Parity = Parity.Penalty("l2", [wa, wb], lambda: 0.1);
Claim.That("scratch and TorchSharp agree on the L1 and L2 penalties and their gradients",
    l1Parity.Agrees(1e-5) && l2Parity.Agrees(1e-5), $"max |Δ| = {Math.Max(l1Parity.MaxAbsDiff, l2Parity.MaxAbsDiff):E2}");

var someNet = new Mlp([64, 8, 10]);
var netWeights = TorchRegularization.Weights(someNet);
Console.WriteLine($"penalized: {string.Join(", ", someNet.named_parameters().Where(p => p.name.EndsWith("weight")).Select(p => p.name))} — biases are left out");
Console.WriteLine($"L2 penalty with λ = 0.01: {TorchRegularization.L2(netWeights, 0.01).item<float>():F5}");
Lesson.Show(l2Parity);

// **Weight decay is not always an L2 penalty.** For SGD the two are the same algorithm, and `torch.optim.Adam`'s
// `weight_decay` also just adds $\lambda w$ to the gradient. But Adam then divides each gradient by its running RMS, so a
// weight with large gradients is barely decayed at all. Loshchilov & Hutter (2019) proposed *decoupled* weight decay,
// **AdamW**: shrink $w \leftarrow w(1 - \eta\lambda)$ directly, outside the adaptive step. `RegularizationExperiments.WeightDecayEquivalence`
// trains the same linear model from the same start with each variant and compares the final weights:

var decay = RegularizationExperiments.WeightDecayEquivalence();
foreach (var row in decay) Console.WriteLine($"{row.Comparison,-62} max |Δθ| = {row.MaxParamDiff:E2}");
Claim.That("SGD's and Adam's weight_decay are exactly an L2 penalty (λ/2)‖θ‖² in the loss",
    decay[0].MaxParamDiff < 1e-5 && decay[1].MaxParamDiff < 1e-5, $"{decay[0].MaxParamDiff:E1}, {decay[1].MaxParamDiff:E1}");
Claim.That("AdamW is not Adam with weight_decay (|Δθ| > 0.01) — it is Adam after the shrink θ ← θ(1 − lr·λ)",
    decay[2].MaxParamDiff > 1e-2 && decay[3].MaxParamDiff < 1e-5, $"{decay[2].MaxParamDiff:E1} vs {decay[3].MaxParamDiff:E1}");

// (Notebook 03 noted that TorchSharp's `AdamW` defaults to `weight_decay = 0`, where PyTorch's defaults to 0.01 —
// pass it.)
//
// ### Zeros from L1: subgradient steps vs the soft-threshold step
//
// A linear model with 20 inputs of which only the first 3 matter (`RegularizationExperiments.SparseLinearData`), fitted
// by full-batch gradient descent with a **constant** learning rate and L1 with $\lambda = 0.05$, twice: once with the
// penalty's subgradient added to the loss (what `loss + λ·Σ|w|` and `backward()` give you), once with the
// soft-threshold step after each plain gradient step. The whole loop is in the cell — change `lr`, `lambda` or `steps`
// and rerun:
Lesson.Section("Zeros from L1: subgradient steps vs the soft-threshold step");

var (xSparse, ySparse) = RegularizationExperiments.SparseLinearData(features: 20, informative: 3, n: 200, seed: 0);

// Full-batch gradient descent on MSE + λ·Σ|w|, the gradients written out (notebook 04); proximal: soft-threshold
// after each data-gradient step instead of adding λ·sign(w) to the gradient.
double[] FitL1(double lr, double lambda, int steps, bool proximal)
{
    var w = torch.zeros(20, 1);
    var b = torch.zeros(1);
    using var noGrad = torch.no_grad();
    for (int t = 0; t < steps; t++)
    {
        using var scope = torch.NewDisposeScope();
        var residual = xSparse.matmul(w) + b - ySparse;                // ∂MSE/∂prediction = 2·residual / n
        var gradW = 2 * xSparse.t().matmul(residual) / xSparse.shape[0];
        if (!proximal) gradW = gradW + lambda * w.sign();              // the subgradient of λ·Σ|w| (sign(0) = 0)
        var next = w - lr * gradW;
        if (proximal) next = next.sign() * (next.abs() - lr * lambda).clamp_min(0);   // soft-threshold: exact zeros
        (w, b) = (next.MoveToOuterDisposeScope(), (b - lr * 2 * residual.mean()).MoveToOuterDisposeScope());
    }
    return [.. w.squeeze(1).data<float>().ToArray().Select(v => (double)v)];
}

double lr = 0.05, lambda = 0.05;
int steps = 300;
var subgradient = FitL1(lr, lambda, steps, proximal: false);
var soft = FitL1(lr, lambda, steps, proximal: true);
string Describe(double[] w) =>
    $"exactly 0: {w.Count(v => v == 0),2} of 20, |w| < 1e-3: {w.Count(v => Math.Abs(v) < 1e-3),2}, largest useless |w| {w.Skip(3).Max(Math.Abs):E1}, w[0..3] = {string.Join(", ", w.Take(3).Select(v => v.ToString("F2")))}";
Console.WriteLine($"subgradient    {Describe(subgradient)}");
Console.WriteLine($"soft-threshold {Describe(soft)}    (lr·λ = {lr * lambda:G3})");
Claim.That("with a constant learning rate, subgradient L1 leaves no weight at exactly 0 — the useless ones hover within a few lr·λ of 0",
    subgradient.Count(v => v == 0) == 0 && subgradient.Skip(3).Max(Math.Abs) < 3 * lr * lambda,
    $"{subgradient.Count(v => v == 0)} exact zeros, largest useless |w| {subgradient.Skip(3).Max(Math.Abs):E1} vs lr·λ = {lr * lambda:G3}");
Lesson.Show(Claim.That("the soft-threshold step sets at least 15 of the 17 useless weights to exactly 0 and keeps the 3 informative ones",
    soft.Skip(3).Count(v => v == 0) >= 15 && soft.Take(3).All(v => Math.Abs(v) > 1),
    $"{soft.Skip(3).Count(v => v == 0)} useless weights at 0; w[0..3] = {string.Join(", ", soft.Take(3).Select(v => v.ToString("F2")))}"));

// **The λ path.** Sweep $\lambda$ on a log scale, fit with the soft-threshold step each time, and draw every weight
// against $\lambda$ — the classic *regularization path*. Under L1 the weights leave the race one by one, each hitting
// exactly 0 at its own $\lambda$; the three informative weights survive longest. Under L2 (ridge) the same weights only
// shrink smoothly and none reaches 0 (for this linear model ridge has a closed form, $w = (X^\top X/n + \lambda I)^{-1}X^\top y/n$,
// up to the factor 2 of the MSE's gradient, so no loop is needed):

double[] lambdas = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
var l1Path = lambdas.Select(l => FitL1(lr, l, steps, proximal: true)).ToArray();
// Ridge in closed form on centered data: the minimizer of mean((Xw − y)²) + (λ/2)‖w‖² solves (2XᵀX/n + λI)w = 2Xᵀy/n.
var (xc, yc) = (xSparse - xSparse.mean([0]), ySparse - ySparse.mean());
var l2Path = lambdas.Select(l => torch.linalg.solve(2 * xc.t().matmul(xc) / 200 + l * torch.eye(20), 2 * xc.t().matmul(yc) / 200)
    .squeeze(1).data<float>().ToArray().Select(v => (double)v).ToArray()).ToArray();
int[] nonZero = [.. l1Path.Select(w => w.Count(v => v != 0))];
Console.WriteLine($"non-zero L1 weights along the path: {string.Join(", ", lambdas.Select((l, i) => $"λ {l}: {nonZero[i]}"))}");
Claim.That("along the L1 path the number of non-zero weights never grows with λ, and drops from ≥ 15 to 3 or fewer",
    nonZero.Zip(nonZero.Skip(1)).All(p => p.Second <= p.First) && nonZero[0] >= 15 && nonZero[^1] <= 3, string.Join(" → ", nonZero));
Claim.That("no ridge (L2) weight is exactly 0 anywhere on its path", l2Path.All(w => w.All(v => v != 0)),
    $"smallest |w| on the path {l2Path.Min(w => w.Min(Math.Abs)):E1}");
Lesson.Show(Charts.Lines([.. Enumerable.Range(0, 6).Select(j => ($"L1 w{j}{(j < 3 ? " (informative)" : "")}", (IReadOnlyList<double>)lambdas, (IReadOnlyList<double>)[.. l1Path.Select(w => w[j])])),
              .. Enumerable.Range(0, 6).Select(j => ($"L2 w{j}", (IReadOnlyList<double>)lambdas, (IReadOnlyList<double>)[.. l2Path.Select(w => w[j])]))],
    xTitle: "λ", yTitle: "weight", logX: true, markers: true, title: "Regularization paths of the first six weights: L1 hits exactly 0, L2 only shrinks"));

// ### The ready-made comparison, and its schedule
//
// `RegularizationExperiments.L1VsL2` fits the same 20-input model three times — no penalty, L1 and L2 ($\lambda = 0.05$)
// — with plain `torch.optim.SGD` and the penalty in the loss, and counts the weights with $|w| < 10^{-3}$. One detail you
// would miss without reading its code: it **anneals the learning rate to 0 with a cosine schedule** over its 300 steps.
// That, not L1 alone, is why its hovering weights end below $10^{-3}$: the hops shrink with $\eta$. With the constant
// $\eta = 0.05$ above they stay about $\eta\lambda = 2.5\cdot10^{-3}$ wide.
Lesson.Section("The ready-made comparison, and its schedule");

var sparsity = RegularizationExperiments.L1VsL2();
foreach (var run in sparsity)
    Console.WriteLine($"{run.Penalty,-5} weights ≈ 0: {run.SparseFraction:P0}   training MSE {run.DataLoss:F4}   w[0..3] = {string.Join(", ", run.Weights.Take(3).Select(w => w.ToString("F2")))}");
var (none, l1, l2) = (sparsity[0], sparsity[1], sparsity[2]);
Claim.That("with the annealed learning rate, L1 brings at least 70 % of the weights below 10⁻³; L2 and no penalty at most 30 %",
    l1.SparseFraction >= 0.7 && l2.SparseFraction <= 0.3 && none.SparseFraction <= 0.3,
    $"L1 {l1.SparseFraction:P0}, L2 {l2.SparseFraction:P0}, none {none.SparseFraction:P0}");
Claim.That("the informative weights survive L1 (|w₀| > 1.5), and both penalties cost some training fit",
    Math.Abs(l1.Weights[0]) > 1.5 && none.DataLoss <= l1.DataLoss && none.DataLoss <= l2.DataLoss,
    $"w₀ = {l1.Weights[0]:F2}; MSE none {none.DataLoss:F4}, L1 {l1.DataLoss:F4}, L2 {l2.DataLoss:F4}");
Lesson.Show(Charts.Histograms([.. sparsity.Select(r => (r.Penalty, (IReadOnlyList<double>)r.Weights))], bins: 30, xTitle: "weight",
    title: "Trained weights of a 20-input linear model (3 informative inputs)"));

// The L1 histogram is a spike at 0 plus the three useful weights; the L2 histogram is the unpenalized one pulled towards 0
// but spread out. L1 selects features; L2 smooths. (A spike *at* 0 here means $|w| < 10^{-3}$, not $w = 0$ — the
// soft-threshold loop above is what makes exact zeros.)
//
// ### L2 on the overfitting network
//
// Now the large digits network again, from the same start, with `TrainOptions.L2 = 0.01` (the Trainer adds
// $(\lambda/2)\sum w^2$ over the weights to every step's loss). Note what that is with Adam: the *coupled* penalty of
// the previous section, not weight decay — AdamW is in the Try-it below:
Lesson.Section("L2 on the overfitting network");

var l2Net = Net();
Trainer.Fit(l2Net, small, val, options with { L2 = 0.01 });
var withL2 = Record("L2 λ = 0.01", l2Net);
double Norm(Mlp m) => Math.Sqrt(TorchRegularization.Weights(m).Sum(w => (double)w.square().sum().item<float>()));
Console.WriteLine($"‖W‖: no penalty {Norm(bigNet):F1}, L2 {Norm(l2Net):F1}");
Claim.That("L2 trades training fit for a lower validation loss: training loss up, final validation loss down by ≥ 10 %",
    withL2.Train.Loss > big.Train.Loss && withL2.Val.Loss <= 0.9 * big.Val.Loss,
    $"training {big.Train.Loss:F3} → {withL2.Train.Loss:F3}, validation {big.Val.Loss:F3} → {withL2.Val.Loss:F3}");
Claim.That("…with smaller weights", Norm(l2Net) < Norm(bigNet), $"‖W‖ {Norm(bigNet):F1} → {Norm(l2Net):F1}");
Lesson.Show(Charts.Histograms([("no penalty", bigNet.Linears[1].weight.ToNDArray()), ("L2 λ = 0.01", l2Net.Linears[1].weight.ToNDArray())],
    bins: 50, xTitle: "weight of the second hidden layer", title: "L2 pulls the weights towards 0"));

// ## 3. Dropout
//
// Dropout (Srivastava et al., 2014) zeroes each hidden activation with probability $p$ at every training step, so a
// unit cannot rely on any particular other unit being present; the network is trained as a huge ensemble of thinned
// sub-networks that share weights. PyTorch implements **inverted** dropout: the survivors are scaled up during training,
//
// $$y = \frac{m \odot x}{1-p}, \qquad m_i \sim \text{Bernoulli}(1-p), \qquad \mathbb{E}[y_i] = x_i,$$
//
// so that at evaluation time dropout is simply the identity — no rescaling of the weights is needed. The backward pass
// multiplies by the same mask: dropped units get no gradient.
//
// **From scratch** (`src/DeepLearning.Scratch/Layers/Dropout.cs`, `Dropout.Forward`):
//
// ```csharp
// if (p == 0) return (x.Clone(), new DropoutCache<T>(null));   // nothing to drop (in eval mode DropoutLayer skips this: identity)
// var mask = x.ZerosLike();
// T scale = T.One / T.CreateChecked(1 - p);
// for (int i = 0; i < mask.Length; i++)
//     mask.Data[i] = rng.Bernoulli(1 - p) ? scale : T.Zero;
// TensorPrimitives.Multiply(x.Span, mask.Span, y.Span);                  // y = x ⊙ mask
// ```
//
// **In TorchSharp** it is `torch.nn.functional.dropout(x, p, training)` or the module `torch.nn.Dropout(p)`, which reads
// the module's mode: `model.train()` turns it on, `model.eval()` off (the Trainer does both for you). The two RNGs differ,
// so `Parity.Dropout` lets torch draw the mask and feeds the same keep pattern to the scratch forward and backward:
Lesson.Section("3. Dropout");

var dropParity = Parity.Dropout(0.3, rng.NormalArray<float>(0, 1, 8, 16));
Claim.That("scratch and TorchSharp dropout agree for the same mask (forward, backward, scale, eval)",
    dropParity.Agrees(1e-5), $"max |Δ| = {dropParity.MaxAbsDiff:E2}");

var behaviour = RegularizationExperiments.Dropout(0.5);
var trainStats = behaviour.Get("torch", train: true);
var evalStats = behaviour.Get("torch", train: false);
Console.WriteLine($"nn.Dropout(0.5) on 100,000 ones — train: {trainStats.ZeroFraction:P1} zeros, survivors = {trainStats.KeptValue}, mean {trainStats.Mean:F3}; eval: {evalStats.ZeroFraction:P0} zeros, mean {evalStats.Mean:F3}");
Claim.That("in training ≈ p of the outputs are 0 and survivors are 1/(1 − p) = 2, keeping the mean ≈ 1; in eval it is the identity",
    Math.Abs(trainStats.ZeroFraction - 0.5) < 0.01 && trainStats.KeptValue == 2 && Math.Abs(trainStats.Mean - 1) < 0.03 && evalStats.ZeroFraction == 0 && evalStats.Mean == 1,
    $"{trainStats.ZeroFraction:P1} zeros, kept {trainStats.KeptValue}, mean {trainStats.Mean:F3}; eval mean {evalStats.Mean}");
Lesson.Show(dropParity);

// Now sweep $p$ on the large network (dropout after each hidden layer), from 0 to 0.9. $p = 0.5$ is Srivastava et
// al.'s default for hidden units; $p = 0.9$ silences nine units in ten. Every run starts from the same weights. The
// question is which $p$ gives the lowest **validation** loss — the training loss alone cannot tell "regularized" from
// "crippled":

double[] ps = [0, 0.2, 0.4, 0.6, 0.8, 0.9];
var dropNets = new Dictionary<double, Mlp> { [0] = bigNet };
foreach (double p in ps.Skip(1))
{
    dropNets[p] = Net(dropout: p);
    Trainer.Fit(dropNets[p], small, val, options);
    Record($"dropout p = {p}", dropNets[p]);
}
var dropRows = ps.Select(p => results.First(r => r.Name == (p == 0 ? "64→128→128→10" : $"dropout p = {p}"))).ToArray();
double[] trainLoss = [.. dropRows.Select(r => r.Train.Loss)], valLoss = [.. dropRows.Select(r => r.Val.Loss)];
double[] gaps = [.. dropRows.Select(r => r.Val.Loss - r.Train.Loss)];
int bestP = Array.IndexOf(valLoss, valLoss.Min());
Claim.That("the generalization gap shrinks at every step up in p", gaps.Zip(gaps.Skip(1)).All(g => g.Second < g.First),
    $"gap {string.Join(" → ", gaps.Select(g => g.ToString("F3")))} for p = {string.Join(", ", ps)}");
Claim.That("the validation loss is U-shaped in p: its minimum is inside the grid, ≥ 10 % below no dropout",
    bestP > 0 && bestP < ps.Length - 1 && valLoss[bestP] <= 0.9 * valLoss[0], $"lowest {valLoss[bestP]:F3} at p = {ps[bestP]}, {valLoss[0]:F3} at p = 0");
Claim.That("p = 0.8 is too much: its validation loss is above the best p's by ≥ 20 %, and p = 0.9 underfits (training accuracy < 90 %)",
    valLoss[Array.IndexOf(ps, 0.8)] >= 1.2 * valLoss[bestP] && dropRows[^1].Train.Accuracy < 0.9,
    $"validation {valLoss[Array.IndexOf(ps, 0.8)]:F3} at p = 0.8 vs {valLoss[bestP]:F3}; p = 0.9 training accuracy {dropRows[^1].Train.Accuracy:P1}");
Lesson.Show(Charts.Lines([("training loss", ps, trainLoss), ("validation loss", ps, valLoss)], xTitle: "dropout p", yTitle: "loss after 60 epochs (eval mode)",
    logY: true, markers: true, title: "Dropout: the gap closes as p grows; past the validation minimum the network underfits"));

// Read the two curves together. The training loss rises with every step in $p$ — that alone says nothing about
// whether $p$ is good. The validation loss falls, bottoms out, and rises again: beyond the minimum the network is so
// thinned during training that it no longer fits even the training set well (at $p = 0.9$ it has clearly lost accuracy
// on the 150 images it sees). Choose $p$ where the *validation* curve is lowest.

// **Train vs eval mode matters.** A network with dropout gives a different answer every time in training mode — forgetting
// `model.eval()` before predicting is a classic bug (the Trainer's `Evaluate` and `Predict` switch for you):

var net05 = dropNets[0.4];
var probe = val.X.narrow(0, 0, 5);
net05.train();
var (t1, t2) = (net05.forward(probe), net05.forward(probe));
net05.eval();
var (e1, e2) = (net05.forward(probe), net05.forward(probe));
double trainDiff = (t1 - t2).abs().max().item<float>(), evalDiff = (e1 - e2).abs().max().item<float>();
Claim.That("in train() mode two passes over the same input differ; in eval() mode they are identical",
    trainDiff > 1e-3 && evalDiff == 0, $"max |Δlogit|: train {trainDiff:F3}, eval {evalDiff}");

// ### Classic dropout is the same model
//
// The original paper (and some textbooks) describe dropout the other way round: in training, multiply by the mask
// *without* scaling; at test time, keep every unit but multiply its output by the keep probability $1 - p$. Inverted
// dropout moves that factor into training ($\times 1/(1-p)$) so that evaluation needs nothing. The two are one model
// with its next layer's weights rescaled: classic dropout feeding weights $W$ computes exactly what inverted dropout
// feeding $(1-p)\,W$ computes, in training (same mask) and at test time. Check it on the trained network's first hidden
// layer and the layer after it:
Lesson.Section("Classic dropout is the same model");

double pc = 0.4;
var lin1 = dropNets[pc].Linears[1];                                // the layer after the first dropout
Tensor h, keep;
using (torch.no_grad()) h = torch.nn.functional.relu(dropNets[pc].Linears[0].forward(probe));
torch.manual_seed(5);
keep = (torch.rand_like(h) >= pc).to_type(ScalarType.Float32);   // one mask, shared by both versions
var wInverted = lin1.weight.detach();
var wClassic = wInverted / (1 - pc);                               // the classic version's weights W, with (1 − p)·W = wInverted
Tensor Next(Tensor a, Tensor w) => a.matmul(w.t()) + lin1.bias!.detach();
double trainGap = (Next(h * keep / (1 - pc), wInverted) - Next(h * keep, wClassic)).abs().max().item<float>();
double evalGap = (Next(h, wInverted) - Next(h * (1 - pc), wClassic)).abs().max().item<float>();
Lesson.Show(Claim.That("classic dropout (scale by 1 − p at test time) with weights W/(1 − p) equals inverted dropout with W, in training and in evaluation",
    trainGap < 1e-4 && evalGap < 1e-4, $"max |Δ| train {trainGap:E1}, eval {evalGap:E1}"));

// ## 4. Early stopping
//
// The overfitting curve suggests the simplest regularizer of all: stop when the validation loss stops improving, and
// keep the weights of the best epoch. With *patience* $k$, training stops after $k$ epochs in a row without a new best.
// It costs nothing and *saves* compute — but it spends the validation set on a decision, so report final numbers on a
// separate test set (notebook 11 does).
//
// **From scratch** (`src/DeepLearning.Scratch/Regularization.cs`, `EarlyStopping<T>.Update`):
//
// ```csharp
// if (!(valLoss < BestLoss - MinDelta)) { BadEpochs++; return false; }   // no improvement
// (BestLoss, BestEpoch, BadEpochs) = (valLoss, epoch, 0);
// _best = [.. parameters.Select(p => p.Value.Clone())];                  // remember the best weights
// // Stopped => BadEpochs > 0 && BadEpochs >= Patience;  RestoreBest copies _best back
// ```
//
// **With the Trainer**: `EarlyStopping = new EarlyStopping(Patience: 5)` monitors the validation loss and restores the
// best epoch's weights (parameters and buffers) at the end:
Lesson.Section("4. Early stopping");

var esNet = Net();
var esHistory = Trainer.Fit(esNet, small, val, options with { EarlyStopping = new EarlyStopping(Patience: 5) });
var early = Record("early stopping", esNet);
Console.WriteLine(esHistory.Summary());
Claim.That("early stopping ends training in less than half of the 60 epochs",
    esHistory.StoppedEarly && esHistory.Epochs.Count < 30, $"{esHistory.Epochs.Count} epochs, best epoch {esHistory.BestEpoch}");
Claim.That("the restored model has exactly the best epoch's validation loss, below the 60-epoch run's final one",
    Math.Abs(early.Val.Loss - esHistory.Best.ValidationLoss!.Value) < 1e-5 && early.Val.Loss < big.Val.Loss,
    $"restored {early.Val.Loss:F4} = best {esHistory.Best.ValidationLoss:F4}; 60 epochs: {big.Val.Loss:F4}");
var esCurve = esHistory.LossCurve();
Lesson.Show(Charts.LossCurves(esCurve.Train, esCurve.Validation, bestEpoch: esHistory.BestEpoch, stoppedEpoch: esHistory.Epochs.Count,
    logY: true, title: $"Early stopping (patience 5): best epoch {esHistory.BestEpoch}, stopped after {esHistory.Epochs.Count}"));

// ## 5. Data augmentation
//
// The best regularizer is more data. When we cannot collect it, we can often *manufacture* it: transformations that
// don't change the label — here, shifting a digit by up to one pixel in each direction — give the network a slightly
// different training set every epoch, so memorizing individual images stops paying off. `Augment.RandomShift(1)` pads
// each image of a batch with zeros and crops it at a random offset; the Trainer applies it to training batches only
// (`TrainOptions.Augment`), never to validation. It needs images, so we view the rows as $1 \times 8 \times 8$ and put a
// `Flatten` in front of the same network:
Lesson.Section("5. Data augmentation");

var smallImages = TrainData.Classification(small.X.view(-1, 1, 8, 8), small.Y, 10, "train images");
var valImages = TrainData.Classification(val.X.view(-1, 1, 8, 8), val.Y, 10, "validation images");
torch.manual_seed(3);
var originals = smallImages.X.narrow(0, 0, 8);
var shifted = Augment.RandomShift(1)(originals);
Lesson.Show(Charts.ImageGrid(torch.cat([originals, shifted], 0).ToNDArray(), [.. Enumerable.Repeat("original", 8), .. Enumerable.Repeat("shifted", 8)],
    columns: 8, invert: true, title: "Random shifts of up to one pixel: same label, different pixels"));

var augNet = torch.nn.Sequential(torch.nn.Flatten(), Net());
Trainer.Fit(augNet, smallImages, valImages, options with { Augment = Augment.RandomShift(1) });
var augmented = Record("augmentation (shift ±1)", augNet, smallImages, valImages);
Claim.That("augmentation makes the training set harder to memorize: the gap at least halves",
    augmented.Val.Loss - augmented.Train.Loss <= (big.Val.Loss - big.Train.Loss) / 2,
    $"gap {big.Val.Loss - big.Train.Loss:F3} → {augmented.Val.Loss - augmented.Train.Loss:F3}");
Claim.That("…and lowers the final validation loss", augmented.Val.Loss < big.Val.Loss, $"{big.Val.Loss:F3} → {augmented.Val.Loss:F3}");

// In our run the validation *accuracy* does not improve within 60 epochs: the shifted digits are a harder task that the
// network is still learning, and a fully connected layer has to learn every shifted version of a stroke separately.
// Building shift invariance into the architecture instead of the data is exactly what convolutions do
// ([09 · CNNs](09-cnn.ipynb)).
//
// ## 6. Side by side
Lesson.Section("6. Side by side");

var names = results.Select(r => r.Name).ToArray();
Lesson.Show(Charts.Bars(names, [("training loss", results.Select(r => r.Train.Loss).ToArray()), ("validation loss", results.Select(r => r.Val.Loss).ToArray())],
    yTitle: "loss after training (eval mode)", title: "Every regularizer closes the gap; none is free"));

// ## 7. Try it: penalties on the network
//
// Section 2 used L1 only on a linear model and L2 only at one strength. Here the large network gets both, and AdamW,
// from the same start; the knobs are in the cell. Things to try:
//
// - sweep `l1` over `[1e-4, 3e-4, 1e-3, 3e-3]` and watch the validation loss fall and then collapse (at 3e-3 the
//   network can no longer fit the digits);
// - compare the fraction of tiny weights with the count of *exact* zeros — Adam takes subgradient steps, so L1 leaves
//   weights hovering, as in section 2;
// - AdamW's `weightDecay` shrinks by $\eta\lambda$ per step, and $\eta = 0.003$ here, so it needs a far larger
//   $\lambda$ than the L2 penalty to do as much: try 0.01, 0.3 and 1;
// - give the network 600 training images instead of 150 (`pool.Split(2.0 / 3, seed: 2)`) and see how much less every
//   regularizer matters.
Lesson.Section("7. Try it: penalties on the network");

// Renamed here, since a C# program declares a name once: l1 → l12.
double l12 = 3e-4, adamWDecay = 0.3;
var tryRuns = new (string Name, TrainOptions Options)[]
{
    ($"L1 λ = {l12}", options with { L1 = l12 }),
    ($"AdamW weight_decay = {adamWDecay}", options with { Optimizer = Optim.AdamW(3e-3, weightDecay: adamWDecay) }),
};
var tryNets = new Dictionary<string, Mlp>();
foreach (var (name, opts) in tryRuns)
{
    tryNets[name] = Net();
    Trainer.Fit(tryNets[name], small, val, opts);
    Record(name, tryNets[name]);
    float[] ws = [.. TorchRegularization.Weights(tryNets[name]).SelectMany(w => w.data<float>().ToArray())];
    Console.WriteLine($"    weights with |w| < 1e-3: {ws.Count(v => Math.Abs(v) < 1e-3) / (double)ws.Length:P1}, exactly 0: {ws.Count(v => v == 0)}");
}

var l1Run = results.Last(r => r.Name.StartsWith("L1"));
float[] l1Weights = [.. TorchRegularization.Weights(tryNets.First(t => t.Key.StartsWith("L1")).Value).SelectMany(w => w.data<float>().ToArray())];
Claim.That("L1 on the network lowers the validation loss below the unpenalized run's and makes over a third of the weights tiny (|w| < 10⁻³) — but none exactly 0",
    l1Run.Val.Loss < big.Val.Loss && l1Weights.Count(v => Math.Abs(v) < 1e-3) > l1Weights.Length / 3 && l1Weights.Count(v => v == 0) == 0,
    $"validation {big.Val.Loss:F3} → {l1Run.Val.Loss:F3}; tiny {l1Weights.Count(v => Math.Abs(v) < 1e-3) / (double)l1Weights.Length:P1}, exact zeros {l1Weights.Count(v => v == 0)}");

// ## Exercises
//
// ### Exercise 1: the soft-threshold step
// Write `SoftThreshold(w, t)`: the proximal step of section 2 for a threshold $t = \eta\lambda \ge 0$ — every entry moves
// $t$ closer to 0, and an entry that would cross 0 stops at exactly 0. Use tensor operations (no loops).
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: the soft-threshold step");

Tensor SoftThreshold(Tensor w, double t)
{
    // TODO: shrink every entry by t towards 0; entries within t of 0 become exactly 0.
    return w;
}

torch.manual_seed(11);
var wTest = torch.randn(1000) * 0.5;
var shrunk = SoftThreshold(wTest, 0.3);
double expectedZeros = wTest.abs().le(0.3).sum().item<long>();
double zeros = shrunk.eq(0).sum().item<long>();
double moved = (wTest - shrunk).abs().where(wTest.abs().gt(0.3), torch.tensor(0.3f)).sub(0.3).abs().max().item<float>();
bool signsKept = (shrunk * wTest).ge(0).all().item<bool>();
Exercise.Check("06-1", zeros == expectedZeros && moved < 1e-6 && signsKept,
    $"exact zeros {zeros} (want {expectedZeros}: every |w| ≤ 0.3), surviving entries moved by 0.3 ± {moved:E1}, signs kept: {signsKept}. " +
    "Idea: an entry's distance to 0 is |w|; after the step it is max(|w| − t, 0); its side of 0 is sign(w) and must not change.",
    codeHint: "w.sign() keeps the side; (w.abs() - t).clamp_min(0) is the new distance to 0");

// ### Exercise 2: inverted dropout
// Write `MyDropout(x, p, train)` with tensor operations: in training, keep each element with probability $1-p$ (compare
// `torch.rand_like(x)` with $p$) and scale the survivors by $1/(1-p)$; in evaluation return `x` unchanged.
Lesson.Section("Exercise 2: inverted dropout");

Tensor MyDropout(Tensor x, double p, bool train)
{
    // TODO: inverted dropout.
    return x;
}

var onesIn = torch.ones(100_000);
var dropped = MyDropout(onesIn, 0.3, train: true);
double zeroFraction = dropped.eq(0).to_type(ScalarType.Float32).mean().item<float>();
var survivors = dropped.masked_select(dropped.ne(0));
double keptMin = survivors.numel() > 0 ? survivors.min().item<float>() : double.NaN;
double keptMax = survivors.numel() > 0 ? survivors.max().item<float>() : double.NaN;
bool evalIdentity = MyDropout(onesIn, 0.3, train: false).eq(onesIn).all().item<bool>();
Exercise.Check("06-2", Math.Abs(zeroFraction - 0.3) < 0.01 && Math.Abs(keptMax - 1 / 0.7) < 1e-5 && Math.Abs(keptMin - 1 / 0.7) < 1e-5 && evalIdentity,
    $"zeros: {zeroFraction:P1} (want ≈ 30 %), survivors in [{keptMin:F4}, {keptMax:F4}] (want {1 / 0.7:F4}), eval identity: {evalIdentity}. Idea: draw one uniform number per element and keep the element when its number is at least p; then ask what factor keeps the mean of the output equal to the mean of the input.",
    codeHint: "var keep = (torch.rand_like(x) >= p).to_type(x.dtype); — then scale the kept values");

// ### Exercise 3: early stopping by hand
// `valLosses` holds the validation loss of each epoch of the 60-epoch run of section 1. Replay early stopping with
// patience 5 on it: an epoch improves when its loss is below the best so far; training stops at the end of the 5th
// epoch in a row without improvement. Set `bestEpoch` and `stopEpoch` (both 1-based). The Trainer's run in section 4
// started from the same weights, so your answer must match it.
Lesson.Section("Exercise 3: early stopping by hand");

double[] valLosses = bigHistory.LossCurve().Validation!;
int bestEpoch = 0, stopEpoch = valLosses.Length;
// TODO: walk through valLosses, track the best loss and the epochs without improvement.

Exercise.Check("06-3", bestEpoch == esHistory.BestEpoch && stopEpoch == esHistory.Epochs.Count,
    $"you found best {bestEpoch}, stop {stopEpoch}; walk the epochs in order remembering two things — the best loss so far (and its epoch) and how many epochs in a row failed to beat it; the run stops at the epoch where that count reaches the patience.",
    codeHint: "double best = double.PositiveInfinity; int bad = 0; for (int e = 1; e <= valLosses.Length; e++) { … }");

// ## Takeaways
// - Overfitting shows as a training loss that keeps falling while the validation loss turns up; underfitting as two
//   high curves — from too small a model or from too little training. Watch the **generalization gap**, and watch the
//   loss, not just the accuracy.
// - L2 shrinks all weights in proportion to their size (weight decay). L1's optimum is sparse, but subgradient steps
//   only make weights hover near 0 (within about $\eta\lambda$); a soft-threshold step, $w \leftarrow \operatorname{sign}(w)\max(|w| - \eta\lambda, 0)$,
//   makes them exactly 0. With Adam, decoupled weight decay (AdamW) is not the same as an L2 penalty.
// - Dropout trains a thinned network each step and is the identity in `eval()` mode (inverted scaling) — the same
//   model as classic dropout's test-time scaling. Choose $p$ on the validation loss: past its minimum the network
//   underfits.
// - Early stopping is free and restores the best weights; augmentation adds label-preserving variety. Each closes the
//   gap at some cost in training fit — which is the point.
Lesson.Section("Takeaways");
