namespace DeepLearning.Notebooks.Apps;

/// <summary>What <c>apps</c> does: write or check the committed apps, or run apps (see <see cref="Usage"/>).</summary>
internal sealed record AppsOptions
{
    public enum Action { Run, Write, Check }

    public Action Mode { get; init; } = Action.Run;
    public string Notebooks { get; init; } = "notebooks";
    public string Out { get; init; } = Path.Combine("artifacts", "apps");
    public bool Solutions { get; init; } = true;
    public bool KeepBuilds { get; init; }
    public string Configuration { get; init; } = "Release";
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(600);
    public IReadOnlyList<string> Names { get; init; } = [];

    public const string Usage = """
        usage: DeepLearning.Notebooks apps [--write | --check | --run] [options] [names...]

        Every notebook NN-name.ipynb has a .NET file-based app, notebooks/apps/NN-name.cs, generated from it (the
        .ipynb is the one source): `dotnet run notebooks/apps/NN-name.cs` runs the lesson without a notebook kernel.

          --write                regenerate notebooks/apps/*.cs from the notebooks (and delete apps without a notebook)
          --check                exit 1 if a committed app differs from what --write would write
          --run                  (default) run the apps one after another with `dotnet run`, COURSE_HEADLESS=1, and
                                 report each one's build and run time; exit 1 if any fails
          --no-solutions         with --run: run the committed apps, exercises as learners get them (else: copies
                                 with the solutions from notebooks/solutions/ filled in, generated into --out)
          --keep-builds          with --run: keep each app's build output (about 1.1 GB each: libtorch is copied
                                 next to every app) instead of removing it once the app has run
          --notebooks DIR        folder with the .ipynb files (default: notebooks)
          --out DIR              where --run writes the solved apps and logs (default: artifacts/apps)
          -c, --configuration C  build configuration for --run (default: Release)
          --timeout S            stop an app that runs longer than S seconds (default: 600)
          names                  notebooks to use: stems or unique prefixes (03, 03-optimizers); default all
        """;

    public static (AppsOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        var options = new AppsOptions();
        var names = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--write": options = options with { Mode = Action.Write }; break;
                case "--check": options = options with { Mode = Action.Check }; break;
                case "--run": options = options with { Mode = Action.Run }; break;
                case "--no-solutions": options = options with { Solutions = false }; break;
                case "--keep-builds": options = options with { KeepBuilds = true }; break;
                case "--notebooks" or "--out" or "-c" or "--configuration" or "--timeout":
                    if (i + 1 >= args.Count) return (null, $"{arg} needs a value");
                    string value = args[++i];
                    if (arg == "--timeout")
                    {
                        if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double s) || !(s > 0))
                            return (null, $"--timeout wants a positive number of seconds, got '{value}'");
                        options = options with { Timeout = TimeSpan.FromSeconds(s) };
                    }
                    else options = arg switch
                    {
                        "--notebooks" => options with { Notebooks = value },
                        "--out" => options with { Out = value },
                        _ => options with { Configuration = value },
                    };
                    break;
                default:
                    if (arg.StartsWith('-')) return (null, $"unknown option '{arg}'");
                    names.Add(arg);
                    break;
            }
        }
        return (options with { Names = names }, null);
    }
}

/// <summary>The <c>apps</c> command.</summary>
internal static class AppsCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter console, CancellationToken cancel)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            console.WriteLine(AppsOptions.Usage);
            return 0;
        }
        var (options, error) = AppsOptions.Parse(args);
        if (options is null)
        {
            console.WriteLine($"error: {error}\n\n{AppsOptions.Usage}");
            return 2;
        }
        var (paths, selectError) = new RunOptions { Notebooks = options.Notebooks, Names = options.Names }.Select();
        if (selectError is not null)
        {
            console.WriteLine($"error: {selectError}");
            return 2;
        }
        return options.Mode switch
        {
            AppsOptions.Action.Write => Write(paths, options.Names.Count == 0, console),
            AppsOptions.Action.Check => Check(paths, console),
            _ => await new AppRun(options, console).RunAsync(paths, cancel),
        };
    }

    /// <summary>
    /// The committed app of each notebook and what the generator makes of the notebook now, or why it cannot
    /// (one notebook's error does not stop the others).
    /// </summary>
    public static IEnumerable<(string Notebook, string App, string? Expected, string? Error)> Expected(IEnumerable<string> notebooks)
    {
        foreach (string notebook in notebooks)
        {
            string app = AppGenerator.AppPathFor(notebook);
            string? expected = null, error = null;
            try { expected = AppGenerator.Generate(notebook, app, solutions: false); }
            catch (Exception e) when (e is FormatException or InvalidDataException or IOException or System.Text.Json.JsonException or System.Xml.XmlException)
            {
                error = e.Message;
            }
            yield return (notebook, app, expected, error);
        }
    }

    private static int Write(IReadOnlyList<string> notebooks, bool all, TextWriter console)
    {
        int changed = 0, failed = 0;
        foreach (var (_, app, expected, error) in Expected(notebooks))
        {
            string shown = Path.GetRelativePath(Environment.CurrentDirectory, app);
            if (expected is null)
            {
                failed++;
                console.WriteLine($"  ✗ {shown} not written: {error}");
                continue;
            }
            bool same = File.Exists(app) && File.ReadAllText(app) == expected;
            if (!same)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(app)!);
                File.WriteAllText(app, expected);
                changed++;
            }
            console.WriteLine($"{(same ? "  unchanged" : "  wrote    ")} {shown}");
        }
        if (all && notebooks.Count > 0)
        {
            // An app whose notebook is gone (renamed or deleted) would keep running a lesson that no longer exists.
            string dir = Path.GetDirectoryName(AppGenerator.AppPathFor(notebooks[0]))!;
            var stems = notebooks.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
            foreach (string stale in Directory.GetFiles(dir, "*.cs").Where(f => !stems.Contains(Path.GetFileNameWithoutExtension(f))))
            {
                File.Delete(stale);
                changed++;
                console.WriteLine($"  deleted   {Path.GetRelativePath(Environment.CurrentDirectory, stale)} (no notebook)");
            }
        }
        console.WriteLine($"{changed} app{(changed == 1 ? "" : "s")} changed, {notebooks.Count} notebook{(notebooks.Count == 1 ? "" : "s")}" +
                          (failed > 0 ? $", {failed} could not be generated" : ""));
        return failed == 0 ? 0 : 1;
    }

    private static int Check(IReadOnlyList<string> notebooks, TextWriter console)
    {
        int stale = 0;
        foreach (var (_, app, expected, error) in Expected(notebooks))
        {
            string shown = Path.GetRelativePath(Environment.CurrentDirectory, app);
            if (expected is null) { stale++; console.WriteLine($"  ✗ {shown} cannot be generated: {error}"); }
            else if (!File.Exists(app) || File.ReadAllText(app) != expected) { stale++; console.WriteLine($"  out of date: {shown}"); }
        }
        console.WriteLine(stale == 0
            ? $"all {notebooks.Count} apps are up to date"
            : $"{stale} app{(stale == 1 ? " is" : "s are")} out of date: run {AppGenerator.WriteCommand}");
        return stale == 0 ? 0 : 1;
    }
}
