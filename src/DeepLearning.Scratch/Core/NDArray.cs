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
    /// <summary>Creates an array of the given shape over <paramref name="data"/> (not copied: the array shares it), or zeros.</summary>
    public NDArray(int[] shape, T[]? data = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = Shapes.Count(shape, nameof(shape));
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
    public int Dim(int d) => Shape[Axis(d, nameof(d))];

    /// <summary>Dimension <paramref name="d"/> as an index in [0, Rank): negative counts from the end, as PyTorch's dim=-1.</summary>
    public int Axis(int d, string name = "dim")
    {
        int a = d < 0 ? Rank + d : d;
        if ((uint)a >= (uint)Rank)
            throw new ArgumentOutOfRangeException(name, d,
                $"{name} = {d} is not a dimension of an array of shape {Shapes.Format(Shape)} (valid: {-Rank} to {Rank - 1}).");
        return a;
    }

    // The indexers check every index against its dimension: an out-of-range column must not read the next row.
    // The checks are two unsigned compares; the message is built only when one fails.

    /// <summary>Flat element access (row-major position <paramref name="i"/>).</summary>
    public ref T this[int i]
    {
        get
        {
            if ((uint)i >= (uint)Data.Length) throw BadIndex([i]);
            return ref Data[i];
        }
    }

    /// <summary>Element (i, j) of a 2-D array.</summary>
    public ref T this[int i, int j]
    {
        get
        {
            if (Shape.Length != 2 || (uint)i >= (uint)Shape[0] || (uint)j >= (uint)Shape[1]) throw BadIndex([i, j]);
            return ref Data[(i * Shape[1]) + j];
        }
    }

    /// <summary>Element (i, j, k) of a 3-D array.</summary>
    public ref T this[int i, int j, int k]
    {
        get
        {
            if (Shape.Length != 3 || (uint)i >= (uint)Shape[0] || (uint)j >= (uint)Shape[1] || (uint)k >= (uint)Shape[2])
                throw BadIndex([i, j, k]);
            return ref Data[(((i * Shape[1]) + j) * Shape[2]) + k];
        }
    }

    /// <summary>Element (n, c, h, w) of a 4-D (NCHW) array.</summary>
    public ref T this[int n, int c, int h, int w]
    {
        get
        {
            if (Shape.Length != 4 || (uint)n >= (uint)Shape[0] || (uint)c >= (uint)Shape[1] || (uint)h >= (uint)Shape[2] || (uint)w >= (uint)Shape[3])
                throw BadIndex([n, c, h, w]);
            return ref Data[(((((n * Shape[1]) + c) * Shape[2]) + h) * Shape[3]) + w];
        }
    }

    private ArgumentOutOfRangeException BadIndex(int[] index) =>
        index.Length == 1
            ? new ArgumentOutOfRangeException(nameof(index), index[0], $"Index {index[0]} is outside the {Length} elements of an array of shape {Shapes.Format(Shape)}.")
            : index.Length != Rank
                ? new ArgumentOutOfRangeException(nameof(index), $"Index {Shapes.Format(index)} has {index.Length} coordinates but the array has shape {Shapes.Format(Shape)} ({Rank}-D); use {Rank} indices or the flat indexer.")
                : new ArgumentOutOfRangeException(nameof(index), $"Index {Shapes.Format(index)} is outside an array of shape {Shapes.Format(Shape)}.");

    /// <summary>The same elements under another shape (shares data, like PyTorch's view). One dimension may be -1.</summary>
    public NDArray<T> Reshape(params int[] shape) => new(Shapes.Resolve(shape, Length), Data);

    /// <summary>The matrix transpose of a 2-D array, [m, n] → [n, m] (a copy: this array has no strides to swap).</summary>
    public NDArray<T> Transpose()
    {
        if (Rank != 2)
            throw new InvalidOperationException($"Transpose() swaps the two dimensions of a matrix, but this array has shape {Shapes.Format(Shape)}; use Transpose(dim0, dim1) or Permute.");
        return Transpose(0, 1);
    }

    /// <summary>Swaps dimensions <paramref name="dim0"/> and <paramref name="dim1"/> (torch.transpose; a copy). Negative dims count from the end.</summary>
    public NDArray<T> Transpose(int dim0, int dim1)
    {
        int a = Axis(dim0, nameof(dim0)), b = Axis(dim1, nameof(dim1));
        int[] order = new int[Rank];
        for (int d = 0; d < Rank; d++) order[d] = d;
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(order);
    }

    /// <summary>
    /// The dimensions reordered (torch.permute; a copy): result dimension k is this array's dimension
    /// <paramref name="dims"/>[k], e.g. Permute(0, 2, 3, 1) turns NCHW into NHWC.
    /// </summary>
    public NDArray<T> Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Rank)
            throw new ArgumentException($"dims {Shapes.Format(dims)} must name each of the {Rank} dimensions of shape {Shapes.Format(Shape)} once.", nameof(dims));
        int[] axes = new int[Rank];
        bool[] seen = new bool[Rank];
        for (int k = 0; k < Rank; k++)
        {
            axes[k] = Axis(dims[k], nameof(dims));
            if (seen[axes[k]])
                throw new ArgumentException($"dims {Shapes.Format(dims)} names dimension {axes[k]} twice; each of the {Rank} dimensions must appear once.", nameof(dims));
            seen[axes[k]] = true;
        }
        int[] shape = new int[Rank];
        for (int k = 0; k < Rank; k++) shape[k] = Shape[axes[k]];
        var result = new NDArray<T>(shape);
        if (Length == 0) return result;
        // Strides of the source in the result's dimension order; walk the result in row-major order with an odometer.
        int[] stride = new int[Rank], sourceStride = new int[Rank], index = new int[Rank];
        for (int d = Rank - 1, s = 1; d >= 0; d--)
        {
            sourceStride[d] = s;
            s *= Shape[d];
        }
        for (int k = 0; k < Rank; k++) stride[k] = sourceStride[axes[k]];
        int from = 0;
        for (int to = 0; to < result.Length; to++)
        {
            result.Data[to] = Data[from];
            for (int k = Rank - 1; k >= 0; k--)
            {
                from += stride[k];
                if (++index[k] < shape[k]) break;
                from -= stride[k] * shape[k];
                index[k] = 0;
            }
        }
        return result;
    }

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

    /// <summary>Row <paramref name="i"/>: the i-th slice along the first dimension, as a span (no copy).</summary>
    public Span<T> Row(int i)
    {
        if (Rank == 0)
            throw new InvalidOperationException("A 0-d (scalar) array has no rows.");
        if ((uint)i >= (uint)Shape[0])
            throw new ArgumentOutOfRangeException(nameof(i), i, $"Row {i} is outside an array of shape {Shapes.Format(Shape)} ({Shape[0]} rows).");
        int cols = Length / Shape[0];
        return Data.AsSpan(i * cols, cols);
    }

    /// <summary>True when the two arrays have identical shapes.</summary>
    public bool SameShape<TOther>(NDArray<TOther> other) where TOther : unmanaged, IFloatingPointIeee754<TOther>
    {
        ArgumentNullException.ThrowIfNull(other);
        return Shape.AsSpan().SequenceEqual(other.Shape);
    }

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

    /// <summary>
    /// An array holding a copy of <paramref name="data"/>, with a shape (none means 1-D). Copied, so editing
    /// <paramref name="data"/> afterwards changes neither the array nor any cache that kept it; see <see cref="Wrap{T}"/>.
    /// </summary>
    public static NDArray<T> From<T>(T[] data, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(data);
        return Wrap((T[])data.Clone(), shape);
    }

    /// <summary>An array over <paramref name="data"/> itself (no copy: later edits of data show in the array), with a shape (none means 1-D).</summary>
    public static NDArray<T> Wrap<T>(T[] data, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        return new(shape.Length == 0 ? [data.Length] : shape, data);
    }

    /// <summary>A 2-D array from rows, copied.</summary>
    public static NDArray<T> FromRows<T>(T[][] rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rows);
        for (int i = 0; i < rows.Length; i++)
            if (rows[i] is null)
                throw new ArgumentException($"Row {i} is null.", nameof(rows));
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        for (int i = 0; i < rows.Length; i++)
            if (rows[i].Length != cols)
                throw new ArgumentException($"Row {i} has {rows[i].Length} values but row 0 has {cols}.", nameof(rows));
        var a = new NDArray<T>([rows.Length, cols]);
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(a.Row(i));
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

    /// <summary>
    /// The number of elements of <paramref name="shape"/>, checked: every dimension ≥ 0 and the product small enough
    /// for one .NET array (the product is formed in a way that cannot overflow, however many dimensions).
    /// </summary>
    public static long Count(ReadOnlySpan<int> shape, string name = "shape")
    {
        long n = 1;
        bool tooLarge = false;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Dimensions must be non-negative, got {Format(shape)}.", name);
            if (d == 0) return CheckRest(shape, name);
            if (!tooLarge && n > Array.MaxLength / d) tooLarge = true;
            else if (!tooLarge) n *= d;
        }
        if (tooLarge)
            throw new ArgumentException($"Shape {Format(shape)} has more elements than one array can hold ({Array.MaxLength}).", name);
        return n;
    }

    // A zero dimension makes the product 0, but the other dimensions must still be valid.
    private static long CheckRest(ReadOnlySpan<int> shape, string name)
    {
        foreach (int d in shape)
            if (d < 0)
                throw new ArgumentException($"Dimensions must be non-negative, got {Format(shape)}.", name);
        return 0;
    }

    /// <summary>Replaces a single -1 in <paramref name="shape"/> so the product is <paramref name="length"/>.</summary>
    public static int[] Resolve(int[] shape, int length)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int[] result = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0)
                    throw new ArgumentException($"Cannot reshape into {Format(shape)}: only one dimension may be -1.", nameof(shape));
                infer = i;
                continue;
            }
            if (result[i] < 0)
                throw new ArgumentException($"Cannot reshape into {Format(shape)}: dimensions must be ≥ 0, or -1 for one inferred dimension.", nameof(shape));
            known = result[i] == 0 || known == 0 ? 0 : Math.Min(known * result[i], (long)Array.MaxLength + 1); // saturates: no overflow
        }
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
