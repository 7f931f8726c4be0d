using System.Buffers.Binary;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// Writes what <see cref="Trainer.Fit"/> sees into TensorBoard event files through TorchSharp's
/// <c>torch.utils.tensorboard.SummaryWriter</c>: per epoch the losses, accuracies, learning rate and mean gradient
/// norm as scalars, and each weight's values and last gradient as histograms. Open the folder with
/// <c>tensorboard --logdir</c> (Python's TensorBoard) or read it back with <see cref="TensorBoardEvents.Read"/>.
/// </summary>
internal sealed class TensorBoardLog
{
    private readonly TorchSharp.Modules.SummaryWriter _writer;

    public TensorBoardLog(string logDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logDir);
        Directory.CreateDirectory(logDir);
        _writer = torch.utils.tensorboard.SummaryWriter(logDir, createRunName: false);
    }

    /// <summary>The scalars of one epoch; a metric the run does not have (no validation set) is left out.</summary>
    public void Epoch(EpochRecord record)
    {
        int step = record.Epoch;
        Scalar("loss/train", record.TrainLoss, step);
        Scalar("loss/validation", record.ValidationLoss, step);
        Scalar("accuracy/train", record.TrainAccuracy, step);
        Scalar("accuracy/validation", record.ValidationAccuracy, step);
        Scalar("learning_rate", record.LearningRate, step);
        Scalar("gradient_norm", record.GradNorm, step);
    }

    /// <summary>Histograms of every weight and of its gradient from the epoch's last step.</summary>
    public void Histograms(IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> named, int epoch)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var (name, p) in named)
        {
            _writer.add_histogram($"weights/{name}", p.detach().cpu(), epoch);
            if (p.grad is Tensor g) _writer.add_histogram($"gradients/{name}", g.detach().cpu(), epoch);
        }
    }

    private void Scalar(string tag, double? value, int step)
    {
        if (value is double v && double.IsFinite(v)) _writer.add_scalar(tag, (float)v, step);
    }
}

/// <summary>One record of a TensorBoard event file: a scalar (<see cref="Value"/>) or a histogram (<see cref="Histogram"/>).</summary>
public sealed record TensorBoardEvent(string Tag, long Step, double WallTime, double? Value, long? HistogramCount);

/// <summary>Reads TensorBoard event files back (TFRecord framing with masked CRC-32C), checking every record.</summary>
public static class TensorBoardEvents
{
    /// <summary>
    /// Every summary value in the event files under <paramref name="logDir"/> (recursively), in file order. Throws
    /// <see cref="InvalidDataException"/> naming the file and offset when a record is truncated or a checksum is wrong.
    /// </summary>
    public static IReadOnlyList<TensorBoardEvent> Read(string logDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logDir);
        if (!Directory.Exists(logDir)) throw new DirectoryNotFoundException($"No TensorBoard log folder '{logDir}'.");
        var events = new List<TensorBoardEvent>();
        foreach (var file in Directory.GetFiles(logDir, "events.out.tfevents.*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            foreach (var record in Records(file))
            {
                var e = Tensorboard.Event.Parser.ParseFrom(record);
                if (e.Summary is null) continue;   // the file-version record
                foreach (var v in e.Summary.Value)
                    events.Add(new TensorBoardEvent(v.Tag, e.Step, e.WallTime,
                        v.ValueCase == Tensorboard.Summary.Types.Value.ValueOneofCase.SimpleValue ? v.SimpleValue : null,
                        v.Histo is null ? null : (long)v.Histo.Num));
            }
        return events;
    }

    /// <summary>The data of each TFRecord in <paramref name="file"/>: length (u64), masked CRC of it, data, masked CRC of the data.</summary>
    public static IEnumerable<byte[]> Records(string file)
    {
        var bytes = File.ReadAllBytes(file);
        int at = 0;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < 12) throw Bad(file, at, "a truncated record header");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            if (Masked(bytes.AsSpan(at, 8)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)))
                throw Bad(file, at, "a wrong length checksum");
            if (length > (ulong)(bytes.Length - at - 16)) throw Bad(file, at, $"a record of {length} bytes past the end of the file");
            var data = bytes.AsSpan(at + 12, (int)length);
            if (Masked(data) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length)))
                throw Bad(file, at, "a wrong data checksum");
            yield return data.ToArray();
            at += 16 + (int)length;
        }
    }

    private static InvalidDataException Bad(string file, int offset, string what) =>
        new($"{Path.GetFileName(file)}: {what} at byte {offset}; the event file is damaged.");

    // TFRecord's checksum: CRC-32C, rotated right by 15 bits plus a constant (so a CRC of CRCs is not trivial).
    private static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;   // Castagnoli, reflected
            table[i] = c;
        }
        return table;
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }
}
