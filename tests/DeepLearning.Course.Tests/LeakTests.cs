using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course.Tests;

/// <summary>
/// No native tensor leaks (issue 17): after <see cref="Trainer.Fit"/> and after each family of experiment helpers,
/// TorchSharp's count of tensors alive on this thread is back where it started. A leaked tensor holds native memory
/// the GC does not see, so a notebook that calls a leaking helper in a loop grows until it is killed. Each helper runs
/// once to warm up lazy state (cached data sets, a parameter's first .grad), then again between the two counts.
/// </summary>
public class LeakTests
{
    [Fact]
    public void Trainer_Fit_Evaluate_and_Predict_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        using var train = TrainTestData.Blobs(8, 1);
        using var val = TrainTestData.Blobs(4, 2);
        using var line = TrainTestData.Line(24, 3);
        using var model = TrainTestData.Mlp(2, 8, 3, 1);
        using var regressor = TrainTestData.Mlp(3, 8, 1, 2);
        var quiet = TrainTestData.Quiet with { Epochs = 3, BatchSize = 8 };
        leaks.Check("Fit (SGD)", () => Trainer.Fit(model, train, val, quiet with { Optimizer = Optim.Sgd(0.1, momentum: 0.9) }));
        leaks.Check("Fit (Adam, cosine, L1+L2, clipping, early stopping)", () => Trainer.Fit(model, train, val, quiet with
        {
            Optimizer = Optim.Adam(1e-2), Scheduler = Scheduler.Cosine(), L1 = 1e-4, L2 = 1e-3, ClipGradNorm = 1, ClipGradValue = 1,
            EarlyStopping = new EarlyStopping(Patience: 1),
        }));
        leaks.Check("Fit (RMSprop, on plateau)", () => Trainer.Fit(model, train, val, quiet with { Optimizer = Optim.RmsProp(), Scheduler = Scheduler.OnPlateau() }));
        leaks.Check("Fit (regression, AdamW, step)", () => Trainer.Fit(regressor, line, null, quiet with { Optimizer = Optim.AdamW(), Scheduler = Scheduler.Step(1) }));
        leaks.Check("Evaluate", () => Trainer.Evaluate(model, val));
        leaks.Check("PredictClasses", () => Trainer.PredictClasses(model, val.X));
        leaks.Check("Predict (disposed by the caller)", () => Trainer.Predict(model, val.X).Dispose());
        leaks.Check("LossOf", () => Trainer.LossOf(model, val, 1e-3, 1e-3));
        leaks.AssertNone();
    }

    [Fact]
    public void Backprop_helpers_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        leaks.Check("CheckAutograd", () => BackpropLab.CheckAutograd());
        leaks.Check("CheckByHand", () => BackpropLab.CheckByHand(activation: HiddenActivation.Tanh));
        leaks.Check("EmpiricalVsTrueRisk", () => BackpropLab.EmpiricalVsTrueRisk([8, 16], hidden: 4, steps: 5, freshSamples: 100));
        leaks.Check("Parity.Backprop", () => Parity.Backprop());
        leaks.Check("Parity.ScalarAutograd", () => Parity.ScalarAutograd());
        leaks.AssertNone();
    }

    [Fact]
    public void Batch_norm_helpers_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        leaks.Check("PreActivationStatistics", () => BatchNormLab.PreActivationStatistics(depth: 2, width: 8, epochs: 1));
        leaks.Check("TrainVsEval", () => BatchNormLab.TrainVsEval(depth: 2, width: 8, epochs: 1));
        leaks.Check("LearningRateSweep", () => BatchNormLab.LearningRateSweep([0.1], depth: 2, width: 8, epochs: 1));
        leaks.Check("Parity.BatchNorm1d", () => Parity.BatchNorm1d());
        leaks.Check("Parity.BatchNorm2d", () => Parity.BatchNorm2d());
        leaks.AssertNone();
    }

    [Fact]
    public void Cnn_helpers_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        var (train, test) = Splits.TrainTestSplit(Digits.Load8x8(), 0.2, new Rng(0));
        using var net = new LeNet5(8);
        leaks.Check("ParameterCounts", () => Cnn.ParameterCounts());
        leaks.Check("TranslationSensitivity", () => Cnn.TranslationSensitivity(net, test, count: 8));
        leaks.Check("Filters", () => Cnn.Filters(net));
        leaks.Check("FeatureMaps", () => Cnn.FeatureMaps(net, test, 0));
        leaks.Check("LinearProbe", () => Cnn.LinearProbe(net, test, test, epochs: 1));
        leaks.Check("PixelProbe", () => Cnn.PixelProbe(train, test, epochs: 1));
        leaks.Check("FeatureExtractor", () => Cnn.FeatureExtractor(epochs: 1));
        leaks.Check("Parity.Conv2d", () => Parity.Conv2d());
        leaks.Check("Parity.MaxPool2d", () => Parity.MaxPool2d());
        leaks.Check("Parity.ConvReluPool", () => Parity.ConvReluPool());
        leaks.Check("Parity.AvgPool2d", () => Parity.AvgPool2d());
        leaks.AssertNone();
    }

    [Fact]
    public void Init_helpers_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        leaks.Check("CompareWithScratch", () => InitLab.CompareWithScratch(32, 64));
        leaks.Check("Symmetry", () => InitLab.Symmetry(constantInit: true, hidden: 4, steps: 3));
        leaks.Check("SignalThroughDepth", () => InitLab.SignalThroughDepth(InitScheme.KaimingNormal, depth: 3, width: 8, batch: 4, nets: 2));
        leaks.Check("TrainDeep", () => InitLab.TrainDeep(InitScheme.KaimingNormal, depth: 3, width: 8, epochs: 1));
        leaks.Check("GradientClipping", () => InitLab.GradientClipping(depth: 3, width: 8, batch: 4));
        leaks.Check("Parity.Init", () => Parity.Init());
        leaks.AssertNone();
    }

    [Fact]
    public void Mlp_helpers_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        leaks.Check("ThreeWays", () => MlpTopic.ThreeWays(batch: 4));
        leaks.Check("XorSineData + XorSineAccuracy", () =>
        {
            var data = MlpTopic.XorSineData(train: 16, test: 16);
            using var model = new XorSineNet();
            MlpTopic.XorSineAccuracy(model, data.XTest, data.YTest);
            foreach (var t in (Tensor[])[data.XTrain, data.YTrain, data.XTest, data.YTest]) t.Dispose();   // the caller's to dispose
        });
        leaks.Check("Parity.Mlp", () => Parity.Mlp());
        leaks.AssertNone();
    }

    [Fact]
    public void Optimizer_helpers_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        var surface = LossSurface.Rosenbrock();
        leaks.Check("TorchTrajectory", () => OptimizerExperiments.TorchTrajectory(surface, OptimizerSpec.Adam(0.01), steps: 5));
        leaks.Check("Race", () => OptimizerExperiments.Race(surface, steps: 5));
        leaks.Check("SaddleEscape", () => OptimizerExperiments.SaddleEscape(steps: 5));
        leaks.Check("ScheduleCurve", () => OptimizerExperiments.ScheduleCurve(new CosineAnnealingLR(10), epochs: 5));
        leaks.Check("BatchSizes", () => OptimizerExperiments.BatchSizes([8], n: 16, epochs: 2));
        leaks.Check("Parity.Optimizer", () => Parity.Optimizer(OptimizerSpec.Adam(0.01), steps: 3));
        leaks.Check("Parity.Optimizer (momentum, schedule)", () => Parity.Optimizer(OptimizerSpec.Sgd(0.1, momentum: 0.9), steps: 3, schedule: new CosineAnnealingLR(3)));
        leaks.Check("Parity.Schedule", () => Parity.Schedule(new CosineAnnealingLR(10), epochs: 5));
        leaks.AssertNone();
    }

    [Fact]
    public void Residual_helpers_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        leaks.Check("GradientNormsAtInit", () => Residual.GradientNormsAtInit([1, 2], width: 4, batch: 4));
        leaks.Check("GradientNormsByLayer", () => Residual.GradientNormsByLayer(2, width: 4, batch: 4));
        leaks.Check("TrainingComparison", () => Residual.TrainingComparison(1, width: 4, epochs: 1));
        leaks.Check("Parity.BasicBlock", () => Parity.BasicBlock());
        leaks.Check("Parity.Bottleneck", () => Parity.Bottleneck());
        leaks.AssertNone();
    }

    [Fact]
    public void Sequence_and_activation_training_helpers_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        leaks.Check("GradientOverTime", () => Sequences.GradientOverTime(0.5, steps: 5, hidden: 4, batch: 2));
        leaks.Check("MemoryTask", () => Sequences.MemoryTask(count: 8, length: 4).Dispose());
        leaks.Check("SequenceClassifier", () =>
        {
            using var data = Sequences.MemoryTask(count: 8, length: 4);
            using var model = new SequenceClassifier("LSTM", features: 1, hidden: 4, classes: 2);
            Trainer.Fit(model, data, null, TrainTestData.Quiet with { Epochs = 1, BatchSize = 4 });
        });
        leaks.Check("Parity.Rnn", () => Parity.Rnn());
        leaks.Check("Parity.ScaledDotProductAttention", () => Parity.ScaledDotProductAttention());
        leaks.Check("DyingReluPerEpoch", () => ActivationExperiments.DyingReluPerEpoch(0.1, epochs: 1, hidden: 4, n: 32));
        leaks.AssertNone();
    }

    [Fact]
    public void Assessment_and_diagnostics_helpers_leave_no_tensor_alive()
    {
        var leaks = new Leaks();
        using var data = TrainTestData.Blobs(8, 1);
        using var model = TrainTestData.Mlp(2, 8, 3, 1);
        using var optimizer = optim.SGD(model.parameters(), 0.01);
        leaks.Check("Diagnostics.Activations", () => Diagnostics.Activations(model, data.X));
        leaks.Check("Diagnostics.Gradients", () => Diagnostics.Gradients(model, data.X, data.Y));
        leaks.Check("Diagnostics.UpdateRatios", () => Diagnostics.UpdateRatios(model, optimizer, data.X, data.Y));
        leaks.Check("Diagnostics.Weights", () => Diagnostics.Weights(model));
        leaks.Check("Assessment.AssignmentData", () =>
        {
            var (train, validation) = Assessment.AssignmentData();
            train.Dispose();
            validation.Dispose();
        });
        leaks.AssertNone();
    }

    // Runs each helper once to warm up lazy state, then again between two counts of the live tensors on this thread;
    // collects every leak of a family, so one run names them all.
    private sealed class Leaks
    {
        private readonly List<string> _found = [];

        public void Check(string what, Action action)
        {
            action();
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            action();
            long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            if (after != before) _found.Add($"{what} left {after - before} tensors alive");
        }

        public void AssertNone() => Assert.True(_found.Count == 0, string.Join("; ", _found));
    }
}
