using System.Numerics;
using System.Text;

namespace DeepLearning.Scratch;

/// <summary>
/// A dense, row-major n-dimensional array: the only data structure of the scratch half (NumPy's ndarray, reduced).
/// <typeparamref name="T"/> is <see cref="float"/> for training and <see cref="double"/> for gradient checks; every
/// layer is written once, generically, so the same code runs in both precisions.
/// </summary>
[TypeFormatterSource(typeof(NDArrayFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed class NDArray<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates an array of the given shape over <paramref name="data"/> (not copied), or zeros.</summary>
    public NDArray(int[] shape, T[]? data = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Dimensions must be non-negative, got {Shapes.Format(shape)}.", nameof(shape));
            n *= d;
        }
        if (n > Array.MaxLength)
            throw new ArgumentException($"Shape {Shapes.Format(shape)} has {n} elements, more than an array can hold.", nameof(shape));
        if (data is not null && data.Length != n)
            throw new ArgumentException($"Shape {Shapes.Format(shape)} needs {n} elements but data has {data.Length}.", nameof(data));
        Shape = (int[])shape.Clone();
        Data = data ?? new T[n];
    }

    /// <summary>The size of each dimension, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>The elements in row-major order. Layers read and write it directly.</summary>
    public T[] Data { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>The number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The elements as a span, for TensorPrimitives.</summary>
    public Span<T> Span => Data;

    /// <summary>Size of dimension <paramref name="d"/>; negative counts from the end as in PyTorch.</summary>
    public int Dim(int d) => Shape[d < 0 ? Rank + d : d];

    /// <summary>Flat element access.</summary>
    public ref T this[int i] => ref Data[i];

    /// <summary>Element (i, j) of a 2-D array.</summary>
    public ref T this[int i, int j] => ref Data[(i * Shape[1]) + j];

    /// <summary>Element (i, j, k) of a 3-D array.</summary>
    public ref T this[int i, int j, int k] => ref Data[(((i * Shape[1]) + j) * Shape[2]) + k];

    /// <summary>Element (n, c, h, w) of a 4-D (NCHW) array.</summary>
    public ref T this[int n, int c, int h, int w] => ref Data[(((((n * Shape[1]) + c) * Shape[2]) + h) * Shape[3]) + w];

    /// <summary>The same elements under another shape (shares data, like PyTorch's view). One dimension may be -1.</summary>
    public NDArray<T> Reshape(params int[] shape) => new(Shapes.Resolve(shape, Length), Data);

    /// <summary>A deep copy.</summary>
    public NDArray<T> Clone() => new(Shape, (T[])Data.Clone());

    /// <summary>Zeros of the same shape.</summary>
    public NDArray<T> ZerosLike() => new(Shape);

    /// <summary>Converts every element to <typeparamref name="TOut"/> (float ↔ double).</summary>
    public NDArray<TOut> Cast<TOut>() where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        var result = new NDArray<TOut>(Shape);
        for (int i = 0; i < Data.Length; i++)
            result.Data[i] = TOut.CreateChecked(Data[i]);
        return result;
    }

    /// <summary>Row <paramref name="i"/> of a 2-D array as a span (no copy).</summary>
    public Span<T> Row(int i)
    {
        int cols = Length / Shape[0];
        return Data.AsSpan(i * cols, cols);
    }

    /// <summary>True when the two arrays have identical shapes.</summary>
    public bool SameShape<TOther>(NDArray<TOther> other) where TOther : unmanaged, IFloatingPointIeee754<TOther> =>
        Shape.AsSpan().SequenceEqual(other.Shape);

    /// <summary>Shape and the first few values, for notebooks and failure messages.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("NDArray<").Append(typeof(T).Name).Append('>').Append(Shapes.Format(Shape)).Append(" [");
        int shown = Math.Min(Length, 8);
        for (int i = 0; i < shown; i++)
            sb.Append(i == 0 ? "" : ", ").Append(double.CreateChecked(Data[i]).ToString("G6"));
        return sb.Append(Length > shown ? ", …]" : "]").ToString();
    }
}

/// <summary>Factories for <see cref="NDArray{T}"/>.</summary>
public static class NDArray
{
    /// <summary>An array of zeros.</summary>
    public static NDArray<T> Zeros<T>(params int[] shape) where T : unmanaged, IFloatingPointIeee754<T> => new(shape);

    /// <summary>An array filled with <paramref name="value"/>.</summary>
    public static NDArray<T> Full<T>(T value, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = new NDArray<T>(shape);
        a.Span.Fill(value);
        return a;
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with a shape; no shape means 1-D.</summary>
    public static NDArray<T> From<T>(T[] data, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T> =>
        new(shape.Length == 0 ? [data.Length] : shape, data);

    /// <summary>A 2-D array from rows, copied.</summary>
    public static NDArray<T> FromRows<T>(T[][] rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rows);
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        var a = new NDArray<T>([rows.Length, cols]);
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != cols)
                throw new ArgumentException($"Row {i} has {rows[i].Length} values but row 0 has {cols}.", nameof(rows));
            rows[i].CopyTo(a.Row(i));
        }
        return a;
    }

    /// <summary>A scalar held as a 1-element, 0-d array.</summary>
    public static NDArray<T> Scalar<T>(T value) where T : unmanaged, IFloatingPointIeee754<T> => new([], [value]);
}

/// <summary>Shape helpers shared by every layer's argument checks.</summary>
public static class Shapes
{
    /// <summary>Formats a shape the way PyTorch prints it: [64, 3, 28, 28].</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
            sb.Append(i == 0 ? "" : ", ").Append(shape[i]);
        return sb.Append(']').ToString();
    }

    /// <summary>Replaces a single -1 in <paramref name="shape"/> so the product is <paramref name="length"/>.</summary>
    public static int[] Resolve(int[] shape, int length)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int[] result = (int[])shape.Clone();
        int infer = Array.IndexOf(result, -1);
        long known = 1;
        for (int i = 0; i < result.Length; i++)
            if (i != infer) known *= result[i];
        if (infer >= 0)
        {
            if (known == 0 || length % known != 0)
                throw new ArgumentException($"Cannot reshape {length} elements into {Format(shape)}.", nameof(shape));
            result[infer] = (int)(length / known);
        }
        else if (known != length)
        {
            throw new ArgumentException($"Cannot reshape {length} elements into {Format(shape)}.", nameof(shape));
        }
        return result;
    }
}
