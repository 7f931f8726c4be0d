// Solutions for notebooks/09-cnn.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
int OutSize(int n, int k, int s, int p)
{
    return (n + 2 * p - k) / s + 1;
}
//# cell: ex-2
float[] horizontalFilter = [-1, -2, -1, 0, 0, 0, 1, 2, 1];
//# cell: ex-3
int receptiveField = 5 + (2 - 1) * 1 + (5 - 1) * 2; // 5 (conv1) + 1 (pool1) + 4·2 (conv2, whose inputs are 2 pixels apart) = 14
