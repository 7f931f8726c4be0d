using System.Globalization;
using System.Net;
using System.Text;

namespace DeepLearning.Course;

/// <summary>How far apart the from-scratch and the framework results of one quantity are.</summary>
/// <param name="Quantity">What was compared, e.g. "output", "∂L/∂x", "weight after step 20".</param>
/// <param name="MaxAbsDiff">max |scratch − framework| over the elements.</param>
public sealed record ParityRow(string Quantity, double MaxAbsDiff);

/// <summary>
/// The result of running the same computation from scratch and with TorchSharp: one row per output or gradient.
/// Every topic's <c>Parity.*</c> method returns one; notebooks print it and tests assert <see cref="Agrees"/>.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record ParityReport(string Topic, IReadOnlyList<ParityRow> Rows) : IHtmlView
{
    /// <summary>The largest difference over all rows.</summary>
    public double MaxAbsDiff => Rows.Count == 0 ? double.NaN : Rows.Max(r => double.IsNaN(r.MaxAbsDiff) ? double.PositiveInfinity : r.MaxAbsDiff);

    /// <summary>True when every row differs by at most <paramref name="tolerance"/> (float32 round-off by default).</summary>
    public bool Agrees(double tolerance = 1e-5) => Rows.Count > 0 && MaxAbsDiff <= tolerance;

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder($"{Topic}: scratch vs TorchSharp, max |Δ| = {MaxAbsDiff.ToString("E2", CultureInfo.InvariantCulture)}");
        foreach (var r in Rows)
            sb.Append(CultureInfo.InvariantCulture, $"\n  {r.Quantity,-28} {r.MaxAbsDiff:E2}");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public string ToHtml()
    {
        var sb = new StringBuilder("<table class=\"course-parity\"><caption>")
            .Append(WebUtility.HtmlEncode(Topic)).Append(": scratch vs TorchSharp</caption><tr><th>quantity</th><th>max |Δ|</th><th></th></tr>");
        foreach (var r in Rows)
            sb.Append("<tr><td>").Append(WebUtility.HtmlEncode(r.Quantity)).Append("</td><td>")
              .Append(r.MaxAbsDiff.ToString("E2", CultureInfo.InvariantCulture)).Append("</td><td>")
              .Append(r.MaxAbsDiff <= 1e-5 ? "✅" : "❌").Append("</td></tr>");
        return sb.Append("</table>").ToString();
    }
}

/// <summary>Builds parity reports; each topic file adds its own <c>Parity.Topic(...)</c> members to this class.</summary>
public static partial class Parity
{
    /// <summary>max |a − b| over two equally long sequences.</summary>
    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Cannot compare {a.Length} scratch values with {b.Length} framework values.", nameof(b));
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (double.IsNaN(d)) return double.NaN;
            max = Math.Max(max, d);
        }
        return max;
    }
}

/// <summary>
/// Several parity reports in one compact table, one line per topic: after the first parity check of a topic has been
/// shown in full, the rest of a notebook's checks fold into this and are claimed once.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record ParityTable(IReadOnlyList<ParityReport> Reports) : IHtmlView
{
    /// <summary>The largest difference over every row of every report.</summary>
    public double MaxAbsDiff => Reports.Count == 0 ? double.NaN : Reports.Max(r => double.IsNaN(r.MaxAbsDiff) ? double.PositiveInfinity : r.MaxAbsDiff);

    /// <summary>True when every report agrees within <paramref name="tolerance"/>.</summary>
    public bool Agrees(double tolerance = 1e-5) => Reports.Count > 0 && Reports.All(r => r.Agrees(tolerance));

    /// <summary>The topics that do not agree within <paramref name="tolerance"/> (for the claim's evidence).</summary>
    public IReadOnlyList<string> Disagreeing(double tolerance = 1e-5) => [.. Reports.Where(r => !r.Agrees(tolerance)).Select(r => r.Topic)];

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder($"scratch vs TorchSharp, {Reports.Count} checks, max |Δ| = {MaxAbsDiff.ToString("E2", CultureInfo.InvariantCulture)}");
        foreach (var r in Reports)
            sb.Append(CultureInfo.InvariantCulture, $"\n  {r.Topic,-30} {r.MaxAbsDiff:E2}  ({string.Join(", ", r.Rows.Select(x => x.Quantity))})");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public string ToHtml()
    {
        var sb = new StringBuilder("<table class=\"course-parity\"><caption>scratch vs TorchSharp</caption><tr><th>check</th><th>compared</th><th>max |Δ|</th><th></th></tr>");
        foreach (var r in Reports)
            sb.Append("<tr><td>").Append(WebUtility.HtmlEncode(r.Topic)).Append("</td><td>")
              .Append(WebUtility.HtmlEncode(string.Join(", ", r.Rows.Select(x => x.Quantity)))).Append("</td><td>")
              .Append(r.MaxAbsDiff.ToString("E2", CultureInfo.InvariantCulture)).Append("</td><td>")
              .Append(r.Agrees() ? "✅" : "❌").Append("</td></tr>");
        return sb.Append("</table>").ToString();
    }
}

public static partial class Parity
{
    /// <summary>Folds <paramref name="reports"/> into one compact table (one line per check).</summary>
    public static ParityTable Table(params ParityReport[] reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Length == 0) throw new ArgumentException("Parity.Table needs at least one report.", nameof(reports));
        return new ParityTable(reports);
    }
}
