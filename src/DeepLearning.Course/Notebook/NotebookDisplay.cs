using System.Reflection;

namespace DeepLearning.Course;

/// <summary>
/// Shows a value now and updates it in place later (training progress), through .NET Interactive when the code
/// runs in a notebook kernel and through the console otherwise. Found by reflection so that the library runs
/// unchanged in tests, console apps and any notebook front end.
/// </summary>
public sealed class NotebookDisplay
{
    private readonly object? _displayed;   // Microsoft.DotNet.Interactive.DisplayedValue, when in a kernel
    private readonly MethodInfo? _update;

    private NotebookDisplay(object? displayed)
    {
        _displayed = displayed;
        _update = displayed?.GetType().GetMethod("Update", [typeof(object)]);
    }

    /// <summary>True when running inside a .NET Interactive kernel.</summary>
    public static bool InKernel => KernelDisplay is not null;

    /// <summary>True in headless course runs (the runner and tests set COURSE_HEADLESS=1).</summary>
    public static bool Headless => Environment.GetEnvironmentVariable("COURSE_HEADLESS") == "1";

    // Kernel.display(object, params string[]) from Microsoft.DotNet.Interactive, if that assembly is loaded.
    private static MethodInfo? KernelDisplay =>
        AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name == "Microsoft.DotNet.Interactive")
            .Select(a => a.GetType("Microsoft.DotNet.Interactive.Kernel"))
            .FirstOrDefault(t => t is not null)?
            .GetMethod("display", BindingFlags.Public | BindingFlags.Static, [typeof(object), typeof(string[])]);

    /// <summary>Displays <paramref name="value"/> (in a kernel: as a cell output; otherwise: printed).</summary>
    public static NotebookDisplay Show(object value)
    {
        var display = KernelDisplay;
        if (display is null)
        {
            Console.WriteLine(value);
            return new NotebookDisplay(null);
        }
        return new NotebookDisplay(display.Invoke(null, [value, Array.Empty<string>()]));
    }

    /// <summary>Replaces the displayed value (in a kernel) or prints the new one.</summary>
    public void Update(object value)
    {
        if (_displayed is null || _update is null)
            Console.WriteLine(value);
        else
            _update.Invoke(_displayed, [value]);
    }
}
