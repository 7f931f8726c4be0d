// Solutions for notebooks/03-optimizers.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
double theta = 1.0, velocity = 0.0;
for (int t = 0; t < 10; t++)
{
    double g = 2 * theta;
    velocity = 0.9 * velocity + g;
    theta -= 0.1 * velocity;
}
double theta10 = theta;
//# cell: ex-2
double beta1 = 0.9, beta2 = 0.999, grad = 2.0, m = 0, v = 0;
for (int t = 1; t <= 3; t++)
{
    m = beta1 * m + (1 - beta1) * grad;
    v = beta2 * v + (1 - beta2) * grad * grad;
}
double mHat = m / (1 - Math.Pow(beta1, 3)), vHat = v / (1 - Math.Pow(beta2, 3));
//# cell: ex-3
double WarmupCosineLr(int e) =>
    e <= 5
        ? 0.1 + (0.9 * e / 5.0)                                 // linear warmup from 0.1 to 1
        : 0.5 * (1 + Math.Cos(Math.PI * (e - 5) / 15.0));       // half cosine from 1 to 0 over 15 epochs
