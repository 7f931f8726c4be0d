// 05 · Weight initialization and vanishing/exploding gradients — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/05-init.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/05-init.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/05-init/.
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

Lesson.Start("../05-init.ipynb", "05 · Weight initialization and vanishing/exploding gradients");

// # 05 · Weight initialization and vanishing/exploding gradients
//
// Gradient descent has to start somewhere. The starting weights decide whether a deep network learns at all: start them
// all equal and every unit in a layer stays a copy of its neighbours forever; start them a little too small and the
// signal shrinks geometrically with depth until the last layers see only noise and the first layers receive no
// gradient; a little too large and it explodes. This notebook measures all three and derives the two standard cures,
// Xavier/Glorot and He/Kaiming initialization, from one line of variance algebra.
//
// **Objectives** — by the end of this notebook you can:
// - explain why constant initialization cannot train, and show it exactly;
// - derive the variance of a layer's output from its fan-in and its weights' variance, and from that Xavier's and He's rules;
// - initialise TorchSharp layers with `torch.nn.init` and check it against the from-scratch `Init`;
// - measure activation and gradient statistics through a 30-layer plain network for the default, Xavier and He
//   initializations, reproducing He et al. (2015);
// - choose the initialization that matches a network's activation, and check the choice on validation data;
// - recognise exploding gradients and tame them with gradient-norm clipping.
//
// Previous: [04 · Backpropagation](04-backprop.ipynb) · Next: [06 · Regularization](06-regularization.ipynb).

torch.manual_seed(0);
torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
var rng = new Rng(0);

// ## 1. Symmetry: why the weights must be random
//
// Suppose every weight of a hidden layer starts with the same value. Then every hidden unit $j$ computes the same
// $h_j = \phi(\sum_i w x_i + b)$ (for any activation $\phi$) for every input. Its gradient, from the last notebook, is
// $\partial L/\partial W_{1,j:} = \delta_{1,j}\,x$ with $\delta_{1,j} = \phi'(z_j)\sum_k \delta_{2,k} W_{2,kj}$ — and since
// $z_j$ and the outgoing weights $W_{2,kj}$ are the same for every $j$, so is the gradient. Identical units receive
// identical updates and stay identical, step after step: a layer of 16 units behaves like a layer of **one**. Nothing
// in gradient descent can break the tie; random initialization breaks it before training starts. (All-zero weights are
// the extreme case: with tanh, $h = 0$ and $\delta_1 = (\delta_2 W_2) \odot \phi' = 0$, so no weight moves at all — only the
// output biases learn.)
//
// `InitLab.Symmetry` trains a $64 \to 16 \to 10$ tanh network on the 8×8 digits with full-batch SGD, once from constant
// weights (all 0.05, biases 0) and once from PyTorch's default random init, and records after every step the largest
// difference between any two hidden units' weights.
Lesson.Section("1. Symmetry: why the weights must be random");

var constant = InitLab.Symmetry(constantInit: true);
var random = InitLab.Symmetry(constantInit: false);
foreach (var run in new[] { constant, random })
    Console.WriteLine($"{run.Init,-17} loss {run.Steps[0].Loss:F3} → {run.Steps[^1].Loss:F3}, largest difference between units {run.MaxUnitDifference:G3}, test accuracy {run.TestAccuracy:P1}");
Claim.That("from constant weights every hidden unit stays exactly identical through all 50 steps",
    constant.Steps.All(s => s.MaxUnitDifference == 0), $"max difference {constant.MaxUnitDifference}");
Claim.That("the constant-init net barely learns (loss drops by < 0.01) while the random one halves its loss",
    constant.Steps[0].Loss - constant.Steps[^1].Loss < 0.01 && random.Steps[^1].Loss < 0.5 * random.Steps[0].Loss,
    $"constant {constant.Steps[0].Loss:F3} → {constant.Steps[^1].Loss:F3}, random {random.Steps[0].Loss:F3} → {random.Steps[^1].Loss:F3}");
Claim.That("test accuracy: random init > 80 %, constant init < 30 % (chance is 10 %)", random.TestAccuracy > 0.8 && constant.TestAccuracy < 0.3,
    $"random {random.TestAccuracy:P1}, constant {constant.TestAccuracy:P1}");
double[] steps = [.. random.Steps.Select(s => (double)s.Step)];
Lesson.Show(Charts.Lines([("constant 0.05", steps, constant.Steps.Select(s => s.Loss).ToArray()), ("default (random)", steps, random.Steps.Select(s => s.Loss).ToArray())],
    xTitle: "SGD step", yTitle: "training loss", title: "Symmetric units cannot learn"));

// ## 2. How large should the random weights be?
//
// Take one layer, $z_j = \sum_{i=1}^{n_\text{in}} W_{ji} h_i$ (biases 0), with weights drawn independently, mean 0,
// variance $\operatorname{Var}(w)$, independent of the inputs. The terms are uncorrelated, so their variances add:
//
// $$\operatorname{Var}(z) \;=\; n_\text{in}\,\operatorname{Var}(w)\,\mathbb{E}[h^2].$$
//
// If $h = z_\text{prev}$ (a linear layer, or tanh near 0), $\mathbb{E}[h^2] = \operatorname{Var}(z_\text{prev})$. If
// $h = \operatorname{relu}(z_\text{prev})$ with $z_\text{prev}$ symmetric around 0, half of it is zeroed and
// $\mathbb{E}[h^2] = \tfrac12\operatorname{Var}(z_\text{prev})$. Through $L$ ReLU layers of width $n$:
//
// $$\operatorname{Var}(z_L) \;=\; \Big(\tfrac12\, n \operatorname{Var}(w)\Big)^{L-1} \operatorname{Var}(z_1).$$
//
// A factor even slightly different from 1, raised to the 29th power, makes the signal vanish or explode. The
// backward pass obeys the same algebra with $n_\text{out}$ in place of $n_\text{in}$ (the gradient
// $\partial L/\partial h = W^\top \delta$ sums over the layer's outputs). Choosing $\operatorname{Var}(w)$ to make the factor 1:
//
// | scheme | $\operatorname{Var}(w)$ | designed for | TorchSharp |
// |---|---|---|---|
// | Xavier/Glorot (Glorot & Bengio 2010) | $\dfrac{2}{n_\text{in} + n_\text{out}}$ (compromise of forward $1/n_\text{in}$ and backward $1/n_\text{out}$) | linear, tanh, sigmoid | `InitLab.Fill(w, InitScheme.XavierNormal)` or `normal_(w, 0, std)` — TorchSharp 0.107's own `xavier_normal_` draws a uniform (measured below) |
// | LeCun (LeCun et al. 1998) | $\dfrac{1}{n_\text{in}}$ (the forward half of Xavier; equal to Xavier for a square layer) | linear, tanh; SELU (notebook 01) | `normal_(w, 0, 1 / Math.Sqrt(fanIn))` |
// | He/Kaiming (He et al. 2015) | $\dfrac{2}{n_\text{in}}$ (or $2/n_\text{out}$ for the backward pass) | ReLU | `torch.nn.init.kaiming_normal_(w, nonlinearity: ReLU)` |
// | PyTorch's `nn.Linear` default | $\dfrac{1}{3\,n_\text{in}}$, from $U(\pm 1/\sqrt{n_\text{in}})$ | — (historical) | what the constructor does |
// | a fixed scale, e.g. $U(-0.5, 0.5)$ | $\tfrac1{12}$, whatever $n_\text{in}$ is | nothing: with 256 inputs a layer multiplies the variance by $256/12 \approx 21$ | `uniform_(w, -0.5, 0.5)` |
//
// (A syllabus that writes Xavier as $\mathcal N(0, 1/n)$ means LeCun's rule; for square layers the two coincide.)
//
// The factor 2 in He's rule is exactly the ReLU's $\tfrac12$; in general it is $\text{gain}^2$ with the gain from
// `calculate_gain` ($\sqrt2$ for ReLU, $5/3$ for tanh, 1 for linear). For a square ReLU layer Xavier gives a factor
// $\tfrac12$ per layer — the standard deviation shrinks by $1/\sqrt2 \approx 0.71$ per layer, to $0.71^{29} \approx 4\cdot10^{-5}$
// after 30 layers. The default's factor is $\tfrac16$: the std shrinks by $0.41$ per layer until the biases (also drawn
// from $U(\pm1/\sqrt{n_\text{in}})$) are all that is left.
//
// ### From scratch and with TorchSharp
//
// `src/DeepLearning.Scratch/Init.cs` computes these quantities exactly as `torch.nn.init` defines them and fills
// arrays from the course's seeded `Rng`:
//
// ```csharp
// public static (int FanIn, int FanOut) Fans(params int[] shape)       // [out, in, k…]
// {
//     int receptive = 1;
//     for (int d = 2; d < shape.Length; d++) receptive *= shape[d];       // a conv weight's kernel size
//     return (shape[1] * receptive, shape[0] * receptive);
// }
//
// public static double KaimingStd(int[] shape, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu") =>
//     CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(shape, mode));
//
// public static double XavierNormalStd(int[] shape, double gain = 1)
// {
//     var (fanIn, fanOut) = Fans(shape);
//     return gain * Math.Sqrt(2.0 / (fanIn + fanOut));
// }
// ```
//
// In TorchSharp, initializers live in `torch.nn.init` and work in place (the trailing underscore), under `no_grad`:
Lesson.Section("2. How large should the random weights be?");
Lesson.Section("From scratch and with TorchSharp");

var layer = nn.Linear(512, 256);
using (torch.no_grad())
{
    torch.nn.init.kaiming_normal_(layer.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
    torch.nn.init.zeros_(layer.bias!);
}
double heStdTorch = layer.weight.std().item<float>();
double heStdFormula = Init.KaimingStd([256, 512], nonlinearity: "relu");
Console.WriteLine($"kaiming_normal_ on [256, 512]: sample std {heStdTorch:F5}, formula √(2/512) = {heStdFormula:F5}");
Claim.That("torch's He-initialised weights have the std the scratch formula predicts (within 1 %)", Math.Abs(heStdTorch / heStdFormula - 1) < 0.01,
    $"{heStdTorch:F5} vs {heStdFormula:F5}");

// `Parity.Init` compares the arithmetic (gains and fans, exactly), and `InitLab.CompareWithScratch` draws a $[256, 512]$
// weight with each torch initializer and with the matching scratch one and checks both samples against the formula:
// the standard deviation within 5 standard errors, the bound for uniforms, and the shape — excess kurtosis $-1.2$ for a
// uniform, $0$ for a normal. That last test caught a real bug: TorchSharp's `torch.nn.init.xavier_normal_` draws from a
// *uniform* with the right std (it calls the native `xavier_uniform_`). So the "torch" side of the `xavier_normal_` row
// is the **course's workaround**, `InitLab.Fill(w, InitScheme.XavierNormal)`, which draws the normal with `normal_`; the
// cell also measures TorchSharp's own function, so you see the bug rather than take it on trust.

var initParity = Parity.Init();
var samples = InitLab.CompareWithScratch();
foreach (var s in samples)
    Console.WriteLine($"{(s.Scheme == "xavier_normal_" ? "xavier_normal_ (course workaround)" : s.Scheme),-36} expected std {s.ExpectedStd:F5}  torch {s.TorchStd:F5}  scratch {s.ScratchStd:F5}  kurtosis torch {s.TorchExcessKurtosis,5:F2} scratch {s.ScratchExcessKurtosis,5:F2}");
Claim.That("gains and fans agree exactly", initParity.Agrees(1e-12), $"max |Δ| = {initParity.MaxAbsDiff:E1}");
Claim.That("every torch initializer (the course's workaround for xavier_normal_) and every scratch one samples the distribution its formula describes",
    samples.All(s => s.Agrees), $"{samples.Count(s => s.Agrees)}/{samples.Count} agree");

// TorchSharp's own xavier_normal_, measured the same way.
var ownXavier = torch.empty(256, 512);
using (torch.no_grad()) torch.nn.init.xavier_normal_(ownXavier);
var centred = ownXavier - ownXavier.mean();
double ownVar = centred.pow(2).mean().item<float>(), ownKurtosis = centred.pow(4).mean().item<float>() / (ownVar * ownVar) - 3;
Console.WriteLine($"torch.nn.init.xavier_normal_ itself: std {Math.Sqrt(ownVar):F5} (formula {Init.XavierNormalStd([256, 512]):F5}), excess kurtosis {ownKurtosis:F2}");
Claim.That("TorchSharp 0.107's own xavier_normal_ has the right std but the shape of a uniform (excess kurtosis near −1.2, not 0)",
    Math.Abs(Math.Sqrt(ownVar) / Init.XavierNormalStd([256, 512]) - 1) < 0.02 && Math.Abs(ownKurtosis + 1.2) < 0.1, $"kurtosis {ownKurtosis:F2}");
Lesson.Show(initParity);

// ## 3. Through 30 layers: reproducing He et al. (2015)
//
// He et al. (2015) derived the ReLU rule above and showed that with Xavier's rule a 30-layer ReLU network does not learn
// at all, while theirs does. We repeat the measurement behind it. `InitLab.HeEtAl2015()` builds 30 layers of
// `Linear(256, 256)` + activation, initialised by PyTorch's default, by Xavier (normal) and by He
// (`kaiming_normal_`), sends a batch of $\mathcal N(0, 1)$ inputs forward and an $\mathcal N(0, 1)$ gradient backward,
// and records per layer the std of the activations $h_l$ and of the gradients $\partial L/\partial h_l$ (pooled over 4
// independently initialised networks, since the theory is about averages over random weights).
Lesson.Section("3. Through 30 layers: reproducing He et al. (2015)");

var runs = InitLab.HeEtAl2015();
DepthRun Run(InitScheme scheme, string nonlinearity) => runs.Single(r => r.Init == scheme && r.Nonlinearity == nonlinearity);
string Name(InitScheme scheme) => scheme switch { InitScheme.Default => "default", InitScheme.XavierNormal => "Xavier", _ => "He" };
Console.WriteLine("φ     init     activation std: layer 1 → layer 30 (per layer)    gradient std: layer 1 / layer 30");
foreach (var r in runs)
    Console.WriteLine($"{r.Nonlinearity,-5} {Name(r.Init),-7}  {r.Layers[0].ActivationStd,9:E2} → {r.Layers[^1].ActivationStd,9:E2}  (×{r.PerLayerFactor:F3})    {r.GradientRatio,9:E2}");
var reluRuns = runs.Where(r => r.Nonlinearity == "relu").ToList();
Lesson.Show(Charts.LayerStats([.. reluRuns.Select(r => (Name(r.Init), (IReadOnlyList<double>)r.Layers.Select(l => l.ActivationStd).ToArray()))],
    yTitle: "std of the activations h_l", logY: true, title: "Forward: activation std per layer, 30 ReLU layers"));

// Only He's rule keeps the signal's scale. Xavier's loses a factor $\approx 1/\sqrt2$ per layer, as the algebra
// predicted. The default init's activations do not vanish completely — they settle at the size of the *biases* — but
// what remains is bias noise that no longer depends on the input. The backward pass makes the default's problem plain:

Lesson.Show(Charts.LayerStats([.. reluRuns.Select(r => (Name(r.Init), (IReadOnlyList<double>)r.Layers.Select(l => l.ActivationGradientStd).ToArray()))],
    yTitle: "std of ∂L/∂h_l", logY: true, title: "Backward: gradient std per layer (the gradient flows from layer 30 to layer 1)"));

var tanhRuns = runs.Where(r => r.Nonlinearity == "tanh").ToList();
var (tanhDefault, tanhXavier, tanhHe) = (Run(InitScheme.Default, "tanh"), Run(InitScheme.XavierNormal, "tanh"), Run(InitScheme.KaimingNormal, "tanh"));
Claim.That("with tanh the per-layer factor of the activations' std orders default < Xavier < He, and He's stays within 5% of 1",
    tanhDefault.PerLayerFactor < tanhXavier.PerLayerFactor && tanhXavier.PerLayerFactor < tanhHe.PerLayerFactor && Math.Abs(tanhHe.PerLayerFactor - 1) < 0.05,
    $"{tanhDefault.PerLayerFactor:F3}, {tanhXavier.PerLayerFactor:F3}, {tanhHe.PerLayerFactor:F3}");
Lesson.Show(Charts.LayerStats([.. tanhRuns.Select(r => (Name(r.Init), (IReadOnlyList<double>)r.Layers.Select(l => l.ActivationStd).ToArray()))],
    yTitle: "std of the activations h_l", logY: true, title: "Forward with tanh: activation std per layer, 30 tanh layers"));

// With tanh nothing is zeroed, so every rule does better than with ReLU, in the same order: the default loses the signal
// fastest, Xavier's rule slowly (tanh compresses a little at every layer), and He's larger weights keep the activations'
// size — tanh's bound of 1 stops them from growing — while the gradient grows somewhat towards the first layer.
// (PyTorch's `calculate_gain("tanh")` is $5/3$, between Xavier's 1 and He's $\sqrt2$, to make up for the compression.)

var he = Run(InitScheme.KaimingNormal, "relu");
var xavier = Run(InitScheme.XavierNormal, "relu");
var defaultInit = Run(InitScheme.Default, "relu");
Claim.That("He init keeps the ReLU signal through 30 layers: activation and gradient std change by less than 2× end to end",
    he.ActivationRatio is > 0.5 and < 2 && he.GradientRatio is > 0.5 and < 2, $"activation ratio {he.ActivationRatio:F2}, gradient ratio {he.GradientRatio:F2}");
Claim.That("Xavier init loses the ReLU signal: under 1 % left after 30 layers, ≈ 1/√2 ≈ 0.707 per layer",
    xavier.ActivationRatio < 0.01 && xavier.PerLayerFactor is > 0.67 and < 0.74, $"ratio {xavier.ActivationRatio:E2}, per layer {xavier.PerLayerFactor:F3}");
Claim.That("with PyTorch's default init the gradient reaching layer 1 is a million times smaller than at layer 30",
    defaultInit.GradientRatio < 1e-6, $"ratio {defaultInit.GradientRatio:E2} (0.41²⁹ ≈ {Math.Pow(1 / Math.Sqrt(6), 29):E1})");
Claim.That("tanh is gentler on Xavier (nothing is zeroed), keeping over 1000× more of the signal than ReLU does",
    Run(InitScheme.XavierNormal, "tanh").ActivationRatio > 1000 * xavier.ActivationRatio,
    $"tanh {Run(InitScheme.XavierNormal, "tanh").ActivationRatio:E2} vs relu {xavier.ActivationRatio:E2}");

// The per-layer statistics hide the shape of the distributions. `PlainDeepNet` (the course's deep plain MLP) records
// every layer's pre-activations $z_l$; here are layers 1, 10, 20 and 30 for both rules on one shared axis — the
// picture from CS231n's lecture on initialization. With Xavier the distribution collapses onto 0; with He it keeps its
// width. (One finite network's scale also drifts randomly from layer to layer — visible in He's panels — which is why the
// statistics above pool several networks; the drift is small next to Xavier's collapse.)

IReadOnlyList<(string, IReadOnlyList<float>)> PreActivations(string init)
{
    using var net = new PlainDeepNet(31, 256, "relu", init, seed: 0);   // 31 Linear layers = 30 hidden layers + output
    using var scope = torch.NewDisposeScope();
    var (_, layers) = net.ForwardWithActivations(torch.randn(256, 256));
    return [.. new[] { 1, 10, 20, 30 }.Select(l => ($"{init}, layer {l}", (IReadOnlyList<float>)layers[l - 1].Pre.data<float>().ToArray()))];
}
Lesson.Show(Charts.Histograms([.. PreActivations("xavier"), .. PreActivations("kaiming")], bins: 50, range: (-4, 4), xTitle: "pre-activation z",
    title: "Pre-activations at layers 1, 10, 20, 30: Xavier (top) vs He (bottom)"));

// ### Does it matter for training?
//
// A vanished signal means the output no longer depends on the input and the early layers get no gradient. He et al.
// report that their 30-layer ReLU network trained from Xavier's init "completely stalls". `InitLab.TrainDeep` repeats
// a small version: a plain ReLU network of 30 `Linear` layers ($64 \to 64 \cdots 64 \to 10$) on the 8×8 digits, 10 epochs of
// SGD with momentum at a learning rate of 0.005, the same for both. A network whose output ignores its input can do no better than
// predicting the class frequencies: a loss of $\ln 10 \approx 2.303$.
Lesson.Section("Does it matter for training?");

var trainHe = InitLab.TrainDeep(InitScheme.KaimingNormal);
var trainXavier = InitLab.TrainDeep(InitScheme.XavierNormal);
foreach (var (name, r) in new[] { ("He", trainHe), ("Xavier", trainXavier) })
    Console.WriteLine($"{name,-7} loss per epoch {string.Join("  ", r.EpochLosses.Select(l => l.ToString("F3")))}, test accuracy {r.TestAccuracy:P1}");
Claim.That("from Xavier init the 30-layer ReLU net stays at chance level (loss within 0.02 of ln 10 in every epoch)",
    trainXavier.EpochLosses.All(l => Math.Abs(l - DeepTrainingRun.ChanceLoss) < 0.02), $"losses {string.Join(", ", trainXavier.EpochLosses.Select(l => l.ToString("F3")))}");
Claim.That("from He init it learns: final loss at least 0.3 below ln 10, test accuracy 20 points higher",
    trainHe.FinalLoss < DeepTrainingRun.ChanceLoss - 0.3 && trainHe.TestAccuracy > trainXavier.TestAccuracy + 0.2,
    $"final loss {trainHe.FinalLoss:F3}, accuracy {trainHe.TestAccuracy:P1} vs {trainXavier.TestAccuracy:P1}");
Lesson.Show(Charts.LossCurves([("He", trainHe.EpochLosses, null), ("Xavier", trainXavier.EpochLosses, null)], title: "30-layer plain ReLU net on the digits"));

// Thirty plain layers are still hard even from He's init (progress is slow and noisy); two later ideas make very deep
// networks easy — normalization ([07 · Batch normalization](07-batch-norm.ipynb)) and residual connections
// ([10 · Residual networks](10-residual.ipynb)). Initialization is what makes them trainable in the first place.
//
// ## 4. Exploding gradients and gradient clipping
//
// Make He's weights twice as large and each layer multiplies the variance by 4 — the std doubles per layer, and after 30
// layers it has grown by $2^{29} \approx 5\cdot10^8$. The gradients grow the same way backwards; one SGD step along such a
// gradient would throw the weights arbitrarily far.
Lesson.Section("4. Exploding gradients and gradient clipping");

// ### Try it: match the init to the activation, and judge on validation data
//
// The syllabus's rule of thumb — Xavier for tanh, He for ReLU, and never a scale that ignores the layer's size — is a
// claim about training, so test it there. The cell trains a 12-layer plain network ($64 \to 64 \cdots \to 10$) on the
// digits with `Trainer.Fit` (the loop of notebook 03), once for each activation and initialization, and compares the
// **best validation loss** over the epochs (validation: the 25 % of images the network never trains on). PyTorch's
// default init is in the race too.
//
// Knobs to try: `depth` (6 makes everything easier, 20 harder), `activations` (add `"sigmoid"` or `"gelu"`), the list of
// inits (add `("Xavier, gain 5/3", InitScheme.XavierNormal, 5.0 / 3)` — PyTorch's recommended tanh gain), `epochs`, the
// learning rate. Look at which runs never leave the chance level $\ln 10 \approx 2.30$, and for the ones that learn,
// how far apart they end.
Lesson.Section("Try it: match the init to the activation, and judge on validation data");

// Renamed here, since a C# program declares a name once: Run → Run2.
int depth = 12, width = 64, epochs = 5;
Optim optimizer = Optim.Sgd(0.01, momentum: 0.9);
string[] activations = ["tanh", "relu"];
(string Name, InitScheme Scheme, double Gain)[] inits = [("default", InitScheme.Default, 1), ("Xavier", InitScheme.XavierNormal, 1), ("He", InitScheme.KaimingNormal, 1)];

var digits = TrainData.From(Digits.Load8x8());
var (train, validation) = digits.Split(0.25, seed: 0);
var matched = new List<(string Activation, string Init, History History)>();
foreach (string activation in activations)
    foreach (var (initName, scheme, gain) in inits)
    {
        torch.manual_seed(0);
        var model = InitLab.Apply(new PlainDeepNet(depth, width, activation, inputs: 64, outputs: 10), scheme, gain: gain);
        var history = Trainer.Fit(model, train, validation, new TrainOptions
        {
            Epochs = epochs, BatchSize = 32, Optimizer = optimizer, Seed = 0, Progress = Progress.None, ThrowOnDivergence = false,
        });
        matched.Add((activation, initName, history));
    }
double BestValidation(History h) => h.Epochs.Min(e => e.ValidationLoss ?? double.PositiveInfinity);
foreach (var m in matched)
    Console.WriteLine($"{m.Activation,-5} {m.Init,-18} best validation loss {BestValidation(m.History):F3}, validation accuracy at the end {m.History.Last.ValidationAccuracy:P1}");
History Run2(string activation, string init) => matched.Single(m => m.Activation == activation && m.Init == init).History;
Claim.That("with PyTorch's default init neither 12-layer net leaves the chance level (best validation loss within 0.02 of ln 10)",
    activations.All(a => Math.Abs(BestValidation(Run2(a, "default")) - Math.Log(10)) < 0.02),
    string.Join(", ", activations.Select(a => $"{a} {BestValidation(Run2(a, "default")):F3}")));
Claim.That("for the ReLU net He's init reaches less than half of Xavier's best validation loss",
    BestValidation(Run2("relu", "He")) < 0.5 * BestValidation(Run2("relu", "Xavier")),
    $"He {BestValidation(Run2("relu", "He")):F3}, Xavier {BestValidation(Run2("relu", "Xavier")):F3}");
Claim.That("the tanh net learns from Xavier's init (best validation loss below 0.5)", BestValidation(Run2("tanh", "Xavier")) < 0.5,
    $"{BestValidation(Run2("tanh", "Xavier")):F3}");
Lesson.Show(Charts.LossCurves([.. matched.Select(m => ($"{m.Activation}, {m.Init}", (IReadOnlyList<double>)m.History.Epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray(), (IReadOnlyList<double>?)null))],
    yTitle: "validation loss", title: $"{depth}-layer plain nets on the digits: validation loss per epoch"));

// The default init's factor $\tfrac13$ per layer (with tanh; $\tfrac16$ with ReLU) starves both networks. For ReLU,
// Xavier's missing factor 2 costs most of the learning, as the 30-layer measurement predicted. For tanh the margin is
// wider: any gain from about 1 (Xavier) to $\sqrt2$ (He's) keeps the signal, so in this run He's init is no worse there —
// the match that matters most is the *scale* for the activation, and only ReLU-like units need the factor 2. With one
// seed and five epochs, differences of a few hundredths between runs that learn are noise; differences of 2× are not.

var exploding = InitLab.SignalThroughDepth(InitScheme.KaimingNormal, scale: 2, width: 128);
Claim.That("He init ×2 blows the activations up by more than a million over 30 layers", exploding.ActivationRatio > 1e6,
    $"ratio {exploding.ActivationRatio:E2} (2²⁹ ≈ {Math.Pow(2, 29):E1})");

// **Gradient clipping** is the standard safety net (Pascanu, Mikolov & Bengio 2013). `clip_grad_norm_` treats all
// parameters' gradients as one long vector $g$ and rescales it when its norm exceeds a threshold $c$:
//
// $$g \;\leftarrow\; g \cdot \min\!\Big(1, \frac{c}{\lVert g\rVert}\Big).$$
//
// Every gradient is multiplied by the *same* factor, so the update keeps its direction and only its length is capped.
// In TorchSharp, call it between `backward()` and `optimizer.step()`:
//
// ```csharp
// loss.backward();
// torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm: 1.0);
// optimizer.step();
// ```
//
// `InitLab.GradientClipping` does one backward pass through the exploding network and clips to $c = 1$:

var clip = InitLab.GradientClipping(scale: 2, maxNorm: 1, width: 128);
double[] factors = [.. clip.LayerNormsAfter.Zip(clip.LayerNormsBefore, (after, before) => after / before)];
Console.WriteLine($"global gradient norm {clip.NormBefore:E2} → {clip.NormAfter:F4}");
Claim.That("before clipping the global gradient norm exceeds a million; after, it is 1", clip.NormBefore > 1e6 && Math.Abs(clip.NormAfter - 1) < 1e-3,
    $"{clip.NormBefore:E2} → {clip.NormAfter:F5}");
Claim.That("every layer's gradient is scaled by the same factor (the direction is kept)", factors.Max() / factors.Min() - 1 < 1e-3,
    $"factors between {factors.Min():E3} and {factors.Max():E3}");
Lesson.Show(Charts.LayerStats([("before clipping", clip.LayerNormsBefore), ("after clipping (max norm 1)", clip.LayerNormsAfter)],
    yTitle: "‖∂L/∂W_l‖", logY: true, title: "Weight-gradient norm per layer, He init ×2"));

// Why is every layer's weight gradient about equally large? $\partial L/\partial W_l = \delta_l^\top h_{l-1}$: the
// activations $h_{l-1}$ grow going up the network, the backward signal $\delta_l$ grows going down, and their product is
// about the same everywhere. Notice also what clipping does *not* do: it changes the step, not the network — the
// activations still grow by $5\cdot10^8$ from input to output. Clipping prevents a single catastrophic step; a good
// initialization fixes the cause.
//
// ## Exercises
//
// ### Exercise 1: the fan of a convolution
// For a convolutional weight $[C_\text{out}, C_\text{in}, k_h, k_w]$ every output sums over $C_\text{in}\,k_h k_w$ inputs, so
// that is its $n_\text{in}$. Compute, by hand, the standard deviation of He's initialization (ReLU, fan-in mode) for a
// weight of shape $[64, 32, 3, 3]$ and store it in `heStd`.
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: the fan of a convolution");

// TODO: He's std = gain / √fan_in with gain √2 for ReLU; fan_in of a conv weight includes the kernel size.
double heStd = 0;

Exercise.CheckClose("05-1", heStd, Init.KaimingStd([64, 32, 3, 3], nonlinearity: "relu"), 1e-9,
    "each output of a conv sums over C_in·k_h·k_w inputs; He's variance is 2 divided by that fan_in, and you want the standard deviation",
    codeHint: "double fanIn = 32 * 3 * 3; double heStd = Math.Sqrt(…);");

// ### Exercise 2: He-initialise a network yourself
// `deep` below is a plain stack of 20 `Linear(128, 128)` + ReLU layers with PyTorch's default initialization. Loop over
// its modules and give every `Linear` He's initialization (`torch.nn.init.kaiming_normal_` for ReLU) and a zero bias,
// so that the signal reaches the last layer at the scale it had after the first. (Inside `torch.no_grad()`; the
// `Linear` type is `TorchSharp.Modules.Linear`.)
Lesson.Section("Exercise 2: He-initialise a network yourself");

torch.manual_seed(5);
nn.Module<Tensor, Tensor>[] blocks = [.. Enumerable.Range(0, 20).SelectMany(_ => new nn.Module<Tensor, Tensor>[] { nn.Linear(128, 128), nn.ReLU() })];
var deep = nn.Sequential(blocks);
// The std of the output of every ReLU, for a batch of N(0, 1) inputs.
double[] ReluStds(nn.Module<Tensor, Tensor> model)
{
    using var scope = torch.NewDisposeScope();
    using var noGrad = torch.no_grad();
    var h = torch.randn(512, 128);
    var stds = new List<double>();
    foreach (var m in model.children().Cast<nn.Module<Tensor, Tensor>>())
    {
        h = m.call(h);
        if (m is TorchSharp.Modules.ReLU) stds.Add(h.std().item<float>());
    }
    return [.. stds];
}
var before = ReluStds(deep);
Console.WriteLine($"default init: std after layer 1 {before[0]:F3}, after layer 20 {before[^1]:E2}");

// TODO: for every TorchSharp.Modules.Linear in deep.modules(): kaiming_normal_ on its weight (ReLU), zeros_ on its bias.

var after = ReluStds(deep);
double ratio = after[^1] / after[0];
Exercise.Check("05-2", ratio is > 0.5 and < 2,
    $"the last layer's std is {ratio:G3}× the first's: every Linear layer of the Sequential needs He's weights (for ReLU) and a zero bias; changing weights in place needs no_grad",
    codeHint: "using (torch.no_grad()) foreach (var m in deep.modules()) if (m is TorchSharp.Modules.Linear lin) { /* kaiming_normal_ on lin.weight, zeros_ on lin.bias! */ }");

// ### Exercise 3: clip by hand
// `grads` holds the gradients of a small network's parameters after a backward pass on a deliberately huge loss. Write
// what `clip_grad_norm_(parameters, 1.0)` does: compute the global norm $\lVert g\rVert = \sqrt{\sum_p \lVert g_p\rVert^2}$ over
// all of them and, if it exceeds 1, scale every gradient by $1/\lVert g\rVert$. Store the results in `clipped` (same order).
Lesson.Section("Exercise 3: clip by hand");

torch.manual_seed(3);
var small = nn.Sequential(nn.Linear(10, 20), nn.Tanh(), nn.Linear(20, 3));
(1000 * small.call(torch.randn(16, 10)).pow(2).sum()).backward();
var grads = small.parameters().Select(p => p.grad!.clone()).ToList();
Console.WriteLine($"{grads.Count} gradients, norms {string.Join(", ", grads.Select(g => g.norm().item<float>().ToString("E2")))}");

// TODO: the global norm over all gradients, then scale each one by min(1, 1 / norm).
var clipped = grads.Select(g => g.clone()).ToList();

torch.nn.utils.clip_grad_norm_(small.parameters(), 1.0);
double clipDiff = small.parameters().Zip(clipped, (p, c) => (p.grad! - c).abs().max().item<float>()).Max();
Exercise.Check("05-3", clipped.Count == grads.Count && clipDiff < 1e-5,
    $"one norm for all the gradients together — the square root of the sum of every gradient's squared norm — then the same factor min(1, 1/norm) for each (max |yours − clip_grad_norm_'s| = {clipDiff:E2})",
    codeHint: "double norm = Math.Sqrt(grads.Sum(g => Math.Pow(g.norm().item<float>(), 2))); then grads.Select(g => g * …)");

// ## Takeaways
// - Equal initial weights make equal units forever: random initialization breaks the symmetry.
// - A layer multiplies the signal's variance by $n_\text{in}\operatorname{Var}(w)$ (halved by a ReLU); over many layers any
//   factor but 1 vanishes or explodes geometrically — forwards and backwards. A fixed scale that ignores $n_\text{in}$
//   cannot be right for every layer size.
// - Xavier ($2/(n_\text{in}+n_\text{out})$; LeCun's $1/n_\text{in}$ for square layers) suits tanh and linear layers; He
//   ($2/n_\text{in}$) suits ReLU. In TorchSharp 0.107: `kaiming_normal_` and `xavier_uniform_` work as documented, but
//   `xavier_normal_` draws a uniform — use `InitLab.Fill(w, InitScheme.XavierNormal)` or `normal_(w, 0, std)`; all in
//   place, under `no_grad`.
// - Through 30 ReLU layers He keeps the signal's scale, Xavier loses $1/\sqrt2$ per layer, and the 30-layer net only
//   learns from He's init (He et al. 2015). Trained and judged on validation, the default init stalls deep nets of
//   either activation, ReLU needs He's factor 2, tanh is content with Xavier.
// - `clip_grad_norm_` caps the length of an exploding gradient without changing its direction — a safety net, not a cure.
Lesson.Section("Takeaways");
