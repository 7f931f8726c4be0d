using DeepLearning.Scratch;
using TorchSharp;

namespace DeepLearning.Course.Tests;

public class ResidualTests
{
    [Theory]
    [InlineData(4, 4, 1, 6)]
    [InlineData(4, 8, 2, 6)]
    [InlineData(4, 8, 2, 7)]
    [InlineData(3, 5, 1, 4)]
    public void BasicBlock_output_shape_and_projection(int inC, int outC, int stride, int size)
    {
        torch.manual_seed(0);
        using var block = new BasicBlock(inC, outC, stride);
        using var x = torch.randn(2, inC, size, size);
        using var y = block.forward(x);
        long side = ((size - 1) / stride) + 1; // 3×3 conv, padding 1
        Assert.Equal([2L, outC, side, side], y.shape);
        Assert.Equal(stride != 1 || inC != outC, block.HasProjection);
        Assert.True(y.min().item<float>() >= 0); // ReLU after the addition
    }

    [Theory]
    [InlineData(4, 8, 2)]
    [InlineData(4, 4, 1)]
    public void BasicBlock_uses_torchvision_names_like_the_scratch_block(int inC, int outC, int stride)
    {
        using var block = new BasicBlock(inC, outC, stride);
        var scratch = new BasicBlock<float>(inC, outC, stride, new Rng(0));
        Assert.Equal(scratch.Parameters.Select(p => p.Name), block.ParameterNames());
        var buffers = block.named_buffers().Select(b => b.name).ToList();
        Assert.All(scratch.Buffers, b => Assert.Contains(b.Name, buffers));
        Assert.Equal(["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"], block.ParameterNames().Take(6));
        Assert.Equal(stride == 2, block.ParameterNames().Contains("downsample.0.weight"));
    }

    [Theory]
    [InlineData(8, 4, 1, 4)]
    [InlineData(16, 4, 1, 4)]
    [InlineData(8, 4, 2, 4)]
    [InlineData(6, 3, 2, 2)]
    public void Bottleneck_matches_the_scratch_layout(int inC, int width, int stride, int expansion)
    {
        torch.manual_seed(0);
        using var block = new Bottleneck(inC, width, stride, expansion);
        var scratch = new Bottleneck<float>(inC, width, stride, new Rng(0), expansion);
        Assert.Equal(scratch.Parameters.Select(p => p.Name), block.ParameterNames());
        Assert.Equal(width * expansion, block.OutChannels);
        using var x = torch.randn(2, inC, 5, 5);
        using var y = block.forward(x);
        long side = ((5 - 1) / stride) + 1;
        Assert.Equal([2L, width * expansion, side, side], y.shape);
        Assert.Equal(stride != 1 || inC != width * expansion, block.HasProjection);
    }

    [Theory]
    [InlineData(4, 8, 2, 6)]
    [InlineData(4, 4, 1, 5)]
    [InlineData(3, 6, 1, 4)]
    [InlineData(2, 2, 2, 7)]
    public void Scratch_basic_block_agrees_with_torch(int inC, int outC, int stride, int size)
    {
        var report = Parity.BasicBlock(inC, outC, stride, batch: 3, size: size, seed: 1);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Contains(report.Rows, r => r.Quantity == "bn2.running_var after step");
        Assert.Contains(report.Rows, r => r.Quantity == "output (eval)");
        Assert.Equal(stride != 1 || inC != outC, report.Rows.Any(r => r.Quantity == "∂L/∂downsample.0.weight"));
    }

    [Theory]
    [InlineData(8, 4, 1, 4)]
    [InlineData(16, 4, 1, 4)]
    [InlineData(8, 4, 2, 4)]
    [InlineData(6, 3, 2, 2)]
    public void Scratch_bottleneck_agrees_with_torch(int inC, int width, int stride, int expansion)
    {
        var report = Parity.Bottleneck(inC, width, stride, expansion, batch: 2, size: 5, seed: 2);
        Assert.True(report.Agrees(1e-5), report.ToString());
        Assert.Contains(report.Rows, r => r.Quantity == "∂L/∂conv3.weight");
        Assert.Contains(report.Rows, r => r.Quantity == "bn3.running_mean after step");
    }

    [Fact]
    public void A_plain_block_has_the_same_layers_without_the_shortcut()
    {
        using var plain = new BasicBlock(4, 8, 2, shortcut: false);
        using var residual = new BasicBlock(4, 8, 2);
        Assert.False(plain.HasProjection);
        Assert.Equal(residual.ParameterNames().Where(n => !n.StartsWith("downsample", StringComparison.Ordinal)), plain.ParameterNames());

        // Same weights: with an identity shortcut, residual = ReLU(F(x) + x) and plain = ReLU(F(x)).
        torch.manual_seed(3);
        using var p = new BasicBlock(4, 4, 1, shortcut: false);
        using var r = new BasicBlock(4, 4, 1);
        r.CopyParametersFrom(p);
        using var x = torch.randn(2, 4, 5, 5);
        p.eval();
        r.eval();
        using var yp = p.forward(x);
        using var yr = r.forward(x);
        // Where the plain output is positive, F(x) > 0 is known exactly; check ReLU(F + x) there.
        using var mask = yp.gt(0);
        using var expected = (yp + x).relu();
        Assert.True(torch.allclose(yr.masked_select(mask), expected.masked_select(mask), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Blocks_reject_wrong_inputs_and_arguments_before_native_code()
    {
        using var block = new BasicBlock(4, 8, 2);
        using var x = torch.randn(2, 3, 6, 6);
        var ex = Assert.Throws<ArgumentException>(() => block.forward(x));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("[N, 4, H, W]", ex.Message);
        Assert.Contains("[2, 3, 6, 6]", ex.Message);
        using var one = torch.randn(1, 4, 1, 1);
        var bn = Assert.Throws<ArgumentException>(() => block.forward(one));
        Assert.Contains("[1, 4, 1, 1]", bn.Message);
        using var rows = torch.randn(2, 4);
        Assert.Throws<ArgumentException>(() => new Bottleneck(4, 2).forward(rows));
        var stride = Assert.Throws<ArgumentOutOfRangeException>(() => new BasicBlock(4, 8, 0));
        Assert.Equal("stride", stride.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Bottleneck(4, 2, expansion: 0));
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(2, 28)]
    public void SmallResNet_and_PlainConvNet_classify_digits_of_either_size(int n, int size)
    {
        torch.manual_seed(0);
        using var resnet = new SmallResNet(n, width: 4);
        using var plain = new PlainConvNet(n, width: 4);
        using var x = torch.rand(3, 1, size, size);
        using var yr = resnet.forward(x);
        using var yp = plain.forward(x);
        Assert.Equal([3L, 10], yr.shape);
        Assert.Equal([3L, 10], yp.shape);
        Assert.Equal((6 * n) + 2, resnet.Depth);
        Assert.Equal(3 * n, resnet.Blocks.Count);
        Assert.All(resnet.Blocks, b => Assert.True(b.Shortcut));
        Assert.All(plain.Blocks, b => Assert.False(b.Shortcut));
    }

    [Fact]
    public void SmallResNet_registers_torchvision_names_and_plain_differs_only_by_projections()
    {
        using var resnet = new SmallResNet(2, width: 4);
        using var plain = new PlainConvNet(2, width: 4);
        var names = resnet.ParameterNames();
        Assert.Equal(["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight"], names.Take(4));
        Assert.Equal(["fc.weight", "fc.bias"], names.TakeLast(2));
        Assert.Contains("layer2.0.downsample.0.weight", names);
        Assert.Contains("layer3.1.bn2.running_var", resnet.named_buffers().Select(b => b.name));
        Assert.Equal(names.Where(n => !n.Contains("downsample", StringComparison.Ordinal)), plain.ParameterNames());
        // The projections of layer2.0 (4→8) and layer3.0 (8→16): 1×1 conv + BN γ, β.
        Assert.Equal((4 * 8) + 16 + (8 * 16) + 32, resnet.ParameterCount() - plain.ParameterCount());
    }

    [Fact]
    public void SmallResNet_rejects_wrong_images()
    {
        using var net = new SmallResNet();
        using var rgb = torch.rand(2, 3, 8, 8);
        var ex = Assert.Throws<ArgumentException>(() => net.forward(rgb));
        Assert.Contains("[N, 1, H, W]", ex.Message);
        Assert.Contains("[2, 3, 8, 8]", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlainConvNet(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmallResNet(classes: 1));
    }

    [Fact]
    public void Deep_plain_nets_spread_the_gradient_unevenly_and_residual_nets_do_not()
    {
        var rows = Residual.GradientNormsAtInit([1, 5], width: 8, batch: 32, seed: 0);
        Assert.Equal([8, 32], rows.Select(r => r.Depth));
        Assert.All(rows, r => Assert.True(double.IsFinite(r.PlainFirst) && r.PlainFirst > 0));
        var (shallow, deep) = (rows[0], rows[1]);
        Assert.True(deep.PlainRatio > 3 * shallow.PlainRatio, $"{shallow} vs {deep}");
        Assert.True(deep.PlainRatio > 4 * deep.ResidualRatio, deep.ToString());
    }

    [Fact]
    public void Residual_net_trains_faster_than_the_plain_net_of_the_same_depth()
    {
        var result = Residual.TrainingComparison(blocksPerStage: 2, epochs: 2, seed: 0);
        Assert.Equal(14, result.Depth);
        Assert.Equal(2, result.PlainLoss.Count);
        Assert.True(result.ResidualLoss[^1] < result.ResidualLoss[0], result.ToString());
        Assert.True(result.ResidualLoss[^1] < 0.6 * result.PlainLoss[^1], result.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => Residual.TrainingComparison(learningRate: double.NaN));
    }

    [Fact]
    public void Gradient_norms_by_layer_cover_the_main_path_and_agree_with_the_first_last_ratio()
    {
        var byLayer = Residual.GradientNormsByLayer(blocksPerStage: 5, width: 8, batch: 32, seed: 0);
        Assert.Equal(32, byLayer.Depth);
        Assert.Equal(32, byLayer.Layers.Count);
        Assert.Equal(["conv1", "layer1.0.conv1", "layer1.0.conv2"], byLayer.Layers.Take(3));
        Assert.Equal("fc", byLayer.Layers[^1]);
        Assert.DoesNotContain(byLayer.Layers, n => n.Contains("downsample", StringComparison.Ordinal) || n.Contains("bn", StringComparison.Ordinal));
        Assert.All(byLayer.Plain.Concat(byLayer.Residual), v => Assert.True(double.IsFinite(v) && v > 0));

        // The same nets and batch as GradientNormsAtInit: its first and last norms are the ends of these profiles.
        var ends = Residual.GradientNormsAtInit([5], width: 8, batch: 32, seed: 0)[0];
        Assert.Equal(ends.PlainFirst, byLayer.Plain[0], 6);
        Assert.Equal(ends.ResidualLast, byLayer.Residual[^1], 6);
        Assert.True(byLayer.PlainSpread > 3 * byLayer.ResidualSpread, $"plain spread {byLayer.PlainSpread}, residual {byLayer.ResidualSpread}");
        Assert.Throws<ArgumentOutOfRangeException>(() => Residual.GradientNormsByLayer(batch: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Residual.GradientNormsByLayer(blocksPerStage: 0));
    }
}
