namespace DeepLearning.Course;

public static partial class Charts
{
    /// <summary>
    /// Data as points and lines drawn over them, in one panel: e.g. a regression's data (inliers and outliers as two
    /// point series) and the lines fitted with several losses. Colors run through <see cref="Palette"/> over the point
    /// series first, then the lines. Each series follows the input policy of <see cref="Scatter"/>.
    /// </summary>
    public static Figure PointsAndLines(
        IReadOnlyList<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)> points,
        IReadOnlyList<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)> lines,
        string xTitle = "x", string yTitle = "y", string title = "Data and fits")
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(lines);
        if (points.Count + lines.Count == 0)
            throw new ArgumentException("points and lines are both empty: give at least one series.", nameof(points));
        CheckSeries(points, nameof(points));
        CheckSeries(lines, nameof(lines));

        var traces = new List<Plotly.NET.GenericChart>();
        for (int i = 0; i < points.Count; i++)
            traces.Add(Points(points[i].X, points[i].Y, points[i].Name, ColorOf(i)));
        for (int i = 0; i < lines.Count; i++)
            traces.Add(Line(lines[i].X, lines[i].Y, lines[i].Name, ColorOf(points.Count + i)));
        return Finish(Arrange([new Panel(traces, Axis(xTitle), Axis(yTitle))], 1), title, 420);

        static void CheckSeries(IReadOnlyList<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)> series, string paramName)
        {
            for (int i = 0; i < series.Count; i++)
            {
                var (name, x, y) = series[i];
                string label = Label((name, i), paramName);
                NotEmptyValues(x, paramName, $"{label}.X");
                NotEmptyValues(y, paramName, $"{label}.Y");
                SameLength(x.Count, y.Count, paramName, $"{label}.Y", $"{label}.X");
                FiniteValues(x, paramName, $"{label}.X");
            }
        }
    }
}
