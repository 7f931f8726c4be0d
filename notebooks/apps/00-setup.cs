// 00 · Setup and a tour of the course — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/00-setup.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/00-setup.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/00-setup/.
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
// - use the from-scratch half (`NDArray<T>`) and compare it with TorchSharp;
// - draw a chart that works offline;
// - read the two kinds of checks the course uses: ✔ claims and ✅/❌ exercises.
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
// so they render without an internet connection. Any Plotly.NET chart can be shown the same way:

double[] grid = Enumerable.Range(-60, 121).Select(i => i / 10.0).ToArray();
var sigmoid = Plotly.NET.Chart2D.Chart.Line<double, double, string>(x: grid, y: grid.Select(v => 1 / (1 + Math.Exp(-v))), Name: "σ(x)");
Lesson.Show(new Figure(sigmoid, "The logistic sigmoid"));

// ## 6. Claims and exercises
//
// You have already seen the two kinds of checks:
//
// - `Claim.That(statement, holds, evidence)` backs a sentence of the lesson with a measurement and prints ✔. If a
//   change ever broke the lesson, the claim would throw and the course's tests would fail — the prose cannot drift
//   from the numbers.
// - `Exercise.Check(id, passed, hint)` grades *your* work: ✅ when it is right, ❌ with a hint when it is not. Each
//   notebook ends with exercises: edit the cell marked `TODO`, run it, then run the check below it.
//
// ## Exercises
//
// ### Exercise 1: a gradient with autograd
// Use autograd to compute the derivative of $g(x) = x^2 \sin x$ at $x = 1$ and store it in `g1`.
// (By hand: $g'(x) = 2x\sin x + x^2 \cos x$.)
Lesson.Section("6. Claims and exercises");
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: a gradient with autograd");

// TODO: create x = 1 with requires_grad, compute g, call backward, read the gradient.
float g1 = 0f;

Exercise.CheckClose("1", g1, 2 * Math.Sin(1) + Math.Cos(1), 1e-4, "x.grad holds dg/dx after g.backward(); read it with .item<float>()");

// ### Exercise 2: a layer's output from scratch
// A dense layer computes $Z = XW + c$: a matrix product plus a bias added to every row. Compute it **from scratch**
// for the `X` and `W` above and $c = (0.5, -1)$: convert with `ToNDArray()`, multiply with `Gemm.MatMul`, then add
// `c` to each row. Store the result in `Zs` (an `NDArray<float>` of shape `[2, 2]`).
Lesson.Section("Exercise 2: a layer's output from scratch");

var c = torch.tensor(new float[] { 0.5f, -1f });
// TODO: Zs = X·W + c, computed with the scratch half.
NDArray<float> Zs = NDArray.Zeros<float>(2, 2);

var Zt = X.matmul(W) + c;
Exercise.Check("2", Bridge.MaxAbsDiff(Zs, Zt, "Z") < 1e-5, "Gemm.MatMul(X.ToNDArray(), W.ToNDArray()) gives X·W; then add c to each row: var cs = c.ToNDArray(); Zs[i, j] += cs[j]");

// ## Takeaways
// - Every notebook starts with the same pinned packages and loads the course library from the repository's build.
// - TorchSharp tensors carry shape and dtype, broadcast like NumPy, and own native memory (dispose scopes free it).
// - Autograd applies the chain rule to the operations it recorded; `backward()` fills `.grad`.
// - The scratch half is plain C# you can read; `Parity.*` shows it agrees with TorchSharp.
// - ✔ claims keep the lesson honest; ✅/❌ checks grade your exercises.
Lesson.Section("Takeaways");
