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
    /// after checking their SHA-256 against the manifest. A missing file or a mismatch throws, naming the file and,
    /// for a mismatch, the expected and actual hashes.
    /// </summary>
    public static byte[] ReadVerified(string relativePath, string? dataDirectory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        string key = relativePath.Replace('\\', '/');
        if (Path.IsPathRooted(relativePath) || key.Split('/').Contains(".."))
            throw new ArgumentException($"'{relativePath}' must be a path inside the data folder, like \"digits/uci-digits-8x8.csv.gz\".", nameof(relativePath));

        string dir = dataDirectory ?? FindDataDirectory();
        string expected = ExpectedSha256(key, dir);
        string path = Path.Combine(dir, key);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Data file data/{key} is missing (looked for {path}). Restore it with `git checkout -- data/{key}` " +
                $"or regenerate it with the script named in {ManifestName}.", path);
        byte[] bytes = File.ReadAllBytes(path);
        string actual = Sha256(bytes);
        if (actual != expected)
            throw new InvalidDataException(
                $"Data file data/{key} is corrupt or was changed: its SHA-256 is {actual}, but {ManifestName} expects {expected}. " +
                $"Restore it with `git checkout -- data/{key}`; if you regenerated it on purpose, rerun data/scripts/manifest.py.");
        return bytes;
    }

    /// <summary>Lowercase hex SHA-256 of <paramref name="bytes"/>, as sha256sum prints it.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string ExpectedSha256(string relativePath, string dir)
    {
        string manifestPath = Path.Combine(dir, ManifestName);
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"{manifestPath} is missing, so no data file can be verified.", manifestPath);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        foreach (var entry in doc.RootElement.GetProperty("files").EnumerateArray())
            if (entry.GetProperty("path").GetString() == relativePath)
                return entry.GetProperty("sha256").GetString()
                    ?? throw new InvalidDataException($"{manifestPath}: entry '{relativePath}' has no sha256.");
        throw new ArgumentException($"data/{relativePath} is not listed in {manifestPath}; every shipped file needs a hash there.", nameof(relativePath));
    }
}
