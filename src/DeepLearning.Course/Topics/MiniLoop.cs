using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// The smallest classification training loop the CNN and residual experiments need (minibatch SGD with momentum or
/// Adam on cross-entropy). TODO(lead): replace with fw-train's Trainer once it is merged.
/// </summary>
internal static class MiniLoop
{
    /// <summary>Trains <paramref name="model"/> on (x, y) and returns the mean training loss of each epoch.</summary>
    public static double[] Fit(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, int epochs, int batchSize,
        double learningRate, int seed, double momentum = 0.9, bool adam = false)
    {
        torch.manual_seed(seed);
        using var optimizer = adam
            ? (optim.Optimizer)torch.optim.Adam(model.parameters(), learningRate)
            : torch.optim.SGD(model.parameters(), learningRate, momentum: momentum);
        long n = x.shape[0];
        double[] losses = new double[epochs];
        model.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            using var order = torch.randperm(n);
            double sum = 0;
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                var idx = order.narrow(0, start, Math.Min(batchSize, n - start));
                if (idx.shape[0] < 2) continue; // batch norm needs two examples
                var loss = torch.nn.functional.cross_entropy(model.forward(x.index_select(0, idx)), y.index_select(0, idx));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                sum += loss.item<float>() * idx.shape[0];
            }
            losses[epoch] = sum / n;
        }
        return losses;
    }

    /// <summary>The fraction of examples whose arg-max logit is the label (evaluation mode, no graph).</summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            return model.forward(x).argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>A dataset's inputs as a float32 tensor (shape as stored) and its labels as int64.</summary>
    public static (Tensor X, Tensor Y) Tensors(Dataset data) => (data.X.ToTensor(), Bridge.Labels(data.Labels));
}
