using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course.Tests;

public class MlpTests
{
    [Theory]
    [InlineData(new[] { 10, 1 }, false, 0.0)]
    [InlineData(new[] { 10, 5, 3 }, false, 0.0)]
    [InlineData(new[] { 64, 32, 32, 10 }, true, 0.2)]
    [InlineData(new[] { 3, 7, 7, 7, 7, 2 }, true, 0.0)]
    public void Mlp_maps_rows_to_outputs_and_registers_every_layer(int[] sizes, bool batchNorm, double dropout)
    {
        torch.manual_seed(0);
        using var mlp = new Mlp(sizes, dropout: dropout, batchNorm: batchNorm);
        using var x = torch.randn(4, sizes[0]);
        using var y = mlp.forward(x);
        Assert.Equal([4L, sizes[^1]], y.shape);

        // Every Linear (and every BatchNorm1d) is registered by RegisterComponents through the ModuleList.
        int hidden = sizes.Length - 2;
        Assert.Equal(sizes.Length - 1, mlp.Depth);
        Assert.Equal(sizes.Length - 1, mlp.Linears.Count);
        var names = mlp.ParameterNames();
        Assert.Equal(2 * (sizes.Length - 1) + (batchNorm ? 2 * hidden : 0), names.Count);
        Assert.All(names, n => Assert.StartsWith("layers.", n));
        long expected = Enumerable.Range(0, sizes.Length - 1).Sum(l => (long)(sizes[l] + 1) * sizes[l + 1])
            + (batchNorm ? 2L * sizes[1..^1].Sum() : 0);
        Assert.Equal(expected, mlp.ParameterCount());
    }

    [Fact]
    public void Mlp_names_follow_the_module_list_positions()
    {
        using var plain = new Mlp([4, 8, 3]);
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"], plain.ParameterNames());
        using var full = new Mlp([4, 8, 3], dropout: 0.5, batchNorm: true);
        // Linear, BatchNorm1d, ReLU, Dropout, Linear
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.4.weight", "layers.4.bias"], full.ParameterNames());
        Assert.Contains(full.named_buffers(), b => b.name == "layers.1.running_mean");
    }

    [Fact]
    public void ForwardWithActivations_reports_each_hidden_layer_and_the_same_output()
    {
        torch.manual_seed(1);
        using var mlp = new Mlp([6, 5, 4, 3], activation: () => torch.nn.Tanh());
        using var x = torch.randn(8, 6);
        using var reference = mlp.forward(x);
        var (output, layers) = mlp.ForwardWithActivations(x);
        using (output)
        {
            Assert.Equal(0, (output - reference).abs().max().item<float>());
            Assert.Equal(["layers.0", "layers.2"], layers.Select(l => l.Layer));
            Assert.Equal([8L, 5], layers[0].Pre.shape);
            Assert.Equal([8L, 4], layers[1].Post.shape);
            foreach (var l in layers)
            {
                Assert.True(torch.allclose(l.Post, l.Pre.tanh()));
                l.Pre.Dispose();
                l.Post.Dispose();
            }
        }
    }

    [Fact]
    public void Mlp_rejects_bad_arguments_with_the_values()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Mlp([5]));
        Assert.Equal("sizes", ex.ParamName);
        Assert.Contains("[5]", ex.Message);
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp([5, 0, 2]));
        Assert.Equal("sizes", zero.ParamName);
        Assert.Contains("sizes[1] = 0", zero.Message);
        var p = Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp([5, 2], dropout: 1));
        Assert.Equal("dropout", p.ParamName);
        Assert.Contains("[0, 1)", p.Message);
        var nan = Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp([5, 2], dropout: double.NaN));
        Assert.Equal("dropout", nan.ParamName);
    }

    [Fact]
    public void Mlp_rejects_a_wrong_input_before_native_code()
    {
        using var mlp = new Mlp([10, 4, 2]);
        using var wrong = torch.randn(4, 7);
        var ex = Assert.Throws<ArgumentException>(() => mlp.forward(wrong));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[N, 10]", ex.Message);
        Assert.Contains("[4, 7]", ex.Message);

        using var images = new Mlp([784, 10]);
        using var batch = torch.randn(2, 1, 28, 28);
        var flat = Assert.Throws<ArgumentException>(() => images.forward(batch));
        Assert.Contains("[2, 1, 28, 28]", flat.Message);
        Assert.Contains("flatten", flat.Message);

        using var doubles = torch.randn(4, 10, dtype: ScalarType.Float64);
        var dtype = Assert.Throws<ArgumentException>(() => mlp.forward(doubles));
        Assert.Contains("Float64", dtype.Message);
    }

    [Fact]
    public void Batch_norm_mlp_refuses_a_single_example_in_training_but_not_in_eval()
    {
        using var mlp = new Mlp([3, 4, 2], batchNorm: true);
        using var one = torch.randn(1, 3);
        var ex = Assert.Throws<ArgumentException>(() => mlp.forward(one));
        Assert.Contains("[1, 3]", ex.Message);
        Assert.Contains("eval", ex.Message);
        mlp.eval();
        using var y = mlp.forward(one);
        Assert.Equal([1L, 2], y.shape);
    }

    [Fact]
    public void XorSineNet_has_the_documented_architecture()
    {
        torch.manual_seed(0);
        using var net = new XorSineNet();
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias", "fc4.weight", "fc4.bias"], net.ParameterNames());
        Assert.Equal((10 * 64) + 64 + (64 * 128) + 128 + (128 * 64) + 64 + 64 + 1, net.ParameterCount());
        Assert.Equal([[64L, 10], [128, 64], [64, 128], [1, 64]], net.Linears.Select(l => l.weight.shape));
        using var x = torch.randn(5, 10);
        using var z = net.forward(x);
        using var p = net.Probabilities(x);
        Assert.Equal([5L, 1], z.shape);
        Assert.True(torch.allclose(p, z.sigmoid()));
        using var logits = net.Logits(x);
        Assert.True(torch.allclose(logits, z, rtol: 0, atol: 0));
        Assert.Equal(z.squeeze(1).gt(0).ToInts(), net.Predict(x));
        using var wrong = torch.randn(5, 9);
        var ex = Assert.Throws<ArgumentException>(() => net.forward(wrong));
        Assert.Contains("[5, 9]", ex.Message);
    }

    [Fact]
    public void Seed_network_written_three_ways_is_one_function()
    {
        var styles = MlpTopic.ThreeWays(batch: 8, seed: 3);
        Assert.True(styles.Equivalent, styles.ToString());
        Assert.Equal(["Module subclass", "Sequential", "ModuleList"], styles.Styles.Select(s => s.Style));
        Assert.All(styles.Styles, s => Assert.Equal(17_345, s.Parameters));
        Assert.Equal(styles.Styles[0].ParameterNames, styles.Styles[1].ParameterNames); // Sequential with named layers
        Assert.Equal("layers.6.weight", styles.Styles[2].ParameterNames[6]);
        Assert.Contains("17,345", styles.ToString());
    }

    [Fact]
    public void CopyParametersFrom_refuses_different_architectures()
    {
        using var a = new Mlp([4, 3, 2]);
        using var b = new Mlp([4, 5, 2]);
        var ex = Assert.Throws<ArgumentException>(() => b.CopyParametersFrom(a));
        Assert.Contains("[3, 4]", ex.Message);
        Assert.Contains("[5, 4]", ex.Message);
        using var c = new Mlp([4, 2]);
        Assert.Throws<ArgumentException>(() => c.CopyParametersFrom(a));
    }

    [Fact]
    public void XorSine_data_follows_the_rule_and_a_standard_loop_trains_XorSineNet_past_a_linear_model()
    {
        var data = MlpTopic.XorSineData(train: 1000, test: 500, seed: 0);
        Assert.Equal([1000L, 10], data.XTrain.shape);
        Assert.Equal([500L, 1], data.YTest.shape);
        var x = data.XTrain.ToNDArray();
        int[] y = data.YTrain.flatten().ToInts();
        for (int i = 0; i < 20; i++) Assert.Equal(Synthetic.XorSineRule(x.Row(i)), y[i]);
        Assert.Equal(500, y.Sum());

        // The plain PyTorch recipe: logits from forward, BCEWithLogits, Adam.
        torch.manual_seed(0);
        using var net = new XorSineNet();
        using var optimizer = torch.optim.Adam(net.parameters(), 0.01);
        using var loss = torch.nn.BCEWithLogitsLoss();
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            using var scope = torch.NewDisposeScope();
            var l = loss.forward(net.forward(data.XTrain), data.YTrain);
            optimizer.zero_grad();
            l.backward();
            optimizer.step();
            if (step == 0) first = l.item<float>();
            last = l.item<float>();
        }
        Assert.True(last < first / 2, $"loss {first} → {last}");
        double accuracy = MlpTopic.XorSineAccuracy(net, data.XTest, data.YTest);
        Assert.True(accuracy > 0.85, $"test accuracy {accuracy}: a linear model stalls near 0.67");
    }

    public static TheoryData<int[], string> MlpParityCases => new()
    {
        { [10, 16, 12, 3], "relu" },
        { [5, 8, 4], "tanh" },
        { [7, 6, 6, 6, 2], "sigmoid" },
        { [3, 2], "relu" },
    };

    [Theory, MemberData(nameof(MlpParityCases))]
    public void Scratch_mlp_agrees_with_torch(int[] sizes, string activation)
    {
        var report = Parity.Mlp(sizes, activation, batch: 6, seed: 2);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Equal(2 + (2 * (sizes.Length - 1)), report.Rows.Count);
    }

    [Fact]
    public void Mlp_parity_rejects_an_unknown_activation()
    {
        var ex = Assert.Throws<ArgumentException>(() => Parity.Mlp(activation: "swish"));
        Assert.Equal("activation", ex.ParamName);
        Assert.Contains("swish", ex.Message);
    }

    [Fact]
    public void PlainDeepNet_builds_depth_layers_of_one_width()
    {
        using var net = new PlainDeepNet(depth: 12, width: 16, inputs: 5, outputs: 3, seed: 0);
        Assert.Equal(12, net.Depth);
        Assert.Equal([16L, 5], net.Linears[0].weight.shape);
        Assert.Equal([3L, 16], net.Linears[^1].weight.shape);
        using var x = torch.randn(4, 5);
        var (y, layers) = net.ForwardWithActivations(x);
        Assert.Equal([4L, 3], y.shape);
        Assert.Equal(11, layers.Count);
        Assert.True(torch.allclose(layers[3].Post, layers[3].Pre.relu()));
    }

    [Theory]
    [InlineData("zeros", 0.0)]
    [InlineData("constant", 0.25)]
    public void PlainDeepNet_constant_inits_set_every_weight_and_zero_biases(string init, double value)
    {
        using var net = new PlainDeepNet(4, 8, init: init, scale: 0.25);
        foreach (var l in net.Linears)
        {
            Assert.Equal(value, l.weight.min().item<float>(), 6);
            Assert.Equal(value, l.weight.max().item<float>(), 6);
            Assert.Equal(0, l.bias!.abs().max().item<float>());
        }
    }

    [Theory]
    [InlineData("kaiming", 256, 256)]    // Var w = 2 / fan_in
    [InlineData("xavier", 256, 256)]     // Var w = 2 / (fan_in + fan_out)
    [InlineData("normal", 256, 256)]     // std = scale
    public void PlainDeepNet_random_inits_have_their_documented_spread(string init, int width, int inputs)
    {
        using var scope = torch.NewDisposeScope();
        using var net = new PlainDeepNet(3, width, init: init, inputs: inputs, scale: 0.05, seed: 0);
        double expected = init switch
        {
            "kaiming" => Math.Sqrt(2.0 / inputs),
            "xavier" => Math.Sqrt(2.0 / (inputs + width)),
            _ => 0.05,
        };
        var w = net.Linears[0].weight.detach().to_type(ScalarType.Float64);
        double std = w.std().item<double>();
        Assert.InRange(std / expected, 0.97, 1.03); // 65,536 samples: the std's sampling error is ≈ 0.3 %
        // All three are normals (excess kurtosis 0 ± 0.02; a uniform would give −1.2).
        double kurtosis = ((w - w.mean()) / std).pow(4).mean().item<double>() - 3;
        Assert.InRange(kurtosis, -0.1, 0.1);
    }

    [Fact]
    public void PlainDeepNet_is_reproducible_from_its_seed()
    {
        using var a = new PlainDeepNet(5, 8, seed: 7);
        using var b = new PlainDeepNet(5, 8, seed: 7);
        using var c = new PlainDeepNet(5, 8, seed: 8);
        Assert.True(a.Linears[2].weight.allclose(b.Linears[2].weight, rtol: 0, atol: 0));
        Assert.False(a.Linears[2].weight.allclose(c.Linears[2].weight, rtol: 0, atol: 0));
    }

    [Fact]
    public void PlainDeepNet_names_the_choices_it_accepts()
    {
        var act = Assert.Throws<ArgumentException>(() => new PlainDeepNet(3, 4, activation: "swish"));
        Assert.Equal("activation", act.ParamName);
        Assert.Contains("relu, tanh", act.Message);
        var init = Assert.Throws<ArgumentException>(() => new PlainDeepNet(3, 4, init: "he"));
        Assert.Equal("init", init.ParamName);
        Assert.Contains("kaiming", init.Message);
        var depth = Assert.Throws<ArgumentOutOfRangeException>(() => new PlainDeepNet(0, 4));
        Assert.Equal("depth", depth.ParamName);
    }
}
