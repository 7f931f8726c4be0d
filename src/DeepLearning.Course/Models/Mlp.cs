using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepLearning.Course;

/// <summary>One hidden layer's values in <see cref="Mlp.ForwardWithActivations"/>.</summary>
/// <param name="Layer">The Linear's module name, as in named_parameters ("layers.0").</param>
/// <param name="Pre">The pre-activation z = x·Wᵀ + b (after batch norm when the net has it), [N, width].</param>
/// <param name="Post">The activation σ(z) (before dropout), [N, width].</param>
public sealed record LayerActivations(string Layer, Tensor Pre, Tensor Post);

/// <summary>
/// A multilayer perceptron whose depth and widths come from a list: <c>sizes = [inputs, hidden…, outputs]</c>.
/// Each hidden layer is Linear → (BatchNorm1d) → activation → (Dropout); the last layer is a bare Linear, so the
/// output is logits (use <c>torch.nn.functional.cross_entropy</c>). The layers live in a <c>ModuleList</c>: the
/// way to build a network whose length is a runtime value, since a <c>Module</c> subclass's fields are fixed.
/// </summary>
public class Mlp : Module<Tensor, Tensor>
{
    private enum Kind { Linear, Norm, Activation, Dropout }

    private readonly ModuleList<Module<Tensor, Tensor>> layers;
    private readonly Kind[] kinds;     // what layers[i] is; not a module, so RegisterComponents ignores it
    private readonly Linear[] linears;

    /// <summary>
    /// An MLP with widths <paramref name="sizes"/>; <paramref name="activation"/> makes one hidden nonlinearity per
    /// layer (default ReLU), <paramref name="dropout"/> &gt; 0 adds Dropout after each, <paramref name="batchNorm"/>
    /// adds BatchNorm1d before each. Weights start as PyTorch's Linear default (Kaiming-uniform, a = √5).
    /// </summary>
    public Mlp(IReadOnlyList<int> sizes, Func<Module<Tensor, Tensor>>? activation = null, double dropout = 0,
        bool batchNorm = false, string name = "mlp")
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count < 2)
            throw new ArgumentException($"sizes needs at least an input and an output width, got [{string.Join(", ", sizes)}].", nameof(sizes));
        for (int l = 0; l < sizes.Count; l++)
            if (sizes[l] <= 0)
                throw new ArgumentOutOfRangeException(nameof(sizes), sizes[l], $"sizes[{l}] = {sizes[l]}: every width must be positive (sizes = [{string.Join(", ", sizes)}]).");
        if (!(dropout >= 0 && dropout < 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"dropout is the probability of zeroing a unit and must be in [0, 1), got {dropout}.");

        Sizes = [.. sizes];
        Dropout = dropout;
        BatchNorm = batchNorm;
        layers = ModuleList<Module<Tensor, Tensor>>();
        var kindList = new List<Kind>();
        void Add(Module<Tensor, Tensor> m, Kind k) { layers.Add(m); kindList.Add(k); }
        for (int l = 0; l + 1 < sizes.Count; l++)
        {
            Add(Linear(sizes[l], sizes[l + 1]), Kind.Linear);
            if (l + 2 == sizes.Count) break; // the output layer: logits, no nonlinearity
            if (batchNorm) Add(BatchNorm1d(sizes[l + 1]), Kind.Norm);
            var act = activation is null ? ReLU() : activation()
                ?? throw new ArgumentException("activation returned null; it must create a module such as torch.nn.ReLU().", nameof(activation));
            Add(act, Kind.Activation);
            if (dropout > 0) Add(nn.Dropout(dropout), Kind.Dropout);
        }
        kinds = [.. kindList];
        linears = [.. layers.OfType<Linear>()];
        RegisterComponents();
    }

    /// <summary>The widths: inputs, hidden…, outputs.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>The dropout probability after each hidden activation (0 = none).</summary>
    public double Dropout { get; }

    /// <summary>Whether each hidden layer has BatchNorm1d before its activation.</summary>
    public bool BatchNorm { get; }

    /// <summary>The affine layers, input first (their weight and grad are what gradient diagnostics read).</summary>
    public IReadOnlyList<Linear> Linears => linears;

    /// <summary>The number of Linear layers (hidden layers + 1).</summary>
    public int Depth => linears.Length;

    /// <summary>Logits [N, outputs] for x [N, inputs].</summary>
    public override Tensor forward(Tensor x) => Run(x, record: null);

    /// <summary>
    /// The logits plus every hidden layer's pre- and post-activation values, for histograms and saturation
    /// diagnostics. The tensors stay in the autograd graph (call <c>.retain_grad()</c> on them before backward to
    /// read their gradients); the caller owns and disposes them.
    /// </summary>
    public (Tensor Output, IReadOnlyList<LayerActivations> Layers) ForwardWithActivations(Tensor x)
    {
        var record = new List<LayerActivations>();
        return (Run(x, record), record);
    }

    private Tensor Run(Tensor x, List<LayerActivations>? record)
    {
        ModelInputs.Features(x, Sizes[0], linears[0].weight.dtype, $"This Mlp [{string.Join(", ", Sizes)}]");
        if (BatchNorm) ModelInputs.BatchForNorm(x, training, "This Mlp");
        using var scope = torch.NewDisposeScope();
        var a = x;
        int linear = -1;
        Tensor? pre = null;
        for (int i = 0; i < layers.Count; i++)
        {
            a = layers[i].call(a);   // call, not forward: forward hooks (Diagnostics.Activations) see every layer
            switch (kinds[i])
            {
                case Kind.Linear:
                    linear = i;
                    pre = a;
                    break;
                case Kind.Norm:
                    pre = a;
                    break;
                case Kind.Activation when record is not null:
                    record.Add(new LayerActivations($"layers.{linear}", pre!.MoveToOuterDisposeScope(), a.MoveToOuterDisposeScope()));
                    break;
            }
        }
        return a.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A deep plain MLP for the initialisation and vanishing-gradient lessons: a configurable number of Linear layers of
/// one width (no shortcuts, no normalisation) with a chosen nonlinearity and weight init.
/// </summary>
public sealed class PlainDeepNet : Mlp
{
    /// <summary>The activation names PlainDeepNet accepts.</summary>
    public static readonly IReadOnlyList<string> ActivationNames = ["relu", "tanh", "sigmoid", "leaky_relu", "gelu", "identity"];

    /// <summary>The init names PlainDeepNet accepts.</summary>
    public static readonly IReadOnlyList<string> InitNames = ["default", "xavier", "kaiming", "zeros", "constant", "normal"];

    /// <summary>
    /// <paramref name="depth"/> Linear layers from <paramref name="inputs"/> (default: width) through hidden width
    /// <paramref name="width"/> to <paramref name="outputs"/> (default: width). <paramref name="init"/>:
    /// "default" = PyTorch's Linear init; "xavier" = xavier_normal_ (Var w = 2/(fan_in + fan_out));
    /// "kaiming" = kaiming_normal_ for ReLU (Var w = 2/fan_in); "zeros" = all weights 0; "constant" = all weights
    /// <paramref name="scale"/>; "normal" = N(0, <paramref name="scale"/>²). Every init but "default" sets biases to 0.
    /// </summary>
    public PlainDeepNet(int depth, int width, string activation = "relu", string init = "default",
        int? inputs = null, int? outputs = null, double scale = 0.01, int? seed = null)
        : base(Widths(depth, width, inputs, outputs), ActivationFactory(activation), name: "plain")
    {
        Activation = activation;
        Init = init;
        if (!InitNames.Contains(init))
            throw new ArgumentException($"init '{init}' is not one of {string.Join(", ", InitNames)}.", nameof(init));
        if (!double.IsFinite(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be finite.");
        if (seed is int s) torch.manual_seed(s);
        Reinitialize(init, scale);
    }

    /// <summary>The hidden nonlinearity's name.</summary>
    public string Activation { get; }

    /// <summary>The weight init's name.</summary>
    public string Init { get; }

    private void Reinitialize(string init, double scale)
    {
        using var noGrad = torch.no_grad();
        foreach (var linear in Linears)
        {
            var w = linear.weight;
            switch (init)
            {
                case "default":
                    torch.nn.init.kaiming_uniform_(w, a: Math.Sqrt(5)); // what nn.Linear's constructor does
                    var bound = 1 / Math.Sqrt(w.shape[1]);
                    torch.nn.init.uniform_(linear.bias!, -bound, bound);
                    continue;
                case "xavier": InitLab.Fill(w, InitScheme.XavierNormal); break;   // a real normal: TorchSharp's xavier_normal_ is uniform
                case "kaiming": torch.nn.init.kaiming_normal_(w, nonlinearity: torch.nn.init.NonlinearityType.ReLU); break;
                case "zeros": torch.nn.init.zeros_(w); break;
                case "constant": torch.nn.init.constant_(w, scale); break;
                case "normal": torch.nn.init.normal_(w, 0, scale); break;
            }
            torch.nn.init.zeros_(linear.bias!);
        }
    }

    private static int[] Widths(int depth, int width, int? inputs, int? outputs)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, $"depth is the number of Linear layers and must be ≥ 1, got {depth}.");
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, $"width must be ≥ 1, got {width}.");
        int[] sizes = [.. Enumerable.Repeat(width, depth + 1)];
        sizes[0] = inputs ?? width;
        sizes[^1] = outputs ?? width;
        return sizes;
    }

    private static Func<Module<Tensor, Tensor>> ActivationFactory(string activation) => activation switch
    {
        "relu" => () => ReLU(),
        "tanh" => () => Tanh(),
        "sigmoid" => () => Sigmoid(),
        "leaky_relu" => () => LeakyReLU(0.01),
        "gelu" => () => GELU(),
        "identity" => () => Identity(),
        _ => throw new ArgumentException($"activation '{activation}' is not one of {string.Join(", ", ActivationNames)}.", nameof(activation)),
    };
}
