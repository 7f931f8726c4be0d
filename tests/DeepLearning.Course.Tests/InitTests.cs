using DeepLearning.Scratch;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course.Tests;

public class InitTests
{
    private static readonly Lazy<IReadOnlyList<InitStatistics>> Statistics = new(() => InitLab.CompareWithScratch());
    private static readonly Lazy<IReadOnlyList<DepthRun>> HeRuns = new(() => InitLab.HeEtAl2015());

    public static TheoryData<string> Schemes =>
    [
        "xavier_uniform_", "xavier_normal_", "kaiming_uniform_(relu, fan_in)", "kaiming_normal_(relu, fan_in)",
        "kaiming_normal_(relu, fan_out)", "kaiming_uniform_(leaky_relu, a=0.2)", "nn.Linear default",
    ];

    [Fact]
    public void Gains_and_fans_match_the_scratch_init_exactly()
    {
        var report = Parity.Init();
        Assert.True(report.Agrees(1e-12), report.ToString());
        Assert.Equal(9, report.Rows.Count);
        Assert.Equal(Math.Sqrt(2), InitLab.Gain("relu"), 12);
        Assert.Equal(5.0 / 3, InitLab.Gain("tanh"), 12);
        Assert.Equal(Math.Sqrt(2 / (1 + 0.01 * 0.01)), InitLab.Gain("leaky_relu"), 12); // PyTorch's default slope 0.01
    }

    [Theory, MemberData(nameof(Schemes))]
    public void Torch_and_scratch_samples_follow_the_same_distribution(string scheme)
    {
        Assert.Equal(Schemes.Count, Statistics.Value.Count);
        var s = Statistics.Value.Single(r => r.Scheme == scheme);
        Assert.True(s.Agrees, s.ToString());
        Assert.Equal(256 * 512, s.Samples);
    }

    [Fact]
    public void Xavier_normal_is_really_normal_and_uniforms_stay_inside_their_bound()
    {
        var normal = Statistics.Value.Single(r => r.Scheme == "xavier_normal_");
        Assert.InRange(normal.TorchExcessKurtosis, -0.1, 0.1);   // a uniform (what TorchSharp before 0.107 drew here) gives −1.2
        foreach (var u in Statistics.Value.Where(r => r.Distribution == "uniform"))
            Assert.InRange(u.TorchMaxAbs, 0.99 * u.Bound!.Value, u.Bound.Value);
    }

    [Fact]
    public void The_statistics_check_can_fail()
    {
        var good = Statistics.Value[0];
        Assert.False((good with { TorchStd = good.ExpectedStd + 10 * good.StdStandardError }).Agrees);
        Assert.False((good with { ScratchExcessKurtosis = 0 }).Agrees);           // a normal where a uniform belongs
        Assert.False((good with { TorchMaxAbs = good.Bound!.Value * 1.01 }).Agrees);
    }

    [Fact]
    public void Fill_and_apply_follow_torch_nn_init()
    {
        using var w = torch.empty(4, 6);
        Assert.All(InitLab.Fill(w, InitScheme.Constant, value: 0.25).ToNDArray().Data, v => Assert.Equal(0.25f, v));
        Assert.All(InitLab.Fill(w, InitScheme.Zeros).ToNDArray().Data, v => Assert.Equal(0f, v));
        using var bias = torch.ones(3);
        InitLab.Fill(bias, InitScheme.Zeros);                             // 1-D is fine without fans
        Assert.Equal(0f, bias.sum().item<float>());

        torch.manual_seed(1);
        using var conv = nn.Conv2d(3, 8, 3);
        using var linear = nn.Linear(50, 20);
        using var net = nn.Sequential(conv, nn.Flatten(), linear);
        InitLab.Apply(net, InitScheme.KaimingNormal, scale: 3);
        Assert.Equal(0f, linear.bias!.abs().max().item<float>());
        Assert.Equal(0f, conv.bias!.abs().max().item<float>());
        double std = linear.weight.std().item<float>();
        Assert.InRange(std, 3 * Math.Sqrt(2.0 / 50) * 0.8, 3 * Math.Sqrt(2.0 / 50) * 1.2);
        InitLab.Apply(net, InitScheme.KaimingNormal, mode: FanMode.FanOut);
        Assert.InRange(linear.weight.std().item<float>(), Math.Sqrt(2.0 / 20) * 0.8, Math.Sqrt(2.0 / 20) * 1.2);
        InitLab.Apply(net, InitScheme.Default);
        Assert.True(linear.bias!.abs().max().item<float>() <= 1 / Math.Sqrt(50));
        Assert.True(linear.bias!.abs().max().item<float>() > 0);
        Assert.True(conv.weight.abs().max().item<float>() <= 1 / Math.Sqrt(27));
    }

    [Fact]
    public void Fill_explains_bad_arguments()
    {
        using var v = torch.empty(5);
        var rank = Assert.Throws<ArgumentException>(() => InitLab.Fill(v, InitScheme.XavierUniform));
        Assert.Equal("weight", rank.ParamName);
        Assert.Contains("[5]", rank.Message);
        using var w = torch.empty(3, 3);
        var nl = Assert.Throws<ArgumentException>(() => InitLab.Fill(w, InitScheme.KaimingNormal, nonlinearity: "gelu"));
        Assert.Equal("nonlinearity", nl.ParamName);
        Assert.Contains("leaky_relu", nl.Message);
        Assert.Equal("gain", Assert.Throws<ArgumentOutOfRangeException>(() => InitLab.Fill(w, InitScheme.XavierNormal, gain: -1)).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => InitLab.Fill(w, InitScheme.Constant, value: double.NaN)).ParamName);
        Assert.Equal("nonlinearity", Assert.Throws<ArgumentException>(() => InitLab.Gain("selu")).ParamName);
        var few = Assert.Throws<ArgumentException>(() => InitLab.CompareWithScratch(10, 10));
        Assert.Contains("100 values", few.Message);
    }

    [Fact]
    public void Constant_init_keeps_every_hidden_unit_identical_while_random_init_breaks_symmetry()
    {
        var constant = InitLab.Symmetry(constantInit: true);
        var random = InitLab.Symmetry(constantInit: false);
        Assert.Equal(51, constant.Steps.Count);
        Assert.All(constant.Steps, s => Assert.Equal(0, s.MaxUnitDifference)); // exactly: same inputs, same weights, same updates
        Assert.All(random.Steps, s => Assert.True(s.MaxUnitDifference > 0.1, s.ToString()));
        Assert.True(random.Steps[^1].Loss < 0.5 * random.Steps[0].Loss, random.Steps[^1].ToString());
        Assert.True(constant.Steps[0].Loss - constant.Steps[^1].Loss < 0.01, constant.Steps[^1].ToString());
        Assert.True(random.TestAccuracy > 0.8 && constant.TestAccuracy < 0.3, $"random {random.TestAccuracy}, constant {constant.TestAccuracy}");
        Assert.Equal("hidden", Assert.Throws<ArgumentOutOfRangeException>(() => InitLab.Symmetry(true, hidden: 1)).ParamName);
    }

    [Fact]
    public void He_init_keeps_the_relu_signal_through_30_layers_while_xavier_halves_its_variance_per_layer()
    {
        DepthRun Run(InitScheme s, string nl) => HeRuns.Value.Single(r => r.Init == s && r.Nonlinearity == nl);
        var he = Run(InitScheme.KaimingNormal, "relu");
        var xavier = Run(InitScheme.XavierNormal, "relu");
        Assert.Equal(30, he.Layers.Count);
        Assert.InRange(he.ActivationRatio, 0.5, 2);
        Assert.InRange(he.GradientRatio, 0.5, 2);
        Assert.True(xavier.ActivationRatio < 0.01, xavier.ActivationRatio.ToString());
        Assert.InRange(xavier.PerLayerFactor, 0.67, 0.74);                     // ≈ 1/√2
        Assert.True(Run(InitScheme.Default, "relu").ActivationRatio < 0.2);
        // tanh is gentler on Xavier (no half of the signal zeroed), but it still decays.
        Assert.True(Run(InitScheme.XavierNormal, "tanh").ActivationRatio > 1000 * xavier.ActivationRatio);
        Assert.Equal(6, HeRuns.Value.Count);
    }

    [Theory]
    [InlineData(0)] // the notebook's seed
    [InlineData(1)]
    [InlineData(5)] // the seeds where the old settings (5 epochs at 0.01) did not learn
    [InlineData(7)]
    public void A_30_layer_relu_net_learns_from_he_init_and_stalls_at_chance_from_xavier(int seed)
    {
        var he = InitLab.TrainDeep(InitScheme.KaimingNormal, seed: seed);
        var xavier = InitLab.TrainDeep(InitScheme.XavierNormal, seed: seed);
        string all = $"he {string.Join(" ", he.EpochLosses)} acc {he.TestAccuracy}\nxavier {string.Join(" ", xavier.EpochLosses)} acc {xavier.TestAccuracy}";
        Assert.Equal(10, he.EpochLosses.Count);
        Assert.True(he.FinalLoss < DeepTrainingRun.ChanceLoss - 0.3, all);
        Assert.All(xavier.EpochLosses, l => Assert.InRange(l, DeepTrainingRun.ChanceLoss - 0.02, DeepTrainingRun.ChanceLoss + 0.02));
        Assert.True(he.TestAccuracy > xavier.TestAccuracy + 0.2, all);
        Assert.Equal("scheme", Assert.Throws<ArgumentException>(() => InitLab.TrainDeep(InitScheme.Constant)).ParamName);
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => InitLab.TrainDeep(InitScheme.KaimingNormal, epochs: 0)).ParamName);
    }

    [Fact]
    public void Too_large_init_explodes_and_clipping_tames_the_gradient()
    {
        var exploding = InitLab.SignalThroughDepth(InitScheme.KaimingNormal, scale: 2, width: 128);
        Assert.True(exploding.ActivationRatio > 1e6, exploding.ActivationRatio.ToString());

        var clip = InitLab.GradientClipping(scale: 2, maxNorm: 1, width: 128);
        Assert.True(clip.NormBefore > 1e6, clip.NormBefore.ToString());
        Assert.Equal(1, clip.NormAfter, 3);
        Assert.All(clip.LayerNormsAfter, n => Assert.True(n <= 1 + 1e-6));
        // Clipping rescales every gradient by the same factor: the direction is kept.
        double factor = clip.LayerNormsAfter[0] / clip.LayerNormsBefore[0];
        for (int l = 0; l < clip.LayerNormsBefore.Count; l++)
            Assert.Equal(factor, clip.LayerNormsAfter[l] / clip.LayerNormsBefore[l], factor * 1e-3);
    }

    [Fact]
    public void Depth_experiments_reject_bad_arguments()
    {
        Assert.Equal("scheme", Assert.Throws<ArgumentException>(() => InitLab.SignalThroughDepth(InitScheme.Zeros)).ParamName);
        var nl = Assert.Throws<ArgumentException>(() => InitLab.SignalThroughDepth(InitScheme.KaimingNormal, "gelu", depth: 3, width: 8));
        Assert.Equal("nonlinearity", nl.ParamName);
        Assert.Contains("gelu", nl.Message);
        Assert.Equal("depth", Assert.Throws<ArgumentOutOfRangeException>(() => InitLab.SignalThroughDepth(InitScheme.KaimingNormal, depth: 1)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => InitLab.SignalThroughDepth(InitScheme.KaimingNormal, depth: 3, width: 8, scale: 0)).ParamName);
        var max = Assert.Throws<ArgumentOutOfRangeException>(() => InitLab.GradientClipping(maxNorm: -1));
        Assert.Equal("maxNorm", max.ParamName);
        Assert.Contains("-1", max.Message);
    }
}
