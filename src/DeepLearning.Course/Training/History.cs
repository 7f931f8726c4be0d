using System.Globalization;
using System.Net;
using System.Text;

namespace DeepLearning.Course;

/// <summary>One epoch of training.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean data loss over the epoch's training examples (weights change during the epoch, as Keras reports it); penalties excluded.</param>
/// <param name="TrainAccuracy">Fraction of training examples classified correctly during the epoch (null for regression).</param>
/// <param name="ValidationLoss">Mean loss on the validation data after the epoch (null without validation data).</param>
/// <param name="ValidationAccuracy">Validation accuracy after the epoch (null without validation data or for regression).</param>
/// <param name="LearningRate">The learning rate used during the epoch.</param>
/// <param name="Seconds">Wall-clock time of the epoch, validation included.</param>
/// <param name="Penalty">Mean L1 + L2 penalty added to the loss during the epoch (0 without penalties).</param>
/// <param name="GradNorm">Mean total gradient 2-norm per step, before clipping.</param>
public sealed record EpochRecord(
    int Epoch, double TrainLoss, double? TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double LearningRate, double Seconds, double Penalty = 0, double GradNorm = double.NaN);

/// <summary>Why training ended.</summary>
public enum StopReason
{
    /// <summary>All epochs ran.</summary>
    Completed,

    /// <summary>Early stopping: the monitored metric stopped improving.</summary>
    EarlyStopping,

    /// <summary>The loss or a gradient became NaN/∞ (only with <c>ThrowOnDivergence = false</c>).</summary>
    Diverged,
}

/// <summary>A curve for a chart: x = epochs, one series for training and (if present) one for validation.</summary>
/// <param name="Metric">"loss" or "accuracy".</param>
/// <param name="Epochs">1-based epoch numbers.</param>
/// <param name="Train">The training values per epoch.</param>
/// <param name="Validation">The validation values per epoch, or null.</param>
/// <param name="BestEpoch">The epoch the history considers best (for a marker).</param>
public sealed record TrainingCurve(string Metric, int[] Epochs, double[] Train, double[]? Validation, int BestEpoch);

/// <summary>
/// What <see cref="Trainer.Fit"/> did, epoch by epoch, and why it stopped. Shows as a small table in notebooks;
/// <see cref="LossCurve"/> and <see cref="AccuracyCurve"/> give the data for charts.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed class History : IHtmlView
{
    private readonly List<EpochRecord> _epochs = [];

    internal History(MonitorMetric monitor, string optimizer, string? scheduler)
    {
        Monitor = monitor;
        Optimizer = optimizer;
        Scheduler = scheduler;
    }

    /// <summary>The epochs run so far, in order.</summary>
    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    /// <summary>The metric that decides the best epoch (and early stopping).</summary>
    public MonitorMetric Monitor { get; }

    /// <summary>The optimizer, as described by <see cref="Optim.Name"/>.</summary>
    public string Optimizer { get; }

    /// <summary>The learning-rate schedule, if any.</summary>
    public string? Scheduler { get; }

    /// <summary>The epoch with the best monitored value (0 before any epoch).</summary>
    public int BestEpoch { get; internal set; }

    /// <summary>True when early stopping (or divergence) ended training before the last epoch.</summary>
    public bool StoppedEarly => StopReason != StopReason.Completed;

    /// <summary>Why training ended.</summary>
    public StopReason StopReason { get; internal set; } = StopReason.Completed;

    /// <summary>Why training ended, in words ("completed 20 epochs", "no improvement in validation loss for 3 epochs", …).</summary>
    public string StopDetail { get; internal set; } = "";

    /// <summary>True when the model was left with the best epoch's weights.</summary>
    public bool RestoredBestWeights { get; internal set; }

    /// <summary>The last epoch's record.</summary>
    public EpochRecord Last => _epochs.Count > 0 ? _epochs[^1] : throw new InvalidOperationException("No epoch has run.");

    /// <summary>The best epoch's record.</summary>
    public EpochRecord Best => BestEpoch > 0 ? _epochs[BestEpoch - 1] : throw new InvalidOperationException("No epoch has run.");

    /// <summary>Total training time in seconds.</summary>
    public double Seconds => _epochs.Sum(e => e.Seconds);

    internal void Add(EpochRecord record) => _epochs.Add(record);

    /// <summary>The monitored value of an epoch (null when it was not measured).</summary>
    public double? Monitored(EpochRecord e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return Monitor switch
        {
            MonitorMetric.ValidationLoss => e.ValidationLoss,
            MonitorMetric.ValidationAccuracy => e.ValidationAccuracy,
            _ => e.TrainLoss,
        };
    }

    /// <summary>Training and validation loss per epoch, for a loss-curve chart.</summary>
    public TrainingCurve LossCurve() => new("loss",
        [.. _epochs.Select(e => e.Epoch)], [.. _epochs.Select(e => e.TrainLoss)],
        _epochs.Any(e => e.ValidationLoss is not null) ? [.. _epochs.Select(e => e.ValidationLoss ?? double.NaN)] : null, BestEpoch);

    /// <summary>Training and validation accuracy per epoch (NaN where not measured), for an accuracy chart.</summary>
    public TrainingCurve AccuracyCurve() => new("accuracy",
        [.. _epochs.Select(e => e.Epoch)], [.. _epochs.Select(e => e.TrainAccuracy ?? double.NaN)],
        _epochs.Any(e => e.ValidationAccuracy is not null) ? [.. _epochs.Select(e => e.ValidationAccuracy ?? double.NaN)] : null, BestEpoch);

    /// <summary>The learning rate per epoch (what a schedule did).</summary>
    public double[] LearningRates() => [.. _epochs.Select(e => e.LearningRate)];

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder(Summary()).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"{"epoch",5}  {"loss",9}  {"acc",7}  {"val loss",9}  {"val acc",7}  {"lr",9}  {"s",6}\n");
        foreach (var e in _epochs)
            sb.Append(CultureInfo.InvariantCulture,
                $"{e.Epoch,5}  {e.TrainLoss,9:F4}  {Pct(e.TrainAccuracy),7}  {Num(e.ValidationLoss),9}  {Pct(e.ValidationAccuracy),7}  {e.LearningRate,9:G4}  {e.Seconds,6:F2}{(e.Epoch == BestEpoch ? "  ← best" : "")}\n");
        return sb.ToString().TrimEnd('\n');
    }

    /// <inheritdoc/>
    public string ToHtml() => ToHtml(maxRows: 12);

    /// <summary>An HTML table of the epochs; long histories show the first and last rows and the best one.</summary>
    public string ToHtml(int maxRows)
    {
        bool val = _epochs.Any(e => e.ValidationLoss is not null);
        bool acc = _epochs.Any(e => e.TrainAccuracy is not null);
        var sb = new StringBuilder("<table class=\"course-history\"><caption>").Append(WebUtility.HtmlEncode(Summary())).Append("</caption><tr><th>epoch</th><th>loss</th>");
        if (acc) sb.Append("<th>acc</th>");
        if (val) sb.Append("<th>val loss</th>");
        if (val && acc) sb.Append("<th>val acc</th>");
        sb.Append("<th>lr</th><th>s</th></tr>");
        var shown = Shown(maxRows);
        int previous = 0;
        foreach (var e in shown)
        {
            if (e.Epoch != previous + 1) sb.Append("<tr><td colspan=\"7\">…</td></tr>");
            previous = e.Epoch;
            sb.Append(e.Epoch == BestEpoch ? "<tr style=\"font-weight:bold\">" : "<tr>")
              .Append(CultureInfo.InvariantCulture, $"<td>{e.Epoch}</td><td>{e.TrainLoss:F4}</td>");
            if (acc) sb.Append("<td>").Append(Pct(e.TrainAccuracy)).Append("</td>");
            if (val) sb.Append("<td>").Append(Num(e.ValidationLoss)).Append("</td>");
            if (val && acc) sb.Append("<td>").Append(Pct(e.ValidationAccuracy)).Append("</td>");
            sb.Append(CultureInfo.InvariantCulture, $"<td>{e.LearningRate:G4}</td><td>{e.Seconds:F2}</td></tr>");
        }
        return sb.Append("</table>").ToString();
    }

    /// <summary>One line: epochs, best epoch, why it stopped.</summary>
    public string Summary()
    {
        if (_epochs.Count == 0) return $"{Optimizer}: no epoch yet";
        string best = Monitored(Best) is double m
            ? string.Create(CultureInfo.InvariantCulture, $"best epoch {BestEpoch} ({MonitorName} {(Monitor == MonitorMetric.ValidationAccuracy ? Pct(m) : m.ToString("F4", CultureInfo.InvariantCulture))})")
            : $"best epoch {BestEpoch}";
        return $"{Optimizer}{(Scheduler is null ? "" : ", " + Scheduler)}: {_epochs.Count} epochs, {best}" +
               (StopDetail.Length > 0 ? $"; {StopDetail}" : "") + (RestoredBestWeights ? "; best weights restored" : "");
    }

    internal string MonitorName => Monitor switch
    {
        MonitorMetric.ValidationLoss => "validation loss",
        MonitorMetric.ValidationAccuracy => "validation accuracy",
        _ => "training loss",
    };

    private List<EpochRecord> Shown(int maxRows)
    {
        if (_epochs.Count <= maxRows) return _epochs;
        int head = Math.Max(1, maxRows / 3), tail = Math.Max(1, maxRows - head - 1);
        var rows = _epochs.Take(head).Concat(_epochs.Skip(_epochs.Count - tail)).ToList();
        if (BestEpoch > 0 && !rows.Any(r => r.Epoch == BestEpoch)) rows.Add(_epochs[BestEpoch - 1]);
        return [.. rows.OrderBy(r => r.Epoch)];
    }

    private static string Pct(double? v) => v is double x ? (100 * x).ToString("F1", CultureInfo.InvariantCulture) + "%" : "–";

    private static string Num(double? v) => v is double x ? x.ToString("F4", CultureInfo.InvariantCulture) : "–";
}
