using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>What a short private training run ended with: the last epoch's mean training loss, and whether it blew up.</summary>
internal sealed record MiniRun(double FinalLoss, bool Diverged, IReadOnlyList<double> EpochLosses);

/// <summary>
/// The smallest minibatch-SGD loop the norm/init/backprop experiments need (cross-entropy, shuffled batches, NaN stop).
/// TODO(lead): use Trainer — fw-train writes the real fit loop concurrently; swap this out once it is merged.
/// </summary>
internal static class MiniLoop
{
    /// <summary>Trains <paramref name="model"/> with torch.optim.SGD for <paramref name="epochs"/> passes; stops early once the loss is not finite.</summary>
    public static MiniRun Sgd(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, int epochs, int batchSize, double lr, long seed)
    {
        torch.manual_seed(seed);
        var optimizer = torch.optim.SGD(model.parameters(), lr);
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
        bool wasTraining = model.training;
        model.eval();
        var logits = model.call(x);
        double loss = nn.functional.cross_entropy(logits, y).item<float>();
        double accuracy = logits.argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        model.train(wasTraining);
        return (loss, accuracy);
    }
}
