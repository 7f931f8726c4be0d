namespace DeepLearning.Scratch.Data;

/// <summary>
/// The two handwritten-digit sets shipped in <c>data/digits/</c> (provenance and licenses: data/README.md):
/// UCI's 8×8 digits (1,797 images, CC BY 4.0) and a balanced 28×28 MNIST subset (2,000 + 500 images, CC BY-SA 3.0)
/// with 7,500 extra MNIST training images for when a network needs more data (LeNet's ≥ 98 %).
/// </summary>
public static class Digits
{
    /// <summary>The UCI 8×8 digits file inside the data folder.</summary>
    public const string File8x8 = "digits/uci-digits-8x8.csv.gz";

    /// <summary>The MNIST subset's training part inside the data folder.</summary>
    public const string File28x28Train = "digits/mnist-28x28-train.csv.gz";

    /// <summary>The MNIST subset's test part inside the data folder.</summary>
    public const string File28x28Test = "digits/mnist-28x28-test.csv.gz";

    /// <summary>The extra MNIST training images (the rest of the source package) inside the data folder.</summary>
    public const string File28x28TrainExtra = "digits/mnist-28x28-train-extra.csv.gz";

    private static readonly string[] DigitNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>UCI digits (sklearn's load_digits): X [1797, 64] = pixel count / 16 in [0, 1], labels 0..9. View as images with AsImages(1, 8, 8).</summary>
    public static Dataset Load8x8(string? dataDirectory = null)
    {
        var (x, labels) = ReadCsv(File8x8, 64, 16, dataDirectory);
        return new Dataset("UCI digits 8×8", x, labels, 10, [.. DigitNames]);
    }

    /// <summary>The whole MNIST subset, train part then test part: X [2500, 784] = byte / 255 in [0, 1], labels 0..9.</summary>
    public static Dataset Load28x28(string? dataDirectory = null)
    {
        var (train, test) = Load28x28Split(dataDirectory);
        float[] x = [.. train.X.Data, .. test.X.Data];
        int[] labels = [.. train.Labels, .. test.Labels];
        return new Dataset("MNIST subset 28×28", NDArray.Wrap(x, labels.Length, 784), labels, 10, [.. DigitNames]);
    }

    /// <summary>
    /// The MNIST subset's fixed split: 200 training and 50 test images per digit (use it to compare with others' numbers).
    /// With <paramref name="extraTraining"/> the training part also holds the 7,500 extra images (9,500 in all, 813 to
    /// 1,077 per digit); the test part is the same 500 images either way.
    /// </summary>
    public static (Dataset Train, Dataset Test) Load28x28Split(string? dataDirectory = null, bool extraTraining = false)
    {
        var (xTrain, yTrain) = ReadCsv(File28x28Train, 784, 255, dataDirectory);
        var (xTest, yTest) = ReadCsv(File28x28Test, 784, 255, dataDirectory);
        var test = new Dataset("MNIST subset 28×28 (test)", xTest, yTest, 10, [.. DigitNames]);
        if (!extraTraining)
            return (new Dataset("MNIST subset 28×28 (train)", xTrain, yTrain, 10, [.. DigitNames]), test);
        var (xExtra, yExtra) = ReadCsv(File28x28TrainExtra, 784, 255, dataDirectory);
        int[] labels = [.. yTrain, .. yExtra];
        return (new Dataset("MNIST 28×28 (train + extra)", NDArray.Wrap([.. xTrain.Data, .. xExtra.Data], labels.Length, 784), labels, 10, [.. DigitNames]), test);
    }

    /// <summary>Parses a verified gzipped CSV of <paramref name="features"/> integer pixels in [0, max] plus a label per line, scaling pixels to [0, 1].</summary>
    private static (NDArray<float> X, int[] Labels) ReadCsv(string relativePath, int features, int max, string? dataDirectory)
    {
        ReadOnlySpan<byte> csv = DataFiles.ReadVerifiedGzip(relativePath, dataDirectory);

        // One pass over the bytes (a plain loop: it also runs fast in Debug builds, where notebooks and tests live).
        int rows = csv.Count((byte)'\n') + (csv.IsEmpty || csv[^1] == (byte)'\n' ? 0 : 1);
        var x = new float[rows * features];
        int[] labels = new int[rows];
        int line = 0, column = 0, value = 0, digits = 0;
        for (int i = 0; i <= csv.Length; i++)
        {
            byte c = i < csv.Length ? csv[i] : (byte)'\n';
            if (c is >= (byte)'0' and <= (byte)'9' && digits < 6)
            {
                value = (value * 10) + (c - '0');
                digits++;
                continue;
            }
            if (c is not ((byte)',' or (byte)'\n') || digits == 0)
            {
                if (c == '\n' && digits == 0 && column == 0 && i == csv.Length) continue; // the file ended with a newline
                throw new InvalidDataException($"data/{relativePath} line {line + 1}, value {column + 1}: expected a non-negative integer.");
            }
            if (column < features)
            {
                if (value > max)
                    throw new InvalidDataException($"data/{relativePath} line {line + 1}: pixel {column} is {value}, above {max}.");
                x[(line * features) + column] = value / (float)max; // as torchvision's ToTensor: byte / 255
            }
            else if (column == features)
            {
                if (value > 9)
                    throw new InvalidDataException($"data/{relativePath} line {line + 1}: label {value} is not a digit 0..9.");
                labels[line] = value;
            }
            column++;
            value = digits = 0;
            if (c == '\n')
            {
                if (column != features + 1)
                    throw new InvalidDataException($"data/{relativePath} line {line + 1}: {column} values, expected {features} pixels and a label.");
                line++;
                column = 0;
            }
        }
        return (NDArray.Wrap(x, rows, features), labels);
    }
}
