using System.Globalization;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using Plotly.NET;

namespace DeepLearning.Course;

public static partial class Charts
{
    private static readonly StyleParam.MarkerSymbol CircleOpen =
        StyleParam.MarkerSymbol.NewModified(StyleParam.MarkerSymbol.Circle, StyleParam.SymbolStyle.Open);

    /// <summary>
    /// Optimizer paths over the contours of a 2-D loss surface: <paramref name="loss"/> is evaluated on a
    /// <paramref name="resolution"/>² grid over the ranges; each path gets a start (○) and end (×) marker. With
    /// <paramref name="logLevels"/> the contour levels are evenly spaced in log₁₀ of the loss — the only way to see
    /// Rosenbrock's narrow valley. Non-finite path points (a diverged optimizer) are gaps.
    /// </summary>
    public static Figure Trajectories(
        Func<double, double, double> loss, (double Min, double Max) xRange, (double Min, double Max) yRange,
        IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> paths,
        (double X, double Y)? minimum = null, bool logLevels = false, int resolution = 121,
        string title = "Optimizer trajectories")
    {
        ArgumentNullException.ThrowIfNull(loss);
        CheckRange(xRange, nameof(xRange));
        CheckRange(yRange, nameof(yRange));
        NotEmpty(paths, nameof(paths), "path");
        if (resolution < 2)
            throw new ArgumentException($"resolution must be at least 2, but is {resolution}.", nameof(resolution));
        for (int i = 0; i < paths.Count; i++)
        {
            if (paths[i].Points is null || paths[i].Points.Count == 0)
                throw new ArgumentException($"{Label((paths[i].Name, i), nameof(paths))} has no points.", nameof(paths));
        }

        double[] gx = Linspace(xRange.Min, xRange.Max, resolution), gy = Linspace(yRange.Min, yRange.Max, resolution);
        double[][] z = [.. gy.Select(y => gx.Select(x => loss(x, y)).ToArray())];   // rows are y, as plotly expects
        var traces = new List<GenericChart> { Surface(gx, gy, z, logLevels) };

        for (int i = 0; i < paths.Count; i++)
        {
            var (name, points) = paths[i];
            string color = ColorOf(i);
            var px = points.Select(p => p.X).ToArray();
            var py = points.Select(p => p.Y).ToArray();
            traces.Add(Line(px, py, name, color, markers: true, width: 2, markerSize: 4));
            int first = Array.FindIndex(px, (v) => double.IsFinite(v)), last = Array.FindLastIndex(px, (v) => double.IsFinite(v));
            if (first >= 0 && double.IsFinite(py[first]))
                traces.Add(Points([px[first]], [py[first]], $"{name} start", color, CircleOpen, size: 13, showLegend: false, group: name));
            if (last >= 0 && double.IsFinite(py[last]))
                traces.Add(Points([px[last]], [py[last]], $"{name} end", color, StyleParam.MarkerSymbol.X, size: 11, showLegend: false, group: name, outline: "white"));
        }
        if (minimum is { } m)
            traces.Add(Points([m.X], [m.Y], "minimum", "#111111", StyleParam.MarkerSymbol.Star, size: 16, outline: "white"));

        var chart = Arrange([new Panel(traces, Axis("x", range: xRange).With("showgrid", false),
            Axis("y", range: yRange).With("showgrid", false))], 1);
        return Finish(chart, title, 520);
    }

    /// <summary>The same, with each path given as separate x and y arrays.</summary>
    public static Figure Trajectories(
        Func<double, double, double> loss, (double Min, double Max) xRange, (double Min, double Max) yRange,
        IReadOnlyList<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)> paths,
        (double X, double Y)? minimum = null, bool logLevels = false, int resolution = 121,
        string title = "Optimizer trajectories")
    {
        NotEmpty(paths, nameof(paths), "path");
        var pointPaths = new List<(string, IReadOnlyList<(double, double)>)>();
        for (int i = 0; i < paths.Count; i++)
        {
            var (name, x, y) = paths[i];
            string label = Label((name, i), nameof(paths));
            NotEmptyValues(x, nameof(paths), $"{label}.X");
            NotEmptyValues(y, nameof(paths), $"{label}.Y");
            SameLength(x.Count, y.Count, nameof(paths), $"{label}.Y", $"{label}.X");
            pointPaths.Add((name, x.Zip(y).ToArray()));
        }
        return Trajectories(loss, xRange, yRange, pointPaths, minimum, logLevels, resolution, title);
    }

    // Filled contours in greys: the valley reads dark, and every palette color of the paths stays visible on top.
    private static GenericChart Surface(double[] gx, double[] gy, double[][] z, bool logLevels)
    {
        var trace = new Trace2D("contour").With("x", gx).With("y", gy).With("name", "loss").With("showlegend", false)
            .With("colorscale", new object[] { new object[] { 0, "#7a7a7a" }, new object[] { 0.4, "#bdbdbd" }, new object[] { 0.75, "#e3e3e3" }, new object[] { 1, "#fafafa" } })
            .With("contours", new { coloring = "fill", showlines = true })
            .With("line", new { color = "rgba(255,255,255,0.6)", width = 0.5 })
            .With("ncontours", 30)
            .With("hovertemplate", logLevels ? "x %{x:.3g}, y %{y:.3g}<br>log₁₀ loss %{z:.2f}<extra></extra>" : "x %{x:.3g}, y %{y:.3g}<br>loss %{z:.4g}<extra></extra>");
        if (!logLevels)
            return GenericChart.ofTraceObject(false, trace.With("z", Single(z)).With("colorbar", new { title = new { text = "loss", side = "right" }, thickness = 14 }));

        // Levels evenly spaced in log10(loss − lower + ε); the color bar is labelled with loss values at decades.
        var finite = z.SelectMany(r => r).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double lower = Math.Min(0, finite.Min()), spread = Math.Max(finite.Max() - lower, 1e-12), eps = spread * 1e-4;
        var logZ = z.Select(row => row.Select(v => double.IsFinite(v) ? Math.Log10(v - lower + eps) : double.NaN).ToArray()).ToArray();
        var decades = Enumerable.Range((int)Math.Ceiling(Math.Log10(eps)), (int)Math.Floor(Math.Log10(spread)) - (int)Math.Ceiling(Math.Log10(eps)) + 1)
            .Select(k => Math.Pow(10, k)).ToArray();
        string barTitle = lower == 0 ? "loss (log scale)" : "loss − min (log scale)";
        return GenericChart.ofTraceObject(false, trace.With("z", Single(logZ)).With("colorbar", new
        {
            title = new { text = barTitle, side = "right" },
            thickness = 14,
            tickvals = decades.Select(d => Math.Log10(d + eps)).ToArray(),
            ticktext = decades.Select(Num).ToArray(),
        }));
    }

    // float32 is plenty for a picture and halves the notebook's size.
    private static float[][] Single(double[][] z) => [.. z.Select(row => row.Select(v => (float)v).ToArray())];

    /// <summary>
    /// A 2-D classification set colored by class over the classifier's decision regions. <paramref name="predict"/>
    /// gets a batch of points [M, 2] (one row per point) and returns a class per row; it is called once on a
    /// <paramref name="resolution"/>² grid and once on the data. Misclassified examples are circled.
    /// </summary>
    public static Figure DecisionBoundary(Dataset data, Func<float[,], int[]> predict, int resolution = 150,
        bool showErrors = true, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return DecisionRegions(data.X, nameof(data), data.Labels, predict, data.Classes, data.ClassNames, resolution,
            showErrors, title ?? $"Decision regions: {data.Name}");
    }

    /// <summary>The same, for a classifier of one point <c>(x₁, x₂) → class</c>.</summary>
    public static Figure DecisionBoundary(Dataset data, Func<double, double, int> classify, int resolution = 150,
        bool showErrors = true, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(classify);
        return DecisionBoundary(data, PointWise(classify), resolution, showErrors, title);
    }

    /// <summary>Decision regions for inputs <paramref name="x"/> [N, 2] with <paramref name="labels"/> (classes default to max label + 1).</summary>
    public static Figure DecisionBoundary(NDArray<float> x, int[] labels, Func<float[,], int[]> predict,
        int? classes = null, IReadOnlyList<string>? classNames = null, int resolution = 150, bool showErrors = true,
        string title = "Decision regions") =>
        DecisionRegions(x, nameof(x), labels, predict, classes, classNames, resolution, showErrors, title);

    private static Figure DecisionRegions(NDArray<float> x, string xName, int[] labels, Func<float[,], int[]> predict,
        int? classes, IReadOnlyList<string>? classNames, int resolution, bool showErrors, string title)
    {
        var (x1, x2, k) = CheckPoints(x, labels, classes, classNames, xName);
        ArgumentNullException.ThrowIfNull(predict);
        if (resolution < 2)
            throw new ArgumentException($"resolution must be at least 2, but is {resolution}.", nameof(resolution));
        string Name(int c) => classNames?[c] ?? c.ToString(CultureInfo.InvariantCulture);

        var (gx, gy) = (GridAxis(x1, resolution), GridAxis(x2, resolution));
        int[] regions = Predict(predict, GridPoints(gx, gy), k, "grid");
        int[][] z = [.. Enumerable.Range(0, gy.Length).Select(j => regions.AsSpan(j * gx.Length, gx.Length).ToArray())];
        var tints = Enumerable.Range(0, k).Select(c => Tint(ColorOf(c), 0.7)).ToArray();
        var colorscale = Enumerable.Range(0, k).SelectMany(c => new[]
        {
            new object[] { (double)c / k, tints[c] }, new object[] { (double)(c + 1) / k, tints[c] },
        }).ToArray();
        var region = new Trace2D("heatmap").With("x", gx).With("y", gy).With("z", z).With("colorscale", colorscale)
            .With("zmin", -0.5).With("zmax", k - 0.5).With("showscale", false).With("hoverinfo", "skip")
            .With("name", "regions").With("showlegend", false);
        var traces = new List<GenericChart> { GenericChart.ofTraceObject(false, region) };

        for (int c = 0; c < k; c++)
        {
            var idx = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            traces.Add(Points(idx.Select(i => x1[i]), idx.Select(i => x2[i]), Name(c), ColorOf(c), size: 7, outline: "white"));
        }
        int[] predicted = Predict(predict, Rows(x1, x2), k, "data");
        var wrong = Enumerable.Range(0, labels.Length).Where(i => predicted[i] != labels[i]).ToArray();
        if (showErrors && wrong.Length > 0)
            traces.Add(Points(wrong.Select(i => x1[i]), wrong.Select(i => x2[i]), $"misclassified ({wrong.Length})", "#111111",
                CircleOpen, size: 13));
        double accuracy = 1.0 - ((double)wrong.Length / labels.Length);

        var chart = Arrange([new Panel(traces, Axis("x₁", range: (gx[0], gx[^1])).With("showgrid", false).With("constrain", "domain"),
            Axis("x₂", range: (gy[0], gy[^1])).With("showgrid", false).With("scaleanchor", "x").With("constrain", "domain"))], 1);
        return Finish(chart, $"{title} (accuracy {accuracy * 100:F1} %)", 520);
    }

    /// <summary>
    /// A binary classifier's probability of class 1 as a background shading, with its 0.5 contour (the decision
    /// boundary) and the data on top. <paramref name="probability"/> maps a batch [M, 2] to P(class 1) per row.
    /// </summary>
    public static Figure DecisionProbability(Dataset data, Func<float[,], float[]> probability, int resolution = 150,
        string? title = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(probability);
        var (x1, x2, k) = CheckPoints(data.X, data.Labels, data.Classes, data.ClassNames, nameof(data));
        if (k != 2)
            throw new ArgumentException($"DecisionProbability needs a binary problem, but {data.Name} has {k} classes.", nameof(data));
        if (resolution < 2)
            throw new ArgumentException($"resolution must be at least 2, but is {resolution}.", nameof(resolution));

        var (gx, gy) = (GridAxis(x1, resolution), GridAxis(x2, resolution));
        float[] p = probability(GridPoints(gx, gy));
        if (p is null || p.Length != gx.Length * gy.Length)
            throw new ArgumentException($"probability returned {p?.Length.ToString(CultureInfo.InvariantCulture) ?? "null"} values for {gx.Length * gy.Length} grid points; it must return one per row.", nameof(probability));
        float[][] z = [.. Enumerable.Range(0, gy.Length).Select(j => p.AsSpan(j * gx.Length, gx.Length).ToArray())];
        string one = data.ClassName(1);
        var shade = new Trace2D("heatmap").With("x", gx).With("y", gy).With("z", z).With("zmin", 0).With("zmax", 1)
            .With("colorscale", new object[] { new object[] { 0, Tint(ColorOf(0), 0.45) }, new object[] { 0.5, "#ffffff" }, new object[] { 1, Tint(ColorOf(1), 0.45) } })
            .With("colorbar", new { title = new { text = $"P({one})", side = "right" }, thickness = 14 })
            .With("hovertemplate", $"P({one}) = %{{z:.3f}}<extra></extra>").With("name", $"P({one})").With("showlegend", false);
        var boundary = new Trace2D("contour").With("x", gx).With("y", gy).With("z", z).With("showscale", false)
            .With("contours", new { start = 0.5, end = 0.5, size = 1, coloring = "none" })
            .With("line", new { color = "#111111", width = 2 }).With("name", "P = 0.5").With("showlegend", true)
            .With("hoverinfo", "skip");
        var traces = new List<GenericChart> { GenericChart.ofTraceObject(false, shade), GenericChart.ofTraceObject(false, boundary) };
        for (int c = 0; c < 2; c++)
        {
            var idx = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == c).ToArray();
            traces.Add(Points(idx.Select(i => x1[i]), idx.Select(i => x2[i]), data.ClassName(c), ColorOf(c), size: 7, outline: "white"));
        }
        var chart = Arrange([new Panel(traces, Axis("x₁", range: (gx[0], gx[^1])).With("showgrid", false).With("constrain", "domain"),
            Axis("x₂", range: (gy[0], gy[^1])).With("showgrid", false).With("scaleanchor", "x").With("constrain", "domain"))], 1);
        return Finish(chart, title ?? $"P({one}) and the decision boundary: {data.Name}", 520);
    }

    private static (double[] X1, double[] X2, int Classes) CheckPoints(NDArray<float> x, int[] labels, int? classes,
        IReadOnlyList<string>? classNames, string xName = "x")
    {
        ArgumentNullException.ThrowIfNull(x, xName);
        ArgumentNullException.ThrowIfNull(labels);
        if (x.Rank != 2 || x.Shape[1] != 2)
            throw new ArgumentException($"Decision regions need 2-D inputs [N, 2], but X has shape {Shapes.Format(x.Shape)}.", xName);
        if (x.Shape[0] == 0)
            throw new ArgumentException("X has no examples.", xName);
        if (labels.Length != x.Shape[0])
            throw new ArgumentException($"labels has {labels.Length} values but X has {x.Shape[0]} rows; they must match.", nameof(labels));
        int k = classes ?? labels.Max() + 1;
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0 || labels[i] >= k)
                throw new ArgumentException($"labels[{i}] is {labels[i]}, outside [0, {k}).", nameof(labels));
        if (classNames is not null && classNames.Count != k)
            throw new ArgumentException($"classNames has {classNames.Count} names but there are {k} classes.", nameof(classNames));
        var x1 = new double[x.Shape[0]];
        var x2 = new double[x.Shape[0]];
        for (int i = 0; i < x1.Length; i++)
        {
            (x1[i], x2[i]) = (x[i, 0], x[i, 1]);
            if (!double.IsFinite(x1[i]) || !double.IsFinite(x2[i]))
                throw new ArgumentException($"X[{i}] = ({Num(x1[i])}, {Num(x2[i])}) is not finite.", xName);
        }
        return (x1, x2, k);
    }

    // The data's extent plus 10 % on each side, so points never sit on the frame.
    private static double[] GridAxis(double[] v, int resolution)
    {
        double lo = v.Min(), hi = v.Max(), pad = hi > lo ? 0.1 * (hi - lo) : 0.5;
        return Linspace(lo - pad, hi + pad, resolution);
    }

    private static float[,] GridPoints(double[] gx, double[] gy)
    {
        var g = new float[gx.Length * gy.Length, 2];
        for (int j = 0; j < gy.Length; j++)
            for (int i = 0; i < gx.Length; i++)
                (g[(j * gx.Length) + i, 0], g[(j * gx.Length) + i, 1]) = ((float)gx[i], (float)gy[j]);
        return g;
    }

    private static float[,] Rows(double[] x1, double[] x2)
    {
        var r = new float[x1.Length, 2];
        for (int i = 0; i < x1.Length; i++) (r[i, 0], r[i, 1]) = ((float)x1[i], (float)x2[i]);
        return r;
    }

    private static int[] Predict(Func<float[,], int[]> predict, float[,] points, int classes, string where)
    {
        int[] y = predict(points);
        int m = points.GetLength(0);
        if (y is null || y.Length != m)
            throw new ArgumentException($"predict returned {y?.Length.ToString(CultureInfo.InvariantCulture) ?? "null"} classes for {m} {where} points; it must return one per row.", nameof(predict));
        for (int i = 0; i < m; i++)
            if (y[i] < 0 || y[i] >= classes)
                throw new ArgumentException($"predict returned class {y[i]} for {where} point ({Num(points[i, 0])}, {Num(points[i, 1])}), outside [0, {classes}).", nameof(predict));
        return y;
    }

    private static Func<float[,], int[]> PointWise(Func<double, double, int> classify) =>
        points => [.. Enumerable.Range(0, points.GetLength(0)).Select(i => classify(points[i, 0], points[i, 1]))];

    /// <summary>The color mixed with white: amount 0 keeps it, 1 gives white.</summary>
    private static string Tint(string hex, double amount)
    {
        int Mix(int c) => (int)Math.Round(c + ((255 - c) * amount));
        int r = Convert.ToInt32(hex[1..3], 16), g = Convert.ToInt32(hex[3..5], 16), b = Convert.ToInt32(hex[5..7], 16);
        return $"#{Mix(r):x2}{Mix(g):x2}{Mix(b):x2}";
    }
}
