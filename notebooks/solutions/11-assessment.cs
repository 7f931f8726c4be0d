// Solutions for notebooks/11-assessment.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
// 1: max σ' = σ'(0) = 1/4. 2: −ln(1/10) = ln 10. 3: velocity → g/(1 − β) = 10g. 4: dW = doutᵀ·X, shape [out, in].
// 5: Var = 2/fan_in. 6: identity. 7: L1. 8: running averages. 9: 64·10 + 10 = 650. 10: (32 + 2 − 3)/1 + 1 = 32.
// 11: x + F(x). 12: 16·3·3·3 + 16 = 448.
var answers = new Dictionary<int, char>
{
    [1] = 'C', [2] = 'A', [3] = 'C', [4] = 'B', [5] = 'B', [6] = 'C',
    [7] = 'A', [8] = 'B', [9] = 'B', [10] = 'B', [11] = 'B', [12] = 'B',
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
