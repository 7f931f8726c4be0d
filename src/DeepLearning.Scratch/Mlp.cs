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
        return SoftmaxCrossEntropy(ForwardAll(x).Z[^1], labels).Loss;
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
        T lr = T.CreateChecked(learningRate), mu = T.CreateChecked(momentum);
        var parameters = Parameters.ToList();
        var velocity = parameters.Select(p => p.Value.ZerosLike()).ToList();
        var history = new List<MlpEpoch>();
        bool firstStep = true;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            int[] order = rng.Permutation(n);
            double lossSum = 0;
            int correctSum = 0;
            for (int start = 0; start < n; start += batchSize)
            {
                int size = Math.Min(batchSize, n - start);
                var xb = new NDArray<T>([size, features]);
                int[] yb = new int[size];
                for (int i = 0; i < size; i++)
                {
                    x.Row(order[start + i]).CopyTo(xb.Row(i));
                    yb[i] = labels[order[start + i]];
                }

                T loss = Backprop(xb, yb, out int correct);
                lossSum += double.CreateChecked(loss) * size;
                correctSum += correct;

                for (int k = 0; k < parameters.Count; k++)
                {
                    Span<T> theta = parameters[k].Value.Span, g = parameters[k].Grad.Span, v = velocity[k].Span;
                    if (momentum == 0) { TensorPrimitives.MultiplyAdd(g, -lr, theta, theta); continue; }
                    // torch.optim.SGD starts the buffer at the first gradient, not at μ·0 + g·(1 − dampening).
                    if (firstStep) g.CopyTo(v);
                    else TensorPrimitives.MultiplyAdd(v, mu, g, v);
                    TensorPrimitives.MultiplyAdd(v, -lr, theta, theta);
                }
                firstStep = false;
            }
            history.Add(validationX is null
                ? new MlpEpoch(epoch, lossSum / n, (double)correctSum / n, null, null)
                : new MlpEpoch(epoch, lossSum / n, (double)correctSum / n,
                    double.CreateChecked(Loss(validationX, validationLabels!)), Accuracy(validationX, validationLabels!)));
        }
        return history;
    }

    // z[l] = a[l]·W_lᵀ + b_l and a[l+1] = σ(z[l]), with a[0] = x; the last z is the logits.
    private (List<NDArray<T>> Z, List<NDArray<T>> A) ForwardAll(NDArray<T> x)
    {
        List<NDArray<T>> z = [], a = [x];
        for (int l = 0; l < Layers.Count; l++)
        {
            z.Add(Linear.Forward(a[l], Layers[l].W.Value, Layers[l].B!.Value).Out);
            if (l < Layers.Count - 1) a.Add(Sigma(z[l]));
        }
        return (z, a);
    }

    // The backward pass of the lecture, one layer at a time from the output down.
    private T Backprop(NDArray<T> x, int[] labels, out int correct)
    {
        var (z, a) = ForwardAll(x);
        var (loss, p) = SoftmaxCrossEntropy(z[^1], labels);
        int n = x.Dim(0);
        correct = 0;
        for (int i = 0; i < n; i++)
            if (TensorPrimitives.IndexOfMax<T>(p.Row(i)) == labels[i]) correct++;

        // δ_L = ∂L/∂z_L = (p − onehot(y)) / N
        var delta = p;
        for (int i = 0; i < n; i++) delta[i, labels[i]] -= T.One;
        TensorPrimitives.Multiply(delta.Span, T.One / T.CreateChecked(n), delta.Span);

        for (int l = Layers.Count - 1; l >= 0; l--)
        {
            var layer = Layers[l];
            Gemm.MatMul(delta, a[l], transA: true).Span.CopyTo(layer.W.Grad.Span);   // dW_l = δ_lᵀ·a_l
            layer.B!.Grad.Span.Clear();                                            // db_l = Σ_rows δ_l
            for (int i = 0; i < n; i++) TensorPrimitives.Add(layer.B.Grad.Span, delta.Row(i), layer.B.Grad.Span);
            if (l == 0) break;
            var next = Gemm.MatMul(delta, layer.W.Value);                          // δ_{l−1} = (δ_l·W_l) ⊙ σ'(z_{l−1})
            TensorPrimitives.Multiply(next.Span, SigmaPrime(z[l - 1], a[l]).Span, next.Span);
            delta = next;
        }
        return loss;
    }

    // σ(z) for the hidden layers. TODO(lead): switch to Activations.* once Activations.cs is merged.
    private NDArray<T> Sigma(NDArray<T> z)
    {
        var a = z.ZerosLike();
        switch (Activation)
        {
            case HiddenActivation.Relu: TensorPrimitives.Max(z.Span, T.Zero, a.Span); break;
            case HiddenActivation.Tanh: TensorPrimitives.Tanh<T>(z.Span, a.Span); break;
            default: TensorPrimitives.Sigmoid<T>(z.Span, a.Span); break;
        }
        return a;
    }

    // σ'(z), written with a = σ(z) where that is the usual form: tanh' = 1 − a², sigmoid' = a(1 − a).
    private NDArray<T> SigmaPrime(NDArray<T> z, NDArray<T> a)
    {
        var d = z.ZerosLike();
        for (int i = 0; i < d.Length; i++)
            d[i] = Activation switch
            {
                HiddenActivation.Relu => z[i] > T.Zero ? T.One : T.Zero,
                HiddenActivation.Tanh => T.One - (a[i] * a[i]),
                _ => a[i] * (T.One - a[i]),
            };
        return d;
    }

    // Mean cross-entropy of softmax(logits) and the probabilities p. Subtracting each row's max keeps exp from
    // overflowing; −log p_y = log Σ e^(z − max) − (z_y − max). TODO(lead): switch to Losses.* once merged.
    private static (T Loss, NDArray<T> P) SoftmaxCrossEntropy(NDArray<T> logits, int[] labels)
    {
        var p = logits.ZerosLike();
        T loss = T.Zero;
        for (int i = 0; i < logits.Dim(0); i++)
        {
            Span<T> zi = logits.Row(i), pi = p.Row(i);
            T max = TensorPrimitives.Max<T>(zi);
            TensorPrimitives.Subtract(zi, max, pi);
            TensorPrimitives.Exp<T>(pi, pi);
            T sum = TensorPrimitives.Sum<T>(pi);
            TensorPrimitives.Divide(pi, sum, pi);
            loss += T.Log(sum) - (zi[labels[i]] - max);
        }
        return (loss / T.CreateChecked(logits.Dim(0)), p);
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
