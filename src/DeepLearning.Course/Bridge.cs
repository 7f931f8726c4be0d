using DeepLearning.Scratch;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// Moves data between the scratch half's <see cref="NDArray{T}"/> and TorchSharp tensors. Always copies, so neither
/// side can change the other behind a learner's back.
/// </summary>
public static class Bridge
{
    /// <summary>A float32 tensor with the same shape and values.</summary>
    public static Tensor ToTensor(this NDArray<float> a, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        return torch.tensor((float[])a.Data.Clone(), Dims(a.Shape), dtype: ScalarType.Float32, requires_grad: requiresGrad);
    }

    /// <summary>A float64 tensor with the same shape and values.</summary>
    public static Tensor ToTensor(this NDArray<double> a, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        return torch.tensor((double[])a.Data.Clone(), Dims(a.Shape), dtype: ScalarType.Float64, requires_grad: requiresGrad);
    }

    /// <summary>Class labels as the int64 tensor losses expect.</summary>
    public static Tensor Labels(ReadOnlySpan<int> labels)
    {
        long[] data = new long[labels.Length];
        for (int i = 0; i < labels.Length; i++) data[i] = labels[i];
        return torch.tensor(data, dtype: ScalarType.Int64);
    }

    /// <summary>The tensor's values as a float32 array (detached, on the CPU).</summary>
    public static NDArray<float> ToNDArray(this Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        using var scope = torch.NewDisposeScope();
        var c = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return new NDArray<float>(Shape(t), c.data<float>().ToArray());
    }

    /// <summary>The tensor's values as a float64 array (detached, on the CPU).</summary>
    public static NDArray<double> ToNDArray64(this Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        using var scope = torch.NewDisposeScope();
        var c = t.detach().cpu().to_type(ScalarType.Float64).contiguous();
        return new NDArray<double>(Shape(t), c.data<double>().ToArray());
    }

    /// <summary>An integer tensor's values (labels, predictions).</summary>
    public static int[] ToInts(this Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        using var scope = torch.NewDisposeScope();
        var c = t.detach().cpu().to_type(ScalarType.Int64).contiguous();
        return [.. c.data<long>().ToArray().Select(v => checked((int)v))];
    }

    /// <summary>max |scratch − framework| between an array and a tensor of the same shape.</summary>
    public static double MaxAbsDiff(NDArray<float> scratch, Tensor framework, string what)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        var f = framework.ToNDArray();
        if (!scratch.SameShape(f))
            throw new ArgumentException($"{what}: scratch shape {Shapes.Format(scratch.Shape)} vs framework shape {Shapes.Format(f.Shape)}.", nameof(framework));
        return Parity.MaxAbsDiff(scratch.Data, f.Data);
    }

    private static long[] Dims(int[] shape) => [.. shape.Select(d => (long)d)];

    private static int[] Shape(Tensor t) => [.. t.shape.Select(d => checked((int)d))];
}
