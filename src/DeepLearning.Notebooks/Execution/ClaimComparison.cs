using System.Text.Json.Nodes;

namespace DeepLearning.Notebooks.Execution;

/// <summary>
/// Compares two executed copies of a notebook by what they assert: the <c>✔</c> lines printed by <c>Claim.That</c>
/// (statement and measured evidence) and the <c>✅</c> lines of exercise checks. Seeds are fixed, so the two clients
/// must print the same lines, numbers included; anything else is a difference between the clients.
/// </summary>
internal static class ClaimComparison
{
    /// <summary>A checked line and the cell (id, else 1-based position) that printed it.</summary>
    public sealed record Line(string Cell, string Text);

    /// <summary>Every ✔/✅ line in the stdout of <paramref name="executedNotebook"/>'s code cells, in order.</summary>
    public static IReadOnlyList<Line> Lines(string executedNotebook)
    {
        var cells = JsonNode.Parse(File.ReadAllText(executedNotebook))?["cells"]?.AsArray() ?? [];
        var lines = new List<Line>();
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = cells[i]!.AsObject();
            if ((string?)cell["cell_type"] != "code") continue;
            string where = (string?)cell["id"] ?? $"#{i + 1}";
            foreach (var output in cell["outputs"]?.AsArray() ?? [])
            {
                if ((string?)output?["output_type"] != "stream" || (string?)output["name"] != "stdout") continue;
                string text = output["text"] switch
                {
                    JsonArray parts => string.Concat(parts.Select(p => (string?)p)),
                    JsonValue value => (string?)value ?? "",
                    _ => "",
                };
                lines.AddRange(text.ReplaceLineEndings("\n").Split('\n')
                    .Select(l => l.Trim())
                    .Where(l => l.StartsWith('✔') || l.StartsWith('✅'))
                    .Select(l => new Line(where, l)));
            }
        }
        return lines;
    }

    /// <summary>
    /// The differences between the lines of a reference run and another run, one message each (at most
    /// <paramref name="max"/>): a line that changed, or one that only one run printed. Empty when they agree.
    /// </summary>
    public static IReadOnlyList<string> Differences(IReadOnlyList<Line> reference, IReadOnlyList<Line> other, string referenceName, string otherName, int max = 20)
    {
        var messages = new List<string>();
        var cellOrder = reference.Select(l => l.Cell).Concat(other.Select(l => l.Cell)).Distinct().ToList();
        foreach (string cell in cellOrder)
        {
            var a = reference.Where(l => l.Cell == cell).Select(l => l.Text).ToList();
            var b = other.Where(l => l.Cell == cell).Select(l => l.Text).ToList();
            for (int k = 0; k < Math.Max(a.Count, b.Count); k++)
            {
                string? x = k < a.Count ? a[k] : null, y = k < b.Count ? b[k] : null;
                if (x == y) continue;
                messages.Add((x, y) switch
                {
                    (null, _) => $"cell {cell}: only {otherName} printed: {y}",
                    (_, null) => $"cell {cell}: only {referenceName} printed: {x}",
                    _ => $"cell {cell}:\n      {referenceName,-10} {x}\n      {otherName,-10} {y}",
                });
            }
        }
        return messages.Count <= max ? messages : [.. messages.Take(max), $"… and {messages.Count - max} more"];
    }
}
