using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// Closeness assertions in the numpy.allclose sense, |actual − expected| ≤ atol·scale + rtol·|expected|, with a
/// failure message that names the worst element. The tolerances are the course's contract with PyTorch.
/// scale = max(1, max|expected|): a float32 sum of k terms errs in proportion to the terms' size, not the result's,
/// so an output that cancels to ~0 is judged against the array's magnitude.
/// </summary>
public static class Close
{
    /// <summary>float32 ops against PyTorch: 1e-5 relative (atol covers values that cancel to ~0).</summary>
    public static (double Rtol, double Atol) Float32 => (1e-5, 1e-6);

    /// <summary>float64 ops against PyTorch's float64 results.</summary>
    public static (double Rtol, double Atol) Float64 => (1e-10, 1e-12);

    /// <summary>The tolerance for precision <typeparamref name="T"/>.</summary>
    public static (double Rtol, double Atol) For<T>() => typeof(T) == typeof(float) ? Float32 : Float64;

    /// <summary>Asserts shapes match and every element is close.</summary>
    public static void Assert<T>(NDArray<T> expected, NDArray<T> actual, string what, (double Rtol, double Atol)? tolerance = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (rtol, atol) = tolerance ?? For<T>();
        Xunit.Assert.True(expected.SameShape(actual),
            $"{what}: shape {Shapes.Format(actual.Shape)} but PyTorch gives {Shapes.Format(expected.Shape)}");
        double scale = 1;
        foreach (var v in expected.Data) scale = Math.Max(scale, Math.Abs(double.CreateChecked(v)));
        atol *= scale;
        double worstExcess = double.NegativeInfinity;
        int worst = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected.Data[i]), a = double.CreateChecked(actual.Data[i]);
            double excess = Math.Abs(a - e) - (atol + (rtol * Math.Abs(e)));
            if (double.IsNaN(a) != double.IsNaN(e)) excess = double.PositiveInfinity;
            else if (double.IsNaN(a)) excess = double.NegativeInfinity;
            if (excess > worstExcess) { worstExcess = excess; worst = i; }
        }
        if (worstExcess > 0)
        {
            double e = double.CreateChecked(expected.Data[worst]), a = double.CreateChecked(actual.Data[worst]);
            Xunit.Assert.Fail($"{what}: element {worst} is {a:R}, PyTorch gives {e:R} (|Δ| = {Math.Abs(a - e):E3}, allowed {atol + (rtol * Math.Abs(e)):E3}).");
        }
    }

    /// <summary>Asserts two scalars are close.</summary>
    public static void Scalar(double expected, double actual, string what, double rtol, double atol = 0)
    {
        double allowed = atol + (rtol * Math.Abs(expected));
        Xunit.Assert.True(Math.Abs(actual - expected) <= allowed || (double.IsNaN(actual) && double.IsNaN(expected)),
            $"{what}: {actual:R}, expected {expected:R} (|Δ| = {Math.Abs(actual - expected):E3}, allowed {allowed:E3}).");
    }
}
