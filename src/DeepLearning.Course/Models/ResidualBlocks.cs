using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepLearning.Course;

/// <summary>
/// ResNet-18/34's block, as torchvision writes it: out = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)), with
/// bias-free 3×3 convs (BN's β is the bias) and the stride on conv1. The shortcut is x itself, or
/// <c>downsample</c> = conv1×1(stride) → BN when the shape changes. State-dict names match torchvision
/// (conv1.weight, bn1.running_mean, downsample.0.weight, …). With <c>shortcut: false</c> it is the same stack of
/// layers without the addition (and without a projection): the "plain" block of He et al. (2016).
/// </summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels; stride 2 halves H and W.</summary>
    public BasicBlock(int inChannels, int outChannels, int stride = 1, bool shortcut = true, string name = "BasicBlock") : base(name)
    {
        ResidualChecks.Positive(inChannels, nameof(inChannels));
        ResidualChecks.Positive(outChannels, nameof(outChannels));
        ResidualChecks.Positive(stride, nameof(stride));
        (InChannels, OutChannels, Stride, Shortcut) = (inChannels, outChannels, stride, shortcut);
        conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(outChannels);
        conv2 = Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(outChannels);
        downsample = ResidualChecks.Projection(inChannels, outChannels, stride, shortcut);
        RegisterComponents();
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>The stride of conv1 and of the projection.</summary>
    public int Stride { get; }

    /// <summary>Whether the block adds its shortcut (false: a plain block).</summary>
    public bool Shortcut { get; }

    /// <summary>Whether the shortcut is a 1×1 projection (the shape changes) rather than the identity.</summary>
    public bool HasProjection => downsample is not null;

    /// <summary>The block's output [N, OutChannels, ⌈H/stride⌉, ⌈W/stride⌉] for x [N, InChannels, H, W].</summary>
    public override Tensor forward(Tensor x)
    {
        ResidualChecks.Input(x, InChannels, conv1.weight.dtype, training, $"BasicBlock({InChannels}→{OutChannels}, stride {Stride})");
        using var scope = torch.NewDisposeScope();
        var y = torch.nn.functional.relu(bn1.forward(conv1.forward(x)));
        y = bn2.forward(conv2.forward(y));
        if (Shortcut) y = y + (downsample is null ? x : downsample.forward(x)); // the shortcut: gradients flow through "+" unchanged
        return torch.nn.functional.relu(y).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ResNet-50+'s block, as torchvision writes it ("v1.5": the stride sits on the 3×3 conv):
/// conv1×1 (in → width) → BN → ReLU → conv3×3 (width → width, stride) → BN → ReLU → conv1×1 (width → width·expansion)
/// → BN, plus the shortcut, then ReLU. The expensive 3×3 conv runs on the narrow width. Names match torchvision
/// (conv1…conv3, bn1…bn3, downsample).
/// </summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;

    /// <summary>A block from <paramref name="inChannels"/> through <paramref name="width"/> to width·<paramref name="expansion"/> channels.</summary>
    public Bottleneck(int inChannels, int width, int stride = 1, int expansion = 4, bool shortcut = true, string name = "Bottleneck") : base(name)
    {
        ResidualChecks.Positive(inChannels, nameof(inChannels));
        ResidualChecks.Positive(width, nameof(width));
        ResidualChecks.Positive(stride, nameof(stride));
        ResidualChecks.Positive(expansion, nameof(expansion));
        (InChannels, Width, Stride, Expansion, Shortcut) = (inChannels, width, stride, expansion, shortcut);
        OutChannels = width * expansion;
        conv1 = Conv2d(inChannels, width, 1, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(width);
        conv3 = Conv2d(width, OutChannels, 1, bias: false);
        bn3 = BatchNorm2d(OutChannels);
        downsample = ResidualChecks.Projection(inChannels, OutChannels, stride, shortcut);
        RegisterComponents();
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels inside the bottleneck (of the 3×3 conv).</summary>
    public int Width { get; }

    /// <summary>Channels of the output: Width·Expansion.</summary>
    public int OutChannels { get; }

    /// <summary>The stride of the 3×3 conv and of the projection.</summary>
    public int Stride { get; }

    /// <summary>How much the last 1×1 conv widens the block (4 in ResNet-50).</summary>
    public int Expansion { get; }

    /// <summary>Whether the block adds its shortcut.</summary>
    public bool Shortcut { get; }

    /// <summary>Whether the shortcut is a 1×1 projection rather than the identity.</summary>
    public bool HasProjection => downsample is not null;

    /// <summary>The block's output [N, Width·Expansion, ⌈H/stride⌉, ⌈W/stride⌉] for x [N, InChannels, H, W].</summary>
    public override Tensor forward(Tensor x)
    {
        ResidualChecks.Input(x, InChannels, conv1.weight.dtype, training, $"Bottleneck({InChannels}→{Width}→{OutChannels}, stride {Stride})");
        using var scope = torch.NewDisposeScope();
        var y = torch.nn.functional.relu(bn1.forward(conv1.forward(x)));
        y = torch.nn.functional.relu(bn2.forward(conv2.forward(y)));
        y = bn3.forward(conv3.forward(y));
        if (Shortcut) y = y + (downsample is null ? x : downsample.forward(x));
        return torch.nn.functional.relu(y).MoveToOuterDisposeScope();
    }
}

/// <summary>What the residual blocks share: argument checks and torchvision's projection shortcut.</summary>
internal static class ResidualChecks
{
    public static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive, got {value}.");
    }

    public static void Input(Tensor x, int channels, ScalarType dtype, bool training, string block)
    {
        ModelInputs.Images(x, channels, dtype, block);
        ModelInputs.BatchForNorm(x, training, block);
    }

    // torchvision's downsample: conv1×1(stride) → BN, only when the identity would not fit (and only with a shortcut).
    public static Sequential? Projection(int inChannels, int outChannels, int stride, bool shortcut) =>
        shortcut && (stride != 1 || inChannels != outChannels)
            ? Sequential(Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), BatchNorm2d(outChannels))
            : null;
}
