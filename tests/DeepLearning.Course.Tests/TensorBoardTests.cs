namespace DeepLearning.Course.Tests;

/// <summary>The trainer's TensorBoard log: valid event files whose records read back as what the history says.</summary>
public class TensorBoardTests
{
    [Fact]
    public void Fit_writes_event_files_that_read_back_as_the_history()
    {
        string dir = Path.Combine(Path.GetTempPath(), "course-tb-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var train = TrainTestData.Blobs(30, 1);
            using var val = TrainTestData.Blobs(10, 2);
            using var model = TrainTestData.Mlp(2, 8, 3, 3);
            var history = Trainer.Fit(model, train, val, TrainTestData.Quiet with { Epochs = 3, BatchSize = 16, TensorBoardDir = dir });

            var events = TensorBoardEvents.Read(dir);
            foreach (var tag in new[] { "loss/train", "loss/validation", "accuracy/train", "accuracy/validation", "learning_rate", "gradient_norm" })
                Assert.Equal([1L, 2, 3], events.Where(e => e.Tag == tag).Select(e => e.Step));
            var trainLoss = events.Where(e => e.Tag == "loss/train").Select(e => e.Value!.Value).ToArray();
            Assert.Equal(history.Epochs.Select(e => e.TrainLoss), trainLoss, (a, b) => Math.Abs(a - b) < 1e-6 * Math.Max(1, Math.Abs(a)));
            Assert.Equal(history.Last.ValidationAccuracy!.Value, events.Last(e => e.Tag == "accuracy/validation").Value!.Value, 1e-6);
            // A histogram per weight and per gradient per epoch, each counting every element of the tensor (2×8 + 8 = first layer).
            var firstWeights = events.Where(e => e.Tag == "weights/0.weight").ToList();
            Assert.Equal(3, firstWeights.Count);
            Assert.All(firstWeights, e => Assert.Equal(16L, e.HistogramCount));
            Assert.Equal(3, events.Count(e => e.Tag == "gradients/2.bias"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_damaged_event_file_is_reported_with_its_name_and_offset()
    {
        string dir = Path.Combine(Path.GetTempPath(), "course-tb-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var train = TrainTestData.Blobs(10, 1);
            using var model = TrainTestData.Mlp(2, 4, 3, 3);
            Trainer.Fit(model, train, null, TrainTestData.Quiet with { Epochs = 1, TensorBoardDir = dir });
            string file = Directory.GetFiles(dir, "events.out.tfevents.*", SearchOption.AllDirectories).Single();
            var bytes = File.ReadAllBytes(file);
            bytes[^6] ^= 0x40;   // one flipped bit in the last record's data
            File.WriteAllBytes(file, bytes);
            var error = Assert.Throws<InvalidDataException>(() => TensorBoardEvents.Read(dir));
            Assert.Contains(Path.GetFileName(file), error.Message);
            Assert.Contains("checksum", error.Message);
            File.WriteAllBytes(file, bytes[..^3]);   // truncated
            Assert.Throws<InvalidDataException>(() => TensorBoardEvents.Read(dir));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_blank_log_folder_is_rejected_before_training()
    {
        var error = Assert.Throws<ArgumentException>(() => (TrainTestData.Quiet with { TensorBoardDir = " " }).Validate());
        Assert.Equal("TensorBoardDir", error.ParamName);
    }
}

/// <summary>Progress.Chart: the curves while training runs (in place in a kernel; a line per epoch and the chart at the end elsewhere).</summary>
public class LiveChartTests
{
    [Fact]
    public void Outside_a_kernel_every_epoch_prints_a_line_and_the_chart_comes_at_the_end()
    {
        using var train = TrainTestData.Blobs(20, 1);
        using var val = TrainTestData.Blobs(10, 2);
        using var model = TrainTestData.Mlp(2, 8, 3, 3);
        var output = new StringWriter();
        var saved = Console.Out;
        Console.SetOut(output);
        History history;
        try
        {
            history = Trainer.Fit(model, train, val, TrainTestData.Quiet with { Epochs = 3, Progress = Progress.Chart });
        }
        finally
        {
            Console.SetOut(saved);
        }
        string text = output.ToString();
        Assert.Contains("epoch 1/3", text);
        Assert.Contains("epoch 3/3", text);
        Assert.True(text.IndexOf("Figure: Training: epoch 3", StringComparison.Ordinal) > text.IndexOf("epoch 3/3", StringComparison.Ordinal), text);

        // The redrawn figure has every epoch so far: train and validation loss, train and validation accuracy.
        var figure = ProgressReporter.Curves(history);
        var lines = figure.Traces.Where(t => (string?)t!["mode"] == "lines").ToList();
        Assert.Equal(4, lines.Count);
        Assert.All(lines, t => Assert.Equal(3, t!["x"]!.AsArray().Count));
    }
}
