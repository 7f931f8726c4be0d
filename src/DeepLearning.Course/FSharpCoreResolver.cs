using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace DeepLearning.Course;

/// <summary>
/// Lets Plotly.NET load in the official .NET Interactive kernel. Plotly.NET 6.0.0 is built against FSharp.Core 10.1;
/// the <c>dotnet-interactive</c> tool (Jupyter, and VS Code's Polyglot Notebooks) ships and has already loaded
/// FSharp.Core 10.0, so the first chart throws <see cref="FileNotFoundException"/> for FSharp.Core 10.1.0.0. When the
/// default load context cannot find a version of FSharp.Core, this hands back the one already loaded. Registered by
/// a module initializer, so every notebook that uses this library gets it before its first chart.
/// </summary>
internal static class FSharpCoreResolver
{
    private const string FSharpCore = "FSharp.Core";

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "A library's one-time, load-time fix-up is what module initializers are for.")]
    internal static void Register() =>
        AssemblyLoadContext.Default.Resolving += (context, requested) => Resolve(requested, context.Assemblies);

    /// <summary>
    /// The loaded FSharp.Core to use for <paramref name="requested"/> (the newest, if several are loaded), or null for
    /// any other assembly, or when no FSharp.Core is loaded, so the load fails as it would without this handler.
    /// </summary>
    internal static Assembly? Resolve(AssemblyName requested, IEnumerable<Assembly> loaded)
    {
        if (!string.Equals(requested.Name, FSharpCore, StringComparison.OrdinalIgnoreCase)) return null;
        return loaded
            .Where(a => string.Equals(a.GetName().Name, FSharpCore, StringComparison.OrdinalIgnoreCase))
            .MaxBy(a => a.GetName().Version);
    }
}
