namespace DeepLearning.Scratch.Data;

/// <summary>Train/test splits and minibatches (sklearn's train_test_split and PyTorch's DataLoader, reduced).</summary>
public static class Splits
{
    /// <summary>
    /// Splits <paramref name="data"/> into a training and a test part; the test part holds round(testFraction·N)
    /// examples, or, when <paramref name="stratify"/>, round(testFraction·Nₖ) of each class k so both parts keep the
    /// class proportions. Both parts come out shuffled; the same <paramref name="rng"/> seed gives the same split.
    /// </summary>
    public static (Dataset Train, Dataset Test) TrainTestSplit(Dataset data, double testFraction, Rng rng, bool stratify = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, $"testFraction must be in (0, 1), got {testFraction}.");

        var train = new List<int>();
        var test = new List<int>();
        if (stratify)
        {
            for (int k = 0; k < data.Classes; k++)
            {
                int[] members = [.. Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == k)];
                rng.Shuffle(members.AsSpan());
                int nTest = (int)Math.Round(testFraction * members.Length, MidpointRounding.AwayFromZero);
                test.AddRange(members[..nTest]);
                train.AddRange(members[nTest..]);
            }
        }
        else
        {
            int[] perm = rng.Permutation(data.Count);
            int nTest = (int)Math.Round(testFraction * data.Count, MidpointRounding.AwayFromZero);
            test.AddRange(perm[..nTest]);
            train.AddRange(perm[nTest..]);
        }
        if (train.Count == 0 || test.Count == 0)
            throw new ArgumentException(
                $"testFraction {testFraction} of {data.Count} examples leaves {train.Count} for training and {test.Count} for testing; both need at least one.",
                nameof(testFraction));

        int[] trainIdx = [.. train];
        int[] testIdx = [.. test];
        // Shuffle so neither part is sorted by class (a sorted test set is harmless, a sorted batch stream is not).
        rng.Shuffle(trainIdx.AsSpan());
        rng.Shuffle(testIdx.AsSpan());
        return (Subset(data, trainIdx) with { Name = data.Name + " (train)" },
                Subset(data, testIdx) with { Name = data.Name + " (test)" });
    }

    /// <summary>The examples at <paramref name="indices"/>, in that order, copied (X keeps its example shape).</summary>
    public static Dataset Subset(Dataset data, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(data);
        var x = Gather(data.X, indices, nameof(indices));
        int[] labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++) labels[i] = data.Labels[indices[i]]; // in range: Gather checked them
        return new Dataset(data.Name, x, labels, data.Classes, data.ClassNames);
    }

    /// <summary>
    /// One epoch of minibatches of <paramref name="batchSize"/> (the last may be smaller), in order or, given
    /// <paramref name="shuffle"/>, in a fresh random order drawn now; every example appears exactly once.
    /// </summary>
    public static IEnumerable<(NDArray<float> X, int[] Labels)> Batches(Dataset data, int batchSize, Rng? shuffle = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Check.PositiveInt(batchSize, nameof(batchSize));
        int[] order = Order(data.Count, shuffle);
        return Iterate();

        IEnumerable<(NDArray<float> X, int[] Labels)> Iterate()
        {
            for (int start = 0; start < order.Length; start += batchSize)
            {
                int[] idx = order[start..Math.Min(start + batchSize, order.Length)];
                int[] labels = new int[idx.Length];
                for (int i = 0; i < idx.Length; i++) labels[i] = data.Labels[idx[i]];
                yield return (Gather(data.X, idx, nameof(data)), labels);
            }
        }
    }

    /// <summary>One epoch of regression minibatches (X [b, d], Y [b, 1]); see the classification overload.</summary>
    public static IEnumerable<(NDArray<float> X, NDArray<float> Y)> Batches(RegressionSet data, int batchSize, Rng? shuffle = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Check.PositiveInt(batchSize, nameof(batchSize));
        int[] order = Order(data.Count, shuffle);
        return Iterate();

        IEnumerable<(NDArray<float> X, NDArray<float> Y)> Iterate()
        {
            for (int start = 0; start < order.Length; start += batchSize)
            {
                int[] idx = order[start..Math.Min(start + batchSize, order.Length)];
                yield return (Gather(data.X, idx, nameof(data)), Gather(data.Y, idx, nameof(data)));
            }
        }
    }

    private static int[] Order(int n, Rng? shuffle) => shuffle?.Permutation(n) ?? [.. Enumerable.Range(0, n)];

    /// <summary>Copies the first-dimension slices <paramref name="indices"/> of <paramref name="a"/> into a new array.</summary>
    private static NDArray<float> Gather(NDArray<float> a, ReadOnlySpan<int> indices, string name)
    {
        int n = a.Shape[0];
        int size = n == 0 ? 0 : a.Length / n;
        int[] shape = (int[])a.Shape.Clone();
        shape[0] = indices.Length;
        var result = new NDArray<float>(shape);
        for (int i = 0; i < indices.Length; i++)
        {
            int j = indices[i];
            if ((uint)j >= (uint)n)
                throw new ArgumentOutOfRangeException(name, j, $"{name}[{i}] = {j} is not an example index in [0, {n}).");
            a.Data.AsSpan(j * size, size).CopyTo(result.Data.AsSpan(i * size, size));
        }
        return result;
    }
}
