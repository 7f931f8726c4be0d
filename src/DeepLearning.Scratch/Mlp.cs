using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>The nonlinearity σ between the layers of an <see cref="Mlp{T}"/>.</summary>
public enum HiddenActivation
{
    /// <summary>max(0, z).</summary>
    Relu,

    /// <summary>tanh(z).</summary>
    Tanh,

    /// <summary>1 / (1 + e⁻ᶻ).</summary>
    Sigmoid,
}

/// <summary>One epoch of <see cref="Mlp{T}.Fit"/>: mean loss and accuracy over the training minibatches (as seen during the epoch) and on the validation set after it.</summary>
public sealed record MlpEpoch(int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy);

/// <summary>
/// A multilayer perceptron classifier trained by explicit backpropagation — the lecture's equations, written out.
/// For one hidden layer: z1 = x·W1ᵀ + b1, a1 = σ(z1), z2 = a1·W2ᵀ + b2, p = softmax(z2), L = mean −log p_y;
/// δ2 = (p − y)/N, dW2 = δ2ᵀ·a1, db2 = Σ δ2, δ1 = (δ2·W2) ⊙ σ'(z1), dW1 = δ1ᵀ·x, db1 = Σ δ1.
/// Deeper nets repeat the middle step once per layer. PyTorch's equivalent is nn.Sequential(Linear, σ, …, Linear)
/// with F.cross_entropy, trained by torch.optim.SGD.
/// </summary>
public sealed class Mlp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>An MLP with layer widths <paramref name="sizes"/> (inputs, hidden…, classes), initialised like nn.Linear from <paramref name="rng"/>.</summary>
    public Mlp(IReadOnlyList<int> sizes, HiddenActivation activation, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(rng);
        if (sizes.Count < 2)
            throw new ArgumentException($"sizes needs at least an input and an output width, got [{string.Join(", ", sizes)}].", nameof(sizes));
        for (int l = 0; l < sizes.Count; l++)
            if (sizes[l] <= 0)
                throw new ArgumentOutOfRangeException(nameof(sizes), sizes[l], $"sizes[{l}] = {sizes[l]}: every width must be positive (sizes = [{string.Join(", ", sizes)}]).");
        if (!Enum.IsDefined(activation))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        Sizes = [.. sizes];
        Activation = activation;
        Layers = [.. Enumerable.Range(0, sizes.Count - 1).Select(l => new LinearLayer<T>(sizes[l], sizes[l + 1], rng, name: $"layers.{l}"))];
    }

    /// <summary>Layer widths: input features, hidden widths, number of classes.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>The hidden nonlinearity σ (the output layer has none: softmax is in the loss).</summary>
    public HiddenActivation Activation { get; }

    /// <summary>The affine layers, input first.</summary>
    public IReadOnlyList<LinearLayer<T>> Layers { get; }

    /// <summary>Every weight and bias, layer by layer (W then b).</summary>
    public IEnumerable<Parameter<T>> Parameters => Layers.SelectMany(layer => layer.Parameters);

    /// <summary>The class scores z_L for a batch x [N, inputs].</summary>
    public NDArray<T> Logits(NDArray<T> x)
    {
        CheckInput(x, nameof(x));
        return ForwardAll(x).Z[^1];
    }

    /// <summary>Mean softmax cross-entropy on (x, labels), without touching the gradients.</summary>
    public T Loss(NDArray<T> x, int[] labels)
    {
        CheckBatch(x, labels, nameof(x), nameof(labels));
        return Losses.CrossEntropy.Forward(ForwardAll(x).Z[^1], labels).Loss;
    }

    /// <summary>Forward and backward on one batch: sets every parameter's Grad to ∂loss/∂parameter and returns the loss.</summary>
    public T LossAndGradients(NDArray<T> x, int[] labels)
    {
        CheckBatch(x, labels, nameof(x), nameof(labels));
        return Backprop(x, labels, out _);
    }

    /// <summary>The most likely class of each row of x.</summary>
    public int[] Predict(NDArray<T> x)
    {
        var logits = Logits(x);
        int[] predictions = new int[logits.Dim(0)];
        for (int i = 0; i < predictions.Length; i++) predictions[i] = TensorPrimitives.IndexOfMax<T>(logits.Row(i));
        return predictions;
    }

    /// <summary>The fraction of rows of x whose predicted class equals the label.</summary>
    public double Accuracy(NDArray<T> x, int[] labels)
    {
        CheckBatch(x, labels, nameof(x), nameof(labels));
        int[] predicted = Predict(x);
        return (double)predicted.Where((c, i) => c == labels[i]).Count() / labels.Length;
    }

    /// <summary>
    /// Minibatch SGD (torch.optim.SGD: v = μ·v + g, θ −= lr·v; plain SGD when μ = 0) for <paramref name="epochs"/>
    /// passes over a reshuffled training set; returns one <see cref="MlpEpoch"/> per epoch.
    /// </summary>
    public IReadOnlyList<MlpEpoch> Fit(NDArray<T> x, int[] labels, int epochs, int batchSize, double learningRate, Rng rng,
        double momentum = 0, NDArray<T>? validationX = null, int[]? validationLabels = null)
    {
        CheckBatch(x, labels, nameof(x), nameof(labels));
        Check.PositiveInt(epochs, nameof(epochs));
        Check.PositiveInt(batchSize, nameof(batchSize));
        Check.Positive(learningRate, nameof(learningRate));
        Check.NonNegative(momentum, nameof(momentum));
        ArgumentNullException.ThrowIfNull(rng);
        if ((validationX is null) != (validationLabels is null))
            throw new ArgumentException("Pass both validationX and validationLabels, or neither.", validationX is null ? nameof(validationX) : nameof(validationLabels));
        if (validationX is not null) CheckBatch(validationX, validationLabels!, nameof(validationX), nameof(validationLabels));

        int n = x.Dim(0), features = Sizes[0];
        var optimizer = new Sgd<T>([.. Parameters], learningRate, momentum);
        var history = new List<MlpEpoch>();
        var batch = (X: new NDArray<T>([Math.Min(batchSize, n), features]), Labels: new int[Math.Min(batchSize, n)]);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            int[] order = rng.Permutation(n);
            double lossSum = 0;
            int correctSum = 0;
            for (int start = 0; start < n; start += batchSize)
            {
                int size = Math.Min(batchSize, n - start);
                var (xb, yb) = size == batch.Labels.Length ? batch : (new NDArray<T>([size, features]), new int[size]);
                for (int i = 0; i < size; i++)
                {
                    x.Row(order[start + i]).CopyTo(xb.Row(i));
                    yb[i] = labels[order[start + i]];
                }

                T loss = Backprop(xb, yb, out int correct);
                lossSum += double.CreateChecked(loss) * size;
                correctSum += correct;
                optimizer.Step();
            }
            history.Add(validationX is null
                ? new MlpEpoch(epoch, lossSum / n, (double)correctSum / n, null, null)
                : new MlpEpoch(epoch, lossSum / n, (double)correctSum / n,
                    double.CreateChecked(Loss(validationX, validationLabels!)), Accuracy(validationX, validationLabels!)));
        }
        return history;
    }

    // The activations of one batch: z[l] = a[l]·W_lᵀ + b_l and a[l+1] = σ(z[l]), with a[0] = x (not copied); the
    // last z is the logits. delta[l] = ∂L/∂z[l] for the backward pass (delta[^1] holds the softmax first).
    private sealed class Buffers
    {
        public Buffers(IReadOnlyList<int> sizes, int n)
        {
            Z = [.. Enumerable.Range(1, sizes.Count - 1).Select(l => new NDArray<T>([n, sizes[l]]))];
            A = [null!, .. Z[..^1].Select(z => z.ZerosLike())];
            Delta = [.. Z.Select(z => z.ZerosLike())];
        }

        public NDArray<T>[] Z { get; }

        public NDArray<T>[] A { get; }

        public NDArray<T>[] Delta { get; }
    }

    // Kept per batch size between calls, so a training loop allocates nothing per step (a partial last batch gets its own).
    private readonly Dictionary<int, Buffers> buffers = [];

    private Buffers BuffersFor(int n)
    {
        if (!buffers.TryGetValue(n, out var acts)) buffers[n] = acts = new Buffers(Sizes, n);
        return acts;
    }

    // Fresh arrays, for results handed to the caller (Logits, Loss).
    private Buffers ForwardAll(NDArray<T> x) => Forward(x, new Buffers(Sizes, x.Dim(0)));

    private Buffers Forward(NDArray<T> x, Buffers acts)
    {
        acts.A[0] = x;
        for (int l = 0; l < Layers.Count; l++)
        {
            Linear.ForwardInto(acts.A[l], Layers[l].W.Value, Layers[l].B!.Value, acts.Z[l]);
            if (l < Layers.Count - 1) Sigma(acts.Z[l], acts.A[l + 1]);
        }
        return acts;
    }

    // The backward pass of the lecture, one layer at a time from the output down.
    private T Backprop(NDArray<T> x, int[] labels, out int correct)
    {
        var acts = Forward(x, BuffersFor(x.Dim(0)));
        var (z, a) = (acts.Z, acts.A);
        var delta = acts.Delta[^1];
        T loss = Losses.CrossEntropy.ForwardInto(z[^1], labels, delta);
        int n = x.Dim(0);
        correct = 0;
        for (int i = 0; i < n; i++)
            if (TensorPrimitives.IndexOfMax<T>(z[^1].Row(i)) == labels[i]) correct++;

        // δ_L = ∂L/∂z_L = (softmax(z_L) − onehot(y)) / N, in place over the probabilities
        Losses.CrossEntropy.BackwardInto(delta, labels, delta);
        for (int l = Layers.Count - 1; l >= 0; l--)
        {
            // dW_l = δ_lᵀ·a_l, db_l = Σ_rows δ_l and (below the first layer) δ_{l−1} = (δ_l·W_l) ⊙ σ'(z_{l−1})
            var layer = Layers[l];
            var next = l > 0 ? acts.Delta[l - 1] : null;
            Linear.BackwardInto(delta, a[l], layer.W.Value, next, layer.W.Grad, layer.B!.Grad);
            if (next is null) break;
            SigmaBackward(next, z[l - 1], a[l]);
            delta = next;
        }
        return loss;
    }

    // a = σ(z) for the hidden layers.
    private void Sigma(NDArray<T> z, NDArray<T> a)
    {
        switch (Activation)
        {
            case HiddenActivation.Relu: Activations.Relu.ForwardInto(z, a); break;
            case HiddenActivation.Tanh: Activations.Tanh.ForwardInto(z, a); break;
            default: Activations.Sigmoid.ForwardInto(z, a); break;
        }
    }

    // d ⊙= σ'(z) in place, through the activation's own backward (ReLU needs z, tanh and sigmoid their output a = σ(z)).
    private void SigmaBackward(NDArray<T> d, NDArray<T> z, NDArray<T> a)
    {
        switch (Activation)
        {
            case HiddenActivation.Relu: Activations.Relu.BackwardInto(d, z, d); break;
            case HiddenActivation.Tanh: Activations.Tanh.BackwardInto(d, a, d); break;
            default: Activations.Sigmoid.BackwardInto(d, a, d); break;
        }
    }

    private void CheckInput(NDArray<T> x, string name)
    {
        Check.Rank(x, 2, name, "N, features");
        Check.NotEmpty(x, name);
        Check.DimEquals(x, 1, Sizes[0], name, $"the MLP's input width, sizes[0]");
    }

    private void CheckBatch(NDArray<T> x, int[] labels, string xName, string labelsName)
    {
        CheckInput(x, xName);
        ArgumentNullException.ThrowIfNull(labels, labelsName);
        Check.Labels(labels, x.Dim(0), Sizes[^1], labelsName);
    }
}
