using System.Globalization;
using DeepLearning.Scratch.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>
/// The course's data sets as ML.NET <see cref="IDataView"/>s (column "Features": a known-size vector of float with
/// slot names; "Label": a key over the classes with their names, or a float target) and back: any IDataView with
/// such columns becomes tensors, a <see cref="TrainData"/> or a TorchSharp DataLoader, read through the cursor API.
/// </summary>
public static class DataViews
{
    /// <summary>The features column's default name (ML.NET's convention).</summary>
    public const string FeaturesColumn = "Features";

    /// <summary>The label column's default name (ML.NET's convention).</summary>
    public const string LabelColumn = "Label";

    /// <summary>The annotation kind naming a vector's slots (ML.NET's AnnotationUtils.Kinds.SlotNames).</summary>
    public const string SlotNamesKind = "SlotNames";

    /// <summary>The annotation kind naming a key type's values (ML.NET's AnnotationUtils.Kinds.KeyValues).</summary>
    public const string KeyValuesKind = "KeyValues";

    /// <summary>
    /// A classification set as an IDataView: "Features" is Vector&lt;Single&gt; with the example's dimensions
    /// (e.g. [1, 8, 8] after AsImages, with slot names "pixel_r_c"; flat sets get "x0", "x1", …) and "Label" is
    /// Key&lt;UInt32&gt; over the classes (ML.NET keys are 1-based: class k is stored as k + 1) with their names.
    /// </summary>
    public static IDataView From(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int features = data.X.Length / Math.Max(data.Count, 1);
        string[] classNames = [.. Enumerable.Range(0, data.Classes).Select(data.ClassName)];
        var label = new KeyDataViewType(typeof(uint), data.Classes);
        var labelAnnotations = new DataViewSchema.Annotations.Builder();
        labelAnnotations.Add(KeyValuesKind, new VectorDataViewType(TextDataViewType.Instance, data.Classes),
            (ref VBuffer<ReadOnlyMemory<char>> v) => v = Texts(classNames));
        uint[] keys = [.. data.Labels.Select(k => (uint)(k + 1))];
        return new ArrayDataView(data.Name, (float[])data.X.Data.Clone(), data.ExampleShape, features, SlotNames(data.ExampleShape),
            label, labelAnnotations.ToAnnotations(), keys, null);
    }

    /// <summary>A regression set as an IDataView: "Features" Vector&lt;Single, d&gt; ("x0" … slot names) and "Label" Single.</summary>
    public static IDataView From(RegressionSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int d = data.X.Shape[1];
        return new ArrayDataView(data.Name, (float[])data.X.Data.Clone(), [d], d, SlotNames([d]),
            NumberDataViewType.Single, null, null, (float[])data.Y.Data.Clone());
    }

    /// <summary>UCI's 8×8 digits as an IDataView of images [1, 8, 8] (hash-checked like every data file).</summary>
    public static IDataView Digits8x8(string? dataDirectory = null) => From(Digits.Load8x8(dataDirectory).AsImages(1, 8, 8));

    /// <summary>The 28×28 MNIST subset's training or test part as an IDataView of images [1, 28, 28] (hash-checked).</summary>
    public static IDataView Mnist28x28(bool train = true, string? dataDirectory = null)
    {
        var (trainPart, testPart) = Digits.Load28x28Split(dataDirectory);
        return From((train ? trainPart : testPart).AsImages(1, 28, 28));
    }

    /// <summary>
    /// Reads an IDataView into a <see cref="TrainData"/>: the features column (a known-size vector of Single, or
    /// one Single) becomes X [N, dims…]; the label column becomes class indices (Key), 0/1 targets (Boolean) or
    /// real targets (Single/Double). Wrong or missing columns throw an ArgumentException naming the column and its type.
    /// </summary>
    public static TrainData ToTrainData(IDataView view, string features = FeaturesColumn, string label = LabelColumn, string name = "data view")
    {
        ArgumentNullException.ThrowIfNull(view);
        var featureColumn = Find(view, features, nameof(features));
        var labelColumn = Find(view, label, nameof(label));
        var (dims, size) = FeatureShape(featureColumn, nameof(features));
        var labelKind = LabelKind(labelColumn, nameof(label));

        var x = new List<float>();
        var y = new List<float>();
        var classes = new List<long>();
        using (var cursor = view.GetRowCursor([featureColumn, labelColumn]))
        {
            var readFeatures = FeatureReader(cursor, featureColumn, size);
            var readLabel = LabelReader(cursor, labelColumn, labelKind);
            float[] row = new float[size];
            while (cursor.MoveNext())
            {
                readFeatures(row, cursor.Position);
                x.AddRange(row);
                double v = readLabel(cursor.Position);
                if (labelKind == TaskKind.Classification) classes.Add((long)v);
                else y.Add((float)v);
            }
        }
        long n = x.Count / size;
        if (n == 0)
            throw new ArgumentException($"The data view has no rows; training needs at least one.", nameof(view));

        using var scope = torch.NewDisposeScope();
        var xt = torch.tensor(x.ToArray(), [n, .. dims], ScalarType.Float32);
        return labelKind switch
        {
            TaskKind.Classification => TrainData.Classification(xt, torch.tensor(classes.ToArray(), ScalarType.Int64),
                checked((int)((KeyDataViewType)labelColumn.Type).Count), name),
            TaskKind.Binary => TrainData.Binary(xt, torch.tensor(y.ToArray()), name),
            _ => TrainData.Regression(xt, torch.tensor(y.ToArray()), name),
        };
    }

    /// <summary>X and Y tensors read from an IDataView (see <see cref="ToTrainData"/>); the caller owns them.</summary>
    public static (Tensor X, Tensor Y) ToTensors(IDataView view, string features = FeaturesColumn, string label = LabelColumn)
    {
        using var data = ToTrainData(view, features, label);
        return (data.X.alias(), data.Y.alias());
    }

    /// <summary>A TorchSharp DataLoader ([x, y] batches, seeded reshuffle every epoch) over an IDataView's rows.</summary>
    public static IterableDataLoader ToDataLoader(IDataView view, int batchSize, bool shuffle = true, int seed = 0,
        string features = FeaturesColumn, string label = LabelColumn)
    {
        TrainChecks.AtLeast(batchSize, 1, nameof(batchSize));
        using var data = ToTrainData(view, features, label);
        return data.ToDataLoader(batchSize, shuffle, seed);  // the loader's dataset holds its own aliases
    }

    /// <summary>One line per column: name, type and annotations ("Features: Vector&lt;Single, 1, 8, 8&gt; [SlotNames]").</summary>
    public static string Describe(IDataView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return string.Join("\n", view.Schema.Select(c =>
            $"{c.Name}: {TypeName(c.Type)}{(c.Annotations.Schema.Count > 0 ? $" [{c.Annotations}]" : "")}"));
    }

    private static string TypeName(DataViewType type) => type switch
    {
        VectorDataViewType v => $"Vector<{v.ItemType}, {string.Join(", ", v.Dimensions)}>",
        KeyDataViewType k => $"Key<{k.RawType.Name}, 0-{k.Count - 1}>",
        _ => type.ToString() ?? type.GetType().Name,
    };

    private static DataViewSchema.Column Find(IDataView view, string column, string argument)
    {
        ArgumentException.ThrowIfNullOrEmpty(column, argument);
        return view.Schema.GetColumnOrNull(column) ?? throw new ArgumentException(
            $"The data view has no column '{column}'. Its columns are: {string.Join(", ", view.Schema.Select(c => $"{c.Name} ({TypeName(c.Type)})"))}.", argument);
    }

    private static (long[] Dims, int Size) FeatureShape(DataViewSchema.Column column, string argument)
    {
        if (column.Type is VectorDataViewType { ItemType: NumberDataViewType item } v && item.RawType == typeof(float) && v.IsKnownSize)
            return ([.. v.Dimensions.Select(d => (long)d)], v.Size);
        if (column.Type is NumberDataViewType n && n.RawType == typeof(float))
            return ([1], 1);
        throw new ArgumentException(
            $"Column '{column.Name}' has type {TypeName(column.Type)}, but features must be a known-size vector of Single (float32)" +
            (column.Type is VectorDataViewType { IsKnownSize: false } ? " — this vector has no fixed size" : "") +
            ". Convert it first (ML.NET: Transforms.Conversion.ConvertType to Single, Transforms.Concatenate for several columns).", argument);
    }

    private static TaskKind LabelKind(DataViewSchema.Column column, string argument) => column.Type switch
    {
        KeyDataViewType k when k.RawType == typeof(uint) && k.Count is > 0 and <= int.MaxValue => TaskKind.Classification,
        BooleanDataViewType => TaskKind.Binary,
        NumberDataViewType n when n.RawType == typeof(float) || n.RawType == typeof(double) => TaskKind.Regression,
        _ => throw new ArgumentException(
            $"Column '{column.Name}' has type {TypeName(column.Type)}, but a label must be a Key<UInt32> (classes), Boolean (binary) or Single/Double (regression). " +
            "Map class names or integers to keys first (ML.NET: Transforms.Conversion.MapValueToKey).", argument),
    };

    private static Action<float[], long> FeatureReader(DataViewRowCursor cursor, DataViewSchema.Column column, int size)
    {
        if (column.Type is NumberDataViewType)
        {
            var scalar = cursor.GetGetter<float>(column);
            float value = 0;
            return (row, _) => { scalar(ref value); row[0] = value; };
        }
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var buffer = default(VBuffer<float>);
        return (row, position) =>
        {
            getter(ref buffer);
            if (buffer.Length != size)
                throw new InvalidDataException($"Row {position} of column '{column.Name}' has {buffer.Length} values, but its type promises {size}.");
            buffer.CopyTo(row);  // dense copy, zeros for a sparse vector's missing slots
        };
    }

    private static Func<long, double> LabelReader(DataViewRowCursor cursor, DataViewSchema.Column column, TaskKind kind)
    {
        switch (kind)
        {
            case TaskKind.Classification:
                var key = cursor.GetGetter<uint>(column);
                ulong count = ((KeyDataViewType)column.Type).Count;
                uint k = 0;
                return position =>
                {
                    key(ref k);
                    if (k == 0 || k > count)  // ML.NET keys: 0 means missing, 1..count are the classes
                        throw new InvalidDataException($"Row {position} of column '{column.Name}' has key {k}: {(k == 0 ? "a missing label" : $"outside 1..{count}")}.");
                    return k - 1;
                };
            case TaskKind.Binary:
                var flag = cursor.GetGetter<bool>(column);
                bool b = false;
                return _ => { flag(ref b); return b ? 1 : 0; };
            default:
                if (column.Type.RawType == typeof(double))
                {
                    var real = cursor.GetGetter<double>(column);
                    double d = 0;
                    return _ => { real(ref d); return d; };
                }
                var single = cursor.GetGetter<float>(column);
                float f = 0;
                return _ => { single(ref f); return f; };
        }
    }

    private static string[] SlotNames(int[] exampleShape) => exampleShape.Length switch
    {
        3 when exampleShape[0] == 1 => [.. Enumerable.Range(0, exampleShape[1] * exampleShape[2])
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"pixel_{i / exampleShape[2]}_{i % exampleShape[2]}"))],
        3 => [.. Enumerable.Range(0, exampleShape[0] * exampleShape[1] * exampleShape[2])
            .Select(i => string.Create(CultureInfo.InvariantCulture,
                $"c{i / (exampleShape[1] * exampleShape[2])}_pixel_{i / exampleShape[2] % exampleShape[1]}_{i % exampleShape[2]}"))],
        _ => [.. Enumerable.Range(0, exampleShape.Aggregate(1, (a, b) => a * b)).Select(i => "x" + i.ToString(CultureInfo.InvariantCulture))],
    };

    private static VBuffer<ReadOnlyMemory<char>> Texts(string[] texts) =>
        new(texts.Length, [.. texts.Select(t => t.AsMemory())]);

    /// <summary>
    /// An in-memory IDataView over row-major features and one label per row. Cursors read the arrays directly; with
    /// a <see cref="Random"/> they visit the rows in a random order (CanShuffle).
    /// </summary>
    private sealed class ArrayDataView : IDataView
    {
        private readonly float[] _x;
        private readonly int _size;
        private readonly uint[]? _keys;
        private readonly float[]? _targets;

        public ArrayDataView(string name, float[] x, int[] exampleShape, int size, string[] slotNames,
            DataViewType labelType, DataViewSchema.Annotations? labelAnnotations, uint[]? keys, float[]? targets)
        {
            Name = name;
            _x = x;
            _size = size;
            _keys = keys;
            _targets = targets;
            var slots = new DataViewSchema.Annotations.Builder();
            slots.Add(SlotNamesKind, new VectorDataViewType(TextDataViewType.Instance, size),
                (ref VBuffer<ReadOnlyMemory<char>> v) => v = Texts(slotNames));
            var schema = new DataViewSchema.Builder();
            schema.AddColumn(FeaturesColumn, new VectorDataViewType(NumberDataViewType.Single, exampleShape), slots.ToAnnotations());
            schema.AddColumn(LabelColumn, labelType, labelAnnotations);
            Schema = schema.ToSchema();
        }

        public string Name { get; }

        public long Rows => _x.Length / _size;

        public bool CanShuffle => true;

        public DataViewSchema Schema { get; }

        public long? GetRowCount() => Rows;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            ArgumentNullException.ThrowIfNull(columnsNeeded);
            bool[] active = new bool[Schema.Count];
            foreach (var c in columnsNeeded) active[c.Index] = true;
            long[] order = [.. Enumerable.Range(0, checked((int)Rows)).Select(i => (long)i)];
            rand?.Shuffle(order);
            return new Cursor(this, active, order);
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];  // one cursor is allowed ("up to n")

        public override string ToString() => $"{Name}: {Rows} rows; {Describe(this).Replace("\n", "; ", StringComparison.Ordinal)}";

        private sealed class Cursor(ArrayDataView view, bool[] active, long[] order) : DataViewRowCursor
        {
            private long _position = -1;

            public override long Position => _position;

            public override long Batch => 0;

            public override DataViewSchema Schema => view.Schema;

            private long Row => order[_position];

            public override bool MoveNext()
            {
                if (_position + 1 >= order.Length)
                {
                    _position = order.Length;
                    return false;
                }
                _position++;
                return true;
            }

            public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

            public override ValueGetter<DataViewRowId> GetIdGetter() =>
                (ref DataViewRowId id) => id = new DataViewRowId((ulong)Row, 0);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (column.Index >= active.Length || !active[column.Index])
                    throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
                if (typeof(TValue) != column.Type.RawType)
                    throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type.RawType.Name}, not {typeof(TValue).Name}.");
                Delegate getter = column.Name == FeaturesColumn
                    ? (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) =>
                    {
                        CheckPosition();
                        var editor = VBufferEditor.Create(ref v, view._size);
                        view._x.AsSpan(checked((int)(Row * view._size)), view._size).CopyTo(editor.Values);
                        v = editor.Commit();
                    })
                    : view._keys is not null
                        ? (ValueGetter<uint>)((ref uint k) => { CheckPosition(); k = view._keys[Row]; })
                        : (ValueGetter<float>)((ref float t) => { CheckPosition(); t = view._targets![Row]; });
                return (ValueGetter<TValue>)getter;
            }

            private void CheckPosition()
            {
                if (_position < 0 || _position >= order.Length)
                    throw new InvalidOperationException("The cursor is not on a row: call MoveNext() first (and stop when it returns false).");
            }
        }
    }
}
