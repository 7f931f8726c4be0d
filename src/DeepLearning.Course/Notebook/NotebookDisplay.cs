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

    /// <summary>True when running inside a .NET Interactive kernel (while a cell executes).</summary>
    public static bool InKernel => KernelDisplay?.Current.GetValue(null) is not null;

    /// <summary>True in headless course runs (the runner and tests set COURSE_HEADLESS=1).</summary>
    public static bool Headless => Environment.GetEnvironmentVariable("COURSE_HEADLESS") == "1";

    // KernelInvocationContextExtensions.Display(KernelInvocationContext.Current, value, mimeTypes) from
    // Microsoft.DotNet.Interactive, when that assembly is loaded. (object.Display() returns a value whose Update adds a
    // new output instead of replacing the shown one; the context's Display updates in place.)
    private static (MethodInfo Display, PropertyInfo Current)? KernelDisplay
    {
        get
        {
            var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "Microsoft.DotNet.Interactive");
            var extensions = assembly?.GetType("Microsoft.DotNet.Interactive.KernelInvocationContextExtensions");
            var context = assembly?.GetType("Microsoft.DotNet.Interactive.KernelInvocationContext");
            var display = extensions?.GetMethods(BindingFlags.Public | BindingFlags.Static)
                .FirstOrDefault(m => m.Name == "Display" && m.GetParameters() is [var c, var v, var mimes]
                    && c.ParameterType == context && v.ParameterType == typeof(object) && mimes.ParameterType == typeof(string[]));
            var current = context?.GetProperty("Current", BindingFlags.Public | BindingFlags.Static);
            return display is null || current is null ? null : (display, current);
        }
    }

    /// <summary>Displays <paramref name="value"/> (in a kernel: as a cell output; otherwise: printed).</summary>
    public static NotebookDisplay Show(object value)
    {
        var kernel = KernelDisplay;
        object? context = kernel?.Current.GetValue(null);
        if (kernel is null || context is null)
        {
            Console.WriteLine(value);
            return new NotebookDisplay(null);
        }
        return new NotebookDisplay(kernel.Value.Display.Invoke(null, [context, value, Array.Empty<string>()]));
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
