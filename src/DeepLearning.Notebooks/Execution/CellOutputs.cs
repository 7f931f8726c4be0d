using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepLearning.Notebooks.Execution;

/// <summary>
/// Turns the kernel's events for one cell into nbformat outputs, as a notebook front end shows them: stdout and
/// stderr as streams (consecutive writes merged), displayed values (updated in place by their display id), the
/// return value as the execution result, and the failure as an error.
/// </summary>
internal sealed partial class CellOutputs(int executionCount)
{
    private readonly Lock _lock = new();
    private readonly List<InteractiveDocumentOutputElement> _outputs = [];
    private readonly Dictionary<string, int> _displays = new(StringComparer.Ordinal);

    /// <summary>The kernel's message when the cell failed (compile errors, exception, unresolved package).</summary>
    public string? Failure { get; private set; }

    /// <summary>
    /// <see cref="Failure"/> without the stack trace: the exception's type and message, or the compiler's errors
    /// (at most <paramref name="maxLines"/> lines). The executed notebook keeps the whole text.
    /// </summary>
    public string? Headline(int maxLines = 6)
    {
        if (Failure is null) return null;
        var lines = Failure.ReplaceLineEndings("\n").Split('\n')
            .TakeWhile(l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && !l.StartsWith("---", StringComparison.Ordinal))
            .Where(l => l.Trim().Length > 0)
            .Select(l => RestoreProject().Replace(l, ""))
            .Distinct()
            .ToList();
        return lines.Count <= maxLines ? string.Join("\n", lines) : string.Join("\n", lines.Take(maxLines)) + $"\n… ({lines.Count - maxLines} more lines in the executed notebook)";
    }

    public void Add(KernelEvent e)
    {
        lock (_lock)
        {
            switch (e)
            {
                case StandardOutputValueProduced o: Stream("stdout", Text(o.FormattedValues)); break;
                case StandardErrorValueProduced o: Stream("stderr", Text(o.FormattedValues)); break;
                case ErrorProduced o: Stream("stderr", o.Message); break;
                case ReturnValueProduced o:
                    var result = new ReturnValueElement { ExecutionOrder = executionCount };
                    foreach (var (mime, value) in Data(o.FormattedValues)) result.Data[mime] = value;
                    if (result.Data.Count > 0) _outputs.Add(result);
                    break;
                case DisplayedValueUpdated o when o.ValueId is not null && _displays.TryGetValue(o.ValueId, out int at):
                    _outputs[at] = new DisplayElement(Data(o.FormattedValues));
                    break;
                case DisplayEvent o when o is DisplayedValueProduced or DisplayedValueUpdated:
                    var data = Data(o.FormattedValues);
                    if (data.Count == 0) break;
                    if (o.ValueId is not null) _displays[o.ValueId] = _outputs.Count;
                    _outputs.Add(new DisplayElement(data));
                    break;
                case CommandFailed o:
                    Failure ??= o.Message;
                    // As Jupyter shows an error: the exception's type and message, then its stack trace.
                    _outputs.Add(o.Exception is { } exception
                        ? new ErrorElement(exception.Message, exception.GetType().Name, exception.ToString().ReplaceLineEndings("\n").Split('\n'))
                        : new ErrorElement(o.Message, "Error"));
                    break;
            }
        }
    }

    /// <summary>Records a time-out as the cell's error output.</summary>
    public void TimedOut(string message)
    {
        lock (_lock) _outputs.Add(new ErrorElement(message, "Timeout"));
    }

    public IReadOnlyList<InteractiveDocumentOutputElement> Snapshot()
    {
        lock (_lock) return [.. _outputs];
    }

    private void Stream(string name, string text)
    {
        if (text.Length == 0) return;
        if (_outputs.Count > 0 && _outputs[^1] is TextElement last && last.Name == name)
            _outputs[^1] = new TextElement(last.Text + text, name);
        else
            _outputs.Add(new TextElement(text, name));
    }

    private static string Text(IReadOnlyCollection<FormattedValue> values) =>
        values.FirstOrDefault(v => v.MimeType == PlainTextFormatter.MimeType)?.Value ?? values.FirstOrDefault()?.Value ?? "";

    private static Dictionary<string, object> Data(IReadOnlyCollection<FormattedValue> values) =>
        values.Where(v => !v.SuppressDisplay).GroupBy(v => v.MimeType).ToDictionary(g => g.Key, g => (object)g.First().Value);

    // "#r nuget" errors come from a generated project: "/home/u/.packagemanagement/…/Project.fsproj : error NU1101: …".
    [System.Text.RegularExpressions.GeneratedRegex(@"^\S*Project\.fsproj\s*:\s*")]
    private static partial System.Text.RegularExpressions.Regex RestoreProject();
}
