namespace DeepLearning.Course;

/// <summary>Thrown when a lesson's stated result does not hold: the lesson is broken and the notebook must fail.</summary>
public sealed class ClaimFailedException(string message) : Exception(message);

/// <summary>
/// Backs a sentence of a lesson with a measurement. Prose like "Adam reaches the minimum in fewer steps" is
/// followed by <c>Claim.That(...)</c>, so a change to the library that breaks the lesson fails the notebook tests.
/// </summary>
public static class Claim
{
    /// <summary>Prints "✔ statement (evidence)"; throws <see cref="ClaimFailedException"/> when it does not hold.</summary>
    public static void That(string statement, bool holds, string evidence)
    {
        if (!holds)
            throw new ClaimFailedException($"The lesson claims \"{statement}\", but the run shows: {evidence}");
        Console.WriteLine($"✔ {statement} ({evidence})");
    }
}

/// <summary>Thrown in headless runs when an exercise check fails.</summary>
public sealed class ExerciseFailedException(string message) : Exception(message);

/// <summary>Grades an exercise: ✅ when it passes, ❌ with a hint when it doesn't.</summary>
public static class Exercise
{
    /// <summary>
    /// Prints ✅ or ❌ with <paramref name="hint"/>. Returns whether it passed. In headless runs (the course's own
    /// tests, which fill in the solutions) a ❌ also throws, so a broken exercise cannot go unnoticed.
    /// </summary>
    public static bool Check(string id, bool passed, string hint)
    {
        Console.WriteLine(passed ? $"✅ Exercise {id}: correct." : $"❌ Exercise {id}: not yet. Hint: {hint}");
        if (!passed && NotebookDisplay.Headless)
            throw new ExerciseFailedException($"Exercise {id} failed in a headless run. Hint: {hint}");
        return passed;
    }

    /// <summary>Checks that <paramref name="actual"/> is within <paramref name="tolerance"/> of <paramref name="expected"/>.</summary>
    public static bool CheckClose(string id, double actual, double expected, double tolerance, string hint) =>
        Check(id, double.IsFinite(actual) && Math.Abs(actual - expected) <= tolerance,
            $"{hint} (got {actual:G6}, expected {expected:G6} ± {tolerance:G3})");
}
