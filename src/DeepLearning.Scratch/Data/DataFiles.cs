using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;

namespace DeepLearning.Scratch.Data;

/// <summary>
/// Finds the course's <c>data/</c> folder and reads its files only after checking each one's SHA-256 against
/// <c>data/MANIFEST.json</c>, so a truncated download or an edited file fails loudly instead of training on garbage.
/// </summary>
public static class DataFiles
{
    /// <summary>The environment variable that, when set, names the data folder (or the repository root).</summary>
    public const string EnvironmentVariable = "COURSE_DATA";

    /// <summary>The manifest's file name inside the data folder.</summary>
    public const string ManifestName = "MANIFEST.json";

    /// <summary>
    /// The data folder: <c>$COURSE_DATA</c> if set; else the first <c>data/</c> holding a MANIFEST.json found walking
    /// up from <paramref name="start"/> (default: the app's folder, then the current directory); else the repository
    /// root recorded when this library was built.
    /// </summary>
    public static string FindDataDirectory(string? start = null) =>
        FindDataDirectory(start, Environment.GetEnvironmentVariable(EnvironmentVariable), BuildRepoRoot);

    /// <summary>The repository root this assembly was built from (assembly metadata "RepoRoot"), if recorded.</summary>
    public static string? BuildRepoRoot =>
        typeof(DataFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value is { Length: > 0 } root ? root : null;

    /// <summary>The search behind <see cref="FindDataDirectory(string?)"/>, with its two outside inputs made explicit for tests.</summary>
    internal static string FindDataDirectory(string? start, string? environment, string? repoRoot)
    {
        if (!string.IsNullOrWhiteSpace(environment))
        {
            // An explicit setting wins and must be right: silently falling back would hide the typo.
            return AsDataDirectory(environment)
                ?? throw new DirectoryNotFoundException(
                    $"{EnvironmentVariable} is set to '{environment}', but neither it nor its data/ subfolder contains {ManifestName}.");
        }
        var looked = new List<string>();
        string[] starts = start is not null ? [start] : [AppContext.BaseDirectory, Directory.GetCurrentDirectory()];
        foreach (string s in starts)
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(s)); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data");
                if (File.Exists(Path.Combine(candidate, ManifestName))) return candidate;
            }
            looked.Add($"'{s}' and its parents");
        }
        if (repoRoot is not null)
        {
            if (AsDataDirectory(repoRoot) is string built) return built;
            looked.Add($"the build-time repository root '{repoRoot}'");
        }
        throw new DirectoryNotFoundException(
            $"Could not find the course's data/ folder (with {ManifestName}). Looked in {string.Join(", ", looked)}. " +
            $"Set the {EnvironmentVariable} environment variable to the repository's data/ folder.");
    }

    private static string? AsDataDirectory(string path)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(Path.Combine(full, ManifestName))) return full;
        string nested = Path.Combine(full, "data");
        return File.Exists(Path.Combine(nested, ManifestName)) ? nested : null;
    }

    /// <summary>
    /// The bytes of <paramref name="relativePath"/> (e.g. "digits/uci-digits-8x8.csv.gz") inside the data folder,
    /// after checking them against the manifest: their SHA-256 and, for a gzipped file whose entry records them, the
    /// SHA-256 and row count of the decompressed text. Anything wrong — a missing or unreadable file, a mismatch, a
    /// manifest that is not what it should be — throws one message naming the file and what is wrong.
    /// </summary>
    public static byte[] ReadVerified(string relativePath, string? dataDirectory = null) => Read(relativePath, dataDirectory).Bytes;

    /// <summary>
    /// The decompressed contents of the gzipped data file <paramref name="relativePath"/>, verified as
    /// <see cref="ReadVerified"/> does (so a file truncated and then re-hashed in the manifest still fails on its rows).
    /// </summary>
    public static byte[] ReadVerifiedGzip(string relativePath, string? dataDirectory = null)
    {
        var (bytes, text, key) = Read(relativePath, dataDirectory);
        return text ?? Gunzip(bytes, key);
    }

    /// <summary>Lowercase hex SHA-256 of <paramref name="bytes"/>, as sha256sum prints it.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Reads the file's bytes; a test replaces it to simulate errors root cannot provoke (permissions).</summary>
    internal static Func<string, byte[]> ReadAllBytes { get; set; } = File.ReadAllBytes;

    /// <summary>One file's entry in the manifest: its hashes (lowercase) and, when recorded, its decompressed row count.</summary>
    internal sealed record ManifestEntry(string Path, string Sha256, string? UncompressedSha256, int? Rows);

    private static (byte[] Bytes, byte[]? Text, string Key) Read(string relativePath, string? dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        string key = relativePath.Replace('\\', '/');
        if (Path.IsPathRooted(relativePath) || key.Split('/').Contains(".."))
            throw new ArgumentException($"'{relativePath}' must be a path inside the data folder, like \"digits/uci-digits-8x8.csv.gz\".", nameof(relativePath));

        string dir = dataDirectory ?? FindDataDirectory();
        var entry = Manifest(dir).FirstOrDefault(e => e.Path == key)
            ?? throw new ArgumentException($"data/{key} is not listed in {Path.Combine(dir, ManifestName)}; every shipped file needs a hash there.", nameof(relativePath));
        string path = Path.Combine(dir, key);
        byte[] bytes = ReadFile(path, $"Data file data/{key}",
            $"Restore it with `git checkout -- data/{key}` or regenerate it with the script named in {ManifestName}.");
        string actual = Sha256(bytes);
        if (actual != entry.Sha256)
            throw new InvalidDataException(
                $"Data file data/{key} is corrupt or was changed: its SHA-256 is {actual}, but {ManifestName} expects {entry.Sha256}. " +
                $"Restore it with `git checkout -- data/{key}`; if you regenerated it on purpose, rerun data/scripts/manifest.py.");
        if (entry.UncompressedSha256 is null && entry.Rows is null) return (bytes, null, key);

        // The decompressed text is checked too: a file cut short and then re-hashed in the manifest passes the check
        // above, but not these.
        byte[] text = Gunzip(bytes, key);
        string textHash = Sha256(text);
        if (entry.UncompressedSha256 is string expectedText && textHash != expectedText)
            throw new InvalidDataException(
                $"Data file data/{key} decompresses to text whose SHA-256 is {textHash}, but {ManifestName} expects {expectedText} (uncompressed_sha256): " +
                $"the file's contents were changed. Restore it with `git checkout -- data/{key}`.");
        if (entry.Rows is int rows)
        {
            int lines = text.AsSpan().Count((byte)'\n') + (text.Length == 0 || text[^1] == (byte)'\n' ? 0 : 1);
            if (lines != rows)
                throw new InvalidDataException(
                    $"Data file data/{key} has {lines} rows, but {ManifestName} records {rows}: the file is truncated or padded. Restore it with `git checkout -- data/{key}`.");
        }
        return (bytes, text, key);
    }

    private static byte[] Gunzip(byte[] bytes, string key)
    {
        try
        {
            using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var text = new MemoryStream();
            gz.CopyTo(text);
            return text.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Data file data/{key} is not valid gzip ({e.Message}). Restore it with `git checkout -- data/{key}`.", e);
        }
    }

    // Reads a file, telling apart the ways it can fail: not there, not allowed, not a file, or some other I/O error.
    private static byte[] ReadFile(string path, string what, string remedy)
    {
        try
        {
            return ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{what} is missing (looked for {path}). {remedy}", path, e);
        }
        catch (UnauthorizedAccessException e) when (Directory.Exists(path))
        {
            throw new IOException($"{what} ({path}) is a folder, not a file. {remedy}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException(
                $"{what} exists but cannot be read: permission denied ({path}). Give your user read access to it (and to its folders), e.g. `chmod a+r {path}`.", e);
        }
        catch (IOException e)
        {
            throw new IOException($"{what} ({path}) could not be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// The manifest's file entries, checked: a JSON object whose "files" is an array of objects, each with a string
    /// "path" and a 64-hex-digit "sha256" (any case), optionally "uncompressed_sha256" and an integer "rows".
    /// </summary>
    internal static IReadOnlyList<ManifestEntry> Manifest(string dir)
    {
        string manifestPath = Path.Combine(dir, ManifestName);
        byte[] json = ReadFile(manifestPath, ManifestName, "It lists the hash of every data file; restore it with `git checkout -- data/MANIFEST.json`.");
        string where = manifestPath;
        if (json.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
            throw new InvalidDataException($"{where} is empty; restore it with `git checkout -- data/{ManifestName}`.");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{where} is not valid JSON (truncated or edited?): {e.Message} Restore it with `git checkout -- data/{ManifestName}`.", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{where} must be a JSON object with a \"files\" array, but is a JSON {Kind(root)}.");
            if (!root.TryGetProperty("files", out var files))
                throw new InvalidDataException($"{where} has no \"files\" key: it must list the data files as \"files\": [{{\"path\": …, \"sha256\": …}}, …].");
            if (files.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{where}: \"files\" must be an array, but is a JSON {Kind(files)}.");
            var entries = new List<ManifestEntry>();
            int i = 0;
            foreach (var e in files.EnumerateArray())
            {
                string at = $"{where}: files[{i}]";
                if (e.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{at} must be an object with \"path\" and \"sha256\", but is a JSON {Kind(e)}.");
                string path = RequiredString(e, "path", at);
                at = $"{where}: files[{i}] (\"{path}\")";
                string sha = Hash(RequiredString(e, "sha256", at), "sha256", at);
                string? text = e.TryGetProperty("uncompressed_sha256", out var u) ? Hash(AsString(u, "uncompressed_sha256", at), "uncompressed_sha256", at) : null;
                int? rows = null;
                if (e.TryGetProperty("rows", out var r))
                {
                    if (r.ValueKind != JsonValueKind.Number || !r.TryGetInt32(out int n) || n < 0)
                        throw new InvalidDataException($"{at}: \"rows\" must be a non-negative integer, but is {r.GetRawText()}.");
                    rows = n;
                }
                if (entries.Any(x => x.Path == path))
                    throw new InvalidDataException($"{where} lists \"{path}\" twice; each file must appear once.");
                entries.Add(new ManifestEntry(path, sha, text, rows));
                i++;
            }
            return entries;
        }
    }

    private static string RequiredString(JsonElement e, string key, string at) =>
        e.TryGetProperty(key, out var v) ? AsString(v, key, at) : throw new InvalidDataException($"{at} has no \"{key}\".");

    private static string AsString(JsonElement v, string key, string at) =>
        v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidDataException($"{at}: \"{key}\" must be a string, but is a JSON {Kind(v)} ({v.GetRawText()}).");

    // Hashes compare in lowercase: sha256sum prints lowercase, but a hand-edited manifest may not.
    private static string Hash(string value, string key, string at)
    {
        if (value.Length != 64 || !value.All(char.IsAsciiHexDigit))
            throw new InvalidDataException($"{at}: \"{key}\" must be 64 hexadecimal digits (a SHA-256), but is \"{value}\".");
        return value.ToLowerInvariant();
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
}
