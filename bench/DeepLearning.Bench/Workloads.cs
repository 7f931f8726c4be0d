using System.Numerics.Tensors;
using DeepLearning.Scratch;

namespace DeepLearning.Bench;

/// <summary>One unit of work, timed as a whole: set up once, then <see cref="Run"/> many times.</summary>
public interface IWorkload
{
    /// <summary>Does the work once (one GEMM, one training step, …).</summary>
    void Run();
}

/// <summary>The scratch half's side of every benchmark. The BenchmarkDotNet classes and the comparison harness both use these.</summary>
public static class Scratch
{
    /// <summary>C = A·B for square float32 matrices of size n.</summary>
    public sealed class GemmWork : IWorkload
    {
        private readonly float[] a, b, c;
        private readonly int n;

        public GemmWork(int n)
        {
            this.n = n;
            var rng = new Rng(1);
            a = Random(rng, n * n);
            b = Random(rng, n * n);
            c = new float[n * n];
        }

        public void Run() => Gemm.Multiply<float>(a, b, c, n, n, n);
    }

    /// <summary>One SGD training step of the course's MLP: forward, softmax cross-entropy, backward, update.</summary>
    public sealed class MlpStep : IWorkload
    {
        private readonly Mlp<float> mlp;
        private readonly Sgd<float> sgd;
        private readonly NDArray<float> x;
        private readonly int[] labels;

        public MlpStep(int batch = 64, int inputs = 64, int hidden = 128, int classes = 10)
        {
            var rng = new Rng(2);
            mlp = new Mlp<float>([inputs, hidden, classes], HiddenActivation.Relu, rng);
            sgd = new Sgd<float>([.. mlp.Parameters], lr: 0.01);
            x = NDArray.From(Random(rng, batch * inputs), batch, inputs);
            labels = [.. Enumerable.Range(0, batch).Select(i => i % classes)];
        }

        public void Run()
        {
            mlp.LossAndGradients(x, labels);
            sgd.Step();
        }
    }

    /// <summary>Batch norm (training mode) forward and backward on [batch, features], into reused buffers.</summary>
    public sealed class BatchNormStep : IWorkload
    {
        private readonly BatchNorm1d<float> bn;
        private readonly NDArray<float> x, dout, y, dx;
        private readonly BatchNormCache<float> cache;

        public BatchNormStep(int batch = 256, int features = 128)
        {
            var rng = new Rng(3);
            bn = new BatchNorm1d<float>(features);
            x = NDArray.From(Random(rng, batch * features), batch, features);
            dout = NDArray.From(Random(rng, batch * features), batch, features);
            (y, dx, cache) = (x.ZerosLike(), x.ZerosLike(), bn.NewCache(x.Shape));
        }

        public void Run()
        {
            bn.ForwardInto(x, y, cache);
            bn.BackwardInto(dout, cache, dx);
        }
    }

    /// <summary>Softmax cross-entropy (mean over class indices) forward and backward on logits [batch, classes].</summary>
    public sealed class SoftmaxCrossEntropyStep : IWorkload
    {
        private readonly NDArray<float> logits, probs;
        private readonly int[] labels;

        public SoftmaxCrossEntropyStep(int batch = 256, int classes = 10)
        {
            var rng = new Rng(4);
            logits = NDArray.From(Random(rng, batch * classes), batch, classes);
            TensorPrimitives.Multiply(logits.Span, 2f, logits.Span);
            probs = logits.ZerosLike();
            labels = [.. Enumerable.Range(0, batch).Select(i => i % classes)];
        }

        public void Run()
        {
            Losses.CrossEntropy.ForwardInto(logits, labels, probs);
            Losses.CrossEntropy.BackwardInto(probs, labels, probs);
        }
    }

    /// <summary>
    /// LeNet-5's convolutional part on 64 MNIST-sized images: conv 5×5 1→6 (padding 2), ReLU, max-pool 2, conv 5×5
    /// 6→16, ReLU, max-pool 2; forward, then backward of a fixed upstream gradient (the images need no gradient).
    /// </summary>
    public sealed class LeNetConvStep : IWorkload
    {
        private readonly NDArray<float> x, w1, b1, w2, b2, dout;
        private readonly NDArray<float> c1, a1, p1, c2, a2, p2, dp1, dw1, db1, dw2, db2;
        private readonly int[] arg1, arg2;
        private readonly (string Name, Action Run)[] stages;

        public LeNetConvStep(int batch = 64)
        {
            var rng = new Rng(5);
            x = NDArray.From(Random(rng, batch * 28 * 28), batch, 1, 28, 28);
            (w1, b1) = (Init(rng, 6, 1, 5, 5), Init(rng, 6));
            (w2, b2) = (Init(rng, 16, 6, 5, 5), Init(rng, 16));
            dout = NDArray.From(Random(rng, batch * 16 * 5 * 5), batch, 16, 5, 5);
            (c1, a1, p1) = (NDArray.Zeros<float>(batch, 6, 28, 28), NDArray.Zeros<float>(batch, 6, 28, 28), NDArray.Zeros<float>(batch, 6, 14, 14));
            (c2, a2, p2) = (NDArray.Zeros<float>(batch, 16, 10, 10), NDArray.Zeros<float>(batch, 16, 10, 10), NDArray.Zeros<float>(batch, 16, 5, 5));
            (arg1, arg2, dp1) = (new int[p1.Length], new int[p2.Length], p1.ZerosLike());
            (dw1, db1, dw2, db2) = (w1.ZerosLike(), b1.ZerosLike(), w2.ZerosLike(), b2.ZerosLike());
            Stages = stages = Build();
        }

        public void Run()
        {
            foreach (var (_, stage) in stages) stage(); // an array: no enumerator allocated
        }

        /// <summary>
        /// The step's calls in order, named, so <c>DeepLearning.Bench stages</c> can time each inside the running
        /// sequence (the caches then hold what they hold in a real step). <see cref="Run"/> runs exactly these.
        /// </summary>
        public IReadOnlyList<(string Name, Action Run)> Stages { get; }

        private (string Name, Action Run)[] Build() =>
        [
            ("conv1 forward (1→6, 5×5, pad 2)", () => Conv2d.ForwardInto(x, w1, b1, c1, padding: 2)),
            ("relu1 forward", () => Activations.Relu.ForwardInto(c1, a1)),
            ("pool1 forward", () => MaxPool2d.ForwardInto(a1, 2, null, default, p1, arg1)),
            ("conv2 forward (6→16, 5×5)", () => Conv2d.ForwardInto(p1, w2, b2, c2)),
            ("relu2 forward", () => Activations.Relu.ForwardInto(c2, a2)),
            ("pool2 forward", () => MaxPool2d.ForwardInto(a2, 2, null, default, p2, arg2)),
            // Backward, reusing forward buffers for gradients once their values are no longer needed
            // (a2 ← ∂L/∂a2 ← ∂L/∂c2, a1 ← ∂L/∂a1 ← ∂L/∂c1); conv2 still reads p1, so ∂L/∂p1 has its own.
            ("pool2 backward", () => MaxPool2d.BackwardInto(dout, arg2, a2)),
            ("relu2 backward", () => Activations.Relu.BackwardInto(a2, c2, a2)),
            ("conv2 backward (dx, dw, db)", () => Conv2d.BackwardInto(a2, p1, w2, dp1, dw2, db2)),
            ("pool1 backward", () => MaxPool2d.BackwardInto(dp1, arg1, a1)),
            ("relu1 backward", () => Activations.Relu.BackwardInto(a1, c1, a1)),
            ("conv1 backward (dw, db)", () => Conv2d.BackwardInto(a1, x, w1, null, dw1, db1, padding: 2)),
        ];

        private static NDArray<float> Init(Rng rng, params int[] shape) => rng.UniformArray<float>(-0.2, 0.2, shape);
    }

    internal static float[] Random(Rng rng, int length)
    {
        float[] v = new float[length];
        for (int i = 0; i < length; i++) v[i] = (float)rng.Uniform(-1, 1);
        return v;
    }
}
