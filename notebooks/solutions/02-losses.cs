// Solutions for notebooks/02-losses.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
Func<double, double, double> huber = (d, delta) => Math.Abs(d) < delta ? 0.5 * d * d : delta * (Math.Abs(d) - 0.5 * delta);
//# cell: ex-2
double CrossEntropyFromLogits(double[] z, int y)
{
    double m = z.Max();
    double logSumExp = m + Math.Log(z.Sum(v => Math.Exp(v - m)));
    return logSumExp - z[y];
}
//# cell: ex-3
double[] SmoothedTarget(int classes, int label, double epsilon)
{
    var q = new double[classes];
    for (int c = 0; c < classes; c++) q[c] = epsilon / classes;
    q[label] += 1 - epsilon;
    return q;
}
