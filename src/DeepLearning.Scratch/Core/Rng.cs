using System.Numerics;

namespace DeepLearning.Scratch;

/// <summary>
/// Seeded, reproducible randomness (xoshiro256** seeded by SplitMix64). The algorithm is fixed here rather than
/// borrowed from <see cref="Random"/>, so a seed gives the same numbers on every .NET version and machine.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>Starts the stream at <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextULong()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer on [0, <paramref name="maxExclusive"/>) without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "maxExclusive must be positive.");
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextULong();
            if (r >= threshold) return (int)(r % bound);
        }
    }

    /// <summary>Uniform on [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double Uniform(double low, double high)
    {
        CheckUniform(low, high);
        return low + ((high - low) * NextDouble());
    }

    /// <summary>Normal(mean, std) by the Box–Muller transform (the second value is kept for the next call).</summary>
    public double Normal(double mean = 0, double std = 1)
    {
        CheckNormal(mean, std);
        if (_spareNormal is double spare)
        {
            _spareNormal = null;
            return mean + (std * spare);
        }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = radius * Math.Sin(2 * Math.PI * u2);
        return mean + (std * radius * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Bernoulli(double p)
    {
        Check.InRange(p, 0, 1, nameof(p), highInclusive: true);
        return NextDouble() < p;
    }

    /// <summary>Shuffles in place (Fisher–Yates).</summary>
    public void Shuffle<TItem>(Span<TItem> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A random permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        Check.NonNegativeInt(n, nameof(n));
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    /// <summary>An array of the given shape with Uniform(low, high) entries.</summary>
    public NDArray<T> UniformArray<T>(double low, double high, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckUniform(low, high);
        var a = new NDArray<T>(shape);
        for (int i = 0; i < a.Length; i++) a.Data[i] = T.CreateChecked(Uniform(low, high));
        return a;
    }

    /// <summary>An array of the given shape with Normal(mean, std) entries.</summary>
    public NDArray<T> NormalArray<T>(double mean, double std, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckNormal(mean, std);
        var a = new NDArray<T>(shape);
        for (int i = 0; i < a.Length; i++) a.Data[i] = T.CreateChecked(Normal(mean, std));
        return a;
    }

    /// <summary>An independent stream derived from this one (for data vs. init vs. dropout).</summary>
    public Rng Fork() => new(NextULong());

    // Checked before any number is drawn, so a rejected call leaves the stream where it was.
    private static void CheckUniform(double low, double high)
    {
        Check.Finite(low, nameof(low));
        Check.Finite(high, nameof(high));
        if (low > high)
            throw new ArgumentException($"Uniform(low, high) needs low ≤ high, got low = {low} > high = {high}.", nameof(low));
        if (!double.IsFinite(high - low))
            throw new ArgumentException($"Uniform({low}, {high}): the width high − low overflows a double.", nameof(high));
    }

    private static void CheckNormal(double mean, double std)
    {
        Check.Finite(mean, nameof(mean));
        Check.NonNegative(std, nameof(std));
    }
}
