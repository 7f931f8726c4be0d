using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course.Tests;

/// <summary>Small data and models for the trainer tests (fast: each test trains for well under a second).</summary>
internal static class TrainTestData
{
    // Three Gaussian blobs in the plane, labelled by blob.
    public static TrainData Blobs(int perClass, ulong seed, string name = "blobs")
    {
        var rng = new Rng(seed);
        double[][] centres = [[0, 3], [3, -2], [-3, -2]];
        var x = new NDArray<float>([3 * perClass, 2]);
        int[] labels = new int[3 * perClass];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = i % 3;
            x[i, 0] = (float)rng.Normal(centres[labels[i]][0], 0.8);
            x[i, 1] = (float)rng.Normal(centres[labels[i]][1], 0.8);
        }
        return TrainData.From(new Dataset(name, x, labels, 3));
    }

    // y = x·[1, −2, 0.5] + 0.3 + noise.
    public static TrainData Line(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var x = rng.NormalArray<float>(0, 1, n, 3);
        var y = new NDArray<float>([n, 1]);
        for (int i = 0; i < n; i++) y[i, 0] = (float)(x[i, 0] - (2 * x[i, 1]) + (0.5 * x[i, 2]) + 0.3 + rng.Normal(0, 0.1));
        return TrainData.From(new RegressionSet("line", x, y));
    }

    public static nn.Module<Tensor, Tensor> Mlp(int inputs, int hidden, int outputs, long seed)
    {
        torch.manual_seed(seed);
        return nn.Sequential(("0", nn.Linear(inputs, hidden)), ("1", nn.ReLU()), ("2", nn.Linear(hidden, outputs)));
    }

    public static float[][] Weights(nn.Module model) => [.. model.parameters().Select(p => p.ToNDArray().Data)];

    public static TrainOptions Quiet => new() { Progress = Progress.None };
}

public class TrainingTests
{
    [Fact]
    public void Fit_learns_blobs_and_records_every_epoch()
    {
        using var train = TrainTestData.Blobs(50, 1);
        using var val = TrainTestData.Blobs(20, 2);
        using var model = TrainTestData.Mlp(2, 16, 3, 3);
        var history = Trainer.Fit(model, train, val, TrainTestData.Quiet with { Epochs = 12, BatchSize = 16, Optimizer = Optim.Sgd(0.05, momentum: 0.9) });

        Assert.Equal(Enumerable.Range(1, 12), history.Epochs.Select(e => e.Epoch));
        Assert.True(history.Last.TrainLoss < history.Epochs[0].TrainLoss / 3, $"loss {history.Epochs[0].TrainLoss} → {history.Last.TrainLoss}");
        Assert.True(history.Last.ValidationAccuracy >= 0.95, history.ToString());
        Assert.Equal(StopReason.Completed, history.StopReason);
        Assert.False(history.StoppedEarly);
        Assert.False(model.training);   // Fit leaves the model in eval mode
        var evaluation = Trainer.Evaluate(model, val);
        Assert.Equal(history.Last.ValidationLoss!.Value, evaluation.Loss, 1e-6);
        Assert.Equal(history.Last.ValidationAccuracy, evaluation.Accuracy);
        Assert.Equal(evaluation.Accuracy!.Value, Trainer.PredictClasses(model, val.X).Zip(val.Y.ToInts()).Count(p => p.First == p.Second) / (double)val.Count);
        Assert.All(history.Epochs, e => Assert.Equal(0.05, e.LearningRate));
        Assert.All(history.Epochs, e => Assert.True(e.GradNorm > 0 && e.Seconds >= 0));
    }

    [Fact]
    public void DataLoader_visits_every_example_once_per_epoch_in_a_new_seeded_order()
    {
        using var x = torch.arange(10, dtype: ScalarType.Float32).reshape(10, 1);
        using var y = torch.zeros(10, dtype: ScalarType.Int64);
        using var data = TrainData.Classification(x, y, 1);
        static List<long[]> Epochs(TrainData d, int seed)
        {
            using var loader = d.ToDataLoader(batchSize: 4, shuffle: true, seed: seed);
            var epochs = new List<long[]>();
            for (int e = 0; e < 2; e++)
            {
                var order = new List<long>();
                foreach (var batch in loader)
                {
                    Assert.True(batch[0].shape[0] <= 4);
                    order.AddRange(batch[0].reshape(-1).ToInts().Select(v => (long)v));
                }
                epochs.Add([.. order]);
            }
            return epochs;
        }
        var first = Epochs(data, 7);
        Assert.All(first, order => Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), order.Order()));
        Assert.NotEqual(first[0], first[1]);                 // reshuffled every epoch
        Assert.Equal(first, Epochs(data, 7));                // the same seed gives the same orders
        Assert.NotEqual(first[0], Epochs(data, 8)[0]);
    }

    [Fact]
    public void Split_is_stratified_seeded_and_the_same_as_the_scratch_split()
    {
        var set = Synthetic.Spirals(60, 3, 0.1, new Rng(3));
        using var data = TrainData.From(set);
        var (train, val) = data.Split(0.25, seed: 11);
        using (train)
        using (val)
        {
            var (scratchTrain, scratchTest) = Splits.TrainTestSplit(set, 0.25, new Rng(11));
            Assert.Equal(scratchTrain.X.Data, train.X.ToNDArray().Data);
            Assert.Equal(scratchTest.X.Data, val.X.ToNDArray().Data);
            Assert.Equal(scratchTest.Labels, val.Y.ToInts());
            Assert.Equal(set.ClassCounts().Select(c => c / 4), val.Y.ToInts().CountBy(k => k).OrderBy(p => p.Key).Select(p => p.Value));
        }
    }

    [Fact]
    public void Bad_data_is_rejected_with_the_argument_and_shapes_named()
    {
        using var x = torch.zeros(10, 2);
        using var short_ = torch.zeros(8, dtype: ScalarType.Int64);
        var mismatch = Assert.Throws<ArgumentException>(() => TrainData.Classification(x, short_));
        Assert.Equal("labels", mismatch.ParamName);
        Assert.Contains("[10, 2]", mismatch.Message);
        Assert.Contains("[8]", mismatch.Message);

        using var five = torch.tensor(new long[] { 0, 1, 2, 5, 0, 1, 2, 0, 1, 2 });
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => TrainData.Classification(x, five, classes: 3));
        Assert.Equal("labels", range.ParamName);
        Assert.Contains("5", range.Message);
        Assert.Contains("[0, 3)", range.Message);

        using var negative = torch.tensor(new long[] { 0, 1, 2, -1, 0, 1, 2, 0, 1, 2 });
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => TrainData.Classification(x, negative)).ParamName);

        using var two = torch.full(10, 2.0f);
        var binary = Assert.Throws<ArgumentOutOfRangeException>(() => TrainData.Binary(x, two));
        Assert.Equal("targets", binary.ParamName);
        Assert.Contains("[2, 2]", binary.Message);

        using var ints = torch.zeros(10, dtype: ScalarType.Int64);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => TrainData.Regression(x, ints)).ParamName);
        using var floats = torch.zeros(10);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => TrainData.Classification(x, floats)).ParamName);
    }

    public static TheoryData<string, TrainOptions, string, string> BadOptions => new()
    {
        { "epochs 0", TrainTestData.Quiet with { Epochs = 0 }, "Epochs", "0" },
        { "batch 0", TrainTestData.Quiet with { BatchSize = 0 }, "BatchSize", "0" },
        { "batch -3", TrainTestData.Quiet with { BatchSize = -3 }, "BatchSize", "-3" },
        { "lr 0 via with", TrainTestData.Quiet with { Optimizer = Optim.Sgd(0.1) with { LearningRate = 0 } }, "Optimizer.LearningRate", "0" },
        { "lr NaN via with", TrainTestData.Quiet with { Optimizer = Optim.Adam() with { LearningRate = double.NaN } }, "Optimizer.LearningRate", "NaN" },
        { "L2 NaN", TrainTestData.Quiet with { L2 = double.NaN }, "L2", "NaN" },
        { "L1 negative", TrainTestData.Quiet with { L1 = -0.5 }, "L1", "-0.5" },
        { "clip norm 0", TrainTestData.Quiet with { ClipGradNorm = 0 }, "ClipGradNorm", "0" },
        { "clip value -1", TrainTestData.Quiet with { ClipGradValue = -1 }, "ClipGradValue", "-1" },
        { "patience -1", TrainTestData.Quiet with { EarlyStopping = new EarlyStopping(-1) }, "Patience", "-1" },
        { "min delta NaN", TrainTestData.Quiet with { EarlyStopping = new EarlyStopping(2, double.NaN) }, "MinDelta", "NaN" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_hyperparameters_throw_before_training(string _, TrainOptions options, string param, string value)
    {
        using var train = TrainTestData.Blobs(5, 1);
        using var model = TrainTestData.Mlp(2, 4, 3, 1);
        var before = TrainTestData.Weights(model);
        var ex = Assert.ThrowsAny<ArgumentException>(() => Trainer.Fit(model, train, null, options));
        Assert.Equal(param, ex.ParamName);
        Assert.Contains(value, ex.Message);
        Assert.Equal(before, TrainTestData.Weights(model));
    }

    [Fact]
    public void Optimizer_and_schedule_factories_check_their_arguments()
    {
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => Optim.Sgd(0)).ParamName);
        Assert.Contains("NaN", Assert.Throws<ArgumentOutOfRangeException>(() => Optim.Sgd(double.NaN)).Message);
        Assert.Contains("-0.001", Assert.Throws<ArgumentOutOfRangeException>(() => Optim.Adam(-1e-3)).Message);
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => Optim.Adam(beta1: 1)).ParamName);
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => Optim.Sgd(0.1, nesterov: true)).ParamName);
        Assert.Equal("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => Scheduler.Step(0)).ParamName);
        Assert.Equal("milestones", Assert.Throws<ArgumentException>(() => Scheduler.MultiStep([5, 3])).ParamName);
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => Scheduler.OnPlateau(factor: 1)).ParamName);
        Assert.Equal("SGD(lr=0.1, momentum=0.9)", Optim.Sgd(0.1, momentum: 0.9).Name);
    }

    [Fact]
    public void Data_that_does_not_fit_the_model_is_rejected_with_both_shapes()
    {
        using var train = TrainTestData.Blobs(5, 1);
        using var wide = TrainTestData.Mlp(5, 4, 3, 1);
        var features = Assert.Throws<ArgumentException>(() => Trainer.Fit(wide, train, null, TrainTestData.Quiet));
        Assert.Equal("train", features.ParamName);
        Assert.Contains("0 (Linear)", features.Message);
        Assert.Contains("[4, 5]", features.Message);
        Assert.Contains("[2]", features.Message);

        using var conv = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("flat", nn.Flatten()), ("fc", nn.Linear(2, 3)));
        var images = Assert.Throws<ArgumentException>(() => Trainer.Fit(conv, train, null, TrainTestData.Quiet));
        Assert.Contains("[N, 1, H, W]", images.Message);
        Assert.Contains("AsImages", images.Message);

        using var narrow = TrainTestData.Mlp(2, 4, 2, 1);   // three classes, two logits
        var labels = Assert.Throws<ArgumentException>(() => Trainer.Fit(narrow, train, null, TrainTestData.Quiet));
        Assert.Equal("train", labels.ParamName);
        Assert.Contains("3 classes", labels.Message);
        Assert.Contains("2 logits", labels.Message);

        using var line = TrainTestData.Line(8, 1);
        using var twoOutputs = TrainTestData.Mlp(3, 4, 2, 1);
        var regression = Assert.Throws<ArgumentException>(() => Trainer.Fit(twoOutputs, line, null, TrainTestData.Quiet));
        Assert.Contains("[8, 1]", regression.Message);
        Assert.Contains("broadcast", regression.Message);

        using var other = TrainTestData.Line(4, 2);
        using var model = TrainTestData.Mlp(2, 4, 3, 1);
        Assert.Equal("validation", Assert.Throws<ArgumentException>(() => Trainer.Fit(model, train, other, TrainTestData.Quiet)).ParamName);
        var noValidation = Assert.Throws<ArgumentException>(() => Trainer.Fit(model, train, null, TrainTestData.Quiet with { EarlyStopping = new EarlyStopping(2, Monitor: MonitorMetric.ValidationLoss) }));
        Assert.Equal("validation", noValidation.ParamName);
    }

    [Fact]
    public void Binary_and_regression_tasks_train_with_their_losses()
    {
        var moons = Synthetic.TwoMoons(200, 0.1, new Rng(5));
        using var binary = TrainData.From(moons, binary: true);
        Assert.Equal([200L, 1], binary.Y.shape);
        using var net = TrainTestData.Mlp(2, 16, 1, 2);
        var h = Trainer.Fit(net, binary, null, TrainTestData.Quiet with { Epochs = 30, BatchSize = 20, Optimizer = Optim.Adam(0.02) });
        Assert.True(h.Last.TrainAccuracy > 0.9, h.ToString());
        Assert.Equal(h.Last.TrainAccuracy, h.AccuracyCurve().Train[^1]);

        using var twoLogits = TrainTestData.Mlp(2, 4, 2, 2);
        Assert.Contains("cross-entropy", Assert.Throws<ArgumentException>(() => Trainer.Fit(twoLogits, binary, null, TrainTestData.Quiet)).Message);

        using var line = TrainTestData.Line(64, 3);
        using var linear = nn.Sequential(("0", nn.Linear(3, 1)));
        var r = Trainer.Fit(linear, line, null, TrainTestData.Quiet with { Epochs = 40, BatchSize = 16, Optimizer = Optim.Sgd(0.05) });
        Assert.Null(r.Last.TrainAccuracy);
        Assert.True(r.Last.TrainLoss < 0.05, r.ToString());
        Assert.Null(r.AccuracyCurve().Validation);
    }

    [Fact]
    public void Early_stopping_stops_after_patience_and_restores_the_best_weights()
    {
        // Validation labels are the training labels permuted, so validation loss rises once the model learns.
        using var train = TrainTestData.Blobs(30, 6);
        using var flipped = TrainData.Classification(train.X, (train.Y + 1).remainder(3), 3, "flipped");
        using var model = TrainTestData.Mlp(2, 16, 3, 7);
        var snapshots = new List<float[][]>();
        var options = TrainTestData.Quiet with
        {
            Epochs = 40, BatchSize = 16, Optimizer = Optim.Sgd(0.05, momentum: 0.9),
            EarlyStopping = new EarlyStopping(Patience: 3),
            OnEpochEnd = _ => snapshots.Add(TrainTestData.Weights(model)),
        };
        var h = Trainer.Fit(model, train, flipped, options);

        Assert.Equal(StopReason.EarlyStopping, h.StopReason);
        Assert.True(h.StoppedEarly);
        Assert.Equal(h.BestEpoch + 3, h.Epochs.Count);
        Assert.Equal(h.Epochs.Min(e => e.ValidationLoss), h.Best.ValidationLoss);
        Assert.True(h.RestoredBestWeights);
        Assert.NotEqual(snapshots[^1], snapshots[h.BestEpoch - 1]);
        Assert.Equal(snapshots[h.BestEpoch - 1], TrainTestData.Weights(model));   // exactly the best epoch's weights
        Assert.Contains("patience 3", h.StopDetail);
    }

    [Fact]
    public void Without_restore_the_last_weights_stay_and_min_delta_decides_what_improves()
    {
        using var train = TrainTestData.Blobs(20, 8);
        using var model = TrainTestData.Mlp(2, 8, 3, 8);
        var snapshots = new List<float[][]>();
        // No epoch beats the first by 10⁹: the first is best and training stops after 1 + patience epochs.
        var options = TrainTestData.Quiet with
        {
            Epochs = 20, Optimizer = Optim.Sgd(0.05),
            EarlyStopping = new EarlyStopping(Patience: 2, MinDelta: 1e9, RestoreBestWeights: false, Monitor: MonitorMetric.TrainLoss),
            OnEpochEnd = _ => snapshots.Add(TrainTestData.Weights(model)),
        };
        var h = Trainer.Fit(model, train, null, options);
        Assert.Equal(1, h.BestEpoch);
        Assert.Equal(3, h.Epochs.Count);
        Assert.False(h.RestoredBestWeights);
        Assert.Equal(snapshots[^1], TrainTestData.Weights(model));
        Assert.Equal(MonitorMetric.TrainLoss, h.Monitor);
    }

    [Fact]
    public void A_parameter_that_became_NaN_stops_training_naming_epoch_step_and_layer()
    {
        using var train = TrainTestData.Blobs(10, 1);
        using var model = TrainTestData.Mlp(2, 4, 3, 1);
        var options = TrainTestData.Quiet with
        {
            Epochs = 5, BatchSize = 10,
            OnEpochEnd = e =>
            {
                if (e.Epoch != 1) return;
                using var noGrad = torch.no_grad();
                model.named_parameters().Single(p => p.name == "2.weight").parameter[0, 0] = torch.tensor(float.NaN);
            },
        };
        var ex = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(model, train, null, options));
        Assert.Equal((2, 1, "2.weight", "2 (Linear)", "value"), (ex.Epoch, ex.Step, ex.Parameter, ex.Layer, ex.Quantity));
        Assert.Contains("epoch 2, step 1 of 3", ex.Message);
        Assert.Contains("'2.weight'", ex.Message);
        Assert.Contains("2 (Linear)", ex.Message);
        Assert.Single(ex.History.Epochs);

        using var again = TrainTestData.Mlp(2, 4, 3, 1);
        var stopped = Trainer.Fit(again, train, null, options with
        {
            ThrowOnDivergence = false,
            OnEpochEnd = e =>
            {
                using var noGrad = torch.no_grad();
                if (e.Epoch == 2) again.named_parameters().Single(p => p.name == "0.bias").parameter[1] = torch.tensor(float.PositiveInfinity);
            },
        });
        Assert.Equal(StopReason.Diverged, stopped.StopReason);
        Assert.Equal(2, stopped.Epochs.Count);
        Assert.Contains("epoch 3, step 1", stopped.StopDetail);
        Assert.Contains("'0.bias'", stopped.StopDetail);
    }

    // Forward is the identity (x + √0), but backward gives ∞ − ∞ = NaN: a finite loss with a NaN gradient.
    private sealed class NaNGradient : nn.Module<Tensor, Tensor>
    {
        public NaNGradient() : base(nameof(NaNGradient)) => RegisterComponents();

        public override Tensor forward(Tensor input) => input + torch.sqrt(input - input);
    }

    [Fact]
    public void A_NaN_gradient_with_a_finite_loss_is_caught_after_backward()
    {
        using var train = TrainTestData.Blobs(10, 1);
        torch.manual_seed(1);
        using var model = nn.Sequential(("0", nn.Linear(2, 4)), ("1", new NaNGradient()), ("2", nn.Linear(4, 3)));
        var ex = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(model, train, null, TrainTestData.Quiet with { BatchSize = 10 }));
        Assert.Equal((1, 1, "0.weight", "gradient"), (ex.Epoch, ex.Step, ex.Parameter, ex.Quantity));
        Assert.Contains("gradient of parameter '0.weight'", ex.Message);
        Assert.Empty(ex.History.Epochs);
    }

    [Fact]
    public void A_far_too_large_learning_rate_diverges_with_a_clear_message()
    {
        using var line = TrainTestData.Line(32, 4);
        using var model = TrainTestData.Mlp(3, 16, 1, 4);
        var ex = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(model, line, null, TrainTestData.Quiet with { Epochs = 50, BatchSize = 8, Optimizer = Optim.Sgd(50) }));
        Assert.NotNull(ex.Parameter);
        Assert.Contains("Training diverged at epoch", ex.Message);
        Assert.Contains("smaller learning rate", ex.Message);
    }

    public static TheoryData<string, Scheduler, Func<int, double>, LrSchedule?> Schedules => new()
    {
        { "step", Scheduler.Step(3, 0.5), e => 0.1 * Math.Pow(0.5, (e - 1) / 3), new StepLR(3, 0.5) },
        { "exponential", Scheduler.Exponential(0.8), e => 0.1 * Math.Pow(0.8, e - 1), new ExponentialLR(0.8) },
        { "cosine", Scheduler.Cosine(tMax: 6, etaMin: 0.01), e => 0.01 + (0.09 * (1 + Math.Cos(Math.PI * (e - 1) / 6)) / 2), new CosineAnnealingLR(6, 0.01) },
        { "linear warm-up", Scheduler.Linear(0.25, 1.0, 4), e => 0.1 * (0.25 + (0.75 * Math.Min(e - 1, 4) / 4)), new LinearLR(0.25, 1.0, 4) },
        { "multi-step", Scheduler.MultiStep([2, 5], 0.1), e => 0.1 * Math.Pow(0.1, (e > 2 ? 1 : 0) + (e > 5 ? 1 : 0)), null },
    };

    [Theory]
    [MemberData(nameof(Schedules))]
    public void The_learning_rate_of_every_epoch_follows_the_schedule(string _, Scheduler scheduler, Func<int, double> formula, LrSchedule? scratch)
    {
        using var train = TrainTestData.Blobs(4, 1);
        using var model = TrainTestData.Mlp(2, 4, 3, 1);
        var h = Trainer.Fit(model, train, null, TrainTestData.Quiet with { Epochs = 8, Optimizer = Optim.Sgd(0.1), Scheduler = scheduler });
        double[] lr = h.LearningRates();
        for (int e = 1; e <= 8; e++)
            Assert.Equal(formula(e), lr[e - 1], 1e-12);
        if (scratch is not null)
            Assert.Equal(scratch.Curve(0.1, 8), lr, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(scheduler.Name, h.Scheduler);
    }

    [Fact]
    public void Reduce_on_plateau_cuts_the_rate_after_patience_flat_epochs()
    {
        using var train = TrainTestData.Blobs(4, 1);
        using var val = TrainTestData.Blobs(4, 2);
        using var model = TrainTestData.Mlp(2, 4, 3, 1);
        // A learning rate of 1e-4 barely moves the validation loss: no epoch after the first improves it by the
        // threshold of 50 %, so after patience + 1 flat epochs the rate halves (torch's num_bad_epochs > patience).
        var h = Trainer.Fit(model, train, val, TrainTestData.Quiet with { Epochs = 6, Optimizer = Optim.Sgd(1e-4), Scheduler = Scheduler.OnPlateau(0.5, patience: 1, threshold: 0.5) });
        Assert.Equal(new[] { 1, 1, 1, 0.5, 0.5, 0.25 }.Select(f => f * 1e-4), h.LearningRates(), (a, b) => Math.Abs(a - b) < 1e-16);
    }

    [Fact]
    public void Clipping_by_norm_scales_the_update_to_the_maximum_norm()
    {
        using var line = TrainTestData.Line(16, 5);
        var full = TrainTestData.Quiet with { Epochs = 1, BatchSize = 16, Optimizer = Optim.Sgd(1.0) };
        float[] Step(TrainOptions options, out EpochRecord record)
        {
            using var model = TrainTestData.Mlp(3, 5, 1, 6);
            float[] before = [.. TrainTestData.Weights(model).SelectMany(w => w)];
            record = Trainer.Fit(model, line, null, options).Last;
            return [.. TrainTestData.Weights(model).SelectMany(w => w).Zip(before, (a, b) => a - b)];
        }
        float[] plain = Step(full, out var plainRecord);                       // Δw = −∇L
        float[] clipped = Step(full with { ClipGradNorm = 0.01 }, out var clippedRecord);
        double gradNorm = Math.Sqrt(plain.Sum(d => (double)d * d));
        Assert.Equal(plainRecord.GradNorm, gradNorm, 1e-4 * gradNorm);          // the recorded norm is before clipping
        Assert.Equal(plainRecord.GradNorm, clippedRecord.GradNorm, 1e-9);
        Assert.True(gradNorm > 0.1, $"the gradient norm {gradNorm} must exceed the clip for the test to mean anything");
        double coef = 0.01 / (gradNorm + 1e-6);                                 // torch's clip coefficient
        for (int i = 0; i < plain.Length; i++) Assert.Equal(coef * plain[i], clipped[i], 1e-7);
        Assert.Equal(0.01, Math.Sqrt(clipped.Sum(d => (double)d * d)), 1e-6);

        float[] byValue = Step(full with { ClipGradValue = 1e-3 }, out _);
        for (int i = 0; i < plain.Length; i++) Assert.Equal(Math.Clamp(plain[i], -1e-3f, 1e-3f), byValue[i], 1e-7);
    }

    [Fact]
    public void L1_and_L2_add_exactly_their_penalty_to_the_loss_and_its_gradient()
    {
        using var line = TrainTestData.Line(16, 7);
        const double l1 = 0.01, l2 = 0.1, lr = 0.1;
        nn.Module<Tensor, Tensor> Model()
        {
            torch.manual_seed(8);
            return nn.Sequential(("0", nn.Linear(3, 4)), ("1", nn.Tanh()), ("2", nn.Linear(4, 1)));
        }

        // The terms, computed by hand from the weights (not the biases).
        using var probe = Model();
        var weights = probe.named_parameters().Where(p => p.name.EndsWith("weight", StringComparison.Ordinal)).Select(p => p.parameter.ToNDArray64().Data).ToList();
        double expectedL1 = l1 * weights.Sum(w => w.Sum(Math.Abs)), expectedL2 = l2 / 2 * weights.Sum(w => w.Sum(v => v * v));
        var terms = Trainer.LossOf(probe, line.X, line.Y, TaskKind.Regression, l1, l2);
        var plainTerms = Trainer.LossOf(probe, line.X, line.Y, TaskKind.Regression);
        Assert.Equal(expectedL1, terms.L1, 1e-6);
        Assert.Equal(expectedL2, terms.L2, 1e-6);
        Assert.Equal(plainTerms.Data, terms.Data);
        Assert.Equal(terms.Data + expectedL1 + expectedL2, terms.Total, 1e-6);
        Assert.Equal(terms, Trainer.LossOf(probe, line, l1, l2));

        // One full-batch SGD step with and without the penalties: same data loss, penalty recorded, and the
        // weights differ by exactly −lr·(λ₁·sign(w) + λ₂·w); the biases are not penalised.
        var options = TrainTestData.Quiet with { Epochs = 1, BatchSize = 16, Optimizer = Optim.Sgd(lr) };
        using var plain = Model();
        using var penalised = Model();
        var w0 = plain.named_parameters().ToDictionary(p => p.name, p => p.parameter.ToNDArray().Data);
        var hPlain = Trainer.Fit(plain, line, null, options);
        var hPen = Trainer.Fit(penalised, line, null, options with { L1 = l1, L2 = l2 });
        Assert.Equal(hPlain.Last.TrainLoss, hPen.Last.TrainLoss, 1e-7);
        Assert.Equal(expectedL1 + expectedL2, hPen.Last.Penalty, 1e-6);
        Assert.Equal(0, hPlain.Last.Penalty);
        var a = plain.named_parameters().ToDictionary(p => p.name, p => p.parameter.ToNDArray().Data);
        var b = penalised.named_parameters().ToDictionary(p => p.name, p => p.parameter.ToNDArray().Data);
        foreach (var (name, w) in w0)
        {
            bool weight = name.EndsWith("weight", StringComparison.Ordinal);
            for (int i = 0; i < w.Length; i++)
            {
                double expected = weight ? -lr * ((l1 * Math.Sign(w[i])) + (l2 * w[i])) : 0;
                Assert.Equal(expected, b[name][i] - a[name][i], 1e-6);
            }
        }
    }

    [Fact]
    public void Standardizer_gives_zero_mean_unit_std_features_with_the_training_statistics()
    {
        var x = NDArray.From(new float[] { 1, 5, 2, 5, 3, 5, 6, 5 }, 4, 2);   // the second feature is constant
        using var data = TrainData.From(new Dataset("s", x, [0, 1, 0, 1], 2));
        using var z = Standardizer.Fit(data);
        using var scaled = z.Apply(data);
        var s = scaled.X.ToNDArray64();
        double mean = 3, std = Math.Sqrt(((4 + 1 + 0 + 9) / 4.0));   // population std, as StandardScaler
        Assert.Equal((1 - mean) / std, s[0, 0], 1e-6);
        Assert.Equal((6 - mean) / std, s[3, 0], 1e-6);
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(0, s[i, 1]));     // constant: divided by 1
        Assert.Equal(data.Y.ToInts(), scaled.Y.ToInts());
    }

    [Fact]
    public void RandomShift_moves_each_image_by_a_whole_number_of_pixels_within_the_limit()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.zeros(8, 1, 9, 9);
        for (int i = 0; i < 8; i++) images[i, 0, 4, 4] = torch.tensor(1f);   // one lit pixel in the middle of each image
        torch.manual_seed(3);
        var shifted = Augment.RandomShift(2)(images);
        Assert.Equal(images.shape, shifted.shape);
        var offsets = new HashSet<(long, long)>();
        for (int i = 0; i < 8; i++)
        {
            var lit = shifted[i, 0].nonzero();
            Assert.Equal(1, lit.shape[0]);                          // nothing lost, nothing smeared
            long r = lit[0, 0].ToInt64(), c = lit[0, 1].ToInt64();
            Assert.InRange(r, 2, 6);
            Assert.InRange(c, 2, 6);
            offsets.Add((r, c));
        }
        Assert.True(offsets.Count > 1, "every image gets its own shift");
        Assert.Contains("[N, C, H, W]", Assert.Throws<ArgumentException>(() => Augment.RandomShift(2)(torch.zeros(3, 4))).Message);
    }

    [Fact]
    public void History_shows_as_a_table_with_the_best_epoch_and_gives_curves()
    {
        using var train = TrainTestData.Blobs(10, 1);
        using var val = TrainTestData.Blobs(5, 2);
        using var model = TrainTestData.Mlp(2, 8, 3, 1);
        var h = Trainer.Fit(model, train, val, TrainTestData.Quiet with { Epochs = 20 });
        string html = h.ToHtml();
        Assert.StartsWith("<table class=\"course-history\">", html);
        Assert.Contains("font-weight:bold", html);
        Assert.Contains("…", html);                                // 20 epochs: the middle is elided
        Assert.Contains("val acc", html);
        Assert.Contains("← best", h.ToString());
        Assert.Contains($"best epoch {h.BestEpoch}", h.Summary());
        var loss = h.LossCurve();
        Assert.Equal(Enumerable.Range(1, 20), loss.Epochs);
        Assert.Equal(h.Epochs.Select(e => e.TrainLoss), loss.Train);
        Assert.Equal(h.Epochs.Select(e => e.ValidationLoss!.Value), loss.Validation!);
        Assert.Equal(h.BestEpoch, loss.BestEpoch);
        Assert.Equal(h.Epochs.MinBy(e => e.ValidationLoss)!.Epoch, h.BestEpoch);
    }

    [Fact]
    public void Live_tensor_count_stays_flat_over_100_epochs()
    {
        // Everything a step can do: augmentation-free Adam with a schedule, L1 + L2, clipping, validation and
        // early stopping that snapshots the best weights. Any tensor left alive per step or epoch would add up.
        using var train = TrainTestData.Blobs(8, 1);
        using var val = TrainTestData.Blobs(4, 2);
        using var model = TrainTestData.Mlp(2, 8, 3, 1);
        var live = new Dictionary<int, long>();
        var options = TrainTestData.Quiet with
        {
            Epochs = 100, BatchSize = 8, Optimizer = Optim.Adam(1e-3), Scheduler = Scheduler.Cosine(), L1 = 1e-4, L2 = 1e-3,
            ClipGradNorm = 1, EarlyStopping = new EarlyStopping(Patience: 1000),
            OnEpochEnd = e => live[e.Epoch] = DisposeScopeManager.Statistics.ThreadTotalLiveCount,
        };
        var h = Trainer.Fit(model, train, val, options);
        Assert.Equal(100, h.Epochs.Count);
        Assert.True(h.BestEpoch > 10, $"the best weights should be re-snapshotted after epoch 10 (best epoch {h.BestEpoch})");
        Assert.Equal(live[10], live[100]);
        Assert.Equal(live[50], live[100]);

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++)
        {
            Trainer.Evaluate(model, val);
            Trainer.LossOf(model, val.X, val.Y, TaskKind.Classification, 1e-3, 1e-3);
            Trainer.PredictClasses(model, val.X);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}

/// <summary>Tests that change process-wide state (Console.Out, COURSE_DATA) run alone, after the parallel ones.</summary>
[CollectionDefinition("Training serial", DisableParallelization = true)]
public class TrainingSerialGroup;

[Collection("Training serial")]
public class TrainingSerialTests
{
    // torch's generator is global: a test on another thread drawing from it between our manual_seed and our
    // initialisation would change the run, so this one runs alone.
    [Fact]
    public void Same_seed_gives_the_same_history_and_weights()
    {
        using var train = TrainTestData.Blobs(20, 4);
        (double[] Losses, float[][] Weights) Run()
        {
            using var model = TrainTestData.Mlp(2, 8, 3, 5);
            var options = TrainTestData.Quiet with { Epochs = 3, BatchSize = 8, Optimizer = Optim.Adam(1e-2), Seed = 9 };
            var h = Trainer.Fit(model, train, null, options);
            return ([.. h.Epochs.Select(e => e.TrainLoss)], TrainTestData.Weights(model));
        }
        var (a, b) = (Run(), Run());
        Assert.Equal(a.Losses, b.Losses);
        Assert.Equal(a.Weights, b.Weights);
    }

    [Fact]
    public void Console_progress_prints_one_line_per_epoch_and_None_prints_nothing()
    {
        using var train = TrainTestData.Blobs(5, 1);
        var previous = Console.Out;
        using var writer = new StringWriter();
        Console.SetOut(writer);
        try
        {
            using (var model = TrainTestData.Mlp(2, 4, 3, 1))
                Trainer.Fit(model, train, train, new TrainOptions { Epochs = 3, Progress = Progress.Console });
            string[] lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, lines.Length);
            Assert.All(lines, l => Assert.Contains("loss", l));
            Assert.Contains("epoch 2/3", lines[1]);
            Assert.Contains("val", lines[2]);
            writer.GetStringBuilder().Clear();
            using (var model = TrainTestData.Mlp(2, 4, 3, 1))
                Trainer.Fit(model, train, null, new TrainOptions { Epochs = 2, Progress = Progress.None });
            Assert.Equal("", writer.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
