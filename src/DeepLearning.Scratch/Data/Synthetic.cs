namespace DeepLearning.Scratch.Data;

/// <summary>
/// Seeded toy datasets (float32) for the early lessons: each is small, 2-D where it can be plotted, and built so its
/// shape is exactly what the lesson needs (XOR for "a line is not enough", moons and circles for decision
/// boundaries, spirals for depth, a noisy line with outliers for MSE vs MAE vs Huber). Examples come out shuffled.
/// </summary>
public static class Synthetic
{
    /// <summary>
    /// XOR: points uniform in the four quadrants of [-1, 1]², exactly n/4 per quadrant (±1), label 1 when x₁ and x₂
    /// have different signs (x₁·x₂ &lt; 0), else 0; Gaussian noise of std <paramref name="noise"/> is then added to x.
    /// </summary>
    public static Dataset Xor(int n, double noise, Rng rng)
    {
        Validate(n, 4, noise, rng);
        var x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++)
        {
            // Quadrant i % 4 keeps the four quadrants, hence the two classes, balanced.
            int sx = (i & 1) == 0 ? 1 : -1, sy = (i & 2) == 0 ? 1 : -1;
            double x1 = sx * rng.NextDouble(), x2 = sy * rng.NextDouble();
            y[i] = sx * sy < 0 ? 1 : 0;
            x[2 * i] = (float)(x1 + rng.Normal(0, noise));
            x[(2 * i) + 1] = (float)(x2 + rng.Normal(0, noise));
        }
        return Shuffled("XOR", x, y, 2, rng);
    }

    /// <summary>
    /// Two interleaving half circles, as sklearn's make_moons: n/2 points (rounded down) on the upper unit half circle
    /// (label 0), the rest on a lower half circle shifted to (1, 0.5) (label 1), evenly spaced; then Gaussian noise.
    /// </summary>
    public static Dataset TwoMoons(int n, double noise, Rng rng)
    {
        Validate(n, 2, noise, rng);
        int nOuter = n / 2, nInner = n - nOuter;
        var x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++)
        {
            bool outer = i < nOuter;
            int m = outer ? nOuter : nInner, j = outer ? i : i - nOuter;
            double t = m == 1 ? 0 : Math.PI * j / (m - 1); // np.linspace(0, π, m)
            double x1 = outer ? Math.Cos(t) : 1 - Math.Cos(t);
            double x2 = outer ? Math.Sin(t) : 1 - Math.Sin(t) - 0.5;
            y[i] = outer ? 0 : 1;
            x[2 * i] = (float)(x1 + rng.Normal(0, noise));
            x[(2 * i) + 1] = (float)(x2 + rng.Normal(0, noise));
        }
        return Shuffled("two moons", x, y, 2, rng);
    }

    /// <summary>
    /// Two concentric circles, as sklearn's make_circles: n/2 points (rounded down) evenly spaced on the unit circle
    /// (label 0), the rest on a circle of radius <paramref name="factor"/> in [0, 1) (label 1); then Gaussian noise.
    /// </summary>
    public static Dataset Circles(int n, double noise, double factor, Rng rng)
    {
        Validate(n, 2, noise, rng);
        Check.InRange(factor, 0, 1, nameof(factor));
        int nOuter = n / 2, nInner = n - nOuter;
        var x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++)
        {
            bool outer = i < nOuter;
            int m = outer ? nOuter : nInner, j = outer ? i : i - nOuter;
            double t = 2 * Math.PI * j / m; // np.linspace(0, 2π, m, endpoint=False)
            double r = outer ? 1 : factor;
            y[i] = outer ? 0 : 1;
            x[2 * i] = (float)((r * Math.Cos(t)) + rng.Normal(0, noise));
            x[(2 * i) + 1] = (float)((r * Math.Sin(t)) + rng.Normal(0, noise));
        }
        return Shuffled("circles", x, y, 2, rng);
    }

    /// <summary>
    /// CS231n's spiral: <paramref name="classes"/> arms, about n/classes points each (counts differ by at most one).
    /// Point j of arm k of m points has radius r = j/(m−1) and angle θ = 4k + 4r + noise·N(0, 1); x = (r·sin θ, r·cos θ).
    /// </summary>
    public static Dataset Spirals(int n, int classes, double noise, Rng rng)
    {
        Check.PositiveInt(classes, nameof(classes));
        Validate(n, classes, noise, rng);
        var x = new float[n * 2];
        int[] y = new int[n];
        int i = 0;
        for (int k = 0; k < classes; k++)
        {
            int m = (n / classes) + (k < n % classes ? 1 : 0);
            for (int j = 0; j < m; j++, i++)
            {
                double r = m == 1 ? 0 : (double)j / (m - 1);     // np.linspace(0, 1, m)
                double theta = (4 * k) + (4 * r) + rng.Normal(0, noise); // np.linspace(4k, 4(k+1), m) + noise
                y[i] = k;
                x[2 * i] = (float)(r * Math.Sin(theta));
                x[(2 * i) + 1] = (float)(r * Math.Cos(theta));
            }
        }
        return Shuffled("spirals", x, y, classes, rng);
    }

    /// <summary>
    /// Points on y = slope·x + intercept with x uniform on [-1, 1] and Gaussian noise of std <paramref name="noise"/>;
    /// then exactly round(outlierFraction·n) of them, chosen at random, are pushed up by U(5, 10)·(1 + |slope|) —
    /// far above the whole line — the one-sided outliers that drag an MSE fit but barely move MAE or Huber.
    /// </summary>
    public static RegressionSet NoisyLine(int n, double slope, double intercept, double noise, double outlierFraction, Rng rng)
    {
        Validate(n, 1, noise, rng, features: 1);
        if (!double.IsFinite(slope)) throw new ArgumentOutOfRangeException(nameof(slope), slope, "slope must be finite.");
        if (!double.IsFinite(intercept)) throw new ArgumentOutOfRangeException(nameof(intercept), intercept, "intercept must be finite.");
        Check.InRange(outlierFraction, 0, 1, nameof(outlierFraction), highInclusive: true);
        var x = new NDArray<float>([n, 1]);
        var y = new NDArray<float>([n, 1]);
        for (int i = 0; i < n; i++)
        {
            double xi = rng.Uniform(-1, 1);
            x[i] = (float)xi;
            y[i] = (float)((slope * xi) + intercept + rng.Normal(0, noise));
        }
        bool[] outliers = new bool[n];
        int count = (int)Math.Round(outlierFraction * n, MidpointRounding.AwayFromZero);
        foreach (int i in rng.Permutation(n)[..count])
        {
            outliers[i] = true;
            y[i] += (float)(rng.Uniform(5, 10) * (1 + Math.Abs(slope)));
        }
        return new RegressionSet("noisy line", x, y, outliers);
    }

    /// <summary>
    /// The XOR-sine network's task (10→64→128→64→1, binary): x ~ N(0, I₁₀), label 1 when x₀x₁ + x₂x₃ + sin(2x₄) &gt; 0.
    /// Only five features matter and x₅…x₉ are distractors; the boundary is curved (products, a sine) so a linear
    /// model stalls near 67 % while an MLP of that size reaches about 89 % (1,000 examples) to 93 % (4,000) on
    /// held-out data. Classes are exactly balanced (n/2 each, rounded) by rejecting draws of a full class.
    /// </summary>
    public static Dataset XorSine(int n, Rng rng)
    {
        Validate(n, 2, 0, rng, features: 10);
        var x = new float[n * 10];
        int[] y = new int[n];
        int[] quota = [n - (n / 2), n / 2];
        double[] xi = new double[10];
        for (int i = 0; i < n;)
        {
            for (int f = 0; f < 10; f++) xi[f] = rng.Normal();
            int label = (xi[0] * xi[1]) + (xi[2] * xi[3]) + Math.Sin(2 * xi[4]) > 0 ? 1 : 0;
            if (quota[label] == 0) continue;
            quota[label]--;
            y[i] = label;
            for (int f = 0; f < 10; f++) x[(10 * i) + f] = (float)xi[f];
            i++;
        }
        return new Dataset("XOR-sine task", NDArray.Wrap(x, n, 10), y, 2);
    }

    /// <summary>The XOR-sine task's rule on one example (for tests and for the lesson that explains it).</summary>
    public static int XorSineRule(ReadOnlySpan<float> x)
    {
        if (x.Length != 10)
            throw new ArgumentException($"The XOR-sine task has 10 features, got {x.Length}.", nameof(x));
        return ((double)x[0] * x[1]) + ((double)x[2] * x[3]) + Math.Sin(2.0 * x[4]) > 0 ? 1 : 0;
    }

    private static void Validate(int n, int minimum, double noise, Rng rng, int features = 2)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (n < minimum)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be at least {minimum} (one example per class or quadrant), got {n}.");
        // n examples of `features` values each must fit one array (n·features must not overflow an int).
        if (n > Array.MaxLength / features)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"n = {n} examples of {features} features is more than one array can hold ({Array.MaxLength / features} at most).");
        Check.NonNegative(noise, nameof(noise));
    }

    /// <summary>Wraps rows of 2-D points in a dataset, in a random order (as sklearn's shuffle=True).</summary>
    private static Dataset Shuffled(string name, float[] x, int[] y, int classes, Rng rng)
    {
        var data = new Dataset(name, NDArray.Wrap(x, y.Length, x.Length / y.Length), y, classes);
        return Splits.Subset(data, rng.Permutation(y.Length));
    }
}
