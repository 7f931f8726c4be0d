using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.LayoutObjects;

namespace DeepLearning.Course;

/// <summary>
/// The few chart styling steps the course needs that Plotly.NET.CSharp 0.14 does not wrap (layout, template, config,
/// shapes, annotations, whole axes). Plotly.NET 6 offers them only as curried F# functions
/// (<c>Chart.withLayout(layout)</c> returns a function of the chart), which read badly from C#.
/// </summary>
internal static class ChartExtensions
{
    public static GenericChart WithLayout(this GenericChart chart, Layout layout) =>
        Plotly.NET.Chart.withLayout(layout).Invoke(chart);

    public static GenericChart WithTemplate(this GenericChart chart, Template template) =>
        Plotly.NET.Chart.withTemplate(template).Invoke(chart);

    public static GenericChart WithConfig(this GenericChart chart, Config config) =>
        Plotly.NET.Chart.withConfig(config).Invoke(chart);

    /// <summary>The chart's first x axis is <paramref name="axis"/>.</summary>
    public static GenericChart WithXAxis(this GenericChart chart, LinearAxis axis) =>
        Plotly.NET.Chart.withXAxis(axis, Id: FSharpOption<StyleParam.SubPlotId>.None).Invoke(chart);

    /// <summary>The chart's first y axis is <paramref name="axis"/>.</summary>
    public static GenericChart WithYAxis(this GenericChart chart, LinearAxis axis) =>
        Plotly.NET.Chart.withYAxis(axis, Id: FSharpOption<StyleParam.SubPlotId>.None).Invoke(chart);

    /// <summary>Adds <paramref name="shapes"/> to the ones the chart has.</summary>
    public static GenericChart WithShapes(this GenericChart chart, IEnumerable<Shape> shapes) =>
        Plotly.NET.Chart.withShapes(shapes, Append: FSharpOption<bool>.Some(true)).Invoke(chart);

    /// <summary>Adds <paramref name="annotations"/> to the ones the chart has.</summary>
    public static GenericChart WithAnnotations(this GenericChart chart, IEnumerable<Annotation> annotations) =>
        Plotly.NET.Chart.withAnnotations(annotations, Append: FSharpOption<bool>.Some(true)).Invoke(chart);
}
