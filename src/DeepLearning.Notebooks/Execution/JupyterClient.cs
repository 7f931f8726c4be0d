using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepLearning.Notebooks.Execution;

/// <summary>
/// Runs notebooks as a learner's Jupyter does: on the official <c>dotnet-interactive</c> tool (the local tool pinned in
/// the repository's <c>.config/dotnet-tools.json</c>), whose kernel <c>.net-csharp</c> is registered in a private
/// Jupyter path, driven cell by cell over the Jupyter protocol by <c>Jupyter/execute_notebook.py</c> (Python's
/// nbclient). The tool's kernelspec starts <c>dotnet interactive jupyter …</c> in the notebook's folder, where the
/// dotnet CLI finds the local tool through the manifest above it — so the notebooks must live inside the repository.
/// </summary>
internal sealed class JupyterClient
{
    /// <summary>The kernelspec the tool registers for C# (the name in every course notebook's metadata).</summary>
    public const string KernelName = ".net-csharp";

    private const string ToolCommand = "dotnet-interactive";

    private readonly string _repo, _private, _logs;
    private readonly TextWriter _console;

    private JupyterClient(string repo, string outDir, TextWriter console)
    {
        _repo = repo;
        _private = Path.Combine(outDir, ".jupyter");
        _logs = Path.Combine(outDir, "kernel-logs");
        _console = console;
    }

    /// <summary>
    /// Restores the pinned tool, registers its kernels in a private Jupyter path under <paramref name="outDir"/> and
    /// checks that Python's nbclient is there; returns the client, or an error saying what is missing.
    /// </summary>
    public static async Task<(JupyterClient? Client, string? Error)> PrepareAsync(string notebooksDir, string outDir, TextWriter console, CancellationToken cancel)
    {
        string? repo = FindManifestRoot(notebooksDir);
        if (repo is null)
            return (null, $"the Jupyter client runs the dotnet-interactive tool pinned in the repository's .config/dotnet-tools.json, " +
                          $"and the kernel finds it from the notebook's folder; no such manifest above '{Path.GetFullPath(notebooksDir)}'");
        var client = new JupyterClient(repo, outDir, console);
        foreach (string dir in new[] { client.Data, client.Config, client.Runtime, Path.Combine(client.Data, "kernels"), client._logs })
            Directory.CreateDirectory(dir);

        var python = await client.RunAsync("python3", ["-c", "import nbclient, nbformat, jupyter_client; print(nbclient.__version__, jupyter_client.__version__)"], repo, cancel);
        if (python.ExitCode != 0)
            return (null, "the Jupyter client needs python3 with nbclient, nbformat and jupyter_client (Debian/Ubuntu: apt-get install " +
                          $"python3-nbclient); here: {python.Output.Trim()}");
        var restore = await client.RunAsync("dotnet", ["tool", "restore"], repo, cancel);
        if (restore.ExitCode != 0)
            return (null, $"`dotnet tool restore` in {repo} failed (exit code {restore.ExitCode}):\n{restore.Output.Trim()}");
        var version = await client.RunAsync("dotnet", ["tool", "run", ToolCommand, "--version"], repo, cancel);
        var install = await client.RunAsync("dotnet", ["tool", "run", ToolCommand, "jupyter", "install", "--path", Path.Combine(client.Data, "kernels")], repo, cancel);
        string spec = Path.Combine(client.Data, "kernels", KernelName, "kernel.json");
        if (install.ExitCode != 0 || !File.Exists(spec))
            return (null, $"`dotnet tool run {ToolCommand} jupyter install` did not register {KernelName} (exit code {install.ExitCode}):\n{install.Output.Trim()}");

        string[] nb = python.Output.Trim().Split(' ');
        string argv = string.Join(' ', JsonNode.Parse(File.ReadAllText(spec))!["argv"]!.AsArray().Select(a => (string?)a));
        console.WriteLine($"Jupyter client: dotnet-interactive {version.Output.Trim().Split('+')[0]} (local tool, {Path.Combine(repo, ".config", "dotnet-tools.json")}), " +
                          $"nbclient {nb[0]}, jupyter_client {nb.ElementAtOrDefault(1)}");
        console.WriteLine($"  kernel {KernelName} registered in {client.Data} — it runs: {argv}");
        return (client, null);
    }

    private string Data => Path.Combine(_private, "data");
    private string Config => Path.Combine(_private, "config");
    private string Runtime => Path.Combine(_private, "runtime");

    /// <summary>
    /// Runs one notebook: fills in its solutions (as the in-process runner does), runs it through nbclient in a child
    /// process (killed, kernel included, after <paramref name="notebookTimeout"/>) and reads back its report.
    /// </summary>
    public async Task<NotebookReport> RunAsync(NotebookJob job, string workDir, TimeSpan notebookTimeout, CancellationToken cancel)
    {
        string name = Path.GetFileName(job.Notebook), stem = Path.GetFileNameWithoutExtension(job.Notebook);
        var clock = Stopwatch.StartNew();
        JsonObject notebook;
        HashSet<string> solved;
        try
        {
            notebook = JsonNode.Parse(File.ReadAllText(job.Notebook))?.AsObject() ?? throw new InvalidDataException("empty notebook");
            solved = ApplySolutions(notebook, job);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or JsonException)
        {
            _console.WriteLine($"  {name}: {e.Message}");
            return new NotebookReport(name, name, Status.Failed, 0, 0, [], $"{name}: {e.Message}", "", "");
        }
        string input = Path.Combine(workDir, stem + ".input.ipynb");
        AtomicFile.Write(input, notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = RunReport.Json.Encoder }));
        File.Delete(job.Result);

        var cells = (notebook["cells"]?.AsArray() ?? []).Select((c, i) => (Cell: c!.AsObject(), Number: i + 1)).ToList();
        var code = cells.Where(c => (string?)c.Cell["cell_type"] == "code").ToList();
        string title = cells.Where(c => (string?)c.Cell["cell_type"] == "markdown")
            .SelectMany(c => Source(c.Cell).ReplaceLineEndings("\n").Split('\n'))
            .FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))?[2..].Trim() ?? stem;
        if (solved.Count > 0) _console.WriteLine($"  {solved.Count} exercise solutions filled in");

        string script = Path.Combine(AppContext.BaseDirectory, "Jupyter", "execute_notebook.py");
        string[] args =
        [
            script, "--notebook", input, "--executed", job.Executed, "--result", job.Result,
            "--kernel-log", Path.Combine(_logs, stem + ".log"), "--cwd", Path.GetDirectoryName(job.Notebook)!,
            "--kernel", KernelName, "--cell-timeout", job.CellTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        var run = await RunAsync("python3", args, Path.GetDirectoryName(job.Notebook)!, cancel, notebookTimeout, echo: true);
        double seconds = clock.Elapsed.TotalSeconds;

        var result = ReadResult(job.Result);
        var reports = code.Select((c, k) =>
        {
            var entry = result?.Cells.ElementAtOrDefault(k);
            var status = entry?.Status switch
            {
                "ok" => Status.Ok, "failed" => Status.Failed, "timeout" => Status.Timeout, "running" => Status.Running, _ => Status.NotRun,
            };
            return new CellReport(c.Number, (string?)c.Cell["id"], NotebookExecutor.FirstLine(Source(c.Cell)), status, entry?.Seconds ?? 0,
                solved.Contains((string?)c.Cell["id"] ?? ""), entry?.Error, CellReport.LoadsPackages(Source(c.Cell)));
        }).ToList();

        string? error = null;
        var overall = Status.Ok;
        int running = reports.FindIndex(c => c.Status == Status.Running);
        if (running >= 0)
        {
            // Killed (notebook limit, interrupt) or crashed in the middle of a cell.
            string why = run.Killed ? cancel.IsCancellationRequested ? "interrupted" : $"stopped by the notebook time limit ({notebookTimeout.TotalSeconds:0} s)"
                : $"the Jupyter client exited with code {run.ExitCode} while the cell ran";
            reports[running] = reports[running] with { Status = run.Killed && !cancel.IsCancellationRequested ? Status.Timeout : Status.Failed, Error = why };
        }
        if (reports.FirstOrDefault(c => c.Status is Status.Failed or Status.Timeout) is { } culprit)
        {
            overall = culprit.Status;
            error = NotebookExecutor.Message(name, culprit, culprit.Error ?? "failed");
        }
        else if (result?.Error is { } kernelError)
        {
            overall = Status.Failed;
            error = $"{name}: {kernelError} (kernel log: {Path.Combine(_logs, stem + ".log")})";
        }
        else if (result is null || run.ExitCode != 0 || reports.Any(c => c.Status != Status.Ok))
        {
            overall = run.Killed ? Status.Timeout : Status.Failed;
            error = $"{name}: the Jupyter client exited with code {run.ExitCode}{(run.Killed ? " (killed by the notebook time limit)" : "")} " +
                    $"and {(result is null ? "wrote no result" : "left cells unrun")}:\n{run.Tail}";
        }
        return new NotebookReport(name, title, overall, seconds, result?.KernelSeconds ?? 0, reports, error, "", "");
    }

    // Exercise cells replaced by their solutions, exactly the blocks NotebookExecutor applies; the same errors for a
    // solution whose cell is missing or Markdown. The cell is marked in its metadata, as the in-process runner does.
    private static HashSet<string> ApplySolutions(JsonObject notebook, NotebookJob job)
    {
        var solved = new HashSet<string>(StringComparer.Ordinal);
        if (job.Solutions is null || !File.Exists(job.Solutions)) return solved;
        string source = Path.GetFileName(Path.GetDirectoryName(job.Solutions)) + "/" + Path.GetFileName(job.Solutions);
        var cells = notebook["cells"]?.AsArray() ?? throw new InvalidDataException($"{Path.GetFileName(job.Notebook)} has no cells");
        foreach (var (id, code) in Solutions.Parse(File.ReadAllText(job.Solutions), source))
        {
            var cell = cells.Select(c => c!.AsObject()).FirstOrDefault(c => (string?)c["id"] == id)
                ?? throw new InvalidDataException($"{source} has a solution for cell '{id}', but {Path.GetFileName(job.Notebook)} has no cell with that id");
            if ((string?)cell["cell_type"] != "code")
                throw new InvalidDataException($"{source} has a solution for cell '{id}', which is a Markdown cell");
            // nbformat's multi-line string: a list of lines, each but the last ending in "\n".
            var lines = code.Split('\n');
            cell["source"] = new JsonArray(lines.Select((l, i) => (JsonNode?)JsonValue.Create(i < lines.Length - 1 ? l + "\n" : l)).ToArray());
            var metadata = cell["metadata"] as JsonObject ?? [];
            cell["metadata"] = metadata;
            metadata["course_run"] = new JsonObject { ["solution"] = true };
            solved.Add(id);
        }
        return solved;
    }

    private static string Source(JsonObject cell) => cell["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        JsonValue text => (string?)text ?? "",
        _ => "",
    };

    private static string? FindManifestRoot(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, ".config", "dotnet-tools.json"))) return dir.FullName;
        return null;
    }

    private sealed record ScriptCell(int Index, string Status, double Seconds, string? Error);

    private sealed record ScriptResult(double KernelSeconds, double Seconds, string? Error, IReadOnlyList<ScriptCell> Cells);

    private static ScriptResult? ReadResult(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<ScriptResult>(File.ReadAllText(path), RunReport.Json) : null; }
        catch (JsonException) { return null; }
    }

    private sealed record ProcessResult(int ExitCode, string Output, bool Killed, string Tail);

    // Runs a helper command with the private Jupyter path and the headless switch in its environment (the kernel
    // inherits it); with echo, its output is the run's progress. Killed, children included, after the limit.
    private async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, string cwd, CancellationToken cancel, TimeSpan? limit = null, bool echo = false)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = cwd,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["JUPYTER_PATH"] = Data;
        start.Environment["JUPYTER_DATA_DIR"] = Data;
        start.Environment["JUPYTER_CONFIG_DIR"] = Config;
        start.Environment["JUPYTER_RUNTIME_DIR"] = Runtime;
        start.Environment["JUPYTER_PLATFORM_DIRS"] = "1";   // jupyter_core's future default; silences its warning
        start.Environment["COURSE_HEADLESS"] = "1";
        start.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["PYTHONUNBUFFERED"] = "1";

        var output = new System.Text.StringBuilder();
        var tail = new Queue<string>();
        void Line(string? line, bool error)
        {
            if (line is null) return;
            lock (output)
            {
                output.AppendLine(line);
                tail.Enqueue(line);
                if (tail.Count > 8) tail.Dequeue();
            }
            if (echo) lock (_console) _console.WriteLine(error ? "  stderr: " + line : line);
        }
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Line(e.Data, false);
        process.ErrorDataReceived += (_, e) => Line(e.Data, true);
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ProcessResult(127, $"cannot start {file}: {e.Message}", false, "");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool killed = await WorkerProcess.WaitOrKillAsync(process, limit, cancel);
        lock (output) return new ProcessResult(process.ExitCode, output.ToString(), killed, string.Join("\n", tail));
    }
}
