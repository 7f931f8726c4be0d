using DeepLearning.Scratch;
using Plotly.NET;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace DeepLearning.Course;

public static partial class Charts
{
    /// <summary>
    /// One histogram per layer (activations, gradients, weights): small multiples with a shared x range so layers
    /// compare at a glance (CS231n's initialization picture), or <paramref name="overlay"/>ed with transparency.
    /// Values are binned here (the notebook stores counts, not every value). Each panel's title gives the layer's
    /// mean and std; non-finite values are left out and counted in the title.
    /// </summary>
    public static Figure Histograms(IReadOnlyList<(string Name, IReadOnlyList<double> Values)> layers, int bins = 40,
        (double Min, double Max)? range = null, bool overlay = false, string xTitle = "value",
        string title = "Histograms per layer")
    {
        NotEmpty(layers, nameof(layers), "layer");
        if (bins < 1)
            throw new ArgumentException($"bins must be at least 1, but is {bins}.", nameof(bins));
        if (range is { } given) CheckRange(given, nameof(range));
        for (int i = 0; i < layers.Count; i++)
            NotEmptyValues(layers[i].Values, nameof(layers), $"{Label((layers[i].Name, i), nameof(layers))}.Values");

        var (lo, hi) = range ?? SharedExtent(layers.Select(l => l.Values));
        double[] edges = Linspace(lo, hi, bins + 1);
        var binned = new List<(string Name, IReadOnlyList<double> Edges, IReadOnlyList<double> Counts)>();
        var notes = new List<string>();
        foreach (var (name, values) in layers)
        {
            var counts = new double[bins];
            int nonFinite = 0, outside = 0;
            double sum = 0, sumSq = 0;
            int finite = 0;
            foreach (double v in values)
            {
                if (!double.IsFinite(v)) { nonFinite++; continue; }
                (sum, sumSq, finite) = (sum + v, sumSq + (v * v), finite + 1);
                if (v < lo || v > hi) { outside++; continue; }
                counts[Math.Min((int)((v - lo) / (hi - lo) * bins), bins - 1)]++;   // the last bin includes hi, as numpy's
            }
            double mean = finite > 0 ? sum / finite : double.NaN;
            double std = finite > 0 ? Math.Sqrt(Math.Max(0, (sumSq / finite) - (mean * mean))) : double.NaN;
            string note = $"μ={Short(mean)}, σ={Short(std)}";
            if (nonFinite > 0) note += $", {nonFinite} non-finite";
            if (outside > 0) note += $", {outside} outside range";
            binned.Add((name, edges, counts));
            notes.Add(note);
        }
        return HistogramFigure(binned, notes, overlay, xTitle, "count", title);
    }

    /// <summary>The same for float values (activations as the networks produce them).</summary>
    public static Figure Histograms(IReadOnlyList<(string Name, IReadOnlyList<float> Values)> layers, int bins = 40,
        (double Min, double Max)? range = null, bool overlay = false, string xTitle = "value",
        string title = "Histograms per layer")
    {
        NotEmpty(layers, nameof(layers), "layer");
        return Histograms(
            [.. layers.Select(l => (l.Name, (IReadOnlyList<double>)(l.Values?.Select(v => (double)v).ToArray() ?? null!)))],
            bins, range, overlay, xTitle, title);
    }

    /// <summary>The same for the scratch half's arrays (every element of each array is one value).</summary>
    public static Figure Histograms(IReadOnlyList<(string Name, NDArray<float> Values)> layers, int bins = 40,
        (double Min, double Max)? range = null, bool overlay = false, string xTitle = "value",
        string title = "Histograms per layer")
    {
        NotEmpty(layers, nameof(layers), "layer");
        return Histograms([.. layers.Select(l => (l.Name, (IReadOnlyList<float>)(l.Values?.Data ?? null!)))],
            bins, range, overlay, xTitle, title);
    }

    /// <summary>
    /// Precomputed histograms: for each layer the bin <c>Edges</c> (one more than the counts, increasing) and the
    /// <c>Counts</c> (e.g. from <c>torch.histc</c>).
    /// </summary>
    public static Figure Histograms(
        IReadOnlyList<(string Name, IReadOnlyList<double> Edges, IReadOnlyList<double> Counts)> layers,
        bool overlay = false, string xTitle = "value", string yTitle = "count", string title = "Histograms per layer")
    {
        NotEmpty(layers, nameof(layers), "layer");
        for (int i = 0; i < layers.Count; i++)
        {
            var (name, edges, counts) = layers[i];
            string label = Label((name, i), nameof(layers));
            NotEmptyValues(counts, nameof(layers), $"{label}.Counts");
            NotEmptyValues(edges, nameof(layers), $"{label}.Edges");
            SameLength(counts.Count + 1, edges.Count, nameof(layers), $"{label}.Edges", $"{label}.Counts + 1");
            FiniteValues(edges, nameof(layers), $"{label}.Edges");
            for (int b = 0; b < counts.Count; b++)
                if (edges[b + 1] <= edges[b])
                    throw new ArgumentException($"{label}.Edges must increase, but Edges[{b}] = {Num(edges[b])} and Edges[{b + 1}] = {Num(edges[b + 1])}.", nameof(layers));
        }
        return HistogramFigure(layers, null, overlay, xTitle, yTitle, title);
    }

    private static Figure HistogramFigure(
        IReadOnlyList<(string Name, IReadOnlyList<double> Edges, IReadOnlyList<double> Counts)> layers,
        IReadOnlyList<string>? notes, bool overlay, string xTitle, string yTitle, string title)
    {
        (double, double) xRange = (layers.Min(l => l.Edges[0]), layers.Max(l => l.Edges[^1]));
        GenericChart Bars(int i, bool showLegend)
        {
            var (name, edges, counts) = layers[i];
            double[] centers = [.. Enumerable.Range(0, counts.Count).Select(b => (edges[b] + edges[b + 1]) / 2)];
            double[] widths = [.. Enumerable.Range(0, counts.Count).Select(b => edges[b + 1] - edges[b])];
            var chart = Chart.Column<double, double, string>(
                counts, Keys: centers, Name: name, ShowLegend: showLegend, MarkerColor: Color.fromString(ColorOf(i)),
                MultiWidth: widths, Opacity: overlay ? 0.55 : 0.9, UseDefaults: false);
            return chart.WithTraceInfo(LegendGroup: name);
        }

        if (overlay || layers.Count == 1)
        {
            var traces = Enumerable.Range(0, layers.Count).Select(i => Bars(i, showLegend: true)).ToList();
            var one = Arrange([new Panel(traces, Axis(xTitle, range: xRange), Axis(yTitle))], 1)
                .WithLayout(new Layout().With("barmode", "overlay").With("bargap", 0));
            string t = layers.Count == 1 && notes is not null ? $"{title}: {layers[0].Name} ({notes[0]})" : title;
            return Finish(one, t, 420, showLegend: layers.Count > 1);
        }

        int columns = Math.Min(4, layers.Count), rows = (layers.Count + columns - 1) / columns;
        var panels = Enumerable.Range(0, layers.Count).Select(i => new Panel(
            [Bars(i, showLegend: false)],
            Axis(i / columns == rows - 1 ? xTitle : "", range: xRange),
            Axis(i % columns == 0 ? yTitle : ""),
            notes is null ? layers[i].Name : $"{layers[i].Name}<br><span style=\"font-size:11px\">{notes[i]}</span>"))
            .ToList();
        var chart = Arrange(panels, columns, xGap: 0.25, yGap: 0.4).WithLayout(new Layout().With("bargap", 0));
        return Finish(chart, title, 90 + (rows * 230), showLegend: false, extraTop: 52);
    }

    private static string Short(double v) => v.ToString(v != 0 && Math.Abs(v) < 1e-3 ? "0.##e+0" : "G3", System.Globalization.CultureInfo.InvariantCulture);

    // The range of every finite value of every layer (widened when all values are equal, e.g. dead ReLUs).
    private static (double Min, double Max) SharedExtent(IEnumerable<IReadOnlyList<double>> layers)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var values in layers)
            foreach (double v in values)
                if (double.IsFinite(v)) (lo, hi) = (Math.Min(lo, v), Math.Max(hi, v));
        if (lo > hi) return (-1, 1);                      // nothing finite at all
        if (lo == hi) return (lo - Math.Max(0.5, Math.Abs(lo) * 0.1), hi + Math.Max(0.5, Math.Abs(hi) * 0.1));
        return (lo, hi);
    }

}
