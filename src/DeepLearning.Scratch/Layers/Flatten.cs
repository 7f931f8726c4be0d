using System.Numerics;

namespace DeepLearning.Scratch;

/// <summary>The input shape a <see cref="Flatten.Forward{T}"/> call flattened, so backward can restore it.</summary>
public sealed record FlattenCache(int[] Shape);

/// <summary>
/// torch.nn.Flatten: [N, C, H, W] (or any [N, ...]) → [N, C·H·W], the bridge from convolutions to linear layers.
/// Row-major order makes it a pure reshape, so the output shares the input's data (a view, as in PyTorch).
/// </summary>
public static class Flatten
{
    /// <summary>Views x [N, ...] as [N, prod(...)].</summary>
    public static (NDArray<T> Out, FlattenCache Cache) Forward<T>(NDArray<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank < 1)
            throw new ArgumentException($"x must have a batch dimension, but has shape {Shapes.Format(x.Shape)}.", nameof(x));
        int features = 1;
        for (int d = 1; d < x.Rank; d++) features *= x.Shape[d];
        return (x.Reshape(x.Dim(0), features), new FlattenCache(x.Shape));
    }

    /// <summary>Views dout [N, prod(...)] back in the input's shape.</summary>
    public static NDArray<T> Backward<T>(NDArray<T> dout, FlattenCache cache) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(dout);
        ArgumentNullException.ThrowIfNull(cache);
        int n = cache.Shape[0], features = 1;
        for (int d = 1; d < cache.Shape.Length; d++) features *= cache.Shape[d];
        if (dout.Rank != 2 || dout.Dim(0) != n || dout.Dim(1) != features)
            throw new ArgumentException(
                $"dout has shape {Shapes.Format(dout.Shape)} but the flattened output was [{n}, {features}] (input {Shapes.Format(cache.Shape)}).", nameof(dout));
        return dout.Reshape(cache.Shape);
    }
}
