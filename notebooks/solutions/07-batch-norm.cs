// Solutions for notebooks/07-batch-norm.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
var muEx = xEx.mean([0]);
var varEx = (xEx - muEx).pow(2).mean([0]);              // biased: divide by m
Tensor yMine = gammaEx * (xEx - muEx) / (varEx + 1e-5).sqrt() + betaEx;
//# cell: ex-2
Tensor runMean = 0.9 * torch.zeros(5) + 0.1 * xEx.mean([0]);
Tensor runVar = 0.9 * torch.ones(5) + 0.1 * xEx.var(0, unbiased: true);
//# cell: ex-3
Tensor wFolded, bFolded;
using (torch.no_grad())
{
    var s = bnF.weight / (bnF.running_var! + bnF.eps).sqrt();
    wFolded = s.unsqueeze(1) * lin.weight;
    bFolded = s * (lin.bias! - bnF.running_mean!) + bnF.bias!;
}
