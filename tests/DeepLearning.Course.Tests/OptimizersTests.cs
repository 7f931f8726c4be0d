using DeepLearning.Scratch;
using TorchSharp;

namespace DeepLearning.Course.Tests;

public class OptimizersTests
{
    public static TheoryData<string, string> SurfaceCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string surface in new[] { "ravine", "saddle", "rosenbrock" })
            foreach (string optimizer in new[] { "momentum", "rmsprop", "adam" })
                data.Add(surface, optimizer);
        return data;
    }

    private static LossSurface Surface(string name) => name switch
    {
        "ravine" => LossSurface.Ravine(),
        "saddle" => LossSurface.Saddle(),
        _ => LossSurface.Rosenbrock(),
    };

    [Theory, MemberData(nameof(SurfaceCases))]
    public void Scratch_and_torch_trajectories_coincide(string surface, string optimizer)
    {
        var s = Surface(surface);
        double lr = surface == "rosenbrock" ? 1e-3 : 0.02;
        var spec = optimizer switch
        {
            "momentum" => OptimizerSpec.Sgd(lr, momentum: 0.9),
            "rmsprop" => OptimizerSpec.RmsProp(0.01),
            _ => OptimizerSpec.Adam(0.05),
        };
        var a = OptimizerExperiments.Trajectory(s, spec, steps: 60);
        var b = OptimizerExperiments.TorchTrajectory(s, spec, steps: 60);
        Assert.Equal(61, a.Points.Count);
        Assert.Equal(61, b.Points.Count);
        double diff = a.Points.Zip(b.Points).Max(p => Math.Max(Math.Abs(p.First.X - p.Second.X), Math.Abs(p.First.Y - p.Second.Y)));
        Assert.True(diff < 1e-9, $"max |Δ| = {diff}");
    }

    [Theory]
    [InlineData("ravine")]
    [InlineData("saddle")]
    [InlineData("rosenbrock")]
    public void Surface_gradients_equal_autograd(string name)
    {
        var s = Surface(name);
        var rng = new Rng(3);
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < 5; i++)
        {
            double x = rng.Uniform(-2, 2), y = rng.Uniform(-2, 2);
            var xt = torch.tensor(x, dtype: torch.ScalarType.Float64, requires_grad: true);
            var yt = torch.tensor(y, dtype: torch.ScalarType.Float64, requires_grad: true);
            var f = s.Value(xt, yt);
            f.backward();
            var (dx, dy) = s.Gradient(x, y);
            Assert.Equal(s.Value(x, y), f.item<double>(), 1e-10);
            Assert.Equal(dx, xt.grad!.item<double>(), 1e-9);
            Assert.Equal(dy, yt.grad!.item<double>(), 1e-9);
        }
    }

    [Fact]
    public void On_the_ravine_momentum_beats_plain_sgd()
    {
        var race = OptimizerExperiments.Race(LossSurface.Ravine());
        var (sgd, momentum, nesterov, rmsprop, adam) = (race[0], race[1], race[2], race[3], race[4]);
        Assert.StartsWith("SGD(lr=0.02)", sgd.Optimizer);
        Assert.NotNull(sgd.StepsToThreshold);
        Assert.True(momentum.StepsToThreshold < sgd.StepsToThreshold / 2, $"momentum {momentum.StepsToThreshold} vs SGD {sgd.StepsToThreshold}");
        Assert.True(nesterov.StepsToThreshold <= momentum.StepsToThreshold);
        Assert.NotNull(rmsprop.StepsToThreshold);
        Assert.NotNull(adam.StepsToThreshold);
        Assert.Equal(301, sgd.Trajectory.Points.Count);
        Assert.Equal(LossSurface.Ravine().Start, (sgd.Trajectory.Points[0].X, sgd.Trajectory.Points[0].Y));
    }

    [Fact]
    public void On_rosenbrock_plain_sgd_is_still_in_the_valley_when_momentum_and_adam_arrive()
    {
        var race = OptimizerExperiments.Race(LossSurface.Rosenbrock());
        Assert.Null(race[0].StepsToThreshold);
        Assert.NotNull(race[1].StepsToThreshold);
        Assert.NotNull(race[4].StepsToThreshold);
        Assert.True(race[4].FinalDistance < 1e-3 && race[0].FinalDistance > 0.1, $"Adam {race[4].FinalDistance}, SGD {race[0].FinalDistance}");
    }

    [Fact]
    public void Plain_sgd_lingers_at_the_saddle_while_momentum_and_adaptive_methods_escape()
    {
        var race = OptimizerExperiments.SaddleEscape();
        Assert.Null(race[0].StepsToThreshold);
        Assert.True(race[0].FinalDistance < 1, $"SGD ended {race[0].FinalDistance} from the saddle");
        foreach (var e in race.Skip(1))
        {
            Assert.NotNull(e.StepsToThreshold);
            Assert.True(e.FinalDistance > 1, $"{e.Optimizer} ended {e.FinalDistance} from the saddle");
        }
        Assert.True(race[4].StepsToThreshold < race[1].StepsToThreshold, "Adam rescales the tiny gradient and leaves first");
    }

    [Fact]
    public void Grids_are_laid_out_for_contour_plots()
    {
        var s = LossSurface.Rosenbrock();
        var g = s.Grid(11);
        Assert.Equal(11, g.X.Length);
        Assert.Equal((11, 11), (g.Z.GetLength(0), g.Z.GetLength(1)));
        Assert.Equal(s.Value(g.X[3], g.Y[7]), g.Z[7, 3]);
        Assert.Equal(s.XRange.Min, g.X[0]);
        Assert.Equal(s.YRange.Max, g.Y[^1]);
        Assert.Equal(0, s.Value(1, 1));
    }

    [Fact]
    public void Surfaces_and_trajectories_reject_bad_arguments()
    {
        Assert.Equal("conditioning", Assert.Throws<ArgumentOutOfRangeException>(() => LossSurface.Ravine(0.5)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentOutOfRangeException>(() => LossSurface.Rosenbrock(b: 0)).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() =>
            OptimizerExperiments.Trajectory(LossSurface.Saddle(), OptimizerSpec.Sgd(0.1), steps: -1)).ParamName);
        Assert.Equal("optimizers", Assert.Throws<ArgumentException>(() => OptimizerExperiments.Race(LossSurface.Saddle(), [])).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => LossSurface.Saddle().Grid(1)).ParamName);
    }

    [Fact]
    public void Smaller_batches_make_more_progress_per_epoch_and_noisier_updates()
    {
        var runs = OptimizerExperiments.BatchSizes();
        var (batch, mini, stochastic) = (runs[0], runs[1], runs[2]);
        Assert.Equal(("batch (64)", "minibatch (8)", "stochastic (1)"), (batch.Name, mini.Name, stochastic.Name));
        Assert.Equal((20, 160, 1280), (batch.UpdateLoss.Length, mini.UpdateLoss.Length, stochastic.UpdateLoss.Length));
        Assert.Equal(21, batch.EpochLoss.Length);
        Assert.Equal(batch.EpochLoss[0], stochastic.EpochLoss[0]); // same initial model
        Assert.True(mini.EpochLoss[5] < batch.EpochLoss[5] / 5, $"after 5 epochs: minibatch {mini.EpochLoss[5]}, batch {batch.EpochLoss[5]}");
        // The full batch descends smoothly; single examples make the logged loss jump up and down.
        for (int i = 1; i < batch.UpdateLoss.Length; i++) Assert.True(batch.UpdateLoss[i] < batch.UpdateLoss[i - 1]);
        int ups = Enumerable.Range(1, stochastic.UpdateLoss.Length - 1).Count(i => stochastic.UpdateLoss[i] > stochastic.UpdateLoss[i - 1]);
        Assert.True(ups > stochastic.UpdateLoss.Length / 4, $"stochastic loss rose at only {ups} updates");
    }

    [Fact]
    public void Batch_sizes_must_fit_the_data()
    {
        var ex = Assert.Throws<ArgumentException>(() => OptimizerExperiments.BatchSizes([0, 8]));
        Assert.Equal("batchSizes", ex.ParamName);
        Assert.Contains("[0, 8]", ex.Message);
        Assert.Equal("batchSizes", Assert.Throws<ArgumentException>(() => OptimizerExperiments.BatchSizes([65])).ParamName);
    }

    [Fact]
    public void Optimizer_calls_leave_no_tensors_behind()
    {
        AssertNoLeak("Parity.Optimizer", () => Parity.Optimizer(OptimizerSpec.Adam(0.01, amsgrad: true), steps: 3, schedule: new WarmupCosine(2, 3)));
        AssertNoLeak("Parity.Optimizer", () => Parity.Optimizer(OptimizerSpec.Sgd(0.1, momentum: 0.9), steps: 3, GradientSource.Random));
        AssertNoLeak("Parity.Schedule", () => Parity.Schedule(new StepLR(2), epochs: 5));
        AssertNoLeak("TorchTrajectory", () => OptimizerExperiments.TorchTrajectory(LossSurface.Rosenbrock(), OptimizerSpec.RmsProp(momentum: 0.5), steps: 3));
        AssertNoLeak("BatchSizes", () => OptimizerExperiments.BatchSizes([8], n: 8, epochs: 1));
    }

    // Runs once to warm up lazy state, then checks that a second run leaves no live tensor on this thread.
    private static void AssertNoLeak(string what, Action action)
    {
        action();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        action();
        Assert.True(before == DisposeScopeManager.Statistics.ThreadTotalLiveCount,
            $"{what} left {DisposeScopeManager.Statistics.ThreadTotalLiveCount - before} tensors alive");
    }
}
