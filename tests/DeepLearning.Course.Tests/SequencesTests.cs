using TorchSharp;

namespace DeepLearning.Course.Tests;

public class SequencesTests
{
    [Theory]
    [InlineData(6, 3, 4, 5)]
    [InlineData(1, 1, 1, 1)]
    [InlineData(12, 2, 3, 8)]
    public void Scratch_rnn_matches_torch_nn_rnn(int steps, int batch, int input, int hidden)
    {
        var report = Parity.Rnn(steps, batch, input, hidden);
        Assert.Equal(7, report.Rows.Count); // output, h_n, ∂L/∂x and four parameter gradients
        Assert.True(report.Agrees(1e-5), report.ToString());
    }

    [Theory]
    [InlineData(6, 3, 4, 5, null)]
    [InlineData(1, 1, 1, 1, null)]
    [InlineData(20, 2, 3, 8, 1.0)]
    public void Scratch_lstm_matches_torch_nn_lstm(int steps, int batch, int input, int hidden, double? forgetBias)
    {
        var report = Parity.Lstm(steps, batch, input, hidden, forgetBias);
        Assert.Equal(8, report.Rows.Count); // output, h_n, c_n, ∂L/∂x and four parameter gradients
        Assert.True(report.Agrees(1e-5), report.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Scratch_attention_matches_scaled_dot_product_attention(bool causal)
    {
        var report = Parity.ScaledDotProductAttention(batch: 2, length: 7, dim: 5, causal: causal);
        Assert.True(report.Agrees(1e-5), report.ToString());
    }

    [Fact]
    public void Gradients_vanish_for_small_recurrent_weights_and_grow_for_larger_ones()
    {
        var small = Sequences.GradientOverTime(0.5, steps: 40);
        var large = Sequences.GradientOverTime(3.0, steps: 40);
        Assert.Equal(40, small.Length);
        Assert.True(small[0] / small[^1] < 1e-8, $"{small[0] / small[^1]:E2}");
        Assert.True(large[0] / large[^1] > 100, $"{large[0] / large[^1]:E2}");
    }

    [Fact]
    public void Memory_task_labels_the_sign_of_the_first_value()
    {
        using var data = Sequences.MemoryTask(count: 50, length: 8, seed: 3);
        Assert.Equal([50L, 8, 1], data.X.shape);
        var first = data.X.select(1, 0).squeeze(1);
        Assert.True(first.abs().eq(1).all().item<bool>());
        Assert.True(first.gt(0).to_type(torch.ScalarType.Int64).eq(data.Y).all().item<bool>());
        Assert.True(data.X.narrow(1, 1, 7).abs().le(1).all().item<bool>());
    }

    [Theory]
    [InlineData("RNN")]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    public void Sequence_classifier_reads_any_length(string kind)
    {
        torch.manual_seed(0);
        using var model = new SequenceClassifier(kind, features: 2, hidden: 4, classes: 3);
        using var a = model.forward(torch.randn(5, 3, 2));
        using var b = model.forward(torch.randn(5, 11, 2));
        Assert.Equal([5L, 3], a.shape);
        Assert.Equal([5L, 3], b.shape);
    }

    [Fact]
    public void Forget_bias_sets_the_lstm_forget_block_like_the_scratch_layer()
    {
        torch.manual_seed(0);
        using var model = new SequenceClassifier("LSTM", features: 2, hidden: 4, forgetBias: 3.0);
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var total = (named["lstm.bias_ih_l0"] + named["lstm.bias_hh_l0"]).data<float>().ToArray();
        Assert.All(total[4..8], b => Assert.Equal(3f, b));
        Assert.Contains(total[..4], b => b != 3f); // the other gates keep PyTorch's initialization
        var e = Assert.Throws<ArgumentException>(() => new SequenceClassifier("GRU", forgetBias: 1.0));
        Assert.Equal("forgetBias", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceClassifier("LSTM", forgetBias: double.PositiveInfinity));
    }

    [Fact]
    public void Bad_arguments_get_clear_errors()
    {
        var e = Assert.Throws<ArgumentException>(() => new SequenceClassifier("Transformer"));
        Assert.Equal("kind", e.ParamName);
        using var model = new SequenceClassifier("RNN");
        e = Assert.Throws<ArgumentException>(() => model.forward(torch.randn(4, 3)));
        Assert.Contains("[4, 3]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.MemoryTask(10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.GradientOverTime(-1));
    }
}
