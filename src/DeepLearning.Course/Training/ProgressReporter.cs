using System.Globalization;
using System.Text;

namespace DeepLearning.Course;

/// <summary>Shows training progress: nothing, a console line per epoch, or a notebook table updated in place.</summary>
internal abstract class ProgressReporter : IDisposable
{
    public static ProgressReporter Create(Progress mode, int epochs, long steps, History history) => mode switch
    {
        Progress.None => new Silent(),
        Progress.Chart when NotebookDisplay.InKernel => new LiveChart(history),
        Progress.Chart => new ChartAtEnd(epochs, steps, history),
        Progress.Notebook or Progress.Auto when NotebookDisplay.InKernel => new NotebookTable(history),
        _ => new ConsoleBar(epochs, steps),
    };

    public virtual void Step(int epoch, int step) { }

    public virtual void EpochEnd(EpochRecord record) { }

    public virtual void End() { }

    public void Dispose() => End();

    private sealed class Silent : ProgressReporter;

    /// <summary>"epoch  3/20 [██████····]  loss 0.3124  acc 91.2%  val 0.3501 / 90.1%  lr 0.1  0.42 s", redrawn with \r while the epoch runs.</summary>
    private sealed class ConsoleBar(int epochs, long steps) : ProgressReporter
    {
        private const int Width = 20;
        private readonly bool _live = !Console.IsOutputRedirected;
        private readonly int _every = (int)Math.Max(1, steps / Width);

        public override void Step(int epoch, int step)
        {
            if (_live && (step % _every == 0 || step == steps))
                Console.Write($"\r{Head(epoch)} {Bar(step)} {step}/{steps}   ");
        }

        public override void EpochEnd(EpochRecord e)
        {
            var line = new StringBuilder(Head(e.Epoch)).Append(' ').Append(Bar(steps))
                .Append(CultureInfo.InvariantCulture, $"  loss {e.TrainLoss:F4}");
            if (e.TrainAccuracy is double a) line.Append(CultureInfo.InvariantCulture, $"  acc {100 * a:F1}%");
            if (e.ValidationLoss is double vl) line.Append(CultureInfo.InvariantCulture, $"  val {vl:F4}");
            if (e.ValidationAccuracy is double va) line.Append(CultureInfo.InvariantCulture, $" / {100 * va:F1}%");
            line.Append(CultureInfo.InvariantCulture, $"  lr {e.LearningRate:G3}  {e.Seconds:F2} s");
            Console.WriteLine((_live ? "\r" : "") + line);
        }

        private string Head(int epoch) => $"epoch {epoch.ToString(CultureInfo.InvariantCulture).PadLeft(epochs.ToString(CultureInfo.InvariantCulture).Length)}/{epochs}";

        private string Bar(long step)
        {
            int filled = (int)(Width * step / Math.Max(1, steps));
            return "[" + new string('█', filled) + new string('·', Width - filled) + "]";
        }
    }

    /// <summary>The history table, displayed once and updated after every epoch.</summary>
    private sealed class NotebookTable(History history) : ProgressReporter
    {
        private readonly NotebookDisplay _display = NotebookDisplay.Show(history);

        public override void EpochEnd(EpochRecord record) => _display.Update(history);

        public override void End() => _display.Update(history);
    }

    /// <summary>The loss curves so far, shown at the start and redrawn in place after every epoch.</summary>
    private sealed class LiveChart(History history) : ProgressReporter
    {
        private readonly NotebookDisplay _display = NotebookDisplay.Show("Training… the curves appear after the first epoch.");

        public override void EpochEnd(EpochRecord record) => _display.Update(Curves(history));

        public override void End()
        {
            if (history.Epochs.Count > 0) _display.Update(Curves(history));
        }
    }

    /// <summary>Outside a kernel: a progress line per epoch, then the chart once.</summary>
    private sealed class ChartAtEnd(int epochs, long steps, History history) : ProgressReporter
    {
        private readonly ConsoleBar _bar = new(epochs, steps);

        public override void Step(int epoch, int step) => _bar.Step(epoch, step);

        public override void EpochEnd(EpochRecord record) => _bar.EpochEnd(record);

        public override void End()
        {
            _bar.End();
            if (history.Epochs.Count > 0) NotebookDisplay.Show(Curves(history));
        }
    }

    /// <summary>The figure both chart reporters draw: loss (and accuracy, for classification) per epoch so far.</summary>
    internal static Figure Curves(History history)
    {
        var loss = history.LossCurve();
        var accuracy = history.Epochs.Any(e => e.TrainAccuracy is not null) ? history.AccuracyCurve() : null;
        return Charts.LossCurves(loss.Train, loss.Validation, accuracy?.Train, accuracy?.Validation,
            title: $"Training: epoch {history.Epochs.Count}");
    }
}
