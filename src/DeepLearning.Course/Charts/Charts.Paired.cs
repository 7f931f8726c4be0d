using Plotly.NET;

namespace DeepLearning.Course;

public static partial class Charts
{
    /// <summary>
    /// Two curves per run in the run's color — one solid, one dashed — against the epoch: e.g. for each depth, the
    /// residual net (solid) and the plain net (dashed), as in He et al. (2016), Fig. 1. <paramref name="solidLabel"/>
    /// and <paramref name="dashedLabel"/> name the two kinds in the legend ("depth 20 (residual)").
    /// </summary>
    public static Figure PairedCurves(
        IReadOnlyList<(string Name, IReadOnlyList<double> Solid, IReadOnlyList<double> Dashed)> runs,
        string solidLabel, string dashedLabel, bool logY = false, string yTitle = "loss", string title = "Loss per epoch")
    {
        NotEmpty(runs, nameof(runs), "run");
        ArgumentException.ThrowIfNullOrWhiteSpace(solidLabel);
        ArgumentException.ThrowIfNullOrWhiteSpace(dashedLabel);
        var traces = new List<GenericChart>();
        for (int i = 0; i < runs.Count; i++)
        {
            var (name, solid, dashed) = runs[i];
            string label = Label((name, i), nameof(runs));
            NotEmptyValues(solid, nameof(runs), $"{label}.Solid");
            NotEmptyValues(dashed, nameof(runs), $"{label}.Dashed");
            traces.Add(Line(OneBased(solid.Count), solid, $"{name} ({solidLabel})", ColorOf(i), group: name));
            traces.Add(Line(OneBased(dashed.Count), dashed, $"{name} ({dashedLabel})", ColorOf(i), dashed: true, group: name));
        }
        return Finish(Arrange([new Panel(traces, Axis("epoch"), Axis(yTitle, log: logY))], 1), title, 420);
    }
}
