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
// - explain and measure the dying-ReLU problem on a real network, epoch by epoch, and what Leaky ReLU changes;
// - train one network with each activation yourself, and watch PReLU's slope and Swish's β learn;
// - choose an activation for hidden layers and for outputs.
//
// Previous: [00 · Setup](00-setup.ipynb) · Next: [02 · Loss functions](02-losses.ipynb).

torch.manual_seed(0);
torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
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
// A deep network is a chain of functions, $h_l = \phi(z_l)$ with $z_l = W_l h_{l-1} + b_l$, and the derivative of a chain
// is the product of the links' derivatives — the **chain rule**, which autograd applied for you in notebook 00 and which
// notebook 04 turns into the full backward pass. One link at a time, the gradient arriving at a layer's input is
//
// $$\frac{\partial L}{\partial h_{l-1}} = W_l^{\top}\Bigl(\phi'(z_l) \odot \frac{\partial L}{\partial h_l}\Bigr).$$
//
// Two different quantities are easy to confuse here. This **backward signal** $\partial L/\partial h$ is what gets
// multiplied layer after layer. The gradient that actually updates a layer's weights combines it with the layer's
// input: $\partial L/\partial W_l = \bigl(\phi'(z_l) \odot \partial L/\partial h_l\bigr)\, h_{l-1}^{\top}$ (summed over the
// batch) — so its size is roughly *signal × activation*.
//
// With sigmoid every factor $\phi'(z_l)$ is at most $\frac14$. With weights of gain 1 (Xavier/Glorot initialisation,
// Glorot & Bengio 2010, which keeps $W_l^\top$ from growing or shrinking the signal), the signal therefore shrinks by
// about 4× per layer on its way down, and the forward activations shrink too, so nine layers below the top both are tiny:
// the first layers hardly learn. `ActivationExperiments.GradientThroughDepth` builds a 10-layer stack (64 units wide,
// Xavier-normal weights), backpropagates a random upstream gradient, and measures both, $\|\partial L/\partial h_{l-1}\|$
// and $\|\partial L/\partial W_l\|$, for every layer $l$:
Lesson.Section("The vanishing gradient");

string[] depthActs = ["sigmoid", "tanh", "relu", "gelu"];
int stackDepth = 10, stackWidth = 64;
var depth = depthActs.Select(a => ActivationExperiments.GradientThroughDepth(a, depth: stackDepth, width: stackWidth)).ToList();
foreach (var d in depth)
    Console.WriteLine($"{d.Activation,-8} signal ‖∂L/∂h₀‖ / ‖∂L/∂h₉‖ = {d.SignalFirstToLast,9:E2}    weights ‖∂L/∂W₁‖ / ‖∂L/∂W₁₀‖ = {d.FirstToLast,9:E2}");
var (sig, relu) = (depth[0], depth[2]);
Claim.That("with sigmoid the first layer gets less than 1/10,000 of the last layer's signal and of its weight gradient",
    sig.SignalFirstToLast < 1e-4 && sig.FirstToLast < 1e-4, $"signal {sig.SignalFirstToLast:E2}, weights {sig.FirstToLast:E2}");
double reluPerLayer = Math.Pow(relu.SignalFirstToLast, 1.0 / (stackDepth - 1));
Claim.That("with ReLU the backward signal shrinks by about 1/√2 ≈ 0.71 per layer (between 0.6 and 0.8)",
    reluPerLayer is > 0.6 and < 0.8, $"{reluPerLayer:F3} per layer, {relu.SignalFirstToLast:E2} over nine layers");
Claim.That("yet with tanh, ReLU and GELU the weight gradient reaches the first layer within a factor of 3, although their signal ratio is below 0.5",
    depth.Skip(1).All(d => d.FirstToLast > 1.0 / 3 && d.FirstToLast < 3 && d.SignalFirstToLast < 0.5),
    string.Join(", ", depth.Skip(1).Select(d => $"{d.Activation}: weights {d.FirstToLast:F2}, signal {d.SignalFirstToLast:E1}")));

Lesson.Show(Charts.LayerStats(depth.Select(d => (d.Activation, (IReadOnlyList<double>)d.SignalGradientNorms)).ToList(),
    yTitle: "‖∂L/∂h‖ arriving at the layer's input", logY: true, title: "The backward signal at each layer of a 10-layer stack (Xavier init)"));

Lesson.Show(Charts.LayerStats(depth.Select(d => (d.Activation, (IReadOnlyList<double>)d.WeightGradientNorms)).ToList(),
    yTitle: "‖∂L/∂W‖ of the layer", logY: true, title: "The weight gradient of each layer of the same stacks"));

// Read the two charts together. The signal (first chart) shrinks towards layer 1 for every activation — by 4× per
// layer with sigmoid, by about $1/\sqrt2$ per layer with ReLU (half of its inputs are zeroed; notebook 05 derives
// the factor and the initialisation that cancels it), somewhat less with tanh. But the *weight* gradient is the signal
// times the layer's input, and with these weights the activations shrink going *up* the stack while the signal shrinks
// going *down*: the two trends cancel, so for tanh, ReLU and GELU every layer's weights still get gradients of similar
// size (second chart). Only sigmoid loses both. Whenever a later notebook says "the gradient vanishes", check which of
// the two it measures.

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

// The zero region has a price. If a unit's pre-activation $z = w^\top x + b$ is $\le 0$ for **every** training example,
// call it **inactive**. A ReLU unit that is inactive outputs 0 everywhere and passes back a gradient of exactly 0 to
// its weights $w$ and bias $b$, so no plain gradient step can change them: if its inputs never change either — the first
// hidden layer, whose inputs are the data — it is **dead** for good. (A deeper layer's unit can come back when the layers
// below it change its inputs.) A large update can push $b$ far negative (a learning rate that is too high does exactly
// that), and a negative bias at initialisation makes units inactive at birth. **Leaky ReLU**, $\max(x, 0.01x)$, keeps a
// slope of 0.01 for $z < 0$: an inactive Leaky unit still gets a (small) gradient, so it *can* come back.
//
// `ActivationExperiments.DyingReluPerEpoch` trains a $2 \to 64 \to 64 \to 2$ network on two moons by plain minibatch
// SGD (no momentum: with momentum a unit's velocity could carry it out of the zero region) and measures after every epoch
// which hidden units are inactive; at the end it counts the units that were inactive at some epoch and are active again.
// ReLU and Leaky ReLU, each at a sane learning rate and a too-high one:

double saneLr = 0.1, highLr = 3;   // the knobs: try highLr = 1 or 10
int dyingEpochs = 30, dyingHidden = 64;
var dying = new[] { ("relu", saneLr), ("relu", highLr), ("leaky_relu", saneLr), ("leaky_relu", highLr) }
    .Select(r => ActivationExperiments.DyingReluPerEpoch(r.Item2, r.Item1, epochs: dyingEpochs, hidden: dyingHidden)).ToList();
foreach (var r in dying)
    Console.WriteLine($"{r.Activation,-10} lr {r.LearningRate,-4} inactive {r.InactiveFraction[0],4:P0} at init → {r.FinalInactive,4:P0} (first layer {r.FirstLayerInactiveFraction[^1],4:P0});  came back: {r.Revived,2} units ({r.FirstLayerRevived} in the first layer);  accuracy {r.FinalAccuracy:P1}");
var (reluSane, reluHigh, leakySane, leakyHigh) = (dying[0], dying[1], dying[2], dying[3]);
Claim.That("a too-high learning rate leaves far more ReLU units inactive (at least 25 points more)", reluHigh.FinalInactive > reluSane.FinalInactive + 0.25,
    $"{reluSane.FinalInactive:P0} → {reluHigh.FinalInactive:P0}");
Claim.That("no first-layer ReLU unit that went inactive ever came back", reluSane.FirstLayerRevived == 0 && reluHigh.FirstLayerRevived == 0,
    $"{reluSane.FirstLayerRevived} and {reluHigh.FirstLayerRevived} revived");
Claim.That("at the high learning rate more Leaky ReLU units come back than ReLU units, and fewer end inactive",
    leakyHigh.Revived > reluHigh.Revived && leakyHigh.FinalInactive < reluHigh.FinalInactive,
    $"revived {leakyHigh.Revived} vs {reluHigh.Revived}, inactive at the end {leakyHigh.FinalInactive:P0} vs {reluHigh.FinalInactive:P0}");
Claim.That("and Leaky ReLU learns the task better there", leakyHigh.FinalAccuracy > reluHigh.FinalAccuracy + 0.05,
    $"accuracy {leakyHigh.FinalAccuracy:P1} vs {reluHigh.FinalAccuracy:P1}");

double[] epochAxis = [.. Enumerable.Range(0, dyingEpochs + 1).Select(e => (double)e)];
Lesson.Show(Charts.Lines(dying.Select(r => ($"{(r.Activation == "relu" ? "ReLU" : "Leaky ReLU")}, lr {r.LearningRate}", (IReadOnlyList<double>)epochAxis,
        (IReadOnlyList<double>)r.InactiveFraction)).ToList(),
    xTitle: "epoch", yTitle: "fraction of inactive hidden units", markers: true, title: "Inactive units per epoch on two moons"));

// The chart shows dying as the process it is: at lr 3 the first epochs knock out a large share of the units at once.
// The ReLU first-layer units that went inactive stay inactive (the second claim above) — no gradient reaches them — while
// Leaky ReLU units keep receiving $0.01\times$ the gradient and a good number of them come back. The remedy the table in
// section 8 suggests — a leaky slope, or simply a lower learning rate — follows from this. And a large negative bias at
// initialisation makes nearly every ReLU unit inactive before training starts:

var bornDead = ActivationExperiments.DyingReluPerEpoch(0.1, "relu", epochs: 5, biasInit: -3);
Console.WriteLine($"biases initialised to −3: {bornDead.InactiveFraction[0]:P1} inactive at init, {bornDead.FinalInactive:P1} after 5 epochs, accuracy {bornDead.FinalAccuracy:P1}");
Claim.That("with every bias at −3, more than 90% of the ReLU units are inactive and the net stays at chance",
    bornDead.FinalInactive > 0.9 && bornDead.FinalAccuracy < 0.6, $"{bornDead.FinalInactive:P1} inactive, accuracy {bornDead.FinalAccuracy:P1}");

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
// (`Activations.PRelu.Backward` returns both `Dx` and `Da`); the parity table of section 7 checks it with each of 6 channels
// given its own slope, and section 8 lets you watch $a$ being learned.
Lesson.Section("4. Keeping a gradient for $x < 0$: Leaky ReLU, PReLU, ELU, SELU");

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
// as `gelu(x, approximate="tanh")`; in TorchSharp 0.107 that is `gelu(x, GELU.Approximate.tanh)`, which the course
// library names `"gelu_tanh"`.
//
// **Swish**, $x\,\sigma(\beta x)$ (Ramachandran, Zoph & Le 2017), found by automated search, is with $\beta = 1$ the
// **SiLU** of Elfwing et al. (2018): `torch.nn.functional.silu`. It is close to GELU: $x\Phi(x) \approx x\,\sigma(1.702x)$.
// Swish's $\beta$ can also be a learned parameter, like PReLU's slope (section 8 trains it). Both are smooth everywhere, and
// both are **non-monotonic**: they dip below zero for negative inputs before returning to 0,
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
// scratch `Apply`/`Derivative` and compares them with TorchSharp autograd in float64. And the forward/backward pairs of
// every activation after sigmoid and tanh (section 2 showed those in full) go through `Parity.Activation` on the same
// random input, folded into one table — PReLU with 6 channel slopes, so its row includes $\partial L/\partial a$:
Lesson.Section("7. All the curves, checked");

var tables = ActivationExperiments.Tables();
double worst = tables.Max(t => t.Check.MaxAbsDiff);
Console.WriteLine(string.Join(", ", tables.Select(t => t.Name)));
Claim.That("for all 11 elementwise activations the scratch f and f′ equal autograd's in float64",
    tables.Count == 11 && tables.All(t => t.Check.Agrees(1e-9)), $"max |Δ| = {worst:E2}");
var preluSlopes = NDArray.From(new float[] { 0.05f, 0.1f, 0.2f, 0.25f, 0.3f, 0.5f }, 6);
var parity = Parity.Table([.. new[] { "relu", "leaky_relu" }.Select(n => Parity.Activation(n, xs)),
    Parity.Activation("prelu", xs, preluSlopes),
    .. new[] { "elu", "selu", "gelu", "gelu_tanh", "silu", "softplus", "softmax", "log_softmax" }.Select(n => Parity.Activation(n, xs))]);
Claim.That("scratch and TorchSharp agree on every other activation, forward and backward (PReLU's ∂L/∂a included)", parity.Agrees(),
    $"{parity.Reports.Count} checks, max |Δ| = {parity.MaxAbsDiff:E2}");
Lesson.Show(parity);

Lesson.Show(Charts.Functions(tables[0].X, tables.Select(t => (t.Name, (IReadOnlyList<double>)t.F, (IReadOnlyList<double>?)t.DF)).ToList(),
    title: "Every elementwise activation and its derivative"));

// ## 8. Try it: one network, every activation
//
// So far each activation was measured on its own. Now train the *same* network — $2 \to 32 \to 32 \to 2$, the same
// initial weights, the same minibatches, plain SGD — once with each activation, on two moons, and compare training
// curves and accuracy on fresh validation points. The loop is written out: forward, loss, `zero_grad`, `backward`,
// `step`, every minibatch of every epoch (notebook 03 is about the `step`, notebook 04 about the `backward`).
//
// Two of the contenders have parameters of their own, learned with the weights: **PReLU**'s slope $a$ (starting at
// 0.25) and **Swish**'s $\beta$ in $x\,\sigma(\beta x)$ (starting at 1), one per hidden layer. They are `nn.Parameter`s
// handed to the optimizer like any weight.
//
// The knobs are at the top of the cell. Things to try: a higher `learningRate` (0.5) — does sigmoid catch up, and do the
// others stay stable? A wider or narrower `hidden`; more `epochs`; your own activation (add a `case` that returns
// $z \mapsto$ anything built from tensor operations — autograd differentiates it). Look at where each curve is after a
// few epochs (speed) and where it ends (quality), and at how far $a$ and $\beta$ moved.
Lesson.Section("8. Try it: one network, every activation");

// Renamed here, since a C# program declares a name once: l1 → l12, l2 → l22.
int hidden = 32, epochs = 30, batchSize = 32;
double learningRate = 0.1;
string[] contenders = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "prelu", "swish"];

var moons = Synthetic.TwoMoons(400, 0.2, new Rng(1));
var moonsVal = Synthetic.TwoMoons(400, 0.2, new Rng(2));   // fresh points from the same distribution
var (xTrain, yTrain) = (moons.X.ToTensor(), Bridge.Labels(moons.Labels));
var (xVal, yVal) = (moonsVal.X.ToTensor(), Bridge.Labels(moonsVal.Labels));

// One hidden layer's φ, with its own learnable parameters (PReLU's slope, Swish's β) if it has any.
(Func<Tensor, Tensor> Phi, TorchSharp.Modules.Parameter[] Own) MakeActivation(string name)
{
    switch (name)
    {
        case "prelu":
            var a = nn.Parameter(torch.full(1, 0.25f));
            return (z => nn.functional.prelu(z, a), [a]);
        case "swish":
            var beta = nn.Parameter(torch.ones(1));
            return (z => z * torch.sigmoid(beta * z), [beta]);
        default:
            return (z => TorchActivations.Apply(name, z), []);
    }
}

var shootout = new List<(string Name, double[] Losses, double Accuracy, float[] Learned)>();
foreach (string name in contenders)
{
    torch.manual_seed(0);   // the same initial weights and batch order for every activation
    var (l12, l22, head) = (nn.Linear(2, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 2));
    var (phi1, own1) = MakeActivation(name);
    var (phi2, own2) = MakeActivation(name);
    Tensor Forward(Tensor x) => head.forward(phi2(l22.forward(phi1(l12.forward(x)))));
    var parameters = l12.parameters().Concat(l22.parameters()).Concat(head.parameters()).Concat(own1).Concat(own2).ToList();
    var optimizer = torch.optim.SGD(parameters, learningRate);
    var losses = new List<double>();
    for (int epoch = 0; epoch < epochs; epoch++)
    {
        foreach (var idx in torch.randperm(xTrain.shape[0]).split(batchSize))
        {
            using var step = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(Forward(xTrain.index_select(0, idx)), yTrain.index_select(0, idx));
            loss.backward();
            optimizer.step();
        }
        using (torch.no_grad()) losses.Add(nn.functional.cross_entropy(Forward(xTrain), yTrain).item<float>());
    }
    double accuracy;
    using (torch.no_grad()) accuracy = Forward(xVal).argmax(1).eq(yVal).to_type(ScalarType.Float32).mean().item<float>();
    float[] learned = [.. own1.Concat(own2).Select(p => p.item<float>())];
    shootout.Add((name, [.. losses], accuracy, learned));
    Console.WriteLine($"{name,-10} training loss after epoch 1: {losses[0]:F3}, after {epochs}: {losses[^1]:F3};  validation accuracy {accuracy:P1}"
        + (learned.Length > 0 ? $";  learned {(name == "prelu" ? "a" : "β")} per layer: {string.Join(", ", learned.Select(v => v.ToString("F3")))}" : ""));
}
var slowest = shootout.MaxBy(r => r.Losses[^1]);
Claim.That("with these settings sigmoid trains slowest: the highest training loss at the end", slowest.Name == "sigmoid",
    $"highest: {slowest.Name} {slowest.Losses[^1]:F3}");
var prelu = shootout.Single(r => r.Name == "prelu");
var swish = shootout.Single(r => r.Name == "swish");
Claim.That("PReLU's slopes and Swish's β moved away from their starting values 0.25 and 1 by more than 0.1",
    prelu.Learned.All(v => Math.Abs(v - 0.25) > 0.1) && swish.Learned.All(v => Math.Abs(v - 1) > 0.1),
    $"a = {string.Join(", ", prelu.Learned.Select(v => v.ToString("F3")))}; β = {string.Join(", ", swish.Learned.Select(v => v.ToString("F3")))}");
Lesson.Show(Charts.LossCurves([.. shootout.Select(r => (r.Name, (IReadOnlyList<double>)r.Losses, (IReadOnlyList<double>?)null))], logY: true,
    yTitle: "training loss", title: "Two moons, one network, one loop: the activation is the only difference"));

// ## 9. Choosing an activation
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
Lesson.Section("9. Choosing an activation");
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: the derivative of SiLU");

// TODO: return d/dx [x·σ(x)].
Func<double, double> siluPrime = x => 0.0;

double[] grid = Enumerable.Range(-80, 161).Select(i => i / 10.0).ToArray();
double siluError = grid.Max(x => Math.Abs(siluPrime(x) - Activations.Silu.Derivative(x)));
Exercise.Check("01-1", siluError < 1e-9, $"x·σ(x) is a product: differentiate each factor in turn, and use σ′ = σ(1 − σ) (max error now {siluError:E2})",
    codeHint: "double s = Activations.Sigmoid.Apply(x); return s + x * (the derivative of σ at x, written with s);");

// ### Exercise 2: collapse two layers into one
// Here are two `torch.nn.Linear` layers with no activation between them. Compute the weight `W` ($2\times3$) and bias
// `b` ($2$) of the single layer that computes the same function, from `l1.weight`, `l1.bias`, `l2.weight`, `l2.bias`.
// (TorchSharp's `Linear` computes $xW^\top + b$ with `weight` of shape `[out, in]`; `a.matmul(b)` multiplies matrices
// and also a matrix by a vector.)
Lesson.Section("Exercise 2: collapse two layers into one");

torch.manual_seed(7);
var l1 = torch.nn.Linear(3, 5);
var l2 = torch.nn.Linear(5, 2);
// TODO: the weight W [2, 3] and bias b [2] of the single layer that computes l2(l1(x)).
var W = torch.zeros(2, 3);
var b = torch.zeros(2);

var probe = torch.randn(10, 3);
double collapseError;
using (torch.no_grad())
    collapseError = (l2.forward(l1.forward(probe)) - torch.nn.functional.linear(probe, W, b)).abs().max().item<float>();
Exercise.Check("01-2", collapseError < 1e-5,
    $"substitute h = W₁x + b₁ into y = W₂h + b₂ and collect what multiplies x and what is left over, as in section 1 (max error now {collapseError:E2})",
    codeHint: "W = l2.weight!.matmul(l1.weight!); the bias is W₂ applied to b₁, plus b₂");

// ### Exercise 3: a log-softmax that cannot overflow
// Losses need $\log \mathrm{softmax}(z)$, not the probabilities. Computing softmax first and then its log fails twice:
// large logits overflow, and a probability that underflows to 0 has log $-\infty$. Write `StableLogSoftmax` from
// scratch (plain `double[]`, no TorchSharp) so that it is right for any finite logits — including $[1000, 999, 0]$,
// whose last entry is about $-1000.31$. (Use $\log\mathrm{softmax}(z)_i = z_i - \log\sum_j e^{z_j}$ and compute the log-sum
// without overflowing.)
Lesson.Section("Exercise 3: a log-softmax that cannot overflow");

double[] StableLogSoftmax(double[] z)
{
    // TODO: make this work for large logits without ever taking the log of 0.
    double[] e = z.Select(Math.Exp).ToArray();
    double sum = e.Sum();
    return e.Select(v => Math.Log(v / sum)).ToArray();
}

double[] testLogits = [1000, 999, 0];
double[] probeLogits = [0.5, -2, 3, 0.25];
double[] mine = StableLogSoftmax(testLogits), mineProbe = StableLogSoftmax(probeLogits);
double[] LogSoftmaxRef(double[] z) => torch.nn.functional.log_softmax(torch.tensor(z), 0).data<double>().ToArray();
bool logSoftmaxOk = mine.Length == 3 && mine.All(double.IsFinite)
    && mine.Zip(LogSoftmaxRef(testLogits), (a, r) => Math.Abs(a - r)).Max() < 1e-9
    && mineProbe.Zip(LogSoftmaxRef(probeLogits), (a, r) => Math.Abs(a - r)).Max() < 1e-12;
Exercise.Check("01-3", logSoftmaxOk,
    $"shifting every logit by the same constant changes nothing in log-softmax; pick the constant so that no exponent is positive (got [{string.Join(", ", mine.Select(v => v.ToString("G6")))}])",
    codeHint: "double m = z.Max(); double logSum = m + Math.Log(z.Sum(v => Math.Exp(v - m))); then z_i − logSum");

// ## Takeaways
// - Without a nonlinearity, depth is an illusion: any stack of linear layers is one linear layer.
// - Sigmoid and tanh saturate; their derivatives ($\le \frac14$ and $\le 1$) multiply along the backward pass, and with
//   sigmoid both the backward signal and the weight gradients of early layers vanish.
// - The backward signal $\partial L/\partial h$ and a layer's weight gradient $\partial L/\partial W$ are different
//   numbers: with ReLU and Xavier weights the signal shrinks by $1/\sqrt2$ per layer while the weight gradients stay even.
// - ReLU passes gradients unchanged where it is active, but a unit that is inactive on every example gets no gradient —
//   a too-high learning rate or a negative bias makes many of them, and in the first layer they never come back. Leaky
//   ReLU, PReLU, ELU, SELU keep a gradient for $x < 0$, and inactive Leaky units do come back.
// - GELU ($x\Phi(x)$, a smoothed random gate) and SiLU/Swish ($x\sigma(\beta x)$) are the smooth defaults of modern
//   architectures; PReLU's slope and Swish's β can be learned with the weights.
// - Softmax turns logits into probabilities and must be computed shifted by the maximum; for training, hand the logits
//   to the loss instead.
Lesson.Section("Takeaways");
