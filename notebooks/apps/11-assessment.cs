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
// 1. **A quiz** — twelve multiple-choice questions on notebooks 01–10. Enter your answers in one cell; the check cell
//    grades each question. The key is stored only as SHA-256 hashes in the course library (`Assessment.CheckQuiz`), so
//    reading the code will not give the answers away — a wrong answer points you to the notebook to revisit.
// 2. **A coding assignment** — design, train and regularize an MLP with early stopping on a small digits task. It is
//    graded on a **test set you never see**, against thresholds kept inside the library (`Assessment.GradeAssignment`).
//
// **Objectives** — by the end of this notebook you have:
// - checked your understanding of activations, losses, optimizers, backpropagation, initialization, regularization,
//   batch normalization, MLPs, convolutions and residual connections;
// - built a model end to end under the constraints of real work: little data, a validation set for decisions, and a
//   test set that is touched once.
//
// Previous: [10 · Residual networks](10-residual.ipynb) · Back to the start: [00 · Setup](00-setup.ipynb).

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
Lesson.Section("Exercise 1: the quiz");

// TODO: replace each '?' by your answer: 'A', 'B', 'C' or 'D'.
var answers = new Dictionary<int, char>
{
    [1] = '?', [2] = '?', [3] = '?', [4] = '?', [5] = '?', [6] = '?',
    [7] = '?', [8] = '?', [9] = '?', [10] = '?', [11] = '?', [12] = '?',
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
// **Requirements** (the exact thresholds are hidden, as a real test set's results would be):
// - the model is a TorchSharp module that maps rows $[N, 64]$ to logits $[N, 10]$ — an `Mlp` is the natural choice;
// - it is trained with `Trainer.Fit` on `data.Train`, validated on `data.Validation`, with **early stopping** that restores
//   the best weights (pass the `History` that `Fit` returns to the grader);
// - its **test accuracy** is high enough, its **test loss** is low enough (an overconfident, overfitted model fails
//   this even when its accuracy is good), and the **gap** between test loss and training loss is small.
//
// **How to approach it** (everything you need is in notebooks 03, 05, 06 and 08): start from a network with enough
// capacity, look at its training and validation curves, then regularize — dropout, an L2 penalty (`TrainOptions.L2`),
// early stopping — and compare on the *validation* set. Touch the grader only when you are done: every look at the test
// set is a decision made with it, and the estimate of your model's quality becomes optimistic.
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

// ## Takeaways
// - Gradients, initialization and normalization decide whether a deep network trains at all; the optimizer decides how
//   fast; regularization decides whether what it learns carries over to new data.
// - Make decisions on a validation set and report on a test set you look at once — that is what the hidden grader
//   enforced here.
// - Every result in this course was measured and checked by the notebooks themselves: keep doing that in your own work.
Lesson.Section("Takeaways");
