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
            (y, dx, cache) = (x.ZerosLike(), x.ZerosLike(), bn.NewCache(x.Shape, train: true));
        }

        public void Run()
        {
            bn.ForwardInto(x, y, cache);
            bn.BackwardInto(dout, cache, dx);
        }
    }

    internal static float[] Random(Rng rng, int length)
    {
        float[] v = new float[length];
        for (int i = 0; i < length; i++) v[i] = (float)rng.Uniform(-1, 1);
        return v;
    }
}
