// 00 · Setup and a tour of the course — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/00-setup.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/00-setup.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/00-setup/.
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
using Plotly.NET.CSharp;

Lesson.Start("../00-setup.ipynb", "00 · Setup and a tour of the course");

// # 00 · Setup and a tour of the course
//
// Welcome! This course teaches how deep neural networks work by building every idea **twice**: once *from scratch* in
// plain C# — where each forward computation has its backward computation right beside it — and once with
// **TorchSharp**, the .NET binding of the library behind PyTorch. Then it checks that the two agree.
//
// **Objectives** — by the end of this notebook you can:
// - load the course's packages and its library (the first cell of every notebook);
// - create TorchSharp tensors, compute with them, and let autograd differentiate for you;
// - translate the PyTorch idioms you meet in tutorials into TorchSharp;
// - write a complete training loop — forward, loss, backward, step — and watch it converge or diverge;
// - use the from-scratch half (`NDArray<T>`) and compare it with TorchSharp;
// - draw a chart that works offline;
// - read the course's checks (✔ claims, ✅/❌ exercises) and ask for a hint or a worked solution.
//
// Next: [01 · Activation functions](01-activations.ipynb).

// ## 1. Loading the course
//
// The next cell is identical in every notebook. `#r "nuget: …"` downloads a package (once; later runs use the local
// cache) and references it — the versions are pinned, the same as in the repository's `Directory.Packages.props`,
// so everyone runs exactly the same code. The last two lines load the course library from this repository's own
// build. If they fail with *file not found*, run `dotnet build src/DeepLearning.Course -c Release` in a terminal
// at the repository root and run the cell again.
Lesson.Section("1. Loading the course");

// Two namespaces hold the course library: `DeepLearning.Scratch` (the from-scratch half, pure C#) and
// `DeepLearning.Course` (the TorchSharp half, charts, training loop). Every notebook fixes its random seeds at the
// top, so re-running it gives the same numbers.

torch.manual_seed(0);
torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
var rng = new Rng(0);

// ## 2. Tensors
//
// A tensor is an n-dimensional array of numbers with a `dtype` (here `float32`) and a `shape`. Deep learning is
// mostly matrix products and element-wise functions on tensors.
//
// $$Y = X W, \qquad X \in \mathbb{R}^{2\times 3},\; W \in \mathbb{R}^{3\times 2},\; Y \in \mathbb{R}^{2\times 2}$$
Lesson.Section("2. Tensors");

var X = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
var W = torch.randn(3, 2);
var Y = X.matmul(W);
Console.WriteLine($"X {X.dtype} [{string.Join(", ", X.shape)}] · W [{string.Join(", ", W.shape)}] = Y [{string.Join(", ", Y.shape)}]");
Lesson.Show(Y.ToNDArray());

// Element-wise operations *broadcast*: a `[2, 3]` tensor plus a `[3]` tensor adds the vector to every row, the way
// a layer adds its bias to every example of a batch.

var b = torch.tensor(new float[] { 10, 20, 30 });
Lesson.Show((X + b).ToNDArray());

// ### From PyTorch to TorchSharp, on one screen
//
// Most deep-learning material is written for PyTorch. TorchSharp keeps PyTorch's names, so a tutorial translates almost
// line by line; these are the places where C# makes you write something different.
//
// | you want | PyTorch | TorchSharp |
// | --- | --- | --- |
// | a tensor from numbers | `torch.tensor([[1., 2.], [3., 4.]])` | `torch.tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 })` |
// | a row, a column, a range | `m[1]`, `m[:, 1]`, `m[1:3]`, `m[:, -1]` | `m[1]`, `m[.., 1]`, `m[1..3]`, `m[.., ^1]` (C# ranges), or `m.narrow(dim, start, length)` |
// | rows picked by index, by mask | `m[idx]`, `m[mask]` | `m.index_select(0, idx)`, `m[mask]` or `m.masked_select(mask)` |
// | a new shape | `m.view(4, 3)`, `m.reshape(-1)`, `m.unsqueeze(0)` | the same names: `m.view(4, 3)`, `m.reshape(-1)`, `m.unsqueeze(0)` |
// | reduce over dimensions | `m.sum(dim=0)`, `m.mean(dim=(0, 1))` | `m.sum(dim: 0)` or `m.sum([0])`, `m.mean([0, 1])` — **not** `m.sum(0)`: C# converts the literal 0 to a `ScalarType`, and you get the sum of everything |
// | a Python number out | `loss.item()` | `loss.item<float>()` (say the type) |
// | a gradient | `w.grad` | `w.grad!` (null until a backward pass has filled it; the `!` tells the compiler you know) |
// | another dtype | `m.double()`, `m.float()` | `m.to_type(ScalarType.Float64)`, `m.to_type(ScalarType.Float32)` |
// | one-hot targets | `F.one_hot(y, 10).float()` | `nn.functional.one_hot(y, 10).to_type(ScalarType.Float32)` |
// | no autograd recording | `with torch.no_grad():` | `using (torch.no_grad()) { … }` |
// | training / evaluation mode | `model.train()`, `model.eval()` | the same: `model.train()`, `model.eval()` |
// | free tensors promptly | (the garbage collector) | `using var scope = torch.NewDisposeScope();` — everything created in the scope is freed when it ends |
// | a layer's parameters | `model.parameters()` | `model.parameters()`; custom modules call `RegisterComponents()` in their constructor so their fields are found |
//
// The next cell tries the ones that most often trip people up:
Lesson.Section("From PyTorch to TorchSharp, on one screen");

var m = torch.arange(12, dtype: ScalarType.Float32).reshape(3, 4);
Console.WriteLine($"m[.., 1]   = {m[.., 1].ToNDArray()}   (the second column)");
Console.WriteLine($"m[1..3]    has shape [{string.Join(", ", m[1..3].shape)}]   (rows 1 and 2)");
Console.WriteLine($"m.sum([0]) = {m.sum([0]).ToNDArray()}   (column sums)");
Console.WriteLine($"m.sum(0)   has shape [{string.Join(", ", m.sum(0).shape)}], value {m.sum(0).item<byte>()}   (0 became ScalarType.Byte: a sum of everything, wrapped to a byte)");
Console.WriteLine($"m[m.gt(8)] = {m[m.gt(8)].ToNDArray()}");
using (torch.no_grad())
    Console.WriteLine($"under no_grad, (w·2).requires_grad = {(torch.ones(3, requires_grad: true) * 2).requires_grad}");

// **Memory.** A tensor owns native memory (libtorch's), so it is `IDisposable`, like a file handle. In a training
// loop you wrap each step in `using var scope = torch.NewDisposeScope();` and every tensor created inside is freed at
// the end of the step. The course library does this for you; in notebooks, small leaks don't matter.
//
// ## 3. Autograd
//
// TorchSharp records the operations applied to tensors that `requires_grad`, and `backward()` applies the chain rule
// through that record. For $f(a) = a^3 + 2a$ we expect $f'(a) = 3a^2 + 2$, so $f'(2) = 14$.
Lesson.Section("3. Autograd");

var a = torch.tensor(2.0f, requires_grad: true);
var f = a.pow(3) + 2 * a;
f.backward();
float slope = a.grad!.item<float>();
Claim.That("autograd gives f'(2) = 3·2² + 2 = 14", Math.Abs(slope - 14) < 1e-5, $"a.grad = {slope}");

// ### Your first training loop
//
// A gradient says which way is uphill. **Gradient descent** takes a small step the other way, over and over:
// $\theta \leftarrow \theta - \eta\,\partial L/\partial\theta$, where the *learning rate* $\eta$ sets the step size. That one
// line, with autograd computing $\partial L/\partial\theta$, is how every network in this course learns (notebook 03 is
// about better versions of the step, notebook 04 about how the gradient is computed).
//
// Here the model is a line $\hat y = wx + b$, the data are 200 noisy points around $y = 2x + 1$, and the loss is the
// mean squared error. Each step has the four parts every training loop has: **forward** (predict), **loss**,
// **backward** (gradients), **update** (under `no_grad`, so the update itself is not recorded), then clear the
// gradients, because `backward()` *adds* to `.grad`:
Lesson.Section("Your first training loop");

double learningRate = 0.1;   // η: try 0.01, 0.9 and 1.1
int steps = 100;

torch.manual_seed(1);
var xLine = torch.rand(200, 1) * 2 - 1;                      // x in [−1, 1]
var yLine = 2 * xLine + 1 + 0.1 * torch.randn(200, 1);       // y = 2x + 1 + noise
var w = torch.zeros(1, requires_grad: true);
var bias = torch.zeros(1, requires_grad: true);
var lineLosses = new List<double>();
for (int step = 0; step < steps; step++)
{
    var loss = (w * xLine + bias - yLine).pow(2).mean();      // forward and loss
    lineLosses.Add(loss.item<float>());
    loss.backward();                                          // backward: fills w.grad and bias.grad
    using (torch.no_grad())
    {
        w.sub_(learningRate * w.grad!);                       // update: θ ← θ − η ∂L/∂θ
        bias.sub_(learningRate * bias.grad!);
    }
    w.grad!.zero_();                                          // clear, or the next backward adds to these
    bias.grad!.zero_();
}
float wFit = w.item<float>(), bFit = bias.item<float>();
Console.WriteLine($"after {steps} steps: w = {wFit:F3}, b = {bFit:F3}, loss {lineLosses[0]:F3} → {lineLosses[^1]:F4}");
Claim.That("gradient descent recovers the line: w and b within 0.05 of 2 and 1", Math.Abs(wFit - 2) < 0.05 && Math.Abs(bFit - 1) < 0.05,
    $"w = {wFit:F3}, b = {bFit:F3}");
Lesson.Show(Charts.Lines([("training loss", Enumerable.Range(0, steps).Select(s => (double)s).ToArray(), lineLosses.Select(l => Math.Min(l, 1e6)).ToArray())],
    xTitle: "step", yTitle: "mean squared error", logY: true, title: $"Fitting a line with gradient descent, η = {learningRate}"));

// **Try it.** Change `learningRate` in the cell above and run it again. At 0.01 the loss is still falling after 100
// steps (too timid); at 0.9 it converges, but the chart zig-zags first; at 1.1 the loss *grows* every step — each
// step overshoots the minimum by more than it started from. When you do this the ✔ line turns into ✘ "with these
// settings this no longer holds": that is the experiment working, not a bug. Notebook 03 works out exactly where the
// limit lies.

// ## 4. The from-scratch half
//
// `NDArray<T>` (`src/DeepLearning.Scratch/Core/NDArray.cs`) is a shape plus a row-major `T[]` — nothing more. Each
// layer of the scratch half is written once for `float` (training) and `double` (gradient checks). The matrix
// product is `Gemm.MatMul` (`src/DeepLearning.Scratch/Core/Gemm.cs`); its inner loop adds a multiple of a row of
// $B$ to a row of $C$, which the CPU does with SIMD instructions:
//
// ```csharp
// // C[i,:] += Σ_p A[i,p] · B[p,:]
// for (int p = 0; p < k; p++)
//     TensorPrimitives.MultiplyAdd(bRow(p), a[i, p], cRow, cRow);
// ```
//
// `Bridge` copies between the two worlds (`ToNDArray()`, `ToTensor()`), so we can run the same product both ways.
Lesson.Section("4. The from-scratch half");

var Ys = Gemm.MatMul(X.ToNDArray(), W.ToNDArray());
double diff = Bridge.MaxAbsDiff(Ys, Y, "X·W");
Claim.That("the scratch GEMM and TorchSharp's matmul agree to float32 round-off", diff < 1e-5, $"max |Δ| = {diff:E2}");
Lesson.Show(Ys);

// Every topic of the course has a `Parity.*` call that runs the scratch version and the TorchSharp version on the same
// input — forward *and* backward — and reports the largest difference. Here is ReLU, $\mathrm{relu}(x) = \max(0, x)$:

var xs = rng.NormalArray<float>(0, 1, 4, 5);
var relu = Parity.Activation("relu", xs);
Claim.That("scratch and TorchSharp ReLU agree, forward and backward", relu.Agrees(1e-5), $"max |Δ| = {relu.MaxAbsDiff:E2}");
Lesson.Show(relu);

// ## 5. Data and a first chart
//
// The course ships small real datasets in `data/`, each checked against its SHA-256 when loaded. The 8×8 digits set
// has 1,797 handwritten digits:
Lesson.Section("5. Data and a first chart");

var digits = Digits.Load8x8();
Console.WriteLine($"{digits.Name}: X [{string.Join(", ", digits.X.Shape)}], {digits.Classes} classes, per class: {string.Join(" ", digits.ClassCounts())}");
Lesson.Show(Charts.ImageGrid(digits, count: 16, title: "The first 16 digits"));

// Charts are [Plotly.NET](https://plotly.net) figures wrapped in the course's `Figure`, which embeds plotly.js itself,
// so they render without an internet connection. Any Plotly.NET chart (here built with Plotly.NET.CSharp, its C#-friendly face) can be shown the same way:

double[] grid = Enumerable.Range(-60, 121).Select(i => i / 10.0).ToArray();
var sigmoid = Chart.Line<double, double, string>(x: grid, y: grid.Select(v => 1 / (1 + Math.Exp(-v))), Name: "σ(x)");
Lesson.Show(new Figure(sigmoid, "The logistic sigmoid"));

// ## 6. Claims, facts, exercises and hints
//
// You have already seen the course's checks:
//
// - `Claim.That(statement, holds, evidence)` backs a sentence of the lesson with a measurement and prints ✔. When you
//   change a setting and the statement no longer holds, it prints ✘ "with these settings this no longer holds: …" and
//   the cell carries on (its chart still draws) — compare your numbers with the lesson's. Only the course's own
//   headless test run, which uses the lesson's settings, treats a ✘ as an error: that is how the prose is kept from
//   drifting away from the numbers.
// - `Claim.Fact(text)` prints a line starting with •: a consequence of the lesson's constants by plain arithmetic, not
//   a measurement, so there is nothing to check.
// - `Exercise.Check(id, passed, hint)` grades *your* work: ✅ when it is right, ❌ with the **idea** to try when it is
//   not. Check again after another attempt and it adds a **code hint**. `Exercise.Solution("00-1")` prints a worked
//   solution whenever you want one (from `notebooks/solutions/`). Each notebook ends with exercises: edit the cell
//   marked `TODO`, run it, then run the check below it.
//
// ## Exercises
//
// ### Exercise 1: a gradient with autograd
// Use autograd to compute the derivative of $g(x) = x^2 \sin x$ at $x = 1$ and store it in `g1`.
// (By hand: $g'(x) = 2x\sin x + x^2 \cos x$.)
Lesson.Section("6. Claims, facts, exercises and hints");
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: a gradient with autograd");

// TODO: create x = 1 with requires_grad, compute g, call backward, read the gradient.
float g1 = 0f;

Exercise.CheckClose("00-1", g1, 2 * Math.Sin(1) + Math.Cos(1), 1e-4,
    "make x a tensor that requires_grad, build g from it with tensor operations, call backward() on g, and read x's gradient",
    codeHint: "var x = torch.tensor(1.0f, requires_grad: true); var g = x.pow(2) * torch.sin(x); … then x.grad!.item<float>()");

// ### Exercise 2: a layer's output from scratch
// A dense layer computes $Z = XW + c$: a matrix product plus a bias added to every row. Compute it **from scratch**
// for the `X` and `W` above and $c = (0.5, -1)$: convert with `ToNDArray()`, multiply with `Gemm.MatMul`, then add
// `c` to each row. Store the result in `Zs` (an `NDArray<float>` of shape `[2, 2]`).
Lesson.Section("Exercise 2: a layer's output from scratch");

var c = torch.tensor(new float[] { 0.5f, -1f });
// TODO: Zs = X·W + c, computed with the scratch half.
NDArray<float> Zs = NDArray.Zeros<float>(2, 2);

var Zt = X.matmul(W) + c;
Exercise.Check("00-2", Bridge.MaxAbsDiff(Zs, Zt, "Z") < 1e-5,
    "convert X and W to NDArrays, multiply them with the scratch GEMM, then add c's two entries to the two columns of every row",
    codeHint: "var Zs = Gemm.MatMul(X.ToNDArray(), W.ToNDArray()); var cs = c.ToNDArray(); then loop over i, j: Zs[i, j] += cs[j]");

// ## Takeaways
// - Every notebook starts with the same pinned packages and loads the course library from the repository's build.
// - TorchSharp tensors carry shape and dtype, broadcast like NumPy, and own native memory (dispose scopes free it);
//   PyTorch code translates almost line by line — mind `sum(dim: 0)`, `item<float>()` and `using (torch.no_grad())`.
// - Autograd applies the chain rule to the operations it recorded; `backward()` fills `.grad`, adding to what is there.
// - A training loop is forward, loss, backward, update, clear — and the learning rate decides whether it converges.
// - The scratch half is plain C# you can read; `Parity.*` shows it agrees with TorchSharp.
// - ✔ claims keep the lesson honest and turn into ✘ (not errors) when you experiment; ✅/❌ checks grade your exercises,
//   the idea first, code on the second try, `Exercise.Solution(id)` on request.
Lesson.Section("Takeaways");
