using System.Text.Json.Nodes;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;

namespace DeepLearning.Course.Tests;

public class ChartsTests
{
    // ------------------------------------------------------------ JSON helpers

    // Plotly.NET writes NaN/∞ as the strings "NaN"/"Infinity" (plotly.js draws them as gaps); images use null.
    private static double[] Numbers(JsonNode? node) => [.. node!.AsArray().Select(v => v switch
    {
        null => double.NaN,
        JsonValue s when s.TryGetValue(out string? text) => double.Parse(text!, System.Globalization.CultureInfo.InvariantCulture),
        _ => v.GetValue<double>(),
    })];

    private static string[] Strings(JsonNode? node) => [.. node!.AsArray().Select(v => v!.GetValue<string>())];

    private static double[][] Matrix(JsonNode? node) => [.. node!.AsArray().Select(Numbers)];

    private static JsonObject Trace(Figure f, string name) =>
        f.Traces.Single(t => (string?)t!["name"] == name)!.AsObject();

    private static JsonObject Layout(Figure f) => f.Json["layout"]!.AsObject();

    private static string AxisTitle(Figure f, string axis) => (string)Layout(f)[axis]!["title"]!["text"]!;

    private static string Title(Figure f) => (string)Layout(f)["title"]!["text"]!;

    private static void Near(double[] expected, double[] actual, double tol = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(double.IsNaN(expected[i]) ? double.IsNaN(actual[i]) : Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])),
                $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    private static ArgumentException Throws(string paramName, Action act, params string[] inMessage)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(act);
        Assert.Equal(paramName, ex.ParamName);
        foreach (string s in inMessage) Assert.Contains(s, ex.Message);
        return ex;
    }

    private static Dataset Moons() => Synthetic.TwoMoons(60, 0.1, new Rng(7));

    // ------------------------------------------------------------ every chart: offline HTML, valid JSON, sized to fill the width

    public static TheoryData<string> ChartNames => [.. Figures.Keys];

    private static readonly Dictionary<string, Func<Figure>> Figures = new()
    {
        ["Functions"] = () => Charts.Functions([("tanh", Math.Tanh, x => 1 - (Math.Tanh(x) * Math.Tanh(x)))]),
        ["LossCurves"] = () => Charts.LossCurves([1.0, 0.5, double.NaN], [1.2, 0.7, 0.8], [0.3, 0.6, 0.7], [0.2, 0.5, 0.5], stoppedEpoch: 3),
        ["LossCurvesRuns"] = () => Charts.LossCurves([("a", [1.0, 0.5], [1.1, 0.6])]),
        ["Trajectories"] = () => Charts.Trajectories((x, y) => (x * x) + (y * y), (-1, 1), (-1, 1), [("gd", [(0.5, 0.5), (0.1, 0.1)])], resolution: 11),
        ["Schedules"] = () => Charts.Schedules([("step", [0.1, 0.1, 0.01])]),
        ["Histograms"] = () => Charts.Histograms([("l1", (IReadOnlyList<double>)[0.0, 1, 2]), ("l2", (IReadOnlyList<double>)[1.0, double.NaN])], bins: 4),
        ["LayerStats"] = () => Charts.LayerStats([("he", [1.0, 0.9])], logY: true),
        ["DecisionBoundary"] = () => Charts.DecisionBoundary(Moons(), (a, b) => b > 0.25 ? 0 : 1, resolution: 8),
        ["DecisionProbability"] = () => Charts.DecisionProbability(Moons(), p => new float[p.GetLength(0)], resolution: 8),
        ["ConfusionMatrix"] = () => Charts.ConfusionMatrix([0, 1, 1], [0, 1, 0], 2),
        ["ImageGrid"] = () => Charts.ImageGrid(NDArray.From(new float[] { 0, 1, 2, 3, 4, 5, 6, 7 }, 2, 1, 2, 2), ["a", "b"]),
        ["Bars"] = () => Charts.Bars(["x", "y"], [1.0, double.PositiveInfinity]),
        ["Scatter"] = () => Charts.Scatter([("s", [1.0, 2], [3.0, double.NaN])]),
        ["Lines"] = () => Charts.Lines([("s", [1.0, 2], [3.0, 4])], logX: true),
        ["PointsAndLines"] = () => Charts.PointsAndLines([("data", [1.0, 2], [3.0, 5])], [("fit", [0.0, 3], [1.0, 7])]),
    };

    [Theory, MemberData(nameof(ChartNames))]
    public void Every_chart_renders_offline_with_valid_json_a_title_and_no_fixed_width(string chart)
    {
        var f = Figures[chart]();
        string page = f.ToHtmlPage();
        Assert.DoesNotMatch("<script[^>]*\\ssrc=", page);
        Assert.Contains("Plotly.newPlot", page);
        Assert.DoesNotContain("http", f.ToHtml(includePlotlyJs: false));    // the figure itself references nothing online
        var layout = Layout(f);                               // parses: NaN/∞ are strings, never bare tokens
        Assert.False(layout.ContainsKey("width"));            // fills the notebook's width
        Assert.Equal(f.Height, (int)layout["height"]!);
        Assert.False(string.IsNullOrWhiteSpace(Title(f)));
        Assert.NotEmpty(f.Traces);
    }

    // ------------------------------------------------------------ Functions

    [Fact]
    public void Functions_draw_values_left_and_derivatives_right_with_one_legend_entry_each()
    {
        var f = Charts.Functions([("sigmoid", Activations.Sigmoid.Apply, Activations.Sigmoid.Derivative),
            ("relu", Activations.Relu.Apply, Activations.Relu.Derivative)], from: -2, to: 2, points: 5);
        Assert.Equal(4, f.Traces.Count);
        Assert.All(f.Traces, t => Assert.Equal("scatter", (string?)t!["type"]));
        double[] x = [-2, -1, 0, 1, 2];
        var values = f.Traces.Where(t => (string?)t!["xaxis"] == "x").ToList();
        var slopes = f.Traces.Where(t => (string?)t!["xaxis"] == "x2").ToList();
        Assert.Equal(["sigmoid", "relu"], values.Select(t => (string)t!["name"]!));
        Assert.Equal(["sigmoid", "relu"], slopes.Select(t => (string)t!["name"]!));
        Near(x, Numbers(values[0]!["x"]));
        Near([.. x.Select(Activations.Sigmoid.Apply)], Numbers(values[0]!["y"]));
        Near([.. x.Select(Activations.Relu.Derivative)], Numbers(slopes[1]!["y"]));
        Assert.All(slopes, t => Assert.False((bool)t!["showlegend"]!));          // legend once, toggles both panels
        Assert.Equal((string?)values[1]!["line"]!["color"], (string?)slopes[1]!["line"]!["color"]);
        Assert.Equal("f′(x)", AxisTitle(f, "yaxis2"));
    }

    [Fact]
    public void Functions_in_one_panel_draw_derivatives_dashed_with_a_primed_name()
    {
        var f = Charts.Functions([("tanh", Math.Tanh, x => 1 - (Math.Tanh(x) * Math.Tanh(x))), ("id", x => x, null)], separatePanels: false);
        Assert.Equal(["tanh", "id", "tanh′"], f.Traces.Select(t => (string)t!["name"]!));
        Assert.Equal("dash", (string?)Trace(f, "tanh′")["line"]!["dash"]);
        Assert.Equal("solid", (string?)Trace(f, "tanh")["line"]!["dash"]);
        Assert.False(Layout(f).ContainsKey("xaxis2"));
    }

    [Fact]
    public void Functions_from_arrays_keep_the_values_and_check_lengths()
    {
        double[] x = [0, 1, 2];
        var f = Charts.Functions(x, [("sq", [0.0, 1, 4], [0.0, 2, 4])]);
        Near([0, 1, 4], Numbers(f.Traces[0]!["y"]));
        Near([0, 2, 4], Numbers(f.Traces[1]!["y"]));
        Throws("curves", () => Charts.Functions(x, [("sq", [0.0, 1], null)]), "curves[0] (\"sq\").Y", "2", "3");
        Throws("curves", () => Charts.Functions(x, [("sq", [0.0, 1, 4], [1.0])]), "Derivative", "1", "3");
        Throws("x", () => Charts.Functions([0.0, double.NaN], [("a", [0.0, 1], null)]), "x[1]", "NaN");
        Throws("functions", () => Charts.Functions([]), "empty");
        Throws("to", () => Charts.Functions([("a", x => x, null)], from: 1, to: 1), "(1, 1)");
    }

    // ------------------------------------------------------------ LossCurves

    [Fact]
    public void Loss_curves_number_epochs_from_one_and_mark_the_lowest_validation_loss()
    {
        double[] train = [1.0, 0.6, 0.4, 0.3], valid = [1.1, 0.7, double.NaN, 0.75];
        var f = Charts.LossCurves(train, valid, title: "MLP");
        Assert.Equal(["train", "validation", "best (epoch 2)"], f.Traces.Select(t => (string)t!["name"]!));
        Near([1, 2, 3, 4], Numbers(Trace(f, "train")["x"]));
        Near(train, Numbers(Trace(f, "train")["y"]));
        Near(valid, Numbers(Trace(f, "validation")["y"]));            // NaN stays: a gap, not a crash
        Assert.Equal("dash", (string?)Trace(f, "validation")["line"]!["dash"]);
        Near([2], Numbers(Trace(f, "best (epoch 2)")["x"]));
        Near([0.7], Numbers(Trace(f, "best (epoch 2)")["y"]));
        var shape = Layout(f)["shapes"]!.AsArray().Single()!;
        Assert.Equal(2.0, (double)shape["x0"]!);
        Assert.Equal("MLP", Title(f));
        Assert.Equal("loss", AxisTitle(f, "yaxis"));
    }

    [Fact]
    public void Loss_curves_with_accuracy_use_a_second_panel_and_mark_the_early_stop_in_both()
    {
        var f = Charts.LossCurves([1.0, 0.5, 0.4], [1.1, 0.6, 0.7], [0.5, 0.7, 0.8], [0.4, 0.6, 0.6],
            bestEpoch: 2, stoppedEpoch: 3, logY: true);
        Assert.Equal(5, f.Traces.Count);
        var accuracy = f.Traces.Where(t => (string?)t!["yaxis"] == "y2").ToList();
        Assert.Equal(["train", "validation"], accuracy.Select(t => (string)t!["name"]!));
        Near([0.4, 0.6, 0.6], Numbers(accuracy[1]!["y"]));
        Assert.Equal("accuracy", AxisTitle(f, "yaxis2"));
        Assert.Equal("log", (string?)Layout(f)["yaxis"]!["type"]);
        var shapes = Layout(f)["shapes"]!.AsArray();
        Assert.Equal(4, shapes.Count);                                 // best and stop, in each panel
        Assert.Equal(2, shapes.Count(s => (string?)s!["xref"] == "x2"));
        Assert.Contains(Layout(f)["annotations"]!.AsArray(), a => (string?)a!["text"] == "early stop");
        var onlyValidAccuracy = Charts.LossCurves([1.0, 0.5], validAccuracy: [0.5, 0.6]);
        Assert.True((bool)Trace(onlyValidAccuracy, "validation")["showlegend"]!);   // its only appearance has a legend entry
    }

    [Fact]
    public void Loss_curves_reject_mismatched_lengths_and_epochs_out_of_range()
    {
        Throws("validLoss", () => Charts.LossCurves([1.0, 0.5, 0.4], [1.0, 0.5]), "validLoss has 2", "trainLoss has 3");
        Throws("trainAccuracy", () => Charts.LossCurves([1.0, 0.5], trainAccuracy: [0.5]), "1", "2");
        Throws("trainLoss", () => Charts.LossCurves(Array.Empty<double>()), "empty");
        Throws("bestEpoch", () => Charts.LossCurves([1.0, 0.5], bestEpoch: 0), "1..2");
        var diverged = Charts.LossCurves([1.0, double.NaN], [double.NaN, double.PositiveInfinity]);   // nothing to mark, no crash
        Assert.Equal(2, diverged.Traces.Count);
        Assert.False(Layout(diverged).ContainsKey("shapes"));
        Throws("stoppedEpoch", () => Charts.LossCurves([1.0, 0.5], stoppedEpoch: 3), "3");
    }

    [Fact]
    public void Loss_curves_of_several_runs_share_a_color_per_run()
    {
        var f = Charts.LossCurves([("plain", [1.0, 0.8], [1.1, 0.9]), ("residual", [0.9, 0.5], null)]);
        Assert.Equal(["plain (train)", "plain (validation)", "residual (train)"], f.Traces.Select(t => (string)t!["name"]!));
        Assert.Equal(Charts.ColorOf(0), (string?)Trace(f, "plain (validation)")["line"]!["color"]);
        Assert.Equal(Charts.ColorOf(1), (string?)Trace(f, "residual (train)")["line"]!["color"]);
        Throws("runs", () => Charts.LossCurves([("a", [1.0, 0.8], [1.0])]), "runs[0] (\"a\").Valid", "1", "2");
    }

    // ------------------------------------------------------------ PointsAndLines

    [Fact]
    public void Points_and_lines_share_one_panel_with_markers_for_data_and_lines_for_fits()
    {
        var f = Charts.PointsAndLines(
            [("data", [0.0, 1, 2], [1.0, 3, double.NaN]), ("outliers", [0.5], [9.0])],
            [("mse fit", [0.0, 2], [2.0, 4]), ("true line", [0.0, 2], [1.0, 5])],
            xTitle: "x", yTitle: "y", title: "fits");
        Assert.Equal(["data", "outliers", "mse fit", "true line"], f.Traces.Select(t => (string)t!["name"]!).ToArray());
        Assert.Equal("markers", (string?)Trace(f, "data")["mode"]);
        Assert.Equal("lines", (string?)Trace(f, "mse fit")["mode"]);
        Assert.Equal(Charts.ColorOf(2), (string?)Trace(f, "mse fit")["line"]!["color"]);   // lines continue the palette after the points
        Near([2.0, 4], Numbers(Trace(f, "mse fit")["y"]));
        Assert.Equal(("x", "y", "fits"), (AxisTitle(f, "xaxis"), AxisTitle(f, "yaxis"), Title(f)));
        Assert.Single(Charts.PointsAndLines([], [("only a line", [0.0, 1], [0.0, 1])]).Traces);
    }

    [Fact]
    public void Points_and_lines_reject_empty_input_and_mismatched_series()
    {
        Throws("points", () => Charts.PointsAndLines([], []), "empty");
        Throws("lines", () => Charts.PointsAndLines([("d", [1.0], [1.0])], [("fit", [0.0, 1], [1.0])]), "lines[0] (\"fit\").Y has 1", "has 2");
        Throws("points", () => Charts.PointsAndLines([("d", [double.PositiveInfinity], [1.0])], []), "X[0]", "finite");
    }

    // ------------------------------------------------------------ Schedules, LayerStats, Lines, Scatter, Bars

    [Fact]
    public void Schedules_draw_step_lines_from_epoch_zero_and_accept_scratch_schedules()
    {
        var step = new StepLR(2, 0.5);
        var f = Charts.Schedules([("step", step), ("exp", new ExponentialLR(0.9))], baseLr: 0.1, epochs: 5, logY: true);
        Assert.Equal(["step", "exp"], f.Traces.Select(t => (string)t!["name"]!));
        Near([0, 1, 2, 3, 4], Numbers(f.Traces[0]!["x"]));
        Near(step.Curve(0.1, 5), Numbers(f.Traces[0]!["y"]));
        Assert.Equal("hv", (string?)f.Traces[0]!["line"]!["shape"]);
        Assert.Equal("log", (string?)Layout(f)["yaxis"]!["type"]);
        Throws("epochs", () => Charts.Schedules([("s", step)], 0.1, 0), "0");
        Throws("schedules", () => Charts.Schedules([("s", Array.Empty<double>())]), "schedules[0] (\"s\")", "empty");
    }

    [Fact]
    public void Layer_stats_number_layers_from_one_or_use_their_names()
    {
        var f = Charts.LayerStats([("small", [0.1, 0.01, 0.001]), ("he", [1.0, 1.0])], yTitle: "std", logY: true);
        Near([1, 2, 3], Numbers(Trace(f, "small")["x"]));
        Near([0.1, 0.01, 0.001], Numbers(Trace(f, "small")["y"]));
        Assert.Equal("lines+markers", (string?)Trace(f, "he")["mode"]);
        Assert.Equal("std", AxisTitle(f, "yaxis"));
        var named = Charts.LayerStats([("a", [1.0, 2.0])], layerNames: ["conv1", "fc"]);
        Assert.Equal(["conv1", "fc"], Strings(named.Traces[0]!["x"]));
        Assert.Equal("category", (string?)Layout(named)["xaxis"]!["type"]);
        Throws("layerNames", () => Charts.LayerStats([("a", [1.0, 2.0])], layerNames: ["only one"]), "1 names", "2 layers");
    }

    [Fact]
    public void Lines_and_scatter_keep_the_points_and_refuse_non_finite_x()
    {
        var s = Charts.Scatter([("adam", [0.001, 0.01], [0.9, double.NaN]), ("sgd", [0.01, 0.1], [0.8, 0.85])],
            xTitle: "learning rate", yTitle: "accuracy", logX: true);
        Assert.Equal("markers", (string?)Trace(s, "adam")["mode"]);
        Near([0.9, double.NaN], Numbers(Trace(s, "adam")["y"]));
        Assert.Equal("log", (string?)Layout(s)["xaxis"]!["type"]);
        Assert.Equal("learning rate", AxisTitle(s, "xaxis"));
        Assert.Equal("lines+markers", (string?)Charts.Scatter([("a", [1.0], [2.0])], connect: true).Traces[0]!["mode"]);
        Assert.Equal("lines", (string?)Charts.Lines([("a", [1.0], [2.0])]).Traces[0]!["mode"]);
        Throws("series", () => Charts.Lines([("a", [1.0, 2.0], [2.0])]), "series[0] (\"a\").Y has 1", "has 2");
        Throws("series", () => Charts.Scatter([("a", [double.NaN], [2.0])]), "X[0]", "finite");
        Throws("series", () => Charts.Scatter([]), "empty");
    }

    [Fact]
    public void Bars_group_series_per_category_and_label_non_finite_values()
    {
        var f = Charts.Bars(["0.01", "0.1", "1"], [("SGD", [0.5, 0.2, double.NaN]), ("Adam", [0.3, 0.25, 0.9])],
            xTitle: "learning rate", yTitle: "final loss");
        Assert.All(f.Traces, t => Assert.Equal("bar", (string?)t!["type"]));
        Assert.Equal(["0.01", "0.1", "1"], Strings(Trace(f, "SGD")["x"]));
        Near([0.5, 0.2, double.NaN], Numbers(Trace(f, "SGD")["y"]));
        Assert.Equal(["0.5", "0.2", "NaN"], Strings(Trace(f, "SGD")["text"]));
        Assert.Equal("group", (string?)Layout(f)["barmode"]);
        Throws("series", () => Charts.Bars(["a", "b"], [("s", [1.0])]), "1 values", "categories has 2");
        Throws("categories", () => Charts.Bars([], [1.0]), "empty");
    }

    // ------------------------------------------------------------ Trajectories

    [Fact]
    public void Trajectories_draw_the_loss_on_a_grid_and_each_path_with_start_and_end()
    {
        static double Loss(double x, double y) => (x * x) + (3 * y * y);
        (double X, double Y)[] path = [(1.0, 1.0), (0.5, 0.2), (0.1, 0.05)];
        var f = Charts.Trajectories(Loss, (-2, 2), (-1, 1), [("sgd", path)], minimum: (0, 0), resolution: 5);
        var contour = f.Traces[0]!.AsObject();
        Assert.Equal("contour", (string?)contour["type"]);
        double[] gx = Numbers(contour["x"]), gy = Numbers(contour["y"]);
        Near([-2, -1, 0, 1, 2], gx);
        Near([-1, -0.5, 0, 0.5, 1], gy);
        var z = Matrix(contour["z"]);
        for (int j = 0; j < 5; j++)
            Near([.. gx.Select(x => Loss(x, gy[j]))], z[j], 1e-7);              // rows are y; stored as float32
        Near([1, 0.5, 0.1], Numbers(Trace(f, "sgd")["x"]));
        Near([1, 0.2, 0.05], Numbers(Trace(f, "sgd")["y"]));
        Near([1], Numbers(Trace(f, "sgd start")["x"]));
        Near([0.05], Numbers(Trace(f, "sgd end")["y"]));
        Assert.Equal("sgd", (string?)Trace(f, "sgd end")["legendgroup"]);
        Near([0], Numbers(Trace(f, "minimum")["x"]));
        Near([-2, 2], Numbers(Layout(f)["xaxis"]!["range"]));
    }

    [Fact]
    public void Trajectories_with_log_levels_contour_log10_of_the_loss_and_label_decades()
    {
        static double Rosenbrock(double x, double y) => Math.Pow(1 - x, 2) + (100 * Math.Pow(y - (x * x), 2));
        var f = Charts.Trajectories(Rosenbrock, (-2, 2), (-1, 3), [("gd", [-1.5, -1.4], [2.0, 1.9])],
            logLevels: true, resolution: 9);
        var contour = f.Traces[0]!.AsObject();
        var z = Matrix(contour["z"]);
        double[] gx = Numbers(contour["x"]), gy = Numbers(contour["y"]);
        double max = gy.Max(y => gx.Max(x => Rosenbrock(x, y))), eps = max * 1e-4;
        Assert.Equal(Math.Log10(Rosenbrock(gx[3], gy[5]) + eps), z[5][3], 6);
        Assert.Contains("1000", Strings(contour["colorbar"]!["ticktext"]));
        Throws("paths", () => Charts.Trajectories(Rosenbrock, (-2, 2), (-1, 3), [("gd", [1.0], Array.Empty<double>())]), "paths[0] (\"gd\").Y", "empty");
        Throws("paths", () => Charts.Trajectories(Rosenbrock, (-2, 2), (-1, 3), [("gd", Array.Empty<(double, double)>())]), "no points");
        Throws("xRange", () => Charts.Trajectories(Rosenbrock, (2, -2), (-1, 3), [("gd", [(0.0, 0.0)])]), "(2, -2)");
    }

    // ------------------------------------------------------------ Decision boundaries

    [Fact]
    public void Decision_boundary_colors_the_grid_by_the_classifier_and_points_by_class()
    {
        var data = Moons();
        static int Classify(double a, double b) => b > 0.25 ? 0 : 1;
        var f = Charts.DecisionBoundary(data, Classify, resolution: 12);
        var regions = f.Traces[0]!.AsObject();
        Assert.Equal("heatmap", (string?)regions["type"]);
        double[] gx = Numbers(regions["x"]), gy = Numbers(regions["y"]);
        var z = Matrix(regions["z"]);
        Assert.Equal(12, z.Length);
        for (int j = 0; j < gy.Length; j++)
            for (int i = 0; i < gx.Length; i++)
                Assert.Equal(Classify((float)gx[i], (float)gy[j]), z[j][i]);
        Assert.True(gx[0] < data.X.Data.Where((_, k) => k % 2 == 0).Min());     // the grid covers the data

        var class1 = Trace(f, "1");
        var idx = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == 1).ToArray();
        Near([.. idx.Select(i => (double)data.X[i, 0])], Numbers(class1["x"]));
        int wrong = Enumerable.Range(0, data.Count).Count(i => Classify(data.X[i, 0], data.X[i, 1]) != data.Labels[i]);
        Assert.Equal(wrong, Numbers(Trace(f, $"misclassified ({wrong})")["x"]).Length);
        Assert.Contains($"{100.0 * (data.Count - wrong) / data.Count:F1} %", Title(f));
        Assert.Equal("x", (string?)Layout(f)["yaxis"]!["scaleanchor"]);       // equal aspect: the geometry is not distorted
    }

    [Fact]
    public void Decision_boundary_batch_and_pointwise_classifiers_agree_and_bad_classifiers_are_named()
    {
        var data = Moons();
        int[] Batch(float[,] p) => [.. Enumerable.Range(0, p.GetLength(0)).Select(i => p[i, 0] > 0.5f ? 1 : 0)];
        var a = Charts.DecisionBoundary(data, Batch, resolution: 6);
        var b = Charts.DecisionBoundary(data, (x, y) => x > 0.5f ? 1 : 0, resolution: 6);
        Assert.Equal(a.Traces[0]!["z"]!.ToJsonString(), b.Traces[0]!["z"]!.ToJsonString());
        Throws("predict", () => Charts.DecisionBoundary(data, p => new int[3], resolution: 6), "3 classes for 36 grid points");
        Throws("predict", () => Charts.DecisionBoundary(data, (x, y) => 2, resolution: 6), "class 2", "[0, 2)");
        var wide = new Dataset("wide", NDArray.Zeros<float>(4, 3), [0, 1, 0, 1], 2);
        Throws("data", () => Charts.DecisionBoundary(wide, (x, y) => 0), "[N, 2]", "[4, 3]");
        Throws("labels", () => Charts.DecisionBoundary(NDArray.Zeros<float>(3, 2), [0, 1], Batch), "2 values", "3 rows");
    }

    [Fact]
    public void Decision_probability_shades_p_and_draws_the_half_contour()
    {
        var data = Moons();
        float[] P(float[,] p) => [.. Enumerable.Range(0, p.GetLength(0)).Select(i => 1f / (1f + MathF.Exp(-p[i, 0])))];
        var f = Charts.DecisionProbability(data, P, resolution: 7);
        var shade = f.Traces[0]!.AsObject();
        double[] gx = Numbers(shade["x"]), gy = Numbers(shade["y"]);
        var z = Matrix(shade["z"]);
        Assert.Equal(1f / (1f + MathF.Exp(-(float)gx[4])), z[2][4], 6);
        var boundary = f.Traces[1]!.AsObject();
        Assert.Equal("contour", (string?)boundary["type"]);
        Assert.Equal(0.5, (double)boundary["contours"]!["start"]!);
        Assert.Equal(0.5, (double)boundary["contours"]!["end"]!);
        var three = Synthetic.Spirals(30, 3, 0.1, new Rng(1));
        Throws("data", () => Charts.DecisionProbability(three, P), "binary", "3 classes");
        Throws("probability", () => Charts.DecisionProbability(data, p => new float[1], resolution: 4), "1 values for 16");
    }

    // ------------------------------------------------------------ Confusion matrix

    [Fact]
    public void Confusion_matrix_counts_actual_rows_against_predicted_columns_and_writes_each_count()
    {
        int[] actual = [0, 0, 1, 1, 1, 2], predicted = [0, 1, 1, 1, 2, 2];
        var f = Charts.ConfusionMatrix(actual, predicted, 3, ["cat", "dog", "fox"]);
        var heat = f.Traces.Single()!.AsObject();
        Assert.Equal("heatmap", (string?)heat["type"]);
        double[][] expected = [[1, 1, 0], [0, 2, 1], [0, 0, 1]];
        var z = Matrix(heat["z"]);
        for (int i = 0; i < 3; i++) Near(expected[i], z[i]);
        Assert.Equal(["cat", "dog", "fox"], Strings(heat["x"]));
        var notes = Layout(f)["annotations"]!.AsArray();
        Assert.Equal(9, notes.Count);
        Assert.Equal(["1", "1", "0", "0", "2", "1", "0", "0", "1"], notes.Select(a => (string)a!["text"]!));
        var dogAsFox = notes.Single(a => (string?)a!["y"] == "dog" && (string?)a!["x"] == "fox")!;
        Assert.Equal("1", (string?)dogAsFox["text"]);
        Assert.Equal("reversed", (string?)Layout(f)["yaxis"]!["autorange"]);   // first class on top
        Assert.Equal("predicted", AxisTitle(f, "xaxis"));
        Assert.Contains("66.7 %", Title(f));
    }

    [Fact]
    public void Confusion_matrix_rejects_mismatched_or_out_of_range_labels()
    {
        Throws("predicted", () => Charts.ConfusionMatrix([0, 1], [0], 2), "predicted has 1", "actual has 2");
        Throws("actual", () => Charts.ConfusionMatrix([0, 5], [0, 1], 2), "actual[1] is 5", "[0, 2)");
        Throws("predicted", () => Charts.ConfusionMatrix([0, 1], [-1, 1], 2), "predicted[0] is -1");
        Throws("names", () => Charts.ConfusionMatrix([0, 1], [0, 1], 2, ["a"]), "1 names", "2 classes");
        Throws("actual", () => Charts.ConfusionMatrix([], [], 2), "empty");
    }

    // ------------------------------------------------------------ Image grid

    [Fact]
    public void Image_grid_places_each_image_upright_with_gaps_and_titles()
    {
        // Two 2×3 images; each is scaled to its own 0..1.
        float[] pixels = [0, 1, 2, 3, 4, 5, 10, 10, 10, 10, 10, 20];
        var f = Charts.ImageGrid(NDArray.From(pixels, 2, 1, 2, 3), ["first", "second"], columns: 2);
        var heat = f.Traces.Single()!.AsObject();
        Assert.Equal("heatmap", (string?)heat["type"]);
        var z = Matrix(heat["z"]);
        var yaxis = Layout(f)["yaxis"]!;
        Assert.Equal("reversed", (string?)yaxis["autorange"]);       // row 0 at the top: not upside down
        Assert.Equal("x", (string?)yaxis["scaleanchor"]);             // square pixels
        Assert.Equal(1.0, (double)yaxis["scaleratio"]!);

        // Find the first image's top-left pixel: the first non-gap cell.
        int top = Array.FindIndex(z, row => row.Any(v => !double.IsNaN(v)));
        int left = Array.FindIndex(z[top], v => !double.IsNaN(v));
        Near([0, 0.2, 0.4], z[top][left..(left + 3)], 1e-6);
        Near([0.6, 0.8, 1.0], z[top + 1][left..(left + 3)], 1e-6);
        Assert.True(double.IsNaN(z[top][left + 3]));                   // the gap between the images
        int second = Array.FindIndex(z[top], left + 3, v => !double.IsNaN(v));
        Near([0, 0, 0], z[top][second..(second + 3)], 1e-6);
        Near([0, 0, 1], z[top + 1][second..(second + 3)], 1e-6);

        var titles = Layout(f)["annotations"]!.AsArray();
        Assert.Equal(["first", "second"], titles.Select(a => (string)a!["text"]!));
        Assert.True((double)titles[0]!["y"]! < top);                    // above the image (y grows downwards)
        Assert.Equal(2, Layout(f)["shapes"]!.AsArray().Count);          // one frame per image
    }

    [Fact]
    public void Image_grid_accepts_three_layouts_and_a_shared_scale_keeps_raw_values()
    {
        float[] pixels = [1, 2, 3, 4, -4, -3, -2, -1];
        var nchw = Charts.ImageGrid(NDArray.From(pixels, 2, 1, 2, 2));
        var nhw = Charts.ImageGrid(NDArray.From(pixels, 2, 2, 2));
        var arrays = Charts.ImageGrid([new float[,] { { 1, 2 }, { 3, 4 } }, new float[,] { { -4, -3 }, { -2, -1 } }]);
        Assert.Equal(nchw.Traces[0]!["z"]!.ToJsonString(), nhw.Traces[0]!["z"]!.ToJsonString());
        Assert.Equal(nchw.Traces[0]!["z"]!.ToJsonString(), arrays.Traces[0]!["z"]!.ToJsonString());

        var shared = Charts.ImageGrid(NDArray.From(pixels, 2, 2, 2), sharedScale: true);
        var heat = shared.Traces[0]!;
        var values = Matrix(heat["z"]).SelectMany(r => r).Where(v => !double.IsNaN(v)).Order().ToArray();
        Near([-4, -3, -2, -1, 1, 2, 3, 4], values);
        Assert.Equal(-4.0, (double)heat["zmin"]!);
        Assert.Equal(4.0, (double)heat["zmax"]!);
        Assert.True((bool)heat["showscale"]!);
    }

    [Fact]
    public void Image_grid_of_a_dataset_titles_predictions_and_marks_the_wrong_ones_red()
    {
        var digits = new Dataset("tiny", NDArray.From(new float[3 * 4], 3, 4), [0, 1, 2], 3, ["zero", "one", "two"]);
        var f = Charts.ImageGrid(digits, predicted: [0, 2, 2]);
        var titles = Layout(f)["annotations"]!.AsArray();
        Assert.Equal(["zero", "two (true one)", "two"], titles.Select(a => (string)a!["text"]!));
        Assert.Equal(Charts.ColorOf(3), (string?)titles[1]!["font"]!["color"]);
        Assert.NotEqual(Charts.ColorOf(3), (string?)titles[0]!["font"]!["color"]);
        var picked = Charts.ImageGrid(digits, indices: [2]);
        Assert.Equal(["two"], Layout(picked)["annotations"]!.AsArray().Select(a => (string)a!["text"]!));
        Throws("indices", () => Charts.ImageGrid(digits, indices: [3]), "index 3", "[0, 3)");
        Throws("predicted", () => Charts.ImageGrid(digits, predicted: [0]), "1 values", "3 examples");
        var odd = new Dataset("odd", NDArray.Zeros<float>(2, 5), [0, 1], 2);
        Throws("data", () => Charts.ImageGrid(odd), "[5]");
    }

    [Fact]
    public void Image_grid_rejects_colour_images_mixed_sizes_and_wrong_title_counts()
    {
        Throws("images", () => Charts.ImageGrid(NDArray.Zeros<float>(2, 3, 4, 4)), "[2, 3, 4, 4]", "3 channels");
        Throws("images", () => Charts.ImageGrid([new float[2, 2], new float[3, 3]]), "images[1] is 3×3", "2×2");
        Throws("titles", () => Charts.ImageGrid(NDArray.Zeros<float>(2, 2, 2), ["one"]), "1 entries", "2 images");
        Throws("images", () => Charts.ImageGrid(NDArray.Zeros<float>(2, 2, 2, 2, 2)), "[2, 2, 2, 2, 2]");
    }

    // ------------------------------------------------------------ Histograms

    [Fact]
    public void Histograms_bin_every_layer_on_a_shared_range_and_report_non_finite_values()
    {
        IReadOnlyList<double> a = [0, 0.5, 1, 1.5, 2, 4], b = [1, 1, 3, double.NaN, double.PositiveInfinity];
        var f = Charts.Histograms([("layer 1", a), ("layer 2", b)], bins: 4);
        Assert.All(f.Traces, t => Assert.Equal("bar", (string?)t!["type"]));
        Near([0.5, 1.5, 2.5, 3.5], Numbers(Trace(f, "layer 1")["x"]));    // bin centers over [0, 4]
        Near([1, 1, 1, 1], Numbers(Trace(f, "layer 1")["width"]));
        Near([2, 2, 1, 1], Numbers(Trace(f, "layer 1")["y"]));            // [0,1) [1,2) [2,3) [3,4]
        Near([0, 2, 0, 1], Numbers(Trace(f, "layer 2")["y"]));
        Near([0, 4], Numbers(Layout(f)["xaxis"]!["range"]));
        Near([0, 4], Numbers(Layout(f)["xaxis2"]!["range"]));
        var titles = Layout(f)["annotations"]!.AsArray().Select(t => (string)t!["text"]!).ToList();
        Assert.Contains("layer 2", titles[1]);
        Assert.Contains("2 non-finite", titles[1]);
        Assert.Contains("σ=", titles[0]);
    }

    [Fact]
    public void Histograms_overlay_float_and_array_inputs_agree_with_doubles()
    {
        float[] v = [-1, -0.5f, 0, 0.25f, 1];
        var d = Charts.Histograms([("x", (IReadOnlyList<double>)[.. v.Select(x => (double)x)])], bins: 5);
        var fl = Charts.Histograms([("x", (IReadOnlyList<float>)v)], bins: 5);
        var nd = Charts.Histograms([("x", NDArray.From(v, 5))], bins: 5);
        Assert.Equal(d.Traces[0]!["y"]!.ToJsonString(), fl.Traces[0]!["y"]!.ToJsonString());
        Assert.Equal(d.Traces[0]!["y"]!.ToJsonString(), nd.Traces[0]!["y"]!.ToJsonString());
        var over = Charts.Histograms([("a", (IReadOnlyList<double>)[1.0, 2]), ("b", (IReadOnlyList<double>)[2.0, 3])], overlay: true, range: (0, 4));
        Assert.Equal("overlay", (string?)Layout(over)["barmode"]);
        Assert.All(over.Traces, t => Assert.True((double)t!["opacity"]! < 1));
        Assert.All(over.Traces, t => Assert.Equal("x", (string?)t!["xaxis"] ?? "x"));
        Throws("range", () => Charts.Histograms([("a", (IReadOnlyList<double>)[1.0])], range: (1, 1)), "(1, 1)");
        Throws("layers", () => Charts.Histograms([("a", (IReadOnlyList<double>)[])]), "layers[0] (\"a\").Values", "empty");
    }

    [Fact]
    public void Histograms_from_precomputed_bins_keep_edges_and_counts()
    {
        var f = Charts.Histograms([("grad", (IReadOnlyList<double>)[0.0, 1, 3], (IReadOnlyList<double>)[5.0, 2])]);
        Near([0.5, 2], Numbers(f.Traces[0]!["x"]));
        Near([1, 2], Numbers(f.Traces[0]!["width"]));
        Near([5, 2], Numbers(f.Traces[0]!["y"]));
        Throws("layers", () => Charts.Histograms([("g", (IReadOnlyList<double>)[0.0, 1], (IReadOnlyList<double>)[5.0, 2])]), "Edges has 2", "3");
        Throws("layers", () => Charts.Histograms([("g", (IReadOnlyList<double>)[0.0, 2, 1], (IReadOnlyList<double>)[5.0, 2])]), "must increase");
    }
}
