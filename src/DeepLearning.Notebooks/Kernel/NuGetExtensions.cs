using System.Collections.Concurrent;
using System.Reactive.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace DeepLearning.Notebooks.Kernel;

/// <summary>
/// Kernel extensions shipped in NuGet packages (<c>interactive-extensions/dotnet/*.dll</c>, e.g. Plotly.NET.Interactive's
/// chart formatter), loaded after the command that added the package — the same logic as the dotnet-interactive
/// tool's <c>KernelExtensionLoader</c> and <c>PackageDirectoryExtensionLoader</c>, minus telemetry.
/// </summary>
internal static class NuGetExtensions
{
    public static void Use(CompositeKernel kernel, Action<IKernelExtension, CompositeKernel> onLoaded)
    {
        var pending = new ConcurrentQueue<PackageAdded>();
        var seenRoots = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var loaded = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);

        kernel.AddMiddleware(async (command, context, next) =>
        {
            await next(command, context);
            while (pending.TryDequeue(out var added))
            {
                var dir = new DirectoryInfo(Path.Combine(added.PackageReference.PackageRoot, "interactive-extensions", "dotnet"));
                if (!dir.Exists) continue;
                foreach (var dll in dir.GetFiles("*.dll", SearchOption.TopDirectoryOnly))
                    await LoadAsync(dll, kernel, context, loaded, onLoaded);
                // A package may also ship a script that configures the kernel.
                var script = new FileInfo(Path.Combine(dir.FullName, "extension.dib"));
                if (script.Exists)
                {
                    KernelInvocationContextExtensions.Display(context, $"Loading extension script from `{script.FullName}`");
                    await kernel.LoadAndRunInteractiveDocument(script, context.Command);
                }
            }
        });

        kernel.RegisterForDisposal(kernel.KernelEvents
            .OfType<PackageAdded>()
            .Where(e => e.PackageReference.PackageRoot is { Length: > 0 } root && seenRoots.TryAdd(root, true))
            .Subscribe(pending.Enqueue));
    }

    private static async Task LoadAsync(FileInfo dll, CompositeKernel kernel, KernelInvocationContext context,
        ConcurrentDictionary<string, bool> loaded, Action<IKernelExtension, CompositeKernel> onLoaded)
    {
        if (!loaded.TryAdd(AssemblyName.GetAssemblyName(dll.FullName).FullName, true)) return;
        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll.FullName);
        var types = assembly.ExportedTypes
            .Where(t => !t.IsAbstract && !t.IsInterface && !t.IsGenericTypeDefinition && typeof(IKernelExtension).IsAssignableFrom(t))
            .ToList();
        if (types.Count > 0)
            KernelInvocationContextExtensions.Display(context, $"Loading extensions from `{assembly.Location}`");
        foreach (var type in types)
        {
            var extension = (IKernelExtension)Activator.CreateInstance(type)!;
            try
            {
                await extension.OnLoadAsync(kernel);
                context.Publish(new KernelExtensionLoaded(extension, context.Command));
                onLoaded(extension, kernel);
            }
#pragma warning disable CA1031 // an extension's failure becomes the cell's error, as in the tool
            catch (Exception e)
#pragma warning restore CA1031
            {
                context.Publish(new ErrorProduced($"Failed to load kernel extension \"{type.Name}\" from assembly {assembly.Location}", context.Command));
                context.Fail(context.Command, new KernelExtensionLoadException(e));
            }
        }
    }
}
