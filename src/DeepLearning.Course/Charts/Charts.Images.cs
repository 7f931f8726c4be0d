using System.Globalization;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using Plotly.NET;
using Plotly.NET.LayoutObjects;

namespace DeepLearning.Course;

public static partial class Charts
{
    /// <summary>
    /// The confusion matrix as a heatmap with the count written in each cell: row = actual class (first class on
    /// top), column = predicted class; the diagonal holds the correct predictions. The title gives the accuracy.
    /// </summary>
    public static Figure ConfusionMatrix(int[] actual, int[] predicted, int classes, string[]? names = null,
        string title = "Confusion matrix")
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        if (classes < 1)
            throw new ArgumentException($"classes must be at least 1, but is {classes}.", nameof(classes));
        if (actual.Length == 0)
            throw new ArgumentException("actual is empty: there is nothing to count.", nameof(actual));
        SameLength(actual.Length, predicted.Length, nameof(predicted), "predicted", "actual");
        if (names is not null && names.Length != classes)
            throw new ArgumentException($"names has {names.Length} names but there are {classes} classes.", nameof(names));
        if (names is not null && names.Distinct().Count() != names.Length)
            throw new ArgumentException($"names must be distinct, but are [{string.Join(", ", names)}].", nameof(names));

        var counts = new int[classes][];
        for (int i = 0; i < classes; i++) counts[i] = new int[classes];
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] < 0 || actual[i] >= classes)
                throw new ArgumentException($"actual[{i}] is {actual[i]}, outside [0, {classes}).", nameof(actual));
            if (predicted[i] < 0 || predicted[i] >= classes)
                throw new ArgumentException($"predicted[{i}] is {predicted[i]}, outside [0, {classes}).", nameof(predicted));
            counts[actual[i]][predicted[i]]++;
        }

        string[] labels = names ?? [.. Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture))];
        int max = counts.SelectMany(r => r).Max();
        var heatmap = new Trace2D("heatmap").With("z", counts).With("x", labels).With("y", labels)
            // Steep at the low end, so a handful of confusions already shows next to a full diagonal.
            .With("colorscale", new object[] { new object[] { 0, "#f7fbff" }, new object[] { 0.08, "#c6dbef" }, new object[] { 0.3, "#6baed6" }, new object[] { 1, "#08306b" } })
            .With("zmin", 0).With("zmax", Math.Max(max, 1)).With("showscale", false).With("xgap", 1).With("ygap", 1)
            .With("hovertemplate", "actual %{y}<br>predicted %{x}<br>%{z} examples<extra></extra>").With("name", "counts");
        var cells = new List<Annotation>();
        for (int i = 0; i < classes; i++)
            for (int j = 0; j < classes; j++)
                cells.Add(new Annotation().With("x", labels[j]).With("y", labels[i]).With("xref", "x").With("yref", "y")
                    .With("text", counts[i][j].ToString(CultureInfo.InvariantCulture)).With("showarrow", false)
                    .With("font", new { size = classes <= 12 ? 12 : 9, color = counts[i][j] > max / 3.0 ? "white" : counts[i][j] == 0 ? "#b0b0b0" : Ink }));

        int correct = Enumerable.Range(0, classes).Sum(c => counts[c][c]);
        var chart = GenericChart.ofTraceObject(false, heatmap)
            .WithXAxis(Axis("predicted", categories: true).With("showgrid", false).With("ticks", "").With("constrain", "domain"))
            .WithYAxis(Axis("actual", categories: true).With("showgrid", false).With("ticks", "")
                .With("autorange", "reversed").With("scaleanchor", "x").With("constrain", "domain"))
            .WithAnnotations(cells);
        int height = Math.Clamp(170 + (36 * classes), 320, 720);
        return Finish(chart, $"{title} (accuracy {100.0 * correct / actual.Length:F1} %)", height, showLegend: false,
            left: 70, bottom: 60);
    }

    /// <summary>
    /// Grayscale images in a grid: digits, conv filters, feature maps. <paramref name="images"/> is [N, 1, H, W],
    /// [N, H, W] or a single [H, W]. Each image is scaled to its own min..max unless <paramref name="sharedScale"/>
    /// (then one color bar for all). <paramref name="invert"/> draws high values dark (ink on paper). Non-finite
    /// pixels are left blank.
    /// </summary>
    public static Figure ImageGrid(NDArray<float> images, IReadOnlyList<string>? titles = null, int columns = 8,
        bool sharedScale = false, bool invert = false, string title = "Images")
    {
        ArgumentNullException.ThrowIfNull(images);
        var (n, h, w) = images.Rank switch
        {
            4 when images.Shape[1] == 1 => (images.Shape[0], images.Shape[2], images.Shape[3]),
            4 => throw new ArgumentException(
                $"ImageGrid shows grayscale images, but images has shape {Shapes.Format(images.Shape)} with {images.Shape[1]} channels; pick one channel or reshape to [N·C, H, W].",
                nameof(images)),
            3 => (images.Shape[0], images.Shape[1], images.Shape[2]),
            2 => (1, images.Shape[0], images.Shape[1]),
            _ => throw new ArgumentException($"images must be [N, 1, H, W], [N, H, W] or [H, W], but has shape {Shapes.Format(images.Shape)}.", nameof(images)),
        };
        if (n == 0 || h == 0 || w == 0)
            throw new ArgumentException($"images is empty (shape {Shapes.Format(images.Shape)}).", nameof(images));
        var tiles = Enumerable.Range(0, n).Select(i => images.Data.AsSpan(i * h * w, h * w).ToArray()).ToList();
        return ImageTiles(tiles, h, w, titles, null, columns, sharedScale, invert, title);
    }

    /// <summary>The same for a list of 2-D arrays (all the same size).</summary>
    public static Figure ImageGrid(IReadOnlyList<float[,]> images, IReadOnlyList<string>? titles = null, int columns = 8,
        bool sharedScale = false, bool invert = false, string title = "Images")
    {
        NotEmpty(images, nameof(images), "image");
        int h = images[0]?.GetLength(0) ?? 0, w = images[0]?.GetLength(1) ?? 0;
        var tiles = new List<float[]>();
        for (int i = 0; i < images.Count; i++)
        {
            var img = images[i] ?? throw new ArgumentException($"images[{i}] is null.", nameof(images));
            if (img.GetLength(0) != h || img.GetLength(1) != w || h == 0 || w == 0)
                throw new ArgumentException($"images[{i}] is {img.GetLength(0)}×{img.GetLength(1)} but images[0] is {h}×{w}; all images must have one nonzero size.", nameof(images));
            var flat = new float[h * w];
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++)
                    flat[(r * w) + c] = img[r, c];
            tiles.Add(flat);
        }
        return ImageTiles(tiles, h, w, titles, null, columns, sharedScale, invert, title);
    }

    /// <summary>
    /// Examples of an image data set with their labels: the first <paramref name="count"/>, or the given
    /// <paramref name="indices"/> (e.g. the misclassified ones). With <paramref name="predicted"/> (one per example
    /// of <paramref name="data"/>) each title is the prediction, in red with the true label when it is wrong.
    /// Flat inputs [N, H·W] with a square H·W (8×8 digits) are shown as H×W images.
    /// </summary>
    public static Figure ImageGrid(Dataset data, int count = 32, IReadOnlyList<int>? indices = null, int[]? predicted = null,
        int columns = 8, bool invert = false, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (h, w) = ImageSize(data);
        if (predicted is not null && predicted.Length != data.Count)
            throw new ArgumentException($"predicted has {predicted.Length} values but {data.Name} has {data.Count} examples; they must match.", nameof(predicted));
        if (indices is null && count < 1)
            throw new ArgumentException($"count must be at least 1, but is {count}.", nameof(count));
        var pick = indices ?? [.. Enumerable.Range(0, Math.Min(count, data.Count))];
        if (pick.Count == 0)
            throw new ArgumentException("indices is empty: there is nothing to show.", nameof(indices));
        foreach (int i in pick)
            if (i < 0 || i >= data.Count)
                throw new ArgumentException($"index {i} is outside [0, {data.Count}) for {data.Name}.", nameof(indices));

        var tiles = pick.Select(i => data.X.Data.AsSpan(i * h * w, h * w).ToArray()).ToList();
        var titles = pick.Select(i => predicted is null || predicted[i] == data.Labels[i]
            ? data.ClassName(predicted?[i] ?? data.Labels[i])
            : $"{data.ClassName(predicted[i])} (true {data.ClassName(data.Labels[i])})").ToList();
        var wrong = pick.Select(i => predicted is not null && predicted[i] != data.Labels[i]).ToList();
        return ImageTiles(tiles, h, w, titles, wrong, columns, sharedScale: false, invert, title ?? data.Name);
    }

    private static (int H, int W) ImageSize(Dataset data)
    {
        var s = data.X.Shape;
        int side = s.Length == 2 ? (int)Math.Round(Math.Sqrt(s[1])) : 0;
        return s.Length switch
        {
            4 when s[1] == 1 => (s[2], s[3]),
            3 => (s[1], s[2]),
            2 when side * side == s[1] => (side, side),
            _ => throw new ArgumentException(
                $"{data.Name} has examples of shape {Shapes.Format(data.ExampleShape)}; ImageGrid needs grayscale images [1, H, W], [H, W] or flat square [H·H].",
                nameof(data)),
        };
    }

    // One heatmap holding every image: tiles separated by empty (null) cells, titles as annotations above them.
    // A single trace renders fast for 100 images, and one equal-aspect, reversed-y axis pair keeps them upright.
    private static Figure ImageTiles(List<float[]> tiles, int h, int w, IReadOnlyList<string>? titles,
        IReadOnlyList<bool>? wrong, int columns, bool sharedScale, bool invert, string title)
    {
        int n = tiles.Count;
        if (titles is not null && titles.Count != n)
            throw new ArgumentException($"titles has {titles.Count} entries but there are {n} images; they must match.", nameof(titles));
        if (columns < 1)
            throw new ArgumentException($"columns must be at least 1, but is {columns}.", nameof(columns));
        columns = Math.Min(columns, n);
        int rows = (n + columns - 1) / columns;

        // Pixel size on screen: fill ~880 px of width, keep tiles between ~48 and ~96 px, and the grid under ~760 px.
        double tilePx = Math.Min(880.0 / columns * 0.9, Math.Clamp(16.0 * Math.Max(h, w), 48, 96));
        double scale = tilePx / Math.Max(h, w);                               // screen px per image pixel
        int gap = 0, band = 0, cellW = 0, cellH = 0, totalW = 0, totalH = 0;
        for (int pass = 0; pass < 3; pass++)                                   // gap and title band depend on the scale
        {
            gap = Math.Max(1, (int)Math.Round(6 / scale));                     // ~6 px between tiles
            band = titles is null ? 0 : Math.Max(1, (int)Math.Ceiling(16 / scale));   // room for a title line
            (cellW, cellH) = (w + gap, band + h + gap);
            (totalW, totalH) = ((columns * cellW) - gap, (rows * cellH) - gap);
            scale = Math.Min(scale, 760.0 / totalH);
        }

        var finite = tiles.SelectMany(t => t).Where(float.IsFinite).DefaultIfEmpty(0f).ToArray();
        float sharedMin = finite.Min(), sharedMax = finite.Max();
        var z = new float?[totalH][];
        for (int r = 0; r < totalH; r++) z[r] = new float?[totalW];
        for (int k = 0; k < n; k++)
        {
            var t = tiles[k];
            var own = t.Where(float.IsFinite).DefaultIfEmpty(0f).ToArray();
            float lo = sharedScale ? sharedMin : own.Min(), hi = sharedScale ? sharedMax : own.Max();
            int top = ((k / columns) * cellH) + band, left = (k % columns) * cellW;
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                {
                    float v = t[(i * w) + j];
                    z[top + i][left + j] = !float.IsFinite(v) ? null
                        : sharedScale ? v
                        : hi > lo ? (v - lo) / (hi - lo) : 0.5f;   // a constant image shows as mid-grey
                }
        }

        var colorscale = invert
            ? new object[] { new object[] { 0, "#ffffff" }, new object[] { 1, "#000000" } }
            : new object[] { new object[] { 0, "#000000" }, new object[] { 1, "#ffffff" } };
        var heatmap = new Trace2D("heatmap").With("z", z).With("colorscale", colorscale).With("name", "images")
            .With("showscale", sharedScale).With("zsmooth", false);
        heatmap = sharedScale
            ? heatmap.With("zmin", sharedMin).With("zmax", sharedMax > sharedMin ? sharedMax : sharedMin + 1)
                .With("hovertemplate", "%{z:.3g}<extra></extra>").With("colorbar", new { thickness = 12 })
            : heatmap.With("zmin", 0).With("zmax", 1).With("hoverinfo", "skip");

        // A thin frame per tile, so an image's white pixels never merge with the white between tiles.
        var frames = Enumerable.Range(0, n).Select(k => new Shape().With("type", "rect").With("xref", "x").With("yref", "y")
            .With("x0", ((k % columns) * cellW) - 0.5).With("x1", ((k % columns) * cellW) + w - 0.5)
            .With("y0", ((k / columns) * cellH) + band - 0.5).With("y1", ((k / columns) * cellH) + band + h - 0.5)
            .With("line", new { color = "#c8c8c8", width = 1 })).ToList();
        var labels = new List<Annotation>();
        for (int k = 0; titles is not null && k < n; k++)
            labels.Add(new Annotation()
                .With("x", ((k % columns) * cellW) + ((w - 1) / 2.0)).With("y", ((k / columns) * cellH) + band - 0.5)
                .With("xref", "x").With("yref", "y").With("yanchor", "bottom").With("showarrow", false)
                .With("text", titles[k]).With("font", new { size = 11, color = wrong?[k] == true ? ColorOf(3) : Ink }));

        LinearAxis Hidden() => new LinearAxis().With("visible", false).With("showgrid", false).With("zeroline", false)
            .With("constrain", "domain");
        var chart = GenericChart.ofTraceObject(false, heatmap)
            .WithXAxis(Hidden())
            .WithYAxis(Hidden().With("autorange", "reversed").With("scaleanchor", "x").With("scaleratio", 1))
            .WithAnnotations(labels)
            .WithShapes(frames);
        int height = (int)Math.Ceiling(totalH * scale) + 48 + 10 + 4;
        return Finish(chart, title, height, showLegend: false, left: 10, right: sharedScale ? 60 : 10, bottom: 10);
    }
}
