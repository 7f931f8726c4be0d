namespace DeepLearning.Scratch;

/// <summary>
/// A scalar that remembers how it was computed (micrograd's Value): every operation records its inputs and a
/// closure that pushes the output's gradient back to them by the chain rule, written right beside the forward
/// formula. <see cref="Backward"/> runs those closures in reverse topological order. Scalars only, in double:
/// it is for seeing backpropagation, not for speed.
/// </summary>
public sealed class Value
{
    private readonly Value[] _children;
    private Action _backward = () => { };

    /// <summary>A leaf (an input or a parameter) holding <paramref name="data"/>.</summary>
    public Value(double data, string label = "") : this(data, [], "", label) { }

    private Value(double data, Value[] children, string op, string label = "")
    {
        Data = data;
        _children = children;
        Op = op;
        _label = label ?? "";
    }

    /// <summary>The number this node holds; optimizers update leaves in place.</summary>
    public double Data { get; set; }

    /// <summary>∂(root of the last <see cref="Backward"/>)/∂this, accumulated: reset with <see cref="Grad"/> = 0.</summary>
    public double Grad { get; set; }

    /// <summary>The operation that produced this node ("+", "*", "tanh"…), empty for a leaf.</summary>
    public string Op { get; }

    /// <summary>An optional name for printing graphs.</summary>
    public string Label
    {
        get => _label;
        set => _label = value ?? "";
    }

    private string _label;

    /// <summary>The nodes this one was computed from.</summary>
    public IReadOnlyList<Value> Children => _children;

    /// <summary>a + b; both inputs receive the output's gradient unchanged.</summary>
    public static Value operator +(Value a, Value b)
    {
        Operands(a, b);
        var out_ = new Value(a.Data + b.Data, [a, b], "+");
        out_._backward = () =>
        {
            a.Grad += out_.Grad;
            b.Grad += out_.Grad;
        };
        return out_;
    }

    /// <summary>a · b; each input's gradient is the other input times the output's.</summary>
    public static Value operator *(Value a, Value b)
    {
        Operands(a, b);
        var out_ = new Value(a.Data * b.Data, [a, b], "*");
        out_._backward = () =>
        {
            a.Grad += b.Data * out_.Grad;
            b.Grad += a.Data * out_.Grad;
        };
        return out_;
    }

    /// <summary>aⁿ for a constant exponent n: d/da = n·aⁿ⁻¹.</summary>
    public Value Pow(double n)
    {
        var out_ = new Value(Math.Pow(Data, n), [this], $"**{n}");
        out_._backward = () => Grad += n * Math.Pow(Data, n - 1) * out_.Grad;
        return out_;
    }

    /// <summary>eᵃ: its own derivative.</summary>
    public Value Exp()
    {
        var out_ = new Value(Math.Exp(Data), [this], "exp");
        out_._backward = () => Grad += out_.Data * out_.Grad;
        return out_;
    }

    /// <summary>ln a: d/da = 1/a.</summary>
    public Value Log()
    {
        var out_ = new Value(Math.Log(Data), [this], "log");
        out_._backward = () => Grad += out_.Grad / Data;
        return out_;
    }

    /// <summary>tanh a: d/da = 1 − tanh²a.</summary>
    public Value Tanh()
    {
        var out_ = new Value(Math.Tanh(Data), [this], "tanh");
        out_._backward = () => Grad += (1 - (out_.Data * out_.Data)) * out_.Grad;
        return out_;
    }

    /// <summary>max(0, a): the gradient passes where a &gt; 0.</summary>
    public Value Relu()
    {
        var out_ = new Value(Math.Max(0, Data), [this], "relu");
        out_._backward = () => Grad += (out_.Data > 0 ? 1 : 0) * out_.Grad;
        return out_;
    }

    /// <summary>σ(a) = 1/(1 + e⁻ᵃ): d/da = σ(1 − σ).</summary>
    public Value Sigmoid()
    {
        var out_ = new Value(1 / (1 + Math.Exp(-Data)), [this], "sigmoid");
        out_._backward = () => Grad += out_.Data * (1 - out_.Data) * out_.Grad;
        return out_;
    }

    // The rest are compositions, so their gradients come for free from the ops above.

    /// <summary>−a = a·(−1).</summary>
    public static Value operator -(Value a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a * -1;
    }

    /// <summary>a − b = a + (−b).</summary>
    public static Value operator -(Value a, Value b)
    {
        Operands(a, b);
        return a + (-b);
    }

    /// <summary>a / b = a · b⁻¹.</summary>
    public static Value operator /(Value a, Value b)
    {
        Operands(a, b);
        return a * b.Pow(-1);
    }

    // A null operand would otherwise surface as a NullReferenceException inside a backward closure, far from the bug.
    private static void Operands(Value a, Value b)
    {
        if (a is null || b is null)
            throw new ArgumentNullException(a is null ? nameof(a) : nameof(b),
                $"An operand is null ({(a is null ? "left" : "right")} side): every input of an operation must be a Value (a constant converts implicitly).");
    }

    /// <summary>A constant becomes a leaf, so 2 * x and x + 1 read like the math.</summary>
    public static implicit operator Value(double data) => new(data);

    /// <summary>
    /// Backpropagation from this node: its gradient is set to 1 and every node it depends on receives
    /// ∂this/∂node. Each node's closure runs only after all of its consumers have added their share.
    /// </summary>
    public void Backward()
    {
        // Topological order by depth-first search, children before the node that uses them. micrograd writes it as a
        // recursive function; here the recursion's stack is an explicit one, so a graph a million nodes deep (a long
        // loop of += on one Value) cannot overflow the thread's stack. Each entry is a node and how many of its
        // children have been visited so far.
        var topo = new List<Value>();
        var visited = new HashSet<Value>(ReferenceEqualityComparer.Instance) { this };
        var stack = new Stack<(Value Node, int NextChild)>();
        stack.Push((this, 0));
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node._children.Length)
            {
                stack.Push((node, next + 1)); // come back for the remaining children
                var child = node._children[next];
                if (visited.Add(child)) stack.Push((child, 0));
                continue;
            }
            topo.Add(node); // all children are in topo already
        }

        Grad = 1;
        for (int i = topo.Count - 1; i >= 0; i--) topo[i]._backward();
    }

    /// <inheritdoc/>
    public override string ToString() => $"Value(data={Data:G6}, grad={Grad:G6}{(Label.Length > 0 ? $", label={Label}" : "")})";
}

/// <summary>micrograd's neural net on <see cref="Value"/>s: a neuron is tanh/ReLU/linear of Σ wᵢxᵢ + b.</summary>
public static class Backprop
{
    /// <summary>One neuron: act(Σ wᵢxᵢ + b) with act = "tanh", "relu" or "linear".</summary>
    public sealed class Neuron
    {
        private readonly string _nonlinearity;

        /// <summary>A neuron with <paramref name="inputs"/> weights and a bias, drawn from U(−1, 1).</summary>
        public Neuron(int inputs, Rng rng, string nonlinearity = "tanh")
        {
            Check.PositiveInt(inputs, nameof(inputs));
            ArgumentNullException.ThrowIfNull(rng);
            if (nonlinearity is not ("tanh" or "relu" or "linear"))
                throw new ArgumentException($"Unknown nonlinearity '{nonlinearity}' (use tanh, relu or linear).", nameof(nonlinearity));
            _nonlinearity = nonlinearity;
            W = [.. Enumerable.Range(0, inputs).Select(_ => new Value(rng.Uniform(-1, 1)))];
            B = new Value(rng.Uniform(-1, 1));
        }

        /// <summary>The weights wᵢ.</summary>
        public IReadOnlyList<Value> W { get; }

        /// <summary>The bias b.</summary>
        public Value B { get; }

        /// <summary>The neuron's output for inputs x.</summary>
        public Value Forward(IReadOnlyList<Value> x)
        {
            ArgumentNullException.ThrowIfNull(x);
            if (x.Count != W.Count)
                throw new ArgumentException($"x has {x.Count} values but the neuron has {W.Count} weights.", nameof(x));
            for (int i = 0; i < x.Count; i++)
                if (x[i] is null)
                    throw new ArgumentException($"x[{i}] is null.", nameof(x));
            Value act = B;
            for (int i = 0; i < W.Count; i++) act += W[i] * x[i];
            return _nonlinearity switch
            {
                "tanh" => act.Tanh(),
                "relu" => act.Relu(),
                _ => act,
            };
        }

        /// <summary>The weights then the bias.</summary>
        public IEnumerable<Value> Parameters => W.Append(B);
    }

    /// <summary>A layer of independent neurons seeing the same inputs.</summary>
    public sealed class Layer
    {
        /// <summary><paramref name="outputs"/> neurons with <paramref name="inputs"/> weights each.</summary>
        public Layer(int inputs, int outputs, Rng rng, string nonlinearity = "tanh")
        {
            Check.PositiveInt(inputs, nameof(inputs));
            Check.PositiveInt(outputs, nameof(outputs));
            ArgumentNullException.ThrowIfNull(rng);
            Neurons = [.. Enumerable.Range(0, outputs).Select(_ => new Neuron(inputs, rng, nonlinearity))];
        }

        /// <summary>The neurons, one per output.</summary>
        public IReadOnlyList<Neuron> Neurons { get; }

        /// <summary>Each neuron's output.</summary>
        public IReadOnlyList<Value> Forward(IReadOnlyList<Value> x) => [.. Neurons.Select(n => n.Forward(x))];

        /// <summary>All neurons' parameters.</summary>
        public IEnumerable<Value> Parameters => Neurons.SelectMany(n => n.Parameters);
    }

    /// <summary>Layers of tanh neurons with a linear output layer, e.g. new Mlp(3, [4, 4, 1], rng).</summary>
    public sealed class Mlp
    {
        /// <summary>A network taking <paramref name="inputs"/> values through layers of widths <paramref name="outputs"/> (at least one).</summary>
        public Mlp(int inputs, IReadOnlyList<int> outputs, Rng rng)
        {
            Check.PositiveInt(inputs, nameof(inputs));
            ArgumentNullException.ThrowIfNull(outputs);
            ArgumentNullException.ThrowIfNull(rng);
            // No layers would make the network the identity, which is never what a caller meant.
            if (outputs.Count == 0)
                throw new ArgumentException("outputs is empty: an MLP needs at least one layer, e.g. [4, 4, 1].", nameof(outputs));
            for (int l = 0; l < outputs.Count; l++)
                if (outputs[l] <= 0)
                    throw new ArgumentOutOfRangeException(nameof(outputs), outputs[l], $"outputs[{l}] = {outputs[l]}: every layer width must be positive.");
            Layers = [.. outputs.Select((o, l) => new Layer(l == 0 ? inputs : outputs[l - 1], o, rng, l == outputs.Count - 1 ? "linear" : "tanh"))];
        }

        /// <summary>The layers, input first.</summary>
        public IReadOnlyList<Layer> Layers { get; }

        /// <summary>The network's outputs for one input vector.</summary>
        public IReadOnlyList<Value> Forward(IReadOnlyList<Value> x) => Layers.Aggregate(x, (h, layer) => layer.Forward(h));

        /// <summary>Every parameter, layer by layer.</summary>
        public IEnumerable<Value> Parameters => Layers.SelectMany(l => l.Parameters);

        /// <summary>Sets every parameter's gradient to 0 before the next backward pass.</summary>
        public void ZeroGrad()
        {
            foreach (var p in Parameters) p.Grad = 0;
        }
    }
}
