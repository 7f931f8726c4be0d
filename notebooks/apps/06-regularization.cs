// 06 · Regularization: fitting the data without memorising it — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/06-regularization.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/06-regularization.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/06-regularization/.
//          Exercises run as you edit them; `notebooks/run --apps` runs every app with the solutions filled in.
//          COURSE_HEADLESS=1 makes a failing exercise check throw instead of printing ❌.
#:package TorchSharp-cpu@0.107.0
#:package Plotly.NET@6.0.0
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

Lesson.Start("../06-regularization.ipynb", "06 · Regularization: fitting the data without memorising it");

// # 06 · Regularization: fitting the data without memorising it
//
// A network with enough weights can memorise any training set — including its noise. What we want is a network that does
// well on data it has **not** seen. Regularization is everything we do to close the gap between the two: penalise large
// weights (L2) or non-zero ones (L1), randomly silence units while training (dropout), stop before the network starts
// memorising (early stopping), and show it more varied data than we have (augmentation). This notebook measures each of
// them on the same small problem, so you can see what each one buys and what it costs.
//
// **Objectives** — by the end of this notebook you can:
// - recognise underfitting and overfitting from training and validation curves, and measure the generalization gap;
// - write the L1 and L2 penalties and their gradients, explain why L1 makes weights exactly zero and L2 only shrinks
//   them, and tell weight decay from an L2 penalty in Adam (AdamW);
// - explain inverted dropout, why it behaves differently in `train()` and `eval()` mode, and choose its rate $p$;
// - train with early stopping that restores the best weights, and with data augmentation;
// - check each from-scratch piece against TorchSharp.
//
// Previous: [05 · Weight initialization](05-init.ipynb) · Next: [07 · Batch normalization](07-batch-norm.ipynb).

torch.manual_seed(0);
var rng = new Rng(0);

// ## 1. Underfitting and overfitting
//
// We train on the **expected risk** we cannot see through the **empirical risk** we can: the mean loss on the training
// set. The difference between the loss on new data and the training loss is the *generalization gap*:
//
// $$\text{gap} = \underbrace{\mathbb{E}_{(x,y)\sim\mathcal{D}}\,\ell(f(x), y)}_{\text{estimated by the validation loss}} \;-\; \underbrace{\tfrac{1}{N}\textstyle\sum_{i=1}^{N} \ell(f(x_i), y_i)}_{\text{training loss}}$$
//
// - **Underfitting**: the model cannot even fit the training set — both losses are high, the gap is small. More
//   capacity or more training helps.
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
Claim.That("the 2-unit network underfits: it cannot fit even the training set (training accuracy < 60 %)",
    tiny.Train.Accuracy < 0.6, $"training accuracy {tiny.Train.Accuracy:P1}, validation {tiny.Val.Accuracy:P1}");
Claim.That("the large network memorises the training set (100 % training accuracy, training loss < 0.02)",
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
// ## 2. Weight penalties: L2 and L1
//
// Add a penalty on the weights $w$ (not the biases) to the data loss $L$:
//
// $$\tilde L_{\text{L2}} = L + \frac{\lambda}{2}\sum_j w_j^2, \qquad \frac{\partial \tilde L_{\text{L2}}}{\partial w_j} = \frac{\partial L}{\partial w_j} + \lambda w_j$$
//
// $$\tilde L_{\text{L1}} = L + \lambda\sum_j |w_j|, \qquad \frac{\partial \tilde L_{\text{L1}}}{\partial w_j} = \frac{\partial L}{\partial w_j} + \lambda\,\operatorname{sign}(w_j)$$
//
// L2's pull is proportional to the weight: large weights shrink fast, small ones barely move, so nothing becomes exactly
// 0. L1's pull has the same size $\lambda$ for every non-zero weight, so a weight whose data gradient is weaker than
// $\lambda$ is pushed all the way to zero — L1 produces **sparse** weights (Tibshirani's lasso, 1996). With plain SGD,
// the L2 term turns the update into $w \leftarrow w - \eta(\nabla L + \lambda w) = (1-\eta\lambda)\,w - \eta \nabla L$:
// every step first *decays* the weight by a factor $(1 - \eta\lambda)$, hence the name **weight decay**.
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
Console.WriteLine($"penalised: {string.Join(", ", someNet.named_parameters().Where(p => p.name.EndsWith("weight")).Select(p => p.name))} — biases are left out");
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

// (Remember from the pitfalls: TorchSharp's `AdamW` defaults to `weight_decay = 0`, PyTorch's to 0.01 — pass it.)
//
// ### L1 makes zeros, L2 does not
//
// `RegularizationExperiments.L1VsL2` fits a linear model with 20 inputs of which only 3 matter, three times: without a
// penalty, with L1 and with L2 (λ = 0.05), and counts the weights with $|w| < 10^{-3}$:
Lesson.Section("L1 makes zeros, L2 does not");

var sparsity = RegularizationExperiments.L1VsL2();
foreach (var run in sparsity)
    Console.WriteLine($"{run.Penalty,-5} weights ≈ 0: {run.SparseFraction:P0}   training MSE {run.DataLoss:F4}   w[0..3] = {string.Join(", ", run.Weights.Take(3).Select(w => w.ToString("F2")))}");
var (none, l1, l2) = (sparsity[0], sparsity[1], sparsity[2]);
Claim.That("L1 sets at least 70 % of the weights to (almost) exactly 0; L2 and no penalty at most 30 %",
    l1.SparseFraction >= 0.7 && l2.SparseFraction <= 0.3 && none.SparseFraction <= 0.3,
    $"L1 {l1.SparseFraction:P0}, L2 {l2.SparseFraction:P0}, none {none.SparseFraction:P0}");
Claim.That("the informative weights survive L1 (|w₀| > 1.5), and both penalties cost some training fit",
    Math.Abs(l1.Weights[0]) > 1.5 && none.DataLoss <= l1.DataLoss && none.DataLoss <= l2.DataLoss,
    $"w₀ = {l1.Weights[0]:F2}; MSE none {none.DataLoss:F4}, L1 {l1.DataLoss:F4}, L2 {l2.DataLoss:F4}");
Lesson.Show(Charts.Histograms([.. sparsity.Select(r => (r.Penalty, (IReadOnlyList<double>)r.Weights))], bins: 30, xTitle: "weight",
    title: "Trained weights of a 20-input linear model (3 informative inputs)"));

// The L1 histogram is a spike at 0 plus the three useful weights; the L2 histogram is the unpenalised one pulled towards 0
// but spread out. L1 is a feature selector; L2 is a smoother.
//
// ### L2 on the overfitting network
//
// Now the large digits network again, from the same start, with `TrainOptions.L2 = 0.01` (the Trainer adds
// $(\lambda/2)\sum w^2$ over the weights to every step's loss):
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
// if (!train || p == 0) return (x.Clone(), new DropoutCache<T>(null));   // eval: identity
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

// Now sweep $p$ on the large network (dropout after each hidden layer). $p = 0.5$ is Srivastava et al.'s default for
// hidden units; $p = 0.8$ silences four units in five.

var dropNets = new Dictionary<double, Mlp> { [0] = bigNet };
foreach (double p in new[] { 0.5, 0.8 })
{
    dropNets[p] = Net(dropout: p);
    Trainer.Fit(dropNets[p], small, val, options);
    Record($"dropout p = {p}", dropNets[p]);
}
var dropRows = new[] { 0.0, 0.5, 0.8 }.Select(p => results.First(r => r.Name == (p == 0 ? "64→128→128→10" : $"dropout p = {p}"))).ToArray();
double[] gaps = [.. dropRows.Select(r => r.Val.Loss - r.Train.Loss)];
Claim.That("the generalization gap shrinks as p grows", gaps[0] > gaps[1] && gaps[1] > gaps[2], $"gap {string.Join(" → ", gaps.Select(g => g.ToString("F3")))} for p = 0, 0.5, 0.8");
Claim.That("p = 0.5 lowers the final validation loss by ≥ 10 % relative to no dropout",
    dropRows[1].Val.Loss <= 0.9 * dropRows[0].Val.Loss, $"{dropRows[0].Val.Loss:F3} → {dropRows[1].Val.Loss:F3}");
Claim.That("p = 0.8 is too much: its training loss is the highest of the three (it starts to underfit)",
    dropRows[2].Train.Loss > dropRows[1].Train.Loss && dropRows[2].Train.Loss > dropRows[0].Train.Loss,
    $"training loss {string.Join(", ", dropRows.Select(r => r.Train.Loss.ToString("F3")))}");
Lesson.Show(Charts.Bars(["p = 0", "p = 0.5", "p = 0.8"], [("training loss", dropRows.Select(r => r.Train.Loss).ToArray()), ("validation loss", dropRows.Select(r => r.Val.Loss).ToArray())],
    xTitle: "dropout", yTitle: "loss (eval mode)", title: "Dropout: the gap closes as p grows, until the network underfits"));

// **Train vs eval mode matters.** A network with dropout gives a different answer every time in training mode — forgetting
// `model.eval()` before predicting is a classic bug (the Trainer's `Evaluate` and `Predict` switch for you):

var net05 = dropNets[0.5];
var probe = val.X.narrow(0, 0, 5);
net05.train();
var (t1, t2) = (net05.forward(probe), net05.forward(probe));
net05.eval();
var (e1, e2) = (net05.forward(probe), net05.forward(probe));
double trainDiff = (t1 - t2).abs().max().item<float>(), evalDiff = (e1 - e2).abs().max().item<float>();
Claim.That("in train() mode two passes over the same input differ; in eval() mode they are identical",
    trainDiff > 1e-3 && evalDiff == 0, $"max |Δlogit|: train {trainDiff:F3}, eval {evalDiff}");

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
// different training set every epoch, so memorising individual images stops paying off. `Augment.RandomShift(1)` pads
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
Claim.That("augmentation makes the training set harder to memorise: the gap at least halves",
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

// ## Exercises
//
// ### Exercise 1: the L1 penalty by hand
// Compute the L1 penalty $\lambda \sum |w|$ with $\lambda = 10^{-3}$ over the **weights** (not the biases) of `someNet`
// (the $64 \to 8 \to 10$ network from section 2) with TorchSharp operations, and store it in `myL1` (a `double`).
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: the L1 penalty by hand");

// TODO: sum |w| over the parameters whose name ends with "weight", times λ.
double myL1 = 0;

Exercise.CheckClose("1", myL1, TorchRegularization.L1(TorchRegularization.Weights(someNet), 1e-3).item<float>(), 1e-6,
    "someNet.named_parameters() gives (name, parameter); keep the names ending in \"weight\", add w.abs().sum().item<float>() and multiply by 1e-3");

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
Exercise.Check("2", Math.Abs(zeroFraction - 0.3) < 0.01 && Math.Abs(keptMax - 1 / 0.7) < 1e-5 && Math.Abs(keptMin - 1 / 0.7) < 1e-5 && evalIdentity,
    $"zeros: {zeroFraction:P1} (want ≈ 30 %), survivors in [{keptMin:F4}, {keptMax:F4}] (want {1 / 0.7:F4}), eval identity: {evalIdentity}. Hint: var mask = (torch.rand_like(x) >= p).to_type(x.dtype); return x * mask / (1 - p);");

// ### Exercise 3: early stopping by hand
// `valLosses` holds the validation loss of each epoch of the 60-epoch run of section 1. Replay early stopping with
// patience 5 on it: an epoch improves when its loss is below the best so far; training stops at the end of the 5th
// epoch in a row without improvement. Set `bestEpoch` and `stopEpoch` (both 1-based). The Trainer's run in section 4
// started from the same weights, so your answer must match it.
Lesson.Section("Exercise 3: early stopping by hand");

double[] valLosses = bigHistory.LossCurve().Validation!;
int bestEpoch = 0, stopEpoch = valLosses.Length;
// TODO: walk through valLosses, track the best loss and the epochs without improvement.

Exercise.Check("3", bestEpoch == esHistory.BestEpoch && stopEpoch == esHistory.Epochs.Count,
    $"you found best {bestEpoch}, stop {stopEpoch}; keep best = +∞ and bad = 0, then for each epoch e: if (loss < best) (best, bestEpoch, bad) = (loss, e, 0); else if (++bad == 5) {{ stopEpoch = e; break; }}");

// ## Takeaways
// - Overfitting shows as a training loss that keeps falling while the validation loss turns up; underfitting as two
//   high curves. Watch the **gap**, and watch the loss, not just the accuracy.
// - L2 shrinks all weights in proportion to their size (weight decay); L1 pushes the useless ones to exactly 0. With
//   Adam, decoupled weight decay (AdamW) is not the same as an L2 penalty.
// - Dropout trains a thinned network each step and is the identity in `eval()` mode (inverted scaling); too large a $p$
//   underfits.
// - Early stopping is free and restores the best weights; augmentation adds label-preserving variety. Each closes the
//   gap at some cost in training fit — which is the point.
Lesson.Section("Takeaways");
