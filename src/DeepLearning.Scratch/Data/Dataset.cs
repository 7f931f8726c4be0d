namespace DeepLearning.Scratch.Data;

/// <summary>
/// A labelled classification set: inputs <paramref name="X"/> ([N, features] or images [N, C, H, W]) and one class
/// index in [0, <paramref name="Classes"/>) per example. Checked on construction, so a loader bug surfaces here.
/// </summary>
/// <param name="Name">A readable name for plots and messages ("UCI digits 8×8").</param>
/// <param name="X">Inputs, one example per slice of the first dimension.</param>
/// <param name="Labels">The class index of each example.</param>
/// <param name="Classes">How many classes there are.</param>
/// <param name="ClassNames">Optional names of the classes, indexed by label.</param>
public sealed record Dataset(string Name, NDArray<float> X, int[] Labels, int Classes, string[]? ClassNames = null)
{
    /// <summary>The class index of each example (validated against <see cref="X"/> and <see cref="Classes"/>).</summary>
    public int[] Labels { get; init; } = Validate(X, Labels, Classes, ClassNames);

    /// <summary>The number of examples N.</summary>
    public int Count => Labels.Length;

    /// <summary>The shape of one example: X's shape without the first dimension.</summary>
    public int[] ExampleShape => X.Shape[1..];

    /// <summary>The same examples viewed as NCHW images [N, C, H, W] (shares X's data).</summary>
    public Dataset AsImages(int channels, int height, int width)
    {
        int features = X.Length / Math.Max(Count, 1);
        if ((long)channels * height * width != features || channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException(
                $"Cannot view examples of shape {Shapes.Format(ExampleShape)} ({features} values) as images [{channels}, {height}, {width}].",
                nameof(channels));
        return this with { X = X.Reshape(Count, channels, height, width) };
    }

    /// <summary>The same examples as flat rows [N, features] (shares X's data); undoes <see cref="AsImages"/>.</summary>
    public Dataset Flatten() => this with { X = X.Reshape(Count, X.Length / Math.Max(Count, 1)) };

    /// <summary>How many examples each class has.</summary>
    public int[] ClassCounts()
    {
        int[] counts = new int[Classes];
        foreach (int y in Labels) counts[y]++;
        return counts;
    }

    /// <summary>The readable name of class <paramref name="label"/> (its number when there are no names).</summary>
    public string ClassName(int label) => ClassNames?[label] ?? label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {Count} examples, X {Shapes.Format(X.Shape)}, {Classes} classes [{string.Join(", ", ClassCounts())}]";

    private static int[] Validate(NDArray<float> x, int[] labels, int classes, string[]? classNames)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(labels);
        Check.PositiveInt(classes, nameof(classes));
        if (x.Rank < 2)
            throw new ArgumentException($"X must be [N, features] or [N, C, H, W], but has shape {Shapes.Format(x.Shape)}.", nameof(x));
        Check.Labels(labels, x.Shape[0], classes, "Labels");
        if (classNames is not null && classNames.Length != classes)
            throw new ArgumentException($"ClassNames has {classNames.Length} names but there are {classes} classes.", nameof(classNames));
        return labels;
    }
}

/// <summary>A regression set: inputs X [N, d] and targets Y [N, 1].</summary>
/// <param name="Name">A readable name.</param>
/// <param name="X">Inputs [N, d].</param>
/// <param name="Y">Targets [N, 1].</param>
/// <param name="Outliers">Optionally, which examples a generator corrupted on purpose (for plots and tests).</param>
public sealed record RegressionSet(string Name, NDArray<float> X, NDArray<float> Y, bool[]? Outliers = null)
{
    /// <summary>The targets (validated against <see cref="X"/>).</summary>
    public NDArray<float> Y { get; init; } = Validate(X, Y, Outliers);

    /// <summary>The number of examples N.</summary>
    public int Count => X.Shape[0];

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Count} examples, X {Shapes.Format(X.Shape)}, Y {Shapes.Format(Y.Shape)}";

    private static NDArray<float> Validate(NDArray<float> x, NDArray<float> y, bool[]? outliers)
    {
        Check.Rank(x, 2, nameof(x), "[N, d]");
        Check.Rank(y, 2, nameof(y), "[N, 1]");
        if (y.Shape[0] != x.Shape[0] || y.Shape[1] != 1)
            throw new ArgumentException($"Y must be [N, 1] with N = {x.Shape[0]} (X is {Shapes.Format(x.Shape)}), but is {Shapes.Format(y.Shape)}.", nameof(y));
        if (outliers is not null && outliers.Length != x.Shape[0])
            throw new ArgumentException($"Outliers has {outliers.Length} flags but there are {x.Shape[0]} examples.", nameof(outliers));
        return y;
    }
}
