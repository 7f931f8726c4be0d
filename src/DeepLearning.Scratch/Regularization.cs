using System.Numerics;

namespace DeepLearning.Scratch;

/// <summary>
/// Weight penalties added to the loss, over whichever parameters you pass (often the weights but not the biases).
/// Conventions, chosen so that L2's gradient is exactly what <c>weightDecay = λ</c> adds in SGD/Adam:
/// <list type="bullet">
/// <item>L1 = λ·Σ|w|, ∂/∂w = λ·sign(w) with sign(0) = 0 (torch's abs backward).</item>
/// <item>L2 = (λ/2)·Σw², ∂/∂w = λ·w.</item>
/// </list>
/// Each penalty is a piece like any other: <c>Forward(parameters, λ) → (Loss, Cache)</c>, and <c>Backward(dOut, cache)</c>
/// ADDS dOut·∂penalty/∂w to each <see cref="Parameter{T}.Grad"/>, as autograd accumulates (its inputs are the
/// parameters, so there is no dx to return); call it after the data loss's backward and before the optimizer's step.
/// <c>Value</c> is the bare formula, for charts.
/// </summary>
public static class Regularization
{
    /// <summary>Lasso penalty λ·Σ|w|: pushes weights to exactly zero (sparsity).</summary>
    public static class L1
    {
        /// <summary>λ·Σ|w| over every parameter (summed in double).</summary>
        public static T Value<T>(IReadOnlyList<Parameter<T>> parameters, double lambda) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckArgs(parameters, lambda);
            double sum = 0;
            foreach (var p in parameters)
                foreach (T w in p.Value.Data) sum += Math.Abs(double.CreateChecked(w));
            return T.CreateChecked(lambda * sum);
        }

        /// <summary>What backward needs: the parameters (a copy of the list) and λ.</summary>
        public sealed record Cache<T>(IReadOnlyList<Parameter<T>> Parameters, double Lambda) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The penalty over <paramref name="parameters"/>, and the cache its backward needs.</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(IReadOnlyList<Parameter<T>> parameters, double lambda) where T : unmanaged, IFloatingPointIeee754<T> =>
            (Value(parameters, lambda), new Cache<T>([.. parameters], lambda));

        /// <summary>grad += dOut·λ·sign(w) for every parameter (sign(0) = 0).</summary>
        public static void Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            CheckArgs(cache.Parameters, cache.Lambda);
            T scale = dOut * T.CreateChecked(cache.Lambda);
            foreach (var p in cache.Parameters)
            {
                T[] w = p.Value.Data, dw = p.Grad.Data;
                for (int i = 0; i < w.Length; i++) dw[i] += scale * Sign(w[i]);
            }
        }

        /// <summary>Backward with dOut = 1.</summary>
        public static void Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(T.One, cache);

        // sign(0) = 0, and NaN stays NaN (T.Sign would throw), as torch.sign.
        private static T Sign<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
            T.IsNaN(x) ? x : T.CreateChecked(T.Sign(x));
    }

    /// <summary>Ridge penalty (λ/2)·Σw²: shrinks weights in proportion to their size (weight decay).</summary>
    public static class L2
    {
        /// <summary>(λ/2)·Σw² over every parameter (summed in double).</summary>
        public static T Value<T>(IReadOnlyList<Parameter<T>> parameters, double lambda) where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckArgs(parameters, lambda);
            double sum = 0;
            foreach (var p in parameters)
                foreach (T w in p.Value.Data)
                {
                    double x = double.CreateChecked(w);
                    sum += x * x;
                }
            return T.CreateChecked(lambda / 2 * sum);
        }

        /// <summary>What backward needs: the parameters (a copy of the list) and λ.</summary>
        public sealed record Cache<T>(IReadOnlyList<Parameter<T>> Parameters, double Lambda) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>The penalty over <paramref name="parameters"/>, and the cache its backward needs.</summary>
        public static (T Loss, Cache<T> Cache) Forward<T>(IReadOnlyList<Parameter<T>> parameters, double lambda) where T : unmanaged, IFloatingPointIeee754<T> =>
            (Value(parameters, lambda), new Cache<T>([.. parameters], lambda));

        /// <summary>grad += dOut·λ·w for every parameter.</summary>
        public static void Backward<T>(T dOut, Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(cache);
            CheckArgs(cache.Parameters, cache.Lambda);
            T scale = dOut * T.CreateChecked(cache.Lambda);
            foreach (var p in cache.Parameters)
            {
                T[] w = p.Value.Data, dw = p.Grad.Data;
                for (int i = 0; i < w.Length; i++) dw[i] += scale * w[i];
            }
        }

        /// <summary>Backward with dOut = 1.</summary>
        public static void Backward<T>(Cache<T> cache) where T : unmanaged, IFloatingPointIeee754<T> => Backward(T.One, cache);
    }

    private static void CheckArgs<T>(IReadOnlyList<Parameter<T>> parameters, double lambda) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        for (int i = 0; i < parameters.Count; i++)
            if (parameters[i] is null)
                throw new ArgumentException($"parameters[{i}] is null.", nameof(parameters));
        Check.NonNegative(lambda, nameof(lambda));
    }
}

/// <summary>
/// Early stopping on a validation loss (mode "min"): an epoch improves when valLoss &lt; best − minDelta; after
/// <see cref="Patience"/> epochs in a row without improvement, <see cref="Stopped"/> turns true. It keeps a copy of
/// the parameters from the best epoch so training can end with <see cref="RestoreBest"/>. For a metric to
/// maximise (accuracy), pass its negative. Epochs are counted from 0, one per <see cref="Update"/>.
/// </summary>
public sealed class EarlyStopping<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private NDArray<T>[]? _best;

    /// <summary>Creates the monitor.</summary>
    /// <param name="patience">How many epochs without improvement to tolerate (0 stops at the first one).</param>
    /// <param name="minDelta">How much lower than the best a loss must be to count as an improvement.</param>
    public EarlyStopping(int patience, double minDelta = 0)
    {
        if (patience < 0)
            throw new ArgumentOutOfRangeException(nameof(patience), patience, $"patience must be ≥ 0, got {patience}.");
        Check.NonNegative(minDelta, nameof(minDelta));
        (Patience, MinDelta) = (patience, minDelta);
    }

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>Minimum decrease that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>The lowest validation loss seen (+∞ before the first update).</summary>
    public double BestLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>The epoch of <see cref="BestLoss"/> (−1 before any improvement).</summary>
    public int BestEpoch { get; private set; } = -1;

    /// <summary>How many epochs have been reported.</summary>
    public int Epochs { get; private set; }

    /// <summary>Epochs in a row without improvement.</summary>
    public int BadEpochs { get; private set; }

    /// <summary>True when the last epoch did not improve and <see cref="BadEpochs"/> has reached <see cref="Patience"/>.</summary>
    public bool Stopped => BadEpochs > 0 && BadEpochs >= Patience;

    /// <summary>True when a copy of the best parameters is held.</summary>
    public bool HasBest => _best is not null;

    /// <summary>
    /// Reports one epoch's validation loss; returns true when it improved, in which case the values of
    /// <paramref name="parameters"/> (if given) are copied as the best. A NaN loss never improves.
    /// </summary>
    public bool Update(double valLoss, IReadOnlyList<Parameter<T>>? parameters = null)
    {
        if (parameters is not null) Check.NoNulls(parameters, nameof(parameters)); // before anything is counted
        int epoch = Epochs++;
        if (!(valLoss < BestLoss - MinDelta))
        {
            BadEpochs++;
            return false;
        }
        (BestLoss, BestEpoch, BadEpochs) = (valLoss, epoch, 0);
        if (parameters is not null) _best = [.. parameters.Select(p => p.Value.Clone())];
        return true;
    }

    /// <summary>Reports one epoch (see <see cref="Update"/>) and returns whether training should stop now.</summary>
    public bool ShouldStop(double valLoss, IReadOnlyList<Parameter<T>>? parameters = null)
    {
        Update(valLoss, parameters);
        return Stopped;
    }

    /// <summary>Copies the best epoch's values back into <paramref name="parameters"/> (same list, same shapes).</summary>
    public void RestoreBest(IReadOnlyList<Parameter<T>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (_best is null)
            throw new InvalidOperationException("No best parameters were recorded: pass the parameters to Update/ShouldStop.");
        if (parameters.Count != _best.Length)
            throw new ArgumentException(
                $"parameters has {parameters.Count} entries but {_best.Length} were recorded at the best epoch.", nameof(parameters));
        for (int i = 0; i < _best.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(parameters[i], nameof(parameters));
            if (!parameters[i].Value.SameShape(_best[i]))
                throw new ArgumentException(
                    $"parameters[{i}] ({parameters[i].Name}) has shape {Shapes.Format(parameters[i].Value.Shape)} but the recorded best has {Shapes.Format(_best[i].Shape)}.",
                    nameof(parameters));
        }
        for (int i = 0; i < _best.Length; i++) _best[i].Data.CopyTo(parameters[i].Value.Data, 0);
    }
}
