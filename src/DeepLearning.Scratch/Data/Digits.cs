using System.IO.Compression;

namespace DeepLearning.Scratch.Data;

/// <summary>
/// The two handwritten-digit sets shipped in <c>data/digits/</c> (provenance and licenses: data/README.md):
/// UCI's 8×8 digits (1,797 images, CC BY 4.0) and a balanced 28×28 MNIST subset (2,000 + 500 images, CC BY-SA 3.0).
/// </summary>
public static class Digits
{
    /// <summary>The UCI 8×8 digits file inside the data folder.</summary>
    public const string File8x8 = "digits/uci-digits-8x8.csv.gz";

    /// <summary>The MNIST subset's training part inside the data folder.</summary>
    public const string File28x28Train = "digits/mnist-28x28-train.csv.gz";

    /// <summary>The MNIST subset's test part inside the data folder.</summary>
    public const string File28x28Test = "digits/mnist-28x28-test.csv.gz";

    private static readonly string[] DigitNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>UCI digits (sklearn's load_digits): X [1797, 64] = pixel count / 16 in [0, 1], labels 0..9. View as images with AsImages(1, 8, 8).</summary>
    public static Dataset Load8x8(string? dataDirectory = null)
    {
        var (x, labels) = ReadCsv(File8x8, 64, 16, dataDirectory);
        return new Dataset("UCI digits 8×8", x, labels, 10, DigitNames);
    }

    /// <summary>The whole MNIST subset, train part then test part: X [2500, 784] = byte / 255 in [0, 1], labels 0..9.</summary>
    public static Dataset Load28x28(string? dataDirectory = null)
    {
        var (train, test) = Load28x28Split(dataDirectory);
        float[] x = [.. train.X.Data, .. test.X.Data];
        int[] labels = [.. train.Labels, .. test.Labels];
        return new Dataset("MNIST subset 28×28", NDArray.From(x, labels.Length, 784), labels, 10, DigitNames);
    }

    /// <summary>The MNIST subset's fixed split: 200 training and 50 test images per digit (use it to compare with others' numbers).</summary>
    public static (Dataset Train, Dataset Test) Load28x28Split(string? dataDirectory = null)
    {
        var (xTrain, yTrain) = ReadCsv(File28x28Train, 784, 255, dataDirectory);
        var (xTest, yTest) = ReadCsv(File28x28Test, 784, 255, dataDirectory);
        return (new Dataset("MNIST subset 28×28 (train)", xTrain, yTrain, 10, DigitNames),
                new Dataset("MNIST subset 28×28 (test)", xTest, yTest, 10, DigitNames));
    }

    /// <summary>Parses a verified gzipped CSV of <paramref name="features"/> integer pixels in [0, max] plus a label per line, scaling pixels to [0, 1].</summary>
    private static (NDArray<float> X, int[] Labels) ReadCsv(string relativePath, int features, int max, string? dataDirectory)
    {
        byte[] gz = DataFiles.ReadVerified(relativePath, dataDirectory);
        using var stream = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var text = new MemoryStream();
        stream.CopyTo(text);
        ReadOnlySpan<byte> csv = text.GetBuffer().AsSpan(0, (int)text.Length);

        var x = new List<float>();
        var labels = new List<int>();
        int line = 0;
        foreach (var range in csv.Split((byte)'\n'))
        {
            var row = csv[range];
            if (row.IsEmpty) continue;
            line++;
            int column = 0;
            foreach (var cell in row.Split((byte)','))
            {
                int value = ParseInt(row[cell], relativePath, line);
                if (column < features)
                {
                    if (value > max)
                        throw new InvalidDataException($"data/{relativePath} line {line}: pixel {column} is {value}, above {max}.");
                    x.Add(value / (float)max);
                }
                else if (column == features)
                {
                    if (value > 9)
                        throw new InvalidDataException($"data/{relativePath} line {line}: label {value} is not a digit 0..9.");
                    labels.Add(value);
                }
                column++;
            }
            if (column != features + 1)
                throw new InvalidDataException($"data/{relativePath} line {line}: {column} values, expected {features} pixels and a label.");
        }
        return (NDArray.From([.. x], labels.Count, features), [.. labels]);
    }

    private static int ParseInt(ReadOnlySpan<byte> digits, string file, int line)
    {
        int value = 0;
        foreach (byte c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9' || value > 100_000)
                throw new InvalidDataException($"data/{file} line {line}: '{System.Text.Encoding.ASCII.GetString(digits)}' is not a non-negative integer.");
            value = (value * 10) + (c - '0');
        }
        return digits.IsEmpty ? throw new InvalidDataException($"data/{file} line {line}: empty value.") : value;
    }
}
