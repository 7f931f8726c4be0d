using System.Diagnostics;
using System.Reflection;
using System.Text;

// Child processes, a shared run of the course and timing budgets: tests in this assembly run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace DeepLearning.Notebooks.Tests;

/// <summary>The runner's CLI, launched as a child process the way notebooks/run launches it.</summary>
public static class Runner
{
    /// <summary>The repository root (recorded at build time; COURSE_REPO overrides).</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The synthetic notebooks of these tests (copied next to the test assembly).</summary>
    public static string TestNotebooks => Path.Combine(AppContext.BaseDirectory, "testdata", "notebooks");

    /// <summary>
    /// DeepLearning.Notebooks.dll with its runtimeconfig and deps files: the SDK copies a referenced Exe project's
    /// next to this assembly; otherwise the runner's own output folder beside this project's.
    /// </summary>
    public static string Dll { get; } = FindRunner();

    /// <summary>A fresh, empty folder under the system's temp folder, deleted on dispose.</summary>
    public static TempDir NewOutDir(string name) => new(name);

    /// <summary>A temporary folder (implicitly its path).</summary>
    public sealed class TempDir : IDisposable
    {
        internal TempDir(string name)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "course-runner-tests", $"{name}-{Guid.NewGuid().ToString("N")[..8]}");
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public static implicit operator string(TempDir dir) => dir.Path;

        public override string ToString() => Path;

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>Output and exit code of one CLI run.</summary>
    public sealed record Result(int ExitCode, string Output, TimeSpan Elapsed)
    {
        public override string ToString() => $"exit code {ExitCode} after {Elapsed.TotalSeconds:0.0} s; output:\n{Output}";
    }

    /// <summary>Runs <c>dotnet DeepLearning.Notebooks.dll args…</c>; kills it (and its workers) after <paramref name="limit"/>.</summary>
    public static Result Run(TimeSpan limit, params string[] args)
    {
        using var running = Launch(args);
        if (!running.Process.WaitForExit(limit))
        {
            running.Process.Kill(entireProcessTree: true);
            running.Process.WaitForExit();
            throw new TimeoutException($"the runner did not finish within {limit.TotalSeconds:0} s; output so far:\n{running.Output}");
        }
        running.Process.WaitForExit();
        return new Result(running.Process.ExitCode, running.Output, running.Elapsed);
    }

    /// <summary>Starts <c>dotnet DeepLearning.Notebooks.dll args…</c> and returns at once; disposing kills what is left.</summary>
    public static Launched Launch(params string[] args) => Launch(interruptible: false, args);

    /// <summary>
    /// As <see cref="Launch(string[])"/>, with SIGINT restored to its default first (<c>env --default-signal=INT</c>,
    /// the same PID): a process started from a background job of a non-interactive shell, as CI may be, inherits
    /// SIGINT ignored, and the runner would then never see the test's Ctrl-C.
    /// </summary>
    public static Launched LaunchInterruptible(params string[] args) => Launch(interruptible: true, args);

    private static Launched Launch(bool interruptible, string[] args)
    {
        var start = new ProcessStartInfo(interruptible ? "/usr/bin/env" : DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot,
        };
        if (interruptible)
        {
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add(DotnetHost());
        }
        start.ArgumentList.Add(Dll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return new Launched(start);
    }

    /// <summary>A runner started by <see cref="Launch"/>, its output collected as it comes.</summary>
    public sealed class Launched : IDisposable
    {
        private readonly StringBuilder _output = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        internal Launched(ProcessStartInfo start)
        {
            Process = new Process { StartInfo = start };
            Process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            Process.Start();
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public TimeSpan Elapsed => _clock.Elapsed;

        public void Dispose()
        {
            try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            Process.Dispose();
        }
    }

    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }

    private static string FindRunner()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string[] candidates =
        [
            Path.Combine(here.FullName, "DeepLearning.Notebooks.dll"),
            // <artifacts>/bin/DeepLearning.Notebooks.Tests/<configuration>/ → <artifacts>/bin/DeepLearning.Notebooks/<configuration>/
            Path.Combine(here.Parent!.Parent!.FullName, "DeepLearning.Notebooks", here.Name, "DeepLearning.Notebooks.dll"),
        ];
        return candidates.FirstOrDefault(dll => File.Exists(dll) && File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
            ?? throw new FileNotFoundException($"The runner is not built: none of {string.Join(", ", candidates)} has a runtimeconfig.json beside it.");
    }

    private static string FindRoot()
    {
        string? env = Environment.GetEnvironmentVariable("COURSE_REPO");
        if (!string.IsNullOrEmpty(env)) return env;
        string? recorded = typeof(Runner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        return recorded is not null && File.Exists(Path.Combine(recorded, "Course.sln"))
            ? recorded
            : throw new DirectoryNotFoundException("Cannot find the repository root (Course.sln); set COURSE_REPO.");
    }
}
