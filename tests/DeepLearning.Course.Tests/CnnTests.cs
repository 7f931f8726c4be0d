using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;

namespace DeepLearning.Course.Tests;

public class CnnTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(28)]
    [InlineData(32)]
    public void LeNet5_maps_images_to_ten_logits(int size)
    {
        torch.manual_seed(0);
        using var net = new LeNet5(size);
        using var x = torch.rand(3, 1, size, size);
        using var y = net.forward(x);
        Assert.Equal([3L, 10], y.shape);
        using var h = net.Penultimate(x);
        Assert.Equal([3L, 84], h.shape);
    }

    [Fact]
    public void LeNet5_has_the_known_parameter_count_and_names()
    {
        using var net = new LeNet5(28);
        Assert.Equal(61_706, net.ParameterCount()); // LeNet-5 with a padded first conv, as usually quoted
        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"],
            net.ParameterNames());
        Assert.Equal(400, net.FlatFeatures);
        using var small = new LeNet5(8);
        // conv 3×3: 6·9 + 6, 16·6·9 + 16; fc: 64·120 + 120, 120·84 + 84, 84·10 + 10
        Assert.Equal((6 * 9) + 6 + (16 * 6 * 9) + 16 + (64 * 120) + 120 + (120 * 84) + 84 + (84 * 10) + 10, small.ParameterCount());
    }

    [Theory]
    [InlineData(28, new[] { 6, 28, 28 }, new[] { 6, 14, 14 }, new[] { 16, 10, 10 }, new[] { 16, 5, 5 })]
    [InlineData(8, new[] { 6, 8, 8 }, new[] { 6, 4, 4 }, new[] { 16, 4, 4 }, new[] { 16, 2, 2 })]
    public void Features_returns_every_stage_and_the_last_one_feeds_fc1(int size, int[] conv1, int[] pool1, int[] conv2, int[] pool2)
    {
        torch.manual_seed(0);
        using var net = new LeNet5(size);
        using var x = torch.rand(2, 1, size, size);
        var stages = net.Features(x);
        Assert.Equal(["conv1", "pool1", "conv2", "pool2"], stages.Select(s => s.Stage));
        int[][] expected = [conv1, pool1, conv2, pool2];
        for (int i = 0; i < 4; i++)
            Assert.Equal([2L, .. expected[i].Select(d => (long)d)], stages[i].Maps.shape);
        Assert.Equal(net.FlatFeatures, stages[3].Maps[0].numel());
        Assert.True(stages[0].Maps.min().item<float>() >= 0); // after ReLU
    }

    [Fact]
    public void Filters_and_feature_maps_come_out_as_arrays_for_charts()
    {
        torch.manual_seed(0);
        using var net = new LeNet5(8);
        var filters = Cnn.Filters(net);
        Assert.Equal([6, 3, 3], filters.Shape);
        Assert.Equal(net.Conv1.weight.ToNDArray().Data, filters.Data);

        var digits = Digits.Load8x8();
        var maps = Cnn.FeatureMaps(net, digits, 5);
        Assert.Equal(["conv1", "pool1", "conv2", "pool2"], maps.Select(m => m.Stage));
        Assert.Equal([6, 8, 8], maps[0].Maps.Shape);
        Assert.Equal([16, 2, 2], maps[3].Maps.Shape);
        Assert.True(net.training); // FeatureMaps restores the mode it found

        var ex = Assert.Throws<ArgumentException>(() => Cnn.FeatureMaps(net, NDArray.Zeros<float>(7, 7)));
        Assert.Equal("image", ex.ParamName);
        Assert.Contains("[7, 7]", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Cnn.FeatureMaps(net, digits, digits.Count));
    }

    [Fact]
    public void LeNet5_rejects_wrong_images_before_native_code()
    {
        using var net = new LeNet5(28);
        using var rgb = torch.rand(2, 3, 28, 28);
        var ex = Assert.Throws<ArgumentException>(() => net.forward(rgb));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[N, 1, 28, 28]", ex.Message);
        Assert.Contains("[2, 3, 28, 28]", ex.Message);

        using var small = torch.rand(2, 1, 8, 8);
        var size = Assert.Throws<ArgumentException>(() => net.forward(small));
        Assert.Contains("[2, 1, 8, 8]", size.Message);

        using var flat = torch.rand(2, 784);
        var rows = Assert.Throws<ArgumentException>(() => net.forward(flat));
        Assert.Contains("view(-1, 1, 28, 28)", rows.Message);

        Assert.Throws<ArgumentException>(() => net.Features(rgb));
    }

    [Fact]
    public void LeNet5_rejects_unsupported_layouts()
    {
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => new LeNet5(10));
        Assert.Equal("imageSize", size.ParamName);
        Assert.Contains("8, 28, 32", size.Message);
        var act = Assert.Throws<ArgumentException>(() => new LeNet5(28, activation: "elu"));
        Assert.Equal("activation", act.ParamName);
    }

    // batch, inC, outC, H, W, kH, kW, sH, sW, pH, pW, bias
    [Theory]
    [InlineData(2, 3, 4, 7, 7, 3, 3, 1, 1, 0, 0, true)]
    [InlineData(1, 1, 2, 5, 6, 3, 2, 2, 1, 1, 1, true)]
    [InlineData(2, 2, 3, 8, 8, 5, 5, 2, 2, 2, 2, false)]
    [InlineData(3, 4, 2, 6, 6, 1, 1, 1, 1, 0, 0, true)]
    [InlineData(1, 3, 2, 9, 7, 2, 4, 3, 2, 1, 2, true)]
    [InlineData(2, 6, 16, 10, 10, 5, 5, 1, 1, 0, 0, true)]
    public void Scratch_conv2d_agrees_with_torch(int batch, int inC, int outC, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, bool bias)
    {
        var report = Parity.Conv2d(batch, inC, outC, h, w, (kh, kw), (sh, sw), (ph, pw), bias, seed: 1);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Equal(bias ? 5 : 4, report.Rows.Count);
        Assert.Contains(report.Rows, r => r.Quantity == "output (naive loops)");
    }

    [Fact]
    public void Conv2d_parity_reports_bad_geometry_from_the_scratch_checks()
    {
        var ex = Assert.Throws<ArgumentException>(() => Parity.Conv2d(height: 4, width: 4, kernel: 5));
        Assert.Equal("w", ex.ParamName);
        Assert.Contains("larger than the padded input 4×4", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Parity.Conv2d(stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Parity.Conv2d(batch: 0));
    }

    // kH, kW, sH, sW (0 = the kernel size), pH, pW
    [Theory]
    [InlineData(2, 2, 0, 0, 0, 0)]
    [InlineData(3, 3, 2, 2, 1, 1)]
    [InlineData(2, 3, 1, 2, 1, 1)]
    [InlineData(3, 3, 1, 1, 0, 0)]
    public void Scratch_pools_agree_with_torch(int kh, int kw, int sh, int sw, int ph, int pw)
    {
        Size2d? stride = sh == 0 ? null : (sh, sw);
        var max = Parity.MaxPool2d((kh, kw), stride, (ph, pw), seed: 4);
        Assert.True(max.Agrees(1e-5), max.ToString());
        foreach (bool includePad in new[] { true, false })
        {
            var avg = Parity.AvgPool2d((kh, kw), stride, (ph, pw), includePad, seed: 5);
            Assert.True(avg.Agrees(1e-5), avg.ToString());
        }
    }

    [Fact]
    public void Pooled_features_move_less_than_pixels_when_the_digit_shifts()
    {
        torch.manual_seed(0);
        using var net = new LeNet5(8);
        var report = Cnn.TranslationSensitivity(net, count: 200);
        Assert.Equal(["pixels", "conv1", "pool1", "conv2", "pool2"], report.Stages.Select(s => s.Stage));
        Assert.True(report["pool1"] < report["conv1"], report.ToString());
        Assert.True(report["pool2"] < report["conv2"], report.ToString());
        Assert.True(report["pool2"] < 0.5 * report.Pixels, report.ToString());
    }

    [Fact]
    public void Translation_sensitivity_on_the_28x28_digits()
    {
        var report = Cnn.TranslationSensitivity(count: 50, shift: 1, seed: 0);
        Assert.Equal(50, report.Images);
        Assert.True(report["pool2"] < report.Pixels, report.ToString());
        Assert.True(report["pool1"] < report["conv1"], report.ToString());
    }

    [Fact]
    public void Translation_sensitivity_checks_its_arguments()
    {
        using var net = new LeNet5(8);
        Assert.Throws<ArgumentOutOfRangeException>(() => Cnn.TranslationSensitivity(net, shift: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Cnn.TranslationSensitivity(net, shift: 8));
        var (train, _) = Digits.Load28x28Split();
        var ex = Assert.Throws<ArgumentException>(() => Cnn.TranslationSensitivity(net, train, count: 5));
        Assert.Contains("8×8", ex.Message);
    }

    [Fact]
    public void Dense_layers_need_orders_of_magnitude_more_weights_than_convolutions()
    {
        var c = Cnn.ParameterCounts(28);
        Assert.Equal((784L * 4704) + 4704, c.DenseLayer);
        Assert.Equal((6 * 25) + 6, c.ConvLayer);
        using var mlp = new Mlp([784, 300, 100, 10]);
        Assert.Equal(mlp.ParameterCount(), c.MlpModel);
        Assert.Equal(61_706, c.LeNetModel);
        Assert.True(c.Ratio > 10_000);

        // The conv layer's count does not depend on the image size; the dense layer's grows as S⁴.
        var big = Cnn.ParameterCounts(224, channels: 3);
        Assert.Equal((6 * 3 * 25) + 6, big.ConvLayer);
        Assert.True(big.DenseLayer > 10_000_000_000); // 150,528 inputs × 301,056 outputs
        Assert.Null(big.LeNetModel);
        Assert.Throws<ArgumentOutOfRangeException>(() => Cnn.ParameterCounts(4));
    }

    [Fact]
    public void A_trained_LeNet_is_a_better_feature_extractor_than_an_untrained_one()
    {
        var report = Cnn.FeatureExtractor(epochs: 4, seed: 0);
        Assert.True(report.LeNetTestAccuracy > 0.9, report.ToString());
        var trained = report["trained LeNet features"];
        var random = report["random LeNet features"];
        Assert.Equal(84, trained.Features);
        Assert.Equal(64, report["raw pixels"].Features);
        Assert.True(trained.TestAccuracy > random.TestAccuracy + 0.03, report.ToString());
    }

    [Fact]
    public void Linear_probe_refuses_images_of_another_size()
    {
        using var net = new LeNet5(8);
        var (train, test) = Digits.Load28x28Split();
        var ex = Assert.Throws<ArgumentException>(() => Cnn.LinearProbe(net, train, test));
        Assert.Equal("train", ex.ParamName);
        Assert.Contains("8×8", ex.Message);
    }
}
