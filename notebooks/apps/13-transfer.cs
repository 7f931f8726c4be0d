// 13 · Transfer learning: reusing a pretrained network — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/13-transfer.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/13-transfer.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/13-transfer/.
//          Exercises run as you edit them; `notebooks/run --apps` runs every app with the solutions filled in.
//          COURSE_HEADLESS=1 makes a failing exercise check throw instead of printing ❌.
#:package TorchSharp-cpu@0.107.0
#:package Plotly.NET@6.0.0
#:package Plotly.NET.CSharp@0.14.0
#:package Microsoft.ML.DataView@6.0.0
#:package System.Numerics.Tensors@10.0.11
#:package TorchVision@0.107.0
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

Lesson.Start("../13-transfer.ipynb", "13 · Transfer learning: reusing a pretrained network");

// # 13 · Transfer learning: reusing a pretrained network
//
// Training a network from scratch needs many labeled examples; often you have a few. **Transfer learning** starts
// from a network trained on a related task with plenty of data, and reuses what it learned. No model hub is reachable
// from this course, so it ships its own small pretrained network: a LeNet-5 trained on the MNIST digits **0–4**. The
// new task is the digits **5–9**, which that network has never seen — with as few as one labeled image per digit.
//
// **Objectives** — by the end of this notebook you can:
// - load pretrained weights with TorchSharp (`module.load`), checked against a hash before they are trusted;
// - say what early and late layers of a CNN respond to, and measure which layers' features carry over to a new task;
// - freeze layers (`requires_grad = false`) and train a new classifier head on frozen features;
// - compare frozen features, fine-tuning and training from scratch at several label budgets, on the same draws;
// - run the same pretrained weights through the from-scratch library and check that it computes the same thing;
// - build a `torchvision.models` architecture (ResNet-18) and compare its size with the course's networks.
//
// Previous: [12 · Sequences](12-sequences.ipynb).

torch.manual_seed(0);
torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
var rng = new Rng(0);

// ## 1. A pretrained network, shipped with the course
//
// `data/models/lenet5-mnist-digits-0-4.bin` holds the weights of notebook 09's LeNet-5 (28×28 input, here with 5
// outputs), trained by `data/scripts/pretrain-lenet.cs` on the 4,881 MNIST training images of the digits 0–4: seed 0,
// Adam at learning rate 0.001, batches of 64, 8 epochs, one thread — so rerunning the script writes the same bytes.
// The file is TorchSharp's `module.save` format: a state dict, each parameter's name and tensor. Its SHA-256 is in
// `data/MANIFEST.json`, and `DataFiles.ReadVerified` refuses a file whose hash differs — a pretrained model is code you
// run, so check that it is the one you meant before you load it. (The weights are derived from MNIST, so they carry its
// license, CC BY-SA 3.0: see `data/README.md`.)
//
// Loading follows PyTorch's pattern: build the **same architecture** with random weights, then load the state into it:
Lesson.Section("1. A pretrained network, shipped with the course");

byte[] weightBytes = DataFiles.ReadVerified(Transfer.PretrainedFile);   // throws if the SHA-256 differs from the manifest
var pretrained = new LeNet5(28, classes: 5);
pretrained.load(new System.IO.BinaryReader(new System.IO.MemoryStream(weightBytes)));   // strict: every name and shape must match
pretrained.eval();

var (mnistTrain, mnistTest) = Digits.Load28x28Split(extraTraining: true);
var sourceTest = Transfer.SelectDigits(mnistTest, Transfer.SourceDigits);   // digits 0–4, labels 0–4
double sourceAccuracy = Transfer.Accuracy(pretrained, sourceTest);
Console.WriteLine($"{weightBytes.Length:N0} bytes, SHA-256 {DataFiles.Sha256(weightBytes)[..16]}…; {pretrained.ParameterCount():N0} parameters");
Console.WriteLine($"accuracy on the {sourceTest.Count} test images of digits 0–4: {sourceAccuracy:P1}");
Claim.That("the pretrained LeNet-5 classifies the held-out digits 0–4 with at least 98 % accuracy", sourceAccuracy >= 0.98, $"{sourceAccuracy:P1}");
Claim.That("it has 61,281 parameters and was trained on 4,881 images of 0–4",
    pretrained.ParameterCount() == 61_281 && Transfer.SelectDigits(mnistTrain, Transfer.SourceDigits).Count == 4_881, $"{pretrained.ParameterCount():N0}");

// The new task reuses the same images of the other five digits, relabeled 0–4 (5 → 0, …, 9 → 4). The pretrained
// network's own outputs mean "0"…"4", so they are useless here; what may carry over is what its layers compute.
//
// ## 2. What the layers learned: early vs late
//
// The first layer's six 5×5 filters, and their feature maps for a **7** — a digit the network never saw:
Lesson.Section("2. What the layers learned: early vs late");

var targetPool = Transfer.SelectDigits(mnistTrain, Transfer.TargetDigits);   // 4,619 images of 5–9 to draw labels from
var targetTest = Transfer.SelectDigits(mnistTest, Transfer.TargetDigits);    // 250 held-out images of 5–9
Claim.That("the new task has 4,619 training images to draw labels from and 250 test images", targetPool.Count == 4_619 && targetTest.Count == 250, $"{targetPool.Count:N0}, {targetTest.Count}");
int seven = Array.IndexOf(targetTest.Labels, 2);                             // label 2 = digit 7
var maps = Cnn.FeatureMaps(pretrained, targetTest, seven);
Lesson.Show(Charts.ImageGrid(Cnn.Filters(pretrained), titles: [.. Enumerable.Range(1, 6).Select(i => $"filter {i}")], columns: 6,
    title: "conv1: the six 5×5 filters learned on digits 0–4"));

var conv1Maps = maps.First(m => m.Stage == "conv1").Maps;
Lesson.Show(Charts.ImageGrid(conv1Maps, titles: [.. Enumerable.Range(1, 6).Select(i => $"map {i}")], columns: 6, invert: true,
    title: "conv1 feature maps of a 7 (after ReLU): strokes at different orientations"));

// Filters this small, learned from a few thousand digits, look noisy to the eye; their maps say more. Each map is the 7
// seen through one filter — a detector of one local pattern of ink, applied at every position — and nothing in such a
// detector is specific to 0–4: it responds to the strokes of any digit. Deeper layers combine these into larger parts
// and finally into whatever separates *their* classes: the last hidden layer, fc2, was trained to tell 0–4 apart, not
// 5–9. Whether that matters is a question for a measurement, not for the eye.
//
// **Measuring it.** A **linear probe** freezes the network, takes one layer's activations as features and trains only
// a linear classifier on them (notebook 09, §6). `Transfer.LayerProbes` does that for every stage — raw pixels,
// pool1, pool2 (the output of the convolutional part), fc1 and fc2 — with 20 labeled images per digit, once on the
// old task (0–4) and once on the new one (5–9), and tests on the held-out images of each:

var probes = Transfer.LayerProbes(pretrained, Transfer.SelectDigits(mnistTrain, Transfer.SourceDigits), sourceTest,
    targetPool, targetTest, perClass: 20, seed: 0);
foreach (var p in probes)
    Console.WriteLine($"{p.Layer,-7} {p.Features,5} features   old task {p.SourceAccuracy,7:P1}   new task {p.TargetAccuracy,7:P1}   gap {p.TransferGap,6:P1}");
Lesson.Show(Charts.Bars([.. probes.Select(p => p.Layer)],
    [("digits 0–4 (trained on)", [.. probes.Select(p => p.SourceAccuracy)]), ("digits 5–9 (new)", [.. probes.Select(p => p.TargetAccuracy)])],
    xTitle: "layer whose activations the linear probe reads", yTitle: "probe test accuracy (20 labels per digit)",
    title: "Early features transfer; late features are specific to the old task"));

LayerProbe Probe(string layer) => probes.First(p => p.Layer == layer);
Claim.That("fc2 is excellent for the task it was trained on: a probe reads digits 0–4 from it with ≥ 97 % accuracy",
    Probe("fc2").SourceAccuracy >= 0.97, $"{Probe("fc2").SourceAccuracy:P1}");
Claim.That("for the new digits, the convolutional features (pool2) beat fc2's by at least 10 points",
    Probe("pool2").TargetAccuracy >= Probe("fc2").TargetAccuracy + 0.10, $"pool2 {Probe("pool2").TargetAccuracy:P1} vs fc2 {Probe("fc2").TargetAccuracy:P1}");
Claim.That("fc2 loses at least 10 points more than pool2 when moved to the new task: deeper is more task-specific",
    Probe("fc2").TransferGap >= Probe("pool2").TransferGap + 0.10, $"gap fc2 {Probe("fc2").TransferGap:P1} vs pool2 {Probe("pool2").TransferGap:P1}");
Claim.That("pool2's features read the new digits better than the raw pixels do", Probe("pool2").TargetAccuracy > Probe("pixels").TargetAccuracy,
    $"{Probe("pool2").TargetAccuracy:P1} vs {Probe("pixels").TargetAccuracy:P1}");

// This is the pattern Yosinski et al. (2014, *How transferable are features in deep neural networks?*) measured on
// ImageNet: **early layers are general, late layers are specific**. Here the convolutional features (pool2) read the
// new digits better than the pixels, while fc2 — near perfect on 0–4 — has thrown away what distinguishes a 6 from
// an 8, because it never needed to. So the place to cut is after the convolutional part: keep conv1 and conv2, and give
// the new task a fresh classifier (fc1 → fc2 → fc3).
//
// ## 3. Frozen features, fine-tuning, or from scratch?
//
// Three ways to get a classifier for 5–9, all with the same architecture and the same freshly initialized classifier
// fc1–fc3 (`Transfer.NewModel`):
//
// | method | conv1, conv2 | classifier fc1–fc3 | trained parameters |
// | --- | --- | --- | --- |
// | **frozen features** | pretrained, frozen (`requires_grad = false`) | new | 58,709 |
// | **fine-tuning** | pretrained, trained further | new | 61,281 |
// | **from scratch** | random | new | 61,281 |
//
// Freezing is one line per parameter in TorchSharp; the optimizer then only gets the parameters that still require
// gradients, and autograd does not even compute gradients for the frozen ones:
Lesson.Section("3. Frozen features, fine-tuning, or from scratch?");

var frozenModel = Transfer.NewModel(TransferMethod.FrozenFeatures, pretrained, seed: 0);
foreach (var (name, p) in frozenModel.named_parameters())
    Console.WriteLine($"{name,-13} {string.Join("×", p.shape),-10} requires_grad = {p.requires_grad}");
var (trainableCount, frozenCount) = Transfer.ParameterSplit(frozenModel);
Claim.That("freezing conv1 and conv2 fixes 6·25 + 6 + 16·150 + 16 = 2,572 parameters and leaves 58,709 to train",
    frozenCount == 6 * 25 + 6 + 16 * 150 + 16 && trainableCount == frozenModel.ParameterCount() - frozenCount && trainableCount == 58_709,
    $"{frozenCount:N0} frozen, {trainableCount:N0} trainable");
Claim.That("the reused layers are under 5 % of the network's weights", frozenCount < 0.05 * frozenModel.ParameterCount(), $"{(double)frozenCount / frozenModel.ParameterCount():P1}");

// Only 4 % of the weights are reused — yet they hold what transfers. Now the experiment: for each **label budget**
// (1, 5, 20 and 100 labeled images per digit), draw the labeled images, train each method for 100 Adam steps
// (learning rate 0.001, batches of up to 50) and test on the 250 held-out images of 5–9. A single draw of 5 images is
// luck as much as method, so every budget is drawn three times (seeds 0, 1, 2) and the chart shows the mean
// (36 training runs: the longest cell of the notebook):

int[] budgets = [1, 5, 20, 100];
var comparison = Transfer.CompareBudgets(pretrained, targetPool, targetTest, budgets, seeds: [0, 1, 2], steps: 100);
Console.WriteLine(comparison);
string[] methodNames = ["frozen features", "fine-tuning", "from scratch"];
double[] budgetAxis = [.. budgets.Select(b => (double)b)];
Lesson.Show(Charts.Lines([.. comparison.Methods.Select((m, i) => (methodNames[i], (IReadOnlyList<double>)budgetAxis, comparison.Curve(m)))],
    xTitle: "labeled images per digit (log scale)", yTitle: "test accuracy on digits 5–9", logX: true, markers: true,
    title: "Pretrained features vs fine-tuning vs from scratch, by label budget"));

double Gap(int perClass) => comparison.Mean(TransferMethod.FrozenFeatures, perClass) - comparison.Mean(TransferMethod.Scratch, perClass);
double fineTuneLead = budgets.Average(b => comparison.Mean(TransferMethod.FineTune, b) - comparison.Mean(TransferMethod.Scratch, b));
Console.WriteLine($"frozen − scratch: {string.Join(", ", budgets.Select(b => $"{b}/digit {Gap(b) * 100:+0.0;−0.0} points"))}");
Claim.That("on the same draws, frozen pretrained features are ahead of training from scratch at every budget, from 1 to 100 labels per digit",
    budgets.All(b => Gap(b) > 0), string.Join(", ", budgets.Select(b => $"{b}: {Gap(b) * 100:+0.0} points")));
double spread5 = comparison.Runs.Where(r => r.Method == TransferMethod.FrozenFeatures && r.PerClass == 5).Select(r => r.Accuracy) is var five ? five.Max() - five.Min() : 0;
Claim.That("at 5 labels per digit, the three draws differ by more than the frozen-vs-scratch lead", spread5 > Gap(5), $"spread {spread5 * 100:F1} vs lead {Gap(5) * 100:F1} points");
Claim.That("fine-tuning is ahead of scratch too, averaged over the budgets", fineTuneLead > 0, $"{fineTuneLead * 100:F1} points");
Claim.That("every method gains over 30 points from 1 to 100 labels per digit: labels still matter most",
    comparison.Methods.All(m => comparison.Mean(m, 100) - comparison.Mean(m, 1) > 0.30),
    string.Join(", ", comparison.Methods.Select(m => $"{m} {comparison.Mean(m, 1):P0} → {comparison.Mean(m, 100):P0}")));

// Read the chart from the left. With one image per digit nothing learns much, but the network that starts from
// pretrained convolutions already has features in which the new digits are partly separable, while the scratch
// network must learn its filters from five images. At every budget the frozen features come out ahead — and
// fine-tuning, which starts from the same features but lets them move, lands close to them: with this few labels,
// letting the features move buys little and may fit noise. (With a large pretrained network and a new task of
// moderate size, fine-tuning with a small learning rate usually wins — the trade-off is data against how far the new
// task is from the old one.)
//
// What this experiment does **not** show robustly is *how big* the lead is at each budget. The textbook story is that
// transfer pays most when labels are scarce and the lead shrinks as labels grow — with enough labels a network from
// scratch learns filters as good as the pretrained ones. Here the lead is a few points, and one method's accuracy moves
// more than that from one draw of labeled images to the next (the claim above); on other draws of three (seeds 3–11)
// the lead at one label per digit was sometimes the largest and sometimes no larger than at 100. So the claims stop at
// what held on every draw: **compare methods on the same draws, and over several of them**, and be wary of a single
// run's ranking. And this transfer is easy — same pen strokes, same image size; the further the new task is from the
// old, the less the late layers, and then the early ones, carry over.
//
// ### Try it
// Change `tryMethod`, `tryPerClass`, `trySteps`, `tryLearningRate` or `trySeed` and rerun (a second or two). Look for:
// how far one labeled image per digit gets each method; whether fine-tuning beats frozen features with a smaller
// learning rate (1e-4) or more steps; how much a different draw (`trySeed`) moves the accuracy at 5 labels per digit;
// whether `TransferMethod.Scratch` catches up with more steps (`trySteps = 300`) at 100 labels per digit.
Lesson.Section("Try it");

var tryMethod = TransferMethod.FineTune;
int tryPerClass = 5, trySteps = 100, trySeed = 0;
double tryLearningRate = 0.001;
var tryLabeled = Transfer.FewLabels(targetPool, tryPerClass, trySeed);
using (var tryModel = Transfer.NewModel(tryMethod, pretrained, trySeed))
{
    Transfer.Train(tryModel, tryLabeled, trySteps, tryLearningRate, trySeed);
    Console.WriteLine($"{tryMethod}, {tryLabeled.Count} labeled images, {trySteps} steps at lr {tryLearningRate}: test accuracy {Transfer.Accuracy(tryModel, targetTest):P1}");
}

// ## 4. The same weights in the from-scratch library
//
// A saved model is just named tensors, so any engine that computes the same operations can run it. `Transfer.ToScratch`
// copies every parameter out of the TorchSharp module into plain arrays, and `ScratchLeNet` runs the forward pass with
// the scratch library's `Conv2d`, `Activations.Relu`, `MaxPool2d` and `Linear` (notebooks 04 and 09) — no TorchSharp:
//
// ```csharp
// var c1 = Relu(Conv2d.Forward(x, W["conv1.weight"], W["conv1.bias"], stride: 1, padding: 2));
// var p1 = MaxPool2d.Forward(c1, 2);
// var c2 = Relu(Conv2d.Forward(p1, W["conv2.weight"], W["conv2.bias"]));
// var p2 = MaxPool2d.Forward(c2, 2);                               // [N, 16, 5, 5]
// var f1 = Relu(Linear.Forward(p2.Reshape(N, 400), W["fc1.weight"], W["fc1.bias"]));
// var f2 = Relu(Linear.Forward(f1, W["fc2.weight"], W["fc2.bias"]));
// var logits = Linear.Forward(f2, W["fc3.weight"], W["fc3.bias"]);
// ```
//
// `Parity.PretrainedForward` runs both on the 250 test images of 5–9 and compares every stage. Only values are
// compared, not gradients, so max-pool near-ties (which notebook 09's parity had to steer around) do not matter here:
// whichever of two nearly equal cells wins, the maximum is the same number.
Lesson.Section("4. The same weights in the from-scratch library");

var forwardParity = Parity.PretrainedForward(pretrained, targetTest);
var scratchNet = Transfer.ToScratch(pretrained);
var scratchLogits = scratchNet.Forward(Transfer.ImagesArray(targetTest));               // [250, 5], plain arrays
int[] scratchPredictions = [.. Enumerable.Range(0, targetTest.Count).Select(i => scratchLogits.Row(i).ToArray().AsSpan().IndexOf(scratchLogits.Row(i).ToArray().Max()))];
int[] torchPredictions;
using (var noGrad = torch.no_grad()) torchPredictions = pretrained.call(Transfer.ImagesArray(targetTest).ToTensor()).argmax(1).ToInts();
Claim.That("scratch and TorchSharp compute every stage of the pretrained LeNet-5 alike (max |Δ| ≤ 1e-4)", forwardParity.Agrees(1e-4), $"max |Δ| = {forwardParity.MaxAbsDiff:E2}");
Claim.That("… and predict the same class for all 250 images", scratchPredictions.SequenceEqual(torchPredictions),
    $"{scratchPredictions.Zip(torchPredictions).Count(p => p.First == p.Second)} of {targetTest.Count}");
Lesson.Show(forwardParity);

// ## 5. Real pretrained architectures: `torchvision.models`
//
// In practice you start from a network trained on ImageNet (1.28 million photos, 1,000 classes). TorchSharp's
// TorchVision package (pinned like every package) builds the standard architectures; their pretrained weights come from
// a model hub, which this course cannot reach, so we build **ResNet-18 without weights** and look at its structure.
// It is notebook 10's residual network grown up: a 7×7 stem, four stages of two basic blocks each (64, 128, 256, 512
// channels), global average pooling and one linear layer `fc`:
Lesson.Section("5. Real pretrained architectures: `torchvision.models`");

var resnet = torchvision.models.resnet18();                  // random weights; num_classes: 1000 (ImageNet)
var resnet10 = torchvision.models.resnet18(num_classes: 10);
foreach (var (name, type, count) in Transfer.Outline(resnet))
    Console.WriteLine($"{name,-8} {type,-18} {count,12:N0} parameters");
long lenetCount = new LeNet5(28).ParameterCount();
Console.WriteLine($"ResNet-18: {resnet.ParameterCount():N0} parameters ({resnet10.ParameterCount():N0} with 10 classes); LeNet-5: {lenetCount:N0}");
var outline = Transfer.Outline(resnet);
Lesson.Show(Charts.Bars([.. Transfer.Outline(resnet).Where(o => o.Parameters > 0).Select(o => o.Name)],
    [.. Transfer.Outline(resnet).Where(o => o.Parameters > 0).Select(o => (double)o.Parameters)],
    yTitle: "parameters", logY: true, title: "Where ResNet-18's 11.7 million parameters are"));

long fcDifference = resnet.ParameterCount() - resnet10.ParameterCount();
Claim.That("ResNet-18 has 11,689,512 parameters, exactly PyTorch's torchvision count", resnet.ParameterCount() == 11_689_512, $"{resnet.ParameterCount():N0}");
Claim.That("with 10 classes it has 11,181,642: only fc changes, by 513 × 990 = 507,870 weights and biases",
    resnet10.ParameterCount() == 11_181_642 && fcDifference == 513 * 990, $"{resnet10.ParameterCount():N0}, difference {fcDifference:N0}");
Claim.That("the stem conv1 holds 64 filters of 3×7×7 and no bias: 9,408 parameters",
    Transfer.Outline(resnet).First(o => o.Name == "conv1").Parameters == 64 * 3 * 7 * 7, $"{Transfer.Outline(resnet).First(o => o.Name == "conv1").Parameters:N0}");
long Part(string name) => outline.First(o => o.Name == name).Parameters;
Claim.That("the last stage, layer4, holds over 70 % of the parameters (8.4 million); fc holds 513 × 1000 = 513,000",
    Part("layer4") > 0.70 * resnet.ParameterCount() && Part("layer4") > 8_350_000 && Part("layer4") < 8_450_000 && Part("fc") == 513_000,
    $"layer4 {Part("layer4"):N0} ({(double)Part("layer4") / resnet.ParameterCount():P1}), fc {Part("fc"):N0}");
Claim.That("ResNet-18 is about 190 times the size of notebook 09's LeNet-5", Math.Abs((double)resnet.ParameterCount() / lenetCount - 190) < 5, $"{(double)resnet.ParameterCount() / lenetCount:F1}×");
using (var noGrad = torch.no_grad())
using (var eval = resnet.EvalMode())
{
    var logits = resnet.call(torch.randn(2, 3, 64, 64));
    Console.WriteLine($"a batch of two 64×64 RGB images → logits {string.Join("×", logits.shape)}");
}

// Most of the weights sit in the last stage (layer4: 8.4 million), and `fc` is 0.5 million of 11.7. The recipe of §3
// carries over unchanged: load ImageNet weights, replace `fc` with a `Linear(512, classes)` for your task, freeze the
// rest (or fine-tune it with a small learning rate), and train on your few labels. Transfer is why a few hundred
// labeled photos can be enough to build a useful image classifier.
//
// ## Exercises
//
// ### Exercise 1: freeze all but the head
// Write `FreezeAllBut(model, trainablePrefix)`: set `requires_grad = false` on every parameter whose name does not start
// with `trainablePrefix`, and return how many parameter **values** are still trainable. The check runs it on a
// LeNet-5 (keep `"fc3."`) and on a 5-class ResNet-18 (keep `"fc."`).
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: freeze all but the head");

long FreezeAllBut(nn.Module model, string trainablePrefix)
{
    // TODO
    return 0;
}

var lenetEx = new LeNet5(28, classes: 5);
var resnetEx = torchvision.models.resnet18(num_classes: 5);
long lenetLeft = FreezeAllBut(lenetEx, "fc3."), resnetLeft = FreezeAllBut(resnetEx, "fc.");
bool freezesRight = lenetLeft == 84 * 5 + 5 && Transfer.ParameterSplit(lenetEx) == (425L, 61_281L - 425)
    && resnetLeft == 512 * 5 + 5 && Transfer.ParameterSplit(resnetEx).Trainable == 2_565;
Exercise.Check("13-1", freezesRight,
    $"returned {lenetLeft} and {resnetLeft}; the head of LeNet-5 is fc3 (84 inputs → 5 outputs, plus 5 biases) and ResNet-18's is fc (512 → 5): "
    + "every other parameter must end with requires_grad = false, and the count is the sum of numel() over the ones left",
    codeHint: "long left = 0; foreach (var (name, p) in model.named_parameters()) { if (…) p.requires_grad = false; else left += …; }");

// ### Exercise 2: a classifier with no training at all
// With frozen features you can classify without training anything: average the features of each class's labeled
// examples (its **prototype**), and give a test image the class of the nearest prototype (Euclidean distance) — the
// idea behind prototypical networks (Snell et al., 2017). Write `NearestPrototype(trainFeatures, trainLabels,
// testFeatures, classes)` with plain loops. The check feeds it the pool2 features of 5 labeled images per digit.
Lesson.Section("Exercise 2: a classifier with no training at all");

int[] NearestPrototype(float[][] trainFeatures, int[] trainLabels, float[][] testFeatures, int classes)
{
    // TODO: one mean vector per class, then the nearest mean for each test row
    return new int[testFeatures.Length];
}

var fiveShot = Transfer.FewLabels(targetPool, 5, seed: 0);
float[][] Rows(NDArray<float> a) => [.. Enumerable.Range(0, a.Shape[0]).Select(i => a.Data[(i * a.Shape[1])..((i + 1) * a.Shape[1])])];
var (protoTrain, protoTest) = (Transfer.LayerFeatures(scratchNet, fiveShot, "pool2"), Transfer.LayerFeatures(scratchNet, targetTest, "pool2"));
int[] protoPredicted = NearestPrototype(Rows(protoTrain), fiveShot.Labels, Rows(protoTest), 5);
int[] protoExpected;
using (var scope = torch.NewDisposeScope())
{
    var all = protoTrain.ToTensor();
    var means = torch.stack([.. Enumerable.Range(0, 5).Select(c =>
        all.index_select(0, Bridge.Labels([.. Enumerable.Range(0, fiveShot.Count).Where(i => fiveShot.Labels[i] == c)])).mean([0]))]);
    protoExpected = torch.cdist(protoTest.ToTensor(), means).argmin(1).ToInts();
}
double protoAccuracy = protoPredicted.Zip(targetTest.Labels).Count(p => p.First == p.Second) / (double)targetTest.Count;
int protoAgree = protoPredicted.Zip(protoExpected).Count(p => p.First == p.Second);
Exercise.Check("13-2", protoAgree == targetTest.Count,
    $"{protoAgree} of {targetTest.Count} predictions match the reference (your accuracy {protoAccuracy:P1}); a prototype is the mean of the 5 feature rows of "
    + "one class (sum them, divide by the count), and each test row gets the class whose prototype has the smallest Σ (x − μ)²",
    codeHint: "means[c][j] += trainFeatures[i][j] for trainLabels[i] == c, then /= count[c]; predicted[t] = argmin over c of Σ_j (testFeatures[t][j] − means[c][j])²");

// ## Takeaways
// - A pretrained network is a state dict: names and tensors. Build the same architecture, `load` the state, and check the
//   file's hash first — it is code you are about to run.
// - Early layers compute general features, late layers features specific to their task: a linear probe reads the new
//   digits better from pool2 than from the raw pixels, while fc2 — nearly perfect on 0–4 — loses at least 10 points more
//   than pool2 when moved to 5–9. Cut where the features are still general.
// - Freezing is `requires_grad = false`: the frozen layers keep their weights and cost no gradients. A new classifier on
//   frozen pretrained convolutions beat training from scratch at every label budget here, by a few points — less than
//   one method's accuracy varies between draws of labeled images, so compare methods on the same draws, several of them.
// - The saved weights run unchanged in the from-scratch library: every stage agrees with TorchSharp within 1e-4.
// - `torchvision.models.resnet18()` builds the 11.7-million-parameter ImageNet architecture (weights from a hub); the
//   same recipe — replace `fc`, freeze or fine-tune — turns it into a classifier for a new task.
Lesson.Section("Takeaways");
