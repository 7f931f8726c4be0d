// 09 · Convolutional networks — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/09-cnn.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/09-cnn.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/09-cnn/.
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
using ScratchConv = DeepLearning.Scratch.Conv2d;

Lesson.Start("../09-cnn.ipynb", "09 · Convolutional networks");

// # 09 · Convolutional networks
//
// An MLP treats an image as a long list of unrelated numbers. It has no idea that neighboring pixels belong together,
// or that a "7" moved one pixel to the right is still a "7". Convolutional networks build both facts into the
// architecture: small filters look at local patches (**locality**), the same filter is slid over the whole image
// (**weight sharing**), and pooling keeps *whether* a feature occurred while forgetting exactly *where*.
//
// **Objectives** — by the end of this notebook you can:
// - explain, with parameter counts, why dense layers do not scale to images;
// - compute a convolution by hand, with the scratch loop nest and im2col, and with `Conv2d` — including stride,
//   padding and kernel size;
// - measure what max pooling does to a shifted image;
// - work out a unit's receptive field, layer by layer;
// - train LeNet-5 on handwritten digits and look at its learned filters, feature maps and pooled maps;
// - probe what a trained CNN's features hold — and say why that alone is not transfer learning.
//
// Previous: [08 · Multilayer perceptrons](08-mlp.ipynb) · Next: [10 · Residual networks](10-residual.ipynb).

torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
torch.manual_seed(0);
var rng = new Rng(0);

// ## 1. Why MLPs don't scale to images
//
// A dense layer connects every input to every output. Suppose the first layer of a network for 28×28 digits should
// produce six "feature maps" of the same size — $6 \cdot 28 \cdot 28 = 4{,}704$ outputs. Densely, that is
// $784 \times 4{,}704 \approx 3.7$ million weights. A convolutional layer with six 5×5 filters produces the same
// 4,704 outputs with $6 \cdot 5 \cdot 5 + 6 = 156$ parameters, because each output only looks at a 5×5 patch and all
// positions share the same filter. The dense count grows with the fourth power of the image side; the convolution's
// does not grow at all.
Lesson.Section("1. Why MLPs don't scale to images");

var small = Cnn.ParameterCounts(imageSize: 28);
var photo = Cnn.ParameterCounts(imageSize: 224, channels: 3);
Console.WriteLine(small);
Console.WriteLine(photo);
Claim.That("on 28×28 digits a dense first layer needs over 10,000× the parameters of a 5×5 conv layer", small.Ratio > 10_000, $"{small.Ratio:N0}×");
Claim.That("on 224×224 RGB photos the dense layer would need over 10 billion weights; the conv layer a few hundred",
    photo.DenseLayer > 10_000_000_000 && photo.ConvLayer < 1_000, $"{photo.DenseLayer:N0} vs {photo.ConvLayer:N0}");

// Whole models tell the same story: LeCun et al. (1998) compared a 300-100 MLP with LeNet-5 on MNIST; the CNN has a
// quarter of the parameters and was more accurate. Parameters are not only memory: each one must be estimated from
// data, so fewer, better-placed parameters also generalize better.

Claim.That("LeNet-5 has fewer than a quarter of the parameters of the 300-100 MLP", small.LeNetModel < small.MlpModel / 4,
    $"LeNet-5 {small.LeNetModel:N0} vs MLP {small.MlpModel:N0}");

// ## 2. Convolution
//
// A 2-D convolution layer (as PyTorch defines it — mathematically a *cross-correlation*, the filter is not flipped)
// maps an input $x$ of shape $[N, C, H, W]$ and filters $w$ of shape $[F, C, k_H, k_W]$ to
//
// $$
// \text{out}[n, f, i, j] = b_f + \sum_{c=1}^{C} \sum_{u=0}^{k_H - 1} \sum_{v=0}^{k_W - 1}
// x_\text{pad}[n,\, c,\; i\,s_H + u,\; j\,s_W + v]\; w[f, c, u, v],
// $$
//
// where $(u, v)$ run over the filter's rows and columns, $s$ is the **stride** (how far the filter moves between outputs) and $x_\text{pad}$ is $x$ with a border of
// **padding** zeros. Each output side is
//
// $$H_o = \left\lfloor \frac{H + 2p_H - k_H}{s_H} \right\rfloor + 1 ,$$
//
// with $p_H$ the padding on each side.
//
// ### By hand
// Here is a 5×5 image with a vertical edge (dark left, bright right) and the Sobel filter for vertical edges. One
// output is a dot product of the filter with the patch under it — let us compute output $(1, 1)$ with two loops:
Lesson.Section("2. Convolution");
Lesson.Section("By hand");

float[] imagePixels =
[
    0, 0, 1, 1, 1,
    0, 0, 1, 1, 1,
    0, 0, 1, 1, 1,
    0, 0, 1, 1, 1,
    0, 0, 1, 1, 1,
];
float[] sobelX = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
var image = NDArray.From(imagePixels, 1, 1, 5, 5);    // [N, C, H, W]
var filter = NDArray.From(sobelX, 1, 1, 3, 3);       // [F, C, kH, kW]

float byHand = 0;
for (int u = 0; u < 3; u++)
    for (int v = 0; v < 3; v++)
        byHand += image[0, 0, 1 + u, 1 + v] * filter[0, 0, u, v];
Console.WriteLine($"out[1, 1] by hand = {byHand}");

// The scratch half has the whole formula as a loop nest, `ScratchConv.ForwardNaive` in
// `src/DeepLearning.Scratch/Layers/Conv2d.cs` — seven loops, one per index of the sum, with padding handled by
// skipping positions that fall off the image (its loop variables `p`, `q` are the kernel indices $u, v$ of the formula):
//
// ```csharp
// for (int n = 0; n < g.N; n++)
//     for (int f = 0; f < g.F; f++)
//         for (int i = 0; i < g.Ho; i++)
//             for (int j = 0; j < g.Wo; j++)
//             {
//                 T sum = b is null ? T.Zero : b[f];
//                 for (int c = 0; c < g.C; c++)
//                     for (int p = 0; p < g.KH; p++)
//                         for (int q = 0; q < g.KW; q++)
//                         {
//                             int h = (i * g.SH) - g.PH + p, v = (j * g.SW) - g.PW + q;
//                             if (h >= 0 && h < g.H && v >= 0 && v < g.W)
//                                 sum += x[n, c, h, v] * w[f, c, p, q];
//                         }
//                 y[n, f, i, j] = sum;
//             }
// ```
//
// TorchSharp's `torch.nn.functional.conv2d` takes the same layouts:

var naive = ScratchConv.ForwardNaive(image, filter, null);
var framework = torch.nn.functional.conv2d(image.ToTensor(), filter.ToTensor());
Console.WriteLine($"output shape {Shapes.Format(naive.Shape)}; row 1 = [{string.Join(", ", naive.Data.Skip(3).Take(3))}]");
Claim.That("the loop nest reproduces the hand-computed value", naive[0, 0, 1, 1] == byHand, $"{naive[0, 0, 1, 1]} vs {byHand}");
Claim.That("the loop nest and TorchSharp's conv2d agree", Bridge.MaxAbsDiff(naive, framework, "conv") < 1e-6, $"max |Δ| = {Bridge.MaxAbsDiff(naive, framework, "conv"):E2}");

// The filter answers "how much brighter is the right of this patch than its left?": 4 on the edge, 0 on flat regions.
//
// ### im2col: convolution as one matrix product
// Seven nested loops are slow. The scratch `ScratchConv.Forward` uses the trick behind most CPU and GPU
// implementations: copy every $k_H \times k_W$ patch of an image into a column of a matrix
// $\text{cols} \in \mathbb{R}^{C k_H k_W \times H_o W_o}$. Reading the filters as a matrix
// $W \in \mathbb{R}^{F \times C k_H k_W}$, all $F$ filters at all $H_o W_o$ positions are **one GEMM**:
//
// $$Y_n = W \cdot \text{cols}(x_n) \in \mathbb{R}^{F \times H_o W_o},$$
//
// which already is image $n$'s output in NCHW order. The copy costs memory (a pixel lands in up to $k_H k_W$ columns),
// but the work goes to the same tuned matrix kernel every dense layer uses:
//
// ```csharp
// // cols[(c, p, q), (i, j)] = x_pad[c, i·sH + p, j·sW + q]
// for (int n = 0; n < g.N; n++)
// {
//     Im2Col(x.Data.AsSpan(n * image, image), g, cols);
//     var yn = y.Data.AsSpan(n * outImage, outImage);
//     Gemm.Multiply<T>(w.Data, cols, yn, g.F, g.P, g.Ckk);   // [F, C·kH·kW]·[C·kH·kW, Ho·Wo]
//     // … plus the bias of each filter
// }
// ```
//
// The backward pass is the same picture read backwards: $\partial L/\partial W = \sum_n \delta_n\, \text{cols}(x_n)^\top$,
// $\partial L/\partial\,\text{cols} = W^\top \delta_n$, and *col2im* adds each column back onto the patch it came from
// (overlapping patches add up). `Parity.Conv2d` runs the im2col version, the loop nest and TorchSharp with autograd on
// random inputs and compares output and all three gradients:
Lesson.Section("im2col: convolution as one matrix product");

var convParity = Parity.Conv2d(batch: 2, inChannels: 3, outChannels: 4, height: 9, width: 9, kernel: 3, stride: 2, padding: 1);
Claim.That("scratch (im2col and loops) and TorchSharp agree: output, ∂L/∂x, ∂L/∂w, ∂L/∂b", convParity.Agrees(1e-5), $"max |Δ| = {convParity.MaxAbsDiff:E2}");
Lesson.Show(convParity);

// ### Stride, padding and kernel size
// In TorchSharp a convolution layer is a module, `torch.nn.Conv2d(inChannels, outChannels, kernelSize, stride,
// padding)`, holding `weight` $[F, C, k, k]$ and `bias` $[F]$. Padding $p = (k-1)/2$ with stride 1 keeps the size
// ("same" padding); stride 2 halves it. The table below runs a 28×28 digit through several settings and compares the
// shapes with the formula (`ScratchConv.OutputSize`):
Lesson.Section("Stride, padding and kernel size");

var digit28 = torch.rand(1, 1, 28, 28);
(int k, int s, int p)[] settings = [(5, 1, 0), (5, 1, 2), (3, 1, 1), (3, 2, 1), (5, 2, 0), (7, 3, 3)];
bool formulaHolds = true;
foreach (var (k, s, p) in settings)
{
    using var conv = torch.nn.Conv2d(1, 6, k, stride: s, padding: p);
    using var y = conv.forward(digit28);
    int expected = ScratchConv.OutputSize(28, k, s, p);
    formulaHolds &= y.shape[2] == expected && y.shape[3] == expected;
    Console.WriteLine($"kernel {k}, stride {s}, padding {p}:  [1, 1, 28, 28] → [{string.Join(", ", y.shape)}]   formula: {expected}   parameters: {conv.ParameterCount()}");
}
Claim.That("every output size matches ⌊(H + 2p − k)/s⌋ + 1", formulaHolds, $"{settings.Length} settings");

// **Weight sharing** means the same module works on any image size — the parameters describe one filter, not one
// image:

var sharedConv = torch.nn.Conv2d(1, 6, 5);
long sizeA = sharedConv.forward(torch.rand(1, 1, 28, 28)).shape[2], sizeB = sharedConv.forward(torch.rand(1, 1, 64, 64)).shape[2];
Claim.That("one Conv2d(1, 6, 5) with 156 parameters filters 28×28 and 64×64 images alike", sharedConv.ParameterCount() == 156,
    $"outputs {sizeA}×{sizeA} and {sizeB}×{sizeB}, {sharedConv.ParameterCount()} parameters");

// Hand-designed filters were the state of the art before CNNs learned their own. Two Sobel filters on a real digit
// respond to vertical and horizontal strokes respectively:

var (digitsTrain, digitsTest) = Digits.Load28x28Split();
var sample = digitsTest.X.Reshape(digitsTest.Count, 1, 28, 28).ToTensor().narrow(0, 0, 1);   // the first test digit
var sobel = torch.tensor(new float[] { -1, 0, 1, -2, 0, 2, -1, 0, 1,   -1, -2, -1, 0, 0, 0, 1, 2, 1 }, new long[] { 2, 1, 3, 3 });
var edges = torch.nn.functional.conv2d(sample, sobel, padding: [1, 1]);            // [1, 2, 28, 28]
var panels = torch.cat([sample, edges.abs()], 1).squeeze(0).ToNDArray();       // [3, 28, 28]
Lesson.Show(Charts.ImageGrid(panels, titles: ["digit", "|vertical edges|", "|horizontal edges|"], columns: 3, invert: true,
    title: "A digit and the responses of two Sobel filters"));

// ## 3. Pooling and translation
//
// **Max pooling** with a 2×2 window and stride 2 keeps the largest value of each window:
// $\text{out}[n, c, i, j] = \max_{0 \le p, q < 2} x[n, c, 2i + p, 2j + q]$. It halves each side and has no
// parameters. Its gradient flows only to the position of each window's maximum (the scratch
// `MaxPool2d.Forward` remembers that position); **average pooling** spreads it evenly instead.
Lesson.Section("3. Pooling and translation");

var maxParity = Parity.MaxPool2d(kernel: 2);
var avgParity = Parity.AvgPool2d(kernel: 3, stride: 2, padding: 1);
Claim.That("scratch and TorchSharp max pooling agree (output and ∂L/∂x)", maxParity.Agrees(1e-5), $"max |Δ| = {maxParity.MaxAbsDiff:E2}");
Claim.That("scratch and TorchSharp average pooling agree (output and ∂L/∂x)", avgParity.Agrees(1e-5), $"max |Δ| = {avgParity.MaxAbsDiff:E2}");

// Why pool? Convolution is **equivariant** to translation: shift the input and the feature maps shift along,
// $\text{conv}(\text{shift}(x)) = \text{shift}(\text{conv}(x))$ (away from the borders). Comparing the maps
// position by position, they change about as much as the pixels do. Max pooling adds a little **invariance**: if a
// feature moves *within* its window, the window's maximum stays the same.
//
// We measure it on the 8×8 digits with a LeNet-style network at its random initialization (the effect comes from the
// architecture, not from learning): shift 200 digits one pixel to the right and compute each representation's
// relative change $\lVert f(\text{shifted}) - f(x) \rVert / \lVert f(x) \rVert$.

torch.manual_seed(0);
var randomLeNet8 = new LeNet5(imageSize: 8);
var shift = Cnn.TranslationSensitivity(randomLeNet8, count: 200, shift: 1, seed: 0);
Console.WriteLine(shift);
Lesson.Show(Charts.Bars([.. shift.Stages.Select(s => s.Stage)], [.. shift.Stages.Select(s => s.RelativeChange)],
    yTitle: "relative change", title: "How much each representation changes when the digit moves 1 pixel"));

Claim.That("each max pooling reduces the change left by the convolution before it",
    shift["pool1"] < shift["conv1"] && shift["pool2"] < shift["conv2"],
    $"conv1 {shift["conv1"]:F2} → pool1 {shift["pool1"]:F2}, conv2 {shift["conv2"]:F2} → pool2 {shift["pool2"]:F2}");
Claim.That("after two conv–pool stages the representation changes less than half as much as the pixels",
    shift["pool2"] < 0.5 * shift.Pixels, $"pool2 {shift["pool2"]:F2} vs pixels {shift.Pixels:F2}");

// On 8×8 images a one-pixel shift is a big move (it changes the pixels by about as much as their own size), so the
// invariance is partial — but it grows with every conv–pool stage.
//
// ### Receptive fields: how much of the image one unit sees
//
// Each output of a 5×5 convolution looks at a 5×5 patch of its input. One layer up, each output looks at a patch of
// *those* outputs, each of which saw a patch of the image — so the image region behind one unit, its **receptive
// field**, grows with depth. Two numbers per layer track it: the side $r_l$ of the receptive field, and the **jump**
// $j_l$, the distance in image pixels between neighboring positions of layer $l$'s output. With kernel $k_l$ and stride
// $s_l$ (pooling counts as a layer with its own window and stride), starting from the image itself ($r_0 = 1$, $j_0 = 1$):
//
// $$r_l = r_{l-1} + (k_l - 1)\,j_{l-1}, \qquad j_l = j_{l-1}\, s_l .$$
//
// A $k \times k$ window adds $k - 1$ *input positions*, and each is $j_{l-1}$ pixels apart; a stride multiplies the
// spacing for every layer after it. For LeNet-5: conv1 ($k = 5$) gives $r = 5$; pool1 ($k = 2$, $s = 2$) gives
// $r = 6$ and $j = 2$; conv2 ($k = 5$) gives $r = 6 + 4 \cdot 2 = 14$; pool2 gives $r = 14 + 1 \cdot 2 = 16$, with
// $j = 4$. So the 16 channels after pool2 each summarize a 16×16 patch of the 28×28 digit: early layers see strokes,
// later ones see parts of the digit — the hierarchy that makes CNN features "less where, more what".
//
// The picture below *measures* them with autograd: one unit in the middle of each stage's output is backpropagated to
// the input, and the pixels that receive a gradient are its receptive field (average pooling stands in for max pooling,
// so that every pixel of a window gets a gradient; the window is the same):
//
// ## 4. LeNet-5 on handwritten digits
//
// LeNet-5 (LeCun et al., 1998), in its modern form (ReLU, max pooling), is `LeNet5` in
// `src/DeepLearning.Course/Models/LeNet5.cs`:
//
// | stage | operation | output (28×28 input) |
// | --- | --- | --- |
// | conv1 | 6 filters 5×5, padding 2, ReLU | 6 × 28 × 28 |
// | pool1 | max 2×2 | 6 × 14 × 14 |
// | conv2 | 16 filters 5×5, ReLU | 16 × 10 × 10 |
// | pool2 | max 2×2 | 16 × 5 × 5 = 400 |
// | fc1, fc2, fc3 | 400 → 120 → 84 → 10, ReLU between | 10 logits |
//
// We train it on the course's MNIST subset (2,000 training images, 200 per digit; 10 % of them held out for
// validation) with the course's `Trainer` — the full loop of notebook 08 — for four epochs with Adam. It shows a table
// of the epochs as they finish (about a second each):
Lesson.Section("Receptive fields: how much of the image one unit sees");
Lesson.Section("4. LeNet-5 on handwritten digits");

// Renamed here, since a C# program declares a name once: input → input2.
(string Stage, Func<Tensor, Tensor> Up)[] lenetStages =
[
    ("conv1", x => torch.nn.functional.conv2d(x, torch.ones(1, 1, 5, 5), padding: [2, 2])),
    ("pool1", x => torch.nn.functional.avg_pool2d(x, 2)),
    ("conv2", x => torch.nn.functional.conv2d(x, torch.ones(1, 1, 5, 5))),
    ("pool2", x => torch.nn.functional.avg_pool2d(x, 2)),
];
var fields = new List<Tensor>();
var measuredSides = new List<long>();
for (int depth = 1; depth <= lenetStages.Length; depth++)
{
    var input2 = torch.zeros(1, 1, 28, 28, requires_grad: true);
    var y = input2;
    foreach (var stage in lenetStages.Take(depth)) y = stage.Up(y);
    y[0, 0, y.shape[2] / 2, y.shape[3] / 2].backward();                   // one unit in the middle of the map
    var seen = input2.grad!.squeeze().ne(0).to_type(ScalarType.Float32);
    measuredSides.Add(seen.sum(dim: 1).gt(0).sum().item<long>());          // rows with a gradient = the field's side
    fields.Add(seen);
}
int[] recurrence = [5, 6, 14, 16];
Claim.That("the measured receptive fields of LeNet's stages are 5, 6, 14 and 16 pixels wide, as the recurrence says",
    measuredSides.SequenceEqual(recurrence.Select(r => (long)r)), string.Join(", ", measuredSides));
Lesson.Show(Charts.ImageGrid(torch.stack(fields).ToNDArray(), titles: [.. lenetStages.Select((s, i) => $"{s.Stage}: {measuredSides[i]}×{measuredSides[i]}")], columns: 4, invert: true,
    title: "The image pixels one unit of each stage depends on (28×28 input)"));

var allTrain = TrainData.From(digitsTrain.AsImages(1, 28, 28));
var (train, validation) = allTrain.Split(0.1, seed: 0);
var test = TrainData.From(digitsTest.AsImages(1, 28, 28));
torch.manual_seed(0);
var lenet = new LeNet5(imageSize: 28);
var history = Trainer.Fit(lenet, train, validation, new TrainOptions
{
    Epochs = 4,
    BatchSize = 32,
    Optimizer = Optim.Adam(0.002),
    Seed = 0,
});

var lossCurve = history.LossCurve();
var accuracyCurve = history.AccuracyCurve();
Lesson.Show(Charts.LossCurves(lossCurve.Train, lossCurve.Validation, accuracyCurve.Train, accuracyCurve.Validation,
    title: "LeNet-5 on the MNIST subset"));

// And once, at the end, on the 500 test images it has never seen:

var testResult = Trainer.Evaluate(lenet, test);
int[] predicted = Trainer.PredictClasses(lenet, test.X);
Claim.That("after four epochs on 1,800 images LeNet-5 classifies at least 90 % of the test digits correctly",
    testResult.Accuracy >= 0.90, $"test accuracy {testResult.Accuracy:P1}");
Lesson.Show(Charts.ConfusionMatrix(digitsTest.Labels, predicted, classes: 10, title: "LeNet-5, test digits"));

// ## 5. What LeNet learned
//
// The six first-layer filters are small images; each is slid over the digit to produce a feature map. After
// training they typically look like stroke and edge detectors of different orientations (compare with the Sobel
// filters above — LeNet found its own):
Lesson.Section("5. What LeNet learned");

var filters = Cnn.Filters(lenet);   // [6, 5, 5]
Lesson.Show(Charts.ImageGrid(filters, titles: [.. Enumerable.Range(1, 6).Select(i => $"filter {i}")], columns: 6,
    title: "conv1's learned 5×5 filters"));

// The feature maps of one test digit after each stage: conv1 keeps the full resolution with one map per filter,
// pooling halves it, conv2 combines the six maps into sixteen coarser ones — less "where", more "what".

var stages = Cnn.FeatureMaps(lenet, digitsTest, index: 0);
var conv1Maps = stages.First(s => s.Stage == "conv1").Maps;   // [6, 28, 28]
var conv2Maps = stages.First(s => s.Stage == "conv2").Maps;   // [16, 10, 10]
Console.WriteLine(string.Join(", ", stages.Select(s => $"{s.Stage} {Shapes.Format(s.Maps.Shape)}")));
Lesson.Show(Charts.ImageGrid(conv1Maps, titles: [.. Enumerable.Range(1, 6).Select(i => $"map {i}")], columns: 6,
    title: $"conv1 feature maps of a test '{digitsTest.Labels[0]}'"));

var pool1Maps = stages.First(s => s.Stage == "pool1").Maps;   // [6, 14, 14]
Lesson.Show(Charts.ImageGrid(pool1Maps, titles: [.. Enumerable.Range(1, 6).Select(i => $"pooled {i}")], columns: 6,
    title: "pool1: the same six maps after 2×2 max pooling (14×14) — each pixel keeps the strongest response in its window"));

Lesson.Show(Charts.ImageGrid(conv2Maps, columns: 8, title: $"conv2 feature maps of the same '{digitsTest.Labels[0]}' (10×10 each)"));

// ## 6. What a trained CNN's features hold — a probe, not yet transfer
//
// Everything before the last layer turns an image into a vector — here the 84 activations of fc2 — and the last layer
// is just a linear classifier on that vector. A **linear probe** asks how much a representation holds: freeze it,
// compute the features once (no gradients into the CNN), and train only a linear classifier on them.
//
// `Cnn.FeatureExtractor` runs that probe on the 8×8 digits: it trains a `LeNet5(8)`, then fits the same linear
// classifier on three representations — the raw pixels, the features of an *untrained* LeNet (random weights), and the
// features of the trained one. Be clear about what this is: the probe is trained on **the same images and the same ten
// labels** the CNN was trained on. A linear layer on fc2's features is nearly the CNN's own last layer, re-learned. That
// tells you the features are useful *for the task they were trained on* — it does not test **transfer learning**, which
// reuses features on a *new* task (other classes, other data) where few labels are available. Real transfer — pretrain,
// freeze and probe, fine-tune on a new task, against training from scratch — is the subject of notebook 13.
Lesson.Section("6. What a trained CNN's features hold — a probe, not yet transfer");

var probes = Cnn.FeatureExtractor(epochs: 8, seed: 0);
Console.WriteLine(probes);
Lesson.Show(Charts.Bars([.. probes.Probes.Select(p => p.Representation)], [.. probes.Probes.Select(p => p.TestAccuracy)],
    yTitle: "test accuracy of a linear classifier", title: "Linear probes on three representations of the 8×8 digits"));

var trainedProbe = probes["trained LeNet features"];
var randomProbe = probes["random LeNet features"];
var pixelProbe = probes["raw pixels"];
Claim.That("on the task LeNet was trained for, a linear classifier on its features beats one on the untrained LeNet's by at least 3 points",
    trainedProbe.TestAccuracy >= randomProbe.TestAccuracy + 0.03, $"{trainedProbe.TestAccuracy:P1} vs {randomProbe.TestAccuracy:P1}");
Claim.That("on 8×8 digits, trained features and raw pixels are within 5 points of each other",
    Math.Abs(trainedProbe.TestAccuracy - pixelProbe.TestAccuracy) < 0.05, $"{trainedProbe.TestAccuracy:P1} vs {pixelProbe.TestAccuracy:P1}");

// Be honest about the third bar: on these tiny 8×8 digits the raw pixels are already almost linearly separable, so
// the trained features beat them only slightly, if at all (in our run the two probes are within a few points of each
// other). What training clearly buys is the gap to the *random* features: the same architecture, before learning,
// throws useful information away. Whether features learned on one task help on *another* — the reason pretrained CNNs
// are reused so widely — is a different question, measured in notebook 13, not here.
//
// ### Try it: your own small CNN against an MLP
//
// The cell below trains a two-stage CNN built with `Sequential` and an MLP on only 300 of the 8×8 digits and reports
// parameters and validation accuracy. Change `channels`, `kernel`, `usePooling`, the MLP's `hidden` width or
// `trainImages` and rerun (a few seconds). Look for: how few parameters the CNN needs for the same accuracy; what
// happens without pooling (the classifier's input grows); whether the CNN's advantage shrinks as you give both more
// images.
Lesson.Section("Try it: your own small CNN against an MLP");

int channels = 8, kernel = 3, hidden = 64, trainImages = 300;
bool usePooling = true;
var (few, heldOut) = TrainData.From(Digits.Load8x8().AsImages(1, 8, 8)).Split(0.5, seed: 3);
few = few.Subset([.. Enumerable.Range(0, trainImages).Select(i => (long)i)], $"{trainImages} digits");
int side = usePooling ? 2 : 8;   // 8×8 → 4×4 → 2×2 with two 2×2 poolings, 8×8 without
torch.manual_seed(0);
var cnn = torch.nn.Sequential(
    torch.nn.Conv2d(1, channels, kernel, padding: kernel / 2), torch.nn.ReLU(), usePooling ? torch.nn.MaxPool2d(2) : torch.nn.Identity(),
    torch.nn.Conv2d(channels, 2 * channels, kernel, padding: kernel / 2), torch.nn.ReLU(), usePooling ? torch.nn.MaxPool2d(2) : torch.nn.Identity(),
    torch.nn.Flatten(), torch.nn.Linear(2 * channels * side * side, 10));
var mlp = torch.nn.Sequential(torch.nn.Flatten(), new Mlp([64, hidden, 10]));
var tryOptions = new TrainOptions { Epochs = 30, BatchSize = 32, Optimizer = Optim.Adam(3e-3), Seed = 0, Progress = Progress.None };
foreach (var (name, model) in new (string, nn.Module<Tensor, Tensor>)[] { ("CNN", cnn), ("MLP", mlp) })
{
    Trainer.Fit(model, few, heldOut, tryOptions);
    Console.WriteLine($"{name}: {model.ParameterCount(),6:N0} parameters, validation accuracy {Trainer.Evaluate(model, heldOut).Accuracy:P1}");
}

int OutSize(int n, int k, int s, int p)
{
    // TODO: the formula from section 2
    return n;
}

bool allSizes = true;
foreach (var (n, k, s, p) in new[] { (28, 5, 1, 0), (28, 3, 2, 1), (32, 5, 1, 2), (7, 3, 3, 0), (10, 4, 2, 1), (9, 1, 2, 0) })
{
    using var conv = torch.nn.Conv2d(1, 1, k, stride: s, padding: p);
    allSizes &= OutSize(n, k, s, p) == conv.forward(torch.zeros(1, 1, n, n)).shape[2];
}
Exercise.Check("09-1", allSizes, "pad the input on both sides, then count how many positions the window can start at when it moves s pixels at a time and must stay inside — the first position counts too",
    codeHint: "int room = n + 2 * p - k;   // how far the window can travel; now count its stops, s pixels apart");

// ### Exercise 2: a filter for horizontal edges
// Design a 3×3 filter (row by row, 9 numbers) that responds to **horizontal** edges (dark above, bright below) and
// gives exactly 0 on a vertical edge and on a flat image.
Lesson.Section("Exercise 2: a filter for horizontal edges");

// TODO: 9 numbers, row by row
float[] horizontalFilter = [0, 0, 0, 0, 0, 0, 0, 0, 0];

var hFilter = torch.tensor(horizontalFilter, new long[] { 1, 1, 3, 3 });
var stepDown = torch.arange(6).ge(3).to_type(ScalarType.Float32).reshape(1, 1, 6, 1).expand(1, 1, 6, 6).contiguous(); // dark above, bright below
var stepRight = stepDown.transpose(2, 3).contiguous();                                                                  // dark left, bright right
var flat = torch.ones(1, 1, 6, 6);
float onHorizontal = torch.nn.functional.conv2d(stepDown, hFilter).max().item<float>();
float onVertical = torch.nn.functional.conv2d(stepRight, hFilter).abs().max().item<float>();
float onFlat = torch.nn.functional.conv2d(flat, hFilter).abs().max().item<float>();
Exercise.Check("09-2", onHorizontal >= 1 && onVertical < 1e-6 && onFlat < 1e-6,
    $"response on a horizontal edge {onHorizontal:G3} (want ≥ 1), on a vertical edge {onVertical:G3} and on a flat image {onFlat:G3} (want 0); the Sobel filter of section 2 measures change from left to right; you want change from top to bottom. For a flat image to give 0, what must the nine weights add up to?",
    codeHint: "rows: top row negative, middle row 0, bottom row positive — like Sobel, turned by 90°");

// ### Exercise 3: receptive field of another network
// A small network for 32×32 images stacks: conv 3×3 (stride 1) → conv 3×3 **stride 2** → conv 3×3 (stride 1) →
// max pool 2×2 (stride 2) → conv 3×3 (stride 1). Use the recurrence of section 3 to work out the side of the receptive
// field of one unit of the **last** convolution, and store it in `receptiveField`. The check measures it with
// autograd.
Lesson.Section("Exercise 3: receptive field of another network");

// TODO: walk the layers with r (field side) and j (jump), starting from r = 1, j = 1.
int receptiveField = 0;

var input = torch.zeros(1, 1, 32, 32, requires_grad: true);
var ones = torch.ones(1, 1, 3, 3);
var a = torch.nn.functional.conv2d(input, ones, padding: [1, 1]);
a = torch.nn.functional.conv2d(a, ones, strides: [2, 2], padding: [1, 1]);
a = torch.nn.functional.conv2d(a, ones, padding: [1, 1]);
a = torch.nn.functional.avg_pool2d(a, 2);                         // average: every input position gets a gradient
a = torch.nn.functional.conv2d(a, ones, padding: [1, 1]);
a[0, 0, a.shape[2] / 2, a.shape[3] / 2].backward();
long measured = input.grad!.squeeze().abs().sum(dim: 1).gt(0).sum().item<long>();   // rows with a nonzero gradient
Exercise.Check("09-3", receptiveField == measured,
    $"you wrote {receptiveField}; go layer by layer: a k×k window adds (k − 1) input positions, each j pixels apart, and a stride multiplies j for the layers after it — which layers change j here?",
    codeHint: "r = 3; j = 1; then r += (k - 1) * j and j *= s for each further layer");

// ## Takeaways
// - Dense layers on images need weights growing with the fourth power of the image side; a convolution's parameters
//   describe one small filter, shared across all positions.
// - A convolution is a dot product of a filter with every patch: a seven-deep loop nest, or one matrix product per
//   image after im2col. Output side: $\lfloor (H + 2p - k)/s \rfloor + 1$.
// - Convolution is translation-equivariant; max pooling adds local invariance, and stacking conv–pool stages makes the
//   representation less sensitive to where things are.
// - A unit's receptive field grows layer by layer, $r_l = r_{l-1} + (k_l - 1)j_{l-1}$, faster after every stride: LeNet's
//   pool2 units see 16×16 of the 28×28 digit.
// - LeNet-5 learns its own edge-like filters and reaches high accuracy on digits in a few epochs with 61,706 parameters.
// - The layers before the classifier are a feature extractor; a linear probe on them measures what they hold for the
//   task they were trained on. Reusing them on a new task is transfer learning (notebook 13).
Lesson.Section("Takeaways");
