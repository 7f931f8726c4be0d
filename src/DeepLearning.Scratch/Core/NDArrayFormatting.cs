using System.Collections;
using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;

namespace DeepLearning.Scratch;

/// <summary>
/// Marks a type whose notebook formatters come from <see cref="FormatterSourceType"/>. .NET Interactive finds this
/// attribute by its name (a convention), so the scratch half can show arrays as tables in notebooks without
/// referencing any notebook package.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    /// <summary>The type whose <c>CreateTypeFormatters()</c> returns the formatters.</summary>
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>MIME types the notebook should prefer.</summary>
    public string[]? PreferredMimeTypes { get; set; }
}

/// <summary>Formatters for <see cref="NDArray{T}"/>: an HTML table of the values (1-D and 2-D) under the shape.</summary>
internal sealed class NDArrayFormatterSource
{
    public IEnumerable CreateTypeFormatters() => new object[] { new NDArrayHtmlFormatter() };
}

/// <summary>Writes an array as a compact HTML table: at most 8 rows and 10 columns, the rest elided.</summary>
internal sealed class NDArrayHtmlFormatter
{
    private const int MaxRows = 8, MaxCols = 10;

    public string MimeType => "text/html";

    public bool Format(object instance, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var type = instance?.GetType();
        if (type is null || !type.IsGenericType || type.GetGenericTypeDefinition() != typeof(NDArray<>)) return false;
        dynamic array = instance!;
        writer.Write(Html((int[])array.Shape, ToDoubles(array.Data), type.GetGenericArguments()[0].Name));
        return true;
    }

    private static double[] ToDoubles<T>(T[] data) where T : unmanaged, IFloatingPointIeee754<T> =>
        [.. data.Select(v => double.CreateChecked(v))];

    internal static string Html(int[] shape, double[] data, string typeName)
    {
        var sb = new StringBuilder("<div class=\"ndarray\"><div style=\"font-family:monospace;color:#555\">NDArray&lt;")
            .Append(WebUtility.HtmlEncode(typeName)).Append("&gt; ").Append(Shapes.Format(shape)).Append("</div>");
        if (shape.Length is 1 or 2 && data.Length > 0)
        {
            int rows = shape.Length == 1 ? 1 : shape[0], cols = shape[^1];
            sb.Append("<table style=\"font-family:monospace;border-collapse:collapse\">");
            for (int i = 0; i < Math.Min(rows, MaxRows); i++)
            {
                sb.Append("<tr>");
                for (int j = 0; j < Math.Min(cols, MaxCols); j++)
                    sb.Append("<td style=\"padding:1px 8px;text-align:right\">").Append(data[(i * cols) + j].ToString("G6", CultureInfo.InvariantCulture)).Append("</td>");
                if (cols > MaxCols) sb.Append("<td>…</td>");
                sb.Append("</tr>");
            }
            if (rows > MaxRows) sb.Append("<tr><td>⋮</td></tr>");
            sb.Append("</table>");
        }
        return sb.Append("</div>").ToString();
    }
}
