using System.Globalization;
using Plotly.NET;
using Plotly.NET.CSharp;
using Plotly.NET.LayoutObjects;
using Plotly.NET.TraceObjects;
using Chart = Plotly.NET.CSharp.Chart;   // Plotly.NET.CSharp's chart builders take C# optional arguments

namespace DeepLearning.Course;

/// <summary>
/// The course's charts: each lesson picture is one call that returns a <see cref="Figure"/> (offline HTML in a
/// notebook, Plotly JSON for tests). Inputs are plain arrays and lists, plus overloads for the scratch half's
/// <c>NDArray&lt;float&gt;</c> and <c>Dataset</c>.
/// <para>
/// Input policy, the same for every chart: a list of series must not be empty and no series may be empty; x values
/// must be finite; paired arrays (x and y, train and validation, labels and predictions) must have equal lengths —
/// otherwise an <see cref="ArgumentException"/> names the argument and shows the lengths. Non-finite y values (NaN,
/// ±∞: a run that diverged) are allowed and drawn as gaps, so a blown-up loss never hides the rest of the figure.
/// </para>
/// </summary>
public static partial class Charts
{
    /// <summary>The series colors, in order (Tableau 10, matplotlib's default cycle): series i is <c>Palette[i % 10]</c>.</summary>
    public static IReadOnlyList<string> Palette { get; } =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>The color of series <paramref name="index"/> (cycles through <see cref="Palette"/>).</summary>
    public static string ColorOf(int index) => Palette[((index % Palette.Count) + Palette.Count) % Palette.Count];

    private const string Ink = "#2a3f5f";            // text
    private const string GridColor = "#e8e8e8";      // grid lines: visible, never louder than data
    private const string Mark = "#444444";           // reference lines and markers (best epoch, minimum)

    // White background, light grid, Tableau colors; the template's xaxis/yaxis apply to every subplot's axes.
    // A new one per figure: Plotly.NET merges layouts in place, so a shared instance could be changed by a learner's Combine.
    private static Template CourseTemplate() => Template.init<Trace>(
        new Layout()
            .With("font", new { family = "Arial", size = 13, color = Ink })
            .With("paper_bgcolor", "white")
            .With("plot_bgcolor", "white")
            .With("hovermode", "closest")
            .With("colorway", Palette.ToArray())
            .SetLinearAxis(StyleParam.SubPlotId.NewXAxis(1), TemplateAxis())
            .SetLinearAxis(StyleParam.SubPlotId.NewYAxis(1), TemplateAxis()),
        TraceTemplates: null);   // F# option: null is None

    private static LinearAxis TemplateAxis() => new LinearAxis()
        .With("showline", true).With("linecolor", "#9a9a9a").With("ticks", "outside").With("tickcolor", "#9a9a9a")
        .With("showgrid", true).With("gridcolor", GridColor).With("zeroline", false).With("automargin", true);

    private static Layout SetLinearAxis(this Layout layout, StyleParam.SubPlotId id, LinearAxis axis) =>
        Layout.setLinearAxis(id, axis).Invoke(layout);

    // ---------------------------------------------------------------- building blocks

    /// <summary>Sets a plotly.js attribute (names as in plotly.com/javascript/reference) and returns the object.</summary>
    private static T With<T>(this T obj, string attribute, object value) where T : DynamicObj.DynamicObj
    {
        obj.SetProperty(attribute, value);
        return obj;
    }

    /// <summary>An axis with a title; log scale on request; optional fixed range (in data units).</summary>
    private static LinearAxis Axis(string title, bool log = false, (double Min, double Max)? range = null, bool categories = false)
    {
        var axis = new LinearAxis().With("title", new { text = title })
            .With("type", categories ? "category" : log ? "log" : "linear");
        if (range is { } r)   // plotly's range is in log10 units on a log axis
            axis.With("range", log ? new[] { Math.Log10(r.Min), Math.Log10(r.Max) } : new[] { r.Min, r.Max });
        return axis;
    }

    /// <summary>A line (optionally with markers) in one color; dashed for the "second" curve of a pair.</summary>
    private static GenericChart Line<TX>(IEnumerable<TX> x, IEnumerable<double> y, string name, string color,
        bool dashed = false, bool markers = false, bool showLegend = true, string? group = null, double width = 2,
        bool steps = false, int markerSize = 6) where TX : IConvertible
    {
        var line = new Plotly.NET.Line().With("color", color).With("width", width)
            .With("dash", dashed ? "dash" : "solid").With("shape", steps ? "hv" : "linear");
        var chart = Chart.Scatter<TX, double, string>(
            x, y, markers ? StyleParam.Mode.Lines_Markers : StyleParam.Mode.Lines,
            Name: name, ShowLegend: showLegend, Line: line,
            Marker: new Marker().With("color", color).With("size", markerSize), UseDefaults: false);
        return chart.WithTraceInfo(LegendGroup: group ?? name);
    }

    /// <summary>Markers only.</summary>
    private static GenericChart Points(IEnumerable<double> x, IEnumerable<double> y, string name, string color,
        StyleParam.MarkerSymbol? symbol = null, int size = 7, bool showLegend = true, string? group = null,
        string? outline = null, double opacity = 1.0)
    {
        var marker = new Marker().With("color", color).With("size", size).With("opacity", opacity)
            .With("line", new Plotly.NET.Line().With("color", outline ?? color).With("width", outline is null ? 0 : 1));
        var chart = Chart.Point<double, double, string>(
            x, y, Name: name, ShowLegend: showLegend, Marker: marker,
            MarkerSymbol: symbol ?? StyleParam.MarkerSymbol.Circle, UseDefaults: false);
        return chart.WithTraceInfo(LegendGroup: group ?? name);
    }

    /// <summary>One subplot: its traces, its axes and an optional title above it.</summary>
    private sealed record Panel(IReadOnlyList<GenericChart> Traces, LinearAxis X, LinearAxis Y, string? Title = null);

    /// <summary>Lays panels out left-to-right, top-to-bottom, each with its own axes (Plotly.NET's Chart.Grid).</summary>
    private static GenericChart Arrange(IReadOnlyList<Panel> panels, int columns, double xGap = 0.12, double yGap = 0.3)
    {
        var cells = panels.Select(p => Chart.Combine(p.Traces).WithXAxis(p.X).WithYAxis(p.Y)).ToList();
        if (cells.Count == 1 && panels[0].Title is null) return cells[0];
        bool titled = panels.Any(p => p.Title is not null);
        columns = Math.Clamp(columns, 1, cells.Count);
        int rows = (cells.Count + columns - 1) / columns;
        return titled
            ? Chart.Grid(cells, rows, columns, SubPlotTitles: panels.Select(p => p.Title ?? "").ToArray(),
                SubPlotTitleFont: new Font().With("size", 13).With("color", Ink), XGap: xGap, YGap: yGap)
            : Chart.Grid(cells, rows, columns, XGap: xGap, YGap: yGap);
    }

    /// <summary>
    /// Applies the course look (template, title, size, legend) and wraps the chart. The legend sits in one or more
    /// rows between the title and the plot; the top margin (and the height) grows with the rows it needs.
    /// </summary>
    private static Figure Finish(GenericChart chart, string title, int height, bool showLegend = true,
        int left = 60, int right = 20, int bottom = 50, int extraTop = 0)
    {
        int legendHeight = showLegend ? LegendHeight(chart) : 0;
        int top = 48 + legendHeight + extraTop;
        height += legendHeight;
        var legend = new Legend().With("orientation", "h").With("x", 0.0).With("xanchor", "left")
            .With("y", 1.0).With("yanchor", "bottom").With("font", new { size = 11 })
            .With("bgcolor", "rgba(255,255,255,0.8)");
        var layout = new Layout()
            .With("title", new { text = title, x = 0.0, xref = "paper", y = 1.0, yref = "container", yanchor = "top", pad = new { t = 12 }, font = new { size = 16 } })
            .With("showlegend", legendHeight > 0).With("legend", legend).With("height", height).With("autosize", true)
            .With("margin", new { l = left, r = right, t = top, b = bottom });
        var styled = chart.WithTemplate(CourseTemplate()).WithLayout(layout)
            .WithConfig(new Config().With("responsive", true).With("displaylogo", false));
        return new Figure(styled, title, height);
    }

    // Pixels a horizontal legend needs in a ~850 px wide notebook cell. plotly.js stacks the entries of a legend group
    // vertically and wraps groups into rows; an entry is its symbol plus ~6.5 px per character, ~19 px high.
    private static int LegendHeight(GenericChart chart)
    {
        var groups = GenericChart.getTraces(chart)
            .Where(t => t.TryGetTypedPropertyValue<bool>("showlegend") is not { } shown || shown.Value)
            .Select(t => (Name: t.TryGetTypedPropertyValue<string>("name")?.Value ?? "", Group: t.TryGetTypedPropertyValue<string>("legendgroup")?.Value))
            .GroupBy(e => e.Group ?? e.Name)
            .Select(g => (Width: 45 + (6.5 * g.Max(e => e.Name.Length)), Entries: g.Count()))
            .ToList();
        int height = 0, rowEntries = 0;
        double x = 0;
        foreach (var (width, entries) in groups)
        {
            if (x > 0 && x + width > 850) (height, x, rowEntries) = (height + (19 * rowEntries) + 6, 0, 0);
            (x, rowEntries) = (x + width, Math.Max(rowEntries, entries));
        }
        return rowEntries == 0 ? 0 : height + (19 * rowEntries) + 6;
    }

    // ---------------------------------------------------------------- argument checks (name the argument, show the numbers)

    private static void NotEmpty<T>(IReadOnlyList<T>? list, string paramName, string what)
    {
        ArgumentNullException.ThrowIfNull(list, paramName);
        if (list.Count == 0)
            throw new ArgumentException($"{paramName} is empty: give at least one {what}.", paramName);
    }

    private static void NotEmptyValues(IReadOnlyList<double>? values, string paramName, string label)
    {
        if (values is null)
            throw new ArgumentException($"{label} is null.", paramName);
        if (values.Count == 0)
            throw new ArgumentException($"{label} is empty.", paramName);
    }

    private static void SameLength(int expected, int actual, string paramName, string label, string expectedLabel)
    {
        if (expected != actual)
            throw new ArgumentException($"{label} has {actual} values but {expectedLabel} has {expected}; they must match.", paramName);
    }

    private static void FiniteValues(IReadOnlyList<double> values, string paramName, string label)
    {
        for (int i = 0; i < values.Count; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{label}[{i}] is {Num(values[i])}; x values must be finite (only y values may be NaN/∞, drawn as gaps).", paramName);
    }

    private static void CheckRange((double Min, double Max) range, string paramName)
    {
        if (!double.IsFinite(range.Min) || !double.IsFinite(range.Max) || range.Min >= range.Max)
            throw new ArgumentException($"{paramName} must be a finite interval with Min < Max, but is ({Num(range.Min)}, {Num(range.Max)}).", paramName);
    }

    private static string Num(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string Label((string Name, int Index) s, string paramName) => $"{paramName}[{s.Index}] (\"{s.Name}\")";

    private static double[] Linspace(double from, double to, int count) =>
        [.. Enumerable.Range(0, count).Select(i => count == 1 ? from : from + ((to - from) * i / (count - 1)))];

    private static IEnumerable<int> OneBased(int count) => Enumerable.Range(1, count);
}
