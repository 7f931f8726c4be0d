using System.Numerics;
using System.Text.Json;
using DeepLearning.Scratch;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// Golden numbers written by real PyTorch (fixtures/generate.py). One JSON file per topic; each case holds the
/// inputs, parameters, outputs and gradients of one call, all as float64 so both precisions can be checked.
/// </summary>
public sealed class Fixture
{
    private static readonly Dictionary<string, Fixture> Cache = [];
    private readonly Dictionary<string, FixtureCase> _cases;

    private Fixture(string topic, JsonElement root)
    {
        Topic = topic;
        TorchVersion = root.GetProperty("torch_version").GetString() ?? "?";
        _cases = [];
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            var fc = new FixtureCase(c);
            _cases.Add(fc.Name, fc);
        }
    }

    /// <summary>The topic name (the JSON file's name).</summary>
    public string Topic { get; }

    /// <summary>The PyTorch version that produced the numbers.</summary>
    public string TorchVersion { get; }

    /// <summary>All cases, in file order.</summary>
    public IEnumerable<FixtureCase> Cases => _cases.Values;

    /// <summary>The case called <paramref name="name"/>.</summary>
    public FixtureCase this[string name] =>
        _cases.TryGetValue(name, out var c) ? c : throw new KeyNotFoundException($"No case '{name}' in fixtures/{Topic}.json.");

    /// <summary>Loads (once) fixtures/<paramref name="topic"/>.json from the test output folder.</summary>
    public static Fixture Load(string topic)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(topic, out var f)) return f;
            string path = Path.Combine(AppContext.BaseDirectory, "fixtures", topic + ".json");
            if (!File.Exists(path))
                throw new FileNotFoundException($"Missing fixture {path}. Regenerate with: python3 tests/DeepLearning.Scratch.Tests/fixtures/generate.py", path);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            f = new Fixture(topic, doc.RootElement.Clone());
            Cache[topic] = f;
            return f;
        }
    }

    /// <summary>Case names whose op is one of <paramref name="ops"/> (all when empty), as xunit theory data.</summary>
    public static TheoryData<string> Names(string topic, params string[] ops)
    {
        var data = new TheoryData<string>();
        foreach (var c in Load(topic).Cases)
            if (ops.Length == 0 || ops.Contains(c.Op)) data.Add(c.Name);
        return data;
    }
}

/// <summary>One call recorded by PyTorch.</summary>
public sealed class FixtureCase
{
    private readonly JsonElement _e;

    internal FixtureCase(JsonElement e)
    {
        _e = e;
        Name = e.GetProperty("name").GetString()!;
        Op = e.GetProperty("op").GetString()!;
    }

    /// <summary>Unique name, e.g. "relu/2x5".</summary>
    public string Name { get; }

    /// <summary>The operation, e.g. "relu".</summary>
    public string Op { get; }

    /// <summary>Input array <paramref name="key"/> in precision <typeparamref name="T"/>.</summary>
    public NDArray<T> Input<T>(string key) where T : unmanaged, IFloatingPointIeee754<T> => ToArray<T>(Section("inputs", key));

    /// <summary>Output array <paramref name="key"/>.</summary>
    public NDArray<T> Output<T>(string key) where T : unmanaged, IFloatingPointIeee754<T> => ToArray<T>(Section("outputs", key));

    /// <summary>PyTorch's gradient with respect to <paramref name="key"/>.</summary>
    public NDArray<T> Grad<T>(string key) where T : unmanaged, IFloatingPointIeee754<T> => ToArray<T>(Section("grads", key));

    /// <summary>True when the case has an entry <paramref name="key"/> in <paramref name="section"/>.</summary>
    public bool Has(string section, string key) =>
        _e.TryGetProperty(section, out var s) && s.TryGetProperty(key, out _);

    /// <summary>Integer array (class labels, indices) from the inputs.</summary>
    public int[] Ints(string key)
    {
        var s = Section("inputs", key);
        var data = s.ValueKind == JsonValueKind.Object ? s.GetProperty("data") : s;
        return [.. data.EnumerateArray().Select(v => v.GetInt32())];
    }

    /// <summary>A scalar parameter (learning rate, slope, margin...).</summary>
    public double Param(string key) => Section("params", key).GetDouble();

    /// <summary>A parameter of any JSON kind, or null when absent.</summary>
    public JsonElement? RawParam(string key) =>
        _e.TryGetProperty("params", out var p) && p.TryGetProperty(key, out var v) ? v : null;

    /// <summary>A string parameter (reduction, mode...).</summary>
    public string Text(string key) => Section("params", key).GetString()!;

    /// <summary>A list of arrays from the outputs (optimizer trajectories, running statistics per step).</summary>
    public IReadOnlyList<NDArray<T>> OutputList<T>(string key) where T : unmanaged, IFloatingPointIeee754<T> =>
        [.. Section("outputs", key).EnumerateArray().Select(ToArray<T>)];

    /// <summary>A list of scalars from the outputs.</summary>
    public double[] OutputScalars(string key) => [.. Section("outputs", key).EnumerateArray().Select(v => v.GetDouble())];

    private JsonElement Section(string section, string key)
    {
        if (!_e.TryGetProperty(section, out var s) || !s.TryGetProperty(key, out var v))
            throw new KeyNotFoundException($"Case '{Name}' has no {section}.{key}.");
        return v;
    }

    private static NDArray<T> ToArray<T>(JsonElement e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (e.ValueKind is JsonValueKind.Number or JsonValueKind.String) return NDArray.Scalar(T.CreateChecked(Number(e)));
        int[] shape = [.. e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())];
        T[] data = [.. e.GetProperty("data").EnumerateArray().Select(v => T.CreateChecked(Number(v)))];
        return new NDArray<T>(shape, data);
    }

    // JSON has no infinities or NaN; the generator writes them as the strings "inf", "-inf" and "nan".
    private static double Number(JsonElement v) => v.ValueKind != JsonValueKind.String ? v.GetDouble() : v.GetString() switch
    {
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        "nan" => double.NaN,
        var other => throw new FormatException($"'{other}' is not a number in a fixture."),
    };
}
