using System.Numerics;
using System.Numerics.Tensors;

namespace DeepLearning.Scratch;

/// <summary>What <see cref="ConvBn{T}.Backward"/> needs: the convolution's and the batch norm's caches.</summary>
public sealed record ConvBnCache<T>(Conv2dCache<T> Conv, BatchNormCache<T> Bn) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>What <see cref="ResidualBlock{T}.Backward"/> needs: every unit's cache, in forward order.</summary>
/// <param name="Main">The conv → BN units of the residual branch F(x).</param>
/// <param name="Relus">The ReLUs between those units (one fewer than <paramref name="Main"/>).</param>
/// <param name="Shortcut">The projection's cache, or null for the identity shortcut.</param>
/// <param name="Out">The final ReLU, applied after the addition.</param>
public sealed record ResidualCache<T>(ConvBnCache<T>[] Main, Activations.Relu.Cache<T>[] Relus, ConvBnCache<T>? Shortcut,
    Activations.Relu.Cache<T> Out) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// A bias-free convolution followed by batch norm: ResNet's repeating unit (the conv needs no bias because the batch
/// norm's β already shifts each channel). Parameters are named as torchvision names them, e.g. conv1.weight, bn1.weight.
/// </summary>
public sealed class ConvBn<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A k×k convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/>, initialised as torchvision's ResNet (He normal, fan-out), then BN with γ = 1, β = 0.</summary>
    public ConvBn(int inChannels, int outChannels, int kernel, int stride, int padding, Rng rng, string convName, string bnName)
    {
        Check.PositiveInt(inChannels, nameof(inChannels));
        Check.PositiveInt(outChannels, nameof(outChannels));
        Check.PositiveInt(kernel, nameof(kernel));
        Check.PositiveInt(stride, nameof(stride));
        Check.NonNegativeInt(padding, nameof(padding));
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(convName);
        ArgumentNullException.ThrowIfNull(bnName);
        // kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = √(2 / (outC·k·k)).
        double std = Math.Sqrt(2.0 / ((double)outChannels * kernel * kernel));
        Conv = new Conv2dLayer<T>(rng.NormalArray<T>(0, std, outChannels, inChannels, kernel, kernel), null, stride, padding, convName);
        Bn = new BatchNorm2d<T>(outChannels, name: bnName);
    }

    /// <summary>The bias-free convolution (its filters, stride and padding).</summary>
    public Conv2dLayer<T> Conv { get; }

    /// <summary>The filters, [outC, inC, k, k].</summary>
    public Parameter<T> Weight => Conv.Weight;

    /// <summary>The batch norm after the convolution (its γ, β and running statistics).</summary>
    public BatchNorm2d<T> Bn { get; }

    /// <summary>The conv weight, then γ and β (state-dict order).</summary>
    public IReadOnlyList<Parameter<T>> Parameters => [Weight, .. Bn.Parameters];

    /// <summary>True when the batch norm is in training mode.</summary>
    public bool Training => Bn.Training;

    /// <summary>Training mode (batch statistics, running ones updated). Returns this unit.</summary>
    public ConvBn<T> Train()
    {
        Bn.Train();
        return this;
    }

    /// <summary>Eval mode (running statistics). Returns this unit.</summary>
    public ConvBn<T> Eval()
    {
        Bn.Eval();
        return this;
    }

    /// <summary>BN(conv(x)), in the batch norm's current mode.</summary>
    public (NDArray<T> Out, ConvBnCache<T> Cache) Forward(NDArray<T> x)
    {
        var (z, conv) = Conv.Forward(x);
        var (y, bn) = Bn.Forward(z);
        return (y, new ConvBnCache<T>(conv, bn));
    }

    /// <summary>Adds the weight's (and γ's, β's) gradients and returns ∂L/∂x.</summary>
    public NDArray<T> Backward(NDArray<T> dout, ConvBnCache<T> cache)
    {
        CheckBackward(dout, cache); // both halves, before either adds to a gradient
        return Conv.Backward(Bn.Backward(dout, cache.Bn), cache.Conv);
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }

    /// <summary>Throws unless <paramref name="cache"/> is this unit's and <paramref name="dout"/> fits it; changes nothing. Returns the input's shape.</summary>
    internal int[] CheckBackward(NDArray<T> dout, ConvBnCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(cache.Conv, "cache.Conv");
        Bn.CheckBackward(dout, cache.Bn);
        Conv.CheckBackward(cache.Bn.Xhat, cache.Conv); // the conv's output is what the batch norm normalised
        return cache.Conv.X.Shape;
    }

    /// <summary>As <see cref="CheckBackward(NDArray{T}, ConvBnCache{T})"/> for a gradient of shape <paramref name="doutShape"/> (no array needed).</summary>
    internal int[] CheckBackward(int[] doutShape, ConvBnCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(cache.Bn, "cache.Bn");
        ArgumentNullException.ThrowIfNull(cache.Bn.Xhat, "cache.Bn.Xhat");
        if (!cache.Bn.Xhat.Shape.AsSpan().SequenceEqual(doutShape))
            throw new ArgumentException(
                $"The gradient reaching {Bn.Gamma.Name[..^".weight".Length]} has shape {Shapes.Format(doutShape)}, but its cache is for an output of shape {Shapes.Format(cache.Bn.Xhat.Shape)}.", nameof(cache));
        return CheckBackward(cache.Bn.Xhat, cache);
    }
}

/// <summary>
/// A ResNet v1 residual block (He et al., 2016): out = ReLU(F(x) + shortcut(x)). F is a stack of conv → BN units
/// with ReLUs between them; the shortcut is x itself, or a 1×1 conv → BN projection when the shape changes. The block
/// only has to learn the residual F(x) = H(x) − x, and in backward the addition hands dout to the shortcut unchanged:
/// a path along which gradients reach early layers without passing through any weight.
/// </summary>
public abstract class ResidualBlock<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ConvBn<T>[] _main;

    /// <summary>A block with residual branch <paramref name="main"/> and an optional projection shortcut.</summary>
    protected ResidualBlock(int inChannels, int outChannels, int stride, ConvBn<T>[] main, ConvBn<T>? downsample)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Stride = stride;
        _main = main;
        Downsample = downsample;
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>The spatial stride (2 halves the height and width).</summary>
    public int Stride { get; }

    /// <summary>The conv → BN units of the residual branch F, in order.</summary>
    public IReadOnlyList<ConvBn<T>> Main => _main;

    /// <summary>The projection shortcut (1×1 conv → BN), or null when the shortcut is the identity.</summary>
    public ConvBn<T>? Downsample { get; }

    /// <summary>True when the block's batch norms are in training mode.</summary>
    public bool Training => _main[0].Training;

    /// <summary>Training mode for every batch norm in the block. Returns this block.</summary>
    public ResidualBlock<T> Train()
    {
        foreach (var unit in Units) unit.Train();
        return this;
    }

    /// <summary>Eval mode for every batch norm in the block. Returns this block.</summary>
    public ResidualBlock<T> Eval()
    {
        foreach (var unit in Units) unit.Eval();
        return this;
    }

    private IEnumerable<ConvBn<T>> Units => Downsample is null ? _main : _main.Append(Downsample);

    /// <summary>Every learnable array, named and ordered as in torchvision's state dict.</summary>
    public IReadOnlyList<Parameter<T>> Parameters =>
        [.. _main.SelectMany(u => u.Parameters), .. Downsample?.Parameters ?? []];

    /// <summary>The batch norms' running statistics, named as in torchvision's state dict (bn1.running_mean, ...).</summary>
    public IReadOnlyList<(string Name, NDArray<T> Value)> Buffers =>
        [.. _main.Append(Downsample).OfType<ConvBn<T>>().SelectMany(u => RunningStats(u))];

    /// <summary>out = ReLU(F(x) + shortcut(x)) for x [N, InChannels, H, W].</summary>
    public (NDArray<T> Out, ResidualCache<T> Cache) Forward(NDArray<T> x)
    {
        Check.Rank(x, 4, nameof(x), "N, C, H, W");
        Check.DimEquals(x, 1, InChannels, nameof(x), $"this block takes {InChannels} input channels");
        var mainCaches = new ConvBnCache<T>[_main.Length];
        var reluCaches = new Activations.Relu.Cache<T>[_main.Length - 1];
        var a = x;
        for (int i = 0; i < _main.Length; i++)
        {
            (a, mainCaches[i]) = _main[i].Forward(a);
            if (i < _main.Length - 1) (a, reluCaches[i]) = Activations.Relu.Forward(a);
        }
        ConvBnCache<T>? shortcutCache = null;
        var shortcut = x;
        if (Downsample is not null) (shortcut, shortcutCache) = Downsample.Forward(x);
        TensorPrimitives.Add(a.Span, shortcut.Span, a.Span); // a is a fresh BN output, safe to overwrite
        var (y, outCache) = Activations.Relu.Forward(a);
        return (y, new ResidualCache<T>(mainCaches, reluCaches, shortcutCache, outCache));
    }

    /// <summary>Adds every parameter's gradient and returns ∂L/∂x = ∂F/∂x·dsum + ∂shortcut/∂x·dsum, dsum = dout ⊙ 1[sum &gt; 0].</summary>
    public NDArray<T> Backward(NDArray<T> dout, ResidualCache<T> cache)
    {
        CheckBackward(dout, cache); // every unit's cache, before any unit adds to a gradient
        var dsum = Activations.Relu.Backward(dout, cache.Out);
        // The addition copies its gradient to both branches.
        var dx = dsum;
        for (int i = _main.Length - 1; i >= 0; i--)
        {
            if (i < _main.Length - 1) dx = Activations.Relu.Backward(dx, cache.Relus[i]);
            dx = _main[i].Backward(dx, cache.Main[i]);
        }
        var dShortcut = Downsample is null ? dsum : Downsample.Backward(dsum, cache.Shortcut!);
        TensorPrimitives.Add(dx.Span, dShortcut.Span, dx.Span);
        return dx;
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }

    // Walks the backward pass's shapes through every cache without computing anything: dout → the final ReLU → each
    // unit of F in reverse (with the ReLUs between them) → x, and dout → the shortcut → x.
    private void CheckBackward(NDArray<T> dout, ResidualCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(cache.Out, "cache.Out");
        Check.SameShape(cache.Out.X, "the block's output", dout, nameof(dout));
        if (cache.Main is null || cache.Relus is null || cache.Main.Length != _main.Length || cache.Relus.Length != _main.Length - 1
            || (cache.Shortcut is null) != (Downsample is null))
            throw new ArgumentException("cache was made by another kind of block: pass the cache this block's Forward returned.", nameof(cache));
        int[] shape = dout.Shape;
        for (int i = _main.Length - 1; i >= 0; i--)
        {
            if (i < _main.Length - 1)
            {
                ArgumentNullException.ThrowIfNull(cache.Relus[i], $"cache.Relus[{i}]");
                ArgumentNullException.ThrowIfNull(cache.Relus[i].X, $"cache.Relus[{i}].X");
                if (!cache.Relus[i].X.Shape.AsSpan().SequenceEqual(shape))
                    throw new ArgumentException($"cache.Relus[{i}] is for shape {Shapes.Format(cache.Relus[i].X.Shape)}, but the gradient there has shape {Shapes.Format(shape)}.", nameof(cache));
            }
            shape = _main[i].CheckBackward(shape, cache.Main[i]);
        }
        int[] shortcut = Downsample is null ? dout.Shape : Downsample.CheckBackward(dout.Shape, cache.Shortcut!);
        if (!shape.AsSpan().SequenceEqual(shortcut))
            throw new ArgumentException(
                $"cache is inconsistent: the residual branch's input has shape {Shapes.Format(shape)} but the shortcut's has {Shapes.Format(shortcut)}.", nameof(cache));
    }

    private static IEnumerable<(string Name, NDArray<T> Value)> RunningStats(ConvBn<T> unit)
    {
        string bn = unit.Bn.Gamma.Name[..^".weight".Length];
        yield return (bn + ".running_mean", unit.Bn.RunningMean);
        yield return (bn + ".running_var", unit.Bn.RunningVar);
    }

    /// <summary>"layer1.0." + "conv1" → "layer1.0.conv1"; an empty prefix gives the bare name.</summary>
    private protected static string Named(string prefix, string name)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return prefix.Length == 0 ? name : $"{prefix}.{name}";
    }

    /// <summary>The projection torchvision uses when the shape changes: 1×1 conv with the block's stride, then BN.</summary>
    private protected static ConvBn<T>? Projection(int inChannels, int outChannels, int stride, Rng rng, string prefix) =>
        stride != 1 || inChannels != outChannels
            ? new ConvBn<T>(inChannels, outChannels, 1, stride, 0, rng, Named(prefix, "downsample.0"), Named(prefix, "downsample.1"))
            : null;
}

/// <summary>
/// ResNet-18/34's block (torchvision's BasicBlock): conv3×3(stride) → BN → ReLU → conv3×3 → BN, plus the shortcut,
/// then ReLU. The stride (and any change of channels) happens in the first conv and in the projection shortcut.
/// </summary>
public sealed class BasicBlock<T> : ResidualBlock<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/>; parameter names start with <paramref name="prefix"/> (e.g. "layer1.0").</summary>
    public BasicBlock(int inChannels, int outChannels, int stride, Rng rng, string prefix = "")
        : base(inChannels, outChannels, stride,
            [
                new ConvBn<T>(inChannels, outChannels, 3, stride, 1, rng, Named(prefix, "conv1"), Named(prefix, "bn1")),
                new ConvBn<T>(outChannels, outChannels, 3, 1, 1, rng, Named(prefix, "conv2"), Named(prefix, "bn2")),
            ],
            Projection(inChannels, outChannels, stride, rng, prefix))
    {
    }
}

/// <summary>
/// ResNet-50+'s block (torchvision's Bottleneck, "ResNet v1.5": the stride sits on the 3×3 conv): conv1×1 squeezes to
/// <c>width</c> channels → BN → ReLU → conv3×3(stride) → BN → ReLU → conv1×1 expands to width·expansion → BN, plus
/// the shortcut, then ReLU. The 3×3 conv, the expensive one, runs on the narrow width.
/// </summary>
public sealed class Bottleneck<T> : ResidualBlock<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A block from <paramref name="inChannels"/> through <paramref name="width"/> to width·<paramref name="expansion"/> channels.</summary>
    public Bottleneck(int inChannels, int width, int stride, Rng rng, int expansion = 4, string prefix = "")
        : base(inChannels, Expanded(width, expansion), stride,
            [
                new ConvBn<T>(inChannels, width, 1, 1, 0, rng, Named(prefix, "conv1"), Named(prefix, "bn1")),
                new ConvBn<T>(width, width, 3, stride, 1, rng, Named(prefix, "conv2"), Named(prefix, "bn2")),
                new ConvBn<T>(width, Expanded(width, expansion), 1, 1, 0, rng, Named(prefix, "conv3"), Named(prefix, "bn3")),
            ],
            Projection(inChannels, Expanded(width, expansion), stride, rng, prefix))
    {
        Width = width;
    }

    /// <summary>Channels inside the bottleneck (of the 3×3 conv).</summary>
    public int Width { get; }

    private static int Expanded(int width, int expansion)
    {
        Check.PositiveInt(width, nameof(width));
        Check.PositiveInt(expansion, nameof(expansion));
        return width * expansion;
    }
}
