// 01 · Activation functions — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/01-activations.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/01-activations.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/01-activations/.
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

Lesson.Start("../01-activations.ipynb", "01 · Activation functions");

// # 01 · Activation functions
//
// A neural network alternates two kinds of steps: an affine map $z = Wx + b$ (a `Linear` layer) and an **activation
// function** $\phi$ applied to every entry of $z$. The affine maps hold almost all the parameters; the activations are
// what make depth worth having. This notebook shows why, then walks through the activations you will meet in practice,
// each computed from scratch, with TorchSharp, and measured.
//
// **Objectives** — by the end of this notebook you can:
// - show that a stack of linear layers without activations is a single linear layer;
// - write sigmoid, tanh, the ReLU family, GELU, Swish and softmax with their derivatives, and check them against autograd;
// - explain and measure saturation and the vanishing gradient of sigmoid and tanh;
// - explain and measure the dying-ReLU problem on a real network, and what Leaky ReLU changes;
// - choose an activation for hidden layers and for outputs.
//
// Previous: [00 · Setup](00-setup.ipynb) · Next: [02 · Loss functions](02-losses.ipynb).

torch.manual_seed(0);
var rng = new Rng(0);

// One chart of f and f′ for some activations, from the library's f/f′ tables (scratch values, checked against autograd).
Figure Curves(string title, params string[] names)
{
    var tables = ActivationExperiments.Tables(names);
    return Charts.Functions(tables[0].X, tables.Select(t => (t.Name, (IReadOnlyList<double>)t.F, (IReadOnlyList<double>?)t.DF)).ToList(), title: title);
}

// ## 1. Why a nonlinearity?
//
// Take two linear layers, $h = W_1x + b_1$ and $y = W_2h + b_2$. Substituting one into the other,
//
// $$y = W_2(W_1x + b_1) + b_2 = \underbrace{(W_2W_1)}_{W}\,x + \underbrace{(W_2b_1 + b_2)}_{b},$$
//
// which is again one linear layer. By induction, **any** number of stacked linear layers equals a single one: its
// decision boundaries are hyperplanes, it cannot represent XOR, two moons, or anything curved, and the extra layers
// only add parameters. Putting an elementwise nonlinearity between the layers, $h = \phi(W_1x + b_1)$, breaks the
// substitution — and with it the collapse. (With a nonlinearity, one hidden layer that is wide enough can already
// approximate any continuous function on a bounded domain: the universal approximation theorem of Cybenko 1989 and
// Hornik 1991.)
//
// `ActivationExperiments.StackedLinearCollapse` builds seven `torch.nn.Linear` layers ($8 \to 32 \to \dots \to 32 \to 4$),
// multiplies their weights into one $W$ and $b$ exactly as above, and compares the stack with that single layer — once
// without activations and once with ReLU between the layers.
Lesson.Section("1. Why a nonlinearity?");

var collapse = ActivationExperiments.StackedLinearCollapse();
Console.WriteLine($"widths [{string.Join(", ", collapse.Sizes)}] → one layer with W [{string.Join(", ", collapse.Weight.Shape)}], b [{string.Join(", ", collapse.Bias.Shape)}]");
Console.WriteLine($"max |stack(x) − Wx − b|: without activations {collapse.MaxAbsDiff:E2}, with ReLU between the layers {collapse.WithReluMaxAbsDiff:E2}");
Claim.That("seven linear layers compute exactly what one linear layer computes (up to float32 round-off)",
    collapse.MaxAbsDiff < 1e-5, $"max |Δ| = {collapse.MaxAbsDiff:E2}");
Claim.That("with ReLU between them, the stack is no longer that linear layer",
    collapse.WithReluMaxAbsDiff > 1e-2, $"max |Δ| = {collapse.WithReluMaxAbsDiff:E2}");

// ## 2. Sigmoid and tanh: squashing, saturation, vanishing gradients
//
// The two classic activations squash the real line into an interval:
//
// $$\sigma(x) = \frac{1}{1 + e^{-x}} \in (0, 1), \qquad \sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr) \le \tfrac14,$$
//
// $$\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1 \in (-1, 1), \qquad \tanh'(x) = 1 - \tanh^2(x) \le 1.$$
//
// Sigmoid reads as a probability, which is why it is still the output of binary classifiers; tanh is a rescaled
// sigmoid that is **zero-centred**, so the next layer sees inputs of both signs. Both derivatives are largest at 0
// and fall off exponentially: for $|x| \gtrsim 5$ the unit is **saturated** — its output barely changes, so its gradient
// is nearly zero.
//
// **From scratch** (`src/DeepLearning.Scratch/Activations.cs`, `Activations.Sigmoid`). The forward pass picks the form
// that cannot overflow, and caches its *output*, because the derivative is a function of it:
//
// ```csharp
// public static T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
// {
//     if (x >= T.Zero) return T.One / (T.One + T.Exp(-x));
//     T e = T.Exp(x);                 // x < 0: e^x / (1 + e^x), so e^{-x} never overflows
//     return e / (T.One + e);
// }
//
// // Backward(dout, cache): the chain rule, dx = dout ⊙ σ′(x) = dout ⊙ y(1 − y)
// return Zip(dout, cache.Out, static (g, y) => g * y * (T.One - y));
// ```
//
// **With TorchSharp** it is one call, `torch.nn.functional.sigmoid(x)` (or the module `torch.nn.Sigmoid()` between
// layers), and autograd supplies the backward pass. The same inputs both ways:
Lesson.Section("2. Sigmoid and tanh: squashing, saturation, vanishing gradients");

var xt = torch.linspace(-6, 6, 7);
var (ySigmoid, _) = Activations.Sigmoid.Forward(xt.ToNDArray());
var (yTanh, _) = Activations.Tanh.Forward(xt.ToNDArray());
Console.WriteLine($"x                     {xt.ToNDArray()}");
Console.WriteLine($"scratch   σ(x)        {ySigmoid}");
Console.WriteLine($"TorchSharp sigmoid(x) {torch.nn.functional.sigmoid(xt).ToNDArray()}");
Console.WriteLine($"scratch   tanh(x)     {yTanh}");
Console.WriteLine($"TorchSharp tanh(x)    {torch.nn.functional.tanh(xt).ToNDArray()}");

// `Parity.Activation` runs the scratch `Forward`/`Backward` pair and TorchSharp's forward + autograd on the same random
// input with the same upstream gradient `dout`, and reports the largest difference of the outputs and of $\partial L/\partial x$:

var xs = rng.NormalArray<float>(0, 3, 4, 6);
var sigmoidParity = Parity.Activation("sigmoid", xs);
var tanhParity = Parity.Activation("tanh", xs);
Console.WriteLine(sigmoidParity);
Console.WriteLine(tanhParity);
Claim.That("scratch and TorchSharp agree on sigmoid and tanh, forward and backward",
    sigmoidParity.Agrees() && tanhParity.Agrees(), $"max |Δ| = {Math.Max(sigmoidParity.MaxAbsDiff, tanhParity.MaxAbsDiff):E2}");

Lesson.Show(Curves("Sigmoid and tanh: the derivatives vanish away from 0", "sigmoid", "tanh"));

// ### Saturation, measured
//
// How many units of a layer are saturated depends on how large their pre-activations $z$ are. Draw
// $z \sim \mathcal N(0, s^2)$ for 20,000 units and count those with $|f'(z)| < 0.01$ (derivatives by autograd) — for several
// scales $s$:
Lesson.Section("Saturation, measured");

double[] scales = [0.5, 1, 2, 5, 10];
var sweep = ActivationExperiments.SaturationSweep(scales);
foreach (var r in sweep)
    Console.WriteLine($"s = {r.InputScale,4}: saturated sigmoid {r["sigmoid"].SaturatedFraction,6:P1}, tanh {r["tanh"].SaturatedFraction,6:P1};  mean |σ′| {r["sigmoid"].MeanAbsDerivative:F3}, mean |tanh′| {r["tanh"].MeanAbsDerivative:F3}");
var (small, large) = (sweep[0], sweep[^1]);
Claim.That("with small pre-activations (s = 0.5) no unit is saturated", small["sigmoid"].SaturatedFraction == 0 && small["tanh"].SaturatedFraction == 0,
    $"{small["sigmoid"].SaturatedFraction:P1} and {small["tanh"].SaturatedFraction:P1}");
Claim.That("with large ones (s = 10) most sigmoid units are saturated, and even more tanh units",
    large["sigmoid"].SaturatedFraction > 0.5 && large["tanh"].SaturatedFraction > large["sigmoid"].SaturatedFraction,
    $"sigmoid {large["sigmoid"].SaturatedFraction:P1}, tanh {large["tanh"].SaturatedFraction:P1}");
Claim.That("the average sigmoid derivative shrinks more than 4× from s = 0.5 to s = 10",
    large["sigmoid"].MeanAbsDerivative < small["sigmoid"].MeanAbsDerivative / 4,
    $"{small["sigmoid"].MeanAbsDerivative:F3} → {large["sigmoid"].MeanAbsDerivative:F3}");

Lesson.Show(Charts.Lines([
        ("sigmoid", scales, sweep.Select(r => r["sigmoid"].SaturatedFraction).ToArray()),
        ("tanh", scales, sweep.Select(r => r["tanh"].SaturatedFraction).ToArray())],
    xTitle: "std s of the pre-activations", yTitle: "fraction with |f′(z)| < 0.01", logX: true, markers: true,
    title: "Saturated units grow with the size of the pre-activations"));

// (tanh saturates *more* than sigmoid at the same $s$ because $\tanh(x) = 2\sigma(2x) - 1$ is a sigmoid squeezed
// twice as fast.) Large pre-activations come from large weights or unnormalised inputs — which is why initialisation
// (notebook 05) and normalisation (notebook 07) matter so much for these activations.
//
// ### The vanishing gradient
//
// Backpropagation through $L$ layers $h_l = \phi(z_l)$, $z_l = W_l h_{l-1} + b_l$ multiplies one factor per layer:
//
// $$\frac{\partial L}{\partial h_{l-1}} = W_l^{\top}\Bigl(\phi'(z_l) \odot \frac{\partial L}{\partial h_l}\Bigr).$$
//
// With sigmoid every factor $\phi'(z_l)$ is at most $\frac14$. With weights of gain 1 (Xavier/Glorot initialisation,
// Glorot & Bengio 2010, which keeps $W_l^\top$ from growing or shrinking the signal), the gradient therefore shrinks
// by about 4× per layer on its way down, and nine layers below the top it is of order $4^{-9} \approx 4\cdot10^{-6}$
// of what the last layer gets: the first layers hardly learn. `ActivationExperiments.GradientThroughDepth` measures
// $\|\partial L/\partial W_l\|$ for every layer of a 10-layer stack ($64$ units wide, Xavier-normal weights):
Lesson.Section("The vanishing gradient");

string[] depthActs = ["sigmoid", "tanh", "relu", "gelu"];
var depth = depthActs.Select(a => ActivationExperiments.GradientThroughDepth(a)).ToList();
foreach (var d in depth)
    Console.WriteLine($"{d.Activation,-8} ‖∂L/∂W₁‖ / ‖∂L/∂W₁₀‖ = {d.FirstToLast:E2}");
Claim.That("with sigmoid the first layer gets less than 1/1000 of the last layer's gradient",
    depth[0].FirstToLast < 1e-3, $"ratio {depth[0].FirstToLast:E2}");
Claim.That("with tanh, ReLU and GELU the gradient reaches the first layer within a factor of 3",
    depth.Skip(1).All(d => d.FirstToLast > 1.0 / 3 && d.FirstToLast < 3),
    string.Join(", ", depth.Skip(1).Select(d => $"{d.Activation} {d.FirstToLast:F2}")));

Lesson.Show(Charts.LayerStats(depth.Select(d => (d.Activation, (IReadOnlyList<double>)d.WeightGradientNorms)).ToList(),
    yTitle: "‖∂L/∂W‖ of the layer", logY: true, title: "Gradient reaching each layer of a 10-layer stack (Xavier init)"));

// ## 3. ReLU and the dying-ReLU problem
//
// The rectified linear unit (Nair & Hinton 2010; Glorot, Bordes & Bengio 2011) is the default hidden activation:
//
// $$\mathrm{relu}(x) = \max(0, x), \qquad \mathrm{relu}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}$$
//
// (PyTorch uses $0$ at the kink $x = 0$; so does the scratch half). For positive inputs the derivative is exactly 1,
// so gradients pass through active units undiminished — no saturation, no vanishing from the activation itself —
// and it costs one comparison. For negative inputs the output *and* the derivative are 0: activations are sparse.
//
// **From scratch** (`Activations.Relu`): the cache is the input, whose sign is the gate.
//
// ```csharp
// public static (NDArray<T> Out, Cache<T> Cache) Forward<T>(NDArray<T> x) ... =>
//     (Map(x, Apply), new Cache<T>(x));                          // Apply(x) = T.Max(x, T.Zero)
//
// public static NDArray<T> Backward<T>(NDArray<T> dout, Cache<T> cache) ... =>
//     Zip(dout, cache.X, static (g, x) => x > T.Zero ? g : T.Zero);
// ```
//
// **With TorchSharp**: `torch.nn.functional.relu(x)`, or `torch.nn.ReLU()` in a `Sequential`.
Lesson.Section("3. ReLU and the dying-ReLU problem");

var reluParity = Parity.Activation("relu", xs);
Console.WriteLine(reluParity);
Claim.That("scratch and TorchSharp agree on ReLU, forward and backward", reluParity.Agrees(), $"max |Δ| = {reluParity.MaxAbsDiff:E2}");

// The zero region has a price. If a unit's pre-activation $z = w^\top x + b$ is $\le 0$ for **every** training example,
// its output is always 0 and so is the gradient of its weights $w$ and bias $b$ — no gradient step can ever change
// them, and the unit is **dead** for good. A large update can push $b$ far negative (a learning rate that is too high
// does exactly that), and a negative bias at initialisation kills units at birth.
//
// `ActivationExperiments.DyingRelu` trains a $2 \to 64 \to 64 \to 2$ network on the two-moons data by minibatch SGD for
// 30 epochs and then counts the hidden units that output 0 on every training example. We compare ReLU with
// **Leaky ReLU**, $\max(x, 0.01x)$, at a sane learning rate (0.1) and a too-high one (3):

var dying = ActivationExperiments.DyingReluComparison(saneLearningRate: 0.1, highLearningRate: 3);
foreach (var r in dying)
    Console.WriteLine($"{r.Activation,-10} lr {r.LearningRate,-4} dead {r.DeadFraction,6:P1}  (z ≤ 0 everywhere: {r.InactiveFraction,6:P1})  accuracy {r.Accuracy:P1}");
var (reluSane, reluHigh, leakySane, leakyHigh) = (dying[0], dying[1], dying[2], dying[3]);
Claim.That("even at a sane learning rate some ReLU units die", reluSane.DeadFraction > 0, $"{reluSane.DeadFraction:P1} dead");
Claim.That("a too-high learning rate kills far more (at least 25 points more)", reluHigh.DeadFraction > reluSane.DeadFraction + 0.25,
    $"{reluSane.DeadFraction:P1} → {reluHigh.DeadFraction:P1}");
Claim.That("Leaky ReLU has no dead units at either learning rate", leakySane.DeadFraction == 0 && leakyHigh.DeadFraction == 0,
    $"{leakySane.DeadFraction:P1}, {leakyHigh.DeadFraction:P1}");
Claim.That("at the high learning rate Leaky ReLU still learns the task, ReLU does not",
    leakyHigh.Accuracy > 0.85 && reluHigh.Accuracy < 0.7, $"accuracy {leakyHigh.Accuracy:P1} vs {reluHigh.Accuracy:P1}");

Lesson.Show(Charts.Bars(["lr = 0.1", "lr = 3"],
    [("ReLU", new[] { reluSane.DeadFraction, reluHigh.DeadFraction }), ("Leaky ReLU", new[] { leakySane.DeadFraction, leakyHigh.DeadFraction })],
    yTitle: "fraction of dead hidden units", title: "Dead units after 30 epochs on two moons"));

// Look at the last column of the table: at lr 3 most Leaky ReLU units also have $z \le 0$ on every example — but their
// slope there is 0.01, not 0, so they still receive gradient and can come back. A ReLU unit in the same place is
// stuck. And a large negative bias at initialisation kills nearly every ReLU unit before training starts:

var bornDead = ActivationExperiments.DyingRelu(0.1, "relu", biasInit: -3, epochs: 5);
Console.WriteLine($"biases initialised to −3: {bornDead.DeadFraction:P1} dead, accuracy {bornDead.Accuracy:P1}");
Claim.That("with every bias at −3, more than 90% of the ReLU units are dead and the net is at chance",
    bornDead.DeadFraction > 0.9 && bornDead.Accuracy < 0.6, $"{bornDead.DeadFraction:P1} dead, accuracy {bornDead.Accuracy:P1}");

// ## 4. Keeping a gradient for $x < 0$: Leaky ReLU, PReLU, ELU, SELU
//
// All four keep ReLU's identity for $x > 0$ and change the negative side:
//
// | activation | $f(x)$ for $x \le 0$ | $f'(x)$ for $x \le 0$ | notes |
// | --- | --- | --- | --- |
// | Leaky ReLU | $a x$, $a = 0.01$ | $a$ | fixed small slope (Maas et al. 2013) |
// | PReLU | $a x$, $a$ **learned** | $a$ (and $\partial f/\partial a = x$) | one $a$ per channel; He et al. 2015 |
// | ELU | $\alpha(e^{x} - 1)$ | $\alpha e^{x}$ | smooth, saturates at $-\alpha$; mean output nearer 0 (Clevert et al. 2016) |
// | SELU | $\lambda\alpha(e^{x} - 1)$, and $\lambda x$ for $x > 0$ | $\lambda\alpha e^{x}$ | $\lambda \approx 1.0507$, $\alpha \approx 1.6733$ (Klambauer et al. 2017) |
//
// PReLU's slope is a parameter like a weight, so its backward pass has a second output,
// $\partial L/\partial a_c = \sum \mathrm{dout}\cdot x$ over the non-positive inputs of channel $c$
// (`Activations.PRelu.Backward` returns both `Dx` and `Da`). The parity check below gives each of the 6 channels its own slope:
Lesson.Section("4. Keeping a gradient for $x < 0$: Leaky ReLU, PReLU, ELU, SELU");

var preluSlopes = NDArray.From(new float[] { 0.05f, 0.1f, 0.2f, 0.25f, 0.3f, 0.5f }, 6);
var familyParity = new[]
{
    Parity.Activation("leaky_relu", xs),
    Parity.Activation("prelu", xs, preluSlopes),
    Parity.Activation("elu", xs),
    Parity.Activation("selu", xs),
};
foreach (var p in familyParity) Console.WriteLine($"{p.Topic,-24} {string.Join(", ", p.Rows.Select(r => $"{r.Quantity} {r.MaxAbsDiff:E1}"))}");
Claim.That("scratch and TorchSharp agree on Leaky ReLU, PReLU (including ∂L/∂a), ELU and SELU",
    familyParity.All(p => p.Agrees()), $"max |Δ| = {familyParity.Max(p => p.MaxAbsDiff):E2}");

Lesson.Show(Curves("The ReLU family", "relu", "leaky_relu", "elu", "selu"));

// **SELU's constants** are not arbitrary. Klambauer et al. chose $\lambda$ and $\alpha$ so that if a layer's inputs
// have mean 0 and variance 1 and its weights have variance $1/\text{fan\_in}$ (LeCun-normal initialisation), its outputs
// again have mean 0 and variance 1: the statistics are a stable fixed point, and a deep fully connected net
// *self-normalises* without batch norm. Twenty such layers in a row, once with SELU and once with ReLU:

var finalStats = new Dictionary<string, (double Mean, double Std)>();
foreach (string name in new[] { "selu", "relu" })
{
    torch.manual_seed(0);
    var h = torch.randn(1024, 256);
    for (int l = 0; l < 20; l++)   // LeCun normal: W ~ N(0, 1/fan_in)
        h = TorchActivations.Apply(name, h.matmul(torch.randn(256, 256) / Math.Sqrt(256)));
    finalStats[name] = (h.mean().item<float>(), h.std().item<float>());
    Console.WriteLine($"after 20 {name} layers: mean {finalStats[name].Mean:F3}, std {finalStats[name].Std:F4}");
}
Claim.That("SELU keeps the activations near mean 0 and std 1 through 20 layers",
    Math.Abs(finalStats["selu"].Mean) < 0.2 && Math.Abs(finalStats["selu"].Std - 1) < 0.2, $"mean {finalStats["selu"].Mean:F3}, std {finalStats["selu"].Std:F3}");
Claim.That("with the same weights ReLU halves the variance at every layer, so the signal all but disappears",
    finalStats["relu"].Std < 0.01, $"std {finalStats["relu"].Std:E2}");

// (ReLU is not broken here — it needs weights with twice the variance, $2/\text{fan\_in}$: that is He initialisation,
// from the same He et al. 2015 paper as PReLU, and the subject of notebook 05.)
//
// ## 5. Smooth gates: GELU and Swish
//
// **GELU** (Hendrycks & Gimpel 2016), the activation of BERT and GPT, weights its input by the standard normal CDF $\Phi$:
//
// $$\mathrm{GELU}(x) = x\,\Phi(x) = \tfrac12 x\bigl(1 + \operatorname{erf}(x/\sqrt2)\bigr).$$
//
// The **probabilistic view**: multiply the input by a random gate $m \sim \mathrm{Bernoulli}(\Phi(x))$ — keep $x$ with a
// probability that grows with $x$, like a dropout whose keep-probability depends on the input. GELU is that gate's
// expected effect, $\mathbb E[m\,x] = x\,\Phi(x)$: a ReLU ($m = [x > 0]$) made smooth by noise. A Monte-Carlo check:
Lesson.Section("5. Smooth gates: GELU and Swish");

double x0 = 0.5, keep = 0.5 * Activations.Erfc(-x0 / Math.Sqrt(2));   // Φ(x₀)
var gate = new Rng(1);
double monteCarlo = Enumerable.Range(0, 200_000).Average(_ => gate.Bernoulli(keep) ? x0 : 0.0);
double gelu = Activations.Gelu.Apply(x0);
Console.WriteLine($"Φ({x0}) = {keep:F4};  mean of m·x over 200,000 draws = {monteCarlo:F4};  GELU({x0}) = {gelu:F4}");
Claim.That("the average of the randomly gated input matches GELU", Math.Abs(monteCarlo - gelu) < 0.005, $"|Δ| = {Math.Abs(monteCarlo - gelu):E2}");

// PyTorch also offers a cheaper **tanh approximation**, $\tfrac12 x\bigl(1 + \tanh(\sqrt{2/\pi}\,(x + 0.044715x^3))\bigr)$,
// as `gelu(x, approximate="tanh")`. TorchSharp 0.106's `gelu` has no `approximate=` argument, so the course library
// provides it under the name `"gelu_tanh"` (`TorchActivations.GeluTanh`, written from tensor primitives so autograd
// differentiates it).
//
// **Swish**, $x\,\sigma(\beta x)$ (Ramachandran, Zoph & Le 2017), found by automated search, is with $\beta = 1$ the
// **SiLU** of Elfwing et al. (2018): `torch.nn.functional.silu`. It is close to GELU: $x\Phi(x) \approx x\,\sigma(1.702x)$.
// Both are smooth everywhere, and both are **non-monotonic**: they dip below zero for negative inputs before returning to 0,
// so a unit with $z < 0$ still has a (small) gradient.

var geluTable = ActivationExperiments.Table("gelu");
var geluTanhTable = ActivationExperiments.Table("gelu_tanh");
var siluTable = ActivationExperiments.Table("silu");
double approxGap = geluTable.F.Zip(geluTanhTable.F, (a, b) => Math.Abs(a - b)).Max();
int geluMin = Array.IndexOf(geluTable.F, geluTable.F.Min()), siluMin = Array.IndexOf(siluTable.F, siluTable.F.Min());
Console.WriteLine($"max |GELU − GELU_tanh| on [−5, 5]: {approxGap:E2}");
Console.WriteLine($"minimum of GELU ≈ {geluTable.F[geluMin]:F3} at x ≈ {geluTable.X[geluMin]:F2};  of SiLU ≈ {siluTable.F[siluMin]:F3} at x ≈ {siluTable.X[siluMin]:F2}");
Claim.That("the tanh approximation stays within 0.001 of exact GELU", approxGap < 1e-3, $"max |Δ| = {approxGap:E2}");
double swishGap = geluTable.X.Select((x, i) => Math.Abs(geluTable.F[i] - x * Activations.Sigmoid.Apply(1.702 * x))).Max();
Claim.That("GELU is close to x·σ(1.702x) (within 0.03 on [−5, 5])", swishGap < 0.03, $"max |Δ| = {swishGap:F4}");
Claim.That("GELU and SiLU both dip below −0.1 for negative inputs", geluTable.F[geluMin] < -0.1 && siluTable.F[siluMin] < -0.1,
    $"{geluTable.F[geluMin]:F3} and {siluTable.F[siluMin]:F3}");
var smoothParity = new[] { "gelu", "gelu_tanh", "silu", "softplus" }.Select(n => Parity.Activation(n, xs)).ToList();
foreach (var p in smoothParity) Console.WriteLine($"{p.Topic,-24} {string.Join(", ", p.Rows.Select(r => $"{r.Quantity} {r.MaxAbsDiff:E1}"))}");
Claim.That("scratch and TorchSharp agree on GELU (exact and tanh), SiLU and softplus", smoothParity.All(p => p.Agrees()),
    $"max |Δ| = {smoothParity.Max(p => p.MaxAbsDiff):E2}");

Lesson.Show(Curves("Smooth relatives of ReLU", "relu", "gelu", "silu", "softplus"));

// (Softplus, $\log(1 + e^{x})$, is the smooth ReLU whose derivative is exactly $\sigma(x)$; it is rarely used as a hidden
// activation but appears wherever a positive output is needed, e.g. a predicted standard deviation.)
//
// ## 6. Softmax: activations for outputs
//
// The last layer of a $C$-class classifier produces **logits** $z \in \mathbb R^C$; softmax turns them into a
// probability distribution:
//
// $$\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{C} e^{z_j}}, \qquad \frac{\partial\, \mathrm{softmax}(z)_i}{\partial z_j} = y_i(\delta_{ij} - y_j).$$
//
// Unlike the activations above it is not elementwise: every output depends on every logit. Adding the same constant to
// all logits changes nothing, $\mathrm{softmax}(z - c) = \mathrm{softmax}(z)$, and that is the key to computing it
// safely: with $c = \max_j z_j$ every exponent is $\le 0$, so nothing overflows. Its backward pass needs no $C \times C$
// Jacobian: $dz = y \odot (\mathrm{dout} - \langle \mathrm{dout}, y\rangle)$.
//
// **From scratch** (`Activations.Softmax.Forward`, one row at a time with `TensorPrimitives`):
//
// ```csharp
// Span<T> xr = x.Data.AsSpan(r * cols, cols), yr = y.Data.AsSpan(r * cols, cols);
// TensorPrimitives.Subtract(xr, TensorPrimitives.Max<T>(xr), yr);   // z − max z: every exponent ≤ 0
// TensorPrimitives.Exp<T>(yr, yr);
// TensorPrimitives.Divide(yr, TensorPrimitives.Sum<T>(yr), yr);     // normalise to sum 1
// ```
//
// The textbook formula without the shift fails as soon as a logit passes ~88, where $e^{z}$ overflows float32:
Lesson.Section("6. Softmax: activations for outputs");

var logits = torch.tensor(new float[] { 1000, 999, 0 });
var naive = torch.exp(logits) / torch.exp(logits).sum();
var stable = torch.nn.functional.softmax(logits, 0);
Console.WriteLine($"naive  e^z / Σe^z : {naive.ToNDArray()}");
Console.WriteLine($"torch softmax     : {stable.ToNDArray()}");
Claim.That("the unshifted formula returns NaN for logits [1000, 999, 0]", naive.isnan().any().item<bool>(), $"{naive.ToNDArray()}");
Claim.That("torch's softmax (shifted) returns the right probabilities e/(1 + e), 1/(1 + e), ≈0",
    Math.Abs(stable[0].item<float>() - Math.E / (1 + Math.E)) < 1e-6, $"{stable[0].item<float>():F6} vs {Math.E / (1 + Math.E):F6}");
var softmaxParity = new[] { Parity.Activation("softmax", xs), Parity.Activation("log_softmax", xs) };
foreach (var p in softmaxParity) Console.WriteLine($"{p.Topic,-24} {string.Join(", ", p.Rows.Select(r => $"{r.Quantity} {r.MaxAbsDiff:E1}"))}");
Claim.That("scratch and TorchSharp agree on softmax and log-softmax (per row of [4, 6])", softmaxParity.All(p => p.Agrees()),
    $"max |Δ| = {softmaxParity.Max(p => p.MaxAbsDiff):E2}");

// Two practical rules for outputs, both explained in notebook 02:
// - For training, **don't put softmax (or sigmoid) in the model**: `torch.nn.functional.cross_entropy` takes the logits and
//   computes log-softmax internally, which is both faster and numerically safer (`binary_cross_entropy_with_logits` does
//   the same for sigmoid). Apply softmax only when you need probabilities to show or threshold.
// - Sigmoid per output for **binary** and **multi-label** problems (each class independently yes/no); softmax for
//   **one-of-$C$** classification; no activation at all for **regression**.
//
// ## 7. All the curves, checked
//
// `ActivationExperiments.Tables()` computes $f$ and $f'$ of every elementwise activation on a grid over $[-5, 5]$ with the
// scratch `Apply`/`Derivative` and compares them with TorchSharp autograd in float64:
Lesson.Section("7. All the curves, checked");

var tables = ActivationExperiments.Tables();
double worst = tables.Max(t => t.Check.MaxAbsDiff);
Console.WriteLine(string.Join(", ", tables.Select(t => t.Name)));
Claim.That("for all 11 elementwise activations the scratch f and f′ equal autograd's in float64",
    tables.Count == 11 && tables.All(t => t.Check.Agrees(1e-9)), $"max |Δ| = {worst:E2}");
Lesson.Show(Charts.Functions(tables[0].X, tables.Select(t => (t.Name, (IReadOnlyList<double>)t.F, (IReadOnlyList<double>?)t.DF)).ToList(),
    title: "Every elementwise activation and its derivative"));

// ## 8. Choosing an activation
//
// | where | use | why |
// | --- | --- | --- |
// | hidden layers, by default | **ReLU** (with He init) | cheap, no saturation for $x > 0$, works almost everywhere |
// | many dead units / high learning rates | **Leaky ReLU** or PReLU — or lower the learning rate | the negative side keeps a gradient |
// | Transformers, modern CNNs | **GELU**, **SiLU/Swish** | smooth, slightly better accuracy in large models |
// | plain deep MLPs without normalisation | **SELU** with LeCun-normal init | self-normalising |
// | deep feed-forward hidden layers | avoid **sigmoid**, **tanh** | saturation and vanishing gradients (they remain as *gates* in LSTMs/GRUs) |
// | output, binary / multi-label | **sigmoid** (as logits + `binary_cross_entropy_with_logits`) | independent probabilities |
// | output, one of $C$ classes | **softmax** (as logits + `cross_entropy`) | a distribution over classes |
// | output, regression | **none** | any real value |
//
// The differences between ReLU, GELU and SiLU in a well-initialised, normalised network are usually small; a dead or
// saturated network is a much bigger problem than the wrong choice among the good ones.
//
// ## Exercises
//
// ### Exercise 1: the derivative of SiLU
// Derive $\frac{d}{dx}\,x\,\sigma(x)$ by hand (product rule, and $\sigma' = \sigma(1-\sigma)$) and write it as
// `siluPrime`. Use `Activations.Sigmoid.Apply(x)` for $\sigma(x)$.
Lesson.Section("8. Choosing an activation");
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: the derivative of SiLU");

// TODO: return d/dx [x·σ(x)].
Func<double, double> siluPrime = x => 0.0;

double[] grid = Enumerable.Range(-80, 161).Select(i => i / 10.0).ToArray();
double siluError = grid.Max(x => Math.Abs(siluPrime(x) - Activations.Silu.Derivative(x)));
Exercise.Check("1", siluError < 1e-9, $"product rule: σ(x) + x·σ′(x), with σ′(x) = σ(x)(1 − σ(x)) (max error now {siluError:E2})");

// ### Exercise 2: collapse two layers into one
// Here are two `torch.nn.Linear` layers with no activation between them. Compute the weight `W` ($2\times3$) and bias
// `b` ($2$) of the single layer that computes the same function, from `l1.weight`, `l1.bias`, `l2.weight`, `l2.bias`.
// (TorchSharp's `Linear` computes $xW^\top + b$ with `weight` of shape `[out, in]`; `a.matmul(b)` multiplies matrices
// and also a matrix by a vector.)
Lesson.Section("Exercise 2: collapse two layers into one");

torch.manual_seed(7);
var l1 = torch.nn.Linear(3, 5);
var l2 = torch.nn.Linear(5, 2);
// TODO: W = W₂·W₁ and b = W₂·b₁ + b₂.
var W = torch.zeros(2, 3);
var b = torch.zeros(2);

var probe = torch.randn(10, 3);
double collapseError;
using (torch.no_grad())
    collapseError = (l2.forward(l1.forward(probe)) - torch.nn.functional.linear(probe, W, b)).abs().max().item<float>();
Exercise.Check("2", collapseError < 1e-5, $"y = W₂(W₁x + b₁) + b₂; in code: l2.weight!.matmul(l1.weight!) and l2.weight!.matmul(l1.bias!) + l2.bias! (max error now {collapseError:E2})");

// ### Exercise 3: a softmax that cannot overflow
// Write `StableSoftmax` from scratch (plain `double[]`, no TorchSharp) so that it gives the right answer for any finite
// logits — including $[1000, 999, 0]$, where the textbook formula returns `NaN`.
Lesson.Section("Exercise 3: a softmax that cannot overflow");

double[] StableSoftmax(double[] z)
{
    // TODO: shift by the maximum before exponentiating.
    double[] e = z.Select(Math.Exp).ToArray();
    double sum = e.Sum();
    return e.Select(v => v / sum).ToArray();
}

double[] testLogits = [1000, 999, 0];
double[] mine = StableSoftmax(testLogits);
double[] reference = torch.nn.functional.softmax(torch.tensor(testLogits), 0).data<double>().ToArray();
bool softmaxOk = mine.Length == 3 && mine.All(double.IsFinite) && mine.Zip(reference, (a, r) => Math.Abs(a - r)).Max() < 1e-12;
Exercise.Check("3", softmaxOk, $"subtract m = z.Max() from every logit first: e^(z − m) ≤ 1 never overflows, and the ratio is unchanged (got [{string.Join(", ", mine)}])");

// ## Takeaways
// - Without a nonlinearity, depth is an illusion: any stack of linear layers is one linear layer.
// - Sigmoid and tanh saturate; their derivatives ($\le \frac14$ and $\le 1$) multiply along the backward pass, and with
//   sigmoid the gradient reaching early layers vanishes.
// - ReLU passes gradients unchanged where it is active, but units whose input is negative on every example die for good —
//   a too-high learning rate or a negative bias makes many of them. Leaky ReLU, PReLU, ELU, SELU keep a gradient for $x < 0$.
// - GELU ($x\Phi(x)$, a smoothed random gate) and SiLU/Swish ($x\sigma(x)$) are the smooth defaults of modern architectures.
// - Softmax turns logits into probabilities and must be computed shifted by the maximum; for training, hand the logits
//   to the loss instead.
Lesson.Section("Takeaways");
