// 04 · Backpropagation from scratch — this lesson as a .NET file-based app: it runs without a notebook kernel.
// Generated from notebooks/04-backprop.ipynb by `notebooks/run --apps --write`: edit the notebook, not this file.
//
// Run:     dotnet run notebooks/apps/04-backprop.cs    (first run restores and builds; add -c Release for optimized code, as CI runs it)
// Shows:   what the notebook shows, as text; each chart as an offline HTML file under artifacts/apps/04-backprop/.
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

Lesson.Start("../04-backprop.ipynb", "04 · Backpropagation from scratch");

// # 04 · Backpropagation from scratch
//
// The optimizers of the last notebook all start from one thing: the gradient of the loss with respect to every
// parameter. A network has thousands to billions of parameters, yet one **backward pass** delivers all of those
// partial derivatives for about the cost of one or two forward passes. This notebook opens that machinery: the
// computational graph, the chain rule applied node by node, the backward equations of a one-hidden-layer network
// written by hand — and three independent ways to check that they are right.
//
// **Objectives** — by the end of this notebook you can:
// - describe a computation as a graph and backpropagate through it by hand, node by node;
// - read (and write) a scalar autograd engine in ~100 lines of C#, and compare it with TorchSharp's autograd;
// - derive the backward equations of a one-hidden-layer classifier in matrix form, relate them to the per-example
//   column-vector form of textbooks, and implement them;
// - check any gradient with finite differences, and explain why this needs float64;
// - tell the empirical risk that training minimises from the true risk we care about, and measure the gap.
//
// Previous: [03 · Optimizers](03-optimizers.ipynb) · Next: [05 · Weight initialization](05-init.ipynb).

torch.manual_seed(0);
torch.set_num_threads(1);   // the course's models are tiny: one thread is faster than two taking turns
var rng = new Rng(0);

// ## 1. The computational graph and the chain rule
//
// Any computation built from elementary operations can be drawn as a directed acyclic graph: leaves are the inputs
// and parameters, every inner node $v = f(u_1, \dots, u_k)$ applies one operation to its inputs, and one node at the
// end holds the scalar loss $L$. For every node we want its **adjoint** $\bar v = \partial L / \partial v$.
//
// The chain rule says how adjoints flow backwards. If $v$ is computed from $u_i$, then $u_i$'s share of the gradient is
// $\bar v \cdot \partial f / \partial u_i$ — the adjoint of the output times the *local* derivative of one operation.
// If $u$ feeds several nodes, the shares add up (the multivariate chain rule):
//
// $$\bar u \;=\; \sum_{v \,\in\, \text{consumers}(u)} \bar v \, \frac{\partial v}{\partial u}, \qquad \bar L = 1 .$$
//
// So backpropagation is: run the graph forward, storing what each operation needs; set $\bar L = 1$; visit the nodes
// in **reverse topological order** (every node after all of its consumers), and let each node push
// $\bar v\,\partial v/\partial u_i$ into each of its inputs. Each node is visited once, and each local derivative is
// cheap, so the whole gradient costs a small constant times the forward pass — whether there are 10 parameters or
// $10^9$. Estimating the same gradient by nudging each parameter in turn would take two forward passes *per parameter*.
// This is **reverse-mode automatic differentiation**; backpropagation is its name in neural networks (Rumelhart,
// Hinton & Williams 1986).
//
// ## 2. A scalar autograd engine from scratch
//
// `src/DeepLearning.Scratch/Backprop.cs` holds `Value`, a C# port of Andrej Karpathy's
// [micrograd](https://github.com/karpathy/micrograd). A `Value` is one number that remembers its inputs and carries a
// closure that applies the chain rule for the operation that made it — written right beside the forward formula:
//
// ```csharp
// public static Value operator *(Value a, Value b)
// {
//     var out_ = new Value(a.Data * b.Data, [a, b], "*");
//     out_._backward = () =>
//     {
//         a.Grad += b.Data * out_.Grad;   // ∂(ab)/∂a = b
//         b.Grad += a.Data * out_.Grad;   // ∂(ab)/∂b = a
//     };
//     return out_;
// }
// ```
//
// `Backward()` sorts the graph topologically, sets its own `Grad = 1` and calls the closures in reverse order. Note the
// `+=`: it is the sum over consumers in the formula above. Here is one neuron, $o = \tanh(x_1w_1 + x_2w_2 + b)$, the
// example from micrograd, run forward and backward:
Lesson.Section("1. The computational graph and the chain rule");
Lesson.Section("2. A scalar autograd engine from scratch");

var x1 = new Value(2.0, "x1");
var x2 = new Value(0.0, "x2");
var w1 = new Value(-3.0, "w1");
var w2 = new Value(1.0, "w2");
var bias = new Value(6.8813735870195432, "b");
var x1w1 = x1 * w1; x1w1.Label = "x1·w1";
var x2w2 = x2 * w2; x2w2.Label = "x2·w2";
var n = x1w1 + x2w2 + bias; n.Label = "n";
var o = n.Tanh(); o.Label = "o";
o.Backward();
var graph = ComputationGraph.Of(o);
Lesson.Show(graph);

// Read the graph from right to left, as backpropagation does. $\partial o/\partial o = 1$. The local derivative of
// $\tanh$ is $1 - \tanh^2 n = 1 - o^2$, and $o = \tanh(0.8814) = 1/\sqrt 2$, so $\bar n = 1 - \tfrac12 = 0.5$. Addition
// passes its adjoint unchanged to both inputs, so $\overline{x_1w_1} = \overline{x_2w_2} = \bar b = 0.5$. A product sends
// each input the *other* input times the adjoint: $\bar w_1 = x_1 \cdot 0.5 = 1$, $\bar x_1 = w_1 \cdot 0.5 = -1.5$, and
// $\bar w_2 = x_2 \cdot 0.5 = 0$: a weight whose input is zero gets no gradient at all.

Claim.That("∂o/∂n = 1 − o² = 0.5", Math.Abs(n.Grad - 0.5) < 1e-12, $"n.Grad = {n.Grad}");
Claim.That("∂o/∂w1 = x1 · ∂o/∂n = 1 and ∂o/∂x1 = w1 · ∂o/∂n = −1.5", Math.Abs(w1.Grad - 1) < 1e-12 && Math.Abs(x1.Grad + 1.5) < 1e-12,
    $"w1.Grad = {w1.Grad}, x1.Grad = {x1.Grad}");
Claim.That("a weight whose input is 0 receives no gradient", w2.Grad == 0, $"w2.Grad = {w2.Grad}");

// **Why `+=`.** When a value is used twice its adjoint is the *sum* of both contributions. For $c = a\cdot a + a$ the
// derivative is $2a + 1$; with `=` instead of `+=` the engine would keep only the last contribution.

var a = new Value(3.0, "a");
var c = a * a + a;
c.Backward();
Claim.That("a value used three times collects all three shares: ∂(a·a + a)/∂a = 2a + 1 = 7", Math.Abs(a.Grad - 7) < 1e-12, $"a.Grad = {a.Grad}");
Lesson.Show(ComputationGraph.Of(c));

// ### The same graph in TorchSharp
//
// TorchSharp's autograd is the same idea at tensor granularity: every operation on a tensor that `requires_grad`
// records a node with its backward function, and `backward()` walks them in reverse. The neuron, idiomatically:
Lesson.Section("The same graph in TorchSharp");

var tx1 = torch.tensor(2.0, requires_grad: true);
var tx2 = torch.tensor(0.0, requires_grad: true);
var tw1 = torch.tensor(-3.0, requires_grad: true);
var tw2 = torch.tensor(1.0, requires_grad: true);
var tb = torch.tensor(6.8813735870195432, requires_grad: true);
var to = torch.tanh(tx1 * tw1 + tx2 * tw2 + tb);
to.backward();
double[] scratchGrads = [x1.Grad, x2.Grad, w1.Grad, w2.Grad, bias.Grad];
double[] torchGrads = [.. new[] { tx1, tx2, tw1, tw2, tb }.Select(t => t.grad!.item<double>())];
Console.WriteLine($"∂o/∂(x1, x2, w1, w2, b): Value [{string.Join(", ", scratchGrads)}], torch [{string.Join(", ", torchGrads)}]");
double neuronDiff = scratchGrads.Zip(torchGrads, (s, t) => Math.Abs(s - t)).Max();
Claim.That("Value and torch autograd give the neuron's five gradients identically (float64)", neuronDiff < 1e-12, $"max |Δ| = {neuronDiff:E2}");

// `Parity.ScalarAutograd` repeats this on micrograd's own test graphs: $g(a, b)$ mixes sums, products, powers, ReLU and
// division, with values used many times; $h(a, b)$ chains tanh, exp, log and sigmoid.

var scalarParity = Parity.ScalarAutograd();
Claim.That("the scratch engine and torch autograd agree on micrograd's test graphs (values and both gradients)",
    scalarParity.Agrees(1e-10), $"max |Δ| = {scalarParity.MaxAbsDiff:E2}");
Lesson.Show(scalarParity);

// ## 3. Backpropagation through a one-hidden-layer network
//
// Scalars make the idea visible; networks need the same rules for matrices. Take a batch $X \in \mathbb{R}^{N\times D}$
// with labels $y_i \in \{0, \dots, K-1\}$, a hidden layer of width $H$ and $K$ classes. PyTorch's layout stores
// weights as `[out, in]`, so a layer computes $XW^\top + b$:
//
// $$
// \begin{aligned}
// Z_1 &= X W_1^\top + b_1 &&\in \mathbb{R}^{N\times H} \\
// A_1 &= \phi(Z_1) && \text{(elementwise: $\phi$ is sigmoid $\sigma$, tanh or ReLU)}\\
// Z_2 &= A_1 W_2^\top + b_2 &&\in \mathbb{R}^{N\times K} \quad\text{(logits)}\\
// P &= \operatorname{softmax}(Z_2) \text{ row by row}, \qquad L = -\frac1N \sum_{i} \log P_{i,y_i}.
// \end{aligned}
// $$
//
// **Output layer.** For one example, $\partial(-\log p_y)/\partial z_k = p_k - [k = y]$ — softmax and cross-entropy
// together have the simplest derivative in deep learning (the reason frameworks fuse them into one loss). With $Y$ the
// one-hot labels and the mean over the batch:
//
// $$\delta_2 \;=\; \frac{\partial L}{\partial Z_2} \;=\; \frac{1}{N}\,(P - Y) \quad\in \mathbb{R}^{N\times K}.$$
//
// **Affine layer.** Since $Z_{2,ik} = \sum_j A_{1,ij}W_{2,kj} + b_{2,k}$, each weight collects one term per example, and
// each hidden activation collects one term per class:
//
// $$\frac{\partial L}{\partial W_2} = \delta_2^\top A_1, \qquad \frac{\partial L}{\partial b_2} = \sum_i \delta_{2,i}, \qquad \frac{\partial L}{\partial A_1} = \delta_2 W_2 .$$
//
// **Activation.** $\phi$ acts elementwise, so its Jacobian is diagonal and the chain rule becomes an elementwise
// product: $\delta_1 = \partial L/\partial Z_1 = (\delta_2 W_2) \odot \phi'(Z_1)$, with $\phi'(z) = \sigma(z)(1 - \sigma(z))$
// for the sigmoid, $1 - \tanh^2 z$ for tanh, $[z > 0]$ for ReLU.
//
// **First layer.** The same affine rule once more: $\partial L/\partial W_1 = \delta_1^\top X$, $\partial L/\partial b_1 = \sum_i \delta_{1,i}$.
//
// **Rows or columns.** Many texts write the same equations for *one* example $x$ as a column vector, with $h = \phi(z^{(1)})$:
// $\partial L/\partial z^{(2)} = \hat y - y$, $\partial L/\partial z^{(1)} = \bigl(W_2^{\top}(\hat y - y)\bigr) \odot \phi'(z^{(1)})$ and
// $\partial L/\partial W_2 = (\hat y - y)\,h^{\top}$. They are the equations above, row by row: row $i$ of $\delta_2$ is
// $(\hat y_i - y_i)^\top / N$, row $i$ of $\delta_2 W_2$ is $\bigl(W_2^\top(\hat y_i - y_i)\bigr)^\top / N$, and
// $\delta_2^\top A_1 = \frac1N\sum_i (\hat y_i - y_i)\,h_i^\top$ — the batch form sums the per-example outer products
// (and divides by $N$ for the mean). A check of exactly that follows the TorchSharp version below.
//
// A habit that catches most mistakes: **a gradient has the shape of what it differentiates.** $\delta_2^\top A_1$ is
// $[K, N]\cdot[N, H] = [K, H]$, the shape of $W_2$; if the shapes don't fit, a transpose is wrong.
//
// ### From scratch
//
// `src/DeepLearning.Scratch/Mlp.cs` (`Mlp<T>`) trains MLPs of any depth with exactly these equations; the backward
// pass walks the layers from the output down, repeating the affine and activation rules once per layer:
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
//     delta = SigmaBackward(Gemm.MatMul(delta, layer.W.Value), z[l - 1], a[l]); // δ_{l−1} = (δ_l·W_l) ⊙ φ′(z_{l−1})
// }
// ```
//
// Here `a[l]` is the layer's input ($a_0 = X$) and `SigmaBackward` multiplies by $\phi'$ through the activation's own
// backward (the name is the code's; it works for any $\phi$). One hidden layer, 4 inputs, 5 hidden sigmoid units, 3 classes, a batch of 8:
Lesson.Section("3. Backpropagation through a one-hidden-layer network");
Lesson.Section("From scratch");

var mlp = new Mlp<float>([4, 5, 3], HiddenActivation.Sigmoid, rng);
var X = rng.NormalArray<float>(0, 1, 8, 4);
int[] labels = [.. Enumerable.Range(0, 8).Select(_ => rng.NextInt(3))];
float scratchLoss = mlp.LossAndGradients(X, labels);
Console.WriteLine($"loss {scratchLoss:F6}");
foreach (var p in mlp.Parameters)
    Console.WriteLine($"{p.Name,-16} value [{string.Join(", ", p.Value.Shape)}]  grad [{string.Join(", ", p.Grad.Shape)}]");

// ### With TorchSharp
//
// The framework version needs no backward code at all: write the forward pass with tensors that `requires_grad`, call
// `loss.backward()`, read `.grad`. We copy the scratch network's weights so both compute the same function:
Lesson.Section("With TorchSharp");

var W1 = mlp.Layers[0].W.Value.ToTensor().requires_grad_(true);
var b1 = mlp.Layers[0].B!.Value.ToTensor().requires_grad_(true);
var W2 = mlp.Layers[1].W.Value.ToTensor().requires_grad_(true);
var b2 = mlp.Layers[1].B!.Value.ToTensor().requires_grad_(true);
var Xt = X.ToTensor();
var Yt = Bridge.Labels(labels);

var A1 = torch.sigmoid(Xt.matmul(W1.t()) + b1);
var loss = nn.functional.cross_entropy(A1.matmul(W2.t()) + b2, Yt);
loss.backward();

double dW1Diff = Bridge.MaxAbsDiff(mlp.Layers[0].W.Grad, W1.grad!, "∂L/∂W1");
Console.WriteLine($"loss: scratch {scratchLoss:F6}, torch {loss.item<float>():F6}");
Claim.That("the scratch backward pass and torch autograd give the same ∂L/∂W1", dW1Diff < 1e-5, $"max |Δ| = {dW1Diff:E2}");

// The textbook's per-example column form, summed over the batch, is the batch row form: ∂L/∂W2 = (1/N) Σᵢ (ŷᵢ − yᵢ) hᵢᵀ.
using (torch.no_grad())
{
    var h = A1;                                                                  // [N, H], row i is hᵢᵀ
    var residual = nn.functional.softmax(h.matmul(W2.t()) + b2, 1) - nn.functional.one_hot(Yt, 3).to_type(ScalarType.Float32);   // row i is (ŷᵢ − yᵢ)ᵀ
    var perExample = Enumerable.Range(0, (int)Xt.shape[0])
        .Select(i => residual[i].unsqueeze(1).matmul(h[i].unsqueeze(0)))            // (ŷᵢ − yᵢ) hᵢᵀ, a [K, H] outer product
        .Aggregate((s, t) => s + t) / Xt.shape[0];
    double columnFormDiff = (perExample - W2.grad!).abs().max().item<float>();
    Claim.That("the per-example column form (ŷ − y)hᵀ, averaged over the batch, equals autograd's ∂L/∂W2", columnFormDiff < 1e-6,
        $"max |Δ| = {columnFormDiff:E2}");
}

// Between the two sits a third version: the equations above typed as tensor operations, with autograd switched off.
// That is `BackpropLab.ByHand` in `src/DeepLearning.Course/Topics/Backprop.cs`:
//
// ```csharp
// var delta2 = (logp.exp() - nn.functional.one_hot(y, classes).to_type(x.dtype)) / n; // δ2 = (P − Y)/N
// var dW2 = delta2.t().matmul(a1);                                                    // δ2ᵀ·A1
// var db2 = delta2.sum(dim: 0);
// var delta1 = delta2.matmul(w2) * SigmaPrime(z1, a1, activation);                    // (δ2·W2) ⊙ φ′(Z1)
// var dW1 = delta1.t().matmul(x);                                                     // δ1ᵀ·X
// var db1 = delta1.sum(dim: 0);
// ```
//
// `Parity.Backprop` runs all three — scratch `Mlp<float>`, by hand with tensors, autograd — on the same weights and
// batch and compares the loss and all four gradients:

var threeWays = Parity.Backprop(activation: HiddenActivation.Sigmoid);
var threeWaysRelu = Parity.Backprop(inputs: 64, hidden: 32, classes: 10, batch: 16, activation: HiddenActivation.Relu, seed: 2);
Claim.That("scratch, by hand and autograd agree on the loss and every gradient (sigmoid net)", threeWays.Agrees(1e-5), $"max |Δ| = {threeWays.MaxAbsDiff:E2}");
Claim.That("…and on a wider ReLU net (64 → 32 → 10)", threeWaysRelu.Agrees(1e-5), $"max |Δ| = {threeWaysRelu.MaxAbsDiff:E2}");
Lesson.Show(threeWays);

// ## 4. Gradient checking
//
// Agreement with autograd is reassuring, but autograd is itself code. The independent referee is the **definition**
// of the derivative. The centred difference
//
// $$\frac{f(\theta + \varepsilon) - f(\theta - \varepsilon)}{2\varepsilon} \;=\; f'(\theta) + \frac{\varepsilon^2}{6}f'''(\theta) + O(\varepsilon^4)$$
//
// has a *truncation* error that shrinks like $\varepsilon^2$. But $f(\theta\pm\varepsilon)$ are computed in floating point,
// with a *rounding* error of about $u\,|f|$ each ($u$ = unit round-off), which the division by $2\varepsilon$ blows up
// to $\approx u|f|/\varepsilon$. The total error is smallest near $\varepsilon \approx u^{1/3}$: in float32
// ($u \approx 6\cdot10^{-8}$) the best we can do is about $10^{-5}$ relative — not enough to tell a correct gradient
// from a slightly wrong one — while float64 ($u \approx 10^{-16}$) reaches about $10^{-11}$. So **gradient checks run in
// float64**. Here is the trade-off for $f(\theta) = \sin\theta\, e^\theta$ at $\theta = 1$:
Lesson.Section("4. Gradient checking");

double exact = (Math.Cos(1) + Math.Sin(1)) * Math.E;
double[] epsilons = [.. Enumerable.Range(2, 21).Select(k => Math.Pow(10, -k / 2.0))];
double RelError(double numeric) => Math.Abs(numeric - exact) / Math.Abs(exact);
double[] err64 = [.. epsilons.Select(e => RelError((Math.Sin(1 + e) * Math.Exp(1 + e) - Math.Sin(1 - e) * Math.Exp(1 - e)) / (2 * e)))];
double[] err32 = [.. epsilons.Select(e => { float h = (float)e, p = 1 + h, m = 1 - h;
    return RelError((MathF.Sin(p) * MathF.Exp(p) - MathF.Sin(m) * MathF.Exp(m)) / (2.0 * h)); })];
Claim.That("float64 finite differences reach a relative error below 1e-9, float32 never gets below 1e-6",
    err64.Min() < 1e-9 && err32.Min() > 1e-6, $"best float64 {err64.Min():E1}, best float32 {err32.Min():E1}");
Lesson.Show(Charts.Lines([("float32", epsilons, err32.Select(v => Math.Max(v, 1e-17)).ToArray()), ("float64", epsilons, err64.Select(v => Math.Max(v, 1e-17)).ToArray())],
    xTitle: "ε", yTitle: "relative error of the centred difference", logX: true, logY: true, markers: true,
    title: "Finite differences: truncation error (right) vs rounding error (left)"));

// To compare a whole gradient we use a scale-free **relative error**, $\lVert g_\text{analytic} - g_\text{numeric}\rVert /
// (\lVert g_\text{analytic}\rVert + \lVert g_\text{numeric}\rVert)$: around $10^{-9}$ or less in float64 means right; a real
// bug typically shows up at $10^{-2}$ or worse.
//
// **From scratch**, `src/DeepLearning.Scratch/GradCheck.cs` perturbs one entry at a time with the five-point stencil
// $[f(\theta-2h) - 8f(\theta-h) + 8f(\theta+h) - f(\theta+2h)]/12h$, whose truncation error is $O(h^4)$. `Mlp<double>`
// is the same class as before, instantiated in float64:

var mlp64 = new Mlp<double>([4, 5, 3], HiddenActivation.Tanh, new Rng(1));
var X64 = new Rng(2).NormalArray<double>(0, 1, 8, 4);
mlp64.LossAndGradients(X64, labels);
var scratchChecks = mlp64.Parameters.Select(p => (p.Name, Result: GradCheck.Check(() => mlp64.Loss(X64, labels), p.Value, p.Grad))).ToList();
foreach (var (name, result) in scratchChecks) Console.WriteLine($"{name,-16} {result}");
Claim.That("every gradient of the scratch MLP matches finite differences to a relative error below 1e-9",
    scratchChecks.All(r => r.Result.Passed(1e-9)), $"worst {scratchChecks.Max(r => r.Result.RelativeError):E2}");

// **With TorchSharp**, `BackpropLab.GradCheck(f, inputs)` does the same with tensor operations in float64 (centred
// differences, every element) and compares against autograd — or against any hand-written backward you pass as
// `analytic`. `CheckByHand` checks `BackpropLab.ByHand`, the tensor version of our equations:

var byHandCheck = BackpropLab.CheckByHand(activation: HiddenActivation.Tanh);
var autogradCheck = BackpropLab.CheckAutograd(activation: HiddenActivation.Tanh);
Claim.That("the hand-written tensor backward passes the finite-difference check", byHandCheck.Passes(1e-7), $"max relative error {byHandCheck.MaxRelativeError:E2}");
Claim.That("so does autograd", autogradCheck.Passes(1e-7), $"max relative error {autogradCheck.MaxRelativeError:E2}");
Lesson.Show(byHandCheck);

// A checker is only useful if it catches mistakes. The classic backprop bug is to forget the activation's derivative,
// writing $\delta_1 = \delta_2W_2$. Because backpropagation runs from the output down, everything *above* the bug is
// still right — and the check says exactly where to look:

var bugRng = new Rng(3);
var xb = bugRng.NormalArray<double>(0, 1, 6, 3).ToTensor();
var yb = Bridge.Labels([0, 1, 2, 1, 0, 2]);
Tensor[] pb =
[
    bugRng.NormalArray<double>(0, 0.5, 4, 3).ToTensor(), bugRng.NormalArray<double>(0, 0.5, 4).ToTensor(),
    bugRng.NormalArray<double>(0, 0.5, 3, 4).ToTensor(), bugRng.NormalArray<double>(0, 0.5, 3).ToTensor(),
];
string[] pNames = ["W1", "b1", "W2", "b2"];
Tensor LossB(IReadOnlyList<Tensor> q) => BackpropLab.Loss(xb, yb, q, HiddenActivation.Tanh);

var forgotSigmaPrime = BackpropLab.GradCheck(LossB, pb, pNames, analytic: q =>
{
    var a1 = (xb.matmul(q[0].t()) + q[1]).tanh();
    var delta2 = (nn.functional.softmax(a1.matmul(q[2].t()) + q[3], 1) - nn.functional.one_hot(yb, 3).to_type(ScalarType.Float64)) / 6;
    var delta1 = delta2.matmul(q[2]);                                   // bug: no ⊙ (1 − a1²)
    return [delta1.t().matmul(xb), delta1.sum(dim: 0), delta2.t().matmul(a1), delta2.sum(dim: 0)];
});
Claim.That("the check flags the first layer's gradients (relative error > 1e-2) and clears the second layer's (< 1e-7)",
    forgotSigmaPrime.Entries[0].RelativeError > 1e-2 && forgotSigmaPrime.Entries[2].RelativeError < 1e-7 && forgotSigmaPrime.Entries[3].RelativeError < 1e-7,
    $"W1 {forgotSigmaPrime.Entries[0].RelativeError:E1}, W2 {forgotSigmaPrime.Entries[2].RelativeError:E1}");
Lesson.Show(forgotSigmaPrime);

// Practical notes: check in float64, on a *small* network and batch (every element costs two forward passes), with
// inputs away from kinks (at $z = 0$ ReLU has no derivative, and a perturbation that crosses the kink gives a wrong
// "numeric" answer), and without randomness in the forward pass (dropout must use a fixed mask).
//
// ## 5. Empirical risk vs true risk
//
// What exactly does the backward pass differentiate? The loss **on the training set**. Data come from an unknown
// distribution $\mathcal D$, and what we care about is the **true risk**, the expected loss on new data; what we can
// compute is the **empirical risk**, the average over our $n$ examples:
//
// $$R(f) = \mathbb{E}_{(x,y)\sim\mathcal D}\big[\ell(f(x), y)\big], \qquad \hat R_n(f) = \frac1n\sum_{i=1}^n \ell(f(x_i), y_i).$$
//
// For a *fixed* $f$, $\hat R_n(f)$ is an unbiased estimate of $R(f)$. But training picks $f$ to make $\hat R_n$ small on
// these very examples, so after training $\hat R_n(f)$ is optimistic: the **generalisation gap** $R(f) - \hat R_n(f)$ is
// positive in expectation (a particular sample can be unlucky), large when $n$ is small compared with what the model can memorise, and it shrinks as $n$ grows. (A
// minibatch gradient is an unbiased estimate of $\nabla \hat R_n$ — never of $\nabla R$ itself once the data have been
// reused.)
//
// `BackpropLab.EmpiricalVsTrueRisk` trains the same small tanh network ($2 \to 32 \to 2$, Adam, 400 full-batch steps)
// on $n$ points of the two-moons problem for several $n$, and estimates the true risk on 10,000 fresh points from the
// same generator.
//
// **Try it.** The knobs are in the call: a wider network (`hidden: 128`) can memorise more, a narrower one (`hidden: 4`)
// less; more `steps` fit the training points harder; more `noise` makes the labels harder to predict at all. For each
// change, look at the smallest $n$ where the two curves meet: how much data does this model need before its training
// loss can be trusted?
Lesson.Section("5. Empirical risk vs true risk");

var risk = BackpropLab.EmpiricalVsTrueRisk(trainSizes: [8, 16, 32, 64, 128, 256, 1024], hidden: 32, steps: 400, noise: 0.3);
foreach (var r in risk)
    Console.WriteLine($"n = {r.TrainSize,5}: empirical risk {r.EmpiricalRisk:F3} (error {r.EmpiricalError:P1}), true risk {r.TrueRisk:F3} (error {r.TrueError:P1}), gap {r.Gap:F3}");
double[] sizes = [.. risk.Select(r => (double)r.TrainSize)];
Lesson.Show(Charts.Lines([("empirical risk (training loss)", sizes, risk.Select(r => r.EmpiricalRisk).ToArray()),
              ("true risk (10,000 fresh points)", sizes, risk.Select(r => r.TrueRisk).ToArray())],
    xTitle: "training examples n", yTitle: "mean cross-entropy", logX: true, markers: true, title: "Empirical vs true risk on two moons"));

// With the lesson's settings, with 8 or 16 points the network memorises its training set — zero training errors, a training loss near zero — while
// its loss on fresh data is far higher. As $n$ grows, the training loss *rises* (memorising gets harder) and the true
// risk falls — not strictly monotonically, since every $n$ is a different random sample — until the two meet:

var small = risk.Where(r => r.TrainSize <= 16).ToList();
Claim.That("with n ≤ 16 the training set is memorised (no training errors, empirical risk < 0.05)",
    small.All(r => r.EmpiricalError == 0 && r.EmpiricalRisk < 0.05), string.Join("; ", small.Select(r => $"n={r.TrainSize}: {r.EmpiricalRisk:F4}")));
Claim.That("…while the true risk is at least 0.3 higher", small.All(r => r.TrueRisk >= r.EmpiricalRisk + 0.3),
    string.Join("; ", small.Select(r => $"n={r.TrainSize}: gap {r.Gap:F2}")));
Claim.That("the gap at the largest n is less than a fifth of the gap at the smallest", risk[^1].Gap < risk[0].Gap / 5,
    $"gap {risk[0].Gap:F3} at n={risk[0].TrainSize}, {risk[^1].Gap:F3} at n={risk[^1].TrainSize}");
Claim.That("and more data lowers the true error", risk[^1].TrueError < risk[0].TrueError,
    $"{risk[0].TrueError:P1} → {risk[^1].TrueError:P1}");

// This is why every later notebook measures on held-out data: the number backpropagation drives down is not the number
// we care about. [06 · Regularization](06-regularization.ipynb) is about narrowing this gap.
//
// ## Exercises
//
// ### Exercise 1: train a network made of `Value`s
// `Backprop.Mlp` (also in `Backprop.cs`) is micrograd's network: tanh neurons built from `Value`s. Train it on the four
// points below with plain gradient descent: for 50 steps, compute the loss $L = \sum_i (\hat y_i - y_i)^2$, reset every
// parameter's `Grad` to 0 (`net.ZeroGrad()` — otherwise gradients accumulate across steps, thanks to `+=`), call
// `Backward()`, and update every parameter with `p.Data -= 0.05 * p.Grad`. Store the final loss in `finalLoss`.
Lesson.Section("Exercises");
Lesson.Section("Exercise 1: train a network made of `Value`s");

double[][] xs = [[2, 3, -1], [3, -1, 0.5], [0.5, 1, 1], [1, 1, -1]];
double[] ys = [1, -1, -1, 1];
var net = new Backprop.Mlp(3, [4, 4, 1], new Rng(42));
Value SquaredError() => xs.Select((x, i) => (net.Forward([.. x.Select(v => new Value(v))])[0] - ys[i]).Pow(2)).Aggregate((s, e) => s + e);
Console.WriteLine($"{net.Parameters.Count()} parameters, initial loss {SquaredError().Data:F4}");

// TODO: 50 steps of gradient descent (learning rate 0.05) on SquaredError(); store the last loss in finalLoss.
double finalLoss = SquaredError().Data;

Exercise.Check("04-1", finalLoss < 0.05 && Math.Abs(finalLoss - SquaredError().Data) < 0.05,
    "each of the 50 steps: build the loss, clear the old gradients, backpropagate, then move every parameter a little against its gradient",
    codeHint: "var L = SquaredError(); net.ZeroGrad(); L.Backward(); foreach (var p in net.Parameters) p.Data -= …;");

// ### Exercise 2: one step further — the gradient with respect to the input
// Backpropagation does not have to stop at the first layer's weights. Continue the equations of section 3 one step:
// $\partial L/\partial X = \delta_1 W_1$ (shape $[N, D]$, like $X$). For the tanh network of the bug hunt (`xb`, `yb` and
// the parameters `pb` = $[W_1, b_1, W_2, b_2]$, float64, $N = 6$), compute $\partial L/\partial X$ **by hand with tensor
// operations** (no `backward()`) and store it in `dX`. Input gradients are how saliency maps show which pixels a
// classifier looks at.
Lesson.Section("Exercise 2: one step further — the gradient with respect to the input");

// TODO: Z1, A1 = tanh(Z1), Z2, P = softmax(Z2, 1), δ2 = (P − onehot)/N, δ1 = (δ2·W2) ⊙ (1 − A1²), dX = δ1·W1.
Tensor dX = torch.zeros_like(xb);

var xLeaf = xb.clone().requires_grad_(true);
BackpropLab.Loss(xLeaf, yb, pb, HiddenActivation.Tanh).backward();
Exercise.Check("04-2", dX.shape.SequenceEqual(xb.shape) && (dX - xLeaf.grad!).abs().max().item<double>() < 1e-10,
    "run the forward pass, then the backward equations of section 3 down to δ1; the input is one more affine step below, treated like A1 was: the gradient with respect to a layer's input is δ times the layer's weight",
    codeHint: "δ1 has shape [6, 4] and W1 = pb[0] has shape [4, 3], so dX = δ1.matmul(pb[0]) is [6, 3]; keep the 1/N in δ2 and ⊙ (1 − A1²) in δ1");

// ### Exercise 3: a bug hunt
// `MyBackward` below is meant to return $[\partial L/\partial W_1, \partial L/\partial b_1, \partial L/\partial W_2, \partial L/\partial b_2]$ for the
// same tanh network, but it has **two** bugs. Run the cell: the gradient check's table says which gradients are wrong.
// Compare those lines with the equations of section 3 and fix them until every row is ✅.
Lesson.Section("Exercise 3: a bug hunt");

IReadOnlyList<Tensor> MyBackward(IReadOnlyList<Tensor> q)
{
    var a1 = (xb.matmul(q[0].t()) + q[1]).tanh();
    var z2 = a1.matmul(q[2].t()) + q[3];
    var delta2 = (nn.functional.softmax(z2, 1) - nn.functional.one_hot(yb, 3).to_type(ScalarType.Float64)) / 6;
    var delta1 = delta2.matmul(q[2]) * (1 - a1);
    return [delta1.t().matmul(xb), delta1.sum(dim: 0), delta2.t().matmul(a1), delta2.mean([0])];
}
Lesson.Show(BackpropLab.GradCheck(LossB, pb, pNames, analytic: MyBackward));

var myCheck = BackpropLab.GradCheck(LossB, pb, pNames, analytic: MyBackward);
var wrong = myCheck.Entries.Where(e => e.RelativeError > 1e-7).Select(e => e.Name).ToList();
string BugIdea(string name) => name switch
{
    "W1" or "b1" => "W1 and b1 come from δ1: compare the line that builds δ1 with the activation rule of section 3 (what is tanh′ in terms of tanh?)",
    "b2" => "b2's gradient: each example's δ2 row already carries its 1/N share — how do the rows combine into one bias gradient?",
    _ => $"{name}: compare its line with the affine rule of section 3",
};
Exercise.Check("04-3", myCheck.Passes(1e-7),
    wrong.Count == 0 ? "every row passes" : $"still wrong: {string.Join(", ", wrong)}. " + string.Join(" ", wrong.Select(BugIdea).Distinct()),
    codeHint: "a1 already holds tanh(z1), and tanh′ is a function of tanh; a bias gradient adds δ2's rows (a sum over dim 0) rather than averaging them");

// ## Takeaways
// - A computation is a graph; backpropagation visits it once in reverse, and each node multiplies the incoming adjoint
//   by its local derivative. Adjoints of values used several times add up.
// - For softmax + cross-entropy, $\partial L/\partial Z = (P - Y)/N$; an affine layer gives $\delta^\top A$ for the weights,
//   $\sum_i \delta_i$ for the bias and $\delta W$ for its input; an activation $\phi$ multiplies by $\phi'$ elementwise.
//   The per-example column form $(\hat y - y)h^\top$ of textbooks is the same thing, one row at a time.
// - A gradient has the shape of what it differentiates — check shapes first.
// - Finite differences in float64 are the independent referee: relative error ~$10^{-9}$ means right, ~$10^{-2}$ means
//   a bug, and the failing rows point to where it is.
// - Backpropagation minimises the empirical risk; the true risk is higher in expectation, and the gap shrinks with more
//   data.
Lesson.Section("Takeaways");
