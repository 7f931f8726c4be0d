using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Microsoft.FSharp.Core;

namespace DeepLearning.Course.Tests;

/// <summary>
/// The official .NET Interactive kernel ships FSharp.Core 10.0 while Plotly.NET 6 asks for 10.1; the course library
/// hands back the FSharp.Core already loaded (see FSharpCoreResolver).
/// </summary>
public class FSharpCoreResolverTests
{
    private static readonly Assembly Loaded = typeof(FSharpOption<>).Assembly;

    private static AssemblyName FSharpCore(string version) => new($"FSharp.Core, Version={version}, Culture=neutral");

    [Fact]
    public void A_request_for_another_FSharp_Core_version_gets_the_loaded_one()
    {
        Assert.Same(Loaded, FSharpCoreResolver.Resolve(FSharpCore("10.1.0.0"), [typeof(object).Assembly, Loaded]));
        Assert.Same(Loaded, FSharpCoreResolver.Resolve(FSharpCore("99.0.0.0"), [Loaded]));
        Assert.Same(Loaded, FSharpCoreResolver.Resolve(new AssemblyName("fsharp.core"), [Loaded]));
    }

    [Fact]
    public void Other_assemblies_and_a_missing_FSharp_Core_are_left_to_fail_as_usual()
    {
        Assert.Null(FSharpCoreResolver.Resolve(new AssemblyName("Plotly.NET, Version=6.0.0.0"), [Loaded]));
        Assert.Null(FSharpCoreResolver.Resolve(new AssemblyName("FSharp.Core.Extensions, Version=1.0.0.0"), [Loaded]));
        Assert.Null(FSharpCoreResolver.Resolve(FSharpCore("10.1.0.0"), [typeof(object).Assembly]));
    }

    [Fact]
    public void The_library_registers_the_handler_when_it_loads()
    {
        // The test host has FSharp.Core 10.1, so asking for a newer one fails exactly as 10.1 fails in the official
        // kernel (which has 10.0) — unless the module initializer's handler answers.
        RuntimeHelpers.RunModuleConstructor(typeof(Charts).Module.ModuleHandle);
        Assert.Same(Loaded, AssemblyLoadContext.Default.LoadFromAssemblyName(FSharpCore("99.0.0.0")));
    }
}
