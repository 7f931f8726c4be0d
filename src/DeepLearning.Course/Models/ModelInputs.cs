using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// Shape checks every model runs before its first native call, so a wrong input gives a sentence naming the model,
/// the expected layout and the actual shape instead of a libtorch stack trace.
/// </summary>
internal static class ModelInputs
{
    /// <summary>"[2, 1, 28, 28]".</summary>
    public static string Format(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>Throws unless x is a batch of feature rows [N, features].</summary>
    public static void Features(Tensor x, long features, ScalarType dtype, string model, string paramName = "x")
    {
        ArgumentNullException.ThrowIfNull(x, paramName);
        if (x.Dimensions == 4 && x.shape[1] * x.shape[2] * x.shape[3] == features)
            throw new ArgumentException(
                $"{model} takes rows [N, {features}], but x is a batch of images {Format(x.shape)}: flatten it first, e.g. x.flatten(1).", paramName);
        if (x.Dimensions != 2 || x.shape[1] != features)
            throw new ArgumentException($"{model} takes x of shape [N, {features}], got {Format(x.shape)}.", paramName);
        SameType(x, dtype, model, paramName);
    }

    /// <summary>Throws unless x is a batch of images [N, channels, H, W] (with H = W = size when given).</summary>
    public static void Images(Tensor x, long channels, ScalarType dtype, string model, long? size = null, string paramName = "x")
    {
        ArgumentNullException.ThrowIfNull(x, paramName);
        string expected = size is long s ? $"[N, {channels}, {s}, {s}]" : $"[N, {channels}, H, W]";
        if (x.Dimensions == 2 && size is long side && x.shape[1] == channels * side * side)
            throw new ArgumentException(
                $"{model} takes images {expected}, but x is a batch of flat rows {Format(x.shape)}: reshape it first, e.g. x.view(-1, {channels}, {side}, {side}).", paramName);
        if (x.Dimensions != 4 || x.shape[1] != channels || (size is long n && (x.shape[2] != n || x.shape[3] != n)))
            throw new ArgumentException($"{model} takes images of shape {expected}, got {Format(x.shape)}.", paramName);
        SameType(x, dtype, model, paramName);
    }

    /// <summary>Throws when a training-mode batch norm would see one value per channel (no batch variance), which PyTorch rejects natively.</summary>
    public static void BatchForNorm(Tensor x, bool training, string model, string paramName = "x")
    {
        if (training && x.numel() / x.shape[1] < 2)
            throw new ArgumentException(
                $"{model} uses batch norm and is in training mode, which needs more than one value per channel; x has shape {Format(x.shape)}. Use a larger batch, or call model.eval() to predict one example.", paramName);
    }

    private static void SameType(Tensor x, ScalarType dtype, string model, string paramName)
    {
        if (x.dtype != dtype)
            throw new ArgumentException($"{model} has {dtype} parameters, but x is {x.dtype}; convert it with x.to_type({dtype}).", paramName);
    }
}

/// <summary>Small facts about any TorchSharp module that several lessons print.</summary>
public static class ModelInfo
{
    /// <summary>
    /// Puts <paramref name="module"/> in eval mode (dropout off, batch norm on running statistics) until the returned
    /// scope is disposed, then restores the mode it had: <c>using var mode = model.EvalMode();</c>.
    /// </summary>
    public static ModeScope EvalMode(this nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var scope = new ModeScope(module, module.training);
        module.eval();
        return scope;
    }

    /// <summary>The number of learnable values (Σ numel over parameters()).</summary>
    public static long ParameterCount(this nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.parameters().Sum(p => p.numel());
    }

    /// <summary>The state-dict names of the learnable parameters, in registration order ("fc1.weight", …).</summary>
    public static IReadOnlyList<string> ParameterNames(this nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return [.. module.named_parameters().Select(p => p.name)];
    }

    /// <summary>
    /// Copies every parameter of <paramref name="source"/> into <paramref name="target"/>, pairing them by position
    /// (not by name, so a Sequential and a Module subclass of the same layers can share weights). Shapes must match.
    /// </summary>
    public static void CopyParametersFrom(this nn.Module target, nn.Module source)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        var to = target.named_parameters().ToList();
        var from = source.named_parameters().ToList();
        if (to.Count != from.Count)
            throw new ArgumentException($"source has {from.Count} parameters but target has {to.Count}; they must be the same architecture.", nameof(source));
        using var noGrad = torch.no_grad();
        for (int i = 0; i < to.Count; i++)
        {
            if (!to[i].parameter.shape.SequenceEqual(from[i].parameter.shape))
                throw new ArgumentException(
                    $"Parameter {i}: source {from[i].name} {ModelInputs.Format(from[i].parameter.shape)} vs target {to[i].name} {ModelInputs.Format(to[i].parameter.shape)}.", nameof(source));
            to[i].parameter.copy_(from[i].parameter);
        }
    }
}

/// <summary>Restores a module's train/eval mode when disposed (see <see cref="ModelInfo.EvalMode"/>).</summary>
public readonly record struct ModeScope(nn.Module Module, bool WasTraining) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose() => Module.train(WasTraining);
}
