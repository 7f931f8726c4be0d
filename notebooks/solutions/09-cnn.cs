// Solutions for notebooks/09-cnn.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
int OutSize(int n, int k, int s, int p)
{
    return (n + 2 * p - k) / s + 1;
}
//# cell: ex-2
float[] horizontalFilter = [-1, -2, -1, 0, 0, 0, 1, 2, 1];
//# cell: ex-3
// r, j: conv 3×3 → r 3; conv 3×3 stride 2 → r 3 + 2·1 = 5, then j = 2; conv 3×3 → r 5 + 2·2 = 9;
// pool 2×2 stride 2 → r 9 + 1·2 = 11, then j = 4; conv 3×3 → r 11 + 2·4 = 19.
int receptiveField = 19;
