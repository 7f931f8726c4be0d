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
double[] StableSoftmax(double[] z)
{
    double m = z.Max();
    double[] e = z.Select(v => Math.Exp(v - m)).ToArray();
    double sum = e.Sum();
    return e.Select(v => v / sum).ToArray();
}
