using System.Globalization;
using System.Text;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;
using ScratchAvgPool = DeepLearning.Scratch.AvgPool2d;
using ScratchConv = DeepLearning.Scratch.Conv2d;
using ScratchMaxPool = DeepLearning.Scratch.MaxPool2d;

namespace DeepLearning.Course;

/// <summary>How much a representation changes when the image moves: ‖f(shifted) − f(x)‖ / ‖f(x)‖, averaged over images.</summary>
/// <param name="Stage">"pixels" (the image itself), then the CNN's stages: "conv1", "pool1", "conv2", "pool2".</param>
/// <param name="RelativeChange">Mean relative change of that representation under the shift.</param>
public sealed record ShiftSensitivity(string Stage, double RelativeChange);

/// <summary>The result of <see cref="Cnn.TranslationSensitivity"/>: one row per stage, pixels first.</summary>
public sealed record TranslationReport(int Images, int Shift, IReadOnlyList<ShiftSensitivity> Stages)
{
    /// <summary>The relative change of the raw pixels.</summary>
    public double Pixels => Stages[0].RelativeChange;

    /// <summary>The relative change of the named stage.</summary>
    public double this[string stage] => Stages.First(s => s.Stage == stage).RelativeChange;

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Shift by {Shift} px, mean relative change over {Images} images:");
        foreach (var s in Stages) sb.Append(CultureInfo.InvariantCulture, $"\n  {s.Stage,-7} {s.RelativeChange:F3}");
        return sb.ToString();
    }
}

/// <summary>Parameters of a dense and a convolutional first layer on S×S images, and of whole models (see <see cref="Cnn.ParameterCounts"/>).</summary>
/// <param name="ImageSize">The side S of the images.</param>
/// <param name="Channels">Input channels C.</param>
/// <param name="DenseLayer">A Linear layer from the C·S² pixels to as many outputs as conv1 has (6·S²): C·S²·6·S² + 6·S².</param>
/// <param name="ConvLayer">LeNet's conv1, six 5×5 filters: 6·C·25 + 6, whatever S is.</param>
/// <param name="MlpModel">LeCun et al.'s 300-100 MLP, Mlp [S², 300, 100, 10] (null unless C = 1 and S is a LeNet size).</param>
/// <param name="LeNetModel">LeNet5(S) (null unless C = 1 and S is a LeNet size).</param>
public sealed record ParameterComparison(int ImageSize, int Channels, long DenseLayer, long ConvLayer, long? MlpModel, long? LeNetModel)
{
    /// <summary>How many times more weights the dense layer needs than the conv layer.</summary>
    public double Ratio => (double)DenseLayer / ConvLayer;

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{ImageSize}×{ImageSize}×{Channels}: dense layer {DenseLayer:N0} vs conv layer {ConvLayer:N0} parameters ({Ratio:N0}×)") +
        (MlpModel is long m && LeNetModel is long l ? string.Create(CultureInfo.InvariantCulture, $"; MLP 300-100 {m:N0} vs LeNet-5 {l:N0}") : "");
}

/// <summary>One stage's feature maps for one image, as plain arrays for charts.</summary>
/// <param name="Stage">"conv1", "pool1", "conv2" or "pool2".</param>
/// <param name="Maps">[C, H, W]: one map per channel.</param>
public sealed record StageMaps(string Stage, NDArray<float> Maps);

/// <summary>Test accuracy of a linear classifier trained on one representation of the images.</summary>
/// <param name="Representation">What the classifier sees, e.g. "raw pixels", "random LeNet features", "trained LeNet features".</param>
/// <param name="Features">The representation's length.</param>
/// <param name="TrainAccuracy">Accuracy on the data it was trained on.</param>
/// <param name="TestAccuracy">Accuracy on held-out data.</param>
public sealed record ProbeResult(string Representation, int Features, double TrainAccuracy, double TestAccuracy);

/// <summary>The feature-extractor experiment: LeNet's own accuracy and linear probes on three representations.</summary>
public sealed record FeatureExtractorReport(double LeNetTestAccuracy, IReadOnlyList<ProbeResult> Probes)
{
    /// <summary>The probe on the named representation.</summary>
    public ProbeResult this[string representation] => Probes.First(p => p.Representation == representation);

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"LeNet-5 itself: test accuracy {LeNetTestAccuracy:P1}. Linear classifier on:");
        foreach (var p in Probes)
            sb.Append(CultureInfo.InvariantCulture, $"\n  {p.Representation,-24} ({p.Features,3} features) train {p.TrainAccuracy:P1}, test {p.TestAccuracy:P1}");
        return sb.ToString();
    }
}

/// <summary>
/// Lesson 9 (convolutional networks): what convolution and pooling buy — few weights whatever the image size,
/// representations that move less when the image moves — and what a trained CNN has learned (filters, feature
/// maps, features good enough for a linear classifier).
/// </summary>
public static class Cnn
{
    /// <summary>
    /// Parameter counts on S×S×C images: a dense layer with as many outputs as LeNet's conv1 against conv1 itself
    /// (why MLPs don't scale to images: the dense count grows as S⁴, the conv count not at all), and for grayscale
    /// LeNet sizes the whole 300-100 MLP against the whole LeNet-5.
    /// </summary>
    public static ParameterComparison ParameterCounts(int imageSize = 28, int channels = 1)
    {
        if (imageSize < 5) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, $"imageSize must be ≥ 5 (a 5×5 filter must fit), got {imageSize}.");
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, $"channels must be ≥ 1, got {channels}.");
        long pixels = (long)channels * imageSize * imageSize, outputs = 6L * imageSize * imageSize;
        long dense = (pixels * outputs) + outputs, conv = (6L * channels * 25) + 6;
        long? mlp = null, lenet = null;
        if (channels == 1 && LeNet5.ImageSizes.Contains(imageSize))
        {
            // TorchSharp 0.107 leaves one temporary alive per Conv2d it builds: the scope takes it.
            using var helperScope = torch.NewDisposeScope();
            using var m = new Mlp([imageSize * imageSize, 300, 100, 10]);
            using var l = new LeNet5(imageSize);
            (mlp, lenet) = (m.ParameterCount(), l.ParameterCount());
        }
        return new ParameterComparison(imageSize, channels, dense, conv, mlp, lenet);
    }

    /// <summary>
    /// Shifts <paramref name="count"/> test digits right by <paramref name="shift"/> pixels (zeros enter on the left)
    /// and measures how much the pixels and each stage of <paramref name="model"/> change, relative to their size.
    /// Convolution is equivariant (the maps shift along, so they change about as much as the pixels); max pooling
    /// keeps a window's maximum wherever in the window it sits, so pooled features change less. Without a model, a
    /// LeNet5 with seeded random weights is used (the effect is architectural, not learned).
    /// </summary>
    public static TranslationReport TranslationSensitivity(LeNet5? model = null, Dataset? images = null, int count = 100, int shift = 1, int seed = 0)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be ≥ 1, got {count}.");
        if (shift < 1) throw new ArgumentOutOfRangeException(nameof(shift), shift, $"shift must be ≥ 1 pixel, got {shift}.");
        torch.manual_seed(seed);
        using var own = model is null ? new LeNet5(images is null ? 28 : ImageSide(images)) : null;
        var net = model ?? own!;
        if (shift >= net.ImageSize)
            throw new ArgumentOutOfRangeException(nameof(shift), shift, $"shift must be smaller than the image ({net.ImageSize} px).");
        var data = images ?? DefaultImages(net.ImageSize)
            ?? throw new ArgumentException($"There are no built-in {net.ImageSize}×{net.ImageSize} digits; pass images of that size.", nameof(images));
        using var scope = torch.NewDisposeScope();
        var x = ImagesTensor(data, net.ImageSize, nameof(images)).narrow(0, 0, Math.Min(count, data.Count));
        var shifted = torch.nn.functional.pad(x, [shift, 0, 0, 0]).narrow(3, 0, net.ImageSize); // move right, zeros in

        using var evalMode = net.EvalMode();
        var rows = new List<ShiftSensitivity> { new("pixels", RelativeChange(x, shifted)) };
        var a = net.Features(x);
        var b = net.Features(shifted);
        for (int s = 0; s < a.Count; s++) rows.Add(new(a[s].Stage, RelativeChange(a[s].Maps, b[s].Maps)));
        return new TranslationReport((int)x.shape[0], shift, rows);
    }

    /// <summary>The first layer's filters as arrays [filters, k, k] (one grayscale kernel each), for a heat-map grid.</summary>
    public static NDArray<float> Filters(LeNet5 model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var w = model.FirstLayerFilters();
        using var squeezed = w.squeeze(1);
        return squeezed.ToNDArray();
    }

    /// <summary>Every stage's feature maps for one image (its S² pixels in any shape), as arrays [C, H, W] for charts.</summary>
    public static IReadOnlyList<StageMaps> FeatureMaps(LeNet5 model, NDArray<float> image)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        int s = model.ImageSize;
        if (image.Length != s * s)
            throw new ArgumentException($"image has shape {Shapes.Format(image.Shape)} ({image.Length} values) but LeNet5({s}) takes {s}×{s} = {s * s} pixels.", nameof(image));
        using var evalMode = model.EvalMode();
        using var scope = torch.NewDisposeScope();
        var stages = model.Features(image.Reshape(1, 1, s, s).ToTensor());
        return [.. stages.Select(st => new StageMaps(st.Stage, st.Maps.squeeze(0).ToNDArray()))];
    }

    /// <summary>Every stage's feature maps for example <paramref name="index"/> of <paramref name="images"/>.</summary>
    public static IReadOnlyList<StageMaps> FeatureMaps(LeNet5 model, Dataset images, int index)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (index < 0 || index >= images.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index must be in [0, {images.Count}) for {images.Name}.");
        var flat = images.Flatten().X;
        return FeatureMaps(model, NDArray.From(flat.Row(index).ToArray(), flat.Shape[1]));
    }

    /// <summary>
    /// Uses a trained CNN as a frozen feature extractor: computes <paramref name="model"/>'s 84 penultimate
    /// activations for every image once (eval mode, no graph, so nothing in the CNN can change), then trains only a
    /// linear classifier on them and reports its accuracy. <paramref name="representation"/> labels the row.
    /// </summary>
    public static ProbeResult LinearProbe(LeNet5 model, Dataset train, Dataset test, string representation = "LeNet features",
        int epochs = 30, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        using var evalMode = model.EvalMode();
        using var scope = torch.NewDisposeScope();
        var fTrain = model.Penultimate(ImagesTensor(train, model.ImageSize, nameof(train)));
        var fTest = model.Penultimate(ImagesTensor(test, model.ImageSize, nameof(test)));
        return Probe(representation, fTrain, Bridge.Labels(train.Labels), fTest, Bridge.Labels(test.Labels), train.Classes, epochs, seed);
    }

    /// <summary>A linear classifier on the raw pixels (multinomial logistic regression): the baseline a probe must beat.</summary>
    public static ProbeResult PixelProbe(Dataset train, Dataset test, int epochs = 30, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        using var scope = torch.NewDisposeScope();
        return Probe("raw pixels", train.Flatten().X.ToTensor(), Bridge.Labels(train.Labels),
            test.Flatten().X.ToTensor(), Bridge.Labels(test.Labels), train.Classes, epochs, seed);
    }

    /// <summary>
    /// The whole feature-extractor lesson in one call, on the 8×8 digits (seeded 80/20 split): trains a LeNet5(8) for
    /// <paramref name="epochs"/> epochs (Adam, lr 0.01), then compares linear classifiers on raw pixels, on an untrained LeNet's
    /// features and on the trained LeNet's features. A few seconds.
    /// </summary>
    public static FeatureExtractorReport FeatureExtractor(int epochs = 8, int seed = 0)
    {
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"epochs must be ≥ 1, got {epochs}.");
        var (train, test) = Splits.TrainTestSplit(Digits.Load8x8(), 0.2, new Rng((ulong)seed));
        // TorchSharp 0.107 leaves one temporary alive per Conv2d it builds: the scope takes it (the nets are local).
        using var helperScope = torch.NewDisposeScope();
        torch.manual_seed(seed);
        using var random = new LeNet5(8);
        using var trained = new LeNet5(8);
        trained.CopyParametersFrom(random); // same starting point: the only difference is training
        double accuracy;
        using (var scope = torch.NewDisposeScope())
        {
            var (x, y) = (ImagesTensor(train, 8, nameof(train)), Bridge.Labels(train.Labels));
            MiniLoop.Fit(trained, x, y, epochs, batchSize: 32, learningRate: 0.01, seed: seed, adam: true);
            accuracy = MiniLoop.Accuracy(trained, ImagesTensor(test, 8, nameof(test)), Bridge.Labels(test.Labels));
        }
        return new FeatureExtractorReport(accuracy,
        [
            PixelProbe(train, test, seed: seed),
            LinearProbe(random, train, test, "random LeNet features", seed: seed),
            LinearProbe(trained, train, test, "trained LeNet features", seed: seed),
        ]);
    }

    // Trains Linear(features → classes) with Adam on standardised features; full-batch (the sets are small).
    private static ProbeResult Probe(string representation, Tensor fTrain, Tensor yTrain, Tensor fTest, Tensor yTest, int classes, int epochs, int seed)
    {
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"epochs must be ≥ 1, got {epochs}.");
        var mean = fTrain.mean([0]);
        var std = fTrain.std(0).clamp_min(1e-6);
        var (a, b) = ((fTrain - mean) / std, (fTest - mean) / std);
        torch.manual_seed(seed);
        using var classifier = torch.nn.Linear(fTrain.shape[1], classes);
        using var optimizer = torch.optim.Adam(classifier.parameters(), 0.05);
        for (int step = 0; step < epochs * 10; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            var loss = torch.nn.functional.cross_entropy(classifier.forward(a), yTrain);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        return new ProbeResult(representation, (int)fTrain.shape[1], MiniLoop.Accuracy(classifier, a, yTrain), MiniLoop.Accuracy(classifier, b, yTest));
    }

    /// <summary>
    /// ∂L/∂out for L = mean(r ⊙ out) with r ~ N(0, 1): a random upstream gradient scaled as a mean-reduced loss's is,
    /// so float32 round-off in the gradients stays well under the parity tolerance of 1e-5.
    /// </summary>
    internal static NDArray<float> MeanLossGradient(int[] shape, Rng rng)
    {
        var r = rng.NormalArray<float>(0, 1, shape);
        float scale = 1f / r.Length;
        for (int i = 0; i < r.Length; i++) r[i] *= scale;
        return r;
    }

    internal static void CheckImageBatch(int batch, int channels, int height, int width)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be ≥ 1, got {batch}.");
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, $"channels must be ≥ 1, got {channels}.");
        if (height < 1) throw new ArgumentOutOfRangeException(nameof(height), height, $"height must be ≥ 1, got {height}.");
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, $"width must be ≥ 1, got {width}.");
    }

    private static double RelativeChange(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        var diff = (b - a).flatten(1).norm(1);
        var size = a.flatten(1).norm(1).clamp_min(1e-12);
        return (diff / size).mean().item<float>();
    }

    private static int ImageSide(Dataset images)
    {
        int features = images.X.Length / Math.Max(images.Count, 1);
        int side = (int)Math.Round(Math.Sqrt(features));
        if (side * side != features)
            throw new ArgumentException($"{images.Name}: examples of shape {Shapes.Format(images.ExampleShape)} are not square grayscale images.", nameof(images));
        return side;
    }

    private static Dataset? DefaultImages(int side) => side switch
    {
        8 => Digits.Load8x8(),
        28 => Digits.Load28x28Split().Test,
        _ => null,
    };

    // The dataset's examples as [N, 1, S, S] float32 (flat rows or images both accepted).
    private static Tensor ImagesTensor(Dataset data, int side, string paramName)
    {
        if (data.X.Length != data.Count * side * side)
            throw new ArgumentException(
                $"{data.Name} has examples of shape {Shapes.Format(data.ExampleShape)}, but the model takes {side}×{side} grayscale images.", paramName);
        return data.X.Reshape(data.Count, 1, side, side).ToTensor();
    }
}

public static partial class Parity
{
    /// <summary>
    /// The from-scratch convolution (im2col + GEMM, and the naive seven-loop definition) against
    /// <c>torch.nn.functional.conv2d</c> + autograd on random x [N, C, H, W], w [F, C, kH, kW], b [F], for the loss
    /// L = mean(r ⊙ out) with a random r: output, ∂L/∂x, ∂L/∂w, ∂L/∂b.
    /// </summary>
    public static ParityReport Conv2d(int batch = 2, int inChannels = 3, int outChannels = 4, int height = 7, int width = 7,
        Size2d? kernel = null, Size2d? stride = null, Size2d padding = default, bool bias = true, int seed = 0)
    {
        var k = kernel ?? 3;
        var s = stride ?? 1;
        Cnn.CheckImageBatch(batch, inChannels, height, width);
        if (outChannels < 1) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, $"outChannels must be ≥ 1, got {outChannels}.");
        if (k.H < 1 || k.W < 1) throw new ArgumentOutOfRangeException(nameof(kernel), k, $"kernel must be positive, got {k}.");
        var rng = new Rng((ulong)seed);
        var x = rng.NormalArray<float>(0, 1, batch, inChannels, height, width);
        var w = rng.NormalArray<float>(0, 1 / Math.Sqrt(inChannels * k.H * k.W), outChannels, inChannels, k.H, k.W);
        var b = bias ? rng.NormalArray<float>(0, 1, outChannels) : null;
        var (y, cache) = ScratchConv.Forward(x, w, b, s, padding); // validates every shape before torch sees them
        var naive = ScratchConv.ForwardNaive(x, w, b, s, padding);
        var dout = Cnn.MeanLossGradient(y.Shape, rng);
        var g = ScratchConv.Backward(dout, cache);

        using var scope = torch.NewDisposeScope();
        var (xt, wt, bt) = (x.ToTensor(requiresGrad: true), w.ToTensor(requiresGrad: true), b?.ToTensor(requiresGrad: true));
        var yt = torch.nn.functional.conv2d(xt, wt, bt, strides: [s.H, s.W], padding: [padding.H, padding.W]);
        yt.backward([dout.ToTensor()]);
        var rows = new List<ParityRow>
        {
            new("output (im2col)", Bridge.MaxAbsDiff(y, yt, "output")),
            new("output (naive loops)", Bridge.MaxAbsDiff(naive, yt, "output")),
            new("∂L/∂x", Bridge.MaxAbsDiff(g.Dx, xt.grad!, "∂L/∂x")),
            new("∂L/∂w", Bridge.MaxAbsDiff(g.Dw, wt.grad!, "∂L/∂w")),
        };
        if (b is not null) rows.Add(new("∂L/∂b", Bridge.MaxAbsDiff(g.Db!, bt!.grad!, "∂L/∂b")));
        return new ParityReport($"conv2d x {Shapes.Format(x.Shape)}, w {Shapes.Format(w.Shape)}, stride {s}, padding {padding}", rows);
    }

    /// <summary>The from-scratch max pooling against <c>functional.max_pool2d</c> + autograd (L = mean(r ⊙ out)): output and ∂L/∂x.</summary>
    public static ParityReport MaxPool2d(Size2d? kernel = null, Size2d? stride = null, Size2d padding = default,
        int batch = 2, int channels = 3, int height = 6, int width = 6, int seed = 0)
    {
        var k = kernel ?? 2;
        var s = stride ?? k;
        Cnn.CheckImageBatch(batch, channels, height, width);
        var rng = new Rng((ulong)seed);
        var x = rng.NormalArray<float>(0, 1, batch, channels, height, width); // continuous values: no ties for the max
        var (y, cache) = ScratchMaxPool.Forward(x, k, s, padding);
        var dout = Cnn.MeanLossGradient(y.Shape, rng);
        var dx = ScratchMaxPool.Backward(dout, cache);

        using var scope = torch.NewDisposeScope();
        var xt = x.ToTensor(requiresGrad: true);
        var yt = torch.nn.functional.max_pool2d(xt, [k.H, k.W], [s.H, s.W], [padding.H, padding.W]);
        yt.backward([dout.ToTensor()]);
        return new ParityReport($"max_pool2d x {Shapes.Format(x.Shape)}, kernel {k}, stride {s}, padding {padding}",
            [new("output", Bridge.MaxAbsDiff(y, yt, "output")), new("∂L/∂x", Bridge.MaxAbsDiff(dx, xt.grad!, "∂L/∂x"))]);
    }

    /// <summary>
    /// The front of LeNet from scratch and in TorchSharp, float32 both: conv (3×3, padding 1) → ReLU → max-pool 2×2 →
    /// conv (3×3), on random x [N, C, H, W], for L = mean(r ⊙ out): output, ∂L/∂x and the convolutions' gradients.
    /// ReLU and max-pool route the gradient by comparisons, and the two sides compute their inputs with different
    /// summation orders (~1e-6 apart): near a kink they may route it differently — a mismatch of size ~1 with both
    /// sides right. So the input is drawn until the scratch forward keeps every kink at least
    /// <paramref name="tieTolerance"/> away (<see cref="NearTies"/>); the report's topic says how many draws that took.
    /// </summary>
    public static ParityReport ConvReluPool(int batch = 2, int inChannels = 2, int hiddenChannels = 4, int outChannels = 3, int size = 8,
        double tieTolerance = NearTies.DefaultTolerance, int seed = 0)
    {
        Cnn.CheckImageBatch(batch, inChannels, size, size);
        if (hiddenChannels < 1) throw new ArgumentOutOfRangeException(nameof(hiddenChannels), hiddenChannels, $"hiddenChannels must be ≥ 1, got {hiddenChannels}.");
        if (outChannels < 1) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, $"outChannels must be ≥ 1, got {outChannels}.");
        if (size < 6) throw new ArgumentOutOfRangeException(nameof(size), size, $"size must be ≥ 6 (pool 2, then a 3×3 convolution), got {size}.");
        if (!(tieTolerance >= 0) || !double.IsFinite(tieTolerance))
            throw new ArgumentOutOfRangeException(nameof(tieTolerance), tieTolerance, $"tieTolerance must be a finite number ≥ 0, got {tieTolerance}.");
        const int MaxDraws = 50;
        var rng = new Rng((ulong)seed);
        var w1 = rng.NormalArray<float>(0, Math.Sqrt(2.0 / (inChannels * 9)), hiddenChannels, inChannels, 3, 3);
        var b1 = rng.NormalArray<float>(0, 0.1, hiddenChannels);
        var w2 = rng.NormalArray<float>(0, Math.Sqrt(2.0 / (hiddenChannels * 9)), outChannels, hiddenChannels, 3, 3);
        for (int draw = 1; draw <= MaxDraws; draw++)
        {
            var x = rng.NormalArray<float>(0, 1, batch, inChannels, size, size);
            var (z, c1) = ScratchConv.Forward(x, w1, b1, 1, 1);
            var (a, reluCache) = Activations.Relu.Forward(z);
            var (p, poolCache) = ScratchMaxPool.Forward(a, 2);
            var (y, c2) = ScratchConv.Forward(p, w2, null);
            double reluMargin, poolMargin;
            using (var check = torch.NewDisposeScope())
            {
                reluMargin = NearTies.ReluMargin(z.ToTensor());
                poolMargin = NearTies.MaxPoolMargin(a.ToTensor(), [2, 2], skipZeroMaxima: true);
            }
            if (NearTies.IsNearTie(reluMargin, tieTolerance) || NearTies.IsNearTie(poolMargin, tieTolerance)) continue;

            var dout = Cnn.MeanLossGradient(y.Shape, rng);
            var g2 = ScratchConv.Backward(dout, c2);
            var da = ScratchMaxPool.Backward(g2.Dx, poolCache);
            var g1 = ScratchConv.Backward(Activations.Relu.Backward(da, reluCache), c1);

            using var scope = torch.NewDisposeScope();
            var (xt, w1t, b1t, w2t) = (x.ToTensor(requiresGrad: true), w1.ToTensor(requiresGrad: true), b1.ToTensor(requiresGrad: true), w2.ToTensor(requiresGrad: true));
            var hidden = torch.nn.functional.relu(torch.nn.functional.conv2d(xt, w1t, b1t, padding: [1, 1]));
            var yt = torch.nn.functional.conv2d(torch.nn.functional.max_pool2d(hidden, [2, 2]), w2t);
            yt.backward([dout.ToTensor()]);
            string redrawn = draw == 1 ? "" : $", input drawn {draw} times to keep kinks ≥ {tieTolerance:G2} away";
            return new ParityReport($"conv → ReLU → max-pool → conv, x {Shapes.Format(x.Shape)}{redrawn}",
            [
                new("output", Bridge.MaxAbsDiff(y, yt, "output")),
                new("∂L/∂x", Bridge.MaxAbsDiff(g1.Dx, xt.grad!, "∂L/∂x")),
                new("∂L/∂w1", Bridge.MaxAbsDiff(g1.Dw, w1t.grad!, "∂L/∂w1")),
                new("∂L/∂b1", Bridge.MaxAbsDiff(g1.Db!, b1t.grad!, "∂L/∂b1")),
                new("∂L/∂w2", Bridge.MaxAbsDiff(g2.Dw, w2t.grad!, "∂L/∂w2")),
            ]);
        }
        throw new InvalidOperationException(
            $"In {MaxDraws} draws of x [{batch}, {inChannels}, {size}, {size}] every forward pass had a ReLU input or a max-pool gap below {tieTolerance:G2}: "
            + "too many values for that tolerance; use a smaller batch or image, or a smaller tieTolerance.");
    }

    /// <summary>The from-scratch average pooling against <c>functional.avg_pool2d</c> + autograd (L = mean(r ⊙ out)): output and ∂L/∂x.</summary>
    public static ParityReport AvgPool2d(Size2d? kernel = null, Size2d? stride = null, Size2d padding = default, bool countIncludePad = true,
        int batch = 2, int channels = 3, int height = 6, int width = 6, int seed = 0)
    {
        var k = kernel ?? 2;
        var s = stride ?? k;
        Cnn.CheckImageBatch(batch, channels, height, width);
        var rng = new Rng((ulong)seed);
        var x = rng.NormalArray<float>(0, 1, batch, channels, height, width);
        var (y, cache) = ScratchAvgPool.Forward(x, k, s, padding, countIncludePad);
        var dout = Cnn.MeanLossGradient(y.Shape, rng);
        var dx = ScratchAvgPool.Backward(dout, cache);

        using var scope = torch.NewDisposeScope();
        var xt = x.ToTensor(requiresGrad: true);
        var yt = torch.nn.functional.avg_pool2d(xt, [k.H, k.W], [s.H, s.W], [padding.H, padding.W], count_include_pad: countIncludePad);
        yt.backward([dout.ToTensor()]);
        return new ParityReport($"avg_pool2d x {Shapes.Format(x.Shape)}, kernel {k}, stride {s}, padding {padding}, count_include_pad {countIncludePad}",
            [new("output", Bridge.MaxAbsDiff(y, yt, "output")), new("∂L/∂x", Bridge.MaxAbsDiff(dx, xt.grad!, "∂L/∂x"))]);
    }
}
