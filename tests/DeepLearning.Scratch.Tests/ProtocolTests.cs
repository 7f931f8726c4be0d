using System.Reflection;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// The one rule of the scratch half (src/DeepLearning.Scratch/README.md), checked over the whole library by reflection
/// and on the pieces that carry it: Backward(dOut, cache) everywhere, parameters accumulating into Parameter.Grad,
/// modes as Train()/Eval() state, softmax along any dim.
/// </summary>
public class ProtocolTests
{
    private static IEnumerable<MethodInfo> PublicMethods(string name) =>
        typeof(NDArray).Assembly.GetTypes()
            .Where(t => t.IsPublic || t.IsNestedPublic)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.Name == name);

    [Fact]
    public void Every_backward_takes_dOut_first_and_the_cache_second()
    {
        var methods = PublicMethods("Backward").ToList();
        Assert.True(methods.Count > 40, $"only {methods.Count} Backward methods found");
        foreach (var m in methods)
        {
            var ps = m.GetParameters();
            string where = $"{m.DeclaringType!.FullName}.{m.Name}({string.Join(", ", ps.Select(p => p.Name))})";
            if (ps.Length == 0)
            {
                Assert.Equal(typeof(Value), m.DeclaringType); // the scalar autograd: the root's dOut is 1
                continue;
            }
            if (ps.Length == 1)
            {
                // A loss's (or penalty's) Backward(cache): dOut = 1.
                Assert.Contains("Cache", ps[0].ParameterType.Name);
                continue;
            }
            // (dOut, cache) first; a piece may take more only as optional extras after them (the RNN's dHidden, the
            // gradient into its last hidden state from outside the sequence).
            Assert.True(ps.Length == 2 || ps.Skip(2).All(p => p.IsOptional), where);
            Assert.True(string.Equals(ps[0].Name, "dout", StringComparison.OrdinalIgnoreCase), where);
            Assert.Equal("cache", ps[1].Name);
            Assert.Contains("Cache", ps[1].ParameterType.Name);
        }
    }

    [Fact]
    public void Every_into_backward_takes_dOut_first()
    {
        foreach (var m in PublicMethods("BackwardInto"))
        {
            var first = m.GetParameters()[0].Name!;
            // The fused softmax cross-entropy's into-form starts from its probabilities: its dOut is the mean's 1.
            if (m.DeclaringType == typeof(Losses.CrossEntropy)) continue;
            Assert.True(string.Equals(first, "dout", StringComparison.OrdinalIgnoreCase), $"{m.DeclaringType!.Name}.BackwardInto({first}, …)");
        }
    }

    [Fact]
    public void No_public_method_takes_a_mode_as_a_bool()
    {
        var offenders = typeof(NDArray).Assembly.GetTypes()
            .Where(t => t.IsPublic || t.IsNestedPublic)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Cast<MethodBase>().Concat(t.GetConstructors()))
            .SelectMany(m => m.GetParameters().Select(p => (m, p)))
            .Where(x => x.p.ParameterType == typeof(bool) && x.p.Name is "train" or "training" or "eval")
            .Select(x => $"{x.m.DeclaringType!.Name}.{x.m.Name}({x.p.Name})")
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void Layers_with_parameters_accumulate_into_Grad_and_ZeroGrad_clears()
    {
        var rng = new Rng(1);
        var x = rng.NormalArray<double>(0, 1, 2, 3, 6, 6);
        var conv = new Conv2dLayer<double>(3, 4, 3, rng, stride: 2, padding: 1);
        var (y, cache) = conv.Forward(x);
        var (yF, cacheF) = Conv2d.Forward(x, conv.Weight.Value, conv.Bias!.Value, 2, 1);
        Assert.Equal(yF.Data, y.Data); // the layer is the functional form with its own weights
        var dout = rng.NormalArray<double>(0, 1, y.Shape);
        var dx = conv.Backward(dout, cache);
        var g = Conv2d.Backward(dout, cacheF);
        Close.Assert(g.Dx, dx, "dx");
        Close.Assert(g.Dw, conv.Weight.Grad, "dW");
        Close.Assert(g.Db!, conv.Bias.Grad, "db");
        conv.Backward(dout, cache);
        for (int i = 0; i < g.Dw.Length; i++) Assert.Equal(2 * g.Dw[i], conv.Weight.Grad[i], 12); // accumulated
        conv.ZeroGrad();
        Assert.All(conv.Parameters.SelectMany(p => p.Grad.Data), v => Assert.Equal(0.0, v));
        Assert.Equal(["conv.weight", "conv.bias"], conv.Parameters.Select(p => p.Name));
        var (_, foreignConv) = Conv2d.Forward(x, conv.Weight.Value.Clone(), conv.Bias.Value, 2, 1);
        Assert.Equal("cache", Assert.Throws<ArgumentException>(() => conv.Backward(dout, foreignConv)).ParamName); // not this layer's weights

        var linear = new LinearLayer<double>(4, 2, rng);
        var (z, lc) = linear.Forward(rng.NormalArray<double>(0, 1, 3, 4));
        linear.Backward(NDArray.Full(1.0, z.Shape), lc);
        Assert.Equal(3.0, linear.B!.Grad[0]);
        linear.ZeroGrad();
        Assert.Equal(0.0, linear.B.Grad[0]);
        var (_, foreign) = Linear.Forward(rng.NormalArray<double>(0, 1, 3, 4), linear.W.Value.Clone(), null);
        Assert.Equal("cache", Assert.Throws<ArgumentException>(() => linear.Backward(NDArray.Full(1.0, 3, 2), foreign)).ParamName);
    }

    [Fact]
    public void Batch_norm_modes_are_state_and_starting_gamma_beta_can_be_given()
    {
        var gamma = NDArray.From(new[] { 2.0, 0.5 });
        var beta = NDArray.From(new[] { 1.0, -1.0 });
        var bn = new BatchNorm1d<double>(2, gamma: gamma, beta: beta);
        gamma[0] = 99; // copied: the layer's γ is its own
        Assert.Equal([2.0, 0.5], bn.Gamma.Value.Data);
        Assert.Equal([1.0, -1.0], bn.Beta.Value.Data);
        Assert.True(bn.Training);

        var x = NDArray.From(new[] { 0.0, 10, 2, 30 }, 2, 2);
        var (y, cache) = bn.Forward(x);
        Assert.True(cache.Training);
        // Each column normalised to ±1 (eps aside), then scaled by γ and shifted by β.
        Assert.Equal(-2 + 1, y[0, 0], 3);
        Assert.Equal(0.5 - 1, y[1, 1], 3);
        var running = bn.RunningMean.Data.ToArray();

        Assert.Same(bn, bn.Eval());
        Assert.False(bn.Training);
        var (ye, ce) = bn.Forward(x);
        Assert.False(ce.Training);
        Assert.Equal(running, bn.RunningMean.Data); // eval leaves the running statistics alone
        Assert.NotEqual(y.Data, ye.Data);
        bn.Train();
        Assert.True(bn.Training);

        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => new BatchNorm1d<double>(3, gamma: gamma)).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentException>(() => new BatchNorm2d<float>(2, beta: NDArray.Zeros<float>(2, 1))).ParamName);
    }

    [Fact]
    public void Residual_blocks_switch_every_batch_norm_with_one_call()
    {
        var block = new BasicBlock<float>(2, 4, 2, new Rng(3));
        Assert.True(block.Training);
        block.Eval();
        Assert.All(block.Main.Append(block.Downsample!), u => Assert.False(u.Bn.Training));
        block.Train();
        Assert.All(block.Main.Append(block.Downsample!), u => Assert.True(u.Bn.Training));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-2)]
    public void Softmax_and_log_softmax_along_any_dim_equal_the_last_dim_of_the_permuted_array(int dim)
    {
        var x = new Rng(7).NormalArray<double>(0, 2, 3, 4, 5);
        int axis = dim < 0 ? dim + 3 : dim;
        int[] order = [.. Enumerable.Range(0, 3).Where(d => d != axis), axis]; // move dim to the end
        int[] back = new int[3];
        for (int k = 0; k < 3; k++) back[order[k]] = k;
        var dout = new Rng(8).NormalArray<double>(0, 1, 3, 4, 5);

        var (s, sc) = Activations.Softmax.Forward(x, dim);
        var (sl, slc) = Activations.Softmax.Forward(x.Permute(order));
        Close.Assert(sl.Permute(back), s, $"softmax dim {dim}");
        Close.Assert(Activations.Softmax.Backward(dout.Permute(order), slc).Permute(back), Activations.Softmax.Backward(dout, sc), "softmax dx");

        var (l, lc) = Activations.LogSoftmax.Forward(x, dim);
        var (ll, llc) = Activations.LogSoftmax.Forward(x.Permute(order));
        Close.Assert(ll.Permute(back), l, $"log-softmax dim {dim}");
        Close.Assert(Activations.LogSoftmax.Backward(dout.Permute(order), llc).Permute(back), Activations.LogSoftmax.Backward(dout, lc), "log-softmax dx");

        var check = GradCheck.CheckOutput(() => Activations.LogSoftmax.Forward(x, dim).Out, x, dout, Activations.LogSoftmax.Backward(dout, lc));
        Assert.True(check.Passed(), check.ToString());
        Assert.Equal("dim", Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Softmax.Forward(x, 3)).ParamName);
    }

    [Fact]
    public void Loss_backward_takes_dOut_first_and_defaults_it_to_one()
    {
        var x = NDArray.From(new[] { 1.0, 2.0 });
        var (_, cache) = Losses.Mse.Forward(x, NDArray.Zeros<double>(2));
        Assert.Equal([1.0, 2.0], Losses.Mse.Backward(cache).Data);
        Assert.Equal([3.0, 6.0], Losses.Mse.Backward(3.0, cache).Data);
        Assert.Equal([3.0, 6.0], Losses.Mse.Backward(NDArray.Scalar(3.0), cache).Data);

        var p = new Parameter<double>("w", NDArray.From(new[] { -2.0, 0.0, 3.0 }));
        var (penalty, pc) = Regularization.L1.Forward([p], 0.5);
        Assert.Equal(2.5, penalty);
        Regularization.L1.Backward(2.0, pc);
        Assert.Equal([-1.0, 0.0, 1.0], p.Grad.Data);
    }
}
