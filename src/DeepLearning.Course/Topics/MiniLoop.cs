using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>What a short private training run ended with: the last epoch's mean training loss, and whether it blew up.</summary>
internal sealed record MiniRun(double FinalLoss, bool Diverged, IReadOnlyList<double> EpochLosses);

/// <summary>
/// The smallest training loops the lesson experiments need (cross-entropy, shuffled minibatches, SGD/Adam). They stay
/// internal: notebooks train with the Trainer; experiments that only need "train briefly, measure" use these.
/// </summary>
internal static class MiniLoop
{
    /// <summary>Trains <paramref name="model"/> with torch.optim.SGD for <paramref name="epochs"/> passes; stops early once the loss is not finite.</summary>
    public static MiniRun Sgd(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, int epochs, int batchSize, double lr, long seed)
    {
        torch.manual_seed(seed);
        using var optimizer = torch.optim.SGD(model.parameters(), lr);
        long n = x.shape[0];
        var losses = new List<double>();
        model.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            using var scope = torch.NewDisposeScope();
            var order = torch.randperm(n);
            double sum = 0;
            for (long start = 0; start < n; start += batchSize)
            {
                long size = Math.Min(batchSize, n - start);
                if (size < 2) break; // batch norm cannot normalise a single example
                var idx = order.narrow(0, start, size);
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x.index_select(0, idx)), y.index_select(0, idx));
                loss.backward();
                optimizer.step();
                sum += loss.item<float>() * size;
            }
            double mean = sum / n;
            losses.Add(mean);
            if (!double.IsFinite(mean)) return new MiniRun(mean, true, losses);
        }
        return new MiniRun(losses[^1], false, losses);
    }

    /// <summary>Mean cross-entropy and accuracy of <paramref name="model"/> in eval mode (no gradients).</summary>
    public static (double Loss, double Accuracy) Evaluate(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var evalMode = model.EvalMode();
        var logits = model.call(x);
        double loss = nn.functional.cross_entropy(logits, y).item<float>();
        double accuracy = logits.argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        return (loss, accuracy);
    }

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
        using var evalMode = model.EvalMode();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return model.forward(x).argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>A dataset's inputs as a float32 tensor (shape as stored) and its labels as int64.</summary>
    public static (Tensor X, Tensor Y) Tensors(Dataset data) => (data.X.ToTensor(), Bridge.Labels(data.Labels));
}
