using System.Globalization;

namespace DeepLearning.Notebooks;

/// <summary>Which kernel host executes the notebooks.</summary>
internal enum Client
{
    /// <summary>The runner's own .NET Interactive C# kernel, one worker process per notebook (builds the book).</summary>
    InProcess,
    /// <summary>The official <c>dotnet-interactive</c> tool's kernel, driven over the Jupyter protocol by nbclient.</summary>
    Jupyter,
}

/// <summary>What <c>run</c> does; see <see cref="Usage"/>.</summary>
internal sealed record RunOptions
{
    public string Notebooks { get; init; } = "notebooks";
    public Client Client { get; init; } = Client.InProcess;
    /// <summary>The output folder as given; <see cref="OutDir"/> applies the client's default.</summary>
    public string? Out { get; init; }
    /// <summary>An in-process run's output folder whose claims a Jupyter run is compared with.</summary>
    public string? Compare { get; init; }
    public TimeSpan CellTimeout { get; init; } = TimeSpan.FromSeconds(300);
    public TimeSpan NotebookTimeout { get; init; } = TimeSpan.FromSeconds(600);
    public bool Solutions { get; init; } = true;
    /// <summary>A notebook whose process's peak resident memory exceeds this fails the run.</summary>
    public long MemoryLimitBytes { get; init; } = Execution.PeakMemory.DefaultLimitBytes;
    public IReadOnlyList<string> Names { get; init; } = [];
    /// <summary>How many notebooks run at once (each in its own worker).</summary>
    public int Jobs { get; init; } = DefaultJobs;
    /// <summary>Start the next notebook's worker (process and kernel) while the current ones run.</summary>
    public bool StartAhead { get; init; } = true;

    /// <summary>Measured on 2 cores (bench/PERFORMANCE.md): the notebooks' torch runs single-threaded, so two at once
    /// use both cores.</summary>
    public const int DefaultJobs = 2;

    /// <summary>Where the results go: <c>--out</c>, else artifacts/book (in-process) or artifacts/jupyter.</summary>
    public string OutDir => Out ?? Path.Combine("artifacts", Client == Client.Jupyter ? "jupyter" : "book");

    /// <summary>The in-process run a Jupyter run compares its claims with: <c>--compare</c>, else artifacts/book.</summary>
    public string CompareDir => Compare ?? Path.Combine("artifacts", "book");

    public const string Usage = """
        DeepLearning.Notebooks — runs the course's notebooks headlessly on the .NET Interactive C# kernel and builds
        an offline HTML book of the results.

        usage: DeepLearning.Notebooks run [options] [names...]
               DeepLearning.Notebooks book [--notebooks DIR] [--out DIR]   (rebuilds the book of a finished run)

          names                  notebooks to run: file names, stems or unique prefixes (03, 03-optimizers,
                                 03-optimizers.ipynb); all notebooks in --notebooks when none are given
          --notebooks DIR        folder with the .ipynb files (default: notebooks)
          --out DIR              where the book, report.json and the executed notebooks go (default: artifacts/book;
                                 with --client jupyter: artifacts/jupyter)
          --client NAME          inprocess (default): the runner's own C# kernel, and the HTML book;
                                 jupyter: the official dotnet-interactive tool (pinned in .config/dotnet-tools.json)
                                 over the Jupyter protocol, through Python's nbclient (Debian: python3-nbclient),
                                 kernel .net-csharp registered in a private Jupyter path under --out; no book, but
                                 the ✔/✅ lines of every notebook are compared with an in-process run's
          --compare DIR          the in-process run to compare with (default: artifacts/book); a notebook whose
                                 lines differ fails the run; skipped with a note where DIR has no run
          --cell-timeout S       stop a notebook whose cell runs longer than S seconds (default: 300)
          --notebook-timeout S   stop a notebook that runs longer than S seconds in all (default: 600)
          --memory-limit MB      fail a notebook whose process's peak resident memory exceeds MB megabytes
                                 (MiB; default: 1536, i.e. 1.5 GiB)
          --no-solutions         run exercise cells as learners get them, instead of filling in the solutions
                                 from <notebooks>/solutions/<notebook>.cs
          --jobs N               run N notebooks at once, each in its own worker (default: 2)
          --no-start-ahead       start each notebook's worker only when its turn comes (default: the next worker
                                 starts its process and kernel while the current notebooks run, then waits)
          -h, --help             this text

        Each notebook runs in its own fresh process (in-process: a worker; jupyter: a kernel, one at a time) with its
        folder as the working directory and COURSE_HEADLESS=1, cell by cell; the first failing or timed-out cell stops
        that notebook, the others still run. Overlapping workers do not change the output: the console, report.json
        and the book list the notebooks in course order, each with its own time (its worker's start included), and
        the run's wall time apart.
        Exit status: 0 when every notebook passed, 1 when any failed, 2 for a usage error.

        DeepLearning.Notebooks apps --help describes the lessons' file-based apps (write, check, run).
        """;

    /// <summary>Parses the arguments after <c>run</c>; returns an error message for bad input.</summary>
    public static (RunOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        var options = new RunOptions();
        var names = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--notebooks": if (Value(out string? dir)) options = options with { Notebooks = dir! }; else return Missing(); break;
                case "--out": if (Value(out string? o)) options = options with { Out = o! }; else return Missing(); break;
                case "--cell-timeout" or "--notebook-timeout":
                    if (!Value(out string? s)) return Missing();
                    if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds > 0))
                        return (null, $"{arg} wants a positive number of seconds, got '{s}'");
                    options = arg == "--cell-timeout"
                        ? options with { CellTimeout = TimeSpan.FromSeconds(seconds) }
                        : options with { NotebookTimeout = TimeSpan.FromSeconds(seconds) };
                    break;
                case "--memory-limit":
                    if (!Value(out string? mb)) return Missing();
                    if (!double.TryParse(mb, NumberStyles.Float, CultureInfo.InvariantCulture, out double megabytes) || !(megabytes > 0))
                        return (null, $"--memory-limit wants a positive number of megabytes, got '{mb}'");
                    options = options with { MemoryLimitBytes = (long)(megabytes * (1 << 20)) };
                    break;
                case "--no-solutions": options = options with { Solutions = false }; break;
                case "--no-start-ahead": options = options with { StartAhead = false }; break;
                case "--jobs":
                    if (!Value(out string? n)) return Missing();
                    if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out int jobs) || jobs < 1)
                        return (null, $"--jobs wants a positive whole number of notebooks, got '{n}'");
                    options = options with { Jobs = jobs };
                    break;
                case "--client":
                    if (!Value(out string? client)) return Missing();
                    switch (client)
                    {
                        case "inprocess" or "in-process": options = options with { Client = Client.InProcess }; break;
                        case "jupyter": options = options with { Client = Client.Jupyter }; break;
                        default: return (null, $"--client wants 'inprocess' or 'jupyter', got '{client}'");
                    }
                    break;
                case "--compare": if (Value(out string? compare)) options = options with { Compare = compare! }; else return Missing(); break;
                default:
                    if (arg.StartsWith('-')) return (null, $"unknown option '{arg}'");
                    names.Add(arg);
                    break;
            }

            bool Value(out string? value)
            {
                value = i + 1 < args.Count ? args[++i] : null;
                return value is not null;
            }
            (RunOptions?, string?) Missing() => (null, $"{arg} needs a value");
        }
        return (options with { Names = names }, null);
    }

    /// <summary>The notebooks to run, in course (file name) order; an error names what is unknown or ambiguous.</summary>
    public (IReadOnlyList<string> Paths, string? Error) Select()
    {
        if (!Directory.Exists(Notebooks)) return ([], $"no notebook folder '{Notebooks}'");
        var all = Directory.GetFiles(Notebooks, "*.ipynb").Order(StringComparer.Ordinal).ToList();
        if (all.Count == 0) return ([], $"no .ipynb files in '{Notebooks}'");
        if (Names.Count == 0) return (all, null);

        var chosen = new List<string>();
        foreach (string name in Names)
        {
            string stem = Path.GetFileNameWithoutExtension(name.EndsWith(".ipynb", StringComparison.Ordinal) ? name : name + ".ipynb");
            var exact = all.Where(p => Path.GetFileNameWithoutExtension(p) == stem).ToList();
            var matches = exact.Count > 0 ? exact : all.Where(p => Path.GetFileName(p).StartsWith(stem, StringComparison.Ordinal)).ToList();
            if (matches.Count != 1)
                return ([], $"'{name}' {(matches.Count == 0 ? "matches no notebook" : "is ambiguous")}; notebooks in {Notebooks}: {string.Join(", ", all.Select(Path.GetFileNameWithoutExtension))}");
            if (!chosen.Contains(matches[0])) chosen.Add(matches[0]);
        }
        return (chosen.Order(StringComparer.Ordinal).ToList(), null);
    }
}
