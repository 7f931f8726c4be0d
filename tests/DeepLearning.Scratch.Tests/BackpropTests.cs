using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class BackpropTests
{
    public static TheoryData<string> Cases => Fixture.Names("backprop", "sanity", "all_ops", "neuron");

    // The expressions of fixtures/gen/backprop.py, op for op.
    private static Value Expression(string op, Value[] v) => op switch
    {
        "sanity" => Sanity(v[0], v[1]),
        "all_ops" => AllOps(v[0], v[1], v[2]),
        "neuron" => ((v[0] * v[2]) + (v[1] * v[3]) + v[4]).Tanh(),
        _ => throw new ArgumentException($"no expression '{op}'", nameof(op)),
    };

    private static Value Sanity(Value a, Value b)
    {
        var c = a + b;
        var d = (a * b) + b.Pow(3);
        c = c + c + 1;
        c = c + 1 + c + (-a);
        d = d + (d * 2) + (b + a).Relu();
        d = d + (3 * d) + (b - a).Relu();
        var e = c - d;
        var f = e.Pow(2);
        var g = f / 2.0;
        return g + (10.0 / f);
    }

    private static Value AllOps(Value x, Value y, Value z)
    {
        var a = ((x * y) + z).Tanh() * (x - z).Sigmoid();
        var b = (y.Exp() + (z * z)).Log() / (1 + x.Pow(2));
        var c = ((y * z) - x).Relu().Pow(1.5);
        var d = (a - b).Pow(3) / (c + 2);
        return d + (10 / ((a * a) + 1));
    }

    private static Value[] Leaves(NDArray<double> x) => [.. x.Data.Select(v => new Value(v))];

    [Theory, MemberData(nameof(Cases))]
    public void Value_and_gradients_match_pytorch(string name)
    {
        var c = Fixture.Load("backprop")[name];
        var leaves = Leaves(c.Input<double>("x"));
        var y = Expression(c.Op, leaves);
        y.Backward();
        Close.Scalar(c.Output<double>("out")[0], y.Data, name + " value", 1e-10, 1e-12);
        Close.Assert(c.Grad<double>("x"), NDArray.From(leaves.Select(l => l.Grad).ToArray()), name + " grads");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Gradients_match_finite_differences(string name)
    {
        var c = Fixture.Load("backprop")[name];
        var x = c.Input<double>("x");
        var leaves = Leaves(x);
        Expression(c.Op, leaves).Backward();
        var analytic = NDArray.From(leaves.Select(l => l.Grad).ToArray());
        // The sanity expression is a degree-6 polynomial in b with large coefficients: its fifth derivative is big
        // enough that the stencil's O(h⁴) error shows at h = 1e-3, so it gets a smaller step.
        double h = c.Op == "sanity" ? 1e-4 : 1e-3;
        var r = GradCheck.Check(() => Expression(c.Op, Leaves(x)).Data, x, analytic, h);
        Assert.True(r.Passed(1e-9), r.ToString());
    }

    [Fact]
    public void The_lecture_neuron_by_hand()
    {
        // o = tanh(x1·w1 + x2·w2 + b) with n = 0.8814 → o = 1/√2, do/dn = 1 − o² = 1/2.
        Value x1 = new(2.0, "x1"), x2 = new(0.0, "x2"), w1 = new(-3.0, "w1"), w2 = new(1.0, "w2"), b = new(6.8813735870195432, "b");
        var o = ((x1 * w1) + (x2 * w2) + b).Tanh();
        o.Backward();
        Assert.Equal(Math.Sqrt(0.5), o.Data, 12);
        Assert.Equal(-1.5, x1.Grad, 12); // w1 · 1/2
        Assert.Equal(0.5, x2.Grad, 12);  // w2 · 1/2
        Assert.Equal(1.0, w1.Grad, 12);  // x1 · 1/2
        Assert.Equal(0.0, w2.Grad, 12);  // x2 · 1/2
        Assert.Equal(0.5, b.Grad, 12);
        Assert.Equal("tanh", o.Op);
    }

    [Fact]
    public void A_node_used_twice_gets_both_contributions()
    {
        // micrograd's famous bug before += : b = a + a must give ∂b/∂a = 2, and a·a must give 2a.
        var a = new Value(3.0);
        (a + a).Backward();
        Assert.Equal(2.0, a.Grad);
        var c = new Value(3.0);
        (c * c).Backward();
        Assert.Equal(6.0, c.Grad);
    }

    // micrograd's MLP(3, [4, 4, 1]) with the case's weights, and its squared-error loss on the lecture's examples.
    private static (Backprop.Mlp Net, Func<Value> Loss) LectureMlp(FixtureCase c)
    {
        var net = new Backprop.Mlp(3, [4, 4, 1], new Rng(0));
        for (int l = 0; l < net.Layers.Count; l++)
        {
            var (w, b) = (c.Input<double>($"w{l}"), c.Input<double>($"b{l}"));
            for (int j = 0; j < net.Layers[l].Neurons.Count; j++)
            {
                var neuron = net.Layers[l].Neurons[j];
                for (int i = 0; i < neuron.W.Count; i++) neuron.W[i].Data = w[j, i];
                neuron.B.Data = b[j];
            }
        }
        var (xs, ys) = (c.Input<double>("xs"), c.Input<double>("ys"));
        Value Loss()
        {
            Value loss = 0;
            for (int k = 0; k < ys.Length; k++)
            {
                var prediction = net.Forward([.. xs.Row(k).ToArray().Select(v => new Value(v))])[0];
                loss += (prediction - ys[k]).Pow(2);
            }
            return loss;
        }
        return (net, Loss);
    }

    [Fact]
    public void Mlp_of_neurons_matches_pytorch_and_finite_differences()
    {
        var c = Fixture.Load("backprop")["mlp/3-4-4-1"];
        var (net, lossOf) = LectureMlp(c);
        var loss = lossOf();
        loss.Backward();
        Close.Scalar(c.Output<double>("loss")[0], loss.Data, "loss", 1e-10, 1e-12);
        for (int l = 0; l < net.Layers.Count; l++)
        {
            var neurons = net.Layers[l].Neurons;
            var dw = NDArray.FromRows(neurons.Select(n => n.W.Select(w => w.Grad).ToArray()).ToArray());
            Close.Assert(c.Grad<double>($"w{l}"), dw, $"dW{l}");
            Close.Assert(c.Grad<double>($"b{l}"), NDArray.From(neurons.Select(n => n.B.Grad).ToArray()), $"db{l}");
        }

        // All parameters as one array for the finite-difference check.
        var parameters = net.Parameters.ToList();
        var theta = NDArray.From(parameters.Select(p => p.Data).ToArray());
        var analytic = NDArray.From(parameters.Select(p => p.Grad).ToArray());
        double F()
        {
            for (int i = 0; i < parameters.Count; i++) parameters[i].Data = theta[i];
            return lossOf().Data;
        }
        var r = GradCheck.Check(F, theta, analytic);
        Assert.True(r.Passed(1e-9), r.ToString());
    }

    [Fact]
    public void Gradient_descent_on_the_lecture_mlp_drives_the_loss_down()
    {
        var (net, lossOf) = LectureMlp(Fixture.Load("backprop")["mlp/3-4-4-1"]);
        double first = lossOf().Data;
        for (int step = 0; step < 30; step++)
        {
            net.ZeroGrad();
            lossOf().Backward();
            foreach (var p in net.Parameters) p.Data -= 0.05 * p.Grad;
        }
        double last = lossOf().Data;
        Assert.True(last < first / 10, $"loss {first} → {last}");
    }

    [Fact]
    public void Neuron_rejects_wrong_input_count_and_unknown_nonlinearity()
    {
        var neuron = new Backprop.Neuron(3, new Rng(1));
        var ex = Assert.Throws<ArgumentException>(() => neuron.Forward([1.0, 2.0]));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("2 values", ex.Message);
        Assert.Contains("3 weights", ex.Message);
        var bad = Assert.Throws<ArgumentException>(() => new Backprop.Neuron(3, new Rng(1), "softplus"));
        Assert.Equal("nonlinearity", bad.ParamName);
        Assert.Contains("softplus", bad.Message);
    }

    // ─── Fault class 4: the scalar autograd ─────────────────────────────────────────────────────────────────────────

    [Fact]
    public void Backward_on_a_million_node_deep_graph_does_not_overflow_the_stack()
    {
        // x ← x + a a million times: a chain 1,000,000 nodes deep (the recursive sort overflowed at ~10⁴–10⁵).
        var a = new Value(0.5, "a");
        Value x = a;
        for (int i = 0; i < 1_000_000; i++) x += a;
        x.Backward();
        Assert.Equal(1_000_001 * 0.5, x.Data);
        Assert.Equal(1_000_001.0, a.Grad); // every + adds its share: ∂x/∂a = 1,000,001
    }

    [Fact]
    public void Null_operands_are_argument_errors_not_null_references()
    {
        var v = new Value(2);
        Value nothing = null!;
        foreach (var op in new Func<Value>[] { () => v + nothing, () => nothing + v, () => v * nothing, () => nothing * v,
                     () => v - nothing, () => nothing - v, () => v / nothing, () => nothing / v, () => -nothing })
            Assert.ThrowsAny<ArgumentNullException>(op);
        Assert.Contains("right", Assert.Throws<ArgumentNullException>(() => v + nothing).Message);
        Assert.Equal("", new Value(1, null!).Label);
        Assert.Contains("Value(data=1", new Value(1) { Label = null! }.ToString());
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => new Backprop.Neuron(2, new Rng(0)).Forward([v, nothing])).ParamName);
    }

    [Fact]
    public void An_mlp_without_layers_or_with_non_positive_sizes_is_rejected()
    {
        var empty = Assert.Throws<ArgumentException>(() => new Backprop.Mlp(3, [], new Rng(0)));
        Assert.Equal("outputs", empty.ParamName);
        Assert.Contains("at least one layer", empty.Message);
        Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => new Backprop.Mlp(3, [4, 0, 1], new Rng(0))).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentOutOfRangeException>(() => new Backprop.Mlp(0, [1], new Rng(0))).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentNullException>(() => new Backprop.Mlp(3, null!, new Rng(0))).ParamName);
        Assert.Equal("rng", Assert.Throws<ArgumentNullException>(() => new Backprop.Mlp(3, [1], null!)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentOutOfRangeException>(() => new Backprop.Neuron(-1, new Rng(0))).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => new Backprop.Layer(2, 0, new Rng(0))).ParamName);
    }
}
