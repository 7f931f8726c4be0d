using System.Reactive.Linq;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace DeepLearning.Notebooks.Kernel;

/// <summary>
/// The kernel a notebook runs on: .NET Interactive's C# kernel in a composite kernel, set up as the
/// <c>dotnet-interactive</c> tool sets it up for Polyglot Notebooks and Jupyter (its <c>KernelBuilder</c>), minus the
/// other languages. Two pieces of that setup live in the tool rather than in a package, so they are re-implemented
/// here: <c>#r "nuget:"</c> adding the restored assemblies, and loading kernel extensions shipped in packages.
/// </summary>
internal static class CourseKernel
{
    /// <summary>Creates the kernel. Charts from Plotly.NET.Interactive are re-formatted to render offline.</summary>
    public static CompositeKernel Create()
    {
        var csharp = new CSharpKernel()
            .UseNugetDirective((kernel, resolved) =>
            {
                // What the tool's CSharpKernel.UseNugetDirective() does with the restored packages.
                kernel.AddAssemblyReferences(resolved.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            })
            .UseKernelHelpers()
            .UseWho()
            .UseValueSharing();

        var composite = new CompositeKernel();
        composite.Add(csharp, ["c#", "C#"]);
        composite.DefaultKernelName = csharp.Name;
        composite.UseImportMagicCommand();
        NuGetExtensions.Use(composite, OfflineCharts.OnExtensionLoaded);

        // As the tool does for notebook front ends: objects as HTML, strings as plain text.
        Formatter.DefaultMimeType = HtmlFormatter.MimeType;
        Formatter.SetPreferredMimeTypesFor(typeof(string), PlainTextFormatter.MimeType);
        return composite;
    }
}
