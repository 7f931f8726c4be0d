using System.Globalization;
using System.Net;
using System.Text;
using DeepLearning.Scratch;

namespace DeepLearning.Course;

/// <summary>One node of a <see cref="ComputationGraph"/>: a <see cref="Value"/> with the operation that made it.</summary>
/// <param name="Id">Position in topological order (inputs before the nodes computed from them).</param>
/// <param name="Label">The value's label, or "" for an unnamed intermediate or constant.</param>
/// <param name="Op">The operation that produced it ("+", "*", "tanh"…), "" for a leaf.</param>
/// <param name="Data">The value.</param>
/// <param name="Grad">∂root/∂value after the last backward pass.</param>
/// <param name="Inputs">Ids of the nodes it was computed from.</param>
/// <param name="Depth">Longest path from a leaf (leaves are 0); an operation is drawn in that column, a leaf just left of its first consumer.</param>
public sealed record GraphNode(int Id, string Label, string Op, double Data, double Grad, IReadOnlyList<int> Inputs, int Depth);

/// <summary>
/// The computational graph behind a scalar <see cref="Value"/> (micrograd's draw_dot): every node with its value and
/// gradient, drawn left to right from the inputs to the result as an inline SVG (no network, no Graphviz).
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record ComputationGraph(IReadOnlyList<GraphNode> Nodes) : IHtmlView
{
    private const int BoxWidth = 196, BoxHeight = 30, ColumnWidth = 300, RowHeight = 46, OpRadius = 15, OpOffset = 48, Margin = 10;

    /// <summary>The graph that computed <paramref name="root"/>, in topological order (the root last).</summary>
    public static ComputationGraph Of(Value root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var order = new List<Value>();
        var ids = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        void Visit(Value v)
        {
            if (ids.ContainsKey(v)) return;
            foreach (var child in v.Children) Visit(child);
            ids[v] = order.Count;
            order.Add(v);
        }
        Visit(root);

        var depth = new int[order.Count];
        var nodes = new List<GraphNode>(order.Count);
        for (int i = 0; i < order.Count; i++)
        {
            var v = order[i];
            int[] inputs = [.. v.Children.Select(c => ids[c])];
            depth[i] = inputs.Length == 0 ? 0 : 1 + inputs.Max(j => depth[j]);
            nodes.Add(new GraphNode(i, v.Label, v.Op, v.Data, v.Grad, inputs, depth[i]));
        }
        return new ComputationGraph(nodes);
    }

    /// <summary>The node labelled <paramref name="label"/> (labels are set with <c>new Value(x, "label")</c> or <c>v.Label = …</c>).</summary>
    public GraphNode this[string label] =>
        Nodes.FirstOrDefault(n => n.Label == label)
        ?? throw new KeyNotFoundException($"No node is labelled '{label}'; the labels are: {string.Join(", ", Nodes.Where(n => n.Label.Length > 0).Select(n => n.Label))}.");

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder($"computational graph: {Nodes.Count} nodes, inputs first");
        foreach (var n in Nodes)
        {
            string made = n.Op.Length == 0 ? "leaf" : $"{n.Op}({string.Join(", ", n.Inputs.Select(Name))})";
            sb.Append(CultureInfo.InvariantCulture, $"\n  {Name(n.Id),-6} = {made,-22} data {n.Data,10:G5}   grad {n.Grad,10:G5}");
        }
        return sb.ToString();
    }

    /// <inheritdoc/>
    public string ToHtml()
    {
        // Columns: an operation one right of its deepest input; a leaf just left of its first consumer (as Graphviz ranks).
        var column = Nodes.Select(n => n.Depth).ToArray();
        foreach (var n in Nodes.Where(n => n.Op.Length == 0))
        {
            var consumers = Nodes.Where(m => m.Inputs.Contains(n.Id)).Select(m => m.Depth).ToList();
            if (consumers.Count > 0) column[n.Id] = Math.Max(0, consumers.Min() - 1);
        }
        int columns = column.Max() + 1;
        var rowOf = new int[Nodes.Count];
        var rowsPerColumn = new int[columns];
        foreach (var n in Nodes) rowOf[n.Id] = rowsPerColumn[column[n.Id]]++;
        int rows = rowsPerColumn.Max();
        bool longEdges = Nodes.Any(n => n.Inputs.Any(j => column[n.Id] - column[j] > 1));
        double top = Margin + (longEdges ? 0.8 * RowHeight : 0);   // room for edges that arc over a column
        int width = (2 * Margin) + ((columns - 1) * ColumnWidth) + BoxWidth, height = (int)(top + Margin + (rows * RowHeight));

        // Box i's left edge and vertical centre; columns are centred vertically.
        double X(int i) => Margin + (column[i] * ColumnWidth);
        double Y(int i) => top + (RowHeight / 2.0) + (rowOf[i] * RowHeight) + ((rows - rowsPerColumn[column[i]]) * RowHeight / 2.0);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"course-graph\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" style=\"max-width:100%;height:auto\" font-family=\"Menlo, Consolas, monospace\" font-size=\"12\">");
        svg.Append("<defs><marker id=\"cg-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#888\"/></marker></defs>");
        foreach (var n in Nodes)
        {
            if (n.Op.Length == 0) continue;
            double ox = X(n.Id) - OpOffset, oy = Y(n.Id);
            for (int k = 0; k < n.Inputs.Count; k++)
            {
                int j = n.Inputs[k];
                double x1 = X(j) + BoxWidth, y1 = Y(j), x2 = ox - OpRadius, y2 = oy;
                // A value used twice by one operation (a·a) gets two edges, bent apart so both show.
                double bend = n.Inputs.Take(k).Contains(j) ? 14 : n.Inputs.Skip(k + 1).Contains(j) ? -14 : 0;
                string path = column[n.Id] - column[j] > 1
                    ? $"M{x1:F1},{y1:F1} C{x1 + 60:F1},{Math.Min(y1, y2) - RowHeight:F1} {x2 - 60:F1},{Math.Min(y1, y2) - RowHeight:F1} {x2:F1},{y2:F1}"
                    : $"M{x1:F1},{y1:F1} Q{(x1 + x2) / 2:F1},{((y1 + y2) / 2) + bend:F1} {x2:F1},{y2:F1}";
                svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path}\" fill=\"none\" stroke=\"#888\" marker-end=\"url(#cg-arrow)\"/>");
            }
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{ox + OpRadius:F1}\" y1=\"{oy:F1}\" x2=\"{X(n.Id):F1}\" y2=\"{oy:F1}\" stroke=\"#888\" marker-end=\"url(#cg-arrow)\"/>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<circle cx=\"{ox:F1}\" cy=\"{oy:F1}\" r=\"{OpRadius}\" fill=\"#fff4e5\" stroke=\"#ff7f0e\"/><text x=\"{ox:F1}\" y=\"{oy + 4:F1}\" text-anchor=\"middle\">{Esc(n.Op)}</text>");
        }
        foreach (var n in Nodes)
        {
            double x = X(n.Id), y = Y(n.Id) - (BoxHeight / 2.0);
            string name = n.Label.Length > 0 ? n.Label : n.Op.Length == 0 ? "const" : "";
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{x:F1}\" y=\"{y:F1}\" width=\"{BoxWidth}\" height=\"{BoxHeight}\" rx=\"4\" fill=\"#eef4fb\" stroke=\"#1f77b4\"/>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{x + 6:F1}\" y=\"{y + 19:F1}\"><tspan font-weight=\"bold\">{Esc(name)}</tspan> data {Num(n.Data)} <tspan fill=\"#d62728\">grad {Num(n.Grad)}</tspan></text>");
        }
        return svg.Append("</svg>").ToString();
    }

    private string Name(int id) => Nodes[id].Label.Length > 0 ? Nodes[id].Label : $"#{id}";

    private static string Num(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
