// Solutions for notebooks/00-setup.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
var x1 = torch.tensor(1.0f, requires_grad: true);
var gx = x1.pow(2) * torch.sin(x1);
gx.backward();
float g1 = x1.grad!.item<float>();
//# cell: ex-2
var c = torch.tensor(new float[] { 0.5f, -1f });
NDArray<float> Zs = Gemm.MatMul(X.ToNDArray(), W.ToNDArray());
var cs = c.ToNDArray();
for (int i = 0; i < Zs.Dim(0); i++)
    for (int j = 0; j < Zs.Dim(1); j++)
        Zs[i, j] += cs[j];
