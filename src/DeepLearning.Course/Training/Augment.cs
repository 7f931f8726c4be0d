using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>Data augmentation for <see cref="TrainOptions.Augment"/>: random transforms of a training batch, drawn from torch's seeded generator.</summary>
public static class Augment
{
    /// <summary>
    /// Shifts every image of a batch [N, C, H, W] by its own random offset of up to ±<paramref name="maxPixels"/>
    /// pixels in each direction, filling with zeros (the background of MNIST-style digits): pad, then crop.
    /// </summary>
    public static Func<Tensor, Tensor> RandomShift(int maxPixels)
    {
        TrainChecks.AtLeast(maxPixels, 1, nameof(maxPixels));
        return x =>
        {
            if (x.dim() != 4)
                throw new ArgumentException($"RandomShift needs images [N, C, H, W], but the batch is {TrainChecks.Format(x.shape)}.", nameof(x));
            long n = x.shape[0], h = x.shape[2], w = x.shape[3], m = maxPixels;
            var padded = torch.nn.functional.pad(x, [m, m, m, m]);
            long[] offsets = torch.randint(0, (2 * m) + 1, [n, 2]).data<long>().ToArray();
            var crops = new Tensor[n];
            for (long i = 0; i < n; i++)
                crops[i] = padded[i].narrow(1, offsets[2 * i], h).narrow(2, offsets[(2 * i) + 1], w);
            return torch.stack(crops);
        };
    }
}
