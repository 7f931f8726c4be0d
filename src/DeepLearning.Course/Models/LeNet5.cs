using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepLearning.Course;

/// <summary>A stage of a CNN's feature extractor and its output maps.</summary>
/// <param name="Stage">"conv1", "pool1", "conv2" or "pool2" (conv stages are after the activation).</param>
/// <param name="Maps">The feature maps [N, C, H, W]; the caller owns and disposes them.</param>
public sealed record FeatureStage(string Stage, Tensor Maps);

/// <summary>
/// LeNet-5, simplified the modern way (LeCun et al., 1998; max pooling and ReLU by default instead of subsampling
/// and scaled tanh, a full connection table, a plain 10-way linear output):
/// conv1 → act → pool → conv2 → act → pool → fc1 120 → act → fc2 84 → act → fc3 10 (logits).
/// <list type="bullet">
/// <item>28×28 (MNIST): conv 5×5 (1→6, padding 2) 28×28 → pool 14×14 → conv 5×5 (6→16) 10×10 → pool 5×5 → 400 features. 61,706 parameters.</item>
/// <item>32×32 (the paper's input): the same without the padding.</item>
/// <item>8×8 (UCI digits): conv 3×3 (1→6, padding 1) 8×8 → pool 4×4 → conv 3×3 (6→16, padding 1) 4×4 → pool 2×2 → 64 features.</item>
/// </list>
/// </summary>
public sealed class LeNet5 : Module<Tensor, Tensor>
{
    /// <summary>The image sizes LeNet5 is laid out for.</summary>
    public static readonly IReadOnlyList<int> ImageSizes = [8, 28, 32];

    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear fc3;
    private readonly bool tanh;

    /// <summary>LeNet-5 for square grayscale images of side <paramref name="imageSize"/> (8, 28 or 32); <paramref name="activation"/> is "relu" or "tanh".</summary>
    public LeNet5(int imageSize = 28, string activation = "relu", int classes = 10, string name = "lenet5") : base(name)
    {
        if (!ImageSizes.Contains(imageSize))
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, $"LeNet5 is laid out for images of side {string.Join(", ", ImageSizes)}, got {imageSize}.");
        if (activation is not ("relu" or "tanh"))
            throw new ArgumentException($"activation must be \"relu\" or \"tanh\", got \"{activation}\".", nameof(activation));
        if (classes < 2)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, $"classes must be ≥ 2, got {classes}.");
        ImageSize = imageSize;
        Activation = activation;
        tanh = activation == "tanh";
        bool small = imageSize == 8;
        int k = small ? 3 : 5;
        conv1 = Conv2d(1, 6, k, padding: small ? 1 : imageSize == 28 ? 2 : 0);
        conv2 = Conv2d(6, 16, k, padding: small ? 1 : 0);
        int side = small ? 2 : 5; // after two 2×2 poolings
        FlatFeatures = 16 * side * side;
        fc1 = Linear(FlatFeatures, 120);
        fc2 = Linear(120, 84);
        fc3 = Linear(84, classes);
        RegisterComponents();
    }

    /// <summary>The side of the square input images.</summary>
    public int ImageSize { get; }

    /// <summary>"relu" or "tanh".</summary>
    public string Activation { get; }

    /// <summary>The length of the flattened feature maps that enter fc1 (400 for 28×28, 64 for 8×8).</summary>
    public int FlatFeatures { get; }

    /// <summary>The first convolution (its weight [6, 1, k, k] holds the filters charts draw).</summary>
    public Conv2d Conv1 => conv1;

    /// <summary>The second convolution.</summary>
    public Conv2d Conv2 => conv2;

    /// <summary>A copy of the first layer's filters, [6, 1, k, k] (detached: safe to plot or keep).</summary>
    public Tensor FirstLayerFilters()
    {
        using var detached = conv1.weight.detach();
        return detached.clone();
    }

    /// <summary>Logits [N, classes] for images x [N, 1, S, S].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = Act(fc2.forward(Act(fc1.forward(Flat(x)))));
        return fc3.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The feature maps after each stage of the convolutional part — conv1 (activated), pool1, conv2 (activated),
    /// pool2 — for images x [N, 1, S, S]. Runs without a graph; the caller disposes the maps.
    /// </summary>
    public IReadOnlyList<FeatureStage> Features(Tensor x)
    {
        CheckInput(x);
        using var noGrad = torch.no_grad();
        var c1 = Act(conv1.forward(x));
        var p1 = Pool(c1);
        var c2 = Act(conv2.forward(p1));
        var p2 = Pool(c2);
        return [new("conv1", c1), new("pool1", p1), new("conv2", c2), new("pool2", p2)];
    }

    /// <summary>
    /// The 84 activations of fc2 for images x [N, 1, S, S]: what the classifier fc3 sees, i.e. the features a
    /// trained LeNet extracts. Runs without a graph (for a frozen feature extractor).
    /// </summary>
    public Tensor Penultimate(Tensor x)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return Act(fc2.forward(Act(fc1.forward(Flat(x))))).MoveToOuterDisposeScope();
    }

    // The convolutional part, flattened to [N, FlatFeatures]; call inside a dispose scope.
    private Tensor Flat(Tensor x)
    {
        CheckInput(x);
        var h = Pool(Act(conv1.forward(x)));
        h = Pool(Act(conv2.forward(h)));
        return h.flatten(1);
    }

    private Tensor Act(Tensor z) => tanh ? torch.nn.functional.tanh(z) : torch.nn.functional.relu(z);

    private static Tensor Pool(Tensor x) => torch.nn.functional.max_pool2d(x, [2, 2]);

    private void CheckInput(Tensor x) => ModelInputs.Images(x, 1, conv1.weight.dtype, $"LeNet5({ImageSize})", ImageSize);
}
