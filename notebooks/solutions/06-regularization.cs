// Solutions for notebooks/06-regularization.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
Tensor SoftThreshold(Tensor w, double t) => w.sign() * (w.abs() - t).clamp_min(0);
//# cell: ex-2
Tensor MyDropout(Tensor x, double p, bool train)
{
    if (!train || p == 0) return x;
    var mask = (torch.rand_like(x) >= p).to_type(x.dtype);
    return x * mask / (1 - p);
}
//# cell: ex-3
double[] valLosses = bigHistory.LossCurve().Validation!;
int bestEpoch = 0, stopEpoch = valLosses.Length;
double best = double.PositiveInfinity;
int bad = 0;
for (int e = 1; e <= valLosses.Length; e++)
{
    if (valLosses[e - 1] < best) (best, bestEpoch, bad) = (valLosses[e - 1], e, 0);
    else if (++bad == 5) { stopEpoch = e; break; }
}
