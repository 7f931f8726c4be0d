using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course.Tests;

public class DataViewTests
{
    private static string[] Texts(VBuffer<ReadOnlyMemory<char>> v) => [.. v.DenseValues().Select(m => m.ToString())];

    [Fact]
    public void Digits_schema_has_image_features_with_slot_names_and_a_key_label_with_class_names()
    {
        var view = DataViews.Digits8x8();
        Assert.Equal(1797, view.GetRowCount());
        Assert.True(view.CanShuffle);
        var features = view.Schema[DataViews.FeaturesColumn];
        var type = Assert.IsType<VectorDataViewType>(features.Type);
        Assert.Equal(NumberDataViewType.Single, type.ItemType);
        Assert.Equal([1, 8, 8], type.Dimensions.ToArray());
        Assert.Equal(64, type.Size);
        var slots = default(VBuffer<ReadOnlyMemory<char>>);
        features.Annotations.GetValue(DataViews.SlotNamesKind, ref slots);
        string[] names = Texts(slots);
        Assert.Equal(64, names.Length);
        Assert.Equal("pixel_0_0", names[0]);
        Assert.Equal("pixel_2_5", names[(2 * 8) + 5]);

        var label = view.Schema[DataViews.LabelColumn];
        var key = Assert.IsType<KeyDataViewType>(label.Type);
        Assert.Equal(10UL, key.Count);
        Assert.Equal(typeof(uint), key.RawType);
        var values = default(VBuffer<ReadOnlyMemory<char>>);
        label.Annotations.GetValue(DataViews.KeyValuesKind, ref values);
        Assert.Equal(Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)), Texts(values));
        Assert.Contains("Features: Vector<Single, 1, 8, 8> [SlotNames]", DataViews.Describe(view));
        Assert.Contains("Label: Key<UInt32, 0-9> [KeyValues]", DataViews.Describe(view));
    }

    [Fact]
    public void Cursor_reads_the_rows_as_the_dataset_holds_them_with_one_based_keys()
    {
        var data = Digits.Load8x8();
        var view = DataViews.From(data.AsImages(1, 8, 8));
        using var cursor = view.GetRowCursor(view.Schema);
        var features = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        var label = cursor.GetGetter<uint>(view.Schema["Label"]);
        var id = cursor.GetIdGetter();
        var buffer = default(VBuffer<float>);
        uint key = 0;
        var rowId = default(DataViewRowId);
        Assert.Throws<InvalidOperationException>(() => features(ref buffer));   // not on a row yet
        for (int row = 0; row < 3; row++)
        {
            Assert.True(cursor.MoveNext());
            Assert.Equal(row, cursor.Position);
            features(ref buffer);
            label(ref key);
            id(ref rowId);
            Assert.Equal(data.X.Data.AsSpan(row * 64, 64).ToArray(), buffer.DenseValues());
            Assert.Equal((uint)data.Labels[row] + 1, key);
            Assert.Equal((ulong)row, rowId.Low);
        }
        var wrongType = Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<int>(view.Schema["Label"]));
        Assert.Contains("UInt32", wrongType.Message);
    }

    [Fact]
    public void Round_trip_to_TrainData_keeps_images_labels_and_classes()
    {
        var data = Digits.Load8x8().AsImages(1, 8, 8);
        using var back = DataViews.ToTrainData(DataViews.From(data));
        Assert.Equal([1797L, 1, 8, 8], back.X.shape);
        Assert.Equal(data.X.Data, back.X.ToNDArray().Data);
        Assert.Equal(data.Labels, back.Y.ToInts());
        Assert.Equal(TaskKind.Classification, back.Task);
        Assert.Equal(10, back.Classes);

        var line = Synthetic.NoisyLine(20, 2, 1, 0.1, 0.1, new Rng(1));
        var lineView = DataViews.From(line);
        Assert.Equal(NumberDataViewType.Single, lineView.Schema["Label"].Type);
        var (x, y) = DataViews.ToTensors(lineView);
        using (x)
        using (y)
        {
            Assert.Equal(line.X.Data, x.ToNDArray().Data);
            Assert.Equal(line.Y.Data, y.ToNDArray().Data);
            Assert.Equal([20L, 1], y.shape);
        }
    }

    [Fact]
    public void A_shuffling_cursor_visits_every_row_once_and_the_loader_batches_them()
    {
        var view = DataViews.From(Synthetic.Spirals(30, 3, 0.1, new Rng(2)));
        var seen = new List<ulong>();
        using (var cursor = view.GetRowCursor([view.Schema["Label"]], new Random(5)))
        {
            var id = cursor.GetIdGetter();
            var rowId = default(DataViewRowId);
            while (cursor.MoveNext())
            {
                id(ref rowId);
                seen.Add(rowId.Low);
            }
            Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]));   // not requested
        }
        Assert.NotEqual(Enumerable.Range(0, 30).Select(i => (ulong)i), seen);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (ulong)i), seen.Order());

        using var loader = DataViews.ToDataLoader(view, batchSize: 8, seed: 1);
        var labels = new List<int>();
        foreach (var batch in loader)
        {
            Assert.Equal(2, batch[0].shape[1]);
            Assert.Equal(ScalarType.Int64, batch[1].dtype);
            labels.AddRange(batch[1].ToInts());
        }
        Assert.Equal(30, labels.Count);
        Assert.Equal([10, 10, 10], labels.CountBy(l => l).OrderBy(p => p.Key).Select(p => p.Value));
    }

    [Fact]
    public void Wrong_or_missing_columns_are_named_with_their_types()
    {
        var doubles = new SchemaView(("Features", new VectorDataViewType(NumberDataViewType.Double, 4)), ("Label", new KeyDataViewType(typeof(uint), 3)));
        var features = Assert.Throws<ArgumentException>(() => DataViews.ToTrainData(doubles));
        Assert.Equal("features", features.ParamName);
        Assert.Contains("'Features' has type Vector<Double, 4>", features.Message);
        Assert.Contains("Single", features.Message);

        var unknownSize = new SchemaView(("Features", new VectorDataViewType(NumberDataViewType.Single)), ("Label", NumberDataViewType.Single));
        Assert.Contains("no fixed size", Assert.Throws<ArgumentException>(() => DataViews.ToTrainData(unknownSize)).Message);

        var text = new SchemaView(("Features", new VectorDataViewType(NumberDataViewType.Single, 2)), ("Label", TextDataViewType.Instance));
        var label = Assert.Throws<ArgumentException>(() => DataViews.ToTrainData(text));
        Assert.Equal("label", label.ParamName);
        Assert.Contains("'Label' has type String", label.Message);
        Assert.Contains("MapValueToKey", label.Message);

        var missing = Assert.Throws<ArgumentException>(() => DataViews.ToTrainData(text, features: "Pixels"));
        Assert.Contains("no column 'Pixels'", missing.Message);
        Assert.Contains("Features (Vector<Single, 2>)", missing.Message);
    }

    [Fact]
    public void A_missing_key_in_the_data_is_reported_with_its_row()
    {
        var view = new SchemaView(("Features", NumberDataViewType.Single), ("Label", new KeyDataViewType(typeof(uint), 2)))
        {
            Rows = [(1f, 1u), (2f, 0u)],   // key 0 is ML.NET's "missing"
        };
        var ex = Assert.Throws<InvalidDataException>(() => DataViews.ToTrainData(view));
        Assert.Contains("Row 1", ex.Message);
        Assert.Contains("missing", ex.Message);

        var fine = new SchemaView(("Features", NumberDataViewType.Single), ("Label", BooleanDataViewType.Instance)) { Rows = [(1f, true), (2f, false)] };
        using var binary = DataViews.ToTrainData(fine);
        Assert.Equal(TaskKind.Binary, binary.Task);
        Assert.Equal([1f, 0f], binary.Y.ToNDArray().Data);
        Assert.Equal([2L, 1], binary.X.shape);
    }

    /// <summary>A minimal IDataView with the given columns and, optionally, rows of (scalar feature, label) values.</summary>
    private sealed class SchemaView : IDataView
    {
        public SchemaView(params (string Name, DataViewType Type)[] columns)
        {
            var builder = new DataViewSchema.Builder();
            foreach (var (name, type) in columns) builder.AddColumn(name, type);
            Schema = builder.ToSchema();
        }

        public (float Feature, object Label)[] Rows { get; init; } = [];

        public bool CanShuffle => false;

        public DataViewSchema Schema { get; }

        public long? GetRowCount() => Rows.Length;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

        private sealed class Cursor(SchemaView view) : DataViewRowCursor
        {
            private int _row = -1;

            public override long Position => _row;

            public override long Batch => 0;

            public override DataViewSchema Schema => view.Schema;

            public override bool MoveNext() => ++_row < view.Rows.Length;

            public override bool IsColumnActive(DataViewSchema.Column column) => true;

            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_row, 0);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
                column.Index == 0
                    ? (ValueGetter<TValue>)(Delegate)(ValueGetter<float>)((ref float v) => v = view.Rows[_row].Feature)
                    : (ref TValue v) => v = (TValue)view.Rows[_row].Label;
        }
    }
}

[Collection("Training serial")]   // changes COURSE_DATA, so it must not run beside other tests that load data
public class DataViewHashTests
{
    [Fact]
    public void A_corrupted_data_file_fails_the_IDataView_path_with_both_hashes()
    {
        string source = DataFiles.FindDataDirectory();
        string copy = Path.Combine(Path.GetTempPath(), "fw-train-data-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(copy, "digits"));
        File.Copy(Path.Combine(source, DataFiles.ManifestName), Path.Combine(copy, DataFiles.ManifestName));
        byte[] bytes = File.ReadAllBytes(Path.Combine(source, Digits.File8x8));
        bytes[^10] ^= 0xFF;   // one flipped byte
        File.WriteAllBytes(Path.Combine(copy, Digits.File8x8), bytes);
        string? before = Environment.GetEnvironmentVariable(DataFiles.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataFiles.EnvironmentVariable, copy);
            var ex = Assert.Throws<InvalidDataException>(() => DataViews.Digits8x8());
            Assert.Contains(Digits.File8x8, ex.Message);
            Assert.Contains("corrupt", ex.Message);
            Assert.Contains(DataFiles.Sha256(bytes), ex.Message);                                          // actual
            Assert.Contains(DataFiles.Sha256(File.ReadAllBytes(Path.Combine(source, Digits.File8x8))), ex.Message);   // expected
            Assert.Throws<InvalidDataException>(() => DataViews.Digits8x8(copy));                            // explicit folder too
        }
        finally
        {
            Environment.SetEnvironmentVariable(DataFiles.EnvironmentVariable, before);
            Directory.Delete(copy, recursive: true);
        }
    }
}
