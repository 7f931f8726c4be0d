// Solutions for notebooks/13-transfer.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
long FreezeAllBut(nn.Module model, string trainablePrefix)
{
    long left = 0;
    foreach (var (name, p) in model.named_parameters())
    {
        if (name.StartsWith(trainablePrefix, StringComparison.Ordinal)) left += p.numel();
        else p.requires_grad = false;    // frozen: the optimizer skips it and autograd computes no gradient for it
    }
    return left;
}
//# cell: ex-2
int[] NearestPrototype(float[][] trainFeatures, int[] trainLabels, float[][] testFeatures, int classes)
{
    int features = trainFeatures[0].Length;
    var means = new double[classes][];
    var counts = new int[classes];
    for (int c = 0; c < classes; c++) means[c] = new double[features];
    for (int i = 0; i < trainFeatures.Length; i++)
    {
        counts[trainLabels[i]]++;
        for (int j = 0; j < features; j++) means[trainLabels[i]][j] += trainFeatures[i][j];
    }
    for (int c = 0; c < classes; c++)
        for (int j = 0; j < features; j++) means[c][j] /= counts[c];
    var predicted = new int[testFeatures.Length];
    for (int t = 0; t < testFeatures.Length; t++)
    {
        double best = double.PositiveInfinity;
        for (int c = 0; c < classes; c++)
        {
            double d = 0;
            for (int j = 0; j < features; j++) d += (testFeatures[t][j] - means[c][j]) * (testFeatures[t][j] - means[c][j]);
            if (d < best) { best = d; predicted[t] = c; }
        }
    }
    return predicted;
}
