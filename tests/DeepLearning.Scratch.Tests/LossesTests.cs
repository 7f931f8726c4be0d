using System.Numerics;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

public class LossesTests
{
    private const string Topic = "losses";

    public static TheoryData<string> Cases => Fixture.Names(Topic);

    public static TheoryData<string> Ops =>
        ["mse", "l1", "huber", "bce", "bce_logits", "cross_entropy", "cross_entropy_probs", "nll", "triplet", "contrastive"];

    [Theory, MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch(string name)
    {
        var c = Fixture.Load(Topic)[name];
        Compare<float>(c);
        Compare<double>(c);
    }

    private static void Compare<T>(FixtureCase c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string what = $"{c.Name} ({typeof(T).Name})";
        var inputs = new Dictionary<string, NDArray<T>>();
        var (loss, backward) = Run<T>(c, key => inputs.TryGetValue(key, out var a) ? a : inputs[key] = c.Input<T>(key));
        Close.Assert(c.Output<T>("loss"), loss, what + " loss");
        Assert.True(loss.Data.All(T.IsFinite), $"{what}: loss {loss} is not finite");
        var grads = backward(c.Input<T>("dloss"));
        foreach (var (key, grad) in grads)
            Close.Assert(c.Grad<T>(key), grad, $"{what} d{key}");
    }

    [Theory, MemberData(nameof(Ops))]
    public void Backward_passes_gradcheck(string op)
    {
        // Saturated and edge cases sit on clamps and kinks (x = 0 in BCE, d = 0 in contrastive), where no stencil works.
        var cases = Fixture.Load(Topic).Cases.Where(c => c.Op == op && !c.Name.EndsWith("/edge") && !c.Name.EndsWith("/saturated")).ToList();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var inputs = new Dictionary<string, NDArray<double>>();
            NDArray<double> Get(string key) => inputs.TryGetValue(key, out var a) ? a : inputs[key] = c.Input<double>(key);
            var dloss = c.Input<double>("dloss");
            var grads = Run<double>(c, Get).Backward(dloss);
            // The scalar whose gradient backward returns: Σ dloss ⊙ loss.
            double F()
            {
                var loss = Run<double>(c, Get).Loss;
                double sum = 0;
                for (int i = 0; i < loss.Length; i++) sum += loss.Data[i] * dloss.Data[i];
                return sum;
            }
            foreach (var (key, analytic) in grads)
            {
                var r = GradCheck.Check(F, Get(key), analytic);
                Assert.True(r.Passed(1e-9), $"{c.Name} d{key}: {r}");
            }
        }
    }

    // Dispatches a fixture case: the loss as an array (0-d when reduced) and a backward closure returning named gradients.
    private static (NDArray<T> Loss, Func<NDArray<T>, Dictionary<string, NDArray<T>>> Backward) Run<T>(FixtureCase c, Func<string, NDArray<T>> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = c.Text("reduction") switch { "mean" => Reduction.Mean, "sum" => Reduction.Sum, _ => Reduction.None };
        double P(string key, double fallback) => c.RawParam(key)?.GetDouble() ?? fallback;
        Dictionary<string, NDArray<T>> One(NDArray<T> d) => new() { ["input"] = d };
        switch (c.Op)
        {
            case "mse":
                return Pack(r, rr => Losses.Mse.Forward(x("input"), x("target"), rr), () => Losses.Mse.ForwardNone(x("input"), x("target")),
                    (k, g) => One(Losses.Mse.Backward(g, k)));
            case "l1":
                return Pack(r, rr => Losses.L1.Forward(x("input"), x("target"), rr), () => Losses.L1.ForwardNone(x("input"), x("target")),
                    (k, g) => One(Losses.L1.Backward(g, k)));
            case "huber":
                double delta = P("delta", 1);
                return Pack(r, rr => Losses.Huber.Forward(x("input"), x("target"), rr, delta), () => Losses.Huber.ForwardNone(x("input"), x("target"), delta),
                    (k, g) => One(Losses.Huber.Backward(g, k)));
            case "bce":
                return Pack(r, rr => Losses.Bce.Forward(x("input"), x("target"), rr), () => Losses.Bce.ForwardNone(x("input"), x("target")),
                    (k, g) => One(Losses.Bce.Backward(g, k)));
            case "bce_logits":
                var pw = c.Has("inputs", "pos_weight") ? x("pos_weight") : null;
                return Pack(r, rr => Losses.BceWithLogits.Forward(x("input"), x("target"), rr, pw), () => Losses.BceWithLogits.ForwardNone(x("input"), x("target"), pw),
                    (k, g) => One(Losses.BceWithLogits.Backward(g, k)));
            case "cross_entropy":
                int[] labels = c.Ints("target");
                double ls = P("label_smoothing", 0);
                return Pack(r, rr => Losses.CrossEntropy.Forward(x("input"), labels, rr, ls), () => Losses.CrossEntropy.ForwardNone(x("input"), labels, ls),
                    (k, g) => One(Losses.CrossEntropy.Backward(g, k)));
            case "cross_entropy_probs":
                double lsp = P("label_smoothing", 0);
                return Pack(r, rr => Losses.CrossEntropy.Forward(x("input"), x("target"), rr, lsp), () => Losses.CrossEntropy.ForwardNone(x("input"), x("target"), lsp),
                    (k, g) => One(Losses.CrossEntropy.Backward(g, k)));
            case "nll":
                int[] classes = c.Ints("target");
                return Pack(r, rr => Losses.Nll.Forward(x("input"), classes, rr), () => Losses.Nll.ForwardNone(x("input"), classes),
                    (k, g) => One(Losses.Nll.Backward(g, k)));
            case "triplet":
                double margin = P("margin", 1), p = P("p", 2);
                return Pack(r, rr => Losses.TripletMargin.Forward(x("anchor"), x("positive"), x("negative"), rr, margin, p),
                    () => Losses.TripletMargin.ForwardNone(x("anchor"), x("positive"), x("negative"), margin, p),
                    (k, g) =>
                    {
                        var d = Losses.TripletMargin.Backward(g, k);
                        return new() { ["anchor"] = d.DAnchor, ["positive"] = d.DPositive, ["negative"] = d.DNegative };
                    });
            case "contrastive":
                int[] y = c.Ints("y");
                double m = P("margin", 1);
                return Pack(r, rr => Losses.Contrastive.Forward(x("x1"), x("x2"), y, rr, m), () => Losses.Contrastive.ForwardNone(x("x1"), x("x2"), y, m),
                    (k, g) =>
                    {
                        var d = Losses.Contrastive.Backward(g, k);
                        return new() { ["x1"] = d.DX1, ["x2"] = d.DX2 };
                    });
            default:
                throw new InvalidOperationException($"No loss for op '{c.Op}'.");
        }
    }

    private static (NDArray<T>, Func<NDArray<T>, Dictionary<string, NDArray<T>>>) Pack<T, TCache>(Reduction r,
        Func<Reduction, (T Loss, TCache Cache)> reduced, Func<(NDArray<T> Loss, TCache Cache)> unreduced,
        Func<TCache, NDArray<T>, Dictionary<string, NDArray<T>>> backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (r == Reduction.None)
        {
            var (each, cache) = unreduced();
            return (each, g => backward(cache, g));
        }
        var (loss, k) = reduced(r);
        return (NDArray.Scalar(loss), g => backward(k, g));
    }

    // ─── Identities and hand-computed values ────────────────────────────────────────────────────────────────────────

    [Fact]
    public void Hand_computed_values_and_reductions()
    {
        var x = NDArray.From(new[] { 1.0, 2.0 });
        var zero = NDArray.Zeros<double>(2);
        Assert.Equal(2.5, Losses.Mse.Forward(x, zero).Loss);
        Assert.Equal(5.0, Losses.Mse.Forward(x, zero, Reduction.Sum).Loss);
        Assert.Equal([1.0, 4.0], Losses.Mse.ForwardNone(x, zero).Loss.Data);
        Assert.Equal([1.0, 2.0], Losses.Mse.Backward(Losses.Mse.Forward(x, zero).Cache).Data); // 2d/n
        Assert.Equal(0.5 + 1.5, Losses.Huber.Forward(x, zero, Reduction.Sum).Loss);             // ½·1² + 1·(2 − ½)
        // Uniform logits: the loss is log C whatever the label.
        Assert.Equal(Math.Log(4), Losses.CrossEntropy.Forward(NDArray.Zeros<double>(3, 4), [0, 3, 1]).Loss, 14);
    }

    [Fact]
    public void Cross_entropy_agrees_with_one_hot_targets_and_with_nll_of_log_softmax()
    {
        var rng = new Rng(21);
        var logits = rng.NormalArray<double>(0, 2, 5, 4);
        int[] labels = [3, 0, 1, 1, 2];
        var oneHot = NDArray.Zeros<double>(5, 4);
        for (int i = 0; i < 5; i++) oneHot[i, labels[i]] = 1;
        foreach (double eps in new[] { 0.0, 0.3 })
        {
            var (sparse, ks) = Losses.CrossEntropy.Forward(logits, labels, labelSmoothing: eps);
            var (dense, kd) = Losses.CrossEntropy.Forward(logits, oneHot, labelSmoothing: eps);
            Close.Scalar(sparse, dense, $"ε = {eps}", 1e-14);
            Close.Assert(Losses.CrossEntropy.Backward(ks), Losses.CrossEntropy.Backward(kd), $"dlogits, ε = {eps}");
        }
        var logp = Activations.LogSoftmax.Forward(logits).Out;
        Close.Scalar(Losses.CrossEntropy.Forward(logits, labels).Loss, Losses.Nll.Forward(logp, labels).Loss, "CE = NLL∘log-softmax", 1e-14);
        // softmax − one-hot: each row of the gradient sums to 0.
        var grad = Losses.CrossEntropy.Backward(Losses.CrossEntropy.Forward(logits, labels, Reduction.Sum).Cache);
        for (int i = 0; i < 5; i++) Assert.Equal(0, grad.Row(i).ToArray().Sum(), 14);
    }

    [Fact]
    public void Bce_with_logits_equals_bce_of_the_sigmoid()
    {
        var x = new Rng(5).NormalArray<double>(0, 2, 3, 4);
        var y = new Rng(6).UniformArray<double>(0, 1, 3, 4);
        var (withLogits, kl) = Losses.BceWithLogits.Forward(x, y);
        var (s, ks) = Activations.Sigmoid.Forward(x);
        var (plain, kp) = Losses.Bce.Forward(s, y);
        Close.Scalar(plain, withLogits, "loss", 1e-13);
        Close.Assert(Activations.Sigmoid.Backward(Losses.Bce.Backward(kp), ks), Losses.BceWithLogits.Backward(kl), "chain rule through the sigmoid",
            (1e-12, 1e-14));
    }

    // ─── Stability ──────────────────────────────────────────────────────────────────────────────────────────────────

    [Fact]
    public void Stable_forms_stay_finite_for_huge_logits_in_float32()
    {
        var x = NDArray.From(new[] { -1e4f, -100f, 100f, 1e4f });
        var y = NDArray.From(new[] { 1f, 1f, 0f, 0f });
        var (loss, cache) = Losses.BceWithLogits.Forward(x, y, Reduction.Sum);
        Assert.Equal(2e4f + 200f, loss, 1);
        Assert.Equal([-1f, -1f, 1f, 1f], Losses.BceWithLogits.Backward(cache).Data);

        var logits = NDArray.From(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 1e4f }, 2, 3);
        var (ce, kce) = Losses.CrossEntropy.ForwardNone(logits, [1, 0]);
        Assert.Equal(2e4f, ce[0], 1);                   // label 1 sits 2e4 below the max
        Assert.Equal(2e4f + MathF.Log(2), ce[1], 1);    // two tied maxima, label at the minimum
        Assert.True(Losses.CrossEntropy.Backward(NDArray.Full(1f, 2), kce).Data.All(float.IsFinite));
    }

    [Fact]
    public void Contrastive_gradient_at_zero_distance_is_zero_not_nan()
    {
        var x = NDArray.From(new[] { 0.5, -1.0, 2.0, 0.5, -1.0, 2.0 }, 2, 3);
        var (loss, cache) = Losses.Contrastive.ForwardNone(x, x.Clone(), [0, 1], margin: 1.5);
        Assert.Equal([2.25, 0.0], loss.Data); // dissimilar pair at d = 0 pays margin²
        var grads = Losses.Contrastive.Backward(NDArray.Full(1.0, 2), cache);
        Assert.All(grads.DX1.Data, v => Assert.Equal(0.0, v));
        Assert.All(grads.DX2.Data, v => Assert.Equal(0.0, v));
    }

    // ─── Bad input ──────────────────────────────────────────────────────────────────────────────────────────────────

    [Fact]
    public void Mismatched_shapes_name_both_shapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Losses.Mse.Forward(NDArray.Zeros<float>(4, 3), NDArray.Zeros<float>(4, 2)));
        Assert.Equal("target", ex.ParamName);
        Assert.Contains("[4, 3]", ex.Message);
        Assert.Contains("[4, 2]", ex.Message);
        var t = Assert.Throws<ArgumentException>(() => Losses.TripletMargin.Forward(NDArray.Zeros<float>(2, 3), NDArray.Zeros<float>(2, 3), NDArray.Zeros<float>(3, 3)));
        Assert.Equal("negative", t.ParamName);
        Assert.Contains("[3, 3]", t.Message);
        var rank = Assert.Throws<ArgumentException>(() => Losses.CrossEntropy.Forward(NDArray.Zeros<float>(2, 3, 4), [0, 1]));
        Assert.Equal("logits", rank.ParamName);
        Assert.Contains("[2, 3, 4]", rank.Message);
        var pw = Assert.Throws<ArgumentException>(() => Losses.BceWithLogits.Forward(NDArray.Zeros<float>(2, 3), NDArray.Zeros<float>(2, 3), posWeight: NDArray.Zeros<float>(2)));
        Assert.Equal("posWeight", pw.ParamName);
        Assert.Contains("[3]", pw.Message);
    }

    [Fact]
    public void Empty_batch_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Losses.L1.Forward(NDArray.Zeros<float>(0, 3), NDArray.Zeros<float>(0, 3)));
        Assert.Equal("input", ex.ParamName);
        Assert.Contains("[0, 3]", ex.Message);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy.Forward(NDArray.Zeros<float>(0, 3), [])).ParamName);
        Assert.Equal("anchor", Assert.Throws<ArgumentException>(() =>
            Losses.TripletMargin.Forward(NDArray.Zeros<float>(0, 3), NDArray.Zeros<float>(0, 3), NDArray.Zeros<float>(0, 3))).ParamName);
    }

    [Fact]
    public void Label_count_must_match_the_batch()
    {
        var ex = Assert.Throws<ArgumentException>(() => Losses.CrossEntropy.Forward(NDArray.Zeros<float>(3, 4), [0, 1]));
        Assert.Equal("target", ex.ParamName);
        Assert.Contains("2 labels", ex.Message);
        Assert.Contains("3 examples", ex.Message);
        Assert.Equal("target", Assert.Throws<ArgumentException>(() => Losses.Nll.Forward(NDArray.Zeros<float>(3, 4), [0, 1, 2, 3])).ParamName);
        var pairs = Assert.Throws<ArgumentException>(() => Losses.Contrastive.Forward(NDArray.Zeros<float>(3, 2), NDArray.Zeros<float>(3, 2), [1]));
        Assert.Equal("y", pairs.ParamName);
        Assert.Contains("3 pairs", pairs.Message);
    }

    [Fact]
    public void Labels_out_of_range_show_the_index_and_value()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropy.Forward(NDArray.Zeros<float>(3, 4), [0, 4, 1]));
        Assert.Equal("target", ex.ParamName);
        Assert.Contains("target[1] = 4", ex.Message);
        Assert.Contains("[0, 4)", ex.Message);
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.Nll.Forward(NDArray.Zeros<double>(2, 3), [-1, 0])).ParamName);
        var y = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.Contrastive.Forward(NDArray.Zeros<float>(2, 2), NDArray.Zeros<float>(2, 2), [1, 2]));
        Assert.Equal("y", y.ParamName);
        Assert.Contains("y[1] = 2", y.Message);
    }

    [Fact]
    public void Bce_rejects_values_that_are_not_probabilities()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.Bce.Forward(NDArray.From(new[] { 0.5, 1.5 }), NDArray.From(new[] { 1.0, 0.0 })));
        Assert.Equal("input", ex.ParamName);
        Assert.Contains("input[1] = 1.5", ex.Message);
        Assert.Contains("BceWithLogits", ex.Message);
        Assert.Equal("input", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Losses.Bce.Forward(NDArray.From(new[] { double.NaN }), NDArray.From(new[] { 1.0 }))).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Losses.CrossEntropy.Forward(NDArray.Zeros<double>(1, 2), NDArray.From(new[] { -0.5, 1.5 }, 1, 2))).ParamName);
    }

    [Fact]
    public void Non_positive_delta_margin_and_bad_smoothing_are_rejected_with_their_value()
    {
        var a = NDArray.Zeros<double>(2, 3);
        var delta = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.Huber.Forward(a, a, delta: 0));
        Assert.Equal("delta", delta.ParamName);
        Assert.Contains("got 0", delta.Message);
        var margin = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.TripletMargin.Forward(a, a, a, margin: -1));
        Assert.Equal("margin", margin.ParamName);
        Assert.Contains("got -1", margin.Message);
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.Contrastive.Forward(a, a, [0, 1], margin: 0)).ParamName);
        var ls = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropy.Forward(a, [0, 1], labelSmoothing: 1.5));
        Assert.Equal("labelSmoothing", ls.ParamName);
        Assert.Contains("1.5", ls.Message);
    }

    [Fact]
    public void Reduction_none_has_its_own_entry_point_and_needs_an_upstream_array()
    {
        var a = NDArray.Zeros<float>(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => Losses.Mse.Forward(a, a, Reduction.None));
        Assert.Equal("reduction", ex.ParamName);
        Assert.Contains("ForwardNone", ex.Message);
        Assert.Equal("reduction", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.Mse.Forward(a, a, (Reduction)9)).ParamName);

        var (_, cache) = Losses.Mse.ForwardNone(a, a);
        Assert.Equal("dOut", Assert.Throws<ArgumentNullException>(() => Losses.Mse.Backward(cache)).ParamName);
        var shape = Assert.Throws<ArgumentException>(() => Losses.Mse.Backward(NDArray.Zeros<float>(3, 2), cache));
        Assert.Equal("dOut", shape.ParamName);
        Assert.Contains("[3, 2]", shape.Message);
        Assert.Contains("[2, 3]", shape.Message);
        var (_, reduced) = Losses.Mse.Forward(a, a);
        Assert.Equal("dOut", Assert.Throws<ArgumentException>(() => Losses.Mse.Backward(NDArray.Zeros<float>(2), reduced)).ParamName);
    }
}
