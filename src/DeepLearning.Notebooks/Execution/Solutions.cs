using System.Text;
using System.Text.RegularExpressions;

namespace DeepLearning.Notebooks.Execution;

/// <summary>
/// Exercise solutions kept out of the notebooks: <c>notebooks/solutions/&lt;notebook-stem&gt;.cs</c>, in blocks that
/// start with <c>//# cell: &lt;cell-id&gt;</c>. Headless runs replace each exercise cell with the block of the same id,
/// so the check cells after it must pass.
/// </summary>
internal static partial class Solutions
{
    /// <summary>Where the solutions of <paramref name="notebookPath"/> live (the file need not exist).</summary>
    public static string PathFor(string notebookPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(notebookPath))!, "solutions", Path.GetFileNameWithoutExtension(notebookPath) + ".cs");

    /// <summary>Cell id → solution code. Text before the first marker (a header comment) is ignored.</summary>
    /// <exception cref="FormatException">A cell id appears twice, or a block is empty.</exception>
    public static IReadOnlyDictionary<string, string> Parse(string text, string source)
    {
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        string? id = null;
        var code = new StringBuilder();
        foreach (string line in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var marker = Marker().Match(line);
            if (!marker.Success)
            {
                if (id is not null) code.Append(line).Append('\n');
                continue;
            }
            Add();
            id = marker.Groups["id"].Value;
            code.Clear();
        }
        Add();
        return blocks;

        void Add()
        {
            if (id is null) return;
            string block = code.ToString().Trim('\n');
            if (block.Trim().Length == 0)
                throw new FormatException($"{source}: the solution block for cell '{id}' is empty");
            if (!blocks.TryAdd(id, block))
                throw new FormatException($"{source}: two solution blocks for cell '{id}'");
        }
    }

    [GeneratedRegex(@"^//#\s*cell:\s*(?<id>\S+)\s*$")]
    private static partial Regex Marker();
}
