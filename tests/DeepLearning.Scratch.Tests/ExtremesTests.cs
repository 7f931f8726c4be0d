using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// Fault class 5: numerics at the extremes. Every loss and activation against real PyTorch (fixtures/gen/extremes.py)
/// at masked logits (−∞), ±∞ and ±3e38, in float32 and float64 — each precision against PyTorch's own run in that
/// precision, because they overflow at different places. Where PyTorch's value is a number (finite or ±∞), ours must be
/// the same number; only where PyTorch itself gives NaN (e.g. 0·log 0 of a probability target at a masked logit) is
/// ours free.
/// </summary>
public class ExtremesTests
{
    public static TheoryData<string> Cases => Fixture.Names("extremes");

    [Theory, MemberData(nameof(Cases))]
    public void Float32_agrees_with_pytorch(string name) => Agrees<float>(name, "32", 1e-5, 1e-6); // a few float ulps of the O(1) values

    [Theory, MemberData(nameof(Cases))]
    public void Float64_agrees_with_pytorch(string name) => Agrees<double>(name, "64", 1e-10, 1e-30);

    [Fact]
    public void Cross_entropy_with_a_masked_logit_is_a_number_where_it_used_to_be_nan()
    {
        var logits = NDArray.From(new[] { 0f, float.NegativeInfinity, 1f, 3e38f, -3e38f, 0f }, 2, 3);
        var (loss, cache) = Losses.CrossEntropy.Forward(logits, [0, 0]);
        Assert.True(float.IsFinite(loss), $"loss {loss}");
        Assert.All(Losses.CrossEntropy.Backward(cache).Data, v => Assert.True(float.IsFinite(v)));
    }

    private static void Agrees<T>(string name, string suffix, double rel, double abs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = Fixture.Load("extremes")[name];
        var (output, grads) = Run<T>(c);
        Same(c.Output<T>("out" + suffix), output, $"{name} ({typeof(T).Name}) output", rel, abs);
        foreach (var (key, grad) in grads)
            Same(c.Grad<T>(key + suffix), grad, $"{name} ({typeof(T).Name}) ∂/∂{key}", rel, abs);
    }

    private static void Same<T>(NDArray<T> expected, NDArray<T> actual, string what, double rel, double abs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {expected.Length} values expected, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected.Data[i]), a = double.CreateChecked(actual.Data[i]);
            if (double.IsNaN(e)) continue;                     // PyTorch's own NaN: nothing to agree with
            bool ok = double.IsInfinity(e) ? a == e : Math.Abs(a - e) <= (rel * Math.Abs(e)) + abs;
            Assert.True(ok, $"{what}[{i}]: PyTorch {e:R}, scratch {a:R}");
        }
    }

    // Runs the case's op with dOut = 1 (ones for unreduced outputs), as the generator did.
    private static (NDArray<T> Out, List<(string Key, NDArray<T> Grad)> Grads) Run<T>(FixtureCase c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        NDArray<T> X(string key) => c.Input<T>(key);
        string Reduction() => c.Text("reduction");
        Reduction R() => Reduction() switch { "mean" => Scratch.Reduction.Mean, "sum" => Scratch.Reduction.Sum, _ => Scratch.Reduction.None };
        static NDArray<T> Ones(NDArray<T> like) => NDArray.Full(T.One, like.Shape);
        (NDArray<T>, List<(string, NDArray<T>)>) Loss<TCache>(Func<Reduction, (T Loss, TCache Cache)> reduced, Func<(NDArray<T> Loss, TCache Cache)> none,
            Func<NDArray<T>?, TCache, NDArray<T>> backward)
        {
            if (R() == Scratch.Reduction.None)
            {
                var (each, k) = none();
                return (each, [("input", backward(Ones(each), k))]);
            }
            var (l, cache) = reduced(R());
            return (NDArray.Scalar(l), [("input", backward(null, cache))]);
        }

        switch (c.Op)
        {
            case "cross_entropy":
            {
                int[] t = c.Ints("target");
                double ls = c.Param("label_smoothing");
                return Loss(r => Losses.CrossEntropy.Forward(X("input"), t, r, ls), () => Losses.CrossEntropy.ForwardNone(X("input"), t, ls),
                    (g, k) => Losses.CrossEntropy.Backward(g, k));
            }
            case "cross_entropy_prob":
                return Loss(r => Losses.CrossEntropy.Forward(X("input"), X("target"), r), () => Losses.CrossEntropy.ForwardNone(X("input"), X("target")),
                    (g, k) => Losses.CrossEntropy.Backward(g, k));
            case "nll":
                return Loss(r => Losses.Nll.Forward(X("input"), c.Ints("target"), r), () => Losses.Nll.ForwardNone(X("input"), c.Ints("target")),
                    (g, k) => Losses.Nll.Backward(g, k));
            case "mse":
                return Loss(r => Losses.Mse.Forward(X("input"), X("target"), r), () => Losses.Mse.ForwardNone(X("input"), X("target")),
                    (g, k) => Losses.Mse.Backward(g, k));
            case "l1":
                return Loss(r => Losses.L1.Forward(X("input"), X("target"), r), () => Losses.L1.ForwardNone(X("input"), X("target")),
                    (g, k) => Losses.L1.Backward(g, k));
            case "huber":
                return Loss(r => Losses.Huber.Forward(X("input"), X("target"), r), () => Losses.Huber.ForwardNone(X("input"), X("target")),
                    (g, k) => Losses.Huber.Backward(g, k));
            case "bce_with_logits":
                return Loss(r => Losses.BceWithLogits.Forward(X("input"), X("target"), r), () => Losses.BceWithLogits.ForwardNone(X("input"), X("target")),
                    (g, k) => Losses.BceWithLogits.Backward(g, k));
            case "bce":
                return Loss(r => Losses.Bce.Forward(X("input"), X("target"), r), () => Losses.Bce.ForwardNone(X("input"), X("target")),
                    (g, k) => Losses.Bce.Backward(g, k));
            case "triplet":
            {
                var (each, k) = Losses.TripletMargin.ForwardNone(X("anchor"), X("positive"), X("negative"), c.Param("margin"), c.Param("p"), c.Param("eps"));
                var d = Losses.TripletMargin.Backward(Ones(each), k);
                return (each, [("anchor", d.DAnchor), ("positive", d.DPositive), ("negative", d.DNegative)]);
            }
            case "softmax":
            {
                // out = softmax(x, dim) ⊙ w with w = [1, −2, 3] along the last dimension, so dOut = w.
                var x = X("input");
                var (y, k) = Activations.Softmax.Forward(x, (int)c.Param("dim"));
                var w = x.ZerosLike();
                for (int i = 0; i < w.Length; i++) w.Data[i] = T.CreateChecked(new[] { 1.0, -2.0, 3.0 }[i % 3]);
                var o = y.ZerosLike();
                for (int i = 0; i < o.Length; i++) o.Data[i] = y.Data[i] * w.Data[i];
                return (o, [("input", Activations.Softmax.Backward(w, k))]);
            }
            case "log_softmax":
            {
                // out = log_softmax(x, dim)[:, :1], so dOut is 1 in column 0 and 0 elsewhere.
                var x = X("input");
                var (y, k) = Activations.LogSoftmax.Forward(x, (int)c.Param("dim"));
                var o = new NDArray<T>([x.Shape[0], 1]);
                var dout = x.ZerosLike();
                for (int i = 0; i < x.Shape[0]; i++)
                {
                    o[i, 0] = y[i, 0];
                    dout[i, 0] = T.One;
                }
                return (o, [("input", Activations.LogSoftmax.Backward(dout, k))]);
            }
            default:
            {
                var x = X("input");
                var ones = Ones(x);
                (NDArray<T> Y, NDArray<T> Dx) Pair<TCache>((NDArray<T> Out, TCache Cache) f, Func<NDArray<T>, TCache, NDArray<T>> b) => (f.Out, b(ones, f.Cache));
                var (y, dx) = c.Op switch
                {
                    "relu" => Pair(Activations.Relu.Forward(x), Activations.Relu.Backward),
                    "sigmoid" => Pair(Activations.Sigmoid.Forward(x), Activations.Sigmoid.Backward),
                    "tanh" => Pair(Activations.Tanh.Forward(x), Activations.Tanh.Backward),
                    "softplus" => Pair(Activations.Softplus.Forward(x), Activations.Softplus.Backward),
                    "elu" => Pair(Activations.Elu.Forward(x), Activations.Elu.Backward),
                    "selu" => Pair(Activations.Selu.Forward(x), Activations.Selu.Backward),
                    "gelu" => Pair(Activations.Gelu.Forward(x), Activations.Gelu.Backward),
                    "gelu_tanh" => Pair(Activations.Gelu.Forward(x, GeluApproximation.Tanh), Activations.Gelu.Backward),
                    "silu" => Pair(Activations.Silu.Forward(x), Activations.Silu.Backward),
                    "leaky_relu" => Pair(Activations.LeakyRelu.Forward(x), Activations.LeakyRelu.Backward),
                    _ => throw new InvalidOperationException($"Unknown op '{c.Op}' in extremes.json."),
                };
                return (y, [("input", dx)]);
            }
        }
    }
}
