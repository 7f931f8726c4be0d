using System.IO.Compression;
using System.Text;
using DeepLearning.Scratch.Data;

namespace DeepLearning.Scratch.Tests;

/// <summary>
/// Fault class 6: data/MANIFEST.json and the files it lists. A truncated, empty or mistyped manifest, a hash in
/// capitals, a file cut short and re-hashed, a file that cannot be read versus one that is missing — each gets one
/// message naming the file and what is wrong (never a raw KeyNotFound or JsonReader error). Built on a tiny data
/// folder of its own, so nothing here depends on the shipped files.
/// </summary>
public sealed class DataManifestTests : IDisposable
{
    private const string File = "digits/tiny.csv.gz";
    private static readonly byte[] Text = Encoding.ASCII.GetBytes("1,2,3\n4,5,6\n7,8,9\n");
    private readonly string _dir = Directory.CreateTempSubdirectory("manifest-tests-").FullName;

    public DataManifestTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "digits"));
        System.IO.File.WriteAllBytes(Path.Combine(_dir, File), Gzip(Text));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Gzip(byte[] text)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(text);
        return ms.ToArray();
    }

    private string ManifestPath => Path.Combine(_dir, DataFiles.ManifestName);

    private void WriteManifest(string json) => System.IO.File.WriteAllText(ManifestPath, json);

    // A manifest entry for the tiny file; each part can be replaced.
    private string Entry(string? sha = null, string? text = null, string? rows = null, string? path = null) =>
        $$"""{"path": {{path ?? $"\"{File}\""}}, "sha256": {{sha ?? $"\"{DataFiles.Sha256(System.IO.File.ReadAllBytes(Path.Combine(_dir, File)))}\""}}, "uncompressed_sha256": {{text ?? $"\"{DataFiles.Sha256(Text)}\""}}, "rows": {{rows ?? "3"}}}""";

    private InvalidDataException Bad() => Assert.Throws<InvalidDataException>(() => DataFiles.ReadVerified(File, _dir));

    [Fact]
    public void A_complete_manifest_verifies_both_hashes_and_the_rows()
    {
        WriteManifest($$"""{"files": [{{Entry()}}]}""");
        Assert.Equal(Text, DataFiles.ReadVerifiedGzip(File, _dir));
        Assert.Equal(Gzip(Text).Length, DataFiles.ReadVerified(File, _dir).Length);
    }

    [Fact]
    public void Hashes_compare_without_regard_to_case()
    {
        string upper = DataFiles.Sha256(System.IO.File.ReadAllBytes(Path.Combine(_dir, File))).ToUpperInvariant();
        WriteManifest($$"""{"files": [{{Entry(sha: $"\"{upper}\"", text: $"\"{DataFiles.Sha256(Text).ToUpperInvariant()}\"")}}]}""");
        Assert.Equal(Text, DataFiles.ReadVerifiedGzip(File, _dir));
    }

    [Fact]
    public void A_truncated_or_empty_manifest_says_so_and_names_it()
    {
        string full = $$"""{"files": [{{Entry()}}]}""";
        WriteManifest(full[..(full.Length / 2)]);
        var truncated = Bad();
        Assert.Contains(ManifestPath, truncated.Message);
        Assert.Contains("not valid JSON", truncated.Message);

        WriteManifest(" \n");
        var empty = Bad();
        Assert.Contains(ManifestPath, empty.Message);
        Assert.Contains("is empty", empty.Message);
    }

    [Theory]
    [InlineData("""{"about": "no files key"}""", "has no \"files\" key")]
    [InlineData("""{"files": {"path": "x"}}""", "\"files\" must be an array, but is a JSON object")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    [InlineData("""{"files": ["digits/tiny.csv.gz"]}""", "files[0] must be an object")]
    [InlineData("""{"files": [{"sha256": "00"}]}""", "files[0] has no \"path\"")]
    [InlineData("""{"files": [{"path": "digits/tiny.csv.gz"}]}""", "has no \"sha256\"")]
    [InlineData("""{"files": [{"path": 7, "sha256": "00"}]}""", "\"path\" must be a string, but is a JSON number")]
    public void Missing_keys_and_wrong_types_name_the_entry_and_the_key(string json, string expected)
    {
        WriteManifest(json);
        var ex = Bad();
        Assert.Contains(ManifestPath, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Wrongly_typed_fields_of_an_entry_are_named()
    {
        WriteManifest($$"""{"files": [{{Entry(sha: "12345")}}]}""");
        Assert.Contains("\"sha256\" must be a string, but is a JSON number", Bad().Message);
        WriteManifest($$"""{"files": [{{Entry(sha: "\"not-a-hash\"")}}]}""");
        Assert.Contains("64 hexadecimal digits", Bad().Message);
        WriteManifest($$"""{"files": [{{Entry(rows: "\"3\"")}}]}""");
        Assert.Contains("\"rows\" must be a non-negative integer", Bad().Message);
        WriteManifest($$"""{"files": [{{Entry(rows: "-1")}}]}""");
        Assert.Contains("\"rows\" must be a non-negative integer", Bad().Message);
        WriteManifest($$"""{"files": [{{Entry(text: "null")}}]}""");
        Assert.Contains("\"uncompressed_sha256\" must be a string", Bad().Message);
        WriteManifest($$"""{"files": [{{Entry()}}, {{Entry()}}]}""");
        Assert.Contains("twice", Bad().Message);
    }

    [Fact]
    public void A_file_cut_short_and_rehashed_is_caught_by_its_rows_and_its_uncompressed_hash()
    {
        // Drop the last row, re-compress, and record the new file's SHA-256 — as a careless regeneration would.
        byte[] shorter = Gzip(Text[..12]);
        System.IO.File.WriteAllBytes(Path.Combine(_dir, File), shorter);
        string sha = $"\"{DataFiles.Sha256(shorter)}\"";

        WriteManifest($$"""{"files": [{{Entry(sha: sha)}}]}""");
        var text = Bad();
        Assert.Contains($"data/{File}", text.Message);
        Assert.Contains("uncompressed_sha256", text.Message);

        // With only the row count recorded, the rows catch it.
        WriteManifest($$"""{"files": [{"path": "{{File}}", "sha256": {{sha}}, "rows": 3}]}""");
        var rows = Bad();
        Assert.Contains($"data/{File} has 2 rows", rows.Message);
        Assert.Contains("records 3", rows.Message);
    }

    [Fact]
    public void A_file_that_is_not_gzip_says_so()
    {
        byte[] plain = Text;
        System.IO.File.WriteAllBytes(Path.Combine(_dir, File), plain);
        WriteManifest($$"""{"files": [{{Entry(sha: $"\"{DataFiles.Sha256(plain)}\"")}}]}""");
        Assert.Contains("not valid gzip", Bad().Message);
    }

    [Fact]
    public void A_permission_error_is_not_reported_as_missing()
    {
        WriteManifest($$"""{"files": [{{Entry()}}]}""");
        string path = Path.Combine(_dir, File);

        // Missing: FileNotFound, saying "missing".
        byte[] saved = System.IO.File.ReadAllBytes(path);
        System.IO.File.Delete(path);
        var missing = Assert.Throws<FileNotFoundException>(() => DataFiles.ReadVerified(File, _dir));
        Assert.Contains("missing", missing.Message);
        System.IO.File.WriteAllBytes(path, saved);

        // Unreadable: root reads anything, so the refusal is simulated for this one path (other tests are unaffected).
        var original = DataFiles.ReadAllBytes;
        DataFiles.ReadAllBytes = p => p == path ? throw new UnauthorizedAccessException($"Access to the path '{p}' is denied.") : original(p);
        try
        {
            var denied = Assert.Throws<UnauthorizedAccessException>(() => DataFiles.ReadVerified(File, _dir));
            Assert.Contains("permission denied", denied.Message);
            Assert.Contains(path, denied.Message);
            Assert.DoesNotContain("missing", denied.Message);
        }
        finally
        {
            DataFiles.ReadAllBytes = original;
        }

        // A folder where the file should be.
        System.IO.File.Delete(path);
        Directory.CreateDirectory(path);
        var folder = Assert.Throws<IOException>(() => DataFiles.ReadVerified(File, _dir));
        Assert.Contains("is a folder", folder.Message);

        // The manifest itself, missing.
        System.IO.File.Delete(ManifestPath);
        var noManifest = Assert.Throws<FileNotFoundException>(() => DataFiles.ReadVerified(File, _dir));
        Assert.Contains(DataFiles.ManifestName, noManifest.Message);
        Assert.Contains("missing", noManifest.Message);
    }
}
