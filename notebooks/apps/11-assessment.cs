// 11 · Assessment — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/11-assessment.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/11-assessment.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/11-assessment/.
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

Lesson.Start("../11-assessment.ipynb", "11 · Assessment");

// # 11 · Assessment
//
// Time to check what stuck. This notebook has two parts:
//
// 1. **A quiz** — eighteen multiple-choice questions on notebooks 01–10: twelve that check a fact or a small
//    computation, and six that ask *why* something happens or *what happens if*. Enter your answers in one cell; the
//    check cell grades each question and, for a wrong answer, points you to the notebook to revisit. The key is not
//    printed here: the library stores it as SHA-256 hashes (`Assessment.CheckQuiz`). That keeps the letters out of
//    sight, nothing more — the solutions file (`notebooks/solutions/11-assessment.cs`) has every answer with its
//    reason, and with four options per question the per-question ✅/❌ would give any answer away by trial. The quiz is
//    for you; use it honestly.
// 2. **A coding assignment** — design, train and regularize an MLP with early stopping on a small task:
//    classification of digits, or (the option at the end) regression. It is graded on a **test split the notebook never
//    shows you**, against thresholds the notebook does not print (`Assessment.GradeAssignment`,
//    `GradeRegressionAssignment`). Neither is secret: the thresholds are constants in `Assessment.cs` and the split comes
//    from fixed seeds. Looking them up would only spoil the exercise — treat them like a real test set you cannot see.
//
// **Objectives** — by the end of this notebook you have:
// - checked your understanding of activations, losses, optimizers, backpropagation, initialization, regularization,
//   batch normalization, MLPs, convolutions and residual connections — including the reasons behind them;
// - built a model end to end under the constraints of real work: little data, a validation set for decisions, and a
//   test set that is touched once.
//
// Previous: [10 · Residual networks](10-residual.ipynb) · Back to the start: [00 · Setup](00-setup.ipynb).

torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
torch.manual_seed(0);

// ## Exercise 1: the quiz
//
// Answer with a letter per question. Work them out on paper (or in a scratch cell) — several are small computations.
//
// 1. **(01 · Activations)** What is the largest value of the sigmoid's derivative $\sigma'(x)$?
//    A: 1 · B: 0.5 · C: 0.25 · D: 0.1
// 2. **(02 · Losses)** A 10-class classifier outputs the uniform distribution. Its cross-entropy loss is
//    A: $\ln 10 \approx 2.30$ · B: 1 · C: 0.1 · D: 10
// 3. **(03 · Optimizers)** With a constant gradient, SGD with momentum $\beta = 0.9$ eventually takes steps about how
//    many times larger than plain SGD with the same learning rate?
//    A: 1× · B: 2× · C: 10× · D: 100×
// 4. **(04 · Backprop)** For $Y = XW^\top + b$ with $X$ of shape $[N, \text{in}]$ and upstream gradient
//    $\partial L/\partial Y$ of shape $[N, \text{out}]$, the weight gradient $\partial L/\partial W$ is
//    A: $(\partial L/\partial Y)\,W$ · B: $(\partial L/\partial Y)^\top X$ · C: $X\,(\partial L/\partial Y)$ · D: $X^\top (\partial L/\partial Y)^\top$
// 5. **(05 · Init)** He (Kaiming) initialization for a ReLU layer with fan-in $n$ draws weights with variance
//    A: $1/n$ · B: $2/n$ · C: $2/(n_\text{in} + n_\text{out})$ · D: 1
// 6. **(06 · Regularization)** In `eval()` mode, `torch.nn.Dropout(p)`
//    A: zeroes a fraction $p$ of its inputs · B: multiplies its input by $1-p$ · C: returns its input unchanged · D: multiplies by $1/(1-p)$
// 7. **(06 · Regularization)** Which regularizer drives many weights to exactly zero?
//    A: an L1 penalty · B: an L2 penalty · C: dropout · D: early stopping
// 8. **(07 · Batch norm)** At inference time (`eval()`), batch normalization normalizes with
//    A: the statistics of the current batch · B: the running averages collected during training · C: nothing, it is switched off · D: the statistics of the whole test set
// 9. **(08 · MLP)** How many learnable parameters does `torch.nn.Linear(64, 10)` have?
//    A: 640 · B: 650 · C: 704 · D: 74
// 10. **(09 · CNN)** `Conv2d(3, 16, kernel_size: 3, padding: 1)` applied to a batch of shape $[N, 3, 32, 32]$ gives
//     A: $[N, 16, 30, 30]$ · B: $[N, 16, 32, 32]$ · C: $[N, 3, 32, 32]$ · D: $[N, 16, 34, 34]$
// 11. **(10 · Residual)** A residual block with residual branch $F$ computes
//     A: $F(x)$ · B: $x + F(x)$ · C: $x \cdot F(x)$ · D: $F(x) - x$
// 12. **(09 · CNN)** How many learnable parameters does `Conv2d(3, 16, kernel_size: 3)` (with bias) have?
//     A: 432 · B: 448 · C: 144 · D: 160
//
// **Why, and what happens if**
//
// 13. **(03 · Optimizers)** You remove Adam's bias correction ($\beta_1 = 0.9$, $\beta_2 = 0.999$, $m$ and $v$ start at 0).
//     What happens to the size of the very first step, compared with the corrected Adam's step of about $\eta$?
//     A: nothing, it is still about $\eta$ · B: it becomes about $3\eta$ — $m$ starts 10× too small, but $\sqrt{v}$ about
//     32× too small · C: it becomes about $0.1\eta$, because $m$ starts at a tenth of the gradient · D: it is 0, because
//     $m$ starts at 0
// 14. **(02 · Losses)** With hard one-hot targets, cross-entropy keeps pushing the correct logit further above the
//     others forever. What does label smoothing with $\varepsilon > 0$ change?
//     A: nothing, the optimum is the same · B: the loss now has a minimum at a *finite* logit gap, so the network stops
//     growing its logits · C: the optimal gap becomes 0, all classes equally likely · D: the loss can no longer be
//     minimized by gradient descent
// 15. **(07 · Batch norm)** A network with `BatchNorm1d` layers is (wrongly) kept in `train()` mode and asked for a
//     prediction on a batch of **one** example. What does each batch-norm unit output?
//     A: the same as in `eval()` mode · B: its $\beta$, whatever the input, because $x - \mu_B = 0$ · C: always NaN ·
//     D: $\gamma x + \beta$, the input unnormalized
// 16. **(09 · CNN)** Why do modern CNNs stack two 3×3 convolutions (stride 1) instead of one 5×5?
//     A: the stack sees only 3×3 pixels, which generalizes better · B: the stack sees the same 5×5 patch, with
//     $2 \cdot 9 = 18$ instead of 25 weights per channel pair and one more nonlinearity · C: the stack sees 6×6 pixels ·
//     D: the stack sees 9×9 pixels
// 17. **(01 · Activations, 05 · Init)** Why do the first layers of a deep sigmoid network learn so slowly? Going back
//     through each layer, the gradient is multiplied by $\sigma'(z)$ (and by the weights); after ten layers the
//     $\sigma'$ factors alone shrink it by at least
//     A: $0.25^{10} \approx 10^{-6}$ · B: $0.5^{10} \approx 10^{-3}$ · C: nothing, $\sigma' \le 1$ cannot shrink anything ·
//     D: a factor of 10
// 18. **(06 · Regularization)** You trained with `Dropout(0.5)` and forget `model.eval()` before measuring validation
//     accuracy. What happens?
//     A: nothing, dropout only acts on gradients · B: every call evaluates a different randomly thinned network — the
//     numbers are noisy and usually worse · C: TorchSharp throws an exception · D: the outputs are scaled by 0.5
Lesson.Section("Exercise 1: the quiz");

// TODO: replace each '?' by your answer: 'A', 'B', 'C' or 'D'.
var answers = new Dictionary<int, char>
{
    [1] = '?', [2] = '?', [3] = '?', [4] = '?', [5] = '?', [6] = '?',
    [7] = '?', [8] = '?', [9] = '?', [10] = '?', [11] = '?', [12] = '?',
    [13] = '?', [14] = '?', [15] = '?', [16] = '?', [17] = '?', [18] = '?',
};

var quiz = Assessment.CheckQuiz(answers);
foreach (var q in quiz.Questions)
    Exercise.Check($"quiz {q.Number}", q.Correct, q.Hint);
Lesson.Show(quiz);

// ## Exercise 2: the assignment
//
// **Task.** Classify the 8×8 digits from only **about 300 labelled training images** (30 per digit). You get the training
// set and a validation set of the same size; about 600 further images are held back as the test set, and
// `Assessment.GradeAssignment(model, history)` evaluates your trained model on them.
//
// **Requirements** (the notebook does not print the exact thresholds — work as if you could not see them, as with a
// real test set):
// - the model is a TorchSharp module that maps rows $[N, 64]$ to logits $[N, 10]$ — an `Mlp` is the natural choice;
// - it is trained with `Trainer.Fit` on `data.Train`, validated on `data.Validation`, with **early stopping** that restores
//   the best weights (pass the `History` that `Fit` returns to the grader);
// - its **test accuracy** is high enough, its **test loss** is low enough (an overconfident, overfitted model fails
//   this even when its accuracy is good), and the **gap** between test loss and training loss is small.
//
// **How to approach it** (everything you need is in notebooks 03, 05, 06 and 08): start from a network with enough
// capacity, look at its training and validation curves, then regularize — dropout, an L2 penalty (`TrainOptions.L2`),
// early stopping — and compare on the *validation* set. The grader checks the *outcome* (early stopping used, test
// accuracy, test loss, gap), not which regularizer you chose. Touch the grader only when you are done: every look at
// the test set is a decision made with it, and the estimate of your model's quality becomes optimistic. The grader
// keeps count: each report ends with 👁 and how many times the test set has been evaluated in this session
// (`Assessment.TestLooks`; the baseline below is the first look). A pass at look 2 means something; a pass at look 20
// mostly means you tuned on the test set.
Lesson.Section("Exercise 2: the assignment");

var data = Assessment.AssignmentData();
Console.WriteLine($"training: {data.Train.Count} images, validation: {data.Validation.Count} images, per class: {string.Join(" ", data.Train.Y.bincount(null, 10).data<long>().ToArray())}");
Lesson.Show(Charts.ImageGrid(Digits.Load8x8(), count: 16, title: "The 8×8 digits (from the full set)"));

// What the grader reports, for a baseline that ignores the advice: a linear model ($64 \to 10$, softmax regression)
// trained for 30 epochs without early stopping.

torch.manual_seed(0);
var baseline = new Mlp([64, 10]);
var baselineHistory = Trainer.Fit(baseline, data.Train, data.Validation,
    new TrainOptions { Epochs = 30, BatchSize = 32, Optimizer = Optim.Adam(1e-2), Seed = 0, Progress = Progress.None });
var baselineGrade = Assessment.GradeAssignment(baseline, baselineHistory);
Claim.That("the baseline does not pass the assignment", !baselineGrade.Passed, baselineGrade.Hint);
Lesson.Show(baselineGrade);

// Your turn. Replace the placeholder with your design and training run (keep the names `model` and `history`).

// TODO: design an MLP (new Mlp([64, …, 10], dropout: …)), train it with Trainer.Fit on data.Train with
// validation data.Validation, early stopping (TrainOptions.EarlyStopping) and at least one regularizer.
nn.Module<Tensor, Tensor> model = new Mlp([64, 10]);
History? history = null;

var grade = Assessment.GradeAssignment(model, history);
Exercise.Check("assignment", grade.Passed, grade.Hint);
Lesson.Show(grade);

// ### Option: a regression assignment
//
// If you would rather fit a function than classify, do this one instead (or as well). The data is a classic
// benchmark, Friedman's (1991) function of ten inputs in $[0, 1]$ of which only five matter:
// $y = 10\sin(\pi x_0 x_1) + 20(x_2 - \tfrac12)^2 + 10x_3 + 5x_4 + \varepsilon$ with noise $\varepsilon \sim \mathcal{N}(0, 1)$ —
// so no model can get the root-mean-square error (RMSE) on new data below about 1. You get 300 training and 300
// validation examples; 600 more are the test set. Requirements: a model mapping rows $[N, 10]$ to one output $[N, 1]$,
// trained with `Trainer.Fit` (the task is regression, so it minimizes the mean squared error) with early stopping, whose
// **test RMSE** is low enough and not much above its training RMSE. A linear baseline first:
Lesson.Section("Option: a regression assignment");

var regression = Assessment.RegressionAssignmentData();
torch.manual_seed(0);
var linearBaseline = new Mlp([10, 1]);
var linearHistory = Trainer.Fit(linearBaseline, regression.Train, regression.Validation, new TrainOptions
{
    Epochs = 100, BatchSize = 32, Optimizer = Optim.Adam(1e-2), Seed = 0, Progress = Progress.None,
    EarlyStopping = new EarlyStopping(Patience: 20),
});
var linearGrade = Assessment.GradeRegressionAssignment(linearBaseline, linearHistory);
Claim.That("a linear model does not pass the regression option: the sine and the square are not linear", !linearGrade.Passed, linearGrade.Hint);
Lesson.Show(linearGrade);

// Your turn (keep the names `regressionModel` and `regressionHistory`). Notebook 08 §7 trained an MLP for regression;
// the same ideas apply — and on inputs and targets of this size you need no rescaling.

// TODO (optional): an MLP new Mlp([10, …, 1]) trained on regression.Train with validation regression.Validation and early stopping.
nn.Module<Tensor, Tensor> regressionModel = new Mlp([10, 1]);
History? regressionHistory = null;

var regressionGrade = Assessment.GradeRegressionAssignment(regressionModel, regressionHistory);
Exercise.Check("regression", regressionGrade.Passed, regressionGrade.Hint);
Lesson.Show(regressionGrade);

// ## Takeaways
// - Gradients, initialization and normalization decide whether a deep network trains at all; the optimizer decides how
//   fast; regularization decides whether what it learns carries over to new data.
// - Make decisions on a validation set and report on a test set you look at once — that is what the grader's unseen
//   split stands for here.
// - Every result in this course was measured and checked by the notebooks themselves: keep doing that in your own work.
Lesson.Section("Takeaways");
