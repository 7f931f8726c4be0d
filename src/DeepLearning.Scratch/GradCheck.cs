namespace DeepLearning.Scratch;

/// <summary>The outcome of a gradient check: how far the hand-written gradient is from the numerical one.</summary>
/// <param name="RelativeError">‖analytic − numeric‖ / max(‖analytic‖ + ‖numeric‖, 1e-12) over the checked entries.</param>
/// <param name="MaxAbsoluteError">The largest |analytic − numeric| of a single entry.</param>
/// <param name="WorstIndex">The flat index of that entry.</param>
/// <param name="Checked">How many entries were perturbed.</param>
public sealed record GradCheckResult(double RelativeError, double MaxAbsoluteError, int WorstIndex, int Checked)
{
    /// <summary>True when <see cref="RelativeError"/> is at most <paramref name="tolerance"/>.</summary>
    public bool Passed(double tolerance = 1e-9) => RelativeError <= tolerance;

    /// <inheritdoc/>
    public override string ToString() =>
        $"relative error {RelativeError:E2} (max |Δ| {MaxAbsoluteError:E2} at [{WorstIndex}], {Checked} entries checked)";
}

/// <summary>
/// Finite-difference gradient checking in float64 (CS231n's eval_numerical_gradient, made more accurate).
/// Uses the centered five-point stencil f'(x) ≈ [f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)] / 12h, whose error is
/// O(h⁴): with h = 1e-3 it reaches ~1e-11, so a correct backward scores far below the 1e-9 bar and a wrong one
/// (typically ~1e-2) cannot hide. Keep inputs away from kinks (ReLU at 0, max-pool ties), where no stencil works.
/// </summary>
public static class GradCheck
{
    /// <summary>Numerical gradient of the scalar <paramref name="f"/> with respect to <paramref name="x"/>, entry by entry.</summary>
    /// <param name="f">Recomputes the scalar from the current contents of <paramref name="x"/>.</param>
    /// <param name="x">The array to perturb in place (restored afterwards).</param>
    /// <param name="h">Step size.</param>
    /// <param name="indices">Which flat entries to check; null means all.</param>
    public static NDArray<double> Numeric(Func<double> f, NDArray<double> x, double h = 1e-3, IReadOnlyList<int>? indices = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        Scratch.Check.Positive(h, nameof(h));
        CheckIndices(indices, x);
        var grad = x.ZerosLike();
        int count = indices?.Count ?? x.Length;
        for (int t = 0; t < count; t++)
        {
            int i = indices?[t] ?? t;
            double original = x.Data[i];
            double Eval(double offset)
            {
                x.Data[i] = original + offset;
                return f();
            }
            try
            {
                double fm2 = Eval(-2 * h), fm1 = Eval(-h), fp1 = Eval(h), fp2 = Eval(2 * h);
                grad.Data[i] = (fm2 - (8 * fm1) + (8 * fp1) - fp2) / (12 * h);
            }
            finally
            {
                x.Data[i] = original; // even when f throws: x must come back as it was
            }
        }
        return grad;
    }

    /// <summary>
    /// Checks <paramref name="analytic"/> = ∂f/∂x. With <paramref name="samples"/> only that many random entries
    /// are perturbed (sparse checking, for large layers); <paramref name="rng"/> picks them.
    /// </summary>
    public static GradCheckResult Check(Func<double> f, NDArray<double> x, NDArray<double> analytic,
        double h = 1e-3, int? samples = null, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(analytic);
        Scratch.Check.SameShape(x, nameof(x), analytic, nameof(analytic));
        Scratch.Check.Positive(h, nameof(h));
        if (samples is int requested && requested <= 0)
            throw new ArgumentOutOfRangeException(nameof(samples), requested, $"samples must be a positive number of entries to check, got {requested}.");
        IReadOnlyList<int>? indices = null;
        if (samples is int s && s < x.Length)
        {
            Scratch.Check.PositiveInt(s, nameof(samples));
            indices = (rng ?? new Rng(0)).Permutation(x.Length)[..s];
        }
        var numeric = Numeric(f, x, h, indices);
        return Compare(analytic, numeric, indices);
    }

    /// <summary>
    /// Checks a backward pass for an op with array output: the scalar is Σ dout ⊙ forward(x), whose gradient is
    /// exactly what backward(dout) must return.
    /// </summary>
    public static GradCheckResult CheckOutput(Func<NDArray<double>> forward, NDArray<double> x, NDArray<double> dout,
        NDArray<double> analytic, double h = 1e-3, int? samples = null, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(dout);
        ArgumentNullException.ThrowIfNull(x);
        double Scalar()
        {
            var y = forward();
            Scratch.Check.SameShape(y, "forward output", dout, nameof(dout));
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += y.Data[i] * dout.Data[i];
            return sum;
        }
        return Check(Scalar, x, analytic, h, samples, rng);
    }

    private static void CheckIndices(IReadOnlyList<int>? indices, NDArray<double> x)
    {
        if (indices is null) return;
        for (int t = 0; t < indices.Count; t++)
            if ((uint)indices[t] >= (uint)x.Length)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[t],
                    $"indices[{t}] = {indices[t]} is not an entry of x (shape {Shapes.Format(x.Shape)}, {x.Length} entries).");
    }

    private static GradCheckResult Compare(NDArray<double> analytic, NDArray<double> numeric, IReadOnlyList<int>? indices)
    {
        double diff2 = 0, a2 = 0, n2 = 0, maxAbs = 0;
        int worst = -1, count = indices?.Count ?? analytic.Length;
        for (int t = 0; t < count; t++)
        {
            int i = indices?[t] ?? t;
            double a = analytic.Data[i], n = numeric.Data[i], d = Math.Abs(a - n);
            diff2 += d * d;
            a2 += a * a;
            n2 += n * n;
            if (d > maxAbs || worst < 0 || double.IsNaN(d))
            {
                maxAbs = double.IsNaN(d) ? double.NaN : d;
                worst = i;
            }
        }
        double rel = Math.Sqrt(diff2) / Math.Max(Math.Sqrt(a2) + Math.Sqrt(n2), 1e-12);
        return new GradCheckResult(double.IsNaN(diff2) ? double.NaN : rel, maxAbs, worst, count);
    }
}
