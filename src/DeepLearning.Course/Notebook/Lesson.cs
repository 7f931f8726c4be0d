using System.Collections;
using System.Text;
using Plotly.NET;

namespace DeepLearning.Course;

/// <summary>
/// The console side of a lesson, for its file-based app (<c>notebooks/apps/NN-name.cs</c>, generated from the
/// notebook): what a notebook front end does with a cell's value, done in text. A chart becomes an offline HTML file
/// (all of them loading one shared plotly.js beside them, no CDN) whose path is printed; any other value prints as
/// its text view. Inside a notebook kernel, <see cref="Show"/> displays the value there instead.
/// </summary>
public static class Lesson
{
    /// <summary>Environment variable: the folder charts are written under (default: the repository's artifacts/apps).</summary>
    public const string OutputVariable = "COURSE_APP_OUT";

    private static readonly Lock Gate = new();
    private static string? _charts;     // this lesson's chart folder
    private static string? _started;    // where the learner started the app: printed paths are relative to it
    private static int _chartCount;

    /// <summary>The folder this lesson's charts go to (set by <see cref="Start"/>).</summary>
    public static string? ChartFolder => _charts;

    /// <summary>
    /// Starts a lesson app: UTF-8 output, the notebook's folder as working directory (where a notebook runs), a
    /// fresh chart folder, the title.
    /// </summary>
    /// <param name="notebook">The lesson's .ipynb, relative to the app's file.</param>
    /// <param name="title">The lesson's title.</param>
    public static void Start(string notebook, string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notebook);
        Console.OutputEncoding = Encoding.UTF8;
        // `dotnet run app.cs` tells a file-based app where its file is; built any other way, paths start here.
        string appDir = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory();
        string path = Path.GetFullPath(Path.Combine(appDir, notebook));
        string notebooks = Path.GetDirectoryName(path)!;
        string root = Environment.GetEnvironmentVariable(OutputVariable) is { Length: > 0 } custom
            ? Path.GetFullPath(custom)
            : Path.Combine(Path.GetDirectoryName(notebooks) ?? notebooks, "artifacts", "apps");
        lock (Gate)
        {
            _started = Directory.GetCurrentDirectory();
            _charts = Path.Combine(root, Path.GetFileNameWithoutExtension(path));
            _chartCount = 0;
            if (Directory.Exists(_charts))
                foreach (string old in Directory.GetFiles(_charts, "*.html")) File.Delete(old);   // charts of an earlier run
        }
        if (Directory.Exists(notebooks)) Directory.SetCurrentDirectory(notebooks);
        Console.WriteLine($"═══ {title} ═══");
    }

    /// <summary>Prints a section heading of the lesson, so the output reads in the lesson's order.</summary>
    public static void Section(string heading)
    {
        Console.WriteLine();
        Console.WriteLine($"── {heading}");
    }

    /// <summary>
    /// Shows a cell's value: in a notebook kernel as the notebook shows it; in a console, a chart as an HTML file
    /// (its path printed after 📈) and anything else as text.
    /// </summary>
    public static void Show(object? value)
    {
        if (value is not null && NotebookDisplay.InKernel)
        {
            NotebookDisplay.Show(value);
            return;
        }
        switch (value)
        {
            case null: Console.WriteLine("<null>"); break;
            case Figure figure: Save(figure); break;
            case GenericChart chart: Save(new Figure(chart, "chart")); break;
            case string text: Console.WriteLine(text); break;
            case IEnumerable items when value.ToString() == value.GetType().ToString(): Console.WriteLine(Items(items)); break;
            default: Console.WriteLine(value); break;
        }
    }

    // A collection without a text view of its own: its items, as a notebook's table would list them.
    private static string Items(IEnumerable items)
    {
        const int Limit = 50;
        var shown = new List<string>();
        int count = 0;
        foreach (object? item in items)
            if (count++ < Limit) shown.Add(item?.ToString() ?? "<null>");
        return $"[{string.Join(", ", shown)}{(count > Limit ? $", … ({count - Limit} more)" : "")}]";
    }

    private static void Save(Figure figure)
    {
        string folder, file;
        lock (Gate)
        {
            folder = _charts ?? Path.Combine(Directory.GetCurrentDirectory(), "charts");
            file = Path.Combine(folder, $"{++_chartCount:00}-{Slug(figure.Title)}.html");
        }
        Directory.CreateDirectory(folder);
        // One plotly.js for every chart of every lesson, next to the lessons' folders.
        string script = $"plotly-{Figure.PlotlyJsVersion}.min.js";
        string shared = Path.Combine(Path.GetDirectoryName(folder) ?? folder, script);
        if (!File.Exists(shared))
        {
            string temporary = $"{shared}.{Environment.ProcessId}.tmp";   // two apps at once must not see half a file
            File.WriteAllText(temporary, Figure.PlotlyJs());
            File.Move(temporary, shared, overwrite: true);
        }
        File.WriteAllText(file,
            $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{System.Net.WebUtility.HtmlEncode(figure.Title)}</title>\n" +
            $"<script src=\"../{script}\"></script></head>\n<body>\n{figure.ToHtml(includePlotlyJs: false)}\n</body></html>\n");
        Console.WriteLine($"📈 {figure.Title}: {Printable(file)}");
    }

    // Relative to where the app was started when it lies below it (as a learner typed the command), else absolute.
    private static string Printable(string path)
    {
        string start = _started ?? Directory.GetCurrentDirectory();
        string relative = Path.GetRelativePath(start, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    // A file name from a chart title: ASCII letters and digits, words joined by '-'.
    private static string Slug(string title)
    {
        var slug = new StringBuilder();
        foreach (char c in title.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') slug.Append(c);
            else if (slug.Length > 0 && slug[^1] != '-') slug.Append('-');
            if (slug.Length >= 60) break;
        }
        string result = slug.ToString().Trim('-');
        return result.Length == 0 ? "chart" : result;
    }
}
