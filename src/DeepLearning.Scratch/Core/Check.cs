using System.Numerics;

namespace DeepLearning.Scratch;

/// <summary>
/// Argument checks with messages a learner can act on: they name the argument and show the shapes or values,
/// so a mistake surfaces at the call that made it, not as an index error three loops deeper.
/// </summary>
public static class Check
{
    /// <summary>Throws unless <paramref name="a"/> has exactly <paramref name="rank"/> dimensions.</summary>
    public static void Rank<T>(NDArray<T> a, int rank, string name, string layout = "")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        name ??= "argument";
        layout ??= "";
        ArgumentNullException.ThrowIfNull(a, name);
        if (a.Rank != rank)
            throw new ArgumentException(
                $"{name} must be {rank}-D{(layout.Length > 0 ? $" ({layout})" : "")}, but has shape {Shapes.Format(a.Shape)}.", name);
    }

    /// <summary>Throws unless the two arrays have the same shape.</summary>
    public static void SameShape<T>(NDArray<T> a, string nameA, NDArray<T> b, string nameB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nameA ??= "first argument";
        nameB ??= "second argument";
        ArgumentNullException.ThrowIfNull(a, nameA);
        ArgumentNullException.ThrowIfNull(b, nameB);
        if (!a.SameShape(b))
            throw new ArgumentException(
                $"{nameA} and {nameB} must have the same shape, but {nameA} is {Shapes.Format(a.Shape)} and {nameB} is {Shapes.Format(b.Shape)}.", nameB);
    }

    /// <summary>Throws unless dimension <paramref name="dim"/> of <paramref name="a"/> equals <paramref name="expected"/>.</summary>
    public static void DimEquals<T>(NDArray<T> a, int dim, int expected, string name, string why)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        name ??= "argument";
        ArgumentNullException.ThrowIfNull(a, name);
        if (dim >= a.Rank || dim < -a.Rank)
            throw new ArgumentException(
                $"{name} has shape {Shapes.Format(a.Shape)}, but needs a dimension {dim} of size {expected} ({why}).", name);
        if (a.Dim(dim) != expected)
            throw new ArgumentException(
                $"{name} has shape {Shapes.Format(a.Shape)}, but dimension {dim} must be {expected} ({why}).", name);
    }

    /// <summary>Throws when the array holds no elements (an empty batch).</summary>
    public static void NotEmpty<T>(NDArray<T> a, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        name ??= "argument";
        ArgumentNullException.ThrowIfNull(a, name);
        if (a.Length == 0 || (a.Rank > 0 && a.Shape[0] == 0))
            throw new ArgumentException($"{name} is empty (shape {Shapes.Format(a.Shape)}); a batch needs at least one example.", name);
    }

    /// <summary>Throws unless <paramref name="labels"/> has one class index in [0, classes) per row of a batch of <paramref name="batch"/>.</summary>
    public static void Labels(ReadOnlySpan<int> labels, int batch, int classes, string name)
    {
        name ??= "labels";
        if (classes <= 0)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, $"{name} needs at least one class to index, got {classes} classes.");
        if (labels.Length != batch)
            throw new ArgumentException($"{name} has {labels.Length} labels but the batch has {batch} examples.", name);
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(name, labels[i], $"{name}[{i}] = {labels[i]} is not a class index in [0, {classes}).");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and &gt; 0 (learning rates, deltas, eps).</summary>
    public static void Positive(double value, string name)
    {
        name ??= "value";
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0, got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0 (weight decay, momentum, margins).</summary>
    public static void NonNegative(double value, string name)
    {
        name ??= "value";
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0, got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> lies in [<paramref name="low"/>, <paramref name="high"/>) (or closed when <paramref name="highInclusive"/>).</summary>
    public static void InRange(double value, double low, double high, string name, bool highInclusive = false)
    {
        name ??= "value";
        if (!(low <= high))
            throw new ArgumentException($"The range [{low}, {high}] for {name} is empty or not a range.", nameof(low));
        bool ok = double.IsFinite(value) && value >= low && (highInclusive ? value <= high : value < high);
        if (!ok)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must be in [{low}, {high}{(highInclusive ? "]" : ")")}, got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is a positive integer.</summary>
    public static void PositiveInt(int value, string name)
    {
        name ??= "value";
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive integer, got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is a finite number (a NaN or infinite setting has no meaning).</summary>
    public static void Finite(double value, string name)
    {
        name ??= "value";
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number, got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is ≥ 0 (counts, sizes).</summary>
    public static void NonNegativeInt(int value, string name)
    {
        name ??= "value";
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be ≥ 0, got {value}.");
    }

    /// <summary>Throws unless no entry of <paramref name="items"/> is null (parameter lists).</summary>
    public static void NoNulls<TItem>(IReadOnlyList<TItem?> items, string name) where TItem : class
    {
        name ??= "items";
        ArgumentNullException.ThrowIfNull(items, name);
        for (int i = 0; i < items.Count; i++)
            if (items[i] is null)
                throw new ArgumentException($"{name}[{i}] is null.", name);
    }
}
