using System.Reflection;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// Every class of fault at once, by brute force: every public constructor, static method and instance method of the
/// library (generic ones as float) is called with bad arguments — null, NaN, ±∞, 0, −1, int.MaxValue, empty and
/// scalar arrays, zero strides — and none may answer with NullReference, IndexOutOfRange, DivideByZero, KeyNotFound,
/// InvalidCast, Overflow or NotSupported: a bad argument must be named by an argument error.
/// </summary>
public class NoCrashFuzzTests
{
    [Fact]
    public void No_public_entry_point_crashes_on_bad_arguments()
    {
        var asm = typeof(NDArray).Assembly;
        var bad = new HashSet<Type> { typeof(NullReferenceException), typeof(IndexOutOfRangeException), typeof(DivideByZeroException), typeof(KeyNotFoundException), typeof(InvalidCastException), typeof(OverflowException), typeof(NotSupportedException) };
        var found = new SortedSet<string>();
        static object[] Pool(Type t, int k)
        {
            if (t == typeof(int)) return [new[] { 0, -1, int.MaxValue, 1, 3 }[k % 5]];
            if (t == typeof(double)) return [new[] { double.NaN, -1.0, 0.0, double.PositiveInfinity, 1e300 }[k % 5]];
            if (t == typeof(float)) return [float.NaN];
            if (t == typeof(bool)) return [k % 2 == 0];
            if (t == typeof(string)) return [k % 2 == 0 ? null! : ""];
            if (t == typeof(int[])) return [k % 3 == 0 ? null! : k % 3 == 1 ? Array.Empty<int>() : new[] { -1, 5, int.MaxValue }];
            if (t == typeof(ReadOnlySpan<int>)) return [null!];
            if (t == typeof(NDArray<float>)) return [k % 4 == 0 ? null! : k % 4 == 1 ? NDArray.Zeros<float>(0) : k % 4 == 2 ? NDArray.Scalar(1f) : NDArray.Zeros<float>(2, 3)];
            if (t == typeof(Rng)) return [k % 2 == 0 ? null! : new Rng(1)];
            if (t == typeof(Size2d)) return [new Size2d(k % 2 == 0 ? 0 : -1, 1)];
            if (t == typeof(Size2d?)) return [new Size2d?(new Size2d(0, 0))];
            if (t.IsValueType) return [Activator.CreateInstance(t)!];
            return [null!];
        }
        foreach (var type in asm.GetTypes().Where(t => t.IsPublic || t.IsNestedPublic))
        {
            var members = type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Cast<MethodBase>()
                .Concat(type.IsAbstract || type.ContainsGenericParameters && !type.IsGenericTypeDefinition ? [] : type.GetConstructors());
            foreach (var m0 in members)
            {
                MethodBase m = m0;
                try
                {
                    if (m is MethodInfo mi && mi.IsGenericMethodDefinition)
                    {
                        var gargs = mi.GetGenericArguments();
                        if (gargs.Length != 1) continue;
                        m = mi.MakeGenericMethod(typeof(float));
                    }
                    if (m is ConstructorInfo ci && ci.DeclaringType!.IsGenericTypeDefinition)
                    {
                        if (ci.DeclaringType.GetGenericArguments().Length != 1) continue;
                        var closed = ci.DeclaringType.MakeGenericType(typeof(float));
                        m = closed.GetConstructors().First(c => c.MetadataToken == ci.MetadataToken);
                    }
                    if (m.DeclaringType!.ContainsGenericParameters) continue;
                }
                catch { continue; }
                var ps = m.GetParameters();
                if (ps.Any(p => p.ParameterType.IsByRef || p.ParameterType.IsByRefLike || p.ParameterType.IsPointer)) continue;
                for (int k = 0; k < 6; k++)
                {
                    object[] a = ps.Select(p => Pool(p.ParameterType, k)[0]).ToArray();
                    try
                    {
                        if (m is ConstructorInfo c) c.Invoke(a); else m.Invoke(null, a);
                    }
                    catch (TargetInvocationException e) when (e.InnerException is not null && bad.Contains(e.InnerException.GetType()))
                    {
                        found.Add($"{e.InnerException.GetType().Name}: {m.DeclaringType!.Name}.{m.Name}({string.Join(", ", ps.Select(p => p.Name))}) k={k} at {e.InnerException.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
                    }
                    catch { }
                }
            }
        }
        var rng0 = new Rng(5);
        object[] instances =
        [
            NDArray.Zeros<float>(2, 3), new LinearLayer<float>(3, 2, rng0), new Conv2dLayer<float>(1, 2, 3, rng0), new PReluLayer<float>(2),
            new BatchNorm1d<float>(3), new BatchNorm2d<float>(2), new BasicBlock<float>(2, 2, 1, rng0), new Bottleneck<float>(4, 1, 1, rng0),
            new DropoutLayer<float>(0.5, rng0), new Mlp<float>([3, 4, 2], HiddenActivation.Relu, rng0), new Value(1), new Backprop.Mlp(2, [2, 1], rng0),
            new EarlyStopping<float>(1), new Sgd<float>([new Parameter<float>("w", NDArray.Zeros<float>(2))], 0.1),
            new Adam<float>([new Parameter<float>("w", NDArray.Zeros<float>(2))], 0.1), new Rng(2),
            new DeepLearning.Scratch.Data.Dataset("d", NDArray.Zeros<float>(2, 2), [0, 1], 2), new StepLR(2), new Parameter<float>("p", NDArray.Zeros<float>(3)),
            new ConvBn<float>(1, 2, 3, 1, 1, rng0, "c", "b"),
        ];
        foreach (var inst in instances)
            foreach (var m0 in inst.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance))
            {
                MethodInfo m = m0;
                if (m.DeclaringType == typeof(object)) continue;
                if (m.IsGenericMethodDefinition) { if (m.GetGenericArguments().Length != 1) continue; try { m = m.MakeGenericMethod(typeof(float)); } catch { continue; } }
                var ps = m.GetParameters();
                if (ps.Any(p => p.ParameterType.IsByRef || p.ParameterType.IsByRefLike || p.ParameterType.IsPointer)) continue;
                for (int k = 0; k < 6; k++)
                {
                    object[] a = ps.Select(p => Pool(p.ParameterType, k)[0]).ToArray();
                    try { m.Invoke(inst, a); }
                    catch (TargetInvocationException e) when (e.InnerException is not null && bad.Contains(e.InnerException.GetType()))
                    {
                        found.Add($"{e.InnerException.GetType().Name}: {inst.GetType().Name}.{m.Name}({string.Join(", ", ps.Select(p => p.Name))}) k={k} at {e.InnerException.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
                    }
                    catch { }
                }
            }
        Assert.True(found.Count == 0, string.Join("\n", found));
    }
}
