using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepLearning.Notebooks.Tests;

/// <summary>
/// Just enough of PNG to read a browser screenshot: 8-bit RGB or RGBA, not interlaced (what Chromium writes).
/// Pixels come back as RGB triples, row by row.
/// </summary>
public sealed class Png
{
    private Png(int width, int height, byte[] rgb) { Width = width; Height = height; Rgb = rgb; }

    public int Width { get; }
    public int Height { get; }
    public byte[] Rgb { get; }

    public (byte R, byte G, byte B) this[int x, int y] => (Rgb[(y * Width + x) * 3], Rgb[(y * Width + x) * 3 + 1], Rgb[(y * Width + x) * 3 + 2]);

    public static Png Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        byte[] signature = [137, 80, 78, 71, 13, 10, 26, 10];
        if (!file.AsSpan(0, 8).SequenceEqual(signature)) throw new InvalidDataException($"{path} is not a PNG");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (int at = 8; at < file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                (int depth, int color, int interlace) = (data[8], data[9], data[12]);
                if (depth != 8 || color is not (2 or 6) || interlace != 0)
                    throw new NotSupportedException($"PNG with bit depth {depth}, color type {color}, interlace {interlace}");
                channels = color == 2 ? 3 : 4;
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        int stride = width * channels;
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (stride + 1)];
            var line = raw.AsSpan(y * (stride + 1) + 1, stride);
            var output = pixels.AsSpan(y * stride, stride);
            var above = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : new byte[stride];
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? output[i - channels] : 0, b = above[i], c = i >= channels ? above[i - channels] : 0;
                output[i] = (byte)(line[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"PNG filter {filter}"),
                });
            }
        }

        var rgb = new byte[width * height * 3];
        for (int p = 0; p < width * height; p++)
            for (int k = 0; k < 3; k++)
                rgb[p * 3 + k] = pixels[p * channels + k];
        return new Png(width, height, rgb);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>How many pixels are within <paramref name="tolerance"/> of a colour in every channel.</summary>
    public int Count((int R, int G, int B) color, int tolerance = 24)
    {
        int n = 0;
        for (int p = 0; p < Width * Height; p++)
            if (Math.Abs(Rgb[p * 3] - color.R) <= tolerance && Math.Abs(Rgb[p * 3 + 1] - color.G) <= tolerance && Math.Abs(Rgb[p * 3 + 2] - color.B) <= tolerance)
                n++;
        return n;
    }

    /// <summary>Distinct colours (to tell a drawn chart from an empty box).</summary>
    public int DistinctColors() =>
        Enumerable.Range(0, Width * Height).Select(p => (Rgb[p * 3] << 16) | (Rgb[p * 3 + 1] << 8) | Rgb[p * 3 + 2]).Distinct().Count();
}
