using System.Globalization;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>What the targets are, which fixes the default loss and whether accuracy is reported.</summary>
public enum TaskKind
{
    /// <summary>Class indices (int64 [N]); cross-entropy on the model's logits [N, classes]; accuracy = argmax hits.</summary>
    Classification,

    /// <summary>0/1 targets (float32 [N, 1]); BCE-with-logits on one logit per example; accuracy = (logit &gt; 0) hits.</summary>
    Binary,

    /// <summary>Real targets (float32 [N, k]); mean squared error; no accuracy.</summary>
    Regression,
}

/// <summary>
/// Inputs X and targets Y as float32/int64 tensors, checked once here so that training never meets a mismatch
/// deep inside native code. Build one with <see cref="From(Dataset, bool)"/>, <see cref="Classification"/>,
/// <see cref="Binary"/> or <see cref="Regression"/>; split it with <see cref="Split"/>; feed it to
/// <see cref="Trainer.Fit"/>. It holds its own aliases of the tensors (never the caller's handles), released by
/// <see cref="Dispose"/>.
/// </summary>
public sealed class TrainData : IDisposable
{
    // Takes ownership of x and y (moved out of any dispose scope: this object disposes them).
    private TrainData(string name, Tensor x, Tensor y, TaskKind task, int? classes)
    {
        Name = name;
        X = x.DetachFromDisposeScope();
        Y = y.DetachFromDisposeScope();
        Task = task;
        Classes = classes;
    }

    /// <summary>A readable name for messages and tables.</summary>
    public string Name { get; }

    /// <summary>Inputs, float32, one example per slice of the first dimension ([N, features] or images [N, C, H, W]).</summary>
    public Tensor X { get; }

    /// <summary>Targets: int64 [N] class indices, or float32 [N, 1] (binary) / [N, k] (regression).</summary>
    public Tensor Y { get; }

    /// <summary>Classification, binary or regression.</summary>
    public TaskKind Task { get; }

    /// <summary>How many classes a classification set has (when known; otherwise the model's output width decides).</summary>
    public int? Classes { get; }

    /// <summary>The number of examples N.</summary>
    public long Count => X.shape[0];

    /// <summary>The shape of one example (X's shape without the first dimension).</summary>
    public long[] ExampleShape => X.shape[1..];

    /// <summary>A classification set: inputs [N, …] and class indices [N] (int32 or int64) in [0, classes).</summary>
    public static TrainData Classification(Tensor x, Tensor labels, int? classes = null, string name = "data")
    {
        CheckInputs(x, labels, nameof(labels));
        using var scope = torch.NewDisposeScope();
        if (labels.dim() != 1)
            throw new ArgumentException($"labels must be 1-D [N] class indices, but have shape {TrainChecks.Format(labels.shape)}.", nameof(labels));
        if (labels.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
            throw new ArgumentException($"labels must be integer class indices (int64), but have dtype {labels.dtype}. For 0/1 float targets use TrainData.Binary, for real targets TrainData.Regression.", nameof(labels));
        if (classes is <= 0)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, $"classes must be ≥ 1, got {classes}.");
        if (labels.shape[0] > 0)
        {
            long min = labels.min().ToInt64(), max = labels.max().ToInt64();
            if (min < 0)
                throw new ArgumentOutOfRangeException(nameof(labels), min, $"labels contain {min}; class indices must be ≥ 0.");
            if (classes is int k && max >= k)
                throw new ArgumentOutOfRangeException(nameof(labels), max, $"labels contain {max}, which is not a class index in [0, {k}).");
        }
        return new TrainData(name, Own(x, ScalarType.Float32), Own(labels, ScalarType.Int64), TaskKind.Classification, classes);
    }

    /// <summary>A binary set: inputs [N, …] and 0/1 targets [N] or [N, 1] (stored as float32 [N, 1]) for BCE-with-logits.</summary>
    public static TrainData Binary(Tensor x, Tensor targets, string name = "data")
    {
        CheckInputs(x, targets, nameof(targets));
        if (!(targets.dim() == 1 || (targets.dim() == 2 && targets.shape[1] == 1)))
            throw new ArgumentException($"targets must be [N] or [N, 1] (one 0/1 target per example), but have shape {TrainChecks.Format(targets.shape)}.", nameof(targets));
        using var scope = torch.NewDisposeScope();
        var y = Own(targets, ScalarType.Float32).reshape(-1, 1);
        double min = y.min().ToDouble(), max = y.max().ToDouble();
        if (!(min >= 0 && max <= 1))
            throw new ArgumentOutOfRangeException(nameof(targets), $"targets must lie in [0, 1] for BCE-with-logits, but range over [{min}, {max}].");
        return new TrainData(name, Own(x, ScalarType.Float32), y, TaskKind.Binary, 2);
    }

    /// <summary>A regression set: inputs [N, …] and real targets [N] or [N, k] (stored as float32 [N, k]; [N] becomes [N, 1]).</summary>
    public static TrainData Regression(Tensor x, Tensor y, string name = "data")
    {
        CheckInputs(x, y, nameof(y));
        if (y.dim() is not (1 or 2))
            throw new ArgumentException($"y must be [N] or [N, k], but has shape {TrainChecks.Format(y.shape)}.", nameof(y));
        if (!y.is_floating_point())
            throw new ArgumentException($"y must hold real numbers, but has dtype {y.dtype}. For class indices use TrainData.Classification.", nameof(y));
        using var scope = torch.NewDisposeScope();
        var owned = Own(y, ScalarType.Float32);
        return new TrainData(name, Own(x, ScalarType.Float32), owned.dim() == 1 ? owned.reshape(-1, 1) : owned, TaskKind.Regression, null);
    }

    /// <summary>
    /// A course dataset as tensors: X keeps the dataset's example shape (flat [N, d], or images [N, C, H, W] after
    /// <see cref="Dataset.AsImages"/>), labels become int64. With <paramref name="binary"/> a two-class set becomes
    /// 0/1 targets for a model with one output (BCE-with-logits) instead of two logits (cross-entropy).
    /// </summary>
    public static TrainData From(Dataset data, bool binary = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (binary && data.Classes != 2)
            throw new ArgumentException($"binary needs a two-class dataset, but {data.Name} has {data.Classes} classes.", nameof(binary));
        using var scope = torch.NewDisposeScope();
        var x = data.X.ToTensor();
        var labels = Bridge.Labels(data.Labels);
        return binary
            ? Binary(x, labels.to_type(ScalarType.Float32), data.Name)
            : Classification(x, labels, data.Classes, data.Name);
    }

    /// <summary>A course regression set (X [N, d], Y [N, 1]) as tensors.</summary>
    public static TrainData From(RegressionSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var scope = torch.NewDisposeScope();
        return Regression(data.X.ToTensor(), data.Y.ToTensor(), data.Name);
    }

    /// <summary>The examples at <paramref name="indices"/>, in that order (copied).</summary>
    public TrainData Subset(ReadOnlySpan<long> indices, string? name = null)
    {
        long n = Count;
        for (int i = 0; i < indices.Length; i++)
            if (indices[i] < 0 || indices[i] >= n)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"indices[{i}] = {indices[i]} is not an example index in [0, {n}).");
        using var scope = torch.NewDisposeScope();
        var idx = torch.tensor(indices.ToArray(), ScalarType.Int64);
        return new TrainData(name ?? Name, X.index_select(0, idx), Y.index_select(0, idx), Task, Classes);
    }

    /// <summary>
    /// Splits off round(fraction·N) examples for validation, or, when <paramref name="stratify"/> (classification
    /// and binary), round(fraction·Nₖ) of each class k so both parts keep the class proportions. Same seed, same
    /// split; it is the same split as the scratch half's <c>Splits.TrainTestSplit(dataset, fraction, new Rng(seed))</c>.
    /// </summary>
    public (TrainData Train, TrainData Validation) Split(double validationFraction, int seed = 0, bool stratify = true)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, $"validationFraction must be in (0, 1), got {validationFraction}.");
        var rng = new Rng((ulong)seed);
        var train = new List<int>();
        var test = new List<int>();
        int n = checked((int)Count);
        if (stratify && Task != TaskKind.Regression)
        {
            int[] labels = Task == TaskKind.Binary ? [.. Y.ToNDArray().Data.Select(v => v > 0.5f ? 1 : 0)] : Y.ToInts();
            int classes = Math.Max(Classes ?? 0, labels.Length == 0 ? 0 : labels.Max() + 1);
            for (int k = 0; k < classes; k++)   // as Splits.TrainTestSplit, draw for draw
            {
                int[] members = [.. Enumerable.Range(0, n).Where(i => labels[i] == k)];
                rng.Shuffle(members.AsSpan());
                int nTest = (int)Math.Round(validationFraction * members.Length, MidpointRounding.AwayFromZero);
                test.AddRange(members[..nTest]);
                train.AddRange(members[nTest..]);
            }
        }
        else
        {
            int[] perm = rng.Permutation(n);
            int nTest = (int)Math.Round(validationFraction * n, MidpointRounding.AwayFromZero);
            test.AddRange(perm[..nTest]);
            train.AddRange(perm[nTest..]);
        }
        if (train.Count == 0 || test.Count == 0)
            throw new ArgumentException(
                $"validationFraction {validationFraction} of {n} examples leaves {train.Count} for training and {test.Count} for validation; both need at least one.",
                nameof(validationFraction));
        int[] trainIdx = [.. train];
        int[] testIdx = [.. test];
        rng.Shuffle(trainIdx.AsSpan());
        rng.Shuffle(testIdx.AsSpan());
        return (Subset([.. trainIdx.Select(i => (long)i)], Name + " (train)"),
                Subset([.. testIdx.Select(i => (long)i)], Name + " (validation)"));
    }

    /// <summary>
    /// TorchSharp's DataLoader over this data (<c>torch.utils.data.TensorDataset(X, Y)</c>): batches are
    /// [x, y] lists, reshuffled every epoch in an order fixed by <paramref name="seed"/>. Dispose it when done.
    /// </summary>
    public IterableDataLoader ToDataLoader(int batchSize, bool shuffle = true, int seed = 0)
    {
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize must be ≥ 1, got {batchSize}.");
        var dataset = torch.utils.data.TensorDataset(X, Y);
        return shuffle
            ? new IterableDataLoader(dataset, batchSize, new EpochShuffler(Count, seed))
            : new IterableDataLoader(dataset, batchSize, shuffle: false);
    }

    /// <summary>Releases this object's tensor handles (the caller's tensors are untouched).</summary>
    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}: {Count} examples, X {TrainChecks.Format(X.shape)}, Y {TrainChecks.Format(Y.shape)} {Y.dtype}, {Task}{(Classes is int k ? $", {k} classes" : "")}");

    private static void CheckInputs(Tensor x, Tensor y, string yName)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y, yName);
        if (x.dim() < 2)
            throw new ArgumentException($"x must be [N, features] or [N, C, H, W] (one example per row), but has shape {TrainChecks.Format(x.shape)}.", nameof(x));
        if (y.dim() == 0 || x.shape[0] != y.shape[0])
            throw new ArgumentException(
                $"x and {yName} must hold the same number of examples, but x is {TrainChecks.Format(x.shape)} ({x.shape[0]} examples) and {yName} is {TrainChecks.Format(y.shape)}.", yName);
        if (x.shape[0] == 0)
            throw new ArgumentException("x holds no examples; training needs at least one.", nameof(x));
        if (!x.is_floating_point())
            throw new ArgumentException($"x must hold real numbers, but has dtype {x.dtype}.", nameof(x));
    }

    // Our own handle on the caller's data: detach() is a new handle on the same storage; a dtype change copies.
    private static Tensor Own(Tensor t, ScalarType dtype) => t.dtype == dtype ? t.detach() : t.detach().to_type(dtype);
}

/// <summary>
/// Per-feature standardisation z = (x − mean) / std with the training set's statistics (population std; 1 for a
/// constant feature), as scikit-learn's StandardScaler. Fit on the training part only, then apply to every part.
/// </summary>
public sealed class Standardizer : IDisposable
{
    private Standardizer(Tensor mean, Tensor std) => (Mean, Std) = (mean, std);

    /// <summary>The per-feature means [1, …].</summary>
    public Tensor Mean { get; }

    /// <summary>The per-feature standard deviations [1, …] (1 where a feature is constant).</summary>
    public Tensor Std { get; }

    /// <summary>Statistics of <paramref name="train"/>'s inputs, per feature (over the examples).</summary>
    public static Standardizer Fit(TrainData train)
    {
        ArgumentNullException.ThrowIfNull(train);
        using var scope = torch.NewDisposeScope();
        var x = train.X.to_type(ScalarType.Float64);
        var mean = x.mean([0], keepdim: true);
        var std = x.std(0, unbiased: false, keepdim: true);
        std = torch.where(std > 0, std, torch.ones_like(std));
        return new Standardizer(mean.to_type(ScalarType.Float32).DetachFromDisposeScope(), std.to_type(ScalarType.Float32).DetachFromDisposeScope());
    }

    /// <summary>The same data with standardised inputs (a new <see cref="TrainData"/>; targets shared).</summary>
    public TrainData Apply(TrainData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!data.ExampleShape.AsSpan().SequenceEqual(Mean.shape.AsSpan(1)))
            throw new ArgumentException($"{data.Name} has examples of shape {TrainChecks.Format(data.ExampleShape)}, but the standardizer was fitted on {TrainChecks.Format(Mean.shape.AsSpan(1))}.", nameof(data));
        using var scope = torch.NewDisposeScope();
        var z = (data.X - Mean) / Std;
        return data.Task switch
        {
            TaskKind.Classification => TrainData.Classification(z, data.Y, data.Classes, data.Name),
            TaskKind.Binary => TrainData.Binary(z, data.Y, data.Name),
            _ => TrainData.Regression(z, data.Y, data.Name),
        };
    }

    /// <summary>Releases the statistics.</summary>
    public void Dispose()
    {
        Mean.Dispose();
        Std.Dispose();
    }
}

/// <summary>
/// The DataLoader's sampler: a fresh permutation every epoch (TorchSharp's seeded FisherYatesShuffler would repeat
/// the same order each epoch), drawn from one seeded stream so a run is reproducible.
/// </summary>
internal sealed class EpochShuffler(long count, int seed) : IEnumerable<long>
{
    private readonly Random _random = new(seed);

    public IEnumerator<long> GetEnumerator()
    {
        long[] order = new long[count];
        for (long i = 0; i < count; i++) order[i] = i;
        _random.Shuffle(order);
        return ((IEnumerable<long>)order).GetEnumerator();
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Small shared formatting and argument checks for the training code.</summary>
internal static class TrainChecks
{
    public static string Format(ReadOnlySpan<long> shape) =>
        "[" + string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    public static void Positive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    public static void NonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    public static void AtLeast(int value, int min, string name)
    {
        if (value < min)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be ≥ {min}, got {value}.");
    }
}
