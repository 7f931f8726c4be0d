using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// torch's random stream cannot be reproduced, so init is checked in two ways: formulas (gain, fans, bound, std)
/// exactly against torch's, and samples statistically. For n independent draws with std σ the sample mean has
/// standard error σ/√n and the sample std σ·√((κ − 1)/(4n)), κ the kurtosis (3 for a normal, 9/5 for a
/// uniform). A check at 4 standard errors fails a correct sampler with probability ~6e-5, and since the Rng is
/// seeded a passing test always passes; with n ≈ 2.6e5 it still catches a std that is off by ~1 %.
/// </summary>
public class InitTests
{
    private const double Z = 4; // standard errors allowed

    public static TheoryData<string> Gains => Fixture.Names("init", "gain");

    public static TheoryData<string> FanCases => Fixture.Names("init", "fans");

    public static TheoryData<string> Samplers =>
        Fixture.Names("init", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "linear_default", "conv2d_default");

    [Theory, MemberData(nameof(Gains))]
    public void CalculateGain_equals_torch(string name)
    {
        var c = Fixture.Load("init")[name];
        double? param = c.RawParam("param")?.GetDouble();
        Assert.Equal(c.Output<double>("gain")[0], Init.CalculateGain(c.Text("nonlinearity"), param));
    }

    [Theory, MemberData(nameof(FanCases))]
    public void Fans_equal_torch(string name)
    {
        var c = Fixture.Load("init")[name];
        var (fanIn, fanOut) = Init.Fans(Shape(c));
        Assert.Equal((int)c.Output<double>("fan_in")[0], fanIn);
        Assert.Equal((int)c.Output<double>("fan_out")[0], fanOut);
    }

    [Theory, MemberData(nameof(Samplers))]
    public void Bound_and_std_formulas_equal_torch(string name)
    {
        var c = Fixture.Load("init")[name];
        int[] shape = Shape(c);
        var (fanIn, fanOut) = Init.Fans(shape);
        Assert.Equal((int)c.Output<double>("fan_in")[0], fanIn);
        Assert.Equal((int)c.Output<double>("fan_out")[0], fanOut);
        var (uniform, theory) = Theory(c, shape);
        double expected = c.Has("outputs", "bound") ? c.Output<double>("bound")[0] : c.Output<double>("theory_std")[0];
        Assert.Equal(c.Has("outputs", "bound"), uniform);
        Close.Scalar(expected, theory, $"{name} {(uniform ? "bound" : "std")}", 1e-15);
    }

    [Theory, MemberData(nameof(Samplers))]
    public void Samples_match_torch_statistics_float32(string name) => Sample<float>(name);

    [Theory, MemberData(nameof(Samplers))]
    public void Samples_match_torch_statistics_float64(string name) => Sample<double>(name);

    private static void Sample<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("init")[name];
        int[] shape = Shape(c);
        var (uniform, theory) = Theory(c, shape);
        double sigma = uniform ? theory / Math.Sqrt(3) : theory, kurtosis = uniform ? 9.0 / 5 : 3;
        Close.Scalar(c.Output<double>("theory_std")[0], sigma, $"{name} σ", 1e-15);
        double[] ours = Draw<T>(c, shape, new Rng(Hash(name)));
        var mine = Stats.Of(ours);
        var torch = new Stats(c.Output<double>("n")[0], c.Output<double>("mean")[0], c.Output<double>("std")[0],
            c.Output<double>("min")[0], c.Output<double>("max")[0]);
        foreach (var (who, s) in new[] { ("ours", mine), ("torch", torch) })
        {
            // Both samplers against the theoretical σ: the formula we share with torch is what torch samples.
            Assert.True(Math.Abs(s.Mean) <= Z * s.SeMean(sigma), $"{name} {who}: mean {s.Mean:E3}, allowed ±{Z * s.SeMean(sigma):E3}");
            Assert.True(Math.Abs(s.Std - sigma) <= Z * s.SeStd(sigma, kurtosis),
                $"{name} {who}: std {s.Std:R} vs σ {sigma:R}, allowed ±{Z * s.SeStd(sigma, kurtosis):E3}");
            if (uniform)
            {
                // All draws inside ±bound, and the extremes within 40/n·bound of it: P(max < b(1 − δ)) = (1 − δ/2)ⁿ ≈ e⁻²⁰.
                double slack = theory * 40 / s.N;
                Assert.True(s.Max >= theory - slack && s.Min <= -theory + slack,
                    $"{name} {who}: range [{s.Min:R}, {s.Max:R}] does not reach ±{theory:R}");
            }
            else
            {
                // n ≥ 1e5 normals: some beyond 3σ for sure; one beyond 7σ has probability n·2.6e-12.
                double extreme = Math.Max(s.Max, -s.Min);
                Assert.InRange(extreme, 3 * sigma, 7 * sigma);
            }
        }
        if (uniform)
        {
            T bound = T.CreateChecked(theory);
            Assert.True(mine.Max <= double.CreateChecked(bound) && mine.Min >= -double.CreateChecked(bound),
                $"{name}: range [{mine.Min:R}, {mine.Max:R}] exceeds ±{theory:R}");
            Assert.True(torch.Max <= theory && torch.Min >= -theory, $"{name}: torch's range exceeds our bound {theory:R}");
        }
        double seBoth = Math.Sqrt((mine.SeStd(sigma, kurtosis) * mine.SeStd(sigma, kurtosis)) + (torch.SeStd(sigma, kurtosis) * torch.SeStd(sigma, kurtosis)));
        Assert.True(Math.Abs(mine.Std - torch.Std) <= Z * seBoth, $"{name}: our std {mine.Std:R}, torch's {torch.Std:R}, allowed ±{Z * seBoth:E3}");
    }

    /// <summary>Whether the init is uniform, and its bound (uniform) or std (normal), from our formulas.</summary>
    private static (bool Uniform, double Value) Theory(FixtureCase c, int[] shape) => c.Op switch
    {
        "xavier_uniform" => (true, Init.XavierUniformBound(shape, c.Param("gain"))),
        "xavier_normal" => (false, Init.XavierNormalStd(shape, c.Param("gain"))),
        "kaiming_uniform" => (true, Init.KaimingUniformBound(shape, c.Param("a"), Mode(c), c.Text("nonlinearity"))),
        "kaiming_normal" => (false, Init.KaimingStd(shape, c.Param("a"), Mode(c), c.Text("nonlinearity"))),
        "linear_default" or "conv2d_default" => (true, Init.DefaultBound(shape)),
        _ => throw new InvalidOperationException(c.Name),
    };

    private static double[] Draw<T>(FixtureCase c, int[] shape, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = new NDArray<T>(shape);
        switch (c.Op)
        {
            case "xavier_uniform": Init.XavierUniform(w, rng, c.Param("gain")); break;
            case "xavier_normal": Init.XavierNormal(w, rng, c.Param("gain")); break;
            case "kaiming_uniform": Init.KaimingUniform(w, rng, c.Param("a"), Mode(c), c.Text("nonlinearity")); break;
            case "kaiming_normal": Init.KaimingNormal(w, rng, c.Param("a"), Mode(c), c.Text("nonlinearity")); break;
            case "linear_default" or "conv2d_default":
                var b = new NDArray<T>([shape[0]]);
                void Fill()
                {
                    if (c.Op == "linear_default") Init.LinearDefault(w, b, rng);
                    else Init.Conv2dDefault(w, b, rng);
                }
                if (c.Text("part") == "weight")
                {
                    Fill();
                    break;
                }
                // One layer has only out-features biases: pool 1024 of them from repeated inits (the checks scale with n).
                var biases = new List<double>();
                while (biases.Count < 1024)
                {
                    Fill();
                    biases.AddRange(b.Data.Select(v => double.CreateChecked(v)));
                }
                return [.. biases];
            default: throw new InvalidOperationException(c.Name);
        }
        return [.. w.Data.Select(v => double.CreateChecked(v))];
    }

    private sealed record Stats(double N, double Mean, double Std, double Min, double Max)
    {
        public static Stats Of(double[] x)
        {
            double mean = x.Average();
            double var = x.Sum(v => (v - mean) * (v - mean)) / x.Length;
            return new Stats(x.Length, mean, Math.Sqrt(var), x.Min(), x.Max());
        }

        public double SeMean(double sigma) => sigma / Math.Sqrt(N);

        public double SeStd(double sigma, double kurtosis) => sigma * Math.Sqrt((kurtosis - 1) / (4 * N));
    }

    private static int[] Shape(FixtureCase c) => [.. c.RawParam("shape")!.Value.EnumerateArray().Select(v => v.GetInt32())];

    private static FanMode Mode(FixtureCase c) => c.Text("mode") == "fan_in" ? FanMode.FanIn : FanMode.FanOut;

    private static ulong Hash(string s) => s.Aggregate(14695981039346656037UL, (h, ch) => (h ^ ch) * 1099511628211UL);

    [Fact]
    public void Default_init_is_kaiming_uniform_with_a_sqrt5()
    {
        foreach (int[] shape in new[] { new[] { 256, 1024 }, [16, 3, 5, 5], [10, 7] })
            Close.Scalar(1 / Math.Sqrt(Init.Fans(shape).FanIn), Init.KaimingUniformBound(shape, a: Math.Sqrt(5)), Shapes.Format(shape), 1e-15);
    }

    [Fact]
    public void Zeros_and_Constant_fill_every_entry()
    {
        var w = new Rng(1).NormalArray<float>(0, 1, 3, 4);
        Assert.Same(w, Init.Constant(w, 0.25));
        Assert.All(w.Data, v => Assert.Equal(0.25f, v));
        Init.Zeros(w);
        Assert.All(w.Data, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Same_seed_gives_the_same_weights()
    {
        var a = Init.KaimingNormal(NDArray.Zeros<double>(8, 8), new Rng(5));
        var b = Init.KaimingNormal(NDArray.Zeros<double>(8, 8), new Rng(5));
        Assert.Equal(a.Data, b.Data);
    }

    [Fact]
    public void Unknown_nonlinearity_is_named()
    {
        var ex = Assert.Throws<ArgumentException>(() => Init.CalculateGain("swish"));
        Assert.Equal("nonlinearity", ex.ParamName);
        Assert.Contains("swish", ex.Message);
        Assert.Equal("param", Assert.Throws<ArgumentOutOfRangeException>(() => Init.CalculateGain("leaky_relu", double.NaN)).ParamName);
    }

    [Fact]
    public void Fans_need_at_least_two_dimensions()
    {
        var ex = Assert.Throws<ArgumentException>(() => Init.Fans(5));
        Assert.Equal("shape", ex.ParamName);
        Assert.Contains("[5]", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => Init.XavierUniform(NDArray.Zeros<float>(7), new Rng(0)));
        Assert.Equal("w", ex2.ParamName);
        Assert.Contains("[7]", ex2.Message);
    }

    [Fact]
    public void Default_init_checks_layouts_and_bias_size()
    {
        var ex = Assert.Throws<ArgumentException>(() => Init.LinearDefault(NDArray.Zeros<float>(4, 3), NDArray.Zeros<float>(3), new Rng(0)));
        Assert.Equal("bias", ex.ParamName);
        Assert.Contains("[4, 3]", ex.Message);
        Assert.Contains("[3]", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => Init.Conv2dDefault(NDArray.Zeros<float>(4, 3), null, new Rng(0)));
        Assert.Equal("weight", ex2.ParamName);
        Assert.Contains("[4, 3]", ex2.Message);
        Assert.Equal("rng", Assert.Throws<ArgumentNullException>(() => Init.XavierNormal(NDArray.Zeros<float>(2, 2), null!)).ParamName);
    }
}
