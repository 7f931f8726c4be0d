// Solutions for notebooks/01-activations.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
Func<double, double> siluPrime = x =>
{
    double s = Activations.Sigmoid.Apply(x);
    return s + (x * s * (1 - s));   // product rule: σ(x) + x·σ′(x)
};
//# cell: ex-2
torch.manual_seed(7);
var l1 = torch.nn.Linear(3, 5);
var l2 = torch.nn.Linear(5, 2);
var W = l2.weight!.matmul(l1.weight!);
var b = l2.weight!.matmul(l1.bias!) + l2.bias!;
//# cell: ex-3
double[] StableLogSoftmax(double[] z)
{
    double m = z.Max();                                        // every exponent z − m ≤ 0: nothing overflows
    double logSum = m + Math.Log(z.Sum(v => Math.Exp(v - m)));  // log Σ e^z, the log-sum-exp trick
    return z.Select(v => v - logSum).ToArray();                // never the log of a probability that underflowed
}
