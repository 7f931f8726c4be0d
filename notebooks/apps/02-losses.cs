// 02 · Loss functions — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/02-losses.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/02-losses.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/02-losses/.
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

Lesson.Start("../02-losses.ipynb", "02 · Loss functions");

// # 02 · Loss functions
//
// Training a network means minimising one number, the **loss**, averaged over the training set:
//
// $$\mathcal L(\theta) = \frac1N \sum_{i=1}^{N} \ell\bigl(f_\theta(x_i),\, y_i\bigr).$$
//
// The choice of $\ell$ says what "good" means — and its gradient $\partial\ell/\partial f_\theta(x_i)$ is the very first
// number backpropagation sends into the network, so the loss decides *which* mistakes the model works hardest to fix.
//
// **Objectives** — by the end of this notebook you can:
// - write MSE, MAE and Huber with their gradients, measure why outliers drag an MSE fit, and fit a line with a loss of your choice;
// - write binary and multi-class cross-entropy, with class indices ("sparse") or probability targets;
// - explain why losses take **logits**, and compute them in the numerically stable forms;
// - describe what label smoothing does to the targets and to the model's confidence;
// - tell the two triplet losses (FaceNet's squared distances, PyTorch's plain ones) apart, train an embedding with triplet
//   and contrastive losses, and choose a loss for a task.
//
// Previous: [01 · Activation functions](01-activations.ipynb) · Next: [03 · Optimizers and learning-rate schedules](03-optimizers.ipynb).

torch.manual_seed(0);
torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
var rng = new Rng(0);

// Every loss in PyTorch (and in the scratch half) has a **reduction**: `Mean` (the default, $\frac1N\sum_i \ell_i$),
// `Sum`, or `None` (the vector of $\ell_i$, for weighting examples yourself). Mean makes the loss — and the size of the
// gradient — independent of the batch size.
//
// ## 1. Regression: MSE, MAE and Huber
//
// With the residual $d = \hat y - y$:
//
// | loss | $\ell(d)$ | $\partial\ell/\partial\hat y$ | the best constant prediction |
// | --- | --- | --- | --- |
// | MSE (`mse_loss`) | $d^2$ | $2d$ | the **mean** of the targets |
// | MAE (`l1_loss`) | $\lvert d\rvert$ | $\operatorname{sign}(d)$ | the **median** |
// | Huber (`huber_loss`, $\delta$) | $\tfrac12 d^2$ if $\lvert d\rvert < \delta$, else $\delta(\lvert d\rvert - \tfrac12\delta)$ | $\operatorname{clamp}(d, -\delta, \delta)$ | in between |
//
// MSE's gradient grows with the error, so one point that is off by 10 pulls as hard as a hundred points off by 0.1:
// MSE **chases outliers**. (Statistically, MSE is the negative log-likelihood of Gaussian noise, MAE of Laplace noise,
// whose heavier tails expect the occasional large error.) MAE pulls every point with the same force, which makes it
// robust but gives a gradient that does not shrink near the optimum. Huber (1964) is quadratic near zero and linear in
// the tails: MSE's smooth optimum with MAE's robustness.
//
// **From scratch** (`src/DeepLearning.Scratch/Losses.cs`, `Losses.Huber`): the forward pass keeps the residual, the
// backward pass clamps it.
//
// ```csharp
// var each = Map(diff, d =>
// {
//     T z = T.Abs(d);
//     return z < dt ? half * z * z : dt * (z - (half * dt));   // ½d² inside δ, linear outside
// });
// ...
// // Backward: ∂ℓ/∂ŷ = clamp(d, −δ, δ), times the upstream gradient g (1/N for Mean)
// return Zip(g, cache.Diff, (gi, d) => T.Clamp(d, -delta, delta) * gi);
// ```
//
// **With TorchSharp**: `torch.nn.functional.mse_loss(input, target)`, `l1_loss`, `huber_loss(input, target, delta)`
// (or the modules `torch.nn.MSELoss()`, … ). `Parity.Loss` runs both on the same arrays, for a reduced loss and for
// `Reduction.None` (where the upstream gradient is a random vector):
Lesson.Section("1. Regression: MSE, MAE and Huber");

var pred = rng.NormalArray<float>(0, 2, 8, 3);
var target = rng.NormalArray<float>(0, 2, 8, 3);
var regressionParity = new[]
{
    Parity.Loss("mse", pred, target), Parity.Loss("l1", pred, target), Parity.Loss("huber", pred, target, delta: 1.0),
    Parity.Loss("mse", pred, target, Reduction.None), Parity.Loss("huber", pred, target, Reduction.None, delta: 0.5),
};
foreach (var p in regressionParity) Console.WriteLine($"{p.Topic,-20} loss and ∂L/∂input: max |Δ| = {p.MaxAbsDiff:E2}");
Claim.That("scratch and TorchSharp agree on MSE, MAE and Huber: losses and gradients, reduced and per element",
    regressionParity.All(p => p.Agrees()), $"max |Δ| = {regressionParity.Max(p => p.MaxAbsDiff):E2}");

Lesson.Show(Charts.Functions([
        ("MSE  d²", d => d * d, d => 2 * d),
        ("MAE  |d|", d => Math.Abs(d), d => Math.Sign(d)),
        ("Huber, δ = 1", d => Math.Abs(d) < 1 ? 0.5 * d * d : Math.Abs(d) - 0.5, d => Math.Clamp(d, -1, 1))],
    from: -3, to: 3, title: "Regression losses and their gradients against the residual d = ŷ − y"));

// ### Outliers, measured
//
// `LossExperiments.RobustRegression` draws 100 points on the line $y = 2x + 1$ with a little noise, pushes 10 of them
// far **up** (one-sided outliers, as a faulty sensor would), and fits $\hat y = ax + b$ three times by gradient descent —
// with MSE, with MAE and with Huber ($\delta = 1$):
Lesson.Section("Outliers, measured");

var robust = LossExperiments.RobustRegression(outlierFraction: 0.1);
Console.WriteLine($"true line: slope {robust.TrueSlope}, intercept {robust.TrueIntercept}; {robust.Outliers.Count(o => o)} outliers of {robust.X.Length} points");
foreach (var fit in robust.Fits)
    Console.WriteLine($"{fit.Loss,-6} slope {fit.Slope,6:F3}  intercept {fit.Intercept,6:F3}  distance from the true (slope, intercept): {fit.ParameterError:F3}");
var (mseFit, maeFit, huberFit) = (robust["mse"], robust["mae"], robust["huber"]);
Claim.That("the MSE line is dragged far from the truth (its intercept alone is off by more than 1)",
    mseFit.InterceptError > 1, $"intercept {mseFit.Intercept:F2} vs {robust.TrueIntercept}");
Claim.That("the MAE and Huber lines stay within 0.2 of the true (slope, intercept)",
    maeFit.ParameterError < 0.2 && huberFit.ParameterError < 0.2, $"MAE {maeFit.ParameterError:F3}, Huber {huberFit.ParameterError:F3}");
Claim.That("MSE's error is more than 10× Huber's", mseFit.ParameterError > 10 * huberFit.ParameterError,
    $"{mseFit.ParameterError:F2} vs {huberFit.ParameterError:F3}");

double[] ends = [-1, 1];
var inliers = Enumerable.Range(0, robust.X.Length).Where(i => !robust.Outliers[i]).ToArray();
var outliers = Enumerable.Range(0, robust.X.Length).Where(i => robust.Outliers[i]).ToArray();
Lesson.Show(Charts.PointsAndLines(
    [("data", inliers.Select(i => robust.X[i]).ToArray(), inliers.Select(i => robust.Y[i]).ToArray()),
     ("outliers", outliers.Select(i => robust.X[i]).ToArray(), outliers.Select(i => robust.Y[i]).ToArray())],
    [.. robust.Fits.Select(f => ($"{f.Loss} fit", (IReadOnlyList<double>)ends, (IReadOnlyList<double>)ends.Select(x => f.Slope * x + f.Intercept).ToArray())),
     ("true line", ends, ends.Select(x => robust.TrueSlope * x + robust.TrueIntercept).ToArray())],
    xTitle: "x", yTitle: "y", title: "Ten outliers pull the MSE line; the MAE and Huber lines stay on the data"));

// **Try it: fit the line yourself, with the loss you choose.** The cell below is the whole experiment — the same 100
// points, a line $\hat y = ax + b$ from $(0, 0)$, plain gradient descent. Swap `lossName` between `"mse"`, `"l1"`,
// `"huber"` and `"logcosh"` (a smooth cousin of Huber, $\log\cosh(d)$, written in one line below: add your own the same
// way), change Huber's `delta`, or raise the share of outliers in `LossExperiments.RobustRegression(outlierFraction: …)`
// above and run both cells again. Look at where the line ends and how fast it gets there: at what outlier fraction does
// Huber start to be dragged too, and what does a small `delta` change?

string lossName = "huber";
double delta = 1.0, fitRate = 0.1;
int fitSteps = 300;

var losses = new Dictionary<string, Func<Tensor, Tensor, Tensor>>
{
    ["mse"] = (p, y) => nn.functional.mse_loss(p, y),
    ["l1"] = (p, y) => nn.functional.l1_loss(p, y),
    ["huber"] = (p, y) => nn.functional.huber_loss(p, y, delta: delta),
    ["logcosh"] = (p, y) => torch.log(torch.cosh(p - y)).mean(),
};
var xFit = torch.tensor(robust.X);
var yFit = torch.tensor(robust.Y);
var slope = torch.zeros(1, dtype: ScalarType.Float64, requires_grad: true);
var intercept = torch.zeros(1, dtype: ScalarType.Float64, requires_grad: true);
var fitLosses = new List<double>();
for (int step = 0; step < fitSteps; step++)
{
    var loss = losses[lossName](slope * xFit + intercept, yFit);
    fitLosses.Add(loss.item<double>());
    loss.backward();
    using (torch.no_grad())
    {
        slope.sub_(fitRate * slope.grad!);
        intercept.sub_(fitRate * intercept.grad!);
    }
    slope.grad!.zero_();
    intercept.grad!.zero_();
}
double fitError = Math.Sqrt(Math.Pow(slope.item<double>() - robust.TrueSlope, 2) + Math.Pow(intercept.item<double>() - robust.TrueIntercept, 2));
Console.WriteLine($"{lossName}: slope {slope.item<double>():F3}, intercept {intercept.item<double>():F3}, distance from the truth {fitError:F3}");
Claim.That($"with {lossName} the fitted line lands within 0.2 of the true (slope, intercept)", fitError < 0.2, $"distance {fitError:F3}");
Lesson.Show(Charts.Lines([(lossName, Enumerable.Range(0, fitSteps).Select(s => (double)s).ToArray(), fitLosses.ToArray())],
    xTitle: "gradient-descent step", yTitle: $"{lossName} loss", logY: true, title: "Your fit: the loss per step"));

// Use MSE when errors are roughly Gaussian and every large error is real signal; Huber (PyTorch's `SmoothL1Loss` is the
// same with $\delta = 1$) when the data may contain outliers — it is the standard loss for bounding-box regression
// and for the value targets of reinforcement learning.
//
// ## 2. Classification: binary and multi-class cross-entropy
//
// A binary classifier outputs one **logit** $z$ per example; $p = \sigma(z)$ is the predicted probability of class 1.
// **Binary cross-entropy** is the negative log-likelihood of the label $y \in \{0, 1\}$:
//
// $$\ell = -\bigl[y \log p + (1 - y)\log(1 - p)\bigr], \qquad \frac{\partial \ell}{\partial z} = \sigma(z) - y.$$
//
// That gradient is the prediction minus the target — the same simple form as MSE's for a linear output, and no
// accident: both are "canonical link" pairs. It never vanishes while the prediction is wrong. Compare MSE on the
// probability, $(\sigma(z) - y)^2$, whose gradient $2(\sigma(z) - y)\,\sigma'(z)$ carries the factor $\sigma'(z)$
// that saturates (notebook 01): a *confidently wrong* sigmoid output barely learns.
Lesson.Section("2. Classification: binary and multi-class cross-entropy");

double zWrong = -8;   // target 1, but the model says p = σ(−8) ≈ 0.0003
double ceGrad = Activations.Sigmoid.Apply(zWrong) - 1;
double mseGrad = 2 * (Activations.Sigmoid.Apply(zWrong) - 1) * Activations.Sigmoid.Derivative(zWrong);
Console.WriteLine($"z = {zWrong}, y = 1:  ∂(BCE)/∂z = {ceGrad:F4},  ∂((σ(z) − y)²)/∂z = {mseGrad:E2}");
Claim.That("for a confidently wrong prediction, cross-entropy's gradient is over 1000× larger than MSE-on-probability's",
    Math.Abs(ceGrad) > 1000 * Math.Abs(mseGrad), $"{Math.Abs(ceGrad):F4} vs {Math.Abs(mseGrad):E2}");

Lesson.Show(Charts.Functions([
        ("BCE  −log σ(z)", z => Math.Log(1 + Math.Exp(-z)), z => Activations.Sigmoid.Apply(z) - 1),
        ("MSE  (σ(z) − 1)²", z => Math.Pow(Activations.Sigmoid.Apply(z) - 1, 2),
            z => 2 * (Activations.Sigmoid.Apply(z) - 1) * Activations.Sigmoid.Derivative(z))],
    from: -8, to: 8, title: "Target 1: loss and gradient against the logit z"));

// For $C$ classes the network outputs a logit vector $z \in \mathbb R^C$, and **cross-entropy** compares the target
// distribution $q$ with $p = \mathrm{softmax}(z)$:
//
// $$\ell = -\sum_{c=1}^{C} q_c \log p_c = \underbrace{\log\sum_j e^{z_j}}_{\text{log-sum-exp}} - \sum_c q_c z_c, \qquad \frac{\partial \ell}{\partial z} = p - q.$$
//
// (In information-theory terms, $\ell = H(q) + \mathrm{KL}(q\,\|\,p)$: minimising it pulls $p$ towards $q$.) The target
// can be given two ways, and PyTorch's `cross_entropy` accepts both:
// - **class indices** (an `int64` tensor of shape `[N]`) — $q$ is one-hot, and $\ell = -\log p_y = \mathrm{logsumexp}(z) - z_y$.
//   Keras calls this *sparse* categorical cross-entropy: no $N \times C$ one-hot matrix is ever built;
// - **class probabilities** (a float tensor shaped like the logits) — soft labels, mixtures, distillation targets.
//
// `nll_loss` takes **log-probabilities** and indices, so `cross_entropy(z, y) = nll_loss(log_softmax(z), y)`.

var logitsT = torch.randn(4, 3) * 2;
var labelsT = torch.tensor(new long[] { 0, 2, 1, 2 });
var oneHot = torch.nn.functional.one_hot(labelsT, 3).to_type(ScalarType.Float32);
double ceIndices = torch.nn.functional.cross_entropy(logitsT, labelsT).item<float>();
double ceProbabilities = torch.nn.functional.cross_entropy(logitsT, oneHot).item<float>();
double nll = torch.nn.functional.nll_loss(torch.nn.functional.log_softmax(logitsT, 1), labelsT).item<float>();
Console.WriteLine($"cross_entropy(z, indices) = {ceIndices:F6}\ncross_entropy(z, one-hot) = {ceProbabilities:F6}\nnll_loss(log_softmax(z), indices) = {nll:F6}");
Claim.That("indices, one-hot probabilities and log_softmax + nll_loss give the same cross-entropy",
    Math.Abs(ceIndices - ceProbabilities) < 1e-6 && Math.Abs(ceIndices - nll) < 1e-6, $"{ceIndices:F6}, {ceProbabilities:F6}, {nll:F6}");

// **From scratch** (`Losses.CrossEntropy`): both target forms become a distribution $q$ per row; the forward pass is
// a log-softmax and a dot product, the backward pass is $p\sum_c q_c - q$ (which is $p - q$ when $q$ sums to 1):
//
// ```csharp
// var logp = Activations.LogSoftmax.Forward(logits).Out;                     // log-sum-exp inside, never log(0)
// for (int i = 0; i < n; i++) each[i] = -TensorPrimitives.Dot<T>(q.Row(i), logp.Row(i));
// ...
// // Backward
// T mass = TensorPrimitives.Sum<T>(q.Row(i));
// for (int j = 0; j < c; j++) dx[i, j] = g[i] * ((p[i, j] * mass) - q[i, j]);
// ```

var logitsS = rng.NormalArray<float>(0, 2, 6, 4);
int[] labelsS = [0, 3, 1, 1, 2, 0];
var softTargets = Activations.Softmax.Forward(rng.NormalArray<float>(0, 1, 6, 4)).Out;
var probsS = Activations.Sigmoid.Forward(logitsS).Out;
var binaryTargets = rng.UniformArray<float>(0, 1, 6, 4);
var classificationParity = new[]
{
    Parity.Loss("bce", probsS, binaryTargets),
    Parity.Loss("bce_with_logits", logitsS, binaryTargets),
    Parity.Loss("cross_entropy", logitsS, labelsS),
    Parity.Loss("cross_entropy", logitsS, softTargets),
    Parity.Loss("nll", Activations.LogSoftmax.Forward(logitsS).Out, labelsS),
    Parity.Loss("cross_entropy", logitsS, labelsS, Reduction.None),
};
Lesson.Show(classificationParity[2]);   // one report in full: the rows compare the loss and its gradient; section 5 folds the rest into one table

// ## 3. Logits, not probabilities: the numerically stable forms
//
// Why do `binary_cross_entropy_with_logits` and `cross_entropy` take **logits** rather than probabilities? Because
// computing the probability first and then its logarithm throws digits away — and eventually produces $\infty$ or NaN.
// In float32, $\sigma(z)$ rounds to exactly $1$ once $z \gtrsim 17$ (at 18 it certainly has), so $\log(1 - \sigma(z)) = \log 0 = -\infty$, although
// the true value is simply $\approx -z$. Working with the logit directly avoids both the exponent and the subtraction:
//
// $$-\log\bigl(1 - \sigma(z)\bigr) = \log(1 + e^{z}) = \max(z, 0) + \log\bigl(1 + e^{-|z|}\bigr),$$
//
// $$\log\sum_j e^{z_j} = m + \log\sum_j e^{z_j - m}, \quad m = \max_j z_j \qquad\text{(the log-sum-exp trick)}.$$
//
// Neither form ever exponentiates a positive number. `LossExperiments.LogitsVsProbabilities` computes three losses
// naively and stably in float32 for growing logits, with their autograd gradients:
Lesson.Section("3. Logits, not probabilities: the numerically stable forms");

float sigmoid18 = torch.sigmoid(torch.tensor(18f)).item<float>();
Claim.That("in float32, σ(18) is exactly 1", sigmoid18 == 1f, $"σ(18) = {sigmoid18:R}");
var stability = LossExperiments.LogitsVsProbabilities([1, 10, 50, 100, 1000]);   // try larger or negative logits
foreach (var r in stability)
    Console.WriteLine($"{r.NaiveForm,-24} z = {r.Logit,4}:  naive {r.Naive,12:G6} (∂/∂z {r.NaiveGradient,9:G4})   stable {r.Stable,10:G6} (∂/∂z {r.StableGradient:G4})");
Claim.That("at z = 1 the naive and stable forms agree", stability.Where(r => r.Logit == 1).All(r => Math.Abs(r.Naive - r.Stable) < 1e-5),
    "all three rows");
Claim.That("naive BCE is already infinite at z = 50", stability.Any(r => r.Logit == 50 && double.IsPositiveInfinity(r.Naive)), "−log(1 − σ(50)) = −log 0");
Claim.That("at z = 1000 every naive form fails (∞ or NaN) while every stable one returns the loss 1000 with gradient 1",
    stability.Where(r => r.Logit == 1000).All(r => !r.NaiveFinite && Math.Abs(r.Stable - 1000) < 1e-3 && Math.Abs(r.StableGradient - 1) < 1e-6),
    "3 of 3 rows");
var textbook50 = stability.Single(r => r.Logit == 50 && r.NaiveForm.StartsWith("−log(e⁰"));
Claim.That("long before it overflows, the textbook softmax is already inaccurate: its gradient at z = 50 is off by more than 1%",
    Math.Abs(textbook50.NaiveGradient - 1) > 0.01, $"{textbook50.NaiveGradient:F4} instead of 1");
var bce10 = stability.Single(r => r.Logit == 10 && r.NaiveForm == "−log(1 − σ(z))");
double bce10Error = Math.Abs(bce10.Naive - bce10.Stable) / bce10.Stable;
Claim.That("at z = 10 naive BCE is wrong in the fifth digit (relative error above 1e-5; float32 resolves 6e-8)",
    bce10Error > 1e-5, $"{bce10.Naive:G7} vs {bce10.Stable:G7}, relative error {bce10Error:E1}");

// The same comparison on a fine grid of logits: the naive form's relative error against z, one line per form.
double[] zGrid = [.. Enumerable.Range(0, 31).Select(i => Math.Pow(10, i / 10.0))];   // 1 … 1000
var fine = LossExperiments.LogitsVsProbabilities(zGrid);
const double Exact = 1e-9;   // float32 agreed to every digit: drawn at 1e-9 so the log axis can show it
Lesson.Show(Charts.Lines([.. fine.GroupBy(r => r.NaiveForm).Select(g => (g.Key, (IReadOnlyList<double>)g.Select(r => r.Logit).ToArray(),
        (IReadOnlyList<double>)g.Select(r => !r.NaiveFinite ? double.NaN : Math.Max(Math.Abs(r.Naive - r.Stable) / Math.Abs(r.Stable), Exact)).ToArray()))],
    xTitle: "logit z", yTitle: "relative error of the naive loss (gap: ∞ or NaN)", logX: true, logY: true, markers: true,
    title: "Probability-then-log loses digits, then fails; the logit forms stay exact"));

// Even where the naive forms still return numbers, they lose digits: at $z = 10$ the naive BCE is already wrong in the
// fifth digit, and at $z = 50$ the textbook softmax gives a gradient about 2% off. In the chart each naive line climbs
// as $z$ grows and then stops: past that point it returns $\infty$ or NaN.
//
// So: the model's last layer outputs **logits** (no sigmoid, no softmax), and the loss is
// `binary_cross_entropy_with_logits` or `cross_entropy`. The course's `TorchLosses.Apply` catches the most common
// slip — feeding logits to the probability version `bce`:

try
{
    TorchLosses.Apply("bce", torch.tensor(new float[] { 2.5f, -1f }), torch.tensor(new float[] { 1f, 0f }));
}
catch (ArgumentOutOfRangeException e)
{
    Console.WriteLine(e.Message);
}

// ## 4. Label smoothing
//
// With one-hot targets, cross-entropy is only minimised in the limit $p_y \to 1$, i.e. when the correct logit is
// *infinitely* larger than the others: training keeps pushing logits apart, and the model becomes over-confident.
// **Label smoothing** (Szegedy et al. 2016) mixes the one-hot target with the uniform distribution,
//
// $$q = (1 - \varepsilon)\,\mathrm{onehot}(y) + \frac{\varepsilon}{C},$$
//
// so the best prediction is now finite: $p_y = 1 - \varepsilon + \varepsilon/C$, reached at the logit gap
// $z_y - z_{c} = \log\frac{1 - \varepsilon + \varepsilon/C}{\varepsilon/C}$. In PyTorch it is one argument,
// `cross_entropy(z, y, label_smoothing: ε)`. `LossExperiments.LabelSmoothing` trains the ten free logits of one example
// to convergence (what a large network can do to any one training example) with and without it:
Lesson.Section("4. Label smoothing");

var hard = LossExperiments.LabelSmoothing(0.0);
var smooth = LossExperiments.LabelSmoothing(0.1);
Console.WriteLine($"ε = 0.1, C = 10: smoothed target q = [{string.Join(", ", smooth.Target.Select(v => v.ToString("0.##")))}]");
foreach (var r in new[] { hard, smooth })
    Console.WriteLine($"ε = {r.Epsilon}: confidence after training {r.TrainedConfidence:F4} (optimum {r.OptimalConfidence:F4}), logit gap {r.LogitGap:F2} (optimum {r.OptimalLogitGap:F2}), loss floor {r.LossFloor + 0.0:F3}");
Claim.That("torch's label_smoothing is cross-entropy against the smoothed target", smooth.TorchLossMatches < 1e-6, $"|Δ| = {smooth.TorchLossMatches:E1}");
Claim.That("with ε = 0.1 training stops at confidence 0.91 and the predicted logit gap",
    Math.Abs(smooth.TrainedConfidence - 0.91) < 1e-3 && Math.Abs(smooth.LogitGap - smooth.OptimalLogitGap) < 1e-2,
    $"confidence {smooth.TrainedConfidence:F4}, gap {smooth.LogitGap:F3} vs {smooth.OptimalLogitGap:F3}");
Claim.That("without smoothing the confidence passes 0.99 and the gap keeps growing (already 2 larger after 500 steps)",
    hard.TrainedConfidence > 0.99 && hard.LogitGap > smooth.LogitGap + 2, $"confidence {hard.TrainedConfidence:F4}, gap {hard.LogitGap:F2}");

double[] epsilons = [0, 0.05, 0.1, 0.2, 0.3];
var smoothingRuns = epsilons.Select(e => LossExperiments.LabelSmoothing(e)).ToList();
Lesson.Show(Charts.Lines([
        ("confidence after training", epsilons, smoothingRuns.Select(r => r.TrainedConfidence).ToArray()),
        ("optimum 1 − ε + ε/C", epsilons, smoothingRuns.Select(r => r.OptimalConfidence).ToArray())],
    xTitle: "label smoothing ε", yTitle: "softmax probability of the true class", markers: true,
    title: "Label smoothing caps the confidence a model is rewarded for"));

// Smoothing acts as a regulariser: it keeps logits bounded, and Müller, Kornblith & Hinton (2019) found that it also
// makes predicted probabilities better calibrated (this notebook measures the bounded confidence, not calibration). $\varepsilon = 0.1$ is the usual choice for image classifiers and Transformers.
//
// ## 5. Losses for embeddings: triplet and contrastive
//
// Sometimes the output is not a class but an **embedding** — a vector $f(x)$ such that similar inputs are close (face
// verification, image search, retrieval). The losses then compare *pairs* or *triplets* of outputs with the distance
// $d(u, v) = \lVert u - v\rVert_2$:
//
// - **Contrastive loss** (Hadsell, Chopra & LeCun 2006), for a pair with $y = 1$ if similar, $0$ if not:
//   $\ell = y\,d^2 + (1 - y)\max(0,\, m - d)^2$ — pull similar pairs together, push dissimilar ones until they are at
//   least the margin $m$ apart. PyTorch has no built-in; `TorchLosses.Contrastive` builds it from tensor primitives.
// - **Triplet loss**, for an anchor $a$, a positive $p$ (same identity) and a negative $n$: the negative must be farther
//   from the anchor than the positive by a margin. It comes in two forms, and they are not interchangeable:
//   - FaceNet (Schroff, Kalenichenko & Philbin 2015) uses **squared** distances on unit-length embeddings,
//     $\ell = \max\bigl(d(a, p)^2 - d(a, n)^2 + \alpha,\, 0\bigr)$, with a margin $\alpha = 0.2$;
//   - PyTorch's `torch.nn.functional.triplet_margin_loss` (after Balntas et al. 2016) uses the distances themselves,
//     $\ell = \max\bigl(d(a, p) - d(a, n) + m,\, 0\bigr)$, default $m = 1$. This is what `TorchLosses.TripletMargin`, the
//     scratch `Losses.TripletMargin` and the experiment below use.
//
//   A margin means different things in the two forms (a squared distance grows faster than the distance), so the same
//   triplet can be hard in one and easy in the other.
//
// The hinge $\max(\cdot, 0)$ means a triplet that already satisfies the margin contributes **nothing**, loss and
// gradient. With $d(a, p) = 0.5$ and $m = 1$, a *hard* negative at distance 0.3, a *semi-hard* one at 1.2 and an *easy*
// one at 2.0 — first in PyTorch's form, then in FaceNet's squared form with the same margin:
Lesson.Section("5. Losses for embeddings: triplet and contrastive");

var anchor = torch.zeros(3, 2);
var positive = torch.tensor(new float[] { 0.5f, 0, 0.5f, 0, 0.5f, 0 }, new long[] { 3, 2 });
var negative = torch.tensor(new float[] { 0, 0.3f, 0, 1.2f, 0, 2.0f }, new long[] { 3, 2 }).requires_grad_();
var perTriplet = TorchLosses.TripletMargin(anchor, positive, negative, Reduction.None, margin: 1.0);
perTriplet.sum().backward();
float[] tripletLosses = perTriplet.data<float>().ToArray();
Console.WriteLine($"loss per triplet (hard, semi-hard, easy): [{string.Join(", ", tripletLosses.Select(v => v.ToString("F3")))}]");
Console.WriteLine($"gradient on the easy negative: {negative.grad![2].ToNDArray()}");
Claim.That("hard and semi-hard triplets cost d(a,p) − d(a,n) + m = 1.2 and 0.3, the easy one nothing",
    Math.Abs(tripletLosses[0] - 1.2) < 1e-4 && Math.Abs(tripletLosses[1] - 0.3) < 1e-4 && tripletLosses[2] == 0, string.Join(", ", tripletLosses));
Claim.That("the easy negative receives zero gradient", negative.grad![2].abs().max().item<float>() == 0, "max |∂ℓ/∂n| = 0");
// FaceNet's form on the same triplets: squared distances, written with tensor operations.
var squaredLosses = ((anchor - positive).pow(2).sum(1) - (anchor - negative.detach()).pow(2).sum(1) + 1.0).clamp_min(0).data<float>().ToArray();
Console.WriteLine($"squared-distance form, margin 1 (hard, semi-hard, easy): [{string.Join(", ", squaredLosses.Select(v => v.ToString("F3")))}]");
Claim.That("with squared distances the hard triplet costs d(a,p)² − d(a,n)² + m = 0.25 − 0.09 + 1 = 1.16, and the semi-hard one is already satisfied",
    Math.Abs(squaredLosses[0] - 1.16) < 1e-4 && squaredLosses[1] == 0 && squaredLosses[2] == 0, string.Join(", ", squaredLosses.Select(v => v.ToString("F3"))));

var emb = rng.NormalArray<float>(0, 1, 5, 3);
var embPositive = rng.NormalArray<float>(0, 1, 5, 3);
var embNegative = rng.NormalArray<float>(0, 1, 5, 3);
var lossParity = Parity.Table([.. classificationParity,
    Parity.Loss("cross_entropy", logitsS, labelsS, labelSmoothing: 0.1),
    Parity.TripletMarginLoss(emb, embPositive, embNegative, margin: 2.0),
    Parity.ContrastiveLoss(emb, embNegative, [1, 0, 1, 0, 0], margin: 2.0),
    Parity.ContrastiveLoss(emb, embNegative, [1, 0, 1, 0, 0], Reduction.None, margin: 2.0)]);
Claim.That("scratch and TorchSharp agree on every classification, smoothed, triplet and contrastive loss and their gradients",
    lossParity.Agrees(), $"{lossParity.Reports.Count} checks, max |Δ| = {lossParity.MaxAbsDiff:E2}");
Lesson.Show(lossParity);

// ### An embedding learned from "same" and "different" only
//
// `LossExperiments.Embedding` trains a small network $64 \to 64 \to 2$ on the 8×8 digits — but never tells it which digit
// an image is. The triplet loss sees only "this one is the same digit as the anchor, that one is not"; the contrastive
// loss only "same" or "different" per pair. We measure the held-out test images (30 % of the set) before and after training: the
// accuracy of labelling each with its **nearest training image** in the 2-D embedding, and the mean distance between
// images of the same digit divided by the mean distance between different digits.
Lesson.Section("An embedding learned from \"same\" and \"different\" only");

var tripletRun = LossExperiments.Embedding("triplet");
var contrastiveRun = LossExperiments.Embedding("contrastive");
Console.WriteLine($"{tripletRun.TestLabels.Length} test images");
foreach (var r in new[] { tripletRun, contrastiveRun })
    Console.WriteLine($"{r.Loss,-11}: nearest-neighbour accuracy {r.NearestNeighbourBefore:P1} → {r.NearestNeighbourAfter:P1};  within/between distance {r.DistanceRatioBefore:F2} → {r.DistanceRatioAfter:F2}");
Claim.That("both losses raise nearest-neighbour accuracy in 2-D by more than 40 points, to over 80%",
    new[] { tripletRun, contrastiveRun }.All(r => r.NearestNeighbourAfter > r.NearestNeighbourBefore + 0.4 && r.NearestNeighbourAfter > 0.8),
    $"triplet {tripletRun.NearestNeighbourAfter:P1}, contrastive {contrastiveRun.NearestNeighbourAfter:P1}");
Claim.That("images of the same digit end up less than 0.4× as far apart as images of different digits",
    tripletRun.DistanceRatioAfter < 0.4 && contrastiveRun.DistanceRatioAfter < 0.4,
    $"{tripletRun.DistanceRatioAfter:F2} and {contrastiveRun.DistanceRatioAfter:F2}");

Lesson.Show(Charts.Scatter(Enumerable.Range(0, 10).Select(digit =>
    {
        var rows = Enumerable.Range(0, tripletRun.TestLabels.Length).Where(i => tripletRun.TestLabels[i] == digit).ToArray();
        return (digit.ToString(), (IReadOnlyList<double>)rows.Select(i => (double)tripletRun.TestEmbedding[i, 0]).ToArray(),
            (IReadOnlyList<double>)rows.Select(i => (double)tripletRun.TestEmbedding[i, 1]).ToArray());
    }).ToList(),
    xTitle: "embedding 1", yTitle: "embedding 2", title: "Test digits in the 2-D embedding learned with the triplet loss"));

// Real systems use larger embeddings (128–512 dimensions), normalise them to the unit sphere, and mine *hard* and
// *semi-hard* triplets inside each batch, since random triplets soon become easy and stop contributing (as the table
// above showed). Contrastive learning on images (SimCLR, CLIP) uses a softmax cross-entropy over many negatives —
// the InfoNCE loss — in the same spirit.
//
// ## 6. Choosing a loss
//
// | task | last layer outputs | loss (TorchSharp) |
// | --- | --- | --- |
// | regression | values, no activation | `mse_loss`; `huber_loss` / `smooth_l1_loss` with outliers; `l1_loss` for the median |
// | binary classification | 1 logit | `binary_cross_entropy_with_logits` (`pos_weights` for imbalance) |
// | multi-label (several yes/no) | $C$ logits | `binary_cross_entropy_with_logits` per class |
// | one of $C$ classes | $C$ logits | `cross_entropy` with class indices (`label_smoothing: 0.1` to regularise) |
// | soft / distilled labels | $C$ logits | `cross_entropy` with probability targets |
// | similarity, retrieval | an embedding | triplet or contrastive loss (or InfoNCE) |
//
// ## Exercises
//
// ### Exercise 1: Huber by hand
// Write the Huber loss of one residual $d$ for a given $\delta$.
Lesson.Section("6. Choosing a loss");
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: Huber by hand");

// TODO: ½d² for |d| < δ, δ(|d| − ½δ) otherwise.
Func<double, double, double> huber = (d, delta) => 0.5 * d * d;

double[] residuals = Enumerable.Range(-40, 81).Select(i => i / 10.0 + 0.013).ToArray();
double huberError = 0;
foreach (double d in new[] { 0.5, 1.0, 2.0 })
{
    var expected = torch.nn.functional.huber_loss(torch.tensor(residuals), torch.zeros(residuals.Length, dtype: ScalarType.Float64), d, nn.Reduction.None).data<double>().ToArray();
    huberError = Math.Max(huberError, residuals.Select((r, i) => Math.Abs(huber(r, d) - expected[i])).Max());
}
Exercise.Check("02-1", huberError < 1e-12,
    $"inside |d| < δ it is ½d²; outside it continues as a straight line whose value and slope match ½d² at |d| = δ (max error now {huberError:E2})",
    codeHint: "Math.Abs(d) < delta ? 0.5 * d * d : delta * (Math.Abs(d) - …)");

// ### Exercise 2: cross-entropy from logits, stably
// Write the cross-entropy of one example from its logits $z$ and its class $y$, $\ell = \mathrm{logsumexp}(z) - z_y$, so
// that it works for any finite logits — including $[1000, 0, -1000]$ with $y = 1$, where the loss is 1000.
Lesson.Section("Exercise 2: cross-entropy from logits, stably");

double CrossEntropyFromLogits(double[] z, int y)
{
    // TODO: use log-sum-exp with the maximum subtracted.
    double p = Math.Exp(z[y]) / z.Sum(Math.Exp);
    return -Math.Log(p);
}

double[] probeLogits = [0.3, -1.2, 2.5, 0.0];
double expectedCe = torch.nn.functional.cross_entropy(torch.tensor(probeLogits).unsqueeze(0), torch.tensor(new long[] { 2 })).item<double>();
double extreme = CrossEntropyFromLogits([1000, 0, -1000], 1);
Exercise.Check("02-2", Math.Abs(CrossEntropyFromLogits(probeLogits, 2) - expectedCe) < 1e-12 && Math.Abs(extreme - 1000) < 1e-9,
    $"never form the probability: write the loss as log Σ e^z − z_y and evaluate the log-sum with the largest logit factored out (for [1000, 0, −1000], y = 1 you return {extreme})",
    codeHint: "double m = z.Max(); double logSumExp = m + Math.Log(z.Sum(v => Math.Exp(v - m))); …");

// ### Exercise 3: the smoothed target
// Build the label-smoothed target distribution $q$ for `classes` classes, true class `label` and smoothing
// $\varepsilon$ = `epsilon`. The check compares `cross_entropy` against your $q$ with PyTorch's built-in `label_smoothing`.
Lesson.Section("Exercise 3: the smoothed target");

double[] SmoothedTarget(int classes, int label, double epsilon)
{
    // TODO: (1 − ε)·one-hot + ε/C.
    var q = new double[classes];
    q[label] = 1;
    return q;
}

var q5 = SmoothedTarget(5, 3, 0.2);
var z5 = torch.randn(1, 5, dtype: ScalarType.Float64);
double withTarget = torch.nn.functional.cross_entropy(z5, torch.tensor(q5).unsqueeze(0)).item<double>();
double builtIn = torch.nn.functional.cross_entropy(z5, torch.tensor(new long[] { 3 }), label_smoothing: 0.2).item<double>();
Exercise.Check("02-3", q5.Length == 5 && Math.Abs(q5.Sum() - 1) < 1e-12 && Math.Abs(withTarget - builtIn) < 1e-12,
    $"mix two distributions with weights 1 − ε and ε: the one-hot target and the uniform one (your q: [{string.Join(", ", q5)}])",
    codeHint: "start every entry at epsilon / classes, then add 1 − epsilon to q[label]");

// ## Takeaways
// - The loss decides which mistakes matter: MSE's gradient grows with the error (outliers dominate), MAE's does not,
//   Huber is quadratic near zero and linear beyond $\delta$.
// - Cross-entropy's gradient with respect to the logits is simply $p - q$; it does not saturate the way MSE on a
//   sigmoid does. Targets can be class indices ("sparse") or probabilities.
// - Give losses **logits**: `binary_cross_entropy_with_logits` and `cross_entropy` use log-sum-exp forms that stay
//   finite where probability-then-log loses digits and then returns $\infty$ or NaN.
// - Label smoothing replaces the unreachable target 1 by $1 - \varepsilon + \varepsilon/C$, bounding logits and confidence.
// - Triplet and contrastive losses shape an embedding from "same / different" alone; satisfied triplets contribute
//   nothing. FaceNet's triplet loss uses squared distances, PyTorch's `triplet_margin_loss` plain ones — a margin
//   means different things in each.
Lesson.Section("Takeaways");
