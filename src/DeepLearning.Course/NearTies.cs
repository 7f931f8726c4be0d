using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// How close a forward pass came to a kink where the gradient jumps: a ReLU input near 0, or a max-pool window whose two
/// largest values are nearly equal. Two float32 implementations of the same forward (scratch and TorchSharp, or float32
/// and float64) round differently by ~1e-6 on values of size 1; at a kink closer than that they can take different
/// branches, and the backward pass then routes a whole gradient to another cell. That is a mismatch of size 1 between
/// two correct implementations, so a parity check through ReLU or max-pool must first make sure no kink is that close.
/// </summary>
public static class NearTies
{
    /// <summary>
    /// A margin below this (on values of size ~1) counts as a near tie: 100× the float32 round-off that two
    /// implementations of conv → ReLU → pool differ by.
    /// </summary>
    public const double DefaultTolerance = 1e-4;

    /// <summary>The smallest |z| over the inputs z of a ReLU (+∞ for an empty tensor): how close any unit came to switching.</summary>
    public static double ReluMargin(Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        TopicArgs.FloatingPoint(z, nameof(z));
        if (z.numel() == 0) return double.PositiveInfinity;
        using var scope = torch.NewDisposeScope();
        return z.detach().to_type(ScalarType.Float64).abs().min().item<double>();
    }

    /// <summary>
    /// The smallest gap between the largest and the second-largest value of any max-pool window of x [N, C, H, W]
    /// (padding counts as −∞, as in max_pool2d; a window with one value has gap +∞). With
    /// <paramref name="skipZeroMaxima"/> (x is a ReLU's output, whose own margin is checked with <see cref="ReluMargin"/>),
    /// windows whose maximum is 0 are skipped: their cells all had z ≤ 0, so no gradient flows whichever one is picked.
    /// </summary>
    public static double MaxPoolMargin(Tensor x, long[] kernel, long[]? stride = null, long[]? padding = null, bool skipZeroMaxima = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(kernel);
        TopicArgs.FloatingPoint(x, nameof(x));
        if (x.dim() != 4)
            throw new ArgumentException($"x must be [N, C, H, W], got shape {TopicArgs.Shape(x)}.", nameof(x));
        stride ??= kernel;
        padding ??= [0, 0];
        if (kernel.Length != 2 || stride.Length != 2 || padding.Length != 2 || kernel.Any(k => k < 1) || stride.Any(s => s < 1) || padding.Any(p => p < 0))
            throw new ArgumentException(
                $"kernel, stride and padding need two entries each (kernel, stride ≥ 1, padding ≥ 0), got kernel [{string.Join(", ", kernel)}], stride [{string.Join(", ", stride)}], padding [{string.Join(", ", padding)}].",
                nameof(kernel));
        if (kernel[0] * kernel[1] == 1) return double.PositiveInfinity;
        using var scope = torch.NewDisposeScope();
        var padded = torch.nn.functional.pad(x.detach().to_type(ScalarType.Float64), [padding[1], padding[1], padding[0], padding[0]],
            value: double.NegativeInfinity);
        if (padded.shape[2] < kernel[0] || padded.shape[3] < kernel[1])
            throw new ArgumentException($"x of shape {TopicArgs.Shape(x)} (padded by [{string.Join(", ", padding)}]) is smaller than the kernel [{string.Join(", ", kernel)}].", nameof(x));
        var windows = padded.unfold(2, kernel[0], stride[0]).unfold(3, kernel[1], stride[1]).flatten(4);
        var top = windows.topk(2, dim: -1).values;
        var first = top.select(-1, 0);
        var gap = first - top.select(-1, 1);                          // +∞ when the runner-up is padding
        if (skipZeroMaxima) gap = gap.masked_fill(first.le(0), double.PositiveInfinity);
        return gap.min().item<double>();
    }

    /// <summary>Throws unless <paramref name="tolerance"/> is a finite number ≥ 0 (0 turns a guard off).</summary>
    public static void CheckTolerance(double tolerance, string name)
    {
        if (!(tolerance >= 0) || !double.IsFinite(tolerance))
            throw new ArgumentOutOfRangeException(name, tolerance, $"{name} must be a finite number ≥ 0, got {tolerance}.");
    }

    /// <summary>True when a margin from <see cref="ReluMargin"/> or <see cref="MaxPoolMargin"/> is below <paramref name="tolerance"/>.</summary>
    public static bool IsNearTie(double margin, double tolerance = DefaultTolerance) => !(margin >= tolerance);
}
