using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepLearning.Course;

/// <summary>
/// The course's XOR-sine network, written as a <c>Module</c> subclass with one field per layer:
/// 10 → 64 → 128 → 64 → 1 with ReLU between the layers, for the binary XOR-sine task (<c>Synthetic.XorSine</c>).
/// <para><b>forward returns the logit</b> z [N, 1], not a probability: train it with
/// <c>torch.nn.BCEWithLogitsLoss()</c> (or <c>functional.binary_cross_entropy_with_logits</c>), which folds the
/// sigmoid into the loss and stays exact where sigmoid saturates. <see cref="Probabilities"/> is σ(z) and
/// <see cref="Predict"/> thresholds it at ½ (z &gt; 0).</para>
/// </summary>
public sealed class XorSineNet : Module<Tensor, Tensor>
{
    /// <summary>The layer widths: 10 inputs, three hidden layers, one logit.</summary>
    public static readonly IReadOnlyList<int> Sizes = [10, 64, 128, 64, 1];

    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear fc3;
    private readonly Linear fc4;

    /// <summary>The XOR-sine network with PyTorch's default Linear init (seed with torch.manual_seed first).</summary>
    public XorSineNet(string name = "xor_sine_net") : base(name)
    {
        fc1 = Linear(10, 64);
        fc2 = Linear(64, 128);
        fc3 = Linear(128, 64);
        fc4 = Linear(64, 1);
        RegisterComponents();
    }

    /// <summary>The four Linear layers, input first.</summary>
    public IReadOnlyList<Linear> Linears => [fc1, fc2, fc3, fc4];

    /// <summary>The logit z [N, 1] for x [N, 10]; P(y = 1 | x) = σ(z).</summary>
    public override Tensor forward(Tensor x)
    {
        ModelInputs.Features(x, 10, fc1.weight.dtype, "XorSineNet");
        using var scope = torch.NewDisposeScope();
        var h = torch.nn.functional.relu(fc1.forward(x));
        h = torch.nn.functional.relu(fc2.forward(h));
        h = torch.nn.functional.relu(fc3.forward(h));
        return fc4.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>The same as forward: the logit z [N, 1] (named for readers who expect <c>Logits</c> next to <c>Probabilities</c>).</summary>
    public Tensor Logits(Tensor x) => forward(x);

    /// <summary>P(y = 1 | x) = σ(forward(x)), [N, 1], without building a graph.</summary>
    public Tensor Probabilities(Tensor x)
    {
        using var noGrad = torch.no_grad();
        using var z = forward(x);
        return torch.sigmoid(z);
    }

    /// <summary>The predicted class (1 when the logit is positive) of each row of x.</summary>
    public int[] Predict(Tensor x)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return forward(x).squeeze(1).gt(0).ToInts();
    }
}
