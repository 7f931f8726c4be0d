// Solutions for notebooks/10-residual.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
long BottleneckConvWeights(int inC, int width, int expansion, int stride)
{
    int outC = width * expansion;
    long weights = (long)inC * width + 9L * width * width + (long)width * outC;
    if (stride != 1 || inC != outC) weights += (long)inC * outC; // the 1×1 projection shortcut
    return weights;
}
//# cell: ex-2
class ResidualMlpBlock : torch.nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear fc1;
    private readonly TorchSharp.Modules.Linear fc2;

    public ResidualMlpBlock(int width) : base("residual_mlp_block")
    {
        fc1 = torch.nn.Linear(width, width);
        fc2 = torch.nn.Linear(width, width);
        RegisterComponents();
    }

    public TorchSharp.Modules.Linear Fc2 => fc2;

    public override Tensor forward(Tensor x) => x + fc2.forward(torch.nn.functional.relu(fc1.forward(x)));
}
//# cell: ex-3
torch.manual_seed(0);
var zeroInit = new SmallResNet(blocksPerStage: 3, width: 8);
using (torch.no_grad())
    foreach (var (name, parameter) in zeroInit.named_parameters())
        if (name.EndsWith("bn2.weight")) parameter.zero_();
