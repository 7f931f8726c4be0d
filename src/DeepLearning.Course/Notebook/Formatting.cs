using System.Collections;

namespace DeepLearning.Course;

/// <summary>
/// A value that knows how to show itself as HTML in a notebook (charts, parity tables, histories). .NET Interactive
/// finds the formatter through a <see cref="TypeFormatterSourceAttribute"/> by name (its convention-based formatter
/// sources), so the library needs no reference to .NET Interactive. It reads the attribute from the concrete class
/// only, never from an interface: every implementing class carries it (a test checks).
/// </summary>
public interface IHtmlView
{
    /// <summary>An HTML fragment that renders without network access.</summary>
    string ToHtml();
}

/// <summary>Marks a type whose notebook formatters come from <see cref="FormatterSourceType"/> (.NET Interactive's convention).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Interface | AttributeTargets.Struct, Inherited = true)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    /// <summary>The type whose <c>CreateTypeFormatters()</c> returns the formatters.</summary>
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>MIME types the notebook should prefer for this type.</summary>
    public string[]? PreferredMimeTypes { get; set; }
}

/// <summary>Creates the formatters .NET Interactive asks for (by convention: Type, MimeType, Format(object, TextWriter)).</summary>
public sealed class HtmlFormatterSource
{
    /// <summary>One HTML formatter and one plain-text formatter for <see cref="IHtmlView"/>.</summary>
    public IEnumerable CreateTypeFormatters() => new object[] { new HtmlViewFormatter("text/html"), new HtmlViewFormatter("text/plain") };
}

/// <summary>Formats an <see cref="IHtmlView"/> as HTML, or as its ToString() for text front ends.</summary>
public sealed class HtmlViewFormatter(string mimeType)
{
    /// <summary>The formatted type.</summary>
    public Type Type => typeof(IHtmlView);

    /// <summary>The MIME type produced.</summary>
    public string MimeType { get; } = mimeType;

    /// <summary>Writes <paramref name="instance"/>; returns false for values it does not handle.</summary>
    public bool Format(object instance, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (instance is not IHtmlView view) return false;
        writer.Write(MimeType == "text/html" ? view.ToHtml() : view.ToString());
        return true;
    }
}
