// Solutions for notebooks/05-init.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
double heStd = Math.Sqrt(2.0) / Math.Sqrt(32 * 3 * 3);
//# cell: ex-2
using (torch.no_grad())
{
    foreach (var m in deep.modules())
    {
        if (m is TorchSharp.Modules.Linear lin)
        {
            torch.nn.init.kaiming_normal_(lin.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
            torch.nn.init.zeros_(lin.bias!);
        }
    }
}
//# cell: ex-3
double globalNorm = Math.Sqrt(grads.Sum(g => Math.Pow(g.norm().item<float>(), 2)));
double scale = Math.Min(1, 1.0 / globalNorm);
var clipped = grads.Select(g => g * scale).ToList();
Console.WriteLine($"global norm {globalNorm:E3}, scaled by {scale:E3}");
