using DeepLearning.Scratch;

namespace DeepLearning.Course.Tests;

public class ComputationGraphTests
{
    // micrograd's neuron: o = tanh(x1·w1 + x2·w2 + b), whose gradients are easy to check by hand.
    private static (Value O, ComputationGraph Graph) Neuron()
    {
        var (x1, x2, w1, w2, b) = (new Value(2, "x1"), new Value(0, "x2"), new Value(-3, "w1"), new Value(1, "w2"), new Value(6.8813735870195432, "b"));
        var n = (x1 * w1) + (x2 * w2) + b;
        n.Label = "n";
        var o = n.Tanh();
        o.Label = "o";
        o.Backward();
        return (o, ComputationGraph.Of(o));
    }

    [Fact]
    public void Nodes_come_in_topological_order_with_values_gradients_and_depths()
    {
        var (o, g) = Neuron();
        Assert.Equal(10, g.Nodes.Count);                       // 5 leaves, 2 products, 2 sums, tanh
        Assert.Same(o.Label, g.Nodes[^1].Label);
        foreach (var node in g.Nodes)
            Assert.All(node.Inputs, i => Assert.True(i < node.Id, $"input {i} after node {node.Id}"));
        Assert.Equal(5, g.Nodes.Count(n => n.Op.Length == 0 && n.Depth == 0));
        Assert.Equal(4, g["o"].Depth);                         // x·w → + → + → tanh
        Assert.Equal("tanh", g["o"].Op);
        Assert.Equal(Math.Sqrt(0.5), g["o"].Data, 12);
        Assert.Equal(0.5, g["n"].Grad, 12);                    // 1 − tanh²
        Assert.Equal(1.0, g["w1"].Grad, 12);                   // x1 · 0.5
        Assert.Equal(-1.5, g["x1"].Grad, 12);                  // w1 · 0.5
        Assert.Equal(0.0, g["w2"].Grad, 12);                   // x2 = 0
    }

    [Fact]
    public void A_value_used_twice_is_one_node()
    {
        var a = new Value(3, "a");
        var b = a + a;
        b.Backward();
        var g = ComputationGraph.Of(b);
        Assert.Equal(2, g.Nodes.Count);
        Assert.Equal([0, 0], g.Nodes[1].Inputs);
        Assert.Equal(2.0, g["a"].Grad, 12);                    // both uses add their share
    }

    [Fact]
    public void Edges_of_a_value_used_twice_are_drawn_apart_and_long_edges_arc_over_a_column()
    {
        var a = new Value(3, "a");
        var c = (a * a) + a;
        c.Backward();
        string html = ComputationGraph.Of(c).ToHtml();
        var paths = System.Text.RegularExpressions.Regex.Matches(html, "<path d=\"(M[^\"]*)\" fill=\"none\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(4, paths.Count);                                   // a → * twice, a·a → +, a → +
        Assert.Single(paths, p => p.Contains(" C", StringComparison.Ordinal)); // a → + skips the * column: an arc
        var bends = paths.Where(p => p.Contains(" Q", StringComparison.Ordinal)).Select(p => p.Split(' ')[1]).ToList();
        Assert.Equal(bends.Count, bends.Distinct().Count());            // the two a → * edges do not coincide
    }

    [Fact]
    public void Renders_as_self_contained_svg_and_text()
    {
        var (_, g) = Neuron();
        string html = g.ToHtml();
        Assert.StartsWith("<svg", html);
        Assert.EndsWith("</svg>", html);
        Assert.Contains(">w1</tspan>", html);
        Assert.Contains("grad -1.5", html);
        Assert.Contains(">tanh</text>", html);
        Assert.DoesNotContain("http://cdn", html);
        Assert.Equal(10, System.Text.RegularExpressions.Regex.Count(html, "<rect"));
        Assert.Equal(5, System.Text.RegularExpressions.Regex.Count(html, "<circle"));
        string text = g.ToString();
        Assert.Contains("o      = tanh(n)", text);
        Assert.Contains("10 nodes", text);
    }

    [Fact]
    public void Unknown_labels_are_explained()
    {
        var (_, g) = Neuron();
        var ex = Assert.Throws<KeyNotFoundException>(() => g["z"]);
        Assert.Contains("'z'", ex.Message);
        Assert.Contains("x1", ex.Message);
        Assert.Throws<ArgumentNullException>(() => ComputationGraph.Of(null!));
    }
}
