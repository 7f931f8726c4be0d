using System.Numerics;

namespace DeepLearning.Scratch;

/// <summary>Which fan Kaiming initialisation preserves: forward activations (fan_in) or backward gradients (fan_out).</summary>
public enum FanMode
{
    /// <summary>Var(w) = gain² / fan_in: keeps the forward pass's variance.</summary>
    FanIn,

    /// <summary>Var(w) = gain² / fan_out: keeps the backward pass's variance.</summary>
    FanOut,
}

/// <summary>
/// Weight initialisation as torch.nn.init defines it: gains, fans, Xavier/Glorot and Kaiming/He, and the default
/// init of nn.Linear and nn.Conv2d. Every filler takes an <see cref="Rng"/> (PyTorch's random stream cannot be
/// reproduced, only its distributions) and returns the array it filled. The <c>…Bound</c>/<c>…Std</c> functions
/// give the distribution's parameters without sampling, for plots and tests.
/// </summary>
public static class Init
{
    private static readonly string[] LinearFns =
        ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"];

    /// <summary>
    /// The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): 1 for linear/conv*/sigmoid,
    /// 5/3 for tanh, √2 for relu, √(2 / (1 + a²)) for leaky_relu (a = <paramref name="param"/>, default 0.01), 3/4 for selu.
    /// </summary>
    public static double CalculateGain(string nonlinearity, double? param = null)
    {
        ArgumentNullException.ThrowIfNull(nonlinearity);
        if (LinearFns.Contains(nonlinearity) || nonlinearity == "sigmoid") return 1;
        switch (nonlinearity)
        {
            case "tanh": return 5.0 / 3;
            case "relu": return Math.Sqrt(2.0);
            case "leaky_relu":
                double a = param ?? 0.01;
                if (!double.IsFinite(a))
                    throw new ArgumentOutOfRangeException(nameof(param), a, $"negative_slope {a} is not a valid number.");
                return Math.Sqrt(2.0 / (1 + (a * a)));
            case "selu": return 3.0 / 4;
            default:
                throw new ArgumentException(
                    $"Unsupported nonlinearity '{nonlinearity}'; use one of {string.Join(", ", LinearFns)}, sigmoid, tanh, relu, leaky_relu, selu.",
                    nameof(nonlinearity));
        }
    }

    /// <summary>
    /// fan_in and fan_out as torch computes them: for [out, in] they are (in, out); for conv weights
    /// [outC, inC, k…] both are multiplied by the receptive field size Πk.
    /// </summary>
    public static (int FanIn, int FanOut) Fans(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length < 2)
            throw new ArgumentException(
                $"Fan in and fan out need a weight of at least 2 dimensions ([out, in] or [outC, inC, kH, kW]), got shape {Shapes.Format(shape)}.", nameof(shape));
        foreach (int d in shape)
            if (d < 0)
                throw new ArgumentException($"Dimensions must be non-negative, got shape {Shapes.Format(shape)}.", nameof(shape));
        long receptive = 1;
        for (int d = 2; d < shape.Length; d++) receptive = Math.Min(receptive * shape[d], int.MaxValue + 1L); // saturates
        long fanIn = shape[1] * receptive, fanOut = shape[0] * receptive;
        if (fanIn > int.MaxValue || fanOut > int.MaxValue)
            throw new ArgumentException($"The fans of a weight of shape {Shapes.Format(shape)} ({fanIn}, {fanOut}) do not fit an int.", nameof(shape));
        return ((int)fanIn, (int)fanOut);
    }

    /// <summary>The fan Kaiming uses for <paramref name="mode"/>.</summary>
    public static int Fan(int[] shape, FanMode mode)
    {
        var (fanIn, fanOut) = Fans(shape);
        return mode switch
        {
            FanMode.FanIn => fanIn,
            FanMode.FanOut => fanOut,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, $"Unknown fan mode {mode}."),
        };
    }

    /// <summary>Xavier/Glorot uniform bound: gain·√(6 / (fan_in + fan_out)).</summary>
    public static double XavierUniformBound(int[] shape, double gain = 1)
    {
        Check.Finite(gain, nameof(gain));
        var (fanIn, fanOut) = Fans(shape);
        return gain * Math.Sqrt(6.0 / PositiveFan((double)fanIn + fanOut, shape, "fan_in + fan_out"));
    }

    /// <summary>Xavier/Glorot normal std: gain·√(2 / (fan_in + fan_out)).</summary>
    public static double XavierNormalStd(int[] shape, double gain = 1)
    {
        Check.Finite(gain, nameof(gain));
        var (fanIn, fanOut) = Fans(shape);
        return gain * Math.Sqrt(2.0 / PositiveFan((double)fanIn + fanOut, shape, "fan_in + fan_out"));
    }

    /// <summary>Kaiming/He std: gain / √fan, with gain = CalculateGain(nonlinearity, a).</summary>
    public static double KaimingStd(int[] shape, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu") =>
        CalculateGain(nonlinearity, a) / Math.Sqrt(PositiveFan(Fan(shape, mode), shape, mode == FanMode.FanIn ? "fan_in" : "fan_out"));

    // A zero fan (a weight with a zero dimension) would make the bound or std infinite; PyTorch raises here too.
    private static double PositiveFan(double fan, int[] shape, string which)
    {
        if (fan <= 0)
            throw new ArgumentException($"A weight of shape {Shapes.Format(shape)} has {which} = {fan}, so the initialisation's scale (÷ √{which}) is undefined.", nameof(shape));
        return fan;
    }

    /// <summary>Kaiming/He uniform bound: √3 · std (a uniform with that std).</summary>
    public static double KaimingUniformBound(int[] shape, double a = 0, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu") =>
        Math.Sqrt(3.0) * KaimingStd(shape, a, mode, nonlinearity);

    /// <summary>The bound of PyTorch's default Linear/Conv init, 1/√fan_in (kaiming_uniform with a = √5 gives exactly this).</summary>
    public static double DefaultBound(int[] shape)
    {
        int fanIn = Fans(shape).FanIn;
        return fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
    }

    /// <summary>Fills <paramref name="w"/> with U(−bound, bound), bound = gain·√(6 / (fan_in + fan_out)).</summary>
    public static NDArray<T> XavierUniform<T>(NDArray<T> w, Rng rng, double gain = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArgs(w, rng);
        Check.Positive(gain, nameof(gain));
        return Uniform(w, rng, XavierUniformBound(w.Shape, gain));
    }

    /// <summary>Fills <paramref name="w"/> with N(0, std²), std = gain·√(2 / (fan_in + fan_out)).</summary>
    public static NDArray<T> XavierNormal<T>(NDArray<T> w, Rng rng, double gain = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArgs(w, rng);
        Check.Positive(gain, nameof(gain));
        return Normal(w, rng, XavierNormalStd(w.Shape, gain));
    }

    /// <summary>Fills <paramref name="w"/> with U(−bound, bound), bound = gain·√(3 / fan); torch's defaults (a = 0, fan_in, leaky_relu → gain √2).</summary>
    public static NDArray<T> KaimingUniform<T>(NDArray<T> w, Rng rng, double a = 0, FanMode mode = FanMode.FanIn,
        string nonlinearity = "leaky_relu") where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArgs(w, rng);
        return Uniform(w, rng, KaimingUniformBound(w.Shape, a, mode, nonlinearity));
    }

    /// <summary>Fills <paramref name="w"/> with N(0, std²), std = gain / √fan; torch's defaults.</summary>
    public static NDArray<T> KaimingNormal<T>(NDArray<T> w, Rng rng, double a = 0, FanMode mode = FanMode.FanIn,
        string nonlinearity = "leaky_relu") where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArgs(w, rng);
        return Normal(w, rng, KaimingStd(w.Shape, a, mode, nonlinearity));
    }

    /// <summary>Fills <paramref name="w"/> with zeros.</summary>
    public static NDArray<T> Zeros<T>(NDArray<T> w) where T : unmanaged, IFloatingPointIeee754<T> => Constant(w, 0);

    /// <summary>Fills <paramref name="w"/> with <paramref name="value"/>.</summary>
    public static NDArray<T> Constant<T>(NDArray<T> w, double value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Span.Fill(T.CreateChecked(value));
        return w;
    }

    /// <summary>
    /// nn.Linear's default init (reset_parameters): weight [out, in] by kaiming_uniform(a = √5), which is
    /// U(±1/√fan_in), and bias [out] by U(±1/√fan_in).
    /// </summary>
    public static void LinearDefault<T>(NDArray<T> weight, NDArray<T>? bias, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Rank(weight, 2, nameof(weight), "[out, in]");
        DefaultInit(weight, bias, rng);
    }

    /// <summary>nn.Conv2d's default init: weight [outC, inC, kH, kW] by kaiming_uniform(a = √5) = U(±1/√fan_in), bias [outC] alike, fan_in = inC·kH·kW.</summary>
    public static void Conv2dDefault<T>(NDArray<T> weight, NDArray<T>? bias, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check.Rank(weight, 4, nameof(weight), "[outC, inC, kH, kW]");
        DefaultInit(weight, bias, rng);
    }

    private static void DefaultInit<T>(NDArray<T> weight, NDArray<T>? bias, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckArgs(weight, rng);
        if (bias is not null)
        {
            Check.Rank(bias, 1, nameof(bias), "[out]");
            Check.DimEquals(bias, 0, weight.Dim(0), nameof(bias), $"one bias per output of weight {Shapes.Format(weight.Shape)}");
        }
        KaimingUniform(weight, rng, a: Math.Sqrt(5));
        if (bias is not null) Uniform(bias, rng, DefaultBound(weight.Shape));
    }

    private static NDArray<T> Uniform<T>(NDArray<T> w, Rng rng, double bound) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < w.Length; i++) w.Data[i] = T.CreateChecked(rng.Uniform(-bound, bound));
        return w;
    }

    private static NDArray<T> Normal<T>(NDArray<T> w, Rng rng, double std) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < w.Length; i++) w.Data[i] = T.CreateChecked(rng.Normal(0, std));
        return w;
    }

    private static void CheckArgs<T>(NDArray<T> w, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(rng);
        if (w.Rank < 2)
            throw new ArgumentException(
                $"{nameof(w)} must be a weight of at least 2 dimensions ([out, in] or [outC, inC, kH, kW]) to have fans, but has shape {Shapes.Format(w.Shape)}.", nameof(w));
    }
}
