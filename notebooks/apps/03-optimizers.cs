// 03 · Optimizers and learning-rate schedules — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/03-optimizers.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/03-optimizers.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/03-optimizers/.
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

Lesson.Start("../03-optimizers.ipynb", "03 · Optimizers and learning-rate schedules");

// # 03 · Optimizers and learning-rate schedules
//
// Autograd gives the gradient $\nabla_\theta \mathcal L$ (notebook 00 let it, notebook 04 shows how it is computed); an
// **optimizer** decides what to do with it. The simplest rule, gradient descent, steps downhill: $\theta \leftarrow \theta - \eta\,\nabla_\theta\mathcal L(\theta)$.
// Everything in this notebook is a refinement of that line — which examples the gradient is computed on, how past
// gradients are remembered, how each parameter's step is scaled, and how the learning rate $\eta$ changes over time.
//
// **Objectives** — by the end of this notebook you can:
// - explain batch, minibatch and stochastic gradient descent and measure their trade-off;
// - explain momentum (velocity as inertia) and Nesterov's look-ahead, and see them cross a ravine, leave a saddle and
//   roll out of a shallow local minimum;
// - write RMSprop, Adam (with its bias correction) and AdamW, and check them against `torch.optim`;
// - read optimizer trajectories on a ravine, a saddle and Rosenbrock's valley;
// - use step, exponential and cosine learning-rate schedules, and compare optimizers and schedules on one real model;
// - tune a learning rate and a momentum on validation data, and race your own optimizer and schedule.
//
// Previous: [02 · Loss functions](02-losses.ipynb) · Next: [04 · Backpropagation](04-backprop.ipynb).

torch.manual_seed(0);
torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
var rng = new Rng(0);

// An optimizer race drawn over the contours of its loss surface.
Figure RaceChart(LossSurface surface, IReadOnlyList<RaceEntry> race, string title, bool logLevels = false) =>
    Charts.Trajectories(surface.Value, surface.XRange, surface.YRange,
        race.Select(e => (e.Optimizer, (IReadOnlyList<(double X, double Y)>)e.Trajectory.Points.Select(p => (p.X, p.Y)).ToList())).ToList(),
        minimum: surface.CriticalPoint, logLevels: logLevels, title: title);

// The loss of every optimizer of a race against the step, on a log scale: who gets low, and how fast.
Figure LossPerStep(IReadOnlyList<RaceEntry> race, string title, double floor = 1e-12) =>
    Charts.Lines([.. race.Select(e => (e.Optimizer, (IReadOnlyList<double>)e.Trajectory.Points.Select(p => (double)p.Step).ToArray(),
            (IReadOnlyList<double>)e.Trajectory.Points.Select(p => Math.Max(p.Loss, floor)).ToArray()))],
        xTitle: "step", yTitle: "loss", logY: true, title: title);

// ## 1. Batch, minibatch, stochastic
//
// The training loss is an average over $N$ examples, so its gradient is too: $\nabla\mathcal L = \frac1N\sum_i \nabla\ell_i$.
// - **Batch** gradient descent uses all $N$ examples per step: the exact gradient, one step per epoch.
// - **Stochastic** gradient descent (SGD, Robbins & Monro 1951) uses one example: a noisy but unbiased estimate,
//   $N$ steps per epoch.
// - **Minibatch** gradient descent uses $B$ examples (typically 32–512): $N/B$ steps per epoch, noise shrinking like
//   $1/\sqrt B$, and a batch that fills the vector units of a CPU or GPU. This is what "SGD" means in practice.
//
// `OptimizerExperiments.BatchSizes` fits the same linear regression (64 examples, 4 features) from the same initial
// weights with `torch.optim.SGD` at one learning rate, using batches of 64, 8 and 1:
Lesson.Section("1. Batch, minibatch, stochastic");

var runs = OptimizerExperiments.BatchSizes([64, 8, 1], epochs: 20, learningRate: 0.05);
foreach (var r in runs)
    Console.WriteLine($"{r.Name,-15} {r.UpdateLoss.Length,5} updates;  full-data loss after 1, 5, 20 epochs: {r.EpochLoss[1]:F3}, {r.EpochLoss[5]:F3}, {r.EpochLoss[20]:F4}");
var (batchRun, miniRun, sgdRun) = (runs[0], runs[1], runs[2]);
int rises = Enumerable.Range(1, sgdRun.UpdateLoss.Length - 1).Count(i => sgdRun.UpdateLoss[i] > sgdRun.UpdateLoss[i - 1]);
Claim.Fact($"64 examples in batches of 64, 8 and 1 give 1, 8 and 64 updates per epoch: {batchRun.UpdateLoss.Length}, {miniRun.UpdateLoss.Length} and {sgdRun.UpdateLoss.Length} in 20 epochs");
Claim.That("after 5 epochs the minibatch run's loss is less than 1/5 of the full-batch run's",
    miniRun.EpochLoss[5] < batchRun.EpochLoss[5] / 5, $"{miniRun.EpochLoss[5]:F3} vs {batchRun.EpochLoss[5]:F3}");
Claim.That("the full-batch loss falls at every update, the single-example loss jumps up at more than 1 update in 4",
    batchRun.UpdateLoss.Zip(batchRun.UpdateLoss.Skip(1)).All(p => p.Second < p.First) && rises > sgdRun.UpdateLoss.Length / 4,
    $"stochastic: the loss rose at {rises} of {sgdRun.UpdateLoss.Length} updates");
Claim.That("after 20 epochs single examples hover at a noise floor above the minibatch run's loss",
    sgdRun.EpochLoss[20] > miniRun.EpochLoss[20], $"{sgdRun.EpochLoss[20]:F4} vs {miniRun.EpochLoss[20]:F4}");

Lesson.Show(Charts.Lines(runs.Select(r => (r.Name, (IReadOnlyList<double>)Enumerable.Range(0, r.EpochLoss.Length).Select(e => (double)e).ToArray(),
        (IReadOnlyList<double>)r.EpochLoss)).ToList(),
    xTitle: "epoch", yTitle: "full-data MSE", logY: true, markers: true, title: "More, noisier updates per epoch make faster progress per epoch"));

// Per *epoch* small batches win — until their noise sets a floor: at a fixed learning rate single examples keep
// jumping around the minimum instead of settling (learning-rate schedules, section 6, fix that). Per *update* the full
// batch is better, and per *second* the answer depends on the
// hardware. The noise is not only a cost: it helps SGD leave sharp minima and saddle points. From here on, "SGD" means
// minibatch SGD, and the 2-D examples use the exact gradient so that the optimizers themselves are what differ.
//
// ## 2. The ravine, and momentum
//
// Most loss surfaces are **ill-conditioned**: much steeper in some directions than in others. The simplest model is the
// quadratic ravine $f(x, y) = \tfrac12(x^2 + \kappa y^2)$ with condition number $\kappa$ (here 20). Gradient descent
// updates each coordinate separately:
//
// $$x \leftarrow (1 - \eta)\,x, \qquad y \leftarrow (1 - \eta\kappa)\,y.$$
//
// Stability across the ravine needs $|1 - \eta\kappa| < 1$, i.e. $\eta < 2/\kappa = 0.1$; but then along the ravine $x$
// shrinks by only $1 - \eta$ per step. The steep direction dictates the learning rate, the flat direction dictates the
// number of steps — about $\kappa$ times more than a well-conditioned problem would need.
//
// **Momentum** (Polyak 1964) keeps a velocity $v$, an exponentially decaying sum of past gradients, and steps along it:
//
// $$v \leftarrow \mu v + \nabla\mathcal L(\theta), \qquad \theta \leftarrow \theta - \eta\, v.$$
//
// Think of a heavy ball rolling with friction $1 - \mu$: gradients that keep pointing the same way (along the ravine)
// accumulate, up to an effective step $\eta/(1 - \mu) = 10\eta$ for $\mu = 0.9$; gradients that flip sign every step
// (across the ravine) cancel out. **Nesterov momentum** (Nesterov 1983; Sutskever et al. 2013) evaluates the gradient
// where the velocity is about to carry the ball, a look-ahead that brakes earlier; PyTorch implements it as the step
// $g + \mu v$ instead of $v$.
//
// **From scratch** (`src/DeepLearning.Scratch/Optimizers.cs`, `Sgd<T>.Update`), exactly as `torch.optim.SGD` documents
// it (weight decay, dampening τ, Nesterov included):
//
// ```csharp
// T gi = g[i];
// if (WeightDecay != 0) gi += wd * theta[i];                  // L2: g ← g + λθ
// if (_b is not null)
// {
//     b[i] = first ? gi : (mu * b[i]) + (oneMinusTau * gi);   // velocity (torch starts it at the first gradient)
//     gi = Nesterov ? gi + (mu * b[i]) : b[i];                // look-ahead or plain momentum
// }
// theta[i] -= lr * gi;
// ```
//
// **With TorchSharp**: `torch.optim.SGD(model.parameters(), lr, momentum: 0.9, nesterov: true)`. `OptimizerSpec`
// describes an optimizer once and builds both (`CreateScratch`, `CreateTorch`); `Parity.Optimizer` runs both on the
// same linear-regression problem for 20 steps and compares the parameters after every step:
Lesson.Section("2. The ravine, and momentum");

var sgdParity = new[]
{
    Parity.Optimizer(OptimizerSpec.Sgd(0.1), steps: 20),
    Parity.Optimizer(OptimizerSpec.Sgd(0.1, momentum: 0.9), steps: 20),
    Parity.Optimizer(OptimizerSpec.Sgd(0.05, momentum: 0.9, nesterov: true), steps: 20),
};
foreach (var p in sgdParity) Console.WriteLine($"{p.Topic}: max |Δ| over 20 steps = {p.MaxAbsDiff:E2}");
Claim.That("scratch SGD, momentum and Nesterov follow torch.optim.SGD step for step", sgdParity.All(p => p.Agrees()),
    $"max |Δ| = {sgdParity.Max(p => p.MaxAbsDiff):E2}");

// Now the race. Every optimizer starts at $(-4, 1)$ on the ravine; SGD, momentum and Nesterov use $\eta = 0.02$,
// RMSprop and Adam (section 4) use $\eta = 0.1$ — the learning rates are the first line of the cell, so you can rerun
// the race with your own. We count the steps until the loss is below $10^{-3}$:

double sgdRate = 0.02, adaptiveRate = 0.1;   // try sgdRate = 0.09 (just below the limit 2/κ = 0.1) or 0.11 (just above)
var ravine = LossSurface.Ravine(conditioning: 20);
OptimizerSpec[] lineup =
[
    OptimizerSpec.Sgd(sgdRate), OptimizerSpec.Sgd(sgdRate, momentum: 0.9), OptimizerSpec.Sgd(sgdRate, momentum: 0.9, nesterov: true),
    OptimizerSpec.RmsProp(adaptiveRate), OptimizerSpec.Adam(adaptiveRate),
];
var ravineRace = OptimizerExperiments.Race(ravine, lineup);
foreach (var e in ravineRace)
    Console.WriteLine($"{e.Optimizer,-40} steps to loss < 1e-3: {e.StepsToThreshold?.ToString() ?? "never",5}   final loss {e.FinalLoss:E1}");
var (sgdR, momentumR, nesterovR) = (ravineRace[0], ravineRace[1], ravineRace[2]);
Claim.That("momentum crosses the ravine in at least 3× fewer steps than plain SGD at the same learning rate",
    momentumR.StepsToThreshold * 3 <= sgdR.StepsToThreshold, $"{momentumR.StepsToThreshold} vs {sgdR.StepsToThreshold} steps");
Claim.That("Nesterov's look-ahead is faster still", nesterovR.StepsToThreshold < momentumR.StepsToThreshold,
    $"{nesterovR.StepsToThreshold} vs {momentumR.StepsToThreshold} steps");

Lesson.Show(RaceChart(ravine, ravineRace.Take(3).ToList(), "The ravine ½(x² + 20y²): SGD crawls, momentum overshoots and rolls on, Nesterov brakes"));

Lesson.Show(LossPerStep(ravineRace.Take(3).ToList(), "The ravine: loss per step (log scale)"));

// The same paths with TorchSharp: `OptimizerExperiments.TorchTrajectory` takes the surface as a tensor function, lets
// autograd compute the gradient and `torch.optim` take the steps, in float64:

double pathGap = 0;
foreach (var spec in new[] { OptimizerSpec.Sgd(0.02, momentum: 0.9), OptimizerSpec.Sgd(0.02, momentum: 0.9, nesterov: true) })
{
    var scratchPath = OptimizerExperiments.Trajectory(ravine, spec, steps: 100);
    var torchPath = OptimizerExperiments.TorchTrajectory(ravine, spec, steps: 100);
    pathGap = Math.Max(pathGap, scratchPath.Points.Zip(torchPath.Points).Max(p => Math.Max(Math.Abs(p.First.X - p.Second.X), Math.Abs(p.First.Y - p.Second.Y))));
}
Claim.That("the scratch and torch.optim paths coincide for 100 steps (float64)", pathGap < 1e-9, $"max |Δ| = {pathGap:E2}");

// ## 3. Saddle points
//
// In high dimensions most critical points of a loss are not minima but **saddles** — minima along some directions, maxima
// along others (Dauphin et al. 2014). The gradient vanishes there too, and near one it is tiny. The model saddle is
// $f(x, y) = x^2 - y^2$; start just off its ridge at $(1, 0.001)$. Plain gradient descent multiplies $y$ by $1 + 2\eta$
// per step: with $\eta = 0.05$ that is $1.1^{50} \approx 117$ over 50 steps, taking $y$ only from $0.001$ to about $0.12$.
// Momentum compounds the growth; adaptive methods rescale the tiny gradient to a full-size step at once.
Lesson.Section("3. Saddle points");

var saddle = LossSurface.Saddle();
var saddleRace = OptimizerExperiments.SaddleEscape(steps: 50);
foreach (var e in saddleRace)
    Console.WriteLine($"{e.Optimizer,-40} escaped (loss < −1) after: {e.StepsToThreshold?.ToString() ?? "—",3} steps;  distance from the saddle after 50: {e.FinalDistance:F2}");
Claim.That("plain SGD has not escaped after 50 steps and is still within 1 of the saddle point",
    saddleRace[0].StepsToThreshold is null && saddleRace[0].FinalDistance < 1, $"distance {saddleRace[0].FinalDistance:F2}");
Claim.That("momentum, Nesterov, RMSprop and Adam all escape", saddleRace.Skip(1).All(e => e.StepsToThreshold is not null && e.FinalDistance > 1),
    string.Join(", ", saddleRace.Skip(1).Select(e => e.StepsToThreshold)));
Claim.That("Adam, which rescales the tiny gradient, leaves before momentum", saddleRace[4].StepsToThreshold < saddleRace[1].StepsToThreshold,
    $"{saddleRace[4].StepsToThreshold} vs {saddleRace[1].StepsToThreshold} steps");
Claim.That("RMSprop leaves in a single step", saddleRace[3].StepsToThreshold == 1, $"{saddleRace[3].StepsToThreshold} step");

Lesson.Show(RaceChart(saddle, saddleRace, "The saddle x² − y², starting at (1, 0.001)"));

// RMSprop's single-step escape has a simple cause, and it is the subject of the next section: its running average $v$
// starts at 0, so after one step $v = (1 - \alpha)g^2 = 0.01\,g^2$ and the first step is
// $\eta\,g/\sqrt{0.01\,g^2} = 10\eta$ in *every* coordinate — here a jump of 1 that throws it off the saddle. Adam corrects exactly this bias.

// ### Local minima
//
// A saddle is not the only place where the gradient vanishes: a **local minimum** is a dip that is not the lowest one,
// and plain gradient descent, which only ever goes downhill, stops in the first dip it meets. Momentum can carry the
// ball over a low ridge into a deeper valley. The simplest picture is one dimension: the tilted double well
// $f(x) = (x^2 - 1)^2 + 0.3x$ has a shallow minimum near $x = 0.96$ ($f \approx 0.29$) and a deeper one near $x = -1.04$
// ($f \approx -0.31$), with a bump in between. Start at $x = 2$, on the shallow side, with the scratch `Sgd<double>` at
// $\eta = 0.02$ and three momentum coefficients:
Lesson.Section("Local minima");

double wellRate = 0.02;               // the knobs: try momentum 0.95, or wellRate 0.01
double[] momenta = [0, 0.5, 0.9];
int wellSteps = 300;
double Well(double x) => Math.Pow(x * x - 1, 2) + 0.3 * x;
double WellSlope(double x) => 4 * x * (x * x - 1) + 0.3;

var wellPaths = new List<(string Name, double[] Path)>();
foreach (double mu in momenta)
{
    var xw = new Parameter<double>("x", NDArray.From(new[] { 2.0 }, 1));
    var optimizer = new Sgd<double>([xw], lr: wellRate, momentum: mu);
    var path = new List<double> { xw.Value[0] };
    for (int t = 0; t < wellSteps; t++) { xw.Grad[0] = WellSlope(xw.Value[0]); optimizer.Step(); path.Add(xw.Value[0]); }
    wellPaths.Add(($"momentum {mu}", [.. path]));
    Console.WriteLine($"momentum {mu,-4}: ends at x = {path[^1],6:F3}, f(x) = {Well(path[^1]),6:F3}");
}
Claim.That("plain gradient descent and momentum 0.5 stop in the shallow minimum (x > 0)", wellPaths[0].Path[^1] > 0 && wellPaths[1].Path[^1] > 0,
    $"x = {wellPaths[0].Path[^1]:F3} and {wellPaths[1].Path[^1]:F3}");
Claim.That("momentum 0.9 rolls over the bump into the deeper minimum (x < 0)", wellPaths[2].Path[^1] < 0, $"x = {wellPaths[2].Path[^1]:F3}");
double[] wellX = [.. Enumerable.Range(0, 161).Select(i => -2 + i / 40.0)];
Lesson.Show(Charts.PointsAndLines([.. wellPaths.Select(p => (p.Name, (IReadOnlyList<double>)p.Path.Take(60).ToArray(), (IReadOnlyList<double>)p.Path.Take(60).Select(Well).ToArray()))],
    [("f(x) = (x² − 1)² + 0.3x", wellX, wellX.Select(Well).ToArray())],
    xTitle: "x", yTitle: "f(x)", title: "The first 60 steps from x = 2: only the heavy ball reaches the deeper well"));

// Momentum is no guarantee: with $\mu = 0.95$ at $\eta = 0.01$ the ball overshoots the deep well, swings back over the
// bump and ends in the shallow one — try it. In the high-dimensional losses of real networks, poor local minima turn out
// to be rare: most critical points with a high loss are saddles (Dauphin et al. 2014), and the local minima of large
// networks tend to have losses close to the global one (Choromanska et al. 2015). What momentum buys there is mostly
// speed along ravines and away from saddles, as above.

// ## 4. Adaptive learning rates: RMSprop, Adam, AdamW
//
// Momentum still uses one learning rate for every parameter. **RMSprop** (Hinton, lecture notes 2012) divides each
// parameter's step by a running root-mean-square of its own gradients:
//
// $$v \leftarrow \alpha v + (1 - \alpha)\,g^2, \qquad \theta \leftarrow \theta - \eta\,\frac{g}{\sqrt{v} + \varepsilon}.$$
//
// Steep directions (large $|g|$) get small steps, flat ones large steps — on the ravine both coordinates move at
// about the same speed, whatever $\kappa$ is.
//
// **Adam** (Kingma & Ba 2015) combines the two ideas: a momentum-like average $m$ of the gradients (first moment) and
// RMSprop's average $v$ of their squares (second moment), with a **bias correction**:
//
// $$m \leftarrow \beta_1 m + (1 - \beta_1)\,g, \quad v \leftarrow \beta_2 v + (1 - \beta_2)\,g^2, \quad \hat m = \frac{m}{1 - \beta_1^t}, \quad \hat v = \frac{v}{1 - \beta_2^t}, \quad \theta \leftarrow \theta - \eta\,\frac{\hat m}{\sqrt{\hat v} + \varepsilon}.$$
//
// Why the correction: $m$ and $v$ start at 0, so early on they are biased towards 0 — after one step $m = 0.1\,g$ and
// $v = 0.001\,g^2$ (with the defaults $\beta_1 = 0.9$, $\beta_2 = 0.999$). Dividing by $1 - \beta^t$ removes that bias
// exactly for a constant gradient. Without it the first step would be $\frac{0.1}{\sqrt{0.001}} \approx 3.16$ times too
// large; with it the first step is $\eta\,\operatorname{sign}(g)$ — whatever the gradient's scale.
//
// **From scratch** (`Adam<T>.Update`), the bias corrections folded into the step size and the denominator as torch does:
//
// ```csharp
// double biasCorrection1 = 1 - Math.Pow(Beta1, t), biasCorrection2 = 1 - Math.Pow(Beta2, t);
// T stepSize = Cast(Lr / biasCorrection1), bc2Sqrt = Cast(Math.Sqrt(biasCorrection2));
// ...
// if (_decoupled) theta[i] *= shrink;             // AdamW: θ ← θ(1 − ηλ), outside the adaptive step
// else if (WeightDecay != 0) gi += wd * theta[i]; // Adam: L2 enters the gradient
// m[i] = (b1 * m[i]) + (oneMinusB1 * gi);
// v[i] = (b2 * v[i]) + (oneMinusB2 * gi * gi);
// T denom = (T.Sqrt(v[i]) / bc2Sqrt) + eps;
// theta[i] -= stepSize * (m[i] / denom);
// ```
//
// The first step, measured with the scratch `Adam<double>` for gradients from $10^{-3}$ to $10^{3}$:
Lesson.Section("4. Adaptive learning rates: RMSprop, Adam, AdamW");

// Renamed here, since a C# program declares a name once: theta → theta2.
foreach (double scale in new[] { 1e-3, 1.0, 1e3 })
{
    var theta2 = new Parameter<double>("θ", NDArray.From(new[] { 0.0 }, 1));
    var adam = new Adam<double>([theta2], lr: 0.1);
    theta2.Grad[0] = scale;
    adam.Step();
    Console.WriteLine($"gradient {scale,6:G}: first Adam step {theta2.Value[0]:F6}");
    Claim.That($"with gradient {scale:G} the first step is −η = −0.1", Math.Abs(theta2.Value[0] + 0.1) < 1e-6, $"{theta2.Value[0]:F8}");
}
Console.WriteLine($"without the bias correction the first step would be m/√v = (1 − β₁)/√(1 − β₂) = {0.1 / Math.Sqrt(0.001):F2} × η");

// **AdamW** (Loshchilov & Hutter 2019) fixes how Adam handles **weight decay**. With plain SGD, adding the L2 penalty
// $\frac\lambda2\|\theta\|^2$ to the loss and shrinking the weights by $\eta\lambda\theta$ each step are the same
// thing. With Adam they are not: the penalty's gradient $\lambda\theta$ enters $m$ and gets divided by $\sqrt{\hat v}$, so
// parameters with large gradients are barely decayed. AdamW **decouples** the decay —
// $\theta \leftarrow \theta(1 - \eta\lambda)$, then the Adam step on the loss gradient alone. (Careful in TorchSharp 0.107: `torch.optim.AdamW`'s default
// `weight_decay` is 0, PyTorch's is 0.01 — pass it explicitly; `OptimizerSpec.AdamW` and `Optim.AdamW` do.)
// `RegularizationExperiments.WeightDecayEquivalence` trains the same small regression with each variant:

var decay = RegularizationExperiments.WeightDecayEquivalence(lambda: 0.1);
foreach (var d in decay) Console.WriteLine($"{d.Comparison,-62} max |Δθ| = {d.MaxParamDiff:E2}");
Claim.That("for SGD, weight_decay is exactly an L2 penalty in the loss", decay[0].MaxParamDiff < 1e-5, $"{decay[0].MaxParamDiff:E2}");
Claim.That("AdamW is not Adam with weight_decay (the coupled L2 penalty)", decay[2].MaxParamDiff > 1e-3, $"{decay[2].MaxParamDiff:E2}");
Claim.That("AdamW is Adam after an explicit shrink θ ← θ(1 − ηλ)", decay[3].MaxParamDiff < 1e-5, $"{decay[3].MaxParamDiff:E2}");

var adaptiveParity = new[]
{
    Parity.Optimizer(OptimizerSpec.RmsProp(0.01), steps: 20),
    Parity.Optimizer(OptimizerSpec.Adam(0.01), steps: 20),
    Parity.Optimizer(OptimizerSpec.AdamW(0.01, weightDecay: 0.1), steps: 20),
    Parity.Optimizer(OptimizerSpec.Adam(0.01), steps: 20, gradients: GradientSource.Random),
};
foreach (var p in adaptiveParity) Console.WriteLine($"{p.Topic}: max |Δ| over 20 steps = {p.MaxAbsDiff:E2}");
Claim.That("scratch RMSprop, Adam and AdamW follow torch.optim step for step", adaptiveParity.All(p => p.Agrees()),
    $"max |Δ| = {adaptiveParity.Max(p => p.MaxAbsDiff):E2}");

// Back on the ravine (the race of section 2). How large are RMSprop's steps? For a constant gradient $g$ its average
// is $v_t = (1 - \alpha^t)\,g^2$ after $t$ steps (it started at 0), so the step is
//
// $$\eta\,\frac{g}{\sqrt{v_t}} = \frac{\eta}{\sqrt{1 - \alpha^t}}\,\operatorname{sign}(g) \qquad (\varepsilon \text{ neglected}),$$
//
// with $\alpha = 0.99$: $10\eta$ at $t = 1$, about $3.2\eta$ at $t = 10$, $1.3\eta$ at $t = 100$, and only then close to $\eta$.
// Whatever the size of the gradient, every coordinate moves by the same amount — sign descent, with a step that starts
// ten times too large and shrinks to $\eta$. Measured with the scratch `RmsProp<double>`:

double rmsRate = 0.01;
var rmsTheta = new Parameter<double>("θ", NDArray.From(new[] { 0.0 }, 1));
var rms = new RmsProp<double>([rmsTheta], lr: rmsRate, alpha: 0.99);
var stepSizes = new List<double>();
for (int t = 1; t <= 1000; t++)
{
    double before = rmsTheta.Value[0];
    rmsTheta.Grad[0] = 3.0;                 // a constant gradient; its size does not matter
    rms.Step();
    stepSizes.Add(Math.Abs(rmsTheta.Value[0] - before) / rmsRate);
}
Console.WriteLine($"step / η at t = 1, 10, 100, 1000: {stepSizes[0]:F2}, {stepSizes[9]:F2}, {stepSizes[99]:F2}, {stepSizes[999]:F3}");
Claim.That("RMSprop's steps start at 10η and shrink as 1/√(1 − 0.99ᵗ): 3.2η at t = 10, 1.3η at t = 100",
    Math.Abs(stepSizes[0] - 10) < 0.01 && Math.Abs(stepSizes[9] - 1 / Math.Sqrt(1 - Math.Pow(0.99, 10))) < 0.01
    && Math.Abs(stepSizes[99] - 1 / Math.Sqrt(1 - Math.Pow(0.99, 100))) < 0.01,
    $"{stepSizes[0]:F3}, {stepSizes[9]:F3}, {stepSizes[99]:F3}");
Lesson.Show(Charts.Lines([("RMSprop step / η", Enumerable.Range(1, 1000).Select(t => (double)t).ToArray(), stepSizes.ToArray())],
    xTitle: "step t", yTitle: "|step| / η", logX: true, logY: true, title: "RMSprop with a constant gradient: 10η at first, η only late"));

// On the ravine this means RMSprop does not zig-zag across the steep direction at all — each coordinate moves by the
// same, shrinking amount; Adam adds momentum ($\beta_1 = 0.9$) to that, overshoots and circles in:

var (rmspropR, adamR) = (ravineRace[3], ravineRace[4]);
Console.WriteLine($"steps to loss < 1e-3: SGD {sgdR.StepsToThreshold}, Nesterov {nesterovR.StepsToThreshold}, RMSprop {rmspropR.StepsToThreshold}, Adam {adamR.StepsToThreshold}");
Claim.That("on the ravine RMSprop arrives first of all five", ravineRace.All(e => e == rmspropR || e.StepsToThreshold > rmspropR.StepsToThreshold),
    $"{rmspropR.StepsToThreshold} steps");
Claim.That("Adam, slowed by its momentum here, still needs fewer than half of plain SGD's steps", adamR.StepsToThreshold * 2 < sgdR.StepsToThreshold,
    $"{adamR.StepsToThreshold} vs {sgdR.StepsToThreshold}");
Lesson.Show(RaceChart(ravine, [sgdR, rmspropR, adamR], "The ravine again: RMSprop and Adam rescale each coordinate"));

Lesson.Show(LossPerStep([sgdR, momentumR, rmspropR, adamR], "The ravine: loss per step, SGD, momentum, RMSprop and Adam"));

// ## 5. Rosenbrock's valley
//
// $f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2$ (Rosenbrock 1960) has its minimum at $(1, 1)$ at the end of a long, curved,
// nearly flat valley. Finding the valley is easy; following its bend is what separates optimizers. Start at $(-1.5, 2)$,
// 2,000 steps. How large may plain gradient descent's step be? Near a point, GD is stable while $\eta < 2/\lambda_{\max}$,
// with $\lambda_{\max}$ the largest curvature (the top eigenvalue of the Hessian). At the start that is about 2,092, so the
// limit there is $\eta < 9.6\cdot10^{-4}$: the usual $\eta = 10^{-3}$ for SGD, momentum and Nesterov is *just past* it.
// It works anyway, because the first steps leave the steepest region, where the limit is looser — the cell measures
// that the loss falls at every one of the first ten steps. RMSprop and Adam use $\eta = 0.1$:
Lesson.Section("5. Rosenbrock's valley");

double valleyRate = 1e-3, valleyAdaptiveRate = 0.1;   // try valleyRate = 2e-3: SGD diverges at once
var rosenbrock = LossSurface.Rosenbrock();
double h11 = 2 - 400 * (2 - 1.5 * 1.5) + 800 * 1.5 * 1.5, h12 = 400 * 1.5, h22 = 200;   // the Hessian at (−1.5, 2)
double topCurvature = (h11 + h22) / 2 + Math.Sqrt(Math.Pow((h11 - h22) / 2, 2) + h12 * h12);
Claim.Fact($"at (−1.5, 2) the Hessian is [[{h11}, {h12}], [{h12}, {h22}]], its top eigenvalue {topCurvature:F0}: GD is stable there for η < {2 / topCurvature:E2}");
var rosenbrockRace = OptimizerExperiments.Race(rosenbrock,
[
    OptimizerSpec.Sgd(valleyRate), OptimizerSpec.Sgd(valleyRate, momentum: 0.9), OptimizerSpec.Sgd(valleyRate, momentum: 0.9, nesterov: true),
    OptimizerSpec.RmsProp(valleyAdaptiveRate), OptimizerSpec.Adam(valleyAdaptiveRate),
]);
foreach (var e in rosenbrockRace)
    Console.WriteLine($"{e.Optimizer,-40} steps to loss < 1e-3: {e.StepsToThreshold?.ToString() ?? "never",5};  distance from (1, 1) at the end: {e.FinalDistance:F4}");
var firstSteps = rosenbrockRace[0].Trajectory.Points.Take(11).Select(p => p.Loss).ToArray();
Claim.That("SGD's loss falls at each of its first ten steps although η is just past the starting limit",
    firstSteps.Zip(firstSteps.Skip(1)).All(p => p.Second < p.First), string.Join(" → ", firstSteps.Take(5).Select(l => l.ToString("F2"))) + " → …");
Claim.That("plain SGD is still in the valley after 2,000 steps, more than 0.1 from the minimum",
    rosenbrockRace[0].StepsToThreshold is null && rosenbrockRace[0].FinalDistance > 0.1, $"distance {rosenbrockRace[0].FinalDistance:F3}");
Claim.That("momentum and Adam get there (loss < 1e-3), Adam to within 0.001",
    rosenbrockRace[1].StepsToThreshold is not null && rosenbrockRace[4].StepsToThreshold is not null && rosenbrockRace[4].FinalDistance < 1e-3,
    $"momentum after {rosenbrockRace[1].StepsToThreshold}, Adam after {rosenbrockRace[4].StepsToThreshold} steps");
Claim.That("RMSprop at η = 0.1 never gets below 1e-3, and Nesterov arrives first",
    rosenbrockRace[3].StepsToThreshold is null && rosenbrockRace.Where(e => e.StepsToThreshold is not null).MinBy(e => e.StepsToThreshold) == rosenbrockRace[2],
    $"Nesterov after {rosenbrockRace[2].StepsToThreshold} steps; RMSprop ends {rosenbrockRace[3].FinalDistance:F2} from the minimum");

Lesson.Show(RaceChart(rosenbrock, rosenbrockRace, "Rosenbrock's valley (log-spaced contours)", logLevels: true));

Lesson.Show(LossPerStep(rosenbrockRace, "Rosenbrock's valley: loss per step"));

// No optimizer wins everywhere: in our runs RMSprop was fastest on the ravine and at the saddle, but at $\eta = 0.1$
// it never settles into Rosenbrock's valley, where Nesterov arrives first — and the learning rates were chosen per family. On real networks the rule of thumb is: Adam/AdamW with $\eta \approx 10^{-3}$ works out of the box;
// SGD with momentum 0.9 and a tuned learning rate and schedule is often as good or better in the end (Wilson et al. 2017),
// especially for CNNs.
//
// ## 6. Learning-rate schedules
//
// A learning rate large enough to make fast progress early is too large to settle into a minimum late: the steps keep
// bouncing around it (as RMSprop and Adam did on the ravine). Schedules start large and decay, once per epoch $t$:
//
// | schedule | $\eta_t$ | torch.optim.lr_scheduler |
// | --- | --- | --- |
// | step | $\eta_0\,\gamma^{\lfloor t/s \rfloor}$ | `StepLR(s, γ)` |
// | exponential | $\eta_0\,\gamma^{t}$ | `ExponentialLR(γ)` |
// | cosine | $\eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})(1 + \cos(\pi t / T))$ | `CosineAnnealingLR(T, η_min)` (Loshchilov & Hutter 2017) |
// | warmup + cosine | linear ramp for $w$ epochs, then cosine | `SequentialLR([LinearLR, CosineAnnealingLR], [w])` |
//
// Warmup keeps the first steps small while Adam's second-moment estimates (and batch-norm statistics) are still
// unreliable — standard for Transformers (Goyal et al. 2017 for large-batch SGD).
//
// **From scratch** (`src/DeepLearning.Scratch/LrSchedules.cs`) each schedule is a closed-form function of the epoch;
// `LrScheduler` sets an optimizer's `Lr` from it once per epoch:
//
// ```csharp
// // CosineAnnealingLR
// protected override double Compute(int epoch, double baseLr) =>
//     EtaMin + ((baseLr - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2);
// ```
//
// **With TorchSharp**, `TorchSchedules.Create(schedule, optimizer)` builds the `torch.optim.lr_scheduler` object that
// matches a scratch schedule; `Parity.Schedule` compares the two learning rates epoch by epoch:
Lesson.Section("6. Learning-rate schedules");

var schedules = new (string Name, LrSchedule Schedule)[]
{
    ("step (every 5, γ = 0.2)", new StepLR(5, 0.2)),
    ("exponential (γ = 0.8)", new ExponentialLR(0.8)),
    ("cosine (T = 15)", new CosineAnnealingLR(15)),
    ("warmup 3 + cosine", new WarmupCosine(3, 12)),
};
var scheduleParity = schedules.Select(s => Parity.Schedule(s.Schedule, baseLr: 0.2, epochs: 15)).ToList();
Claim.That("the scratch schedules and torch's schedulers give the same learning rate at every epoch",
    scheduleParity.All(p => p.Agrees(1e-12)), $"max |Δ| = {scheduleParity.Max(p => p.MaxAbsDiff):E2}");
Lesson.Show(Charts.Schedules(schedules, baseLr: 0.2, epochs: 15, title: "Learning rate per epoch, starting from 0.2"));

// ## 7. One model, every optimizer
//
// Toy surfaces show mechanisms; a real network shows consequences. From here on the course's `Trainer.Fit` runs the
// training loop, so that a cell can compare many runs. It is the loop you wrote in notebook 01's Try it, plus a
// validation pass after each epoch — in essence:
//
// ```csharp
// for (int epoch = 0; epoch < options.Epochs; epoch++)
// {
//     model.train();
//     foreach (var (x, y) in train.Batches(options.BatchSize, shuffle: true))   // a fresh order every epoch
//     {
//         using var step = torch.NewDisposeScope();
//         optimizer.zero_grad();
//         var loss = nn.functional.cross_entropy(model.forward(x), y);
//         loss.backward();
//         optimizer.step();
//     }
//     scheduler?.step();                                                        // once per epoch
//     model.eval();
//     using (torch.no_grad()) { /* the loss and accuracy on the validation set */ }
// }
// ```
//
// (`Optim.*` and `Scheduler.*` name the `torch.optim` objects it builds; notebook 08 takes the trainer apart.) The model
// is a $64 \to 64 \to 10$ ReLU MLP on the 8×8 digits (75 % training, 25 % validation), always from the same initial
// weights, 10 epochs of batches of 32, and each optimizer with a learning rate from its usual range:
Lesson.Section("7. One model, every optimizer");

var digits = TrainData.From(Digits.Load8x8());
var (train, validation) = digits.Split(0.25, seed: 0);
Console.WriteLine($"{train.Count} training and {validation.Count} validation images");

History Train(Optim optimizer, Scheduler? scheduler = null, int epochs = 10, int seed = 0)
{
    torch.manual_seed(seed);   // the same initial weights for every run with this seed
    var model = new Mlp([64, 64, 10]);
    return Trainer.Fit(model, train, validation, new TrainOptions
    {
        Epochs = epochs, BatchSize = 32, Optimizer = optimizer, Scheduler = scheduler, Seed = seed, Progress = Progress.None,
    });
}

var optimizers = new[]
{
    Optim.Sgd(0.05), Optim.Sgd(0.05, momentum: 0.9), Optim.Sgd(0.05, momentum: 0.9, nesterov: true),
    Optim.RmsProp(1e-3), Optim.Adam(1e-3), Optim.AdamW(1e-3, weightDecay: 0.01),
};
var histories = optimizers.Select(o => Train(o)).ToList();
for (int i = 0; i < optimizers.Length; i++)
    Console.WriteLine($"{optimizers[i].Name,-36} training loss after epoch 1: {histories[i].Epochs[0].TrainLoss:F3}, after 10: {histories[i].Last.TrainLoss:F3};  validation accuracy {histories[i].Last.ValidationAccuracy:P1}");

var (plain, heavy, adamRun, adamWRun) = (histories[0], histories[1], histories[4], histories[5]);
Claim.That("at the same learning rate, momentum ends with a training loss at least 3× lower than plain SGD",
    heavy.Last.TrainLoss * 3 < plain.Last.TrainLoss, $"{heavy.Last.TrainLoss:F3} vs {plain.Last.TrainLoss:F3}");
Claim.That("every optimizer reaches over 85% validation accuracy in 10 epochs", histories.All(h => h.Last.ValidationAccuracy > 0.85),
    $"lowest {histories.Min(h => h.Last.ValidationAccuracy):P1}");
Claim.That("over these ten epochs (about 430 steps) AdamW's decay (ηλ = 1e-5 per step) changes almost nothing against Adam",
    Math.Abs(adamWRun.Last.TrainLoss - adamRun.Last.TrainLoss) < 0.01, $"{adamWRun.Last.TrainLoss:F4} vs {adamRun.Last.TrainLoss:F4}");
Claim.That("Adam at its default learning rate ends above SGD + momentum, RMSprop in between",
    heavy.Last.TrainLoss < histories[3].Last.TrainLoss && histories[3].Last.TrainLoss < adamRun.Last.TrainLoss,
    $"momentum {heavy.Last.TrainLoss:F3}, RMSprop {histories[3].Last.TrainLoss:F3}, Adam {adamRun.Last.TrainLoss:F3}");
Lesson.Show(Charts.LossCurves(optimizers.Select((o, i) => (o.Name, (IReadOnlyList<double>)histories[i].Epochs.Select(e => e.TrainLoss).ToArray(),
        (IReadOnlyList<double>?)histories[i].Epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray())).ToList(),
    logY: true, title: "Digits MLP: training (solid) and validation (dashed) loss per optimizer"));

// Momentum makes SGD several times faster at the same learning rate. Adam at its default $10^{-3}$ is slower here than
// tuned SGD with momentum — its default is safe rather than fast — and RMSprop sits in between. The decoupled decay of
// AdamW matters for long training and regularisation (notebook 06), not for 10 epochs.

// ### Tuning the momentum and the learning rate on validation data
//
// "Momentum 0.9" is a convention, not a law; like the learning rate, it is a hyperparameter, and hyperparameters are
// chosen by the loss on data the model did not train on. A sweep of $\mu$ at $\eta = 0.05$, judged by the best
// validation loss over the 10 epochs:
Lesson.Section("Tuning the momentum and the learning rate on validation data");

double[] muSweep = [0, 0.5, 0.9, 0.99];
var muRuns = muSweep.Select(mu => Train(Optim.Sgd(0.05, momentum: mu))).ToList();
double BestValidation(History h) => h.Epochs.Min(e => e.ValidationLoss ?? double.PositiveInfinity);
for (int i = 0; i < muSweep.Length; i++)
    Console.WriteLine($"μ = {muSweep[i],-4}: best validation loss {BestValidation(muRuns[i]):F3}, final validation accuracy {muRuns[i].Last.ValidationAccuracy:P1}");
int bestMu = Enumerable.Range(0, muSweep.Length).MinBy(i => BestValidation(muRuns[i]));
Claim.That("on validation, μ = 0.9 is the best of the four", muSweep[bestMu] == 0.9, $"best μ = {muSweep[bestMu]}");
Claim.That("too much momentum hurts: μ = 0.99 ends with a best validation loss more than twice μ = 0.9's",
    BestValidation(muRuns[3]) > 2 * BestValidation(muRuns[2]), $"{BestValidation(muRuns[3]):F3} vs {BestValidation(muRuns[2]):F3}");
Lesson.Show(Charts.Lines([("best validation loss", muSweep.Select(m => 1 - m).ToArray(), muRuns.Select(BestValidation).ToArray())],
    xTitle: "1 − μ (log scale: μ = 0.99 on the left, μ = 0 on the right)", yTitle: "best validation loss", logX: true, markers: true,
    title: "Momentum sweep on the digits MLP"));

// The learning rate matters even more, and it spans orders of magnitude, so it is swept on a log scale: here SGD with
// momentum 0.9 for 5 epochs at seven rates from $10^{-3}$ to 1.

double[] rates = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
var rateRuns = rates.Select(lr => Train(Optim.Sgd(lr, momentum: 0.9), epochs: 5)).ToList();
for (int i = 0; i < rates.Length; i++)
    Console.WriteLine($"η = {rates[i],-6}: training loss {rateRuns[i].Last.TrainLoss:F3}, validation loss {rateRuns[i].Last.ValidationLoss:F3}");
var finalValidation = rateRuns.Select(h => h.Last.ValidationLoss ?? double.NaN).ToArray();
int bestRate = Enumerable.Range(0, rates.Length).MinBy(i => finalValidation[i]);
Claim.That("the best learning rate is inside the range, and both ends are at least 3× worse on validation",
    bestRate > 0 && bestRate < rates.Length - 1 && finalValidation[0] > 3 * finalValidation[bestRate] && finalValidation[^1] > 3 * finalValidation[bestRate],
    $"best η = {rates[bestRate]} ({finalValidation[bestRate]:F3}); η = {rates[0]}: {finalValidation[0]:F3}, η = {rates[^1]}: {finalValidation[^1]:F3}");
Lesson.Show(Charts.Lines([("training loss", rates, rateRuns.Select(h => h.Last.TrainLoss).ToArray()), ("validation loss", rates, finalValidation)],
    xTitle: "learning rate η (log scale)", yTitle: "loss after 5 epochs", logX: true, logY: true, markers: true,
    title: "Learning-rate sweep: too small learns slowly, too large bounces"));

// ## 8. One model, every schedule
//
// Now SGD with momentum at a deliberately high learning rate, $\eta_0 = 0.2$, for 15 epochs — constant, or decayed with
// each schedule of section 6. `History.LearningRates()` records the rate each epoch actually used. One run says little
// about a noisy process, so each setting is trained from **five seeds** (initial weights and batch order), and the
// comparison uses the mean training loss of the **last three epochs**, averaged over the seeds:
Lesson.Section("8. One model, every schedule");

// Renamed here, since a C# program declares a name once: runs → runs2.
var scheduled = new (string Name, Scheduler? Scheduler, LrSchedule? Formula)[]
{
    ("constant", null, null),
    ("step", Scheduler.Step(5, 0.2), new StepLR(5, 0.2)),
    ("exponential", Scheduler.Exponential(0.8), new ExponentialLR(0.8)),
    ("cosine", Scheduler.Cosine(), new CosineAnnealingLR(15)),
};
int[] scheduleSeeds = [0, 1, 2, 3, 4];
// runsBySeed[seed][schedule]: 5 × 4 runs of 15 epochs, about 0.5 s each
var runsBySeed = scheduleSeeds.Select(seed => scheduled.Select(s => Train(Optim.Sgd(0.2, momentum: 0.9), s.Scheduler, epochs: 15, seed: seed)).ToList()).ToList();
var scheduleRuns = runsBySeed[0];   // seed 0's runs, for the learning rates and the Try it below
double LastThree(History h) => h.Epochs.TakeLast(3).Average(e => e.TrainLoss);
Console.WriteLine($"{"seed",-6}" + string.Concat(scheduled.Select(s => $"{s.Name,14}")) + "   (training loss, mean of epochs 13–15)");
foreach (var (seed, runs2) in scheduleSeeds.Zip(runsBySeed))
    Console.WriteLine($"{seed,-6}" + string.Concat(runs2.Select(h => $"{LastThree(h),14:F4}")));
var meanEnd = Enumerable.Range(0, scheduled.Length).Select(i => runsBySeed.Average(runs => LastThree(runs[i]))).ToArray();
Console.WriteLine($"{"mean",-6}" + string.Concat(meanEnd.Select(m => $"{m,14:F4}")));
Console.WriteLine($"learning rate in epochs 1, 8, 15: " + string.Join(";  ", scheduled.Select((s, i) => $"{s.Name} {string.Join(", ", new[] { 0, 7, 14 }.Select(e => scheduleRuns[i].LearningRates()[e].ToString("G3")))}")));

double lrGap = scheduled.Zip(scheduleRuns).Where(p => p.First.Formula is not null)
    .Max(p => p.First.Formula!.Curve(0.2, 15).Zip(p.Second.LearningRates(), (a, b) => Math.Abs(a - b)).Max());
Claim.That("the trainer's torch schedulers used exactly the scratch formulas' learning rates", lrGap < 1e-9, $"max |Δ| = {lrGap:E1}");
int RisesAfterEpoch5(History h) => Enumerable.Range(5, h.Epochs.Count - 5).Count(i => h.Epochs[i].TrainLoss > h.Epochs[i - 1].TrainLoss);
var constantRises = runsBySeed.Select(runs => RisesAfterEpoch5(runs[0])).ToArray();
Claim.That("with the constant rate the training loss rises again after epoch 5 — in every seed", constantRises.All(r => r >= 1),
    $"rises per seed: {string.Join(", ", constantRises)}");
Claim.That("averaged over the seeds, cosine annealing ends at least 1.5× lower than the constant rate", meanEnd[3] * 1.5 < meanEnd[0],
    $"{meanEnd[3]:F4} vs {meanEnd[0]:F4} ({meanEnd[0] / meanEnd[3]:F1}×)");
Claim.That("… and at least 1.5× lower than step and exponential decay", meanEnd[3] * 1.5 < Math.Min(meanEnd[1], meanEnd[2]),
    $"cosine {meanEnd[3]:F4}, step {meanEnd[1]:F4}, exponential {meanEnd[2]:F4}");
double Spread(int i) => runsBySeed.Max(runs => runs[i].Last.TrainLoss) / runsBySeed.Min(runs => runs[i].Last.TrainLoss);
Claim.That("the constant rate's final loss varies more from seed to seed (largest / smallest) than any schedule's",
    Enumerable.Range(1, 3).All(i => Spread(0) > Spread(i)), $"constant {Spread(0):F1}×; step {Spread(1):F1}×, exponential {Spread(2):F1}×, cosine {Spread(3):F1}×");
int constantBeatsStep = runsBySeed.Count(runs => LastThree(runs[0]) < LastThree(runs[1]));
Claim.That("seed by seed the constant rate is a lottery: in some of these seeds it ends below step decay", constantBeatsStep >= 1,
    $"{constantBeatsStep} of {scheduleSeeds.Length} seeds");

Lesson.Show(Charts.LossCurves(scheduled.Select((s, i) => (s.Name + " (mean of 5 seeds)",
        (IReadOnlyList<double>)Enumerable.Range(0, 15).Select(e => runsBySeed.Average(runs => runs[i].Epochs[e].TrainLoss)).ToArray(),
        (IReadOnlyList<double>?)null)).ToList(),
    logY: true, yTitle: "training loss", title: "SGD + momentum from lr 0.2: constant vs decayed (mean over 5 seeds)"));

// With a constant rate the training loss keeps bouncing: it rises again late in training in every seed, and where it
// ends is a lottery — some seeds end lower than a schedule, others far higher after a late spike, so its final loss
// varies across seeds much more than any schedule's. Decaying removes the lottery. *How* it decays matters as much as
// *that* it decays: step and exponential decay here cut the rate early (step to a fifth after five epochs and to a
// twenty-fifth after ten; exponential to a tenth after ten), so they settle smoothly but slowly, and on this small
// training set they are not reliably below the bouncing constant rate. Cosine — large for longest, then smoothly to
// zero — ends lowest on average, at least 1.5× below every other setting. In practice: cosine (with a few epochs of
// warmup for Adam and large batches) is a robust default; step decay is the classic for ResNets (He et al. 2016).

// **Try it: your own optimizer and schedule.** Race anything against the runs above: change the optimizer (`Optim.Adam`,
// `Optim.RmsProp`, `Optim.Sgd` with or without `nesterov`), its learning rate, the schedule (`Scheduler.Step(5, 0.2)`,
// `Scheduler.Exponential(0.8)`, `Scheduler.Cosine()`, `Scheduler.Linear(0.1, 1, 3)` for a warmup, or `null`) and the
// number of epochs. Look at the curve's *shape* — how fast it drops early, whether it bounces late — and at the
// validation accuracy, not just the last training loss.

Optim myOptimizer = Optim.Sgd(0.1, momentum: 0.9, nesterov: true);
Scheduler? mySchedule = Scheduler.Cosine();
int myEpochs = 15;

var mine = Train(myOptimizer, mySchedule, epochs: myEpochs);
Console.WriteLine($"{myOptimizer.Name}: final training loss {mine.Last.TrainLoss:F4}, validation accuracy {mine.Last.ValidationAccuracy:P1}");
Claim.That("with these settings your run ends above 90% validation accuracy", mine.Last.ValidationAccuracy > 0.9, $"{mine.Last.ValidationAccuracy:P1}");
Lesson.Show(Charts.LossCurves([("yours", (IReadOnlyList<double>)mine.Epochs.Select(e => e.TrainLoss).ToArray(), (IReadOnlyList<double>?)mine.Epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray()),
        ("constant lr 0.2 (section 8)", (IReadOnlyList<double>)scheduleRuns[0].Epochs.Select(e => e.TrainLoss).ToArray(), (IReadOnlyList<double>?)scheduleRuns[0].Epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray())],
    logY: true, title: "Your optimizer and schedule against the constant rate (solid: training, dashed: validation)"));

// ## Exercises
//
// ### Exercise 1: momentum by hand
// Implement SGD with momentum ($v \leftarrow \mu v + g$, $\theta \leftarrow \theta - \eta v$, with $v$ starting at 0) for
// one scalar parameter, minimising $f(\theta) = \theta^2$ (so $g = 2\theta$) from $\theta = 1$ with $\eta = 0.1$,
// $\mu = 0.9$. Store $\theta$ after 10 steps in `theta10`.
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: momentum by hand");

double theta = 1.0, velocity = 0.0;
for (int t = 0; t < 10; t++)
{
    double g = 2 * theta;
    // TODO: update the velocity, then step along it (this is plain gradient descent).
    theta -= 0.1 * g;
}
double theta10 = theta;

var reference = new Parameter<double>("θ", NDArray.From(new[] { 1.0 }, 1));
var momentumSgd = new Sgd<double>([reference], lr: 0.1, momentum: 0.9);
for (int t = 0; t < 10; t++) { reference.Grad[0] = 2 * reference.Value[0]; momentumSgd.Step(); }
Exercise.CheckClose("03-1", theta10, reference.Value[0], 1e-12,
    "keep a running velocity: each step first mixes the new gradient into it (old velocity times μ, plus g), then moves θ along the velocity instead of along g",
    codeHint: "velocity = 0.9 * velocity + g; then step θ by the learning rate times velocity");

// ### Exercise 2: Adam's bias correction
// Compute the first-moment and second-moment estimates $m$, $v$ after **three** steps with the constant gradient $g = 2$
// ($\beta_1 = 0.9$, $\beta_2 = 0.999$, both starting at 0), and their bias-corrected versions `mHat` and `vHat`.
// For a constant gradient the corrected values are exactly $g$ and $g^2$.
Lesson.Section("Exercise 2: Adam's bias correction");

double beta1 = 0.9, beta2 = 0.999, grad = 2.0, m = 0, v = 0;
for (int t = 1; t <= 3; t++)
{
    m = beta1 * m + (1 - beta1) * grad;
    v = beta2 * v + (1 - beta2) * grad * grad;
}
// TODO: divide by the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ (t = 3).
double mHat = m, vHat = v;

Exercise.Check("03-2", Math.Abs(mHat - grad) < 1e-12 && Math.Abs(vHat - grad * grad) < 1e-12,
    $"after t steps from 0, each average holds only a fraction 1 − βᵗ of the constant gradient's weight; divide that fraction out (you have mHat = {mHat:G6}, vHat = {vHat:G6}; m = {m:G6}, v = {v:G6})",
    codeHint: "mHat = m / (1 − Math.Pow(beta1, 3)); vHat the same with beta2");

// ### Exercise 3: a warmup schedule in closed form
// Warmup + cosine is two formulas glued at the end of the warmup. Write the learning rate at epoch `e` (for a base rate
// of 1) of a schedule that rises **linearly** from $0.1$ at epoch 0 to $1$ at epoch 5, then decays with a **half cosine**
// from 1 at epoch 5 to 0 at epoch 20 — with no library calls. The check compares your function with the scratch
// `WarmupCosine(5, 15, startFactor: 0.1)` (and through the parity check of section 6, with torch's `SequentialLR`) at
// every epoch from 0 to 20.
Lesson.Section("Exercise 3: a warmup schedule in closed form");

double WarmupCosineLr(int e)
{
    // TODO: the linear warmup for e ≤ 5, the half cosine after it.
    return 1.0;
}

double[] expectedCurve = new WarmupCosine(5, 15, startFactor: 0.1).Curve(1.0, 21);
double[] yours = [.. Enumerable.Range(0, 21).Select(WarmupCosineLr)];
double warmupError = yours.Zip(expectedCurve, (a, e) => Math.Abs(a - e)).Max();
Exercise.Check("03-3", warmupError < 1e-12,
    $"for e ≤ 5 interpolate linearly between 0.1 and 1; after it, the cosine's argument runs from 0 to π over the 15 remaining epochs, and ½(1 + cos) goes from 1 to 0 (yours at epochs 0, 5, 10, 20: {yours[0]:G3}, {yours[5]:G3}, {yours[10]:G3}, {yours[20]:G3})",
    codeHint: "e <= 5 ? 0.1 + 0.9 * (the fraction of the warmup done) : 0.5 * (1 + Math.Cos(Math.PI * (the fraction of the cosine done)))");

// ## Takeaways
// - Minibatch SGD trades a noisier gradient for many more updates per epoch; per epoch it makes far more progress than
//   full-batch descent.
// - Ill-conditioning forces a small learning rate; **momentum** accumulates the consistent directions (a ball with
//   inertia), crossing ravines several times faster, escaping saddles and sometimes rolling out of a shallow local
//   minimum; Nesterov looks ahead and brakes earlier.
// - **RMSprop** scales each step by its gradient's RMS — sign descent whose steps start at $10\eta$ and shrink to
//   $\eta$; **Adam**'s bias correction makes the first steps the intended size. **AdamW** decouples weight decay.
// - Scratch and `torch.optim` implement the same update rules step for step; choose Adam/AdamW for robustness, tuned
//   SGD + momentum for the last bit of accuracy — and tune the learning rate on a log scale, on validation data.
// - Decay the learning rate — step, exponential or (usually) cosine, with warmup for large batches and Transformers —
//   to make fast progress early and settle late.
Lesson.Section("Takeaways");
