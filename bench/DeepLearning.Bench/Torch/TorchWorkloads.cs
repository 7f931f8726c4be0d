using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Bench;

/// <summary>
/// The framework twins of the scratch workloads, on TorchSharp (libtorch, CPU). Each step runs inside a dispose
/// scope, as a TorchSharp training loop does, so the cost of the wrappers is part of what is measured.
/// </summary>
public static class TorchWorkloads
{
    /// <summary>Loads libtorch and describes it, or says why it cannot run.</summary>
    public static (bool Ok, string Description) Probe(int threads)
    {
        try
        {
            torch.set_num_threads(threads);
            using var t = torch.ones(2, 2).matmul(torch.ones(2, 2));
            return (true, $"TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {torch.__version__}, " +
                          $"{torch.get_num_threads()} intra-op thread(s) (asked for {threads})");
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
        {
            return (false, $"TorchSharp is referenced but libtorch did not load: {e.GetBaseException().Message}");
        }
    }

    /// <summary>The workload named <paramref name="key"/>, or null when there is no twin.</summary>
    public static IWorkload? Create(string key) => key switch
    {
        "gemm64" => new Gemm(64),
        "gemm256" => new Gemm(256),
        "gemm1024" => new Gemm(1024),
        "mlp" => new MlpStep(),
        "mlp-floor" => new MlpStep(batch: 1, inputs: 1, hidden: 1, classes: 2),
        "batchnorm" => new BatchNormStep(),
        "softmaxce" => new SoftmaxCrossEntropyStep(),
        "lenet" => new LeNetConvStep(),
        // The scaling tables' sizes: "gemm:N", "mlp:BATCH", "lenet:BATCH".
        _ when key.StartsWith("gemm:", StringComparison.Ordinal) => new Gemm(int.Parse(key[5..], System.Globalization.CultureInfo.InvariantCulture)),
        _ when key.StartsWith("mlp:", StringComparison.Ordinal) => new MlpStep(batch: int.Parse(key[4..], System.Globalization.CultureInfo.InvariantCulture)),
        _ when key.StartsWith("lenet:", StringComparison.Ordinal) => new LeNetConvStep(int.Parse(key[6..], System.Globalization.CultureInfo.InvariantCulture)),
        _ => null,
    };

    /// <summary>C = A·B in place (addmm_ with β = 0), like the scratch GEMM writing into its C.</summary>
    private sealed class Gemm : IWorkload, IDisposable
    {
        private readonly Tensor a, b, c;

        public Gemm(int n)
        {
            torch.manual_seed(1);
            (a, b, c) = (torch.rand(n, n), torch.rand(n, n), torch.zeros(n, n));
        }

        public void Run()
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            c.addmm_(a, b, beta: 0, alpha: 1);
        }

        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
            c.Dispose();
        }
    }

    /// <summary>nn.Sequential(Linear 64→128, ReLU, Linear 128→10), F.cross_entropy, backward, SGD step.</summary>
    private sealed class MlpStep : IWorkload, IDisposable
    {
        private readonly nn.Module<Tensor, Tensor> model;
        private readonly optim.Optimizer sgd;
        private readonly Tensor x, y;

        public MlpStep(int batch = 64, int inputs = 64, int hidden = 128, int classes = 10)
        {
            torch.manual_seed(2);
            model = nn.Sequential(("fc1", nn.Linear(inputs, hidden)), ("relu", nn.ReLU()), ("fc2", nn.Linear(hidden, classes)));
            sgd = torch.optim.SGD(model.parameters(), 0.01);
            x = torch.rand(batch, inputs) * 2 - 1;
            y = torch.arange(batch, dtype: ScalarType.Int64) % classes;
        }

        public void Run()
        {
            using var scope = torch.NewDisposeScope();
            sgd.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(x), y);
            loss.backward();
            sgd.step();
        }

        public void Dispose()
        {
            model.Dispose();
            x.Dispose();
            y.Dispose();
        }
    }

    /// <summary>nn.BatchNorm1d(128) in training mode on [256, 128]: forward, then backward of a fixed upstream gradient.</summary>
    private sealed class BatchNormStep : IWorkload, IDisposable
    {
        private readonly nn.Module<Tensor, Tensor> bn;
        private readonly Tensor x, dout;

        public BatchNormStep(int batch = 256, int features = 128)
        {
            torch.manual_seed(3);
            bn = nn.BatchNorm1d(features);
            bn.train();
            x = (torch.rand(batch, features) * 2 - 1).requires_grad_();
            dout = torch.rand(batch, features) * 2 - 1;
        }

        public void Run()
        {
            using var scope = torch.NewDisposeScope();
            bn.forward(x).backward([dout]);
        }

        public void Dispose()
        {
            bn.Dispose();
            x.Dispose();
            dout.Dispose();
        }
    }

    /// <summary>F.cross_entropy on logits [256, 10]: forward and backward.</summary>
    private sealed class SoftmaxCrossEntropyStep : IWorkload, IDisposable
    {
        private readonly Tensor logits, y;

        public SoftmaxCrossEntropyStep(int batch = 256, int classes = 10)
        {
            torch.manual_seed(4);
            logits = (torch.rand(batch, classes) * 4 - 2).requires_grad_();
            y = torch.arange(batch, dtype: ScalarType.Int64) % classes;
        }

        public void Run()
        {
            using var scope = torch.NewDisposeScope();
            nn.functional.cross_entropy(logits, y).backward();
        }

        public void Dispose()
        {
            logits.Dispose();
            y.Dispose();
        }
    }

    /// <summary>
    /// LeNet-5's convolutional part on 64 MNIST-sized images: conv 5×5 1→6 (padding 2), ReLU, max-pool 2, conv 5×5
    /// 6→16, ReLU, max-pool 2; forward, then backward of a fixed upstream gradient (the images need no gradient).
    /// </summary>
    private sealed class LeNetConvStep : IWorkload, IDisposable
    {
        private readonly nn.Module<Tensor, Tensor> features;
        private readonly Tensor x, dout;

        public LeNetConvStep(int batch = 64)
        {
            torch.manual_seed(5);
            features = nn.Sequential(
                ("conv1", nn.Conv2d(1, 6, 5, padding: 2)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(6, 16, 5)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)));
            x = torch.rand(batch, 1, 28, 28);
            dout = torch.rand(batch, 16, 5, 5) * 2 - 1;
        }

        public void Run()
        {
            using var scope = torch.NewDisposeScope();
            features.forward(x).backward([dout]);
        }

        public void Dispose()
        {
            features.Dispose();
            x.Dispose();
            dout.Dispose();
        }
    }
}
