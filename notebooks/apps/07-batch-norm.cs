// 07 · Batch normalization — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/07-batch-norm.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/07-batch-norm.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/07-batch-norm/.
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

Lesson.Start("../07-batch-norm.ipynb", "07 · Batch normalization");

// # 07 · Batch normalization
//
// The last notebooks showed how fragile depth is: the scale of the signal must be right at initialization, and nothing
// keeps it right once training starts moving the weights. **Batch normalization** (Ioffe & Szegedy 2015) enforces it
// directly: it standardises every unit's pre-activations over the current minibatch, in every layer, at every step.
// It made deep networks train faster and with much larger learning rates, and it is a standard part of CNNs. It also
// makes a layer's output depend on the *other* examples in the batch — which is why it behaves differently in training
// and in evaluation, the most common source of batch-norm bugs.
//
// **Objectives** — by the end of this notebook you can:
// - write the batch-norm forward pass (train and eval) and its backward pass, and check them against TorchSharp;
// - show what batch norm does to the pre-activation statistics of a deep network;
// - explain running statistics, `train()` vs `eval()`, and predict what goes wrong when they are mixed up;
// - measure that batch norm tolerates learning rates at which the plain network fails, and explain why;
// - measure that it makes training much less sensitive to the scale of the initial weights, and what it does (and
//   does not do) to the generalization gap;
// - decide where it goes: before or after the nonlinearity.
//
// Previous: [06 · Regularization](06-regularization.ipynb) · Next: [08 · Multilayer perceptrons](08-mlp.ipynb).

torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
torch.manual_seed(0);
var rng = new Rng(0);

// ## 1. The transformation
//
// For a minibatch $\{x_1, \dots, x_m\}$ of one unit's values (one feature of a `[N, C]` input, or one channel of a
// `[N, C, H, W]` image over $N \cdot H \cdot W$ positions), batch norm computes
//
// $$\mu_B = \frac1m\sum_{i} x_i, \qquad \sigma_B^2 = \frac1m\sum_i (x_i - \mu_B)^2, \qquad
// \hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}, \qquad y_i = \gamma\,\hat x_i + \beta .$$
//
// The normalised $\hat x$ has mean 0 and variance 1 over the batch, whatever the layer below did. The learnable $\gamma$
// and $\beta$ (one pair per unit, starting at 1 and 0) give the scale and the offset back to the network — it can even
// undo the normalisation ($\gamma = \sigma_B$, $\beta = \mu_B$) if that is better — but now the scale is one explicit
// parameter instead of an accident of every weight below.
//
// In evaluation there is no batch to average over (or it is one example, or a biased one), so batch norm uses
// **running statistics** collected during training, an exponential moving average updated at every training step:
//
// $$\hat\mu \leftarrow (1 - \text{momentum})\,\hat\mu + \text{momentum}\cdot\mu_B, \qquad
// \hat\sigma^2 \leftarrow (1 - \text{momentum})\,\hat\sigma^2 + \text{momentum}\cdot\tfrac{m}{m-1}\sigma_B^2,$$
//
// with PyTorch's momentum $0.1$ (note the opposite convention from an optimizer's momentum) and the *unbiased* batch
// variance for the running estimate. In eval mode, $\hat x = (x - \hat\mu)/\sqrt{\hat\sigma^2 + \varepsilon}$: a fixed
// affine map per unit.
//
// ### From scratch
//
// `src/DeepLearning.Scratch/Layers/BatchNorm.cs` (`BatchNorm1d<T>`, `BatchNorm2d<T>`) computes, per channel `c`:
//
// ```csharp
// if (train)
// {
//     mu = T.Zero;
//     for (int i = 0; i < n; i++) mu += TensorPrimitives.Sum<T>(Slice(x, i, c));
//     mu /= mT;
//     variance = T.Zero;
//     for (int i = 0; i < n; i++)
//         foreach (T v in Slice(x, i, c)) variance += (v - mu) * (v - mu);
//     variance /= mT; // biased: the batch's own spread is what gets normalised away
//
//     RunningMean[c] = ((T.One - mom) * RunningMean[c]) + (mom * mu);
//     RunningVar[c] = ((T.One - mom) * RunningVar[c]) + (mom * variance * mT / (mT - T.One)); // unbiased
// }
// else
// {
//     mu = RunningMean[c];
//     variance = RunningVar[c];
// }
// invStd[c] = T.One / T.Sqrt(variance + eps);
// ```
//
// A batch of 32 examples with 4 features centred at 5 with spread 3 comes out standardised:
Lesson.Section("1. The transformation");
Lesson.Section("From scratch");

var bnScratch = new BatchNorm1d<float>(4);
var xBatch = rng.NormalArray<float>(5, 3, 32, 4);
var (yBatch, _) = bnScratch.Forward(xBatch);
var yT = yBatch.ToTensor();
double maxMean = yT.mean([0]).abs().max().item<float>(), stdDev = (yT.std(0, unbiased: false) - 1).abs().max().item<float>();
Console.WriteLine($"input mean per feature  [{string.Join(", ", xBatch.ToTensor().mean([0]).ToNDArray().Data.Select(v => v.ToString("F2")))}]");
Console.WriteLine($"output mean per feature [{string.Join(", ", yT.mean([0]).ToNDArray().Data.Select(v => v.ToString("F2")))}], std [{string.Join(", ", yT.std(0, unbiased: false).ToNDArray().Data.Select(v => v.ToString("F4")))}]");
Console.WriteLine($"running mean after one step [{string.Join(", ", bnScratch.RunningMean.Data.Select(v => v.ToString("F3")))}] (= 0.1 × the batch mean)");
Claim.That("after batch norm every feature has mean 0 and std 1 over the batch", maxMean < 1e-5 && stdDev < 1e-3, $"max |mean| {maxMean:E1}, max |std − 1| {stdDev:E1}");

// ### The backward pass
//
// In training, $\mu_B$ and $\sigma_B$ depend on *every* $x_j$ in the batch, so each input receives gradient through three
// paths: directly, through the mean and through the variance. With $g_i = \gamma\,\partial L/\partial y_i$ the gradient
// arriving at $\hat x_i$, working the chain rule through the three paths gives
//
// $$\frac{\partial L}{\partial x_i} = \frac{1}{\sqrt{\sigma_B^2+\varepsilon}}\Big(g_i - \frac1m\sum_j g_j - \hat x_i\,\frac1m\sum_j g_j\hat x_j\Big),
// \qquad \frac{\partial L}{\partial \gamma} = \sum_i \frac{\partial L}{\partial y_i}\hat x_i, \qquad \frac{\partial L}{\partial \beta} = \sum_i \frac{\partial L}{\partial y_i}.$$
//
// Read it geometrically: the incoming gradient loses its mean and its component along $\hat x$ — exactly the two
// directions (shift and scale) that batch norm removes in the forward pass, so no gradient is wasted on them. In the
// scratch code it is one line (`m` = `mT`):
//
// ```csharp
// g[j] = cache.Train
//     ? invStd[c] / mT * ((mT * dxhat) - sumDxhat - (xh[j] * sumDxhatXhat))
//     : invStd[c] * dxhat;   // eval: the statistics are constants, batch norm is affine
// ```
//
// The gradient checker of [notebook 04](04-backprop.ipynb) confirms it in float64:
Lesson.Section("The backward pass");

var bn64 = new BatchNorm1d<double>(4);
var x64 = new Rng(1).NormalArray<double>(2, 3, 16, 4);
var dout64 = new Rng(2).NormalArray<double>(0, 1, 16, 4);
var (_, cache64) = bn64.Forward(x64);
var dx64 = bn64.Backward(dout64, cache64);
var bnCheck = GradCheck.CheckOutput(() => bn64.Forward(x64).Out, x64, dout64, dx64);
Console.WriteLine($"∂L/∂x: {bnCheck}");
Claim.That("the three-term batch-norm backward matches finite differences", bnCheck.Passed(1e-9), bnCheck.ToString());

// ### With TorchSharp
//
// `torch.nn.BatchNorm1d(features)` for `[N, C]` or `[N, C, L]`, `BatchNorm2d(channels)` for images. The module holds
// $\gamma$ (`weight`), $\beta$ (`bias`) and the buffers `running_mean`, `running_var`; `train()` and `eval()` switch the
// statistics it uses:
//
// ```csharp
// var bn = torch.nn.BatchNorm1d(64);     // eps 1e-5, momentum 0.1
// bn.train();  var y = bn.call(batch);   // batch statistics; updates running_mean/running_var
// bn.eval();   var p = bn.call(x);       // running statistics; deterministic, any batch size
// ```
//
// `Parity.BatchNorm1d` and `Parity.BatchNorm2d` run the scratch layer and TorchSharp's on the same $\gamma$, $\beta$ and
// batches for three training steps — output, $\partial L/\partial x$, $\partial L/\partial\gamma$, $\partial L/\partial\beta$ and both running
// statistics after every step — then compare the eval-mode outputs:
Lesson.Section("With TorchSharp");

var parity1d = Parity.BatchNorm1d();
var parity2d = Parity.BatchNorm2d();
Claim.That("scratch and TorchSharp BatchNorm1d agree in training (output, all gradients, running statistics) and in eval", parity1d.Agrees(1e-5), $"max |Δ| = {parity1d.MaxAbsDiff:E2}");
Claim.That("…and so do the BatchNorm2d versions", parity2d.Agrees(1e-5), $"max |Δ| = {parity2d.MaxAbsDiff:E2}");
Lesson.Show(parity1d);

// ## 2. Pre-activation statistics, before and after
//
// Take a plain ReLU network of 8 hidden layers of width 64 on the 8×8 digits (PyTorch's default init), and the same
// network with a `BatchNorm1d` between each `Linear` and its ReLU — `BatchNormMlp`, built from the same seed so the
// `Linear` weights are identical. Here are the values entering the ReLUs at layers 1, 3, 6 and 8, for the whole training
// set, at initialization:
Lesson.Section("2. Pre-activation statistics, before and after");

var (trainSet, testSet) = Splits.TrainTestSplit(Digits.Load8x8(), 0.2, new Rng(0));
var xTrain = trainSet.X.ToTensor();
IReadOnlyList<(string, IReadOnlyList<float>)> ReluInputs(bool batchNorm)
{
    using var net = new BatchNormMlp(64, 64, 8, 10, batchNorm, seed: 0);
    using var scope = torch.NewDisposeScope();
    using var noGrad = torch.no_grad();
    var z = net.PreActivations(xTrain);
    return [.. new[] { 1, 3, 6, 8 }.Select(l => ($"{(batchNorm ? "batch norm" : "plain")}, layer {l}", (IReadOnlyList<float>)z[l - 1].data<float>().ToArray()))];
}
Lesson.Show(Charts.Histograms([.. ReluInputs(false), .. ReluInputs(true)], bins: 50, range: (-4, 4), xTitle: "ReLU input",
    title: "Pre-activations at layers 1, 3, 6, 8: plain (top) vs batch norm (bottom), at initialization"));

// In the plain network the pre-activations shrink layer after layer (the default init of [notebook 05](05-init.ipynb)
// at work); with batch norm every layer sees a standard distribution. At initialization that is true by construction —
// $\gamma = 1$, $\beta = 0$. The question is what happens during training, when $\gamma$ and $\beta$ are free to move.
// `BatchNormLab.PreActivationStatistics` trains both networks for 5 epochs of SGD at the same learning rate and
// measures every layer again, on the test set, in eval mode:

var stats = BatchNormLab.PreActivationStatistics();
IReadOnlyList<double> Stds(IReadOnlyList<LayerStatistics> layers) => [.. layers.Select(s => s.Std)];
Claim.That("at initialization, batch norm's pre-activations have mean 0 and std 1 in every layer", 
    stats.BatchNormAtInit.All(s => Math.Abs(s.Mean) <= 0.01 && s.Std is >= 0.99 and <= 1.0),
    $"std {string.Join(", ", stats.BatchNormAtInit.Select(s => s.Std.ToString("F3")))}");
Claim.That("in the plain network the std at layer 8 is less than half of layer 1's",
    stats.PlainAtInit[^1].Std < 0.5 * stats.PlainAtInit[0].Std, $"{stats.PlainAtInit[0].Std:F3} → {stats.PlainAtInit[^1].Std:F3}");
Claim.That("after training, batch norm's pre-activation std stays between 0.7 and 1.4 in every layer",
    stats.BatchNormTrained.All(s => s.Std is > 0.7 and < 1.4), $"std {string.Join(", ", stats.BatchNormTrained.Select(s => s.Std.ToString("F2")))}");
Claim.That("…at least 5× the plain network's last layer", stats.BatchNormTrained.Min(s => s.Std) > 5 * stats.PlainTrained[^1].Std,
    $"smallest {stats.BatchNormTrained.Min(s => s.Std):F2} vs plain {stats.PlainTrained[^1].Std:F3}");
Lesson.Show(Charts.LayerStats([("plain, at init", Stds(stats.PlainAtInit)), ("plain, trained", Stds(stats.PlainTrained)),
                   ("batch norm, at init", Stds(stats.BatchNormAtInit)), ("batch norm, trained", Stds(stats.BatchNormTrained))],
    yTitle: "std of the ReLU inputs", logY: true, title: "Pre-activation std per layer, before and after 5 epochs"));

// The plain network's profile has hardly moved in 5 epochs. The batch-norm network's stays near 1 in every layer, even
// though $\gamma$ and $\beta$ were free to change it.
//
// Ioffe & Szegedy motivated batch norm by *internal covariate shift* — each layer's input distribution changing as the
// layers below it train. Later work (Santurkar et al. 2018) showed that the benefit does not really come from keeping
// distributions fixed, but from a better-behaved optimization problem: the loss changes more smoothly, so larger steps
// are safe. Section 4 measures that.
//
// **Before or after the nonlinearity?** Ioffe & Szegedy put batch norm on the *pre-activation* — `Linear → BatchNorm →
// ReLU`, as in this notebook, in `Mlp(…, batchNorm: true)` and in ResNets — so that every ReLU sees a standardized input
// and about half its inputs are positive. You will also read "batch norm normalizes the activations" and see code with
// `Linear → ReLU → BatchNorm`. That works too (the next `Linear` then receives standardized inputs, and some practitioners
// report it trains as well), but the two are not the same network: after a ReLU the values are non-negative and skewed,
// so their mean and variance describe them less well, and a ReLU fed by an un-normalized pre-activation can still be
// off for a whole batch. When a text says "activations", check which one it means; the course uses pre-activations
// throughout.
//
// ### Batch norm forgives a bad initialization
//
// [Notebook 05](05-init.ipynb) spent a whole lesson on getting the scale of the initial weights right, because a plain
// deep network whose signal shrinks or grows at every layer trains badly or not at all. With batch norm after every
// `Linear`, the scale of $W$ no longer reaches the next layer: it is divided out (section 4 proves it). Try it — the
// knobs are at the top of the cell: seven `Linear` layers of width 64 (`Mlp` with and without `batchNorm`), every weight
// drawn with He's initialization and then multiplied by `scale`, 5 epochs of SGD with momentum on the 8×8 digits:
//
// ## 3. Train vs eval: the batch is part of the input
//
// In training mode, the output for one example depends on its batchmates through $\mu_B$ and $\sigma_B$. That is fine for
// training (the batch is a random sample, so the noise is small and even acts as a mild regularizer), but a prediction
// must not depend on which other examples happen to be in the batch. `BatchNormLab.TrainVsEval` trains a 3-layer
// batch-norm network on the digits and then evaluates it in several ways:
Lesson.Section("Batch norm forgives a bad initialization");
Lesson.Section("3. Train vs eval: the batch is part of the input");

double[] scales = [0.3, 1, 3];   // × He initialization; try 0.1, 0.5, 2, 10
int[] widths = [64, 64, 64, 64, 64, 64, 64, 10];
var initOptions = new TrainOptions { Epochs = 5, BatchSize = 64, Optimizer = Optim.Sgd(0.01, momentum: 0.9), Seed = 0,
                                     Progress = Progress.None, ThrowOnDivergence = false };   // a diverging run stops instead of throwing
var digitsTrain = TrainData.From(trainSet);
var digitsTest = TrainData.From(testSet);
var initRuns = new List<(double Scale, bool BatchNorm, History History, Evaluation Test)>();
foreach (double scale in scales)
    foreach (bool batchNorm in new[] { false, true })
    {
        torch.manual_seed(0);   // the same weights before scaling, for every run
        var net = new Mlp([64, .. widths], batchNorm: batchNorm);
        using (torch.no_grad())
            foreach (var linear in net.Linears) { torch.nn.init.kaiming_normal_(linear.weight); linear.weight.mul_(scale); }
        var h = Trainer.Fit(net, digitsTrain, digitsTest, initOptions);
        var test = Trainer.Evaluate(net, digitsTest);
        initRuns.Add((scale, batchNorm, h, test));
        Console.WriteLine($"scale {scale,4}, {(batchNorm ? "batch norm" : "plain     ")}: training loss per epoch {string.Join(" ", h.LossCurve().Train.Select(v => v.ToString("F2")))}{(h.StopReason == StopReason.Diverged ? " (diverged)" : "")}, test accuracy {test.Accuracy:P1}");
    }
Lesson.Show(Charts.Bars([.. scales.Select(s => $"× {s}")], [("plain", [.. initRuns.Where(r => !r.BatchNorm).Select(r => Math.Round(100 * (r.Test.Accuracy ?? 0), 1))]),
                                          ("batch norm", [.. initRuns.Where(r => r.BatchNorm).Select(r => Math.Round(100 * (r.Test.Accuracy ?? 0), 1))])],
    xTitle: "initial weights, × He initialization", yTitle: "test accuracy after 5 epochs (%)", title: "Batch norm makes the initial scale (almost) irrelevant"));

(double Scale, bool BatchNorm, History History, Evaluation Test) Run(double scale, bool bn) => initRuns.Single(r => r.Scale == scale && r.BatchNorm == bn);
double Acc(double scale, bool bn) => Run(scale, bn).Test.Accuracy ?? 0;
Claim.That("with batch norm the network trains to ≥ 80 % test accuracy from every initial scale",
    scales.All(s => Acc(s, true) >= 0.8), string.Join(", ", scales.Select(s => $"× {s}: {Acc(s, true):P1}")));
Claim.That("without it only He's own scale trains (≥ 80 %); × 0.3 and × 3 stay at chance level (< 20 %)",
    Acc(1, false) >= 0.8 && Acc(0.3, false) < 0.2 && Acc(3, false) < 0.2,
    string.Join(", ", scales.Select(s => $"× {s}: {Acc(s, false):P1}")));
Claim.That("at × 3 even the batch-norm net starts badly: its first epoch's loss is above ln 10, the loss of a uniform guess",
    Run(3, true).History.Epochs[0].TrainLoss > Math.Log(10), $"{Run(3, true).History.Epochs[0].TrainLoss:F2} vs {Math.Log(10):F2}");

// The plain network needs its initial scale right within a small factor: at × 0.3 its loss sits at $\ln 10 \approx 2.30$
// for all five epochs (the signal has all but vanished after seven layers, so every prediction is uniform and every
// gradient tiny), and at × 3 it blows up to NaN. The batch-norm network trains from starts 10× apart. It is not
// completely indifferent: at × 3 its first epoch is bad and it ends a few points lower, because the *output* layer has
// no batch norm after it, and its too-large weights make the first predictions too confident. This is one of the
// practical reasons batch norm spread so fast: it removed most of the need to tune the initialization by hand.
//
// ### Does batch norm regularize?
//
// Ioffe & Szegedy also reported that batch norm reduces the need for dropout: in training, each example's output
// depends on the random batch it lands in, a little noise much like dropout's. Measure it on the overfitting setup of
// [notebook 06](06-regularization.ipynb): 150 training images, the $64 \to 128 \to 128 \to 10$ network, 60 epochs of
// Adam, with and without batch norm, both sets evaluated in eval mode:
Lesson.Section("Does batch norm regularize?");

var (pool, validation) = TrainData.From(Digits.Load8x8()).Split(0.5, seed: 1);
var (_, small) = pool.Split(1.0 / 6, seed: 2);   // the same 150 images as notebook 06
var gapRuns = new[] { false, true }.Select(bn =>
{
    torch.manual_seed(7);
    var m = new Mlp([64, 128, 128, 10], batchNorm: bn);
    Trainer.Fit(m, small, validation, new TrainOptions { Epochs = 60, BatchSize = 50, Optimizer = Optim.Adam(3e-3), Seed = 1, Progress = Progress.None });
    var (tr, va) = (Trainer.Evaluate(m, small), Trainer.Evaluate(m, validation));
    Console.WriteLine($"{(bn ? "batch norm" : "plain     ")}: training loss {tr.Loss:F3} (accuracy {tr.Accuracy:P1}), validation loss {va.Loss:F3} (accuracy {va.Accuracy:P1}), gap {va.Loss - tr.Loss:F3}");
    return (Train: tr, Val: va);
}).ToArray();

var (plainFit, bnFit) = (gapRuns[0], gapRuns[1]);
Claim.That("with batch norm the generalization gap is at least a third smaller and the validation loss at least 30 % lower",
    bnFit.Val.Loss - bnFit.Train.Loss <= 2.0 / 3 * (plainFit.Val.Loss - plainFit.Train.Loss) && bnFit.Val.Loss <= 0.7 * plainFit.Val.Loss,
    $"gap {plainFit.Val.Loss - plainFit.Train.Loss:F3} → {bnFit.Val.Loss - bnFit.Train.Loss:F3}, validation loss {plainFit.Val.Loss:F3} → {bnFit.Val.Loss:F3}");
Claim.That("…although it fits the training set at least as closely (it does not regularize by making training harder)",
    bnFit.Train.Loss <= plainFit.Train.Loss, $"training loss {plainFit.Train.Loss:F4} → {bnFit.Train.Loss:F4}");

// The effect is real and, here, large: the validation loss falls by about half. But notice *how*: not by making the
// training set harder to fit, as dropout does — batch norm fits it even more closely. What changes is the function it
// fits: the batch noise during training and the better-conditioned optimization leave a network that is less
// over-confident on new digits. Whether to call that regularization or better training is a matter of words; what the
// syllabus calls "batch norm acts as a regularizer" is this measured drop in the gap.

var tve = BatchNormLab.TrainVsEval();
string[] modes = ["eval: whole test set", "eval: one example at a time", "train mode: whole test set", "train mode: batches of 2",
                  "train mode: batches of 1", $"eval: batch of only {tve.SkewedClass}s", $"train mode: batch of only {tve.SkewedClass}s"];
double[] accuracies = [tve.EvalAccuracy, tve.EvalOneAtATimeAccuracy, tve.BatchStatsAccuracy, tve.BatchOfTwoAccuracy,
                       tve.BatchOfOneAccuracy, tve.SkewedEvalAccuracy, tve.SkewedBatchStatsAccuracy];
Lesson.Show(Charts.Bars(modes, [.. accuracies.Select(a => Math.Round(100 * a, 1))], yTitle: "test accuracy (%)", title: "The same trained network, evaluated with running vs batch statistics"));

// - **Eval mode** gives the same answers whether the test set is fed at once or one example at a time: each prediction
//   depends only on its own input.
// - **Train mode on a large random batch** is almost as good — a big random batch has nearly the population's statistics.
// - **Train mode on a batch of one**: $x - \mu_B = 0$, so every unit outputs exactly $\beta$ whatever the input, and
//   the network predicts one class for everything. A batch of two is barely better: each feature becomes $\pm 1$.
// - **Train mode on a skewed batch** (all one digit) subtracts the very features the examples share — what makes them
//   that digit.

Claim.That("eval mode reaches ≥ 95 % and gives identical accuracy one example at a time",
    tve.EvalAccuracy >= 0.95 && tve.EvalOneAtATimeAccuracy == tve.EvalAccuracy, $"{tve.EvalAccuracy:P1} and {tve.EvalOneAtATimeAccuracy:P1}");
Claim.That("train mode on the whole (random) test set loses at most 2 points", tve.BatchStatsAccuracy >= tve.EvalAccuracy - 0.02, $"{tve.BatchStatsAccuracy:P1}");
Claim.That("a batch of one erases the input: one prediction for every example, accuracy < 20 %",
    tve.BatchOfOneDistinctPredictions == 1 && tve.BatchOfOneAccuracy < 0.2, $"{tve.BatchOfOneDistinctPredictions} distinct prediction(s), {tve.BatchOfOneAccuracy:P1}");
Claim.That("batches of two lose more than 30 points", tve.BatchOfTwoAccuracy < tve.EvalAccuracy - 0.3, $"{tve.BatchOfTwoAccuracy:P1}");
Claim.That($"on a batch of only {tve.SkewedClass}s, eval mode stays ≥ 90 % while batch statistics drop to ≤ 50 %",
    tve.SkewedEvalAccuracy >= 0.9 && tve.SkewedBatchStatsAccuracy <= 0.5, $"{tve.SkewedEvalAccuracy:P1} vs {tve.SkewedBatchStatsAccuracy:P1}");
Claim.That("that batch's mean is more than 5× further from the running mean than the whole test set's",
    tve.SkewedMeanGap > 5 * tve.TestMeanGap, $"{tve.SkewedMeanGap:F3} vs {tve.TestMeanGap:F3}");
Claim.That("in train mode, changing only an example's batchmates changes its logits", tve.MaxLogitChangeWithBatchmates > 0.1,
    $"max change {tve.MaxLogitChangeWithBatchmates:F2}");

// A batch of one is worse than wrong in training mode: its unbiased variance is $0/0$. PyTorch's Python front end raises an
// error; TorchSharp (0.107, as this run checks) does not — it silently writes `NaN` into `running_var`, and every later eval-mode prediction is
// `NaN`. The course's `BatchNormMlp` refuses it with an explanation:

Claim.That("TorchSharp's BatchNorm1d leaves NaN in the running variance after a training step on one example", tve.BatchOfOnePoisonsRunningVariance, "running_var is not finite");
var guarded = new BatchNormMlp(64, 16, 2, 10, batchNorm: true);
guarded.train();
try
{
    guarded.call(torch.rand(1, 64));
}
catch (ArgumentException e)
{
    Console.WriteLine($"ArgumentException: {e.Message}");
}

// The rules, in TorchSharp: call `model.train()` before training steps and `model.eval()` before predicting or
// measuring (with `torch.no_grad()` as well — that one switches off autograd, not batch norm; you need both); drop a last
// training batch of size 1; and never evaluate a batch-norm model in training mode.
//
// ## 4. Batch norm tolerates large learning rates
//
// `BatchNormLab.LearningRateSweep` trains the plain ReLU network (4 hidden layers of 128, He-initialized) and the
// same network with batch norm, for the same budget — 3 epochs of plain SGD, batches of 64 — at learning
// rates from 0.01 to 2 (the rates, depth, width and epochs are its parameters; pass your own):
Lesson.Section("4. Batch norm tolerates large learning rates");

var sweep = BatchNormLab.LearningRateSweep(learningRates: [0.01, 0.03, 0.1, 0.3, 1, 2], depth: 4, width: 128, epochs: 3, seed: 0);
double[] rates = [.. sweep.Select(r => r.LearningRate).Distinct()];
LearningRateRun Sweep(double lr, bool bn) => sweep.Single(r => r.LearningRate == lr && r.BatchNorm == bn);
foreach (double lr in rates)
    Console.WriteLine($"lr {lr,4}: plain loss {Sweep(lr, false).FinalLoss,7:F3} accuracy {Sweep(lr, false).TestAccuracy,6:P1}{(Sweep(lr, false).Diverged ? " (diverged)" : "")}   batch norm loss {Sweep(lr, true).FinalLoss,6:F3} accuracy {Sweep(lr, true).TestAccuracy,6:P1}");
double[] Percent(bool bn) => [.. rates.Select(r => Math.Round(100 * Sweep(r, bn).TestAccuracy, 1))];
Lesson.Show(Charts.Lines([("plain", rates, Percent(false)), ("batch norm", rates, Percent(true))], xTitle: "learning rate", logX: true, markers: true,
    yTitle: "test accuracy after 3 epochs (%)", title: "Same network, same budget, with and without batch norm"));

double HighestTrainable(bool bn) => sweep.Where(r => r.BatchNorm == bn && r.TestAccuracy >= 0.8).Max(r => r.LearningRate);
Claim.That("the plain network trains at a moderate rate (lr 0.1: ≥ 80 %)", Sweep(0.1, false).TestAccuracy >= 0.8, $"{Sweep(0.1, false).TestAccuracy:P1}");
Claim.That("at lr 1 and 2 the plain network fails (< 50 %) while batch norm trains (≥ 80 %)",
    new[] { 1.0, 2.0 }.All(lr => Sweep(lr, false).TestAccuracy < 0.5 && Sweep(lr, true).TestAccuracy >= 0.8),
    string.Join("; ", new[] { 1.0, 2.0 }.Select(lr => $"lr {lr}: {Sweep(lr, false).TestAccuracy:P0} vs {Sweep(lr, true).TestAccuracy:P0}")));
Claim.That("at lr 2 the plain network's loss diverges to NaN; batch norm's does not",
    Sweep(2.0, false).Diverged && double.IsNaN(Sweep(2.0, false).FinalLoss) && !Sweep(2.0, true).Diverged, $"plain {Sweep(2.0, false).FinalLoss}, batch norm {Sweep(2.0, true).FinalLoss:F3}");
Claim.That("the largest rate that still reaches 80 % is at least 5× higher with batch norm",
    HighestTrainable(true) >= 5 * HighestTrainable(false), $"{HighestTrainable(true)} vs {HighestTrainable(false)}");

// ### Why: batch norm makes the loss blind to the weights' scale
//
// Multiply the weights $w_k$ of a unit feeding a batch norm by any $a > 0$: its pre-activations scale by $a$, and so do their
// batch mean and standard deviation — $\hat x$, and everything after it, is unchanged. The loss is **scale-invariant**
// in each $w_k$: $L(a\,w_k) = L(w_k)$. Two consequences follow by differentiating that identity:
//
// 1. $\nabla L(a\,w) = \tfrac1a\,\nabla L(w)$: larger weights get proportionally *smaller* gradients;
// 2. $\langle \nabla_{w_k} L,\, w_k \rangle = 0$ (differentiate $L(a\,w_k)$ at $a = 1$): the gradient is orthogonal to the weights.
//
// By (2), an SGD step $w \leftarrow w - \eta g$ can only *lengthen* $w$: $\lVert w - \eta g\rVert^2 = \lVert w\rVert^2 + \eta^2\lVert g\rVert^2$. A too-large
// rate inflates $\lVert w\rVert$, which by (1) shrinks the next gradients and the effective step on the direction of $w$,
// $\eta/\lVert w\rVert^2$: the network damps its own learning rate (Arora, Li & Lyu 2019). A plain network has no such
// brake — nothing shrinks its steps when they are too large, and at learning rate 2 its loss diverged. Also note the bias of a `Linear` right
// before a batch norm: the batch mean subtracts any constant, so that bias gets no gradient at all — which is why such
// layers are usually built with `hasBias: false`.
Lesson.Section("Why: batch norm makes the loss blind to the weights' scale");

torch.manual_seed(1);
var xs = torch.randn(64, 20);
var upstream = torch.randn(64, 10);
var w0 = torch.randn(10, 20);
var b0 = torch.randn(10);
var bnScale = nn.BatchNorm1d(10);
bnScale.train();
(Tensor Y, Tensor GradW, Tensor GradB) Through(double a)
{
    var w = (a * w0).requires_grad_(true);
    var b = b0.clone().requires_grad_(true);
    var y = bnScale.call(xs.matmul(w.t()) + b);
    (y * upstream).sum().backward();    // a fixed, arbitrary upstream gradient
    return (y.detach(), w.grad!, b.grad!);
}
var (y1, g1, gb1) = Through(1);
var (y3, g3, _) = Through(3);
double sameOutput = (y1 - y3).abs().max().item<float>();
double gradRatio = g3.norm().item<float>() / g1.norm().item<float>();
double cosine = ((g1 * w0).sum(dim: 1) / (g1.norm(dim: 1) * w0.norm(dim: 1))).abs().max().item<float>();
Claim.That("scaling the weights by 3 leaves the batch-norm output unchanged", sameOutput < 1e-4, $"max |Δy| = {sameOutput:E1}");
Claim.That("…and divides their gradient by 3", Math.Abs(gradRatio - 1.0 / 3) < 0.01, $"‖∇(3w)‖ / ‖∇w‖ = {gradRatio:F4}");
Claim.That("each unit's weight gradient is orthogonal to its weights", cosine < 1e-3, $"max |cos(g_k, w_k)| = {cosine:E1}");
Claim.That("the bias before a batch norm gets no gradient", gb1.abs().max().item<float>() < 1e-5, $"max |∂L/∂b| = {gb1.abs().max().item<float>():E1}");

// ## Exercises
//
// ### Exercise 1: batch norm's forward pass with tensor operations
// Compute batch norm in training mode for `xEx` (`[16, 5]`) with the given `gammaEx` and `betaEx`, using tensor operations:
// per-feature mean and **biased** variance over the batch (`dim: 0`), $\varepsilon = 10^{-5}$. Store the result in `yMine`.
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: batch norm's forward pass with tensor operations");

torch.manual_seed(2);
var xEx = torch.randn(16, 5) * 4 + 2;
var gammaEx = torch.rand(5) + 0.5;
var betaEx = torch.randn(5);

// TODO: mu = mean over dim 0, var = biased variance over dim 0, yMine = γ·(x − mu)/√(var + 1e-5) + β.
Tensor yMine = xEx.clone();

var bnEx = BatchNormLab.BatchNorm1d(5, gamma: gammaEx.ToNDArray().Data, beta: betaEx.ToNDArray().Data);
bnEx.train();
double exDiff = (bnEx.call(xEx) - yMine).abs().max().item<float>();
Exercise.Check("07-1", exDiff < 1e-4, $"max |yours − BatchNorm1d| = {exDiff:E2}; the statistics are per feature, so reduce over the batch dimension only; the variance here is the batch's own (divide by m, not m − 1)",
    codeHint: "var mu = xEx.mean([0]); var variance = xEx.var(0, unbiased: false);");

// ### Exercise 2: the running statistics after one step
// A fresh `BatchNorm1d` starts with `running_mean` = 0 and `running_var` = 1. After **one** training-mode forward pass on
// `xEx` (16 examples, momentum 0.1), what are they? Compute both `[5]` tensors yourself — remember which variance the
// running estimate uses.
Lesson.Section("Exercise 2: the running statistics after one step");

// TODO: running = (1 − momentum)·running + momentum·batch statistic.
Tensor runMean = torch.zeros(5);
Tensor runVar = torch.ones(5);

var fresh = nn.BatchNorm1d(5);
fresh.train();
fresh.call(xEx);
double meanDiff = (fresh.running_mean! - runMean).abs().max().item<float>(), varDiff = (fresh.running_var! - runVar).abs().max().item<float>();
Exercise.Check("07-2", meanDiff < 1e-5 && varDiff < 1e-4,
    $"running mean off by {meanDiff:E1}, running var by {varDiff:E1}; each buffer moves a tenth of the way from its old value towards this batch's statistic — and the variance that goes into the running estimate is not the one used to normalize (section 1 says which)",
    codeHint: "runMean = 0.9 * runMean + 0.1 * xEx.mean([0]); — and the same for the variance, with the right divisor");

// ### Exercise 3: fold batch norm into the layer before it
// In eval mode batch norm is a fixed affine map, so `Linear → BatchNorm1d` collapses into a single `Linear` — inference
// engines do this to save the extra pass. With $s = \gamma / \sqrt{\hat\sigma^2 + \varepsilon}$ per output unit, the folded
// layer is $W' = \operatorname{diag}(s)\,W$ and $b' = s\,(b - \hat\mu) + \beta$. Compute `wFolded` (`[4, 8]`) and `bFolded`
// (`[4]`) for the trained pair `lin`, `bnF` below.
Lesson.Section("Exercise 3: fold batch norm into the layer before it");

torch.manual_seed(4);
var lin = nn.Linear(8, 4);
var bnF = nn.BatchNorm1d(4);
using (torch.no_grad())
{
    bnF.weight.copy_(torch.rand(4) + 0.5);
    bnF.bias!.copy_(torch.randn(4));
}
bnF.train();
for (int i = 0; i < 20; i++) bnF.call(lin.call(torch.randn(32, 8) * 2 + 1));   // collect running statistics
bnF.eval();
Console.WriteLine($"running mean [{string.Join(", ", bnF.running_mean!.ToNDArray().Data.Select(v => v.ToString("F3")))}], running var [{string.Join(", ", bnF.running_var!.ToNDArray().Data.Select(v => v.ToString("F3")))}]");

// TODO: s = γ / √(running_var + eps); wFolded = s[:, None] · W; bFolded = s · (b − running_mean) + β.
Tensor wFolded = lin.weight.detach().clone();
Tensor bFolded = lin.bias!.detach().clone();

var xFold = torch.randn(10, 8);
double foldDiff;
using (torch.no_grad()) foldDiff = (bnF.call(lin.call(xFold)) - (xFold.matmul(wFolded.t()) + bFolded)).abs().max().item<float>();
Exercise.Check("07-3", foldDiff < 1e-4, $"max |folded − Linear→BatchNorm| = {foldDiff:E2}; in eval mode batch norm multiplies unit k by s_k and shifts it; scaling unit k's output means scaling row k of W (and its bias) — broadcast s along the right dimension",
    codeHint: "var s = bnF.weight / (bnF.running_var! + bnF.eps).sqrt(); then scale W's rows and shift the bias");

// ## Takeaways
// - Batch norm standardises each unit over the minibatch, $\hat x = (x - \mu_B)/\sqrt{\sigma_B^2 + \varepsilon}$, then rescales
//   with learnable $\gamma, \beta$; its backward pass removes the gradient's mean and its component along $\hat x$.
// - Training uses batch statistics and updates running averages (momentum 0.1, unbiased variance); evaluation uses the
//   running averages. In TorchSharp: `model.train()` / `model.eval()` — and never predict in train mode: a batch of one
//   returns the same answer for every input.
// - It keeps every layer's pre-activations at a standard scale during training, not just at initialization.
// - The loss becomes invariant to the scale of the weights feeding a batch norm, which damps too-large steps: in our
//   sweep batch norm still trained at a rate about 7× the largest the plain network tolerated. The same invariance makes it
//   forgive a badly scaled initialization.
// - It normalizes pre-activations (`Linear → BatchNorm → ReLU`) in this course. On the 150-image task of notebook 06 it
//   also shrank the generalization gap — without making the training set harder to fit.
Lesson.Section("Takeaways");
