using System.Globalization;
using DeepLearning.Notebooks;
using DeepLearning.Notebooks.Execution;

// Thin CLI over the runner: `run` (the main job, see RunOptions.Usage), `book` (rebuild the book of a run), `apps` (the
// lessons' file-based apps, see AppsOptions.Usage) and `worker` (one notebook, started by `run`).
Console.OutputEncoding = System.Text.Encoding.UTF8;
string command = args.Length > 0 ? args[0] : "--help";
switch (command)
{
    case "-h" or "--help" or "help":
        Console.WriteLine(RunOptions.Usage);
        return 0;

    case "run":
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(RunOptions.Usage);
            return 0;
        }
        var (options, error) = RunOptions.Parse(args[1..]);
        if (options is null)
        {
            Console.Error.WriteLine($"error: {error}\n\n{RunOptions.Usage}");
            return 2;
        }
        using (var interrupt = new CancellationTokenSource())
        {
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; interrupt.Cancel(); };
            return await new CourseRun(options, Console.Out).RunAsync(interrupt.Token);
        }

    case "apps":
        using (var interrupt = new CancellationTokenSource())
        {
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; interrupt.Cancel(); };
            return await DeepLearning.Notebooks.Apps.AppsCommand.RunAsync(args[1..], Console.Out, interrupt.Token);
        }

    case "book":
    {
        // Rebuilds the HTML book from a finished run's report.json and executed notebooks, running nothing.
        var (bookOptions, bookError) = RunOptions.Parse(args[1..]);
        if (bookOptions is null)
        {
            Console.Error.WriteLine($"error: {bookError}\n\n{RunOptions.Usage}");
            return 2;
        }
        string outDir = Path.GetFullPath(bookOptions.OutDir), report = Path.Combine(outDir, "report.json");
        if (!File.Exists(report))
        {
            Console.Error.WriteLine($"error: no {report}; `run` writes it");
            return 2;
        }
        var run = RunReport.Load(report);
        var book = new DeepLearning.Notebooks.Book.BookBuilder(outDir).Build(run, Path.GetFullPath(bookOptions.Notebooks));
        Summary.Print(run, book, outDir, Console.Out);
        return book.Problems.Count == 0 ? 0 : 1;
    }

    case "worker":
        return await Worker.RunAsync(args[1..]);

    default:
        Console.Error.WriteLine($"error: unknown command '{command}'\n\n{RunOptions.Usage}");
        return 2;
}

/// <summary>The child process that runs one notebook; its exit code is 0 (passed), 1 (failed), 3 (timed out) or 4 (with
/// <c>--wait</c>: the runner went away, or stopped the run, before or during this notebook).</summary>
internal static class Worker
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        string notebook = Arg("--notebook") ?? throw new ArgumentException("worker: --notebook is required");
        var job = new NotebookJob(
            notebook,
            Arg("--executed") ?? throw new ArgumentException("worker: --executed is required"),
            Arg("--result") ?? throw new ArgumentException("worker: --result is required"),
            TimeSpan.FromSeconds(double.Parse(Arg("--cell-timeout") ?? "300", CultureInfo.InvariantCulture)),
            Arg("--solutions"));

        // The kernel redirects Console.Out and Console.Error into cell outputs; progress goes to the real stdout.
        using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var progress = TextWriter.Synchronized(stdout);   // cells report from the main flow, heartbeats from a timer
        try
        {
            var report = await new NotebookExecutor(progress).RunAsync(job, args.Contains("--wait") ? () => WaitForGoAsync(progress) : null);
            progress.Flush();
            // Exit at once: a timed-out cell may still be running on another thread.
            Environment.Exit(report.Status switch { Status.Ok => 0, Status.Timeout => 3, _ => 1 });
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or System.Text.Json.JsonException)
        {
            // A notebook or solutions file the runner cannot use: report it as this notebook's failure.
            string name = Path.GetFileName(notebook);
            var report = new NotebookReport(name, name, Status.Failed, 0, 0, [], $"{name}: {e.Message}", "", "");
            AtomicFile.Write(job.Result, System.Text.Json.JsonSerializer.Serialize(report, RunReport.Json));
            progress.WriteLine($"  {report.Error}");
            return 1;
        }
    }

    // Started ahead of its turn: says its kernel is up, then waits for the runner's go. From then on it watches stdin,
    // whose other end only the runner holds: when that closes (the runner died, even by SIGKILL), the worker exits
    // rather than run on as an orphan.
    private static async Task WaitForGoAsync(TextWriter progress)
    {
        var stdin = new StreamReader(Console.OpenStandardInput());
        progress.WriteLine(WorkerProcess.ReadyLine);
        if (await stdin.ReadLineAsync() != WorkerProcess.GoLine) Environment.Exit(4);
        new Thread(() =>
        {
            while (stdin.ReadLine() is not null) { }
            Environment.Exit(4);
        }) { IsBackground = true, Name = "runner watch" }.Start();
    }
}
