using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace DeepLearning.Course;

/// <summary>Thrown in headless runs when a lesson's stated result does not hold: the lesson is broken.</summary>
public sealed class ClaimFailedException(string message) : Exception(message);

/// <summary>
/// Backs a sentence of a lesson with a measurement. Prose like "Adam reaches the minimum in fewer steps" is
/// followed by <c>Claim.That(...)</c>, so a change to the library that breaks the lesson fails the notebook tests.
/// When a person runs the notebook and changes a setting, a claim that no longer holds is a finding, not an error:
/// it prints ✘ and the cell carries on (its chart still renders). Only headless runs (COURSE_HEADLESS=1) throw.
/// </summary>
public static class Claim
{
    /// <summary>
    /// Prints "✔ statement (evidence)" and returns true when it holds. When it does not: throws
    /// <see cref="ClaimFailedException"/> in headless runs, and otherwise prints a ✘ line and returns false.
    /// </summary>
    public static bool That(string statement, bool holds, string evidence)
    {
        if (holds)
        {
            Console.WriteLine($"✔ {statement} ({evidence})");
            return true;
        }
        if (NotebookDisplay.Headless)
            throw new ClaimFailedException($"The lesson claims \"{statement}\", but the run shows: {evidence}");
        Console.WriteLine($"✘ With these settings this no longer holds: {statement} ({evidence}). "
                          + "If you changed a setting, compare with the lesson's values: the difference is what the experiment teaches.");
        return false;
    }

    /// <summary>
    /// Prints a fact that follows from the lesson's constants by arithmetic (e.g. "600 examples in batches of 30 are
    /// 20 updates per epoch"). It is not a measurement, so it is neither ✔ nor checked.
    /// </summary>
    public static void Fact(string fact) => Console.WriteLine($"• {fact}");
}

/// <summary>Thrown in headless runs when an exercise check fails.</summary>
public sealed class ExerciseFailedException(string message) : Exception(message);

/// <summary>
/// Grades an exercise: ✅ when it passes, ❌ with a hint when it doesn't. Hints come in two levels so that the first
/// failing run (usually the untouched placeholder) does not give the answer away: the idea first, then — after a
/// second failed check of the same exercise, or when the learner asks with <see cref="Solution"/> — code.
/// Exercise ids are "NN-k": notebook NN, exercise k (the solution is block <c>ex-k</c> of <c>solutions/NN-*.cs</c>).
/// </summary>
public static class Exercise
{
    private static readonly ConcurrentDictionary<string, int> Failures = new(StringComparer.Ordinal);

    /// <summary>
    /// Prints ✅, or ❌ with the idea in <paramref name="hint"/>. From the second failure of the same id on, also
    /// prints <paramref name="codeHint"/> (code that gets the learner unstuck, short of the full answer), or the
    /// worked solution when there is no code hint. Returns whether it passed. In headless runs (the course's own
    /// tests, which fill in the solutions) a ❌ also throws, so a broken exercise cannot go unnoticed.
    /// </summary>
    public static bool Check(string id, bool passed, string hint, string? codeHint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        if (passed)
        {
            Console.WriteLine($"✅ Exercise {id}: correct.");
            return true;
        }
        if (NotebookDisplay.Headless)
            throw new ExerciseFailedException($"Exercise {id} failed in a headless run. Hint: {hint}");

        int failures = Failures.AddOrUpdate(id, 1, (_, n) => n + 1);
        var message = new StringBuilder($"❌ Exercise {id}: not yet. Idea: {hint}");
        if (failures == 1)
        {
            message.Append(CultureInfo.InvariantCulture,
                $"\n   Still stuck after another try? A second check shows {(codeHint is null ? "a worked solution" : "a code hint")}; Exercise.Solution(\"{id}\") shows the worked solution now.");
        }
        else if (codeHint is not null)
        {
            message.Append(CultureInfo.InvariantCulture, $"\n   Code hint: {codeHint}\n   The worked solution: Exercise.Solution(\"{id}\").");
        }
        else
        {
            message.Append("\n   A worked solution:\n").Append(SolutionOrWhyNot(id));
        }
        Console.WriteLine(message);
        return false;
    }

    /// <summary>Checks that <paramref name="actual"/> is within <paramref name="tolerance"/> of <paramref name="expected"/>.</summary>
    public static bool CheckClose(string id, double actual, double expected, double tolerance, string hint, string? codeHint = null) =>
        Check(id, double.IsFinite(actual) && Math.Abs(actual - expected) <= tolerance,
            $"{hint} (got {actual:G6}, expected {expected:G6} ± {tolerance:G3})", codeHint);

    /// <summary>Prints the worked solution of exercise <paramref name="id"/> ("NN-k") from the course's solutions folder.</summary>
    public static void Solution(string id) => Console.WriteLine(SolutionOrWhyNot(id));

    /// <summary>How many times the check of <paramref name="id"/> has failed in this session.</summary>
    public static int FailureCount(string id) => Failures.TryGetValue(id, out int n) ? n : 0;

    /// <summary>Forgets the failures counted so far (a fresh start; tests use it).</summary>
    public static void ResetFailures() => Failures.Clear();

    private static string SolutionOrWhyNot(string id)
    {
        try { return SolutionText(id); }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or KeyNotFoundException) { return e.Message; }
    }

    /// <summary>
    /// The worked solution of exercise <paramref name="id"/> ("NN-k"): block <c>ex-k</c> of <c>solutions/NN-*.cs</c>.
    /// The folder is looked for next to the working directory (a notebook runs in its own folder) and its parents,
    /// then above the course library's assembly (notebooks load it from the repository's artifacts/ folder).
    /// </summary>
    /// <param name="id">"NN-k", e.g. "05-2".</param>
    /// <param name="searchFrom">Folders to search instead of the working directory and the library's location.</param>
    /// <exception cref="ArgumentException"><paramref name="id"/> is not of the form "NN-k".</exception>
    /// <exception cref="FileNotFoundException">No solutions file for notebook NN was found.</exception>
    /// <exception cref="KeyNotFoundException">The file has no block for the exercise.</exception>
    public static string SolutionText(string id, IEnumerable<string>? searchFrom = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        int dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || dash == id.Length - 1)
            throw new ArgumentException($"Exercise id '{id}' should look like \"05-2\": the notebook's number, a dash, the exercise.", nameof(id));
        string notebook = id[..dash], exercise = id[(dash + 1)..];

        var tried = new List<string>();
        foreach (string folder in SolutionFolders(searchFrom))
        {
            tried.Add(folder);
            if (!Directory.Exists(folder)) continue;
            string? file = Directory.EnumerateFiles(folder, notebook + "-*.cs").Order(StringComparer.Ordinal).FirstOrDefault();
            if (file is null) continue;
            var blocks = SolutionBlocks(File.ReadAllText(file));
            if (blocks.TryGetValue("ex-" + exercise, out string? block) || blocks.TryGetValue(exercise, out block))
                return $"// Exercise {id}, from {Path.GetFileName(file)}:\n{block}";
            throw new KeyNotFoundException($"{file} has no solution block '//# cell: ex-{exercise}' for exercise {id}.");
        }
        throw new FileNotFoundException($"No solutions file for exercise {id} (looked for {notebook}-*.cs in: {string.Join(", ", tried.Distinct())}).");
    }

    private static IEnumerable<string> SolutionFolders(IEnumerable<string>? searchFrom)
    {
        var starts = searchFrom?.ToList()
                     ?? [Directory.GetCurrentDirectory(), Path.GetDirectoryName(typeof(Exercise).Assembly.Location) ?? ""];
        foreach (string start in starts.Where(s => s.Length > 0))
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                yield return Path.Combine(dir.FullName, "solutions");
                yield return Path.Combine(dir.FullName, "notebooks", "solutions");
            }
        }
    }

    /// <summary>Cell id → code, for a solutions file made of blocks that start with <c>//# cell: &lt;id&gt;</c>.</summary>
    internal static Dictionary<string, string> SolutionBlocks(string text)
    {
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        string? id = null;
        var code = new StringBuilder();
        foreach (string line in text.ReplaceLineEndings("\n").Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith("//#", StringComparison.Ordinal) && trimmed[3..].TrimStart().StartsWith("cell:", StringComparison.Ordinal))
            {
                Add();
                id = trimmed[3..].TrimStart()["cell:".Length..].Trim();
                code.Clear();
            }
            else if (id is not null)
            {
                code.Append(line).Append('\n');
            }
        }
        Add();
        return blocks;

        void Add()
        {
            if (id is not null) blocks[id] = code.ToString().Trim('\n');
        }
    }
}
