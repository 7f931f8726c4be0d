using DeepLearning.Scratch;
using Plotly.NET;
using Plotly.NET.CSharp;
using Plotly.NET.LayoutObjects;
using Chart = Plotly.NET.CSharp.Chart;

namespace DeepLearning.Course;

public static partial class Charts
{
    /// <summary>
    /// Curves of several functions over [<paramref name="from"/>, <paramref name="to"/>], with their derivatives in a
    /// second panel (or dashed in the same panel). The activation-function picture:
    /// <c>Charts.Functions([("sigmoid", Activations.Sigmoid.Apply, Activations.Sigmoid.Derivative), ...])</c>.
    /// </summary>
    public static Figure Functions(
        IReadOnlyList<(string Name, Func<double, double> F, Func<double, double>? Derivative)> functions,
        double from = -5, double to = 5, int points = 401, bool separatePanels = true,
        string title = "Functions and their derivatives")
    {
        NotEmpty(functions, nameof(functions), "function");
        CheckRange((from, to), nameof(to));
        if (points < 2)
            throw new ArgumentException($"points must be at least 2, but is {points}.", nameof(points));
        double[] x = Linspace(from, to, points);
        var curves = new List<(string, IReadOnlyList<double>, IReadOnlyList<double>?)>();
        for (int i = 0; i < functions.Count; i++)
        {
            var (name, f, df) = functions[i];
            if (f is null)
                throw new ArgumentException($"{Label((name, i), nameof(functions))} has no function F.", nameof(functions));
            curves.Add((name, x.Select(f).ToArray(), df is null ? null : x.Select(df).ToArray()));
        }
        return Functions(x, curves, separatePanels, title);
    }

    /// <summary>
    /// Precomputed curves <c>y = f(x)</c> (and optionally <c>f′(x)</c>) on a common <paramref name="x"/> grid, e.g.
    /// values and autograd derivatives from TorchSharp.
    /// </summary>
    public static Figure Functions(
        IReadOnlyList<double> x,
        IReadOnlyList<(string Name, IReadOnlyList<double> Y, IReadOnlyList<double>? Derivative)> curves,
        bool separatePanels = true, string title = "Functions and their derivatives")
    {
        NotEmptyValues(x, nameof(x), "x");
        FiniteValues(x, nameof(x), "x");
        NotEmpty(curves, nameof(curves), "curve");
        for (int i = 0; i < curves.Count; i++)
        {
            var (name, y, dy) = curves[i];
            string label = Label((name, i), nameof(curves));
            NotEmptyValues(y, nameof(curves), $"{label}.Y");
            SameLength(x.Count, y.Count, nameof(curves), $"{label}.Y", "x");
            if (dy is not null) SameLength(x.Count, dy.Count, nameof(curves), $"{label}.Derivative", "x");
        }

        var values = new List<GenericChart>();
        var slopes = new List<GenericChart>();
        for (int i = 0; i < curves.Count; i++)
        {
            var (name, y, dy) = curves[i];
            values.Add(Line(x, y, name, ColorOf(i)));
            if (dy is not null)
                slopes.Add(separatePanels
                    ? Line(x, dy, name, ColorOf(i), showLegend: false, group: name)
                    : Line(x, dy, name + "′", ColorOf(i), dashed: true));   // own legend group: one legend row
        }

        if (!separatePanels || slopes.Count == 0)
        {
            var one = Arrange([new Panel([.. values, .. slopes], Axis("x"), Axis(slopes.Count == 0 ? "f(x)" : "f(x), f′(x) (dashed)"))], 1);
            return Finish(one, title, 420);
        }
        var chart = Arrange(
            [new Panel(values, Axis("x"), Axis("f(x)")), new Panel(slopes, Axis("x"), Axis("f′(x)"))],
            columns: 2, xGap: 0.15);
        return Finish(chart, title, 420);
    }

    /// <summary>
    /// Training (solid) and validation (dashed) loss per epoch, optionally accuracy in a second panel; marks the best
    /// epoch (lowest validation loss unless <paramref name="bestEpoch"/> is given) and an early stop. Epochs are
    /// numbered from 1 on the x axis, and <paramref name="bestEpoch"/>/<paramref name="stoppedEpoch"/> use the same
    /// numbering.
    /// </summary>
    public static Figure LossCurves(
        IReadOnlyList<double> trainLoss, IReadOnlyList<double>? validLoss = null,
        IReadOnlyList<double>? trainAccuracy = null, IReadOnlyList<double>? validAccuracy = null,
        int? bestEpoch = null, int? stoppedEpoch = null, bool logY = false, string title = "Loss per epoch")
    {
        NotEmptyValues(trainLoss, nameof(trainLoss), "trainLoss");
        int n = trainLoss.Count;
        if (validLoss is not null) SameLength(n, validLoss.Count, nameof(validLoss), "validLoss", "trainLoss");
        if (trainAccuracy is not null) SameLength(n, trainAccuracy.Count, nameof(trainAccuracy), "trainAccuracy", "trainLoss");
        if (validAccuracy is not null) SameLength(n, validAccuracy.Count, nameof(validAccuracy), "validAccuracy", "trainLoss");
        if (bestEpoch is { } b && (b < 1 || b > n))
            throw new ArgumentException($"bestEpoch is {b} but epochs are numbered 1..{n}.", nameof(bestEpoch));
        if (stoppedEpoch is { } s && (s < 1 || s > n))
            throw new ArgumentException($"stoppedEpoch is {s} but epochs are numbered 1..{n}.", nameof(stoppedEpoch));

        var epochs = OneBased(n).ToArray();
        string train = ColorOf(0), valid = ColorOf(1);
        var loss = new List<GenericChart> { Line(epochs, trainLoss, "train", train, group: "train") };
        if (validLoss is not null) loss.Add(Line(epochs, validLoss, "validation", valid, dashed: true, group: "validation"));

        int lowest = validLoss is null ? -1 : ArgMinFinite(validLoss);   // the best epoch, unless the caller knows better
        int? best = bestEpoch ?? (lowest >= 0 ? lowest + 1 : null);
        var bestSource = validLoss ?? trainLoss;
        if (best is { } e && double.IsFinite(bestSource[e - 1]))
            loss.Add(Points([e], [bestSource[e - 1]], $"best (epoch {e})", Mark, StyleParam.MarkerSymbol.Star, size: 13));

        bool accuracyPanel = trainAccuracy is not null || validAccuracy is not null;
        var accuracy = new List<GenericChart>();
        if (trainAccuracy is not null) accuracy.Add(Line(epochs, trainAccuracy, "train", train, showLegend: false, group: "train"));
        if (validAccuracy is not null) accuracy.Add(Line(epochs, validAccuracy, "validation", valid, dashed: true, showLegend: validLoss is null, group: "validation"));

        var panels = new List<Panel> { new(loss, Axis("epoch"), Axis("loss", log: logY)) };
        if (accuracyPanel) panels.Add(new(accuracy, Axis("epoch"), Axis("accuracy")));
        var chart = Arrange(panels, columns: 2, xGap: 0.15);

        // Vertical reference lines across every panel: best epoch (dotted) and early stop (dashed).
        var shapes = new List<Shape>();
        var notes = new List<Annotation>();
        for (int p = 1; p <= panels.Count; p++)
        {
            string xref = p == 1 ? "x" : $"x{p}", yref = p == 1 ? "y domain" : $"y{p} domain";
            if (best is { } be) shapes.Add(VLine(be, xref, yref, "dot"));
            if (stoppedEpoch is { } se) shapes.Add(VLine(se, xref, yref, "dash"));
            if (stoppedEpoch is { } st && p == 1)
                notes.Add(new Annotation().With("x", st).With("xref", xref).With("y", 1).With("yref", yref)
                    .With("text", "early stop").With("showarrow", false).With("xanchor", "left").With("yanchor", "top")
                    .With("font", new { size = 11, color = Mark }));
        }
        if (shapes.Count > 0) chart = chart.WithShapes(shapes);
        if (notes.Count > 0) chart = chart.WithAnnotations(notes);
        return Finish(chart, title, 420);
    }

    /// <summary>
    /// Loss per epoch for several runs (one color per run; training solid, validation dashed), e.g. with and without
    /// dropout, or a plain and a residual network.
    /// </summary>
    public static Figure LossCurves(
        IReadOnlyList<(string Name, IReadOnlyList<double> Train, IReadOnlyList<double>? Valid)> runs,
        bool logY = false, string yTitle = "loss", string title = "Loss per epoch")
    {
        NotEmpty(runs, nameof(runs), "run");
        var traces = new List<GenericChart>();
        for (int i = 0; i < runs.Count; i++)
        {
            var (name, train, valid) = runs[i];
            string label = Label((name, i), nameof(runs));
            NotEmptyValues(train, nameof(runs), $"{label}.Train");
            traces.Add(Line(OneBased(train.Count), train, $"{name} (train)", ColorOf(i), group: name));
            if (valid is not null)
            {
                SameLength(train.Count, valid.Count, nameof(runs), $"{label}.Valid", $"{label}.Train");
                traces.Add(Line(OneBased(valid.Count), valid, $"{name} (validation)", ColorOf(i), dashed: true, group: name));
            }
        }
        return Finish(Arrange([new Panel(traces, Axis("epoch"), Axis(yTitle, log: logY))], 1), title, 420);
    }

    /// <summary>Learning rate per epoch for several schedules (step lines: the rate is constant within an epoch; epoch 0 is the first).</summary>
    public static Figure Schedules(
        IReadOnlyList<(string Name, IReadOnlyList<double> LearningRates)> schedules,
        bool logY = false, string xTitle = "epoch", string title = "Learning-rate schedules")
    {
        NotEmpty(schedules, nameof(schedules), "schedule");
        var traces = new List<GenericChart>();
        for (int i = 0; i < schedules.Count; i++)
        {
            var (name, lr) = schedules[i];
            NotEmptyValues(lr, nameof(schedules), $"{Label((name, i), nameof(schedules))}.LearningRates");
            traces.Add(Line(Enumerable.Range(0, lr.Count), lr, name, ColorOf(i), steps: true));
        }
        return Finish(Arrange([new Panel(traces, Axis(xTitle), Axis("learning rate", log: logY))], 1), title, 400);
    }

    /// <summary>The scratch half's schedules (<see cref="LrSchedule.Curve"/>) from <paramref name="baseLr"/> over <paramref name="epochs"/> epochs.</summary>
    public static Figure Schedules(
        IReadOnlyList<(string Name, LrSchedule Schedule)> schedules, double baseLr, int epochs,
        bool logY = false, string title = "Learning-rate schedules")
    {
        NotEmpty(schedules, nameof(schedules), "schedule");
        if (epochs < 1)
            throw new ArgumentException($"epochs must be at least 1, but is {epochs}.", nameof(epochs));
        return Schedules(
            [.. schedules.Select((s, i) => (s.Name, (IReadOnlyList<double>)(s.Schedule ?? throw new ArgumentException(
                $"{Label((s.Name, i), nameof(schedules))} has no schedule.", nameof(schedules))).Curve(baseLr, epochs)))],
            logY, "epoch", title);
    }

    /// <summary>
    /// A per-layer statistic (activation std, gradient norm, …) against layer index, one line per configuration
    /// (e.g. per initialization). Layers are numbered from 1 unless <paramref name="layerNames"/> are given.
    /// </summary>
    public static Figure LayerStats(
        IReadOnlyList<(string Name, IReadOnlyList<double> Values)> configurations,
        string yTitle = "activation std", bool logY = false, IReadOnlyList<string>? layerNames = null,
        string title = "Per-layer statistics")
    {
        NotEmpty(configurations, nameof(configurations), "configuration");
        int layers = 0;
        for (int i = 0; i < configurations.Count; i++)
        {
            NotEmptyValues(configurations[i].Values, nameof(configurations), $"{Label((configurations[i].Name, i), nameof(configurations))}.Values");
            layers = Math.Max(layers, configurations[i].Values.Count);
        }
        if (layerNames is not null && layerNames.Count < layers)
            throw new ArgumentException($"layerNames has {layerNames.Count} names but the longest configuration has {layers} layers.", nameof(layerNames));

        var traces = new List<GenericChart>();
        for (int i = 0; i < configurations.Count; i++)
        {
            var (name, v) = configurations[i];
            traces.Add(layerNames is null
                ? Line(OneBased(v.Count), v, name, ColorOf(i), markers: true)
                : Line(layerNames.Take(v.Count), v, name, ColorOf(i), markers: true));
        }
        var x = Axis("layer", categories: layerNames is not null);
        if (layerNames is null) x.With("dtick", layers <= 20 ? 1 : (object)"auto").With("tick0", 1);
        return Finish(Arrange([new Panel(traces, x, Axis(yTitle, log: logY))], 1), title, 400);
    }

    /// <summary>Lines through (x, y) points, one per series (e.g. accuracy against a hyperparameter for several methods).</summary>
    public static Figure Lines(
        IReadOnlyList<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)> series,
        string xTitle = "x", string yTitle = "y", bool logX = false, bool logY = false, bool markers = false,
        string title = "Results") =>
        XY(series, xTitle, yTitle, logX, logY, lines: true, markers, title);

    /// <summary>Points, one color per series; <paramref name="connect"/> joins each series' points in order.</summary>
    public static Figure Scatter(
        IReadOnlyList<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)> series,
        string xTitle = "x", string yTitle = "y", bool logX = false, bool logY = false, bool connect = false,
        string title = "Results") =>
        XY(series, xTitle, yTitle, logX, logY, lines: connect, markers: true, title);

    private static Figure XY(IReadOnlyList<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)> series,
        string xTitle, string yTitle, bool logX, bool logY, bool lines, bool markers, string title)
    {
        NotEmpty(series, nameof(series), "series");
        var traces = new List<GenericChart>();
        for (int i = 0; i < series.Count; i++)
        {
            var (name, x, y) = series[i];
            string label = Label((name, i), nameof(series));
            NotEmptyValues(x, nameof(series), $"{label}.X");
            NotEmptyValues(y, nameof(series), $"{label}.Y");
            SameLength(x.Count, y.Count, nameof(series), $"{label}.Y", $"{label}.X");
            FiniteValues(x, nameof(series), $"{label}.X");
            traces.Add(lines ? Line(x, y, name, ColorOf(i), markers: markers) : Points(x, y, name, ColorOf(i), size: 9));
        }
        return Finish(Arrange([new Panel(traces, Axis(xTitle, log: logX), Axis(yTitle, log: logY))], 1), title, 420);
    }

    /// <summary>
    /// Grouped bars: one group per category (e.g. learning rate), one bar per series (e.g. method), values written
    /// on the bars. Non-finite values (a diverged run) get no bar and the label "NaN"/"∞".
    /// </summary>
    public static Figure Bars(
        IReadOnlyList<string> categories, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series,
        string xTitle = "", string yTitle = "value", bool logY = false, string title = "Results")
    {
        NotEmpty(categories, nameof(categories), "category");
        NotEmpty(series, nameof(series), "series");
        var traces = new List<GenericChart>();
        for (int i = 0; i < series.Count; i++)
        {
            var (name, values) = series[i];
            string label = Label((name, i), nameof(series));
            NotEmptyValues(values, nameof(series), $"{label}.Values");
            SameLength(categories.Count, values.Count, nameof(series), $"{label}.Values", "categories");
            var text = values.Select(v => double.IsNaN(v) ? "NaN" : double.IsInfinity(v) ? (v > 0 ? "∞" : "−∞") : Num(v)).ToArray();
            traces.Add(Chart.Column<double, string, string>(
                    values, Keys: categories.ToArray(), Name: name, MarkerColor: Color.fromString(ColorOf(i)),
                    MultiText: text, TextPosition: StyleParam.TextPosition.Outside, UseDefaults: false)
                .WithTraceInfo(LegendGroup: name));
        }
        var chart = Arrange([new Panel(traces, Axis(xTitle, categories: true).With("showgrid", false), Axis(yTitle, log: logY))], 1)
            .WithLayout(new Layout().With("barmode", "group").With("bargap", 0.25).With("bargroupgap", 0.05));
        return Finish(chart, title, 420, showLegend: series.Count > 1);
    }

    /// <summary>One bar per category.</summary>
    public static Figure Bars(
        IReadOnlyList<string> categories, IReadOnlyList<double> values,
        string xTitle = "", string yTitle = "value", bool logY = false, string title = "Results") =>
        Bars(categories, [(yTitle, values)], xTitle, yTitle, logY, title);

    private static Shape VLine(double x, string xref, string yref, string dash) => new Shape()
        .With("type", "line").With("x0", x).With("x1", x).With("xref", xref).With("y0", 0).With("y1", 1).With("yref", yref)
        .With("line", new { color = Mark, width = 1, dash }).With("layer", "below");

    private static int ArgMinFinite(IReadOnlyList<double> v)
    {
        int best = -1;
        for (int i = 0; i < v.Count; i++)
            if (double.IsFinite(v[i]) && (best < 0 || v[i] < v[best])) best = i;
        return best;   // −1 when nothing is finite
    }
}
