using System.Numerics;

namespace DeepLearning.Scratch;

/// <summary>A learnable array and its gradient: what <c>torch.nn.Parameter</c> and its <c>.grad</c> are together.</summary>
public sealed class Parameter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Wraps <paramref name="value"/> (not copied) with a zero gradient of the same shape.</summary>
    public Parameter(string name, NDArray<T> value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        Name = name;
        Value = value;
        Grad = value.ZerosLike();
    }

    /// <summary>A readable name such as "fc1.weight" (PyTorch's state-dict key).</summary>
    public string Name { get; }

    /// <summary>The current value; optimizers update it in place.</summary>
    public NDArray<T> Value { get; }

    /// <summary>∂loss/∂value, accumulated by backward passes.</summary>
    public NDArray<T> Grad { get; }

    /// <summary>Sets the gradient to zero (optimizer.zero_grad()).</summary>
    public void ZeroGrad() => Grad.Span.Clear();

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Shapes.Format(Value.Shape)}";
}
