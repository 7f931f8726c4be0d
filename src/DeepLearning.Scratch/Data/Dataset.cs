namespace DeepLearning.Scratch.Data;

/// <summary>
/// A labelled classification set: inputs <see cref="X"/> ([N, features] or images [N, C, H, W]) and one class
/// index in [0, <see cref="Classes"/>) per example. Checked on construction, so a loader bug surfaces here; X, Labels
/// and Classes are fixed from then on (a <c>with</c> can rename the set or its classes, and is checked too).
/// </summary>
public sealed record Dataset
{
    private readonly string _name;
    private readonly string[]? _classNames;

    /// <summary>A dataset named <paramref name="Name"/> of inputs <paramref name="X"/> with one label per example.</summary>
    /// <param name="Name">A readable name for plots and messages ("UCI digits 8×8").</param>
    /// <param name="X">Inputs, one example per slice of the first dimension.</param>
    /// <param name="Labels">The class index of each example.</param>
    /// <param name="Classes">How many classes there are.</param>
    /// <param name="ClassNames">Optional names of the classes, indexed by label.</param>
    public Dataset(string Name, NDArray<float> X, int[] Labels, int Classes, string[]? ClassNames = null)
    {
        Validate(X, Labels, Classes);
        _name = CheckName(Name);
        this.X = X;
        this.Labels = Labels;
        this.Classes = Classes;
        _classNames = CheckClassNames(ClassNames, Classes);
    }

    /// <summary>A readable name for plots and messages.</summary>
    public string Name
    {
        get => _name;
        init => _name = CheckName(value);
    }

    /// <summary>Inputs, one example per slice of the first dimension.</summary>
    public NDArray<float> X { get; }

    /// <summary>The class index of each example (validated against <see cref="X"/> and <see cref="Classes"/>).</summary>
    public int[] Labels { get; }

    /// <summary>How many classes there are.</summary>
    public int Classes { get; }

    /// <summary>Optional names of the classes, indexed by label (one per class).</summary>
    public string[]? ClassNames
    {
        get => _classNames;
        init => _classNames = CheckClassNames(value, Classes);
    }

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
        return new Dataset(Name, X.Reshape(Count, channels, height, width), Labels, Classes, ClassNames);
    }

    /// <summary>The same examples as flat rows [N, features] (shares X's data); undoes <see cref="AsImages"/>.</summary>
    public Dataset Flatten() => new(Name, X.Reshape(Count, X.Length / Math.Max(Count, 1)), Labels, Classes, ClassNames);

    /// <summary>How many examples each class has.</summary>
    public int[] ClassCounts()
    {
        int[] counts = new int[Classes];
        for (int i = 0; i < Labels.Length; i++)
        {
            // Labels is an array, so it can be edited after the check at construction; say so rather than crash.
            if ((uint)Labels[i] >= (uint)Classes)
                throw new InvalidOperationException($"Labels[{i}] = {Labels[i]} is not a class index in [0, {Classes}): the labels were changed after the dataset was built.");
            counts[Labels[i]]++;
        }
        return counts;
    }

    /// <summary>The readable name of class <paramref name="label"/> (its number when there are no names).</summary>
    public string ClassName(int label)
    {
        if ((uint)label >= (uint)Classes)
            throw new ArgumentOutOfRangeException(nameof(label), label, $"label {label} is not a class of {Name} (classes 0 to {Classes - 1}).");
        return ClassNames?[label] ?? label.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {Count} examples, X {Shapes.Format(X.Shape)}, {Classes} classes [{string.Join(", ", ClassCounts())}]";

    // Parameters named as the properties they check, so every message names the property.
    private static void Validate(NDArray<float> X, int[] Labels, int Classes)
    {
        ArgumentNullException.ThrowIfNull(X);
        ArgumentNullException.ThrowIfNull(Labels);
        Check.PositiveInt(Classes, nameof(Classes));
        if (X.Rank < 2)
            throw new ArgumentException($"X must be [N, features] or [N, C, H, W], but has shape {Shapes.Format(X.Shape)}.", nameof(X));
        Check.Labels(Labels, X.Shape[0], Classes, nameof(Labels));
    }

    private static string CheckName(string Name) => Name ?? throw new ArgumentNullException(nameof(Name), "A dataset needs a name (it labels plots and messages).");

    private static string[]? CheckClassNames(string[]? ClassNames, int classes)
    {
        if (ClassNames is null) return null;
        if (ClassNames.Length != classes)
            throw new ArgumentException($"ClassNames has {ClassNames.Length} names but there are {classes} classes.", nameof(ClassNames));
        for (int i = 0; i < ClassNames.Length; i++)
            if (ClassNames[i] is null)
                throw new ArgumentException($"ClassNames[{i}] is null.", nameof(ClassNames));
        return ClassNames;
    }
}

/// <summary>A regression set: inputs X [N, d] and targets Y [N, 1], checked on construction and fixed from then on.</summary>
public sealed record RegressionSet
{
    private readonly string _name;

    /// <summary>A regression set named <paramref name="Name"/>.</summary>
    /// <param name="Name">A readable name.</param>
    /// <param name="X">Inputs [N, d].</param>
    /// <param name="Y">Targets [N, 1].</param>
    /// <param name="Outliers">Optionally, which examples a generator corrupted on purpose (for plots and tests).</param>
    public RegressionSet(string Name, NDArray<float> X, NDArray<float> Y, bool[]? Outliers = null)
    {
        Validate(X, Y, Outliers);
        _name = Name ?? throw new ArgumentNullException(nameof(Name));
        (this.X, this.Y, this.Outliers) = (X, Y, Outliers);
    }

    /// <summary>A readable name.</summary>
    public string Name
    {
        get => _name;
        init => _name = value ?? throw new ArgumentNullException(nameof(Name));
    }

    /// <summary>Inputs [N, d].</summary>
    public NDArray<float> X { get; }

    /// <summary>The targets [N, 1] (validated against <see cref="X"/>).</summary>
    public NDArray<float> Y { get; }

    /// <summary>Which examples a generator corrupted on purpose, or null.</summary>
    public bool[]? Outliers { get; }

    /// <summary>The number of examples N.</summary>
    public int Count => X.Shape[0];

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Count} examples, X {Shapes.Format(X.Shape)}, Y {Shapes.Format(Y.Shape)}";

    private static void Validate(NDArray<float> X, NDArray<float> Y, bool[]? Outliers)
    {
        Check.Rank(X, 2, nameof(X), "[N, d]");
        Check.Rank(Y, 2, nameof(Y), "[N, 1]");
        if (Y.Shape[0] != X.Shape[0] || Y.Shape[1] != 1)
            throw new ArgumentException($"Y must be [N, 1] with N = {X.Shape[0]} (X is {Shapes.Format(X.Shape)}), but is {Shapes.Format(Y.Shape)}.", nameof(Y));
        if (Outliers is not null && Outliers.Length != X.Shape[0])
            throw new ArgumentException($"Outliers has {Outliers.Length} flags but there are {X.Shape[0]} examples.", nameof(Outliers));
    }
}
