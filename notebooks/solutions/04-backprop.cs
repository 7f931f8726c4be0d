// Solutions for notebooks/04-backprop.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
double finalLoss = 0;
for (int step = 0; step < 50; step++)
{
    var L = SquaredError();
    net.ZeroGrad();
    L.Backward();
    foreach (var p in net.Parameters) p.Data -= 0.05 * p.Grad;
    finalLoss = L.Data;
}
finalLoss = SquaredError().Data;
Console.WriteLine($"loss after 50 steps: {finalLoss:F5}");
//# cell: ex-2
var Z1e = xb.matmul(pb[0].t()) + pb[1];
var A1e = Z1e.tanh();
var Pe = nn.functional.softmax(A1e.matmul(pb[2].t()) + pb[3], 1);
var delta2e = (Pe - nn.functional.one_hot(yb, 3).to_type(ScalarType.Float64)) / xb.shape[0];
var delta1e = delta2e.matmul(pb[2]) * (1 - A1e * A1e);
Tensor dX = delta1e.matmul(pb[0]);
//# cell: ex-3
IReadOnlyList<Tensor> MyBackward(IReadOnlyList<Tensor> q)
{
    var a1 = (xb.matmul(q[0].t()) + q[1]).tanh();
    var z2 = a1.matmul(q[2].t()) + q[3];
    var delta2 = (nn.functional.softmax(z2, 1) - nn.functional.one_hot(yb, 3).to_type(ScalarType.Float64)) / 6;
    var delta1 = delta2.matmul(q[2]) * (1 - a1 * a1);
    return [delta1.t().matmul(xb), delta1.sum(dim: 0), delta2.t().matmul(a1), delta2.sum(dim: 0)];
}
BackpropLab.GradCheck(LossB, pb, pNames, analytic: MyBackward)
