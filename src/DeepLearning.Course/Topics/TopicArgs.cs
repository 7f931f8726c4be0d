using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// Argument checks for the topic files: they run before any native call, name the argument and show the value or
/// the tensor shapes, so a learner sees "target is [64] but input is [64, 1]", not a libtorch stack trace.
/// </summary>
internal static class TopicArgs
{
    public static void Finite(double value, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number, got {value}.");
    }

    public static void AtLeast(int value, int minimum, string name)
    {
        if (value < minimum)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be ≥ {minimum}, got {value}.");
    }

    /// <summary>A tensor's shape as PyTorch prints it: [64, 3, 28, 28].</summary>
    public static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";

    public static void SameShape(Tensor a, string nameA, Tensor b, string nameB)
    {
        ArgumentNullException.ThrowIfNull(a, nameA);
        ArgumentNullException.ThrowIfNull(b, nameB);
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException(
                $"{nameA} and {nameB} must have the same shape, but {nameA} is {Shape(a)} and {nameB} is {Shape(b)} (PyTorch would broadcast or fail).", nameB);
    }

    public static void Rank(Tensor t, int rank, string name, string layout)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.dim() != rank)
            throw new ArgumentException($"{name} must be {rank}-D ({layout}), but has shape {Shape(t)}.", name);
    }

    public static void FloatingPoint(Tensor t, string name)
    {
        if (!t.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor, got {t.dtype} of shape {Shape(t)}.", name);
    }

    /// <summary>Class indices: an integer tensor [batch] with every value in [0, classes).</summary>
    public static void ClassIndices(Tensor target, long batch, long classes, string name)
    {
        ArgumentNullException.ThrowIfNull(target, name);
        if (target.is_floating_point() || target.dim() != 1 || target.shape[0] != batch)
            throw new ArgumentException(
                $"{name} must hold one int64 class index per example ([{batch}]), got {target.dtype} of shape {Shape(target)}.", name);
        if (batch == 0) return;
        using var lo = target.min();
        using var hi = target.max();
        long min = lo.item<long>(), max = hi.item<long>();
        if (min < 0 || max >= classes)
            throw new ArgumentOutOfRangeException(name, min < 0 ? min : max, $"{name} holds {(min < 0 ? min : max)}, which is not a class index in [0, {classes}).");
    }
}
