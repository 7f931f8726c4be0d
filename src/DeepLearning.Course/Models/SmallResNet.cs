using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepLearning.Course;

/// <summary>
/// The CIFAR-style network of He et al. (2016, §4.2), sized for digits: a 3×3 stem conv → BN → ReLU, three stages of
/// <see cref="BlocksPerStage"/> basic blocks each (widths w, 2w, 4w; stages 2 and 3 halve H and W), global average
/// pooling, and a Linear classifier. It has 6n + 2 weight layers (<see cref="Depth"/>). Names follow torchvision
/// (conv1, bn1, layer1.0.conv1, …, fc). <see cref="SmallResNet"/> adds the shortcuts, <see cref="PlainConvNet"/>
/// is the identical stack without them: the "plain vs residual at the same depth" pair.
/// </summary>
public abstract class StagedConvNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Linear fc;

    /// <summary>Builds the stack; <paramref name="residual"/> chooses residual or plain blocks.</summary>
    private protected StagedConvNet(bool residual, int blocksPerStage, int width, int classes, int inChannels, string name) : base(name)
    {
        ResidualChecks.Positive(blocksPerStage, nameof(blocksPerStage));
        ResidualChecks.Positive(width, nameof(width));
        ResidualChecks.Positive(inChannels, nameof(inChannels));
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, $"classes must be ≥ 2, got {classes}.");
        (Residual, BlocksPerStage, Width, Classes, InChannels) = (residual, blocksPerStage, width, classes, inChannels);

        conv1 = Conv2d(inChannels, width, 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(width);
        layer1 = Stage(width, width, 1);
        layer2 = Stage(width, 2 * width, 2);
        layer3 = Stage(2 * width, 4 * width, 2);
        fc = Linear(4 * width, classes);
        RegisterComponents();
        InitializeLikeTorchvision();
    }

    /// <summary>Whether the blocks add their shortcuts.</summary>
    public bool Residual { get; }

    /// <summary>Blocks per stage, n.</summary>
    public int BlocksPerStage { get; }

    /// <summary>Channels of the first stage, w (the stages have w, 2w, 4w).</summary>
    public int Width { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Channels of the input images.</summary>
    public int InChannels { get; }

    /// <summary>Weight layers on the main path: stem conv + 2 per block + fc = 6n + 2 (projections not counted, as in the paper).</summary>
    public int Depth => (6 * BlocksPerStage) + 2;

    /// <summary>The stem convolution: the first layer, whose gradient norm the vanishing-gradient lesson reads.</summary>
    public Conv2d Stem => conv1;

    /// <summary>The classifier: the last layer.</summary>
    public Linear Head => fc;

    /// <summary>Every block in order (3n of them).</summary>
    public IReadOnlyList<BasicBlock> Blocks => [.. new[] { layer1, layer2, layer3 }.SelectMany(s => s.children()).Cast<BasicBlock>()];

    /// <summary>Logits [N, classes] for images x [N, InChannels, H, W].</summary>
    public override Tensor forward(Tensor x)
    {
        string model = $"{GetType().Name}(depth {Depth})";
        ModelInputs.Images(x, InChannels, conv1.weight.dtype, model);
        ModelInputs.BatchForNorm(x, training, model);
        using var scope = torch.NewDisposeScope();
        var h = torch.nn.functional.relu(bn1.forward(conv1.forward(x)));
        h = layer3.forward(layer2.forward(layer1.forward(h)));
        h = h.mean([2, 3]); // global average pooling: one number per channel, whatever the image size
        return fc.forward(h).MoveToOuterDisposeScope();
    }

    private Sequential Stage(int inC, int outC, int stride) =>
        Sequential(Enumerable.Range(0, BlocksPerStage).Select(i =>
            (Module<Tensor, Tensor>)new BasicBlock(i == 0 ? inC : outC, outC, i == 0 ? stride : 1, shortcut: Residual)).ToArray());

    // torchvision's ResNet init: He normal (fan_out, ReLU) for convs; BN γ = 1, β = 0 (already the default).
    private void InitializeLikeTorchvision()
    {
        using var noGrad = torch.no_grad();
        foreach (var m in modules().OfType<Conv2d>())
            torch.nn.init.kaiming_normal_(m.weight, mode: torch.nn.init.FanInOut.FanOut, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
    }
}

/// <summary>A CIFAR-style ResNet for digits (see <see cref="StagedConvNet"/>): 6n + 2 layers with shortcuts.</summary>
public sealed class SmallResNet : StagedConvNet
{
    /// <summary>n blocks per stage, first-stage width w; e.g. n = 3 is ResNet-20. Seed with torch.manual_seed first.</summary>
    public SmallResNet(int blocksPerStage = 1, int width = 8, int classes = 10, int inChannels = 1, string name = "resnet")
        : base(residual: true, blocksPerStage, width, classes, inChannels, name)
    {
    }
}

/// <summary>The same network as <see cref="SmallResNet"/> without shortcuts: the "plain" baseline of He et al. (2016).</summary>
public sealed class PlainConvNet : StagedConvNet
{
    /// <summary>n plain blocks per stage, first-stage width w; same layers and init as SmallResNet(n, w) minus shortcuts and projections.</summary>
    public PlainConvNet(int blocksPerStage = 1, int width = 8, int classes = 10, int inChannels = 1, string name = "plain")
        : base(residual: false, blocksPerStage, width, classes, inChannels, name)
    {
    }
}
