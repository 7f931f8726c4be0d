// 10 · Residual networks — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/10-residual.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/10-residual.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/10-residual/.
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

Lesson.Start("../10-residual.ipynb", "10 · Residual networks");

// # 10 · Residual networks
//
// Stacking more layers should never hurt — in principle. A deeper network can copy a shallower one and set its extra
// layers to the identity. In practice, He et al. (2016) found the opposite: a 56-layer plain convolutional network had
// *higher training error* than a 20-layer one. Their fix, the **residual connection**, is one `+` in the forward pass,
// and it is in nearly every deep network trained since (ResNets, Transformers, diffusion U-Nets).
//
// **Objectives** — by the end of this notebook you can:
// - show the *degradation problem*: deeper plain nets train worse, which is not overfitting — and say what a short
//   run can and cannot show about it;
// - measure how the gradient is spread across the layers of a plain and a residual net, and explain the difference with
//   the chain rule;
// - write the basic and the bottleneck residual block from scratch and with TorchSharp, check that they agree, and
//   compare their cost the way He et al. did;
// - compare a plain and a residual network of the same depth: training curves, accuracy, parameter counts.
//
// Previous: [09 · Convolutional networks](09-cnn.ipynb) · Next: [11 · Assessment](11-assessment.ipynb).

torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
torch.manual_seed(0);
var rng = new Rng(0);

// ## 1. Deeper is not automatically better
//
// We use the CIFAR-style networks of He et al. (2016, §4.2), sized for the 8×8 digits: a 3×3 stem convolution, then
// three *stages* of $n$ blocks each (widths $w$, $2w$, $4w$; stages 2 and 3 halve the height and width with stride 2),
// global average pooling and a linear classifier. Each block holds two 3×3 convolutions with batch norm, so the
// network has $6n + 2$ weight layers: $n = 1, 3, 5, 9$ give depths 8, 20, 32 and 56.
//
// Two versions of this stack differ in one line:
//
// - `PlainConvNet(n, w)`: each block computes $y = \mathrm{ReLU}(F(x))$;
// - `SmallResNet(n, w)`: each block computes $y = \mathrm{ReLU}(F(x) + x)$ — the **shortcut** adds the block's input to
//   its output. Where a stage changes the shape, the shortcut is a 1×1 convolution with stride 2 (a *projection*).
//
// Same layers, same initialization (He normal, as torchvision does); the residual net has only the projections extra:
Lesson.Section("1. Deeper is not automatically better");

var plain20 = new PlainConvNet(blocksPerStage: 3, width: 8);
var resnet20 = new SmallResNet(blocksPerStage: 3, width: 8);
var extra = resnet20.ParameterNames().Except(plain20.ParameterNames()).ToList();
Console.WriteLine($"depth {resnet20.Depth}: plain {plain20.ParameterCount():N0} parameters, residual {resnet20.ParameterCount():N0}");
Console.WriteLine($"only in the residual net: {string.Join(", ", extra)}");
Claim.That("the two nets differ only by the projection shortcuts", extra.All(n => n.Contains("downsample")) && extra.Count > 0,
    $"{extra.Count} extra tensors, {resnet20.ParameterCount() - plain20.ParameterCount():N0} extra parameters");

// Now the experiment. For $n = 1, 3, 5$ (depths 8, 20, 32) we train both nets from the same starting weights on the same
// minibatches, on 80 % of the digits, and record the **training** loss after every epoch. The optimizer is SGD with
// momentum 0.9, as in the paper; the rest is smaller than the paper's CIFAR recipe (learning rate 0.1, weight decay
// $10^{-4}$, batches of 128, 64,000 iterations): learning rate 0.05, no weight decay, batches of 64, and six epochs —
// about 140 steps. Every one of those settings is an argument in the cell; change them and rerun.

int[] blocks = [1, 3, 5];
int epochs = 6;
double learningRate = 0.05;
var runs = blocks.Select(n => Residual.TrainingComparison(blocksPerStage: n, width: 8, epochs: epochs, learningRate: learningRate, seed: 0)).ToList();
foreach (var r in runs) Console.WriteLine(r);
double[] depths = [.. runs.Select(r => (double)r.Depth)];
double[] plainFinal = [.. runs.Select(r => r.PlainLoss[^1])];
double[] residualFinal = [.. runs.Select(r => r.ResidualLoss[^1])];
Lesson.Show(Charts.PairedCurves([.. runs.Select(r => ($"depth {r.Depth}", r.ResidualLoss, r.PlainLoss))], solidLabel: "residual", dashedLabel: "plain",
    logY: true, yTitle: "training loss", title: "Training loss per epoch: residual (solid) and plain (dashed) nets of three depths"));

// Read the chart as He et al.'s Fig. 1: dashed lines are the plain nets, solid the residual ones, one color per depth.
// The deeper plain nets sit **above** the shallower ones in *training* loss. That rules out overfitting as the
// explanation — overfitting means a *low* training loss and a high test loss. A deep plain net could represent the
// shallow net's function (extra layers = identity), so its worse training loss is an optimization failure.
//
// How far does our experiment support that? Six epochs on 1,437 images is a short run, and what it shows directly is
// that the deep plain nets **optimize more slowly** — their curves are still falling. He et al.'s *degradation problem*
// is the stronger statement that the gap persists **at convergence**: their 56-layer plain net ended with higher
// training error than the 20-layer one after 64,000 iterations, when both had flattened out. Our curves are consistent
// with that (the plain nets' gap does not close as their curves flatten), but a six-epoch run cannot prove it; raise
// `epochs` above and watch whether the dashed curves meet. The residual nets of the same depths do not suffer from
// it to anything like the same degree.

double plainGrowth = plainFinal[^1] / plainFinal[0], residualGrowth = residualFinal[^1] / residualFinal[0];
Claim.That($"after {epochs} epochs the depth-{runs[^1].Depth} plain net's training loss is at least 2× the depth-{runs[0].Depth} one's",
    plainGrowth >= 2, $"{plainFinal[^1]:F3} vs {plainFinal[0]:F3}: {plainGrowth:F1}×");
Claim.That("with shortcuts, depth costs far less: the residual nets' loss grows less than half as much",
    residualGrowth < plainGrowth / 2, $"residual {residualFinal[^1]:F3} vs {residualFinal[0]:F3}: {residualGrowth:F1}×, plain {plainGrowth:F1}×");
double lateDrop = runs[^1].PlainLoss[^3] - runs[^1].PlainLoss[^1];
Claim.That($"the gap is not just a head start: over the last two epochs the depth-{runs[^1].Depth} plain net gains less than the distance that separates it from the depth-{runs[0].Depth} one",
    lateDrop < plainFinal[^1] - plainFinal[0], $"last two epochs: −{lateDrop:F3}; gap to depth {runs[0].Depth}: {plainFinal[^1] - plainFinal[0]:F3}");

// ## 2. Where the gradient goes
//
// Write a plain network as a chain $x_{l+1} = f_l(x_l)$. The chain rule multiplies one Jacobian per layer:
//
// $$\frac{\partial L}{\partial x_l} = \frac{\partial L}{\partial x_L}\, J_{L-1} J_{L-2} \cdots J_l, \qquad J_k = \frac{\partial f_k}{\partial x_k}.$$
//
// A product of many matrices behaves like a product of many numbers: unless each factor has "size" very close to 1,
// the result grows or shrinks geometrically with the number of factors. Careful initialization (notebook 05) and batch
// norm (notebook 07) keep the *forward* activations well scaled, but nothing forces the backward product to stay
// balanced. Let us look: one batch of digits, both nets at initialization with identical weights, and the norm
// $\lVert \partial L/\partial W \rVert$ of the first layer (the stem) against that of the last (the classifier).
Lesson.Section("2. Where the gradient goes");

var norms = Residual.GradientNormsAtInit([1, 3, 5, 9], width: 8, batch: 64, seed: 0);
foreach (var g in norms)
    Console.WriteLine($"depth {g.Depth,2}: first/last layer gradient norm  plain {g.PlainRatio,7:F1}   residual {g.ResidualRatio,5:F1}");
Lesson.Show(Charts.Lines([
        ("plain", norms.Select(g => (double)g.Depth).ToArray(), norms.Select(g => g.PlainRatio).ToArray()),
        ("residual", norms.Select(g => (double)g.Depth).ToArray(), norms.Select(g => g.ResidualRatio).ToArray())],
    xTitle: "depth (weight layers)", yTitle: "‖∂L/∂W first‖ / ‖∂L/∂W last‖", logY: true, markers: true,
    title: "How unevenly the gradient is spread, at initialization"));

// In the plain nets the first layer's gradient is larger than the last layer's, and the imbalance explodes with depth.
// With batch norm in every block the gradients do not *vanish* here — they are **badly scaled**: at depth 56 the stem
// receives a gradient hundreds of times larger than the classifier's, so no single learning rate suits both ends of
// the network (a step that is right for the classifier is enormous for the stem). The residual nets keep the ratio
// within a small factor at every depth.
//
// This may surprise you after notebooks 01 and 05, and after the usual story that ResNets "fix vanishing gradients".
// Both are true, in different networks. Without normalization, a plain stack's backward product shrinks (or grows)
// geometrically — the vanishing gradients of sigmoid nets and of a badly initialized ReLU net. *With* batch norm in
// every layer, as here, a deep plain net at initialization suffers the opposite: gradients that **explode** towards the
// input. Yang et al. (2019, *A mean field theory of batch normalization*) proved that this explosion is unavoidable for
// deep plain batch-norm nets at initialization. Either way the cause is the same — a product of many per-layer factors
// that are not exactly 1 — and so is the cure: the shortcut's identity term.
//
// (One caveat on the metric: ‖∂L/∂W‖ of a whole tensor grows with its size, and the stem (72 weights) and the classifier
// (320) differ in size. That is fine for comparing plain and residual nets with the same shapes, which is what we do; to
// compare layers of different sizes with each other, divide by √(number of weights) — the per-element RMS.)

var shallow = norms[0]; var deepest = norms[^1];
Claim.That($"at depth {deepest.Depth} the plain net's first layer gets ≥ 100× the gradient norm of its last layer",
    deepest.PlainRatio >= 100, $"ratio {deepest.PlainRatio:F0}");
Claim.That("the imbalance grows with depth in the plain nets: ≥ 20× larger at the deepest than at the shallowest",
    deepest.PlainRatio >= 20 * shallow.PlainRatio, $"{deepest.PlainRatio:F0} vs {shallow.PlainRatio:F1}");
Claim.That("every residual net keeps the first/last ratio below 5",
    norms.All(g => g.ResidualRatio < 5), string.Join(", ", norms.Select(g => $"{g.Depth}: {g.ResidualRatio:F1}")));

// The ratio only looks at the two ends. `Residual.GradientNormsByLayer` returns the whole profile — every convolution
// on the main path and the classifier — for the depth-56 pair:

var profile = Residual.GradientNormsByLayer(blocksPerStage: 9, width: 8, batch: 64, seed: 0);
Console.WriteLine($"largest / smallest layer gradient norm: plain {profile.PlainSpread:F0}, residual {profile.ResidualSpread:F1}");
Lesson.Show(Charts.LayerStats([("plain", profile.Plain), ("residual", profile.Residual)], yTitle: "‖∂L/∂W‖", logY: true,
    title: $"Gradient norm of every layer, depth {profile.Depth}, at initialization (input on the left)"));

Claim.That("across the layers of the depth-56 plain net the gradient norm spans a range ≥ 10× wider than in the residual net",
    profile.PlainSpread >= 10 * profile.ResidualSpread, $"max/min {profile.PlainSpread:F0} vs {profile.ResidualSpread:F1}");

// **Why the shortcut fixes it.** A residual block computes $x_{l+1} = x_l + F_l(x_l)$ (ignoring the ReLU after the
// sum). Its Jacobian is $I + J_{F_l}$, and through many blocks
//
// $$
// \frac{\partial L}{\partial x_l} = \frac{\partial L}{\partial x_L} \prod_{k=l}^{L-1} \left(I + J_{F_k}\right)
// = \frac{\partial L}{\partial x_L}\Big(I + \sum_k J_{F_k} + \dots\Big).
// $$
//
// The identity term means the gradient at the output reaches every block *directly*, without passing through any
// weight; the weights only add corrections to it (He et al., 2016b, *Identity mappings in deep residual networks*).
// In the backward pass, an addition simply copies its incoming gradient to both inputs — in C# terms, the shortcut is an
// unconditional path around every `F`.
//
// There is a second, equally simple argument: to be the identity, a plain block has to learn $F(x) = x$ through two
// convolutions, batch norms and ReLUs; a residual block only has to learn $F(x) = 0$, which small weights already
// almost do. Extra depth then costs nothing.
//
// ## 3. The residual block, from scratch and in TorchSharp
//
// **Basic block** (ResNet-18/34): $y = \mathrm{ReLU}\big(\mathrm{BN}_2(W_2 * \mathrm{ReLU}(\mathrm{BN}_1(W_1 * x))) + s(x)\big)$,
// with 3×3 convolutions $W_1, W_2$ (no bias: batch norm's $\beta$ is the bias) and $s(x) = x$, or
// $s(x) = \mathrm{BN}(W_s * x)$ with a 1×1 convolution $W_s$ when the block changes the number of channels or the
// resolution (stride 2).
//
// The scratch version, `src/DeepLearning.Scratch/Layers/Residual.cs` (`ResidualBlock<T>`, shared by `BasicBlock<T>`
// and `Bottleneck<T>`), runs its conv → BN units with ReLUs between them, adds the shortcut, applies the last ReLU — and
// its backward pass hands the gradient of the sum to *both* branches:
//
// ```csharp
// // Forward: out = ReLU(F(x) + shortcut(x))
// var a = x;
// for (int i = 0; i < _main.Length; i++)
// {
//     (a, mainCaches[i]) = _main[i].Forward(a);                             // conv → BN
//     if (i < _main.Length - 1) (a, reluCaches[i]) = Activations.Relu.Forward(a);
// }
// var shortcut = x;
// if (Downsample is not null) (shortcut, shortcutCache) = Downsample.Forward(x);
// TensorPrimitives.Add(a.Span, shortcut.Span, a.Span);
// var (y, outCache) = Activations.Relu.Forward(a);
//
// // Backward: the addition copies its gradient to both branches
// var dsum = Activations.Relu.Backward(dout, cache.Out);
// // ... dx = back through F (the units in reverse) ...
// var dShortcut = Downsample is null ? dsum : Downsample.Backward(dsum, cache.Shortcut!);
// TensorPrimitives.Add(dx.Span, dShortcut.Span, dx.Span);                    // ∂L/∂x = ∂F/∂x·dsum + dsum
// ```
//
// The TorchSharp version, `BasicBlock` in `src/DeepLearning.Course/Models/ResidualBlocks.cs`, is a `Module` with the
// layers in private fields (named as torchvision names them: `conv1`, `bn1`, `conv2`, `bn2`, `downsample`); autograd
// does the backward pass:
//
// ```csharp
// public override Tensor forward(Tensor x)
// {
//     var y = torch.nn.functional.relu(bn1.forward(conv1.forward(x)));
//     y = bn2.forward(conv2.forward(y));
//     if (Shortcut) y = y + (downsample is null ? x : downsample.forward(x));
//     return torch.nn.functional.relu(y);
// }
// ```
//
// `Parity.BasicBlock` copies the scratch block's weights into the TorchSharp one by name, runs a training-mode forward
// and backward, then an evaluation-mode forward, and compares everything — output, $\partial L/\partial x$, every
// parameter's gradient, and the batch norms' running statistics:
Lesson.Section("3. The residual block, from scratch and in TorchSharp");

var identityBlock = Parity.BasicBlock(inChannels: 8, outChannels: 8, stride: 1);
var projectionBlock = Parity.BasicBlock(inChannels: 4, outChannels: 8, stride: 2);
Claim.That("scratch and TorchSharp basic blocks agree (identity shortcut)", identityBlock.Agrees(1e-5), $"max |Δ| = {identityBlock.MaxAbsDiff:E2}");
Claim.That("scratch and TorchSharp basic blocks agree (projection shortcut, stride 2)", projectionBlock.Agrees(1e-5), $"max |Δ| = {projectionBlock.MaxAbsDiff:E2}");
Lesson.Show(projectionBlock);

// **Bottleneck block** (ResNet-50/101/152): 1×1 convolution down to a narrow width $m$, 3×3 convolution at width $m$,
// 1×1 convolution back up to $4m$ channels, plus the shortcut. He et al. (2016, Fig. 5) introduced it with a
// comparison of equal cost: the **basic block on 64 channels** of ResNet-34 against the **bottleneck on 256 channels**
// that replaces it in ResNet-50, both with $m = 64$ in the middle. A 3×3 convolution from $C$ to $C$ channels has $9C^2$
// weights, a 1×1 has $C_\text{in} C_\text{out}$:
//
// $$
// \underbrace{2 \cdot 9 \cdot 64^2}_{\text{basic block, 64-d}} = 73{,}728 \qquad\text{vs}\qquad
// \underbrace{256 \cdot 64 + 9 \cdot 64^2 + 64 \cdot 256}_{\text{bottleneck, 256-d}} = 69{,}632.
// $$
//
// About the same number of weights — and the same multiply-adds per pixel — but the bottleneck's input and output are
// **four times wider** (256 channels instead of 64), with the expensive 3×3 convolution still running on 64. That is
// what the 1×1 convolutions buy: a wider representation between blocks at the same cost, which let He et al. go deeper
// (50, 101, 152 layers) within a modest budget. It does not make the whole network cheaper: ResNet-50 has *more*
// parameters than ResNet-34, as the cell below counts by building both from the course's blocks (ImageNet layout:
// 7×7 stem, stages of [3, 4, 6, 3] blocks, 1000-way classifier; batch-norm parameters included).

long ConvWeights(nn.Module m) => m.parameters().Where(p => p.dim() == 4).Sum(p => p.numel());
var basic64 = new BasicBlock(64, 64);
var bottleneck256 = new Bottleneck(256, width: 64);
Console.WriteLine($"convolution weights: basic block 64 → 64 {ConvWeights(basic64):N0}, bottleneck 256 → 64 → 256 {ConvWeights(bottleneck256):N0}");
Claim.That("He et al.'s comparison: the 64-d basic block and the 256-d bottleneck have 73,728 and 69,632 convolution weights",
    ConvWeights(basic64) == 73_728 && ConvWeights(bottleneck256) == 69_632, $"{ConvWeights(basic64):N0} and {ConvWeights(bottleneck256):N0}");

// ResNet-34 and ResNet-50 (ImageNet layout) from the course's blocks: stem, four stages, classifier.
long ResNetParameters(bool bottleneck)
{
    long total = 3 * 64 * 7 * 7 + 2 * 64;                       // 7×7 stem convolution (no bias) and its batch norm
    int inC = 64;
    int[] stageBlocks = [3, 4, 6, 3], stageWidths = [64, 128, 256, 512];
    for (int s = 0; s < 4; s++)
        for (int b = 0; b < stageBlocks[s]; b++)
        {
            int stride = s > 0 && b == 0 ? 2 : 1;
            using nn.Module block = bottleneck ? new Bottleneck(inC, stageWidths[s], stride) : new BasicBlock(inC, stageWidths[s], stride);
            total += block.parameters().Sum(p => p.numel());
            inC = bottleneck ? 4 * stageWidths[s] : stageWidths[s];
        }
    return total + inC * 1000 + 1000;                           // the classifier
}
long resnet34 = ResNetParameters(bottleneck: false), resnet50 = ResNetParameters(bottleneck: true);
Console.WriteLine($"ResNet-34: {resnet34:N0} parameters, ResNet-50: {resnet50:N0}");
Claim.That("built from these blocks, ResNet-34 has about 21.8 M parameters and ResNet-50 about 25.6 M — deeper and wider between blocks, and larger, not smaller",
    Math.Abs(resnet34 - 21.8e6) < 0.1e6 && Math.Abs(resnet50 - 25.6e6) < 0.1e6, $"{resnet34 / 1e6:F2} M and {resnet50 / 1e6:F2} M");
var bottleneckParity = Parity.Bottleneck(inChannels: 8, width: 4, stride: 2);
Claim.That("scratch and TorchSharp bottleneck blocks agree (stride 2, projection)", bottleneckParity.Agrees(1e-5), $"max |Δ| = {bottleneckParity.MaxAbsDiff:E2}");
Lesson.Show(bottleneckParity);

// ## 4. Plain vs residual at the same depth
//
// Back to the depth-32 pair from section 1 ($n = 5$). Same layers, same initial weights, same minibatches — the only
// difference is the shortcut. Here are their training curves and their accuracy on the 20 % of the digits held out:
Lesson.Section("4. Plain vs residual at the same depth");

var depth32 = runs[^1];
Console.WriteLine(depth32);
Lesson.Show(Charts.LossCurves([("plain", depth32.PlainLoss, null), ("residual", depth32.ResidualLoss, null)],
    title: $"Depth {depth32.Depth}: training loss per epoch"));

Claim.That($"after {epochs} epochs the depth-{depth32.Depth} residual net's training loss is less than half the plain net's",
    depth32.ResidualLoss[^1] < 0.5 * depth32.PlainLoss[^1], $"{depth32.ResidualLoss[^1]:F3} vs {depth32.PlainLoss[^1]:F3}");
Claim.That("and it classifies held-out digits at least 10 points better",
    depth32.ResidualTestAccuracy >= depth32.PlainTestAccuracy + 0.10, $"{depth32.ResidualTestAccuracy:P1} vs {depth32.PlainTestAccuracy:P1}");

// The accuracy on a problem this small is not the point. The point of He et al. is the trend with depth: plain nets
// get *harder* to optimize as they grow (section 1), while residual nets kept improving up to 152 layers on ImageNet,
// and still trained with over 1,000 layers on CIFAR-10.
//
// ### Try it
//
// The knobs of section 1 are in its first cell; the experiment takes seconds. Things to try, and what to look for:
//
// - `epochs = 30`: do the plain curves meet, or does the deep one stay above (He et al.'s degradation)?
// - `blocks = [1, 3, 5, 9]` (depth 56) with `learningRate = 0.02`: is the deep plain net still trainable at all?
// - a larger `learningRate` (0.1, the paper's): which of the two families suffers first?
// - after solving exercise 3, train the zero-γ net against the default one — does starting every identity block as
//   the identity help the deep net's first epochs?
//
// ## Exercises
Lesson.Section("Try it");
Lesson.Section("Exercises");

long BottleneckConvWeights(int inC, int width, int expansion, int stride)
{
    // TODO: 1×1 (inC → width) + 3×3 (width → width) + 1×1 (width → width·expansion) + the projection if needed
    return 0;
}

(int inC, int width, int expansion, int stride)[] configs = [(256, 64, 4, 1), (64, 64, 4, 1), (256, 128, 4, 2), (8, 4, 2, 1)];
bool allRight = configs.All(c =>
{
    using var block = new Bottleneck(c.inC, c.width, c.stride, c.expansion);
    long actual = block.parameters().Where(p => p.dim() == 4).Sum(p => p.numel());
    return BottleneckConvWeights(c.inC, c.width, c.expansion, c.stride) == actual;
});
Exercise.Check("10-1", allRight, "count each of the three convolutions of the main path with Cout·Cin·k² (mind which widths go in and out of each, and that two of them are 1×1), then add the shortcut's 1×1 convolution only in the cases where the block's input cannot be added to its output as it is",
    codeHint: "long w = (long)inC * width + 9L * width * width + …; if (stride != 1 || …) w += …;");

// ### Exercise 2: a residual block for an MLP
// Shortcuts are not specific to convolutions. Complete the `Module` below so that it computes
// $y = x + W_2\,\mathrm{ReLU}(W_1 x + b_1) + b_2$ (both layers `width → width`). The check compares your block with that
// formula on random weights, and zeroes the second layer to see that the block is then exactly the identity.
Lesson.Section("Exercise 2: a residual block for an MLP");

// (class ResidualMlpBlock is declared at the end of this file: C# wants types after the top-level statements.)

var mlpBlock = new ResidualMlpBlock(16);
var probe = torch.randn(5, 16);
double formulaError;
using (torch.no_grad())
{
    var lin1 = (TorchSharp.Modules.Linear)mlpBlock.named_children().First(c => c.name == "fc1").module;
    var expected = probe + mlpBlock.Fc2.forward(torch.nn.functional.relu(lin1.forward(probe)));
    formulaError = (mlpBlock.forward(probe) - expected).abs().max().item<float>();
    mlpBlock.Fc2.weight.zero_();
    mlpBlock.Fc2.bias!.zero_();
}
double identityError = (mlpBlock.forward(probe) - probe).abs().max().item<float>();
Exercise.Check("10-2", formulaError < 1e-6 && identityError == 0 && mlpBlock.ParameterCount() == 2 * (16 * 16 + 16),
    $"max |yours − (x + fc2(relu(fc1(x))))| = {formulaError:G3} with random weights, max |y − x| = {identityError:G3} with fc2 = 0 (both should be 0). " +
    "Idea: the branch the class computes now is F(x); a residual block returns its input plus that branch.",
    codeHint: "public override Tensor forward(Tensor x) => x + …;");

// ### Exercise 3: start the identity blocks as the identity
// Goyal et al. (2017) initialize the **last** batch norm's $\gamma$ of every residual branch to 0. Then $F(x) = 0$ at the
// start, and every block whose shortcut is the identity computes $\mathrm{ReLU}(0 + x) = x$ (its input comes out of a
// ReLU, so it is non-negative). Not every block, though: the first block of stages 2 and 3 changes the shape, and its
// shortcut is the projection $\mathrm{BN}(W_s * x)$ (1×1 convolution, stride 2), which still transforms its input. So a
// net of any depth starts out as the stem, two projection blocks and the classifier — a shallow network with a
// full-depth capacity to grow into. Set $\gamma$ — the parameter named `…bn2.weight` — to 0 in every block of
// `zeroInit`. (Modify parameters inside `torch.no_grad()`, with an in-place method such as `zero_()`.)
Lesson.Section("Exercise 3: start the identity blocks as the identity");

torch.manual_seed(0);
var zeroInit = new SmallResNet(blocksPerStage: 3, width: 8);
// TODO: zero every block's bn2.weight

var gammas = zeroInit.named_parameters().Where(p => p.name.EndsWith("bn2.weight")).Select(p => p.parameter).ToList();
var nonNegative = torch.nn.functional.relu(torch.randn(4, 8, 8, 8));
// Every identity-shortcut block (no "downsample") must now pass its input through unchanged.
var identityBlocks = zeroInit.Blocks.Where(b => !b.named_modules().Any(m => m.name.Contains("downsample"))).ToList();
double blockError = 0;
foreach (var block in identityBlocks)
{
    var x = torch.nn.functional.relu(torch.randn(4, block.named_parameters().First().parameter.shape[1], 8, 8));
    blockError = Math.Max(blockError, (block.forward(x) - x).abs().max().item<float>());
}
Exercise.Check("10-3", gammas.Count == 9 && gammas.All(g => g.abs().max().item<float>() == 0) && blockError == 0 && identityBlocks.Count == 7,
    $"{gammas.Count(g => g.abs().max().item<float>() == 0)} of {gammas.Count} bn2.weight tensors are zero; the {identityBlocks.Count} identity-shortcut blocks change their input by up to {blockError:G3}. " +
    "Idea: find the parameters by name (named_parameters gives each with its full path) and overwrite them in place, with autograd switched off.",
    codeHint: "using (torch.no_grad()) foreach (var (name, p) in zeroInit.named_parameters()) if (name.EndsWith(\"bn2.weight\")) …");

// ## Takeaways
// - Deeper plain networks can have a *higher training loss* than shallower ones — the degradation problem is about
//   optimization, not overfitting.
// - In a plain stack the backward pass multiplies one Jacobian per layer, so the gradient's scale drifts geometrically
//   with depth; here, with batch norm, the first layers get gradients hundreds of times larger than the last.
// - A residual block computes $x + F(x)$: its Jacobian is $I + J_F$, so the gradient reaches every block directly, and
//   "do nothing" is easy to learn ($F = 0$).
// - Basic blocks (two 3×3 convs) and bottleneck blocks (1×1 → 3×3 → 1×1) differ in cost, not in the idea; a projection
//   shortcut handles changes of shape.
// - A bottleneck block costs about what a basic block on a quarter of the channels costs (69,632 vs 73,728 weights
//   in He et al.'s comparison), while its input and output are 4× wider.
// - At equal depth and equal weights, the shortcut alone turns a net that barely trains into one that trains fast.
//   A short run shows slower optimization; the degradation problem proper is the gap that remains at convergence.
Lesson.Section("Takeaways");

// Types declared in the notebook's cells (C# wants them after the top-level statements).

class ResidualMlpBlock : torch.nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear fc1;
    private readonly TorchSharp.Modules.Linear fc2;

    public ResidualMlpBlock(int width) : base("residual_mlp_block")
    {
        fc1 = torch.nn.Linear(width, width);
        fc2 = torch.nn.Linear(width, width);
        RegisterComponents();
    }

    public TorchSharp.Modules.Linear Fc2 => fc2;

    // TODO: add the shortcut.
    public override Tensor forward(Tensor x) => fc2.forward(torch.nn.functional.relu(fc1.forward(x)));
}
