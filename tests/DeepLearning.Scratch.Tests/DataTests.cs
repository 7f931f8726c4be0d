using System.Text.Json;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;

namespace DeepLearning.Scratch.Tests;

public class DigitsTests
{
    /// <summary>Per-class counts as recorded in data/MANIFEST.json (written by data/scripts/manifest.py).</summary>
    private static int[] ManifestCounts(string relativePath)
    {
        string manifest = Path.Combine(DataFiles.FindDataDirectory(), DataFiles.ManifestName);
        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        var entry = doc.RootElement.GetProperty("files").EnumerateArray().Single(e => e.GetProperty("path").GetString() == relativePath);
        return [.. entry.GetProperty("class_counts").EnumerateArray().Select(c => c.GetInt32())];
    }

    [Fact]
    public void Load8x8_has_1797_images_of_64_pixels_in_0_1_with_the_manifest_class_counts()
    {
        var d = Digits.Load8x8();
        Assert.Equal([1797, 64], d.X.Shape);
        Assert.Equal(10, d.Classes);
        Assert.Equal(0f, d.X.Data.Min());
        Assert.Equal(1f, d.X.Data.Max()); // some pixel block is fully inked: 16/16
        Assert.True(d.X.Data.All(v => MathF.Abs((v * 16) - MathF.Round(v * 16)) < 1e-5f), "pixels are counts / 16");
        Assert.Equal(ManifestCounts(Digits.File8x8), d.ClassCounts());
        Assert.Equal("7", d.ClassName(7));
    }

    [Fact]
    public void Load28x28_is_a_balanced_2500_image_subset_in_0_1()
    {
        var d = Digits.Load28x28();
        Assert.Equal([2500, 784], d.X.Shape);
        Assert.Equal(0f, d.X.Data.Min());
        Assert.Equal(1f, d.X.Data.Max());
        Assert.True(d.X.Data.All(v => MathF.Abs((v * 255) - MathF.Round(v * 255)) < 1e-4f), "pixels are bytes / 255");
        Assert.All(d.ClassCounts(), c => Assert.Equal(250, c));

        var (train, test) = Digits.Load28x28Split();
        Assert.Equal([2000, 784], train.X.Shape);
        Assert.Equal([500, 784], test.X.Shape);
        Assert.Equal(ManifestCounts(Digits.File28x28Train), train.ClassCounts());
        Assert.All(train.ClassCounts(), c => Assert.Equal(200, c));
        Assert.All(test.ClassCounts(), c => Assert.Equal(50, c));
        // The whole set is the train part followed by the test part.
        Assert.True(d.X.Data.AsSpan(0, train.X.Length).SequenceEqual(train.X.Data));
        Assert.True(d.X.Data.AsSpan(train.X.Length).SequenceEqual(test.X.Data));
        Assert.Equal(test.Labels, d.Labels[2000..]);
    }

    [Fact]
    public void Extra_training_images_extend_the_training_part_and_keep_the_test_part()
    {
        var (train, test) = Digits.Load28x28Split();
        var (extended, sameTest) = Digits.Load28x28Split(extraTraining: true);
        int[] extraCounts = ManifestCounts(Digits.File28x28TrainExtra);
        Assert.Equal(7500, extraCounts.Sum());
        Assert.Equal([9500, 784], extended.X.Shape);
        Assert.Equal(train.ClassCounts().Zip(extraCounts, (a, b) => a + b), extended.ClassCounts());
        // The balanced training part comes first, unchanged; the test part is the same 500 images.
        Assert.True(extended.X.Data.AsSpan(0, train.X.Length).SequenceEqual(train.X.Data));
        Assert.Equal(train.Labels, extended.Labels[..2000]);
        Assert.Equal(test.X.Data, sameTest.X.Data);
        Assert.True(extended.X.Data.All(v => MathF.Abs((v * 255) - MathF.Round(v * 255)) < 1e-4f), "pixels are bytes / 255");
        // No test image appears among the extra training images.
        var testImages = Enumerable.Range(0, test.Count).Select(i => Key(test.X.Data, i)).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(2000, 7500), i => testImages.Contains(Key(extended.X.Data, i)));

        static string Key(float[] x, int i) => string.Join(',', x.AsSpan(i * 784, 784).ToArray());
    }

    [Fact]
    public void MNIST_images_are_centred_by_ink_mass_as_MNIST_defines_them()
    {
        // MNIST centred each digit's centre of mass in the 28×28 frame: a wrong row length or offset would not be.
        var images = Digits.Load28x28().AsImages(1, 28, 28);
        for (int n = 0; n < images.Count; n += 97)
        {
            double mass = 0, rows = 0, cols = 0;
            for (int h = 0; h < 28; h++)
                for (int w = 0; w < 28; w++)
                {
                    double v = images.X[n, 0, h, w];
                    mass += v;
                    rows += v * h;
                    cols += v * w;
                }
            Assert.InRange(rows / mass, 11.5, 15.5);
            Assert.InRange(cols / mass, 11.5, 15.5);
        }
    }

    [Fact]
    public void AsImages_views_rows_as_NCHW_and_Flatten_undoes_it()
    {
        var d = Digits.Load8x8();
        var images = d.AsImages(1, 8, 8);
        Assert.Equal([1797, 1, 8, 8], images.X.Shape);
        Assert.Equal([1, 8, 8], images.ExampleShape);
        Assert.Same(d.X.Data, images.X.Data); // a view, like PyTorch's reshape of a contiguous tensor
        Assert.Equal(d.X[5, (3 * 8) + 2], images.X[5, 0, 3, 2]);
        Assert.Equal([1797, 64], images.Flatten().X.Shape);

        var ex = Assert.Throws<ArgumentException>(() => d.AsImages(1, 28, 28));
        Assert.Equal("channels", ex.ParamName);
        Assert.Contains("[64]", ex.Message);
    }
}

public sealed class DataFilesTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "course-data-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
    }

    /// <summary>A copy of the real data folder under the temp folder, to damage.</summary>
    private string CopyOfDataDirectory()
    {
        string source = DataFiles.FindDataDirectory();
        string target = Path.Combine(_temp, "repo", "data");
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    [Fact]
    public void FindDataDirectory_finds_the_repository_data_from_the_test_output_folder()
    {
        string dir = DataFiles.FindDataDirectory(AppContext.BaseDirectory);
        Assert.True(File.Exists(Path.Combine(dir, DataFiles.ManifestName)), dir);
        Assert.True(File.Exists(Path.Combine(dir, Digits.File8x8)), dir);
        Assert.Equal(dir, DataFiles.FindDataDirectory());
    }

    [Fact]
    public void FindDataDirectory_walks_up_prefers_COURSE_DATA_and_falls_back_to_the_build_root()
    {
        string data = CopyOfDataDirectory();
        string repo = Path.GetDirectoryName(data)!;
        string deep = Directory.CreateDirectory(Path.Combine(repo, "artifacts", "bin", "x", "debug")).FullName;
        string elsewhere = Directory.CreateDirectory(Path.Combine(_temp, "elsewhere")).FullName;

        Assert.Equal(data, DataFiles.FindDataDirectory(deep, environment: null, repoRoot: null));
        Assert.Equal(data, DataFiles.FindDataDirectory(elsewhere, environment: repo, repoRoot: null)); // repo root accepted
        Assert.Equal(data, DataFiles.FindDataDirectory(elsewhere, environment: data, repoRoot: null));
        Assert.Equal(data, DataFiles.FindDataDirectory(elsewhere, environment: null, repoRoot: repo));
        Assert.NotNull(DataFiles.BuildRepoRoot); // recorded by the Scratch csproj
    }

    [Fact]
    public void FindDataDirectory_explains_what_it_tried()
    {
        string elsewhere = Directory.CreateDirectory(Path.Combine(_temp, "elsewhere")).FullName;
        var notFound = Assert.Throws<DirectoryNotFoundException>(() => DataFiles.FindDataDirectory(elsewhere, environment: null, repoRoot: null));
        Assert.Contains(elsewhere, notFound.Message);
        Assert.Contains(DataFiles.EnvironmentVariable, notFound.Message);

        var badEnv = Assert.Throws<DirectoryNotFoundException>(() => DataFiles.FindDataDirectory(null, environment: elsewhere, repoRoot: null));
        Assert.Contains("COURSE_DATA", badEnv.Message);
        Assert.Contains(elsewhere, badEnv.Message);
    }

    [Fact]
    public void ReadVerified_returns_bytes_whose_hash_matches_the_manifest()
    {
        byte[] bytes = DataFiles.ReadVerified(Digits.File8x8);
        // The 8×8 file is python3-sklearn's digits.csv.gz byte for byte.
        Assert.Equal("46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a", DataFiles.Sha256(bytes));
        Assert.Equal(DataFiles.Sha256(bytes), DataFiles.Sha256(DataFiles.ReadVerified(@"digits\uci-digits-8x8.csv.gz")));
    }

    [Fact]
    public void A_corrupted_byte_is_caught_naming_the_file_and_both_hashes()
    {
        string data = CopyOfDataDirectory();
        string path = Path.Combine(data, Digits.File8x8);
        byte[] good = File.ReadAllBytes(path);
        byte[] bad = (byte[])good.Clone();
        bad[bad.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bad);

        var ex = Assert.Throws<InvalidDataException>(() => DataFiles.ReadVerified(Digits.File8x8, data));
        Assert.Contains(Digits.File8x8, ex.Message);
        Assert.Contains(DataFiles.Sha256(good), ex.Message); // expected
        Assert.Contains(DataFiles.Sha256(bad), ex.Message);  // actual
        // The loaders go through the same check.
        Assert.Throws<InvalidDataException>(() => Digits.Load8x8(data));
        Assert.Equal(2000, Digits.Load28x28Split(data).Train.Count); // the other files are still fine
    }

    [Fact]
    public void A_missing_file_or_an_unlisted_path_gets_a_clear_error()
    {
        string data = CopyOfDataDirectory();
        File.Delete(Path.Combine(data, Digits.File28x28Test));

        var missing = Assert.Throws<FileNotFoundException>(() => Digits.Load28x28(data));
        Assert.Contains(Digits.File28x28Test, missing.Message);
        Assert.Contains("git checkout", missing.Message);

        var unlisted = Assert.Throws<ArgumentException>(() => DataFiles.ReadVerified("digits/other.csv.gz", data));
        Assert.Equal("relativePath", unlisted.ParamName);
        Assert.Contains("digits/other.csv.gz", unlisted.Message);

        var escape = Assert.Throws<ArgumentException>(() => DataFiles.ReadVerified("../README.md", data));
        Assert.Equal("relativePath", escape.ParamName);
    }
}

public class SplitsTests
{
    /// <summary>N examples whose single feature is their index, with imbalanced classes (50 % / 30 % / 20 %).</summary>
    private static Dataset Indexed(int n = 100)
    {
        var x = NDArray.Zeros<float>(n, 1);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = i;
            labels[i] = i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2;
        }
        return new Dataset("indexed", x, labels, 3);
    }

    private static int[] Ids(Dataset d) => [.. d.X.Data.Select(v => (int)v)];

    [Fact]
    public void Stratified_split_keeps_class_proportions_and_partitions_the_examples()
    {
        var data = Indexed(200); // 100 / 60 / 40
        var (train, test) = Splits.TrainTestSplit(data, 0.25, new Rng(1));
        Assert.Equal([25, 15, 10], test.ClassCounts());
        Assert.Equal([75, 45, 30], train.ClassCounts());
        Assert.Equal(Enumerable.Range(0, 200), Ids(train).Concat(Ids(test)).Order());
        // Labels travel with their examples.
        Assert.All(train.Labels.Zip(Ids(train)), p => Assert.Equal(data.Labels[p.Second], p.First));
        Assert.All(test.Labels.Zip(Ids(test)), p => Assert.Equal(data.Labels[p.Second], p.First));
        Assert.NotEqual(Ids(test).Order(), Ids(test)); // shuffled, not sorted by class
    }

    [Fact]
    public void Split_is_reproducible_from_the_seed()
    {
        var data = Indexed();
        var a = Splits.TrainTestSplit(data, 0.3, new Rng(7));
        var b = Splits.TrainTestSplit(data, 0.3, new Rng(7));
        var c = Splits.TrainTestSplit(data, 0.3, new Rng(8));
        Assert.Equal(Ids(a.Test), Ids(b.Test));
        Assert.Equal(Ids(a.Train), Ids(b.Train));
        Assert.NotEqual(Ids(a.Test).Order(), Ids(c.Test).Order());
    }

    [Fact]
    public void Unstratified_split_takes_round_fraction_times_N()
    {
        var (train, test) = Splits.TrainTestSplit(Indexed(101), 0.2, new Rng(3), stratify: false);
        Assert.Equal(20, test.Count);
        Assert.Equal(81, train.Count);
        Assert.Equal(Enumerable.Range(0, 101), Ids(train).Concat(Ids(test)).Order());
    }

    [Fact]
    public void Stratified_split_of_the_digits_keeps_every_class_in_both_parts()
    {
        var digits = Digits.Load8x8();
        var (train, test) = Splits.TrainTestSplit(digits, 0.2, new Rng(0));
        int[] counts = digits.ClassCounts();
        for (int k = 0; k < 10; k++)
            Assert.Equal((int)Math.Round(0.2 * counts[k], MidpointRounding.AwayFromZero), test.ClassCounts()[k]);
        Assert.Equal(1797, train.Count + test.Count);
        Assert.Equal([test.Count, 64], test.X.Shape);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Bad_test_fraction_is_rejected(double fraction)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Splits.TrainTestSplit(Indexed(), fraction, new Rng(1)));
        Assert.Equal("testFraction", ex.ParamName);
    }

    [Fact]
    public void Split_that_empties_a_part_is_rejected()
    {
        var tiny = Splits.Subset(Indexed(), [0, 1, 2]);
        var ex = Assert.Throws<ArgumentException>(() => Splits.TrainTestSplit(tiny, 0.1, new Rng(1), stratify: false));
        Assert.Equal("testFraction", ex.ParamName);
        Assert.Contains("0 for testing", ex.Message);
    }

    [Fact]
    public void Subset_copies_the_chosen_examples_and_checks_indices()
    {
        var data = Indexed();
        var s = Splits.Subset(data, [5, 3, 99]);
        Assert.Equal([5, 3, 99], Ids(s));
        Assert.Equal([data.Labels[5], data.Labels[3], data.Labels[99]], s.Labels);
        s.X[0] = -1;
        Assert.Equal(5, data.X[5]); // a copy, not a view

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Subset(data, [0, 100]));
        Assert.Equal("indices", ex.ParamName);
        Assert.Contains("100", ex.Message);
    }

    [Fact]
    public void Batches_cover_every_example_exactly_once_per_epoch()
    {
        var data = Indexed(100);
        var rng = new Rng(4);
        var epoch1 = Splits.Batches(data, 7, rng).ToList();
        var epoch2 = Splits.Batches(data, 7, rng).ToList();
        Assert.Equal(15, epoch1.Count);
        Assert.All(epoch1.SkipLast(1), b => Assert.Equal([7, 1], b.X.Shape));
        Assert.Equal([2, 1], epoch1[^1].X.Shape); // the remainder, like DataLoader(drop_last=False)
        foreach (var epoch in new[] { epoch1, epoch2 })
        {
            int[] seen = [.. epoch.SelectMany(b => b.X.Data.Select(v => (int)v))];
            Assert.Equal(Enumerable.Range(0, 100), seen.Order());
            Assert.All(epoch, b => Assert.Equal(b.X.Data.Select(v => data.Labels[(int)v]), b.Labels));
        }
        int[] order1 = [.. epoch1.SelectMany(b => b.X.Data.Select(v => (int)v))];
        int[] order2 = [.. epoch2.SelectMany(b => b.X.Data.Select(v => (int)v))];
        Assert.NotEqual(order1, order2); // a fresh order each epoch
        int[] unshuffled = [.. Splits.Batches(data, 30).SelectMany(b => b.X.Data.Select(v => (int)v))];
        Assert.Equal(Enumerable.Range(0, 100), unshuffled);
    }

    [Fact]
    public void Batches_keep_the_image_shape_and_regression_batches_keep_pairs()
    {
        var images = Digits.Load8x8().AsImages(1, 8, 8);
        var first = Splits.Batches(images, 64, new Rng(1)).First();
        Assert.Equal([64, 1, 8, 8], first.X.Shape);

        var line = Synthetic.NoisyLine(50, 2, 1, 0, 0, new Rng(2));
        foreach (var (x, y) in Splits.Batches(line, 16, new Rng(3)))
        {
            Assert.Equal(x.Shape[0], y.Shape[0]);
            for (int i = 0; i < x.Shape[0]; i++) Assert.Equal((2 * x[i]) + 1, y[i], 1e-5f);
        }
        Assert.Equal(50, Splits.Batches(line, 16).Sum(b => b.X.Shape[0]));
    }

    [Fact]
    public void Batch_size_must_be_positive()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Batches(Indexed(), 0));
        Assert.Equal("batchSize", ex.ParamName);
        Assert.Contains("0", ex.Message);
    }

    [Fact]
    public void Dataset_checks_labels_against_X_and_classes()
    {
        var x = NDArray.Zeros<float>(3, 2);
        var count = Assert.Throws<ArgumentException>(() => new Dataset("d", x, [0, 1], 2));
        Assert.Contains("2 labels", count.Message);
        Assert.Contains("3 examples", count.Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset("d", x, [0, 1, 2], 2));
        Assert.Equal("Labels", range.ParamName);
        Assert.Contains("[0, 2)", range.Message);
        var names = Assert.Throws<ArgumentException>(() => new Dataset("d", x, [0, 1, 1], 2, ["a"]));
        Assert.Equal("ClassNames", names.ParamName);
    }
}

public class SyntheticTests
{
    private static void AssertSameData(Dataset a, Dataset b)
    {
        Assert.Equal(a.X.Shape, b.X.Shape);
        Assert.Equal(a.X.Data, b.X.Data);
        Assert.Equal(a.Labels, b.Labels);
    }

    public static TheoryData<string> Generators => ["xor", "moons", "circles", "spirals", "seed"];

    private static Dataset Make(string name, int n, ulong seed, double noise = 0.1) => name switch
    {
        "xor" => Synthetic.Xor(n, noise, new Rng(seed)),
        "moons" => Synthetic.TwoMoons(n, noise, new Rng(seed)),
        "circles" => Synthetic.Circles(n, noise, 0.5, new Rng(seed)),
        "spirals" => Synthetic.Spirals(n, 3, noise, new Rng(seed)),
        "seed" => Synthetic.XorSine(n, new Rng(seed)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory, MemberData(nameof(Generators))]
    public void Generators_are_deterministic_given_the_seed_and_shuffled(string name)
    {
        var a = Make(name, 300, 11);
        AssertSameData(a, Make(name, 300, 11));
        Assert.NotEqual(a.X.Data, Make(name, 300, 12).X.Data);
        Assert.Equal([300, name == "seed" ? 10 : 2], a.X.Shape);
        Assert.Equal(300, a.Labels.Length);
        // Shuffled: the first half is not all one class.
        Assert.True(a.Labels[..150].Distinct().Count() > 1, string.Join(",", a.Labels[..20]));
    }

    [Theory, MemberData(nameof(Generators))]
    public void Classes_are_balanced(string name)
    {
        var d = Make(name, 301, 5);
        int[] counts = d.ClassCounts();
        Assert.Equal(301, counts.Sum());
        Assert.True(counts.Max() - counts.Min() <= 1, string.Join(", ", counts));
    }

    [Fact]
    public void Xor_labels_are_the_xor_of_the_signs_on_noise_free_data()
    {
        var d = Synthetic.Xor(400, 0, new Rng(1));
        for (int i = 0; i < d.Count; i++)
        {
            float x1 = d.X[i, 0], x2 = d.X[i, 1];
            Assert.Equal(x1 * x2 < 0 ? 1 : 0, d.Labels[i]);
            Assert.InRange(x1, -1, 1);
            Assert.InRange(x2, -1, 1);
        }
        Assert.Equal([200, 200], d.ClassCounts());
    }

    [Fact]
    public void Moons_lie_on_the_two_half_circles_of_make_moons()
    {
        var d = Synthetic.TwoMoons(200, 0, new Rng(1));
        for (int i = 0; i < d.Count; i++)
        {
            double x1 = d.X[i, 0], x2 = d.X[i, 1];
            if (d.Labels[i] == 0)
            {
                Assert.Equal(1, (x1 * x1) + (x2 * x2), 1e-5); // upper unit half circle
                Assert.True(x2 >= -1e-6);
            }
            else
            {
                Assert.Equal(1, ((x1 - 1) * (x1 - 1)) + ((x2 - 0.5) * (x2 - 0.5)), 1e-5); // lower half circle at (1, 0.5)
                Assert.True(x2 <= 0.5 + 1e-6);
            }
        }
        // Endpoints are included, as np.linspace(0, π, m) includes them.
        Assert.Contains(Enumerable.Range(0, d.Count), i => d.Labels[i] == 0 && Math.Abs(d.X[i, 0] + 1) < 1e-6);
    }

    [Fact]
    public void Circles_have_radius_1_and_factor_and_noise_blurs_them()
    {
        var d = Synthetic.Circles(200, 0, 0.3, new Rng(1));
        for (int i = 0; i < d.Count; i++)
        {
            double r = Math.Sqrt((d.X[i, 0] * d.X[i, 0]) + (d.X[i, 1] * d.X[i, 1]));
            Assert.Equal(d.Labels[i] == 0 ? 1 : 0.3, r, 1e-5);
        }
        var noisy = Synthetic.Circles(2000, 0.05, 0.3, new Rng(1));
        double[] dev = [.. Enumerable.Range(0, noisy.Count).Where(i => noisy.Labels[i] == 0)
            .Select(i => Math.Sqrt((noisy.X[i, 0] * noisy.X[i, 0]) + (noisy.X[i, 1] * noisy.X[i, 1])) - 1)];
        Assert.InRange(Math.Sqrt(dev.Average(v => v * v)), 0.04, 0.06); // radial spread ≈ noise
    }

    [Fact]
    public void Spiral_arms_follow_theta_equals_4k_plus_4r()
    {
        const int classes = 4;
        var d = Synthetic.Spirals(402, classes, 0, new Rng(1));
        Assert.Equal([101, 101, 100, 100], d.ClassCounts());
        for (int i = 0; i < d.Count; i++)
        {
            double x = d.X[i, 0], y = d.X[i, 1];
            double r = Math.Sqrt((x * x) + (y * y));
            Assert.InRange(r, 0, 1 + 1e-6);
            if (r < 1e-3) continue; // the centre has no angle
            double expected = (4 * d.Labels[i]) + (4 * r);
            double diff = Math.IEEERemainder(Math.Atan2(x, y) - expected, 2 * Math.PI); // x = r·sin θ, y = r·cos θ
            Assert.True(Math.Abs(diff) < 1e-4, $"example {i}: θ off by {diff}");
        }
    }

    [Fact]
    public void NoisyLine_has_the_requested_outlier_fraction_far_above_the_line()
    {
        var d = Synthetic.NoisyLine(200, -2, 0.5, 0.1, 0.1, new Rng(1));
        Assert.Equal([200, 1], d.X.Shape);
        Assert.Equal([200, 1], d.Y.Shape);
        Assert.NotNull(d.Outliers);
        Assert.Equal(20, d.Outliers.Count(o => o));
        var residuals = Enumerable.Range(0, 200).Select(i => (Outlier: d.Outliers[i], R: d.Y[i] - ((-2 * d.X[i]) + 0.5))).ToList();
        Assert.All(residuals.Where(p => p.Outlier), p => Assert.True(p.R > (5 * 3) - 0.5, $"outlier residual {p.R}"));
        double std = Math.Sqrt(residuals.Where(p => !p.Outlier).Average(p => p.R * p.R));
        Assert.InRange(std, 0.08, 0.12);
        Assert.All(d.X.Data, x => Assert.InRange(x, -1, 1));

        var clean = Synthetic.NoisyLine(100, 3, -1, 0, 0, new Rng(2));
        Assert.DoesNotContain(true, clean.Outliers!);
        for (int i = 0; i < 100; i++) Assert.Equal((3 * clean.X[i]) - 1, clean.Y[i], 1e-5f);
        var same = Synthetic.NoisyLine(100, 3, -1, 0, 0, new Rng(2));
        Assert.Equal(clean.Y.Data, same.Y.Data);
    }

    [Fact]
    public void XorSine_labels_follow_the_documented_rule_and_are_not_linearly_separable()
    {
        var d = Synthetic.XorSine(2000, new Rng(3));
        Assert.Equal([2000, 10], d.X.Shape);
        Assert.Equal([1000, 1000], d.ClassCounts());
        for (int i = 0; i < d.Count; i++) Assert.Equal(Synthetic.XorSineRule(d.X.Row(i)), d.Labels[i]);

        // Least squares on ±1 targets (the best linear fit) stays far from the 90 % a small MLP reaches.
        double accuracy = LinearFitAccuracy(d);
        Assert.InRange(accuracy, 0.55, 0.75);
    }

    /// <summary>Training accuracy of w = argmin ‖[X 1]w − (2y − 1)‖², solved by the normal equations.</summary>
    private static double LinearFitAccuracy(Dataset d)
    {
        int n = d.Count, p = d.X.Shape[1] + 1;
        double[,] a = new double[p, p + 1];
        for (int i = 0; i < n; i++)
        {
            double[] row = [.. d.X.Row(i).ToArray().Select(v => (double)v), 1.0];
            double t = (2 * d.Labels[i]) - 1;
            for (int r = 0; r < p; r++)
            {
                for (int c = 0; c < p; c++) a[r, c] += row[r] * row[c];
                a[r, p] += row[r] * t;
            }
        }
        for (int k = 0; k < p; k++) // Gauss–Jordan; XᵀX is well conditioned for Gaussian features
            for (int r = 0; r < p; r++)
            {
                if (r == k) continue;
                double f = a[r, k] / a[k, k];
                for (int c = k; c <= p; c++) a[r, c] -= f * a[k, c];
            }
        double[] w = [.. Enumerable.Range(0, p).Select(k => a[k, p] / a[k, k])];
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            double score = w[p - 1];
            for (int f = 0; f < p - 1; f++) score += w[f] * d.X[i, f];
            correct += (score > 0 ? 1 : 0) == d.Labels[i] ? 1 : 0;
        }
        return (double)correct / n;
    }

    [Fact]
    public void Bad_arguments_name_the_argument()
    {
        var rng = new Rng(1);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Xor(3, 0, rng)).ParamName);
        Assert.Equal("noise", Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.TwoMoons(10, -0.1, rng)).ParamName);
        Assert.Equal("noise", Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.TwoMoons(10, double.NaN, rng)).ParamName);
        var factor = Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Circles(10, 0, 1.0, rng));
        Assert.Equal("factor", factor.ParamName);
        Assert.Contains("1", factor.Message);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Spirals(10, 0, 0, rng)).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Spirals(2, 3, 0, rng)).ParamName);
        Assert.Equal("outlierFraction", Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.NoisyLine(10, 1, 0, 0, 1.5, rng)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Synthetic.XorSineRule(new float[9])).ParamName);
    }
}

public class SklearnParityTests
{
    private static readonly Fixture F = Fixture.Load("data");

    public static TheoryData<string> Generated => Fixture.Names("data", "moons", "circles", "spirals");

    /// <summary>Rows (label, x₁, x₂) sorted, so a shuffled set compares equal to sklearn's unshuffled one.</summary>
    private static (int Label, double X1, double X2)[] Sorted(double[] x, IEnumerable<int> labels) =>
        [.. labels.Select((y, i) => (y, x[2 * i], x[(2 * i) + 1])).OrderBy(p => p.y).ThenBy(p => p.Item2).ThenBy(p => p.Item3)];

    [Theory, MemberData(nameof(Generated))]
    public void Noise_free_generators_give_sklearns_points(string name)
    {
        var c = F[name];
        int n = (int)c.Param("n");
        var d = c.Op switch
        {
            "moons" => Synthetic.TwoMoons(n, 0, new Rng(1)),
            "circles" => Synthetic.Circles(n, 0, c.Param("factor"), new Rng(1)),
            _ => Synthetic.Spirals(n, (int)c.Param("classes"), 0, new Rng(1)),
        };
        var expected = Sorted(c.Output<double>("x").Data, c.Output<double>("y").Data.Select(v => (int)v));
        var actual = Sorted([.. d.X.Data.Select(v => (double)v)], d.Labels);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Label, actual[i].Label);
            Assert.Equal(expected[i].X1, actual[i].X1, 1e-6);
            Assert.Equal(expected[i].X2, actual[i].X2, 1e-6);
        }
    }

    [Fact]
    public void Load8x8_equals_sklearn_load_digits_over_16()
    {
        var c = F["digits8x8"];
        var d = Digits.Load8x8();
        Assert.Equal(c.Output<double>("labels").Data.Select(v => (int)v), d.Labels);
        var means = new double[10 * 64];
        int[] counts = d.ClassCounts();
        for (int i = 0; i < d.Count; i++)
            for (int j = 0; j < 64; j++)
                means[(d.Labels[i] * 64) + j] += d.X[i, j] / (double)counts[d.Labels[i]];
        Close.Assert(c.Output<double>("class_means"), NDArray.From(means, 10, 64), "class means", (1e-9, 1e-12));
        Close.Assert(c.Output<float>("first"), Splits.Subset(d, [0, 1, 2]).X, "first images");
        Close.Assert(c.Output<float>("last"), Splits.Subset(d, [1794, 1795, 1796]).X, "last images");
    }
}
