// Solutions for notebooks/12-sequences.ipynb. The headless runner replaces each exercise cell with its block.
//# cell: ex-1
long LstmParameters(long input, long hidden)
{
    // Four gates (i, f, g, o), each with W_i· [H, I], W_h· [H, H] and the two biases b_i·, b_h· of H.
    return 4 * ((hidden * input) + (hidden * hidden) + (2 * hidden));
}
//# cell: ex-2
float[] Attend(float[] query, float[][] keys, float[][] values)
{
    float scale = 1 / MathF.Sqrt(query.Length);
    var scores = new float[keys.Length];
    for (int j = 0; j < keys.Length; j++)
    {
        for (int i = 0; i < query.Length; i++) scores[j] += query[i] * keys[j][i];
        scores[j] *= scale;
    }
    float max = scores.Max(), sum = 0;
    for (int j = 0; j < scores.Length; j++) { scores[j] = MathF.Exp(scores[j] - max); sum += scores[j]; } // max first: no overflow
    var output = new float[values[0].Length];
    for (int j = 0; j < scores.Length; j++)
        for (int c = 0; c < output.Length; c++) output[c] += scores[j] / sum * values[j][c];
    return output;
}
