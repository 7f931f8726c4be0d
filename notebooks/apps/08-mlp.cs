// 08 · Multilayer perceptrons in practice — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/08-mlp.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/08-mlp.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/08-mlp/.
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

Lesson.Start("../08-mlp.ipynb", "08 · Multilayer perceptrons in practice");

// # 08 · Multilayer perceptrons in practice
//
// The previous notebooks took a deep network apart: activations, losses, optimizers, backpropagation, initialization,
// regularization, batch norm. This one puts it back together the way you would at work: define the model in
// TorchSharp, train it with a proper loop that watches a validation set and knows when to stop, and choose its
// hyperparameters by measurement instead of by guess.
//
// **Objectives** — by the end of this notebook you can:
// - write a network three ways — a `Module` subclass, `Sequential`, and a `ModuleList` built from a list of sizes — and
//   say when each fits;
// - check a deep MLP against the from-scratch version, forward and backward;
// - write the full training loop: minibatches, evaluation after every epoch, early stopping that restores the best
//   weights;
// - tune the learning rate and batch size on a validation set, and report the test score once;
// - compare deep-and-narrow with shallow-and-wide networks at the same parameter budget;
// - build an MLP for regression;
// - watch a run from the inside while it trains: update-to-weight ratios, activation histograms, dead units.
//
// Previous: [07 · Batch normalization](07-batch-norm.ipynb) · Next: [09 · Convolutional networks](09-cnn.ipynb).

torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
torch.manual_seed(0);
var rng = new Rng(0);

// ## 1. The XOR-sine network and its task
//
// This notebook's example (it comes back in the assessment's quiz) is a binary classifier with ten inputs, three hidden layers and one output:
// **10 → 64 → 128 → 64 → 1**. Layer $l$ computes $h_l = \mathrm{ReLU}(W_l h_{l-1} + b_l)$ with $h_0 = x$; the last
// layer is affine only and produces one number, the **logit** $z = W_4 h_3 + b_4$. The sigmoid turns it into a
// probability, $P(y = 1 \mid x) = \sigma(z) = 1/(1 + e^{-z})$, and training minimizes the binary cross-entropy
//
// $$\ell(z, y) = -\big[y \log \sigma(z) + (1 - y) \log(1 - \sigma(z))\big] = \log(1 + e^{z}) - y\,z .$$
//
// The right-hand form is what `torch.nn.BCEWithLogitsLoss` computes: it takes the logit, never forms $\sigma(z)$,
// and stays exact where the sigmoid saturates (notebook 02). So the model's `forward` returns $z$, and the sigmoid
// appears only when we want probabilities.
//
// The task (`Synthetic.XorSine`, named after its rule): $x \sim \mathcal{N}(0, I_{10})$ and $y = 1$ exactly when
// $x_0 x_1 + x_2 x_3 + \sin(2 x_4) > 0$ — two XOR-like products and a sine. Five inputs are distractors and the boundary is curved, so a linear model
// cannot do much better than chance-plus-a-bit. We draw 2,000 training examples (of which 20 % are held out for
// validation) and 1,000 test examples, each class exactly half:
Lesson.Section("1. The XOR-sine network and its task");

var xorSine = MlpTopic.XorSineData(train: 2000, test: 1000, seed: 0);
var (train, validation) = TrainData.Binary(xorSine.XTrain, xorSine.YTrain, "XOR-sine task").Split(0.2, seed: 0);
var test = TrainData.Binary(xorSine.XTest, xorSine.YTest, "XOR-sine task (test)");
Console.WriteLine($"{train}\n{validation}\n{test}");

// ## 2. Three ways to write a network
//
// **A `Module` subclass** is the general form: layers in private fields, `RegisterComponents()` last in the
// constructor, and `forward` written by hand. This is `XorSineNet` (`src/DeepLearning.Course/Models/XorSineNet.cs`):
//
// ```csharp
// public sealed class XorSineNet : Module<Tensor, Tensor>
// {
//     private readonly Linear fc1, fc2, fc3, fc4;
//
//     public XorSineNet(string name = "xor_sine_net") : base(name)
//     {
//         fc1 = Linear(10, 64);
//         fc2 = Linear(64, 128);
//         fc3 = Linear(128, 64);
//         fc4 = Linear(64, 1);
//         RegisterComponents();   // finds the fields by reflection: fc1.weight, fc1.bias, …
//     }
//
//     public override Tensor forward(Tensor x)
//     {
//         var h = torch.nn.functional.relu(fc1.forward(x));
//         h = torch.nn.functional.relu(fc2.forward(h));
//         h = torch.nn.functional.relu(fc3.forward(h));
//         return fc4.forward(h);   // the logit z
//     }
// }
// ```
//
// `RegisterComponents()` is TorchSharp's counterpart of PyTorch's attribute magic: it walks the object's fields and
// registers every module and parameter under the field's name. That is where the state-dict names `fc1.weight`, …
// come from, and what `parameters()` — the list you give an optimizer — returns. Forget it and the model still runs
// forward, but `parameters()` is empty and nothing ever trains (exercise 2).
//
// **`Sequential`** chains modules when `forward` is just "one after the other". Naming the layers keeps the
// state-dict names identical to the subclass's (`MlpTopic.XorSineNetSequential`):
//
// ```csharp
// Sequential(("fc1", Linear(10, 64)), ("relu1", ReLU()), ("fc2", Linear(64, 128)), ("relu2", ReLU()),
//            ("fc3", Linear(128, 64)), ("relu3", ReLU()), ("fc4", Linear(64, 1)));
// ```
//
// **A `ModuleList`** holds a list of modules whose *length is a runtime value* — the only option when the
// architecture comes from data, such as a list of layer sizes. `Mlp` (`src/DeepLearning.Course/Models/Mlp.cs`)
// builds Linear → (BatchNorm1d) → activation → (Dropout) for each hidden layer and loops over the list in `forward`:
//
// ```csharp
// layers = ModuleList<Module<Tensor, Tensor>>();
// for (int l = 0; l + 1 < sizes.Count; l++)
// {
//     layers.Add(Linear(sizes[l], sizes[l + 1]));
//     if (l + 2 == sizes.Count) break;            // the output layer: logits, no nonlinearity
//     if (batchNorm) layers.Add(BatchNorm1d(sizes[l + 1]));
//     layers.Add(activation());
//     if (dropout > 0) layers.Add(nn.Dropout(dropout));
// }
// RegisterComponents();                            // registers the list as layers.0, layers.1, …
// ```
//
// (A plain `List<Linear>` field would *not* be registered — `RegisterComponents` only sees modules, and a
// `ModuleList` is one.) `MlpTopic.ThreeWays` builds all three, copies the subclass's weights into the other two and
// runs the same batch through each:
Lesson.Section("2. Three ways to write a network");

var styles = MlpTopic.ThreeWays(batch: 16, seed: 0);
Console.WriteLine(styles);
Claim.That("the three styles are one function: same parameter count, identical outputs", styles.Equivalent,
    string.Join(", ", styles.Styles.Select(s => $"{s.Style}: {s.Parameters:N0}, |Δ| = {s.MaxAbsDiff}")));

// With a list of sizes, depth and width become hyperparameters like any other. A network with widths
// $n_0, n_1, \dots, n_L$ has $\sum_{l=1}^{L} (n_{l-1} + 1)\, n_l$ parameters (weights plus biases):

int[][] architectures = [[10, 64, 128, 64, 1], [10, 32, 1], [10, 256, 256, 256, 256, 1]];
foreach (var sizes in architectures)
{
    var mlp = new Mlp(sizes);
    long formula = Enumerable.Range(1, sizes.Length - 1).Sum(l => (long)(sizes[l - 1] + 1) * sizes[l]);
    Console.WriteLine($"[{string.Join(", ", sizes)}]: {mlp.Depth} Linear layers, {mlp.ParameterCount():N0} parameters (formula {formula:N0})");
    Claim.That($"Mlp [{string.Join(", ", sizes)}] has Σ (nₗ₋₁ + 1)·nₗ parameters", mlp.ParameterCount() == formula, $"{mlp.ParameterCount():N0}");
}

// ## 3. The same network from scratch
//
// The scratch half has an $L$-layer MLP trained by explicit backpropagation, `Mlp<T>` in `src/DeepLearning.Scratch/Mlp.cs`.
// Its backward pass is the recursion of notebook 04, one layer at a time from the output down:
//
// ```csharp
// // δ_L = ∂L/∂z_L = (softmax(z_L) − onehot(y)) / N
// var delta = Losses.CrossEntropy.Backward(lossCache);
// for (int l = Layers.Count - 1; l >= 0; l--)
// {
//     var layer = Layers[l];
//     Gemm.MatMul(delta, a[l], transA: true).Span.CopyTo(layer.W.Grad.Span);   // dW_l = δ_lᵀ·a_l
//     layer.B!.Grad.Span.Clear();                                            // db_l = Σ_rows δ_l
//     for (int i = 0; i < n; i++) TensorPrimitives.Add(layer.B.Grad.Span, delta.Row(i), layer.B.Grad.Span);
//     if (l == 0) break;
//     delta = SigmaBackward(Gemm.MatMul(delta, layer.W.Value), z[l - 1], a[l]); // δ_{l−1} = (δ_l·W_l) ⊙ σ'(z_{l−1})
// }
// ```
//
// It is a softmax classifier, so we compare the XOR-sine architecture with a two-logit head, 10 → 64 → 128 → 64 → 2
// (for two classes, softmax over $(z_0, z_1)$ is exactly $\sigma(z_1 - z_0)$ — the same model family as one logit).
// `Parity.Mlp` copies the scratch weights into the TorchSharp `Mlp`, runs one batch through both and compares logits,
// loss and every weight and bias gradient:
Lesson.Section("3. The same network from scratch");

var mlpParity = Parity.Mlp([10, 64, 128, 64, 2], "relu", batch: 32, seed: 0);
Claim.That("scratch backprop and TorchSharp autograd agree on the XOR-sine architecture", mlpParity.Agrees(1e-5), $"max |Δ| = {mlpParity.MaxAbsDiff:E2}");
Lesson.Show(mlpParity);

// ## 4. The training loop
//
// One **epoch** is one pass over the training set in shuffled minibatches $B$ of size $|B|$; each step moves the
// parameters against the gradient of the minibatch loss,
//
// $$\theta \leftarrow \theta - \eta\, \nabla_\theta \frac{1}{|B|} \sum_{i \in B} \ell(f_\theta(x_i), y_i)$$
//
// (or the Adam update of notebook 03). After each epoch we measure the loss on the **validation** set, which training
// never touches. Here is that loop written out in TorchSharp, for five epochs with Adam:
Lesson.Section("4. The training loop");

torch.manual_seed(0);
var model = new XorSineNet();
var optimizer = torch.optim.Adam(model.parameters(), lr: 0.01);
var bce = torch.nn.BCEWithLogitsLoss();
const int batchSize = 32;
for (int epoch = 1; epoch <= 5; epoch++)
{
    model.train();                                        // dropout/batch norm in training mode (none here, but say it)
    var order = torch.randperm(train.Count);              // reshuffle every epoch
    for (long start = 0; start < train.Count; start += batchSize)
    {
        using var scope = torch.NewDisposeScope();        // frees this step's tensors at the closing brace
        var idx = order.narrow(0, start, Math.Min(batchSize, train.Count - start));
        var loss = bce.forward(model.forward(train.X.index_select(0, idx)), train.Y.index_select(0, idx));
        optimizer.zero_grad();                            // gradients accumulate unless cleared
        loss.backward();
        optimizer.step();
    }
    model.eval();
    using (torch.no_grad())                               // no graph: faster, and no accidental training
        Console.WriteLine($"epoch {epoch}: validation loss {bce.forward(model.forward(validation.X), validation.Y).item<float>():F4}, " +
                          $"accuracy {MlpTopic.XorSineAccuracy(model, validation.X, validation.Y):P1}");
}

// Every line is there for a reason: `zero_grad` because `backward` *adds* to `.grad`; `train()`/`eval()` because
// dropout and batch norm behave differently in the two modes; `no_grad` so evaluation builds no graph; a dispose
// scope per step because each tensor holds native memory — the `using` pattern you know from `IDisposable`.
//
// **Early stopping.** Training loss keeps falling while the validation loss, at some point, turns up: the network
// starts fitting noise. Early stopping watches the validation loss, remembers the weights of the best epoch, and stops
// after `patience` epochs without improvement — an epoch *improves* when its loss is below the best so far by more
// than `minDelta`. The scratch half's `EarlyStopping<T>.Update` (`src/DeepLearning.Scratch/Regularization.cs`) is the
// whole rule:
//
// ```csharp
// int epoch = Epochs++;
// if (!(valLoss < BestLoss - MinDelta)) { BadEpochs++; return false; }   // no improvement (NaN never improves)
// (BestLoss, BestEpoch, BadEpochs) = (valLoss, epoch, 0);
// _best = [.. parameters.Select(p => p.Value.Clone())];                 // keep the best weights
// // Stopped => BadEpochs > 0 && BadEpochs >= Patience
// ```
//
// The course's `Trainer.Fit` is the loop above plus this rule and the bookkeeping: a live table, a guard that stops
// with a clear message when the loss turns NaN, and the best weights restored at the end. We allow up to 100 epochs
// with a patience of 10:

torch.manual_seed(0);
var net = new XorSineNet();
var history = Trainer.Fit(net, train, validation, new TrainOptions
{
    Epochs = 100,
    BatchSize = 64,
    Optimizer = Optim.Adam(0.01),
    EarlyStopping = new EarlyStopping(Patience: 10),
    Seed = 0,
});
var losses = history.LossCurve();
var accuracies = history.AccuracyCurve();
Lesson.Show(Charts.LossCurves(losses.Train, losses.Validation, accuracies.Train, accuracies.Validation,
    bestEpoch: history.BestEpoch, stoppedEpoch: history.Epochs.Count, title: "The XOR-sine network with early stopping"));

Console.WriteLine(history.Summary());
var restored = Trainer.Evaluate(net, validation);
Claim.That("early stopping ended the run well before the 100-epoch budget", history.StoppedEarly && history.Epochs.Count < 50,
    $"{history.Epochs.Count} epochs, best epoch {history.BestEpoch}");
Claim.That("after the best epoch the validation loss rose while the training loss kept falling",
    history.Last.ValidationLoss > history.Best.ValidationLoss && history.Last.TrainLoss < history.Best.TrainLoss,
    $"validation {history.Best.ValidationLoss:F3} → {history.Last.ValidationLoss:F3}, training {history.Best.TrainLoss:F3} → {history.Last.TrainLoss:F3}");
Claim.That("the model ends with the best epoch's weights", Math.Abs(restored.Loss - history.Best.ValidationLoss!.Value) < 1e-5,
    $"validation loss now {restored.Loss:F4}, at the best epoch {history.Best.ValidationLoss:F4}");

// The settings of this model are final, so now — and only now — we look at the test set, once. For contrast, the same
// loop trains a linear model (`Mlp([10, 1])`, logistic regression) on the same data:

var netTest = Trainer.Evaluate(net, test);
torch.manual_seed(0);
var linear = new Mlp([10, 1]);
Trainer.Fit(linear, train, validation, new TrainOptions { Epochs = 10, BatchSize = 64, Optimizer = Optim.Adam(0.01), Seed = 0, Progress = Progress.None });
var linearTest = Trainer.Evaluate(linear, test);
Console.WriteLine($"test accuracy: XOR-sine network {netTest.Accuracy:P1}, linear model {linearTest.Accuracy:P1}");
Claim.That("the XOR-sine network classifies at least 80 % of the test set correctly", netTest.Accuracy >= 0.80, $"{netTest.Accuracy:P1}");
Claim.That("a linear model stays below 70 %, at least 15 points behind: the boundary is curved",
    linearTest.Accuracy < 0.70 && linearTest.Accuracy <= netTest.Accuracy - 0.15, $"{linearTest.Accuracy:P1}");

// ## 5. Hyperparameter tuning
//
// Weights are learned by gradient descent; **hyperparameters** — learning rate, batch size, dropout, width, depth,
// epochs — are chosen by us. The honest procedure: train one model per setting on the training set, compare them on
// the **validation** set, pick the best, and only then look at the test set, once. Choosing by test accuracy would
// make the test score an optimistic, tuned number.
//
// Each run below is short (the XOR-sine network trains in a fraction of a second per epoch). The helper trains a fresh
// `Mlp` with the XOR-sine architecture — seeded, so every setting starts from the same weights — and returns its history:
Lesson.Section("5. Hyperparameter tuning");

History TrainXorSineMlp(double lr = 0.01, int batch = 128, double dropout = 0, int epochs = 6)
{
    torch.manual_seed(0);   // the same initial weights for every setting
    return Trainer.Fit(new Mlp(XorSineNet.Sizes, dropout: dropout), train, validation, new TrainOptions
    {
        Epochs = epochs, BatchSize = batch, Optimizer = Optim.Adam(lr), Seed = 0,
        Progress = Progress.None, ThrowOnDivergence = false,   // a diverging run ends early instead of throwing
    });
}

// ### Learning rate
// The most important one. Too small and the network barely moves in the time we give it; too large and the steps
// overshoot, the loss jumps around or blows up. A log-spaced grid covers the useful range:
Lesson.Section("Learning rate");

double[] rates = [1e-4, 1e-3, 1e-2, 1e-1, 1];
var rateRuns = rates.Select(lr => TrainXorSineMlp(lr: lr)).ToList();
// A run that diverges (NaN loss) stops early; count it as chance level, 50 %.
double[] rateAccuracy = [.. rateRuns.Select(h => h.StopReason == StopReason.Diverged || h.Epochs.Count == 0 ? 0.5 : h.Last.ValidationAccuracy!.Value)];
for (int i = 0; i < rates.Length; i++)
    Console.WriteLine($"lr {rates[i],-7}: validation accuracy {rateAccuracy[i]:P1}  ({rateRuns[i].Summary()})");
Lesson.Show(Charts.Lines([("Adam, 6 epochs", rates, rateAccuracy)], xTitle: "learning rate", yTitle: "validation accuracy", logX: true,
    markers: true, title: "Validation accuracy against the learning rate"));

int bestRate = Array.IndexOf(rateAccuracy, rateAccuracy.Max());
Claim.That("the best learning rate is inside the grid: both the smallest and the largest are at least 5 points worse",
    rateAccuracy[0] <= rateAccuracy[bestRate] - 0.05 && rateAccuracy[^1] <= rateAccuracy[bestRate] - 0.05,
    $"{rates[0]}: {rateAccuracy[0]:P1}, best {rates[bestRate]}: {rateAccuracy[bestRate]:P1}, {rates[^1]}: {rateAccuracy[^1]:P1}");

// ### Batch size
// The minibatch gradient is an estimate of the full gradient; its noise shrinks like $1/\sqrt{|B|}$. Small batches
// give many noisy steps per epoch, large ones few precise steps. A large batch also tends to use the hardware better
// (on a GPU dramatically; on a CPU with a network this small, modestly — the times printed below depend on your
// machine and on what else it is doing). With the learning rate fixed, we compare:
Lesson.Section("Batch size");

int[] batchSizes = [64, 256, 1024];
var batchRuns = batchSizes.Select(b => TrainXorSineMlp(batch: b)).ToList();
for (int i = 0; i < batchSizes.Length; i++)
{
    var h = batchRuns[i];
    Console.WriteLine($"batch {batchSizes[i],3}: {Math.Ceiling(train.Count / (double)batchSizes[i]),3} steps per epoch, " +
                      $"{1000 * h.Seconds / h.Epochs.Count,5:F0} ms per epoch, training loss {h.Last.TrainLoss:F3}, validation accuracy {h.Last.ValidationAccuracy:P1}");
}
Lesson.Show(Charts.LossCurves([.. batchSizes.Select((b, i) => ($"batch {b}", (IReadOnlyList<double>)batchRuns[i].LossCurve().Train,
    (IReadOnlyList<double>?)batchRuns[i].LossCurve().Validation))], title: "Loss per epoch for three batch sizes"));

Console.WriteLine($"steps per epoch: batch {batchSizes[0]}: {Math.Ceiling(train.Count / (double)batchSizes[0])}, batch {batchSizes[^1]}: {Math.Ceiling(train.Count / (double)batchSizes[^1])}");
Claim.That($"after the same 6 epochs batch {batchSizes[^1]} has fit the training set less: at least 1.5× the training loss of batch {batchSizes[0]}",
    batchRuns[^1].Last.TrainLoss >= 1.5 * batchRuns[0].Last.TrainLoss, $"{batchRuns[^1].Last.TrainLoss:F3} vs {batchRuns[0].Last.TrainLoss:F3}");
// Against the clock instead of the epoch: each run's training loss at the end of each epoch, at the seconds it had used so far.
Lesson.Show(Charts.Lines([.. batchSizes.Select((b, i) => ($"batch {b}",
        (IReadOnlyList<double>)[.. batchRuns[i].Epochs.Select((e, k) => batchRuns[i].Epochs.Take(k + 1).Sum(r => r.Seconds))],
        (IReadOnlyList<double>)batchRuns[i].LossCurve().Train))],
    xTitle: "seconds of training (this machine, this run)", yTitle: "training loss", markers: true, title: "The same runs against wall-clock time"));

// The large batch makes far fewer updates per epoch, so with the same learning rate and the same number of epochs it
// ends less trained. Against the clock (second chart) the picture changes: each large-batch epoch is cheaper, because
// the fixed cost of a step — launching the kernels, the optimizer's update — is paid 16× less often. How much cheaper
// depends on the machine and on what else it is doing, which is why the course makes no claim about the seconds. In
// practice: pick the batch size for speed and memory, then retune the learning rate (and the number of epochs) for it —
// larger batches usually tolerate, and need, larger learning rates.
//
// Beyond learning rate and batch size, the momentum coefficient, weight decay, dropout (tuned in
// [notebook 06](06-regularization.ipynb)), width and depth are all hyperparameters. Tuning them one at a time on a grid
// wastes runs when they interact; Bergstra & Bengio (2012) showed that **random search** — sample each setting from a
// range (log-uniform for rates), train, keep the best on validation — finds good settings with far fewer runs, and
// coarse-to-fine search (a wide range first, then a narrower one around the best) is the usual practice.
//
// ## 6. Depth or width? A fixed budget
//
// With `Mlp` and its `ModuleList`, depth is one more entry in a list. So ask the question directly: with a fixed
// number of parameters, is it better to spend them on one wide hidden layer or on several narrow ones? The cell below
// builds four networks of about 4,500 parameters each — one hidden layer of 375 units, two of 61, four of 36, eight of
// 24 — and trains each the same way (Adam, 15 epochs, batches of 64) from three seeds, then compares the best validation
// accuracy, averaged over the seeds (one run of each would compare the luck of the draw as much as the shapes). **Try it**:
// change `budget` or `depths`, or the task's training size, and look for where depth stops helping — very deep and
// narrow nets become hard to *train* (notebooks 05, 07 and 10 are about exactly that).
Lesson.Section("6. Depth or width? A fixed budget");

int budget = 4_500;
int[] depths = [1, 2, 4, 8];
int[] shapeSeeds = [0, 1, 2];
// The width w that gives depth d about `budget` parameters: (10 + 1)·w + (d − 1)·(w + 1)·w + (w + 1).
int WidthFor(int d) => Enumerable.Range(1, 2000).MinBy(w => Math.Abs(11L * w + (d - 1L) * (w + 1) * w + w + 1 - budget));
var shapeRuns = depths.Select(d =>
{
    int w = WidthFor(d);
    int[] sizes = [10, .. Enumerable.Repeat(w, d), 1];
    var runs = shapeSeeds.Select(seed =>
    {
        torch.manual_seed(seed);
        var m = new Mlp(sizes);
        var h = Trainer.Fit(m, train, validation, new TrainOptions { Epochs = 15, BatchSize = 64, Optimizer = Optim.Adam(0.01), Seed = seed, Progress = Progress.None });
        return (Parameters: m.ParameterCount(), Best: h.Epochs.Max(e => e.ValidationAccuracy ?? 0), History: h);
    }).ToList();
    double best = runs.Average(r => r.Best);
    Console.WriteLine($"{d} hidden layer(s) of {w,3}: {runs[0].Parameters,5:N0} parameters, best validation accuracy per seed {string.Join(", ", runs.Select(r => r.Best.ToString("P1")))}; mean {best:P1}");
    return (Depth: d, Width: w, Parameters: runs[0].Parameters, Best: best, History: runs[0].History);
}).ToList();
Lesson.Show(Charts.LossCurves([.. shapeRuns.Select(r => ($"{r.Depth} × {r.Width}", (IReadOnlyList<double>)r.History.LossCurve().Train, (IReadOnlyList<double>?)r.History.LossCurve().Validation))],
    title: $"Four shapes, ~{budget:N0} parameters each (seed 0): training (solid) and validation (dashed) loss"));

var wide = shapeRuns[0];
var bestDeeper = shapeRuns.Skip(1).MaxBy(r => r.Best);
Claim.That("at this budget, on this task, no deeper shape beats one wide hidden layer by more than 1 point (mean of three seeds): depth buys nothing here",
    bestDeeper.Best - wide.Best <= 0.01, string.Join(", ", shapeRuns.Select(r => $"{r.Depth} × {r.Width}: {r.Best:P1}")));

// An honest null result — and a useful one. The XOR-sine rule is two products and a sine of single inputs, and one wide
// ReLU layer approximates such a function about as economically as a stack does; with 1,600 examples, no deeper shape does
// better than the single wide layer, and the deepest, narrowest ones tend to end a little lower — narrow stacks are
// harder to train (notebooks 05, 07 and 10). Depth pays when the function is **compositional** — built by applying simple steps
// to the results of simple steps. The textbook example (Telgarsky 2016) is a zig-zag made by folding a line $k$ times:
// a network of depth about $k$ with a few units per layer represents it exactly, while one hidden layer needs on the
// order of $2^k$ units. Images are compositional in this sense (edges → strokes → parts → digits), which is why depth
// pays so clearly in CNNs ([09](09-cnn.ipynb)) and why the deep networks of [10](10-residual.ipynb) need residual
// connections to be trainable. Try a task of your own in this cell to see the difference.

// ## 7. An MLP for regression
//
// Nothing in the training loop is specific to classification. For a real-valued target, the last layer outputs the
// prediction itself (no sigmoid, no softmax), and the loss is the mean squared error — `TrainData.Regression` tells the
// Trainer so, and `Trainer.Evaluate` then reports the MSE. Two habits matter more than for classification: **scale the
// targets** (a network's initial outputs are of order 1; targets in the thousands would need huge weights in the last
// layer — standardize them, and undo it for predictions) and report an error in the target's own units, such as the
// **root-mean-square error** $\text{RMSE} = \sqrt{\text{MSE}}$.
//
// A one-dimensional example you can see: 200 noisy samples of $y = \sin(2x) + 0.3x$ on $[-3, 3]$, fitted by a linear
// model and by a $1 \to 64 \to 64 \to 1$ MLP:
Lesson.Section("7. An MLP for regression");

torch.manual_seed(0);
var xr = torch.rand(200, 1) * 6 - 3;
var yr = torch.sin(2 * xr) + 0.3 * xr + 0.1 * torch.randn(200, 1);     // noise std 0.1
var (curveTrain, curveVal) = TrainData.Regression(xr, yr, "sin(2x) + 0.3x").Split(0.25, seed: 0, stratify: false);
var regressionOptions = new TrainOptions { Epochs = 300, BatchSize = 32, Optimizer = Optim.Adam(0.01), Seed = 0, Progress = Progress.None };
torch.manual_seed(0);
var lineFit = new Mlp([1, 1]);
Trainer.Fit(lineFit, curveTrain, curveVal, regressionOptions with { Epochs = 100 });
torch.manual_seed(0);
var curveFit = new Mlp([1, 64, 64, 1]);
Trainer.Fit(curveFit, curveTrain, curveVal, regressionOptions);
double Rmse(nn.Module<Tensor, Tensor> m) => Math.Sqrt(Trainer.Evaluate(m, curveVal).Loss);
Console.WriteLine($"validation RMSE: linear {Rmse(lineFit):F3}, MLP {Rmse(curveFit):F3} (the noise alone: 0.1)");
var grid = torch.linspace(-3, 3, 121).unsqueeze(1);
double[] gx = [.. grid.squeeze(1).data<float>().ToArray().Select(v => (double)v)];
double[] Line(nn.Module<Tensor, Tensor> m) => [.. Trainer.Predict(m, grid).squeeze(1).data<float>().ToArray().Select(v => (double)v)];
Lesson.Show(Charts.PointsAndLines([("training data", [.. curveTrain.X.squeeze(1).data<float>().ToArray().Select(v => (double)v)], [.. curveTrain.Y.squeeze(1).data<float>().ToArray().Select(v => (double)v)])],
    [("linear model", gx, Line(lineFit)), ("MLP 1→64→64→1", gx, Line(curveFit))], title: "Regression: a line and an MLP fitted by mean squared error"));

Claim.That("the MLP's validation RMSE is below 0.2 (twice the noise), the linear model's above 0.5",
    Rmse(curveFit) < 0.2 && Rmse(lineFit) > 0.5, $"MLP {Rmse(curveFit):F3}, linear {Rmse(lineFit):F3}");

// Here the inputs and targets are already of order 1, so no scaling was needed; the assessment's regression option
// (notebook 11) is a ten-input version.
//
// ## 8. Watching a run from the inside
//
// Loss curves tell you *that* a run is failing, rarely *why*. Three measurements taken **during** training tell you
// much more, and the library's `Diagnostics` takes each in one call:
//
// - the **update-to-weight ratio** $\lVert \Delta W\rVert / \lVert W\rVert$ of each layer at each step
//   (`Diagnostics.UpdateRatios(model, optimizer, x, y, task)` performs a real optimizer step and measures it): around
//   $10^{-3}$ is the classic healthy value (Karpathy); $10^{-1}$ means each step rewrites a tenth of the weights, $10^{-5}$
//   that the layer is barely learning;
// - **activation histograms** per layer (`Diagnostics.Activations(model, x)`, through forward hooks): collapsed to 0 or
//   piled up at the extremes both mean trouble;
// - the fraction of **dead** ReLU units — zero on every example of a batch — which never get a gradient again.
//
// The loop below is the explicit loop of section 4 with the step replaced by `UpdateRatios` and a look at the
// activations after every epoch. It trains the XOR-sine network twice with plain SGD: once at a sensible learning rate,
// once at one far too large. The knobs are at the top:
Lesson.Section("8. Watching a run from the inside");

double[] diagnosticRates = [0.05, 3.0];
int diagnosticEpochs = 6;
var diagnosticRuns = new List<(double Lr, List<double> LogRatio, List<double> Dead, IReadOnlyList<LayerActivation> Final)>();
foreach (double lr in diagnosticRates)
{
    torch.manual_seed(0);
    var m = new Mlp(XorSineNet.Sizes);
    var opt = torch.optim.SGD(m.parameters(), lr);
    var (logRatio, dead) = (new List<double>(), new List<double>());
    IReadOnlyList<LayerActivation> acts = [];
    for (int epoch = 1; epoch <= diagnosticEpochs; epoch++)
    {
        m.train();
        var order = torch.randperm(train.Count);
        for (long start = 0; start < train.Count; start += 64)
        {
            using var scope = torch.NewDisposeScope();
            var idx = order.narrow(0, start, Math.Min(64, train.Count - start));
            var updates = Diagnostics.UpdateRatios(m, opt, train.X.index_select(0, idx), train.Y.index_select(0, idx), TaskKind.Binary);
            logRatio.Add(updates.Where(u => u.IsWeight).Average(u => u.Log10Ratio));   // mean log₁₀ ratio over the weight matrices
        }
        m.eval();
        acts = Diagnostics.Activations(m, validation.X);                                 // forward hooks on every layer
        dead.Add(acts.Where(a => a.DeadFraction is not null).Average(a => a.DeadFraction!.Value));
    }
    diagnosticRuns.Add((lr, logRatio, dead, acts));
    Console.WriteLine($"lr {lr}: mean log₁₀(update/weight) over the last epoch {logRatio.TakeLast(25).Average():F2}, dead ReLU units after each epoch {string.Join(" ", dead.Select(d => d.ToString("P0")))}");
    Console.WriteLine(Diagnostics.Format(acts.Where(a => a.Kind == "ReLU")));
}
Lesson.Show(Charts.Lines([.. diagnosticRuns.Select(r => ($"lr {r.Lr}", (IReadOnlyList<double>)[.. Enumerable.Range(1, r.LogRatio.Count).Select(i => (double)i)], (IReadOnlyList<double>)r.LogRatio))],
    xTitle: "step", yTitle: "mean log₁₀ ‖ΔW‖/‖W‖", title: "Update-to-weight ratio at every step (−3 is the rule of thumb)"));

Lesson.Show(Charts.Lines([.. diagnosticRuns.Select(r => ($"lr {r.Lr}", (IReadOnlyList<double>)[.. Enumerable.Range(1, r.Dead.Count).Select(i => (double)i)], (IReadOnlyList<double>)[.. r.Dead.Select(d => 100 * d)]))],
    xTitle: "epoch", yTitle: "dead ReLU units (%)", markers: true, title: "Dead units per epoch: a too-large learning rate kills them early"));

Lesson.Show(Charts.Histograms([.. diagnosticRuns.SelectMany(r => r.Final.Where(a => a.Kind == "ReLU").Select(a =>
        ($"lr {r.Lr}, {a.Layer}", (IReadOnlyList<double>)a.Histogram.Edges, (IReadOnlyList<double>)[.. a.Histogram.Counts.Select(c => (double)c)])))],
    xTitle: "ReLU output on the validation set", title: "Activation histograms after training, per layer"));

var (calm, hot) = (diagnosticRuns[0], diagnosticRuns[^1]);
Claim.That("at the sensible rate the updates stay near the rule of thumb (mean log₁₀ ratio within [−4, −2]) and at most 2 % of the units die",
    calm.LogRatio.Average() is > -4 and < -2 && calm.Dead.Max() <= 0.02, $"log₁₀ ratio {calm.LogRatio.Average():F2}, dead at most {calm.Dead.Max():P0}");
Claim.That("at the large rate every step rewrites about a tenth of the weights or more (mean log₁₀ ratio > −2), and the dead units climb to ≥ 20 % by the last epoch",
    hot.LogRatio.Average() > -2 && hot.Dead[^1] >= 0.2 && hot.Dead[^1] > hot.Dead[0], $"log₁₀ ratio {hot.LogRatio.Average():F2}, dead per epoch {string.Join(" ", hot.Dead.Select(d => d.ToString("P0")))}");

// Read the three pictures together: at the too-large rate every step rewrites a sizeable fraction of each weight matrix,
// and epoch after epoch more ReLUs output 0 for every validation example — dead, a spike at 0 in the histograms, most
// of all in the last hidden layer — and they do not come back, because a dead unit gets no gradient. The loss curve
// alone would only have said "it learns slowly".

// ## Exercises
//
// ### Exercise 1: parameters from a list of sizes
// Write `CountParameters(sizes)` for an `Mlp` built from `sizes` (no batch norm): weights plus biases of every Linear
// layer. The check compares it with TorchSharp's count for several architectures.
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: parameters from a list of sizes");

long CountParameters(int[] sizes)
{
    // TODO: Σ over the Linear layers of (inputs + 1) · outputs
    return 0;
}

int[][] checkSizes = [[10, 64, 128, 64, 1], [784, 300, 100, 10], [3, 2], [5, 7, 7, 7, 7, 7, 2]];
Exercise.Check("08-1", checkSizes.All(s => CountParameters(s) == new Mlp(s).ParameterCount()),
    "walk the list in pairs of neighbors: each Linear connects every input to every output and adds one bias per output",
    codeHint: "for (int l = 1; l < sizes.Length; l++) total += …");

// ### Exercise 2: a Module that registers its layers
// The class below runs, but an optimizer built from `new TwoLayer().parameters()` would have nothing to train. Fix it
// so that its parameters are `fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias` (10 → 32 → 1). (`TorchSharp.Modules.Linear`
// is spelled out because the scratch half has a `Linear` of its own.)
Lesson.Section("Exercise 2: a Module that registers its layers");

// (class TwoLayer is declared at the end of this file: C# wants types after the top-level statements.)

var twoLayer = new TwoLayer();
var names = twoLayer.ParameterNames();
Console.WriteLine($"parameters: [{string.Join(", ", names)}]");
Exercise.Check("08-2", names.SequenceEqual(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]) && twoLayer.ParameterCount() == 10 * 32 + 32 + 32 + 1,
    "TorchSharp does not look at a Module's fields by itself; section 2 names the call that makes it — and it must come after the fields have their values",
    codeHint: "RegisterComponents();");

// ### Exercise 3: early stopping by hand
// Write `StopEpoch(validationLosses, patience)`: given the validation loss of each epoch (epoch 1 first), return the
// epoch after which early stopping ends training — the first epoch at which `patience` epochs in a row have not
// improved on the best loss so far (with `minDelta` = 0) — or the last epoch if that never happens.
Lesson.Section("Exercise 3: early stopping by hand");

int StopEpoch(double[] validationLosses, int patience)
{
    // TODO: track the best loss and the number of epochs in a row without improvement
    return validationLosses.Length;
}

int Reference(double[] losses, int patience)
{
    var rule = new EarlyStopping<double>(patience);
    for (int e = 0; e < losses.Length; e++)
        if (!rule.Update(losses[e]) && rule.Stopped) return e + 1;
    return losses.Length;
}
double[][] curves = [[1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9, 0.6], [3, 2, 1, 0.5, 0.4], [0.5, 0.6, 0.7, 0.8, 0.9, 1.0], [1, 1, 1, 1]];
bool sameStops = curves.All(c => new[] { 1, 2, 3 }.All(p => StopEpoch(c, p) == Reference(c, p)));
Exercise.Check("08-3", sameStops,
    "walk the epochs in order, remembering the best loss so far and how many epochs in a row have failed to beat it; an equal loss does not count as better",
    codeHint: "double best = double.PositiveInfinity; int bad = 0; for (int e = 0; e < validationLosses.Length; e++) { … return e + 1 when bad reaches patience … }");

// ### Exercise 4: rescue a broken run
// Section 8's "hot" run — the XOR-sine network, plain SGD at $\eta = 3$, batches of 64 — is broken. Make it healthy by
// changing only its settings below: the learning rate, the momentum (`torch.optim.SGD`'s, 0 = plain SGD) and the number
// of epochs (at most 10). The check trains the network with your settings exactly as section 8 does, prints the same
// diagnostics, and asks for a healthy run that has also learned: a mean $\log_{10}$ update-to-weight ratio within
// $[-4, -2]$, at most 5 % dead ReLU units at the end, and at least 80 % validation accuracy. Diagnose before you change
// anything, and rerun the check after each change — the diagnostics say what to try next.
Lesson.Section("Exercise 4: rescue a broken run");

// TODO: the broken run's settings; change them until the check passes.
double rescueLr = 3.0;
double rescueMomentum = 0;
int rescueEpochs = 6;

var (rescueRatio, rescueDead, rescueAccuracy) = (double.NaN, 1.0, 0.0);
if (rescueEpochs is >= 1 and <= 10 && double.IsFinite(rescueLr) && rescueLr > 0 && rescueMomentum is >= 0 and < 1)
{
    torch.manual_seed(0);
    var rescued = new Mlp(XorSineNet.Sizes);
    var rescueOptimizer = torch.optim.SGD(rescued.parameters(), rescueLr, momentum: rescueMomentum);
    var ratios = new List<double>();
    for (int epoch = 1; epoch <= rescueEpochs; epoch++)
    {
        rescued.train();
        var order = torch.randperm(train.Count);
        for (long start = 0; start < train.Count; start += 64)
        {
            using var scope = torch.NewDisposeScope();
            var idx = order.narrow(0, start, Math.Min(64, train.Count - start));
            var updates = Diagnostics.UpdateRatios(rescued, rescueOptimizer, train.X.index_select(0, idx), train.Y.index_select(0, idx), TaskKind.Binary);
            ratios.Add(updates.Where(u => u.IsWeight).Average(u => u.Log10Ratio));
        }
    }
    rescued.eval();
    rescueRatio = ratios.Average();
    rescueDead = Diagnostics.Activations(rescued, validation.X).Where(a => a.DeadFraction is not null).Average(a => a.DeadFraction!.Value);
    rescueAccuracy = Trainer.Evaluate(rescued, validation).Accuracy ?? 0;
}
Console.WriteLine($"lr {rescueLr}, momentum {rescueMomentum}, {rescueEpochs} epochs: mean log₁₀ update/weight {rescueRatio:F2}, dead ReLU units {rescueDead:P0}, validation accuracy {rescueAccuracy:P1}");
Exercise.Check("08-4", rescueRatio is >= -4 and <= -2 && rescueDead <= 0.05 && rescueAccuracy >= 0.8,
    "read the numbers in order: a ratio above −2 means every step rewrites a large part of the weights (and kills units), so take smaller steps; "
    + "once the ratio is healthy, plain SGD learns this task slowly — momentum adds up the gradients that keep pointing the same way (notebook 03); "
    + "the epochs must stay between 1 and 10, the momentum in [0, 1)",
    codeHint: "a learning rate about 60× smaller with momentum 0.9, and the full 10 epochs");

// ## Takeaways
// - A `Module` subclass (fields + `RegisterComponents()` + `forward`) is the general form; `Sequential` is for
//   straight pipelines; a `ModuleList` makes depth and widths runtime values, e.g. from a list of sizes.
// - The XOR-sine network outputs a logit; `BCEWithLogitsLoss` folds the sigmoid into the loss, exactly and stably. For
//   regression the last layer outputs the value itself and the loss is the MSE; report the RMSE.
// - The training loop: shuffle, minibatch, `zero_grad` → forward → loss → `backward` → `step`, then evaluate without
//   gradients in `eval()` mode; early stopping keeps the best weights when the validation loss turns up.
// - Tune hyperparameters on the validation set, log-spaced for the learning rate (random search when there are
//   several); report the test set once. At a fixed budget, depth and width trade off — measure.
// - Watch runs from the inside: update-to-weight ratios near $10^{-3}$, activation histograms, dead units.
Lesson.Section("Takeaways");

// Types declared in the notebook's cells (C# wants them after the top-level statements).

class TwoLayer : torch.nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear fc1;
    private readonly TorchSharp.Modules.Linear fc2;

    public TwoLayer() : base("two_layer")
    {
        fc1 = torch.nn.Linear(10, 32);
        fc2 = torch.nn.Linear(32, 1);
        // TODO: something is missing here
    }

    public override Tensor forward(Tensor x) => fc2.forward(torch.nn.functional.relu(fc1.forward(x)));
}
