// Solutions for notebooks/08-mlp.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
long CountParameters(int[] sizes)
{
    long count = 0;
    for (int l = 1; l < sizes.Length; l++)
        count += (long)(sizes[l - 1] + 1) * sizes[l];   // weights [out, in] plus one bias per output
    return count;
}
//# cell: ex-2
class TwoLayer : torch.nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear fc1;
    private readonly TorchSharp.Modules.Linear fc2;

    public TwoLayer() : base("two_layer")
    {
        fc1 = torch.nn.Linear(10, 32);
        fc2 = torch.nn.Linear(32, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc2.forward(torch.nn.functional.relu(fc1.forward(x)));
}
//# cell: ex-3
int StopEpoch(double[] validationLosses, int patience)
{
    double best = double.PositiveInfinity;
    int bad = 0;
    for (int e = 0; e < validationLosses.Length; e++)
    {
        if (validationLosses[e] < best) (best, bad) = (validationLosses[e], 0);
        else if (++bad >= patience) return e + 1;
    }
    return validationLosses.Length;
}
//# cell: ex-4
// The broken run stepped too far (ratio > −2, units dying); lr 0.05 gives a healthy ratio (about −2.3), and momentum 0.9
// makes the steps along the consistent directions large enough to learn the task in 10 epochs.
double rescueLr = 0.05;
double rescueMomentum = 0.9;
int rescueEpochs = 10;
