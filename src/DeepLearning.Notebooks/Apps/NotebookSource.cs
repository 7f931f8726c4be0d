using System.Text.Json;

namespace DeepLearning.Notebooks.Apps;

/// <summary>One cell of an .ipynb, as the generator needs it.</summary>
/// <param name="Number">1-based position in the notebook, Markdown cells included (what a reader counts).</param>
/// <param name="Id">The nbformat cell id, if any (solutions are keyed by it).</param>
/// <param name="Markdown">True for a Markdown cell, false for a code cell.</param>
/// <param name="Source">The cell's text, with \n line ends.</param>
internal sealed record NotebookCell(int Number, string? Id, bool Markdown, string Source);

/// <summary>Reads the cells of an .ipynb with System.Text.Json: the generator needs no kernel.</summary>
internal static class NotebookSource
{
    /// <exception cref="InvalidDataException">The file is not a notebook with a cells array.</exception>
    public static IReadOnlyList<NotebookCell> Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (!document.RootElement.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: not a notebook (no \"cells\" array)");
        var result = new List<NotebookCell>();
        int number = 0;
        foreach (var cell in cells.EnumerateArray())
        {
            number++;
            string kind = cell.TryGetProperty("cell_type", out var t) ? t.GetString() ?? "" : "";
            if (kind is not ("markdown" or "code")) continue;   // raw cells are not part of a lesson
            string? id = cell.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
            string source = cell.TryGetProperty("source", out var s)
                ? s.ValueKind == JsonValueKind.Array ? string.Concat(s.EnumerateArray().Select(l => l.GetString())) : s.GetString() ?? ""
                : "";
            result.Add(new NotebookCell(number, id, kind == "markdown", source.ReplaceLineEndings("\n")));
        }
        return result;
    }
}
