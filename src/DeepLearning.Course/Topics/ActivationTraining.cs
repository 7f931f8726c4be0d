using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// The dying-ReLU run followed epoch by epoch: how many hidden units are inactive (pre-activation ≤ 0 on every training
/// example) after each epoch, and whether units that were inactive at some point came back.
/// </summary>
/// <param name="Activation">"relu" or "leaky_relu".</param>
/// <param name="LearningRate">SGD's learning rate.</param>
/// <param name="BiasInit">Initial value of every hidden bias.</param>
/// <param name="Units">Hidden units in all (both layers).</param>
/// <param name="InactiveFraction">Inactive fraction of all hidden units, before training (index 0) and after each epoch.</param>
/// <param name="FirstLayerInactiveFraction">The same for the first hidden layer alone, whose inputs (the data) never change.</param>
/// <param name="TrainLoss">Full training cross-entropy before training and after each epoch.</param>
/// <param name="Accuracy">Training accuracy before training and after each epoch.</param>
/// <param name="Revived">Units that were inactive after some epoch but are active at the end.</param>
/// <param name="FirstLayerRevived">The same, counted in the first hidden layer only.</param>
public sealed record DyingReluTrace(string Activation, double LearningRate, double BiasInit, int Units, double[] InactiveFraction,
    double[] FirstLayerInactiveFraction, double[] TrainLoss, double[] Accuracy, int Revived, int FirstLayerRevived)
{
    /// <summary>The inactive fraction after the last epoch.</summary>
    public double FinalInactive => InactiveFraction[^1];

    /// <summary>The training accuracy after the last epoch.</summary>
    public double FinalAccuracy => Accuracy[^1];
}

public static partial class ActivationExperiments
{
    /// <summary>
    /// <see cref="DyingRelu"/> measured after every epoch: trains a 2 → hidden → hidden → 2 MLP with
    /// <paramref name="activation"/> ("relu" or "leaky_relu") on two moons by plain minibatch SGD (no momentum, no weight
    /// decay) and records the inactive fraction of the hidden units each epoch, and which inactive units came back.
    /// A first-layer ReLU unit that is inactive gets no gradient at all, so it can never come back; a second-layer one
    /// can, if the first layer changes its inputs; a Leaky ReLU unit keeps a gradient of slope 0.01 and can.
    /// </summary>
    public static DyingReluTrace DyingReluPerEpoch(double learningRate, string activation = "relu", int epochs = 30, int hidden = 64,
        int batchSize = 32, double biasInit = 0, int n = 256, int seed = 0)
    {
        string act = TorchActivations.Resolve(activation);
        if (act is not ("relu" or "leaky_relu"))
            throw new ArgumentException($"The dying-ReLU experiment compares \"relu\" and \"leaky_relu\", got \"{activation}\".", nameof(activation));
        Check.Positive(learningRate, nameof(learningRate));
        TopicArgs.Finite(biasInit, nameof(biasInit));
        TopicArgs.AtLeast(hidden, 1, nameof(hidden));
        TopicArgs.AtLeast(epochs, 1, nameof(epochs));
        TopicArgs.AtLeast(batchSize, 1, nameof(batchSize));
        TopicArgs.AtLeast(n, 2, nameof(n));

        var rng = new Rng(unchecked((ulong)seed));
        var data = Synthetic.TwoMoons(n, 0.1, rng);
        torch.manual_seed(seed);
        using var net = new ProbeMlp(hidden, act, biasInit);
        using var scope = torch.NewDisposeScope();
        var x = data.X.ToTensor();
        var y = Bridge.Labels(data.Labels);
        using var optimizer = torch.optim.SGD(net.parameters(), learningRate);

        var inactive = new List<double>();
        var firstInactive = new List<double>();
        var losses = new List<double>();
        var accuracies = new List<double>();
        var everInactive = new bool[2 * hidden];
        bool[] Measure(bool record)
        {
            using var noGrad = torch.no_grad();
            using var step = torch.NewDisposeScope();
            var (z1, z2, logits) = net.Trace(x);
            var off = torch.cat([z1, z2], 1).gt(0).any(0).logical_not();   // [2·hidden]: z ≤ 0 on every example
            bool[] units = off.data<bool>().ToArray();
            inactive.Add(units.Count(u => u) / (double)units.Length);
            firstInactive.Add(units.Take(hidden).Count(u => u) / (double)hidden);
            losses.Add(torch.nn.functional.cross_entropy(logits, y).item<float>());
            accuracies.Add(logits.argmax(1).eq(y).to_type(ScalarType.Float32).mean().item<float>());
            if (record)
                for (int u = 0; u < units.Length; u++) everInactive[u] |= units[u];
            return units;
        }

        Measure(record: false);
        bool[] last = [];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            int[] order = rng.Permutation(n);
            for (int start = 0; start < n; start += batchSize)
            {
                using var step = torch.NewDisposeScope();
                var idx = Bridge.Labels(order.AsSpan(start, Math.Min(batchSize, n - start)));
                optimizer.zero_grad();
                torch.nn.functional.cross_entropy(net.forward(x.index_select(0, idx)), y.index_select(0, idx)).backward();
                optimizer.step();
            }
            last = Measure(record: true);
        }
        int revived = Enumerable.Range(0, last.Length).Count(u => everInactive[u] && !last[u]);
        int firstRevived = Enumerable.Range(0, hidden).Count(u => everInactive[u] && !last[u]);
        return new DyingReluTrace(act, learningRate, biasInit, 2 * hidden, [.. inactive], [.. firstInactive], [.. losses], [.. accuracies],
            revived, firstRevived);
    }
}
