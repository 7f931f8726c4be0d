using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// Fault class 3: a call that fails must change nothing. Each case snapshots every array the call could write
/// (parameters, gradients, running statistics, destinations, counters), makes the call fail on an argument checked
/// late, and requires the snapshot back unchanged.
/// </summary>
public class StateUnchangedTests
{
    // Runs a call that must throw an ArgumentException, and checks every array in `state` is as it was.
    private static void FailsWithoutChanges<T>(Action call, params NDArray<T>[] state) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var before = state.Select(a => a.Data.ToArray()).ToArray();
        Assert.ThrowsAny<ArgumentException>(call);
        for (int k = 0; k < state.Length; k++) Assert.Equal(before[k], state[k].Data);
    }

    private static NDArray<float>[] Everything(IEnumerable<Parameter<float>> ps) => [.. ps.SelectMany(p => new[] { p.Value, p.Grad })];

    [Fact]
    public void BatchNorm_backward_with_another_batch_norms_cache_adds_nothing_to_gamma_or_beta()
    {
        var rng = new Rng(1);
        var bn = new BatchNorm1d<float>(3);
        var other = new BatchNorm1d<float>(4);
        var (_, mine) = bn.Forward(rng.NormalArray<float>(0, 1, 5, 3));
        var (_, foreign) = other.Forward(rng.NormalArray<float>(0, 1, 5, 4));
        bn.Backward(rng.NormalArray<float>(0, 1, 5, 3), mine); // some gradient already there
        var state = Everything(bn.Parameters).Append(bn.RunningMean).Append(bn.RunningVar).ToArray();

        FailsWithoutChanges(() => bn.Backward(rng.NormalArray<float>(0, 1, 5, 4), foreign), state);
        // The shapes match but InvStd does not: before, γ's and β's gradients were added and then the multiply threw.
        var tampered = mine with { InvStd = NDArray.Zeros<float>(4) };
        FailsWithoutChanges(() => bn.Backward(rng.NormalArray<float>(0, 1, 5, 3), tampered), state);
        var dx = NDArray.Full(5f, 5, 3);
        FailsWithoutChanges(() => bn.BackwardInto(NDArray.Zeros<float>(5, 3), tampered, dx), [.. state, dx]);
        var y = NDArray.Full(5f, 5, 3);
        FailsWithoutChanges(() => bn.ForwardInto(rng.NormalArray<float>(0, 1, 5, 3), y, tampered), [.. state, y]);
        FailsWithoutChanges(() => bn.Forward(NDArray.Zeros<float>(1, 3)), state); // one value per channel in training
    }

    [Fact]
    public void ConvBn_and_residual_blocks_check_every_cache_before_any_unit_adds_a_gradient()
    {
        var rng = new Rng(2);
        var unit = new ConvBn<float>(2, 3, 3, 1, 1, rng, "conv", "bn");
        var (y, cache) = unit.Forward(rng.NormalArray<float>(0, 1, 2, 2, 5, 5));
        var otherUnit = new ConvBn<float>(2, 3, 3, 1, 1, rng, "conv", "bn");
        var (_, otherCache) = otherUnit.Forward(rng.NormalArray<float>(0, 1, 2, 2, 5, 5));
        // The batch-norm half fits (same channels), the conv half is another unit's: nothing may be added to γ, β.
        var mixed = new ConvBnCache<float>(otherCache.Conv, cache.Bn);
        FailsWithoutChanges(() => unit.Backward(NDArray.Full(1f, y.Shape), mixed), Everything(unit.Parameters));

        var block = new BasicBlock<float>(2, 4, 2, rng);
        var other = new BasicBlock<float>(2, 4, 2, rng);
        var x = rng.NormalArray<float>(0, 1, 2, 2, 6, 6);
        var (by, bc) = block.Forward(x);
        var (_, oc) = other.Forward(x);
        block.Backward(NDArray.Full(1f, by.Shape), bc);
        var state = Everything(block.Parameters);
        // Only the last unit's cache is foreign: before, the final units had already added their gradients.
        var spliced = bc with { Main = [bc.Main[0], oc.Main[1]] };
        FailsWithoutChanges(() => block.Backward(NDArray.Full(1f, by.Shape), spliced), state);
        var wrongShortcut = bc with { Shortcut = oc.Shortcut };
        FailsWithoutChanges(() => block.Backward(NDArray.Full(1f, by.Shape), wrongShortcut), state);
        FailsWithoutChanges(() => block.Backward(NDArray.Full(1f, 2, 4, 2, 2), bc), state);
    }

    [Fact]
    public void Layers_with_parameters_leave_their_gradients_alone_when_backward_fails()
    {
        var rng = new Rng(3);
        var linear = new LinearLayer<float>(4, 3, rng);
        var (_, lc) = linear.Forward(rng.NormalArray<float>(0, 1, 2, 4));
        FailsWithoutChanges(() => linear.Backward(NDArray.Zeros<float>(2, 4), lc), Everything(linear.Parameters));

        var conv = new Conv2dLayer<float>(1, 2, 3, rng);
        var (cy, cc) = conv.Forward(rng.NormalArray<float>(0, 1, 1, 1, 5, 5));
        FailsWithoutChanges(() => conv.Backward(NDArray.Zeros<float>(1, 2, 4, 4), cc), Everything(conv.Parameters));

        var prelu = new PReluLayer<float>(2);
        var (py, pc) = prelu.Forward(rng.NormalArray<float>(0, 1, 3, 2));
        FailsWithoutChanges(() => prelu.Backward(NDArray.Zeros<float>(2, 3), pc), Everything(prelu.Parameters));

        // The functional into-forms check before they clear or accumulate.
        var dw = NDArray.Full(2f, conv.Weight.Value.Shape);
        var dx = NDArray.Full(2f, 1, 1, 5, 5);
        FailsWithoutChanges(() => Conv2d.BackwardInto(NDArray.Zeros<float>(1, 2, 4, 4), cc.X, cc.W, dx, dw, null), dw, dx);
        var ldw = NDArray.Full(2f, 3, 4);
        FailsWithoutChanges(() => Linear.BackwardInto(NDArray.Zeros<float>(2, 3), lc.X, lc.W, null, ldw, NDArray.Zeros<float>(4), accumulate: true), ldw);
    }

    [Fact]
    public void Optimizers_penalties_clipping_schedulers_and_early_stopping_change_nothing_on_a_bad_call()
    {
        var p = new Parameter<float>("w", NDArray.From(new[] { 1f, -2f }));
        p.Grad.Span.Fill(0.5f);
        var state = new[] { p.Value, p.Grad };
        FailsWithoutChanges(() => Regularization.L1.Forward([p, null!], 0.1), state);
        FailsWithoutChanges(() => Regularization.L2.Backward(new Regularization.L2.Cache<float>([p, null!], 0.1)), state);
        FailsWithoutChanges(() => Regularization.L2.Backward(new Regularization.L2.Cache<float>([p], -1)), state);
        FailsWithoutChanges(() => GradientClipping.ClipGradNorm([p, null!], 0.1), state);
        FailsWithoutChanges(() => GradientClipping.ClipGradValue([p], double.NaN), state);

        var sgd = new Sgd<float>([p], lr: 0.1);
        var scheduler = new LrScheduler(sgd, new StepLR(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.Lr = -1);
        Assert.Equal(0.1, sgd.Lr);
        Assert.Equal(0, scheduler.Epoch);

        var stopping = new EarlyStopping<float>(2);
        Assert.Throws<ArgumentException>(() => stopping.Update(1.0, [p, null!]));
        Assert.Equal(0, stopping.Epochs);                 // the failed report was not counted …
        Assert.Equal(double.PositiveInfinity, stopping.BestLoss);
        Assert.True(stopping.Update(1.0, [p]));          // … so this is epoch 0
        Assert.Equal(0, stopping.BestEpoch);
    }

    [Fact]
    public void Mlp_fit_checks_everything_before_the_first_step()
    {
        var rng = new Rng(4);
        var mlp = new Mlp<float>([2, 3, 2], HiddenActivation.Relu, rng);
        var x = rng.NormalArray<float>(0, 1, 4, 2);
        var state = Everything(mlp.Parameters);
        FailsWithoutChanges(() => mlp.Fit(x, [0, 1, 0, 1], 2, 2, 0.1, rng, validationX: x, validationLabels: [0, 1, 0, 5]), state);
        FailsWithoutChanges(() => mlp.Fit(x, [0, 1, 0, 1], 2, 2, 0.1, rng, momentum: -1), state);
    }
}
