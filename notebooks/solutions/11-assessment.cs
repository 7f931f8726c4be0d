// Solutions for notebooks/11-assessment.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
// 1: max σ' = σ'(0) = 1/4. 2: −ln(1/10) = ln 10. 3: velocity → g/(1 − β) = 10g. 4: dW = doutᵀ·X, shape [out, in].
// 5: Var = 2/fan_in. 6: identity. 7: L1. 8: running averages. 9: 64·10 + 10 = 650. 10: (32 + 2 − 3)/1 + 1 = 32.
// 11: x + F(x). 12: 16·3·3·3 + 16 = 448.
// 13: m₁ = 0.1g, √v₁ = √0.001·|g| ≈ 0.0316|g| → step ≈ 3.16η. 14: smoothed targets put the optimum at a finite logit gap.
// 15: x − μ_B = 0, so every unit outputs β. 16: two 3×3 convs see 3 + 2 = 5 pixels, 18 vs 25 weights per channel pair.
// 17: σ′ ≤ 1/4, so ten layers give at most 0.25¹⁰ ≈ 10⁻⁶. 18: train() keeps dropout on: a new random subnetwork per call.
var answers = new Dictionary<int, char>
{
    [1] = 'C', [2] = 'A', [3] = 'C', [4] = 'B', [5] = 'B', [6] = 'C',
    [7] = 'A', [8] = 'B', [9] = 'B', [10] = 'B', [11] = 'B', [12] = 'B',
    [13] = 'B', [14] = 'B', [15] = 'B', [16] = 'B', [17] = 'A', [18] = 'B',
};
//# cell: ex-2
// Enough capacity (128 hidden units), dropout 0.3 and a small L2 penalty, early stopping on the validation loss.
torch.manual_seed(1);
nn.Module<Tensor, Tensor> model = new Mlp([64, 128, 10], dropout: 0.3);
History? history = Trainer.Fit(model, data.Train, data.Validation, new TrainOptions
{
    Epochs = 100, BatchSize = 32, Optimizer = Optim.Adam(3e-3), L2 = 1e-3, Seed = 1,
    EarlyStopping = new EarlyStopping(Patience: 10),
});
//# cell: ex-3
// Two hidden layers of 64, Adam at 0.01 with a small L2 penalty, early stopping; no scaling needed (inputs in [0, 1]).
torch.manual_seed(1);
nn.Module<Tensor, Tensor> regressionModel = new Mlp([10, 64, 64, 1]);
History? regressionHistory = Trainer.Fit(regressionModel, regression.Train, regression.Validation, new TrainOptions
{
    Epochs = 150, BatchSize = 32, Optimizer = Optim.Adam(1e-2), L2 = 1e-3, Seed = 1, Progress = Progress.None,
    EarlyStopping = new EarlyStopping(Patience: 20),
});
