using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// The allocation-free paths training loops use (Linear.ForwardInto/BackwardInto, BatchNorm.ForwardInto/BackwardInto,
/// Mlp's reused activations) give exactly what the allocating API gives, and really allocate nothing once warm.
/// </summary>
public class AllocationFreeTests
{
    [Fact]
    public void Linear_into_matches_the_allocating_pair_and_accumulates_when_asked()
    {
        var rng = new Rng(1);
        var (x, w, b, dout) = (Rand(rng, 5, 4), Rand(rng, 3, 4), Rand(rng, 3), Rand(rng, 5, 3));
        var (y, cache) = Linear.Forward(x, w, b);
        var g = Linear.Backward(dout, cache);

        var y2 = NDArray.Full(9.0, 5, 3); // stale contents must be overwritten
        Linear.ForwardInto(x, w, b, y2);
        Assert.Equal(y.Data, y2.Data);

        NDArray<double> dx = NDArray.Full(9.0, 5, 4), dw = NDArray.Full(9.0, 3, 4), db = NDArray.Full(9.0, 3);
        Linear.BackwardInto(dout, x, w, dx, dw, db);
        Assert.Equal(g.Dx.Data, dx.Data);
        Assert.Equal(g.Dw.Data, dw.Data);
        Assert.Equal(g.Db!.Data, db.Data);

        Linear.BackwardInto(dout, x, w, null, dw, db, accumulate: true);
        Close.Assert(Scale(g.Dw, 2), dw, "dW accumulated twice");
        Close.Assert(Scale(g.Db, 2), db, "db accumulated twice");
    }

    [Fact]
    public void Linear_into_reports_wrong_destination_shapes()
    {
        var (x, w) = (NDArray.Zeros<float>(5, 4), NDArray.Zeros<float>(3, 4));
        var ex = Assert.Throws<ArgumentException>(() => Linear.ForwardInto(x, w, null, NDArray.Zeros<float>(3, 5)));
        Assert.Equal("y", ex.ParamName);
        Assert.Contains("[3, 5]", ex.Message);
        Assert.Contains("[5, 3]", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => Linear.BackwardInto(NDArray.Zeros<float>(5, 3), x, w, null, NDArray.Zeros<float>(4, 3), null));
        Assert.Equal("dw", ex.ParamName);
        Assert.Contains("[4, 3]", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => Linear.BackwardInto(NDArray.Zeros<float>(5, 3), x, w, null, w.ZerosLike(), NDArray.Zeros<float>(4)));
        Assert.Equal("db", ex.ParamName);
        Assert.Contains("[4]", ex.Message);
    }

    [Theory]
    [InlineData(true, new[] { 6, 3 })]
    [InlineData(false, new[] { 6, 3 })]
    [InlineData(true, new[] { 2, 3, 4, 5 })]
    [InlineData(false, new[] { 2, 3, 4, 5 })]
    public void BatchNorm_into_matches_the_allocating_pair(bool train, int[] shape)
    {
        var rng = new Rng(2);
        var (x, dout) = (Rand(rng, shape), Rand(rng, shape));
        BatchNorm<double> a = new(3), b = new(3);
        a.RunningMean.Span.Fill(0.5);
        b.RunningMean.Span.Fill(0.5);
        if (!train)
        {
            a.Eval();
            b.Eval();
        }

        var (y, cache) = a.Forward(x);
        var dx = a.Backward(dout, cache);

        var (y2, dx2) = (NDArray.Full(9.0, shape), NDArray.Full(9.0, shape));
        var cache2 = b.NewCache(shape);
        b.ForwardInto(x, y2, cache2);
        b.BackwardInto(dout, cache2, dx2);

        Assert.Equal(y.Data, y2.Data);
        Assert.Equal(dx.Data, dx2.Data);
        Assert.Equal(a.RunningMean.Data, b.RunningMean.Data);
        Assert.Equal(a.RunningVar.Data, b.RunningVar.Data);
        Assert.Equal(a.Gamma.Grad.Data, b.Gamma.Grad.Data);
        Assert.Equal(a.Beta.Grad.Data, b.Beta.Grad.Data);
    }

    [Fact]
    public void BatchNorm_into_reports_a_wrong_destination_shape()
    {
        var bn = new BatchNorm1d<float>(3);
        var x = NDArray.Zeros<float>(4, 3);
        var ex = Assert.Throws<ArgumentException>(() => bn.ForwardInto(x, NDArray.Zeros<float>(3, 4), bn.NewCache(x.Shape)));
        Assert.Equal("y", ex.ParamName);
        Assert.Contains("[3, 4]", ex.Message);
        Assert.Contains("[4, 3]", ex.Message);
    }

    [Fact]
    public void Activation_into_pairs_match_the_allocating_pairs_even_in_place()
    {
        var rng = new Rng(6);
        var (x, dout) = (Rand(rng, 7, 9), Rand(rng, 7, 9));
        x[0] = 0; // ReLU's kink: the gate is closed at 0, as in PyTorch
        x[1] = double.NaN;

        var (yr, cr) = Activations.Relu.Forward(x);
        var (yt, ct) = Activations.Tanh.Forward(x);
        var (ys, cs) = Activations.Sigmoid.Forward(x);
        var into = x.ZerosLike();
        Activations.Relu.ForwardInto(x, into);
        Close.Assert(yr, into, "relu forward");
        Activations.Tanh.ForwardInto(x, into);
        Close.Assert(yt, into, "tanh forward");
        Activations.Sigmoid.ForwardInto(x, into);
        Close.Assert(ys, into, "sigmoid forward");

        var d = dout.Clone();
        Activations.Relu.BackwardInto(d, x, d);
        Close.Assert(Activations.Relu.Backward(dout, cr), d, "relu backward, in place");
        d = dout.Clone();
        Activations.Tanh.BackwardInto(d, yt, d);
        Close.Assert(Activations.Tanh.Backward(dout, ct), d, "tanh backward, in place");
        d = dout.Clone();
        Activations.Sigmoid.BackwardInto(d, ys, d);
        Close.Assert(Activations.Sigmoid.Backward(dout, cs), d, "sigmoid backward, in place");

        var ex = Assert.Throws<ArgumentException>(() => Activations.Relu.BackwardInto(dout, x, NDArray.Zeros<double>(9, 7)));
        Assert.Equal("dx", ex.ParamName);
        Assert.Contains("[9, 7]", ex.Message);
    }

    [Fact]
    public void Cross_entropy_into_pair_matches_the_allocating_pair_even_in_place()
    {
        var rng = new Rng(7);
        var logits = Rand(rng, 6, 4);
        logits[0] = 800; // the max subtraction keeps exp finite
        int[] target = [0, 3, 1, 2, 2, 0];
        var (loss, cache) = Losses.CrossEntropy.Forward(logits, target);

        var p = logits.ZerosLike();
        Close.Scalar(loss, Losses.CrossEntropy.ForwardInto(logits, target, p), "loss", 1e-12);
        Close.Assert(cache.Probs, p, "softmax probabilities");
        Losses.CrossEntropy.BackwardInto(p, target, p);
        Close.Assert(Losses.CrossEntropy.Backward(cache), p, "dlogits, in place");

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropy.ForwardInto(logits, [0, 3, 1, 2, 2, 4], p));
        Assert.Equal("target", ex.ParamName);
        Assert.Contains("4", ex.Message);
        var shape = Assert.Throws<ArgumentException>(() => Losses.CrossEntropy.ForwardInto(logits, target, NDArray.Zeros<double>(4, 6)));
        Assert.Equal("probs", shape.ParamName);
        Assert.Contains("[4, 6]", shape.Message);
    }

    [Theory]
    [InlineData(1, 0, true)]
    [InlineData(2, 1, false)]
    public void Conv2d_into_pair_matches_the_allocating_pair(int stride, int padding, bool bias)
    {
        var rng = new Rng(8);
        var (x, w, b) = (Rand(rng, 2, 3, 7, 6), Rand(rng, 4, 3, 3, 3), bias ? Rand(rng, 4) : null);
        var (y, cache) = Conv2d.Forward(x, w, b, stride, padding);
        var dout = Rand(rng, y.Shape);
        var g = Conv2d.Backward(dout, cache);

        var y2 = NDArray.Full(9.0, y.Shape);
        Conv2d.ForwardInto(x, w, b, y2, stride, padding);
        Close.Assert(y, y2, "conv forward");

        NDArray<double> dx = NDArray.Full(9.0, x.Shape), dw = NDArray.Full(9.0, w.Shape), db = NDArray.Full(9.0, 4);
        Conv2d.BackwardInto(dout, x, w, dx, dw, db, stride, padding);
        Close.Assert(g.Dx, dx, "conv dx");
        Close.Assert(g.Dw, dw, "conv dw");
        if (bias) Close.Assert(g.Db!, db, "conv db");

        Conv2d.BackwardInto(dout, x, w, null, dw, null, stride, padding, accumulate: true); // a first layer: no dx
        Close.Assert(Scale(g.Dw, 2), dw, "conv dw accumulated twice");

        var ex = Assert.Throws<ArgumentException>(() => Conv2d.ForwardInto(x, w, b, NDArray.Zeros<double>(2, 4, 1, 1), stride, padding));
        Assert.Equal("y", ex.ParamName);
        Assert.Contains("[2, 4, 1, 1]", ex.Message);
        Assert.Contains(Shapes.Format(y.Shape), ex.Message);
    }

    [Fact]
    public void Conv2d_shares_a_large_batch_among_cores_with_the_same_result_as_image_by_image()
    {
        // 20 images × 8 filters × 14·14 positions × 36 weights ≈ 1.1M multiply-adds: above the threshold for a second core.
        var rng = new Rng(10);
        var (x, w, b) = (Rand(rng, 20, 4, 16, 16), Rand(rng, 8, 4, 3, 3), Rand(rng, 8));
        var y = NDArray.Zeros<double>(20, 8, 14, 14);
        Conv2d.ForwardInto(x, w, b, y);
        var dout = Rand(rng, y.Shape);
        var (dx, dw, db) = (x.ZerosLike(), w.ZerosLike(), b.ZerosLike());
        Conv2d.BackwardInto(dout, x, w, dx, dw, db);

        var (dwSum, dbSum) = (w.ZerosLike(), b.ZerosLike());
        for (int n = 0; n < 20; n++)
        {
            var (xn, doutN) = (Image(x, n), Image(dout, n));
            var yn = NDArray.Zeros<double>(1, 8, 14, 14);
            Conv2d.ForwardInto(xn, w, b, yn);
            Close.Assert(yn, Image(y, n), $"image {n} forward");
            var dxn = xn.ZerosLike();
            Conv2d.BackwardInto(doutN, xn, w, dxn, dwSum, dbSum, accumulate: true);
            Close.Assert(dxn, Image(dx, n), $"image {n} dx");
        }
        Close.Assert(dwSum, dw, "dw summed over images");
        Close.Assert(dbSum, db, "db summed over images");
    }

    [Fact]
    public void MaxPool2d_shares_a_large_batch_among_cores_with_the_same_result_as_image_by_image()
    {
        var rng = new Rng(11);
        var x = Rand(rng, 32, 8, 32, 32); // 32·8·16·16 outputs × a 2×2 window: above the threshold for a second core
        var y = NDArray.Zeros<double>(32, 8, 16, 16);
        int[] argmax = new int[y.Length];
        MaxPool2d.ForwardInto(x, 2, null, default, y, argmax);
        int image = 8 * 32 * 32, outImage = 8 * 16 * 16;
        for (int n = 0; n < 32; n++)
        {
            var (yn, cache) = MaxPool2d.Forward(Image(x, n), 2);
            Close.Assert(yn, Image(y, n), $"image {n}");
            Assert.Equal(cache.Argmax.Select(a => a + (n * image)), argmax.Skip(n * outImage).Take(outImage));
        }
    }

    [Fact]
    public void MaxPool2d_into_pair_matches_the_allocating_pair()
    {
        var rng = new Rng(9);
        var x = Rand(rng, 2, 3, 6, 5);
        x[0] = x[1] = 5; // a tie: the first in scan order wins
        x[40] = double.NaN; // NaN wins its window
        var (y, cache) = MaxPool2d.Forward(x, 2, 1, 1);
        var dout = Rand(rng, y.Shape);

        var y2 = y.ZerosLike();
        int[] argmax = new int[y.Length];
        MaxPool2d.ForwardInto(x, 2, 1, 1, y2, argmax);
        Close.Assert(y, y2, "pool forward");
        Assert.Equal(cache.Argmax, argmax);

        var dx = NDArray.Full(9.0, x.Shape);
        MaxPool2d.BackwardInto(dout, argmax, dx);
        Close.Assert(MaxPool2d.Backward(dout, cache), dx, "pool backward");

        var ex = Assert.Throws<ArgumentException>(() => MaxPool2d.ForwardInto(x, 2, 1, 1, y2, new int[3]));
        Assert.Equal("argmax", ex.ParamName);
        Assert.Contains("3", ex.Message);
    }

    [Fact]
    public void Mlp_reused_buffers_give_the_same_gradients_as_a_fresh_model_across_batch_sizes()
    {
        var used = new Mlp<double>([4, 7, 3], HiddenActivation.Tanh, new Rng(3));
        var rng = new Rng(4);
        var (big, small) = (Rand(rng, 8, 4), Rand(rng, 3, 4));
        int[] bigLabels = [0, 1, 2, 0, 1, 2, 0, 1], smallLabels = [2, 1, 0];
        used.LossAndGradients(big, bigLabels);
        used.LossAndGradients(small, smallLabels);
        var logitsBefore = used.Logits(small);
        double loss = used.LossAndGradients(big, bigLabels);

        var fresh = new Mlp<double>([4, 7, 3], HiddenActivation.Tanh, new Rng(3));
        Assert.Equal(fresh.LossAndGradients(big, bigLabels), loss);
        foreach (var (p, q) in fresh.Parameters.Zip(used.Parameters))
            Assert.Equal(p.Grad.Data, q.Grad.Data);
        Assert.Equal(fresh.Logits(small).Data, logitsBefore.Data); // results handed out are not overwritten later
    }

    [Fact]
    public void A_training_step_allocates_nothing_once_warm()
    {
        var rng = new Rng(5);
        var mlp = new Mlp<float>([64, 128, 10], HiddenActivation.Relu, rng);
        var sgd = new Sgd<float>([.. mlp.Parameters], lr: 0.01, momentum: 0.9);
        var x = Rand(rng, 64, 64).Cast<float>();
        int[] labels = [.. Enumerable.Range(0, 64).Select(i => i % 10)];
        var bn = new BatchNorm1d<float>(128);
        var h = Rand(rng, 32, 128).Cast<float>();
        var (hy, hdx, cache) = (h.ZerosLike(), h.ZerosLike(), bn.NewCache(h.Shape));

        var img = Rand(rng, 4, 1, 12, 12).Cast<float>();
        var (cw, cb) = (Rand(rng, 6, 1, 5, 5).Cast<float>(), Rand(rng, 6).Cast<float>());
        var (cy, cdw, cdb) = (NDArray.Zeros<float>(4, 6, 12, 12), cw.ZerosLike(), cb.ZerosLike());
        var (py, pdx) = (NDArray.Zeros<float>(4, 6, 6, 6), cy.ZerosLike());
        int[] argmax = new int[py.Length];

        void Step()
        {
            mlp.LossAndGradients(x, labels);
            sgd.Step();
            bn.ForwardInto(h, hy, cache);
            bn.BackwardInto(hy, cache, hdx);
            Conv2d.ForwardInto(img, cw, cb, cy, padding: 2);
            Activations.Relu.ForwardInto(cy, cy);
            MaxPool2d.ForwardInto(cy, 2, null, default, py, argmax);
            MaxPool2d.BackwardInto(py, argmax, pdx);
            Activations.Relu.BackwardInto(pdx, cy, pdx);
            Conv2d.BackwardInto(pdx, img, cw, null, cdw, cdb, padding: 2);
        }

        for (int i = 0; i < 100; i++) Step(); // past tier-0 code, which may box
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static NDArray<double> Rand(Rng rng, params int[] shape) => rng.UniformArray<double>(-1, 1, shape);

    private static NDArray<double> Image(NDArray<double> batch, int n)
    {
        int size = batch.Length / batch.Dim(0);
        return NDArray.From(batch.Data.AsSpan(n * size, size).ToArray(), [1, .. batch.Shape[1..]]);
    }

    private static NDArray<double> Scale(NDArray<double> a, double s) => NDArray.From([.. a.Data.Select(v => v * s)], a.Shape);
}
