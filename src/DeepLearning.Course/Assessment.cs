using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepLearning.Course;

/// <summary>One quiz question's result.</summary>
/// <param name="Number">The question number (1-based).</param>
/// <param name="Answer">The learner's answer ('?' = not answered).</param>
/// <param name="Correct">Whether it matches the key.</param>
/// <param name="Hint">Where to look it up again (shown for a wrong answer).</param>
public sealed record QuizAnswer(int Number, char Answer, bool Correct, string Hint);

/// <summary>The graded quiz: one row per question of the key, in order.</summary>
/// <param name="Questions">Every question of the key with the learner's answer.</param>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record QuizResult(IReadOnlyList<QuizAnswer> Questions) : IHtmlView
{
    /// <summary>How many answers are correct.</summary>
    public int Score => Questions.Count(q => q.Correct);

    /// <summary>True when every answer is correct.</summary>
    public bool AllCorrect => Score == Questions.Count;

    /// <inheritdoc/>
    public override string ToString() =>
        $"Quiz: {Score}/{Questions.Count} correct\n" + string.Join("\n", Questions.Select(q => $"  {q.Number,2}. {q.Answer}  {(q.Correct ? "✅" : "❌ " + q.Hint)}"));

    /// <inheritdoc/>
    public string ToHtml()
    {
        var sb = new StringBuilder($"<table class=\"course-quiz\"><caption>Quiz: {Score}/{Questions.Count} correct</caption><tr><th>question</th><th>answer</th><th></th></tr>");
        foreach (var q in Questions)
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{q.Number}</td><td>{WebUtility.HtmlEncode(q.Answer.ToString())}</td><td>{(q.Correct ? "✅" : "❌ " + WebUtility.HtmlEncode(q.Hint))}</td></tr>");
        return sb.Append("</table>").ToString();
    }
}

/// <summary>The assignment's data: a small training set and a validation set of the 8×8 digits. The test set stays inside <see cref="Assessment"/>.</summary>
/// <param name="Train">About 300 training images (flat rows [N, 64], 10 classes).</param>
/// <param name="Validation">About 300 validation images, for early stopping and model selection.</param>
public sealed record AssignmentData(TrainData Train, TrainData Validation);

/// <summary>One criterion of the assignment's grade.</summary>
/// <param name="Criterion">What is required.</param>
/// <param name="Passed">Whether the model meets it.</param>
/// <param name="Detail">The measured value.</param>
public sealed record GradeItem(string Criterion, bool Passed, string Detail);

/// <summary>The assignment's grade: every criterion with its measurement, and how often the test set has been seen.</summary>
/// <param name="Items">The criteria, in order.</param>
/// <param name="TestLooks">How many times this assignment's test set has been evaluated in this session (process), this grade included.</param>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record AssignmentGrade(IReadOnlyList<GradeItem> Items, int TestLooks = 1) : IHtmlView
{
    /// <summary>True when every criterion passes.</summary>
    public bool Passed => Items.All(i => i.Passed);

    /// <summary>One line on how often the test set has been seen: the more looks, the more a passing score was tuned to it.</summary>
    public string LooksNote => TestLooks <= 1
        ? "test set looked at once in this session"
        : string.Create(CultureInfo.InvariantCulture,
            $"test set looked at {TestLooks} times in this session: every look after the first is a decision made with the test set, so a score reached after many looks is an optimistic estimate");

    /// <summary>The failing criteria with their measurements, for a check's hint.</summary>
    public string Hint => Passed ? "all criteria met" : string.Join("; ", Items.Where(i => !i.Passed).Select(i => $"{i.Criterion}: {i.Detail}"));

    /// <inheritdoc/>
    public override string ToString() =>
        $"Assignment: {(Passed ? "passed" : "not yet")}\n" + string.Join("\n", Items.Select(i => $"  {(i.Passed ? "✅" : "❌")} {i.Criterion} — {i.Detail}"))
        + $"\n  👁 {LooksNote}";

    /// <inheritdoc/>
    public string ToHtml()
    {
        var sb = new StringBuilder($"<table class=\"course-grade\"><caption>Assignment: {(Passed ? "passed" : "not yet")}</caption><tr><th></th><th>criterion</th><th>measured</th></tr>");
        foreach (var i in Items)
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{(i.Passed ? "✅" : "❌")}</td><td>{WebUtility.HtmlEncode(i.Criterion)}</td><td>{WebUtility.HtmlEncode(i.Detail)}</td></tr>");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>👁</td><td colspan=\"2\">{WebUtility.HtmlEncode(LooksNote)}</td></tr>");
        return sb.Append("</table>").ToString();
    }
}

/// <summary>
/// Notebook 11's grading: the quiz key (as SHA-256 hashes of "question:answer" — not shown as letters here or in the
/// notebook, though with four options per question a hash hides nothing from someone who tries them all; the
/// solutions file has the answers in plain text) and the coding assignments' data, held-out test splits and thresholds
/// (plain constants below: not printed by the notebook, not secret).
/// </summary>
public static class Assessment
{
    // Looks at each test set in this process: a learner who regrades after every change is tuning on the test set.
    private static int classificationLooks, regressionLooks;

    /// <summary>How many times <see cref="GradeAssignment"/> has evaluated a model on the classification test set in this session.</summary>
    public static int TestLooks => Volatile.Read(ref classificationLooks);

    /// <summary>How many times <see cref="GradeRegressionAssignment"/> has evaluated a model on the regression test set in this session.</summary>
    public static int RegressionTestLooks => Volatile.Read(ref regressionLooks);

    // SHA-256 of "<question>:<answer letter>" for the right answer of each question.
    private static readonly IReadOnlyDictionary<int, string> QuizKey = new Dictionary<int, string>
    {
        [1] = "fd38d3d4e75df8a94f7f5fc95b43571c4eedb88149ab98836dd028ab736bf46f",
        [2] = "b241104b60ade0d49b71b35ca1cbff0bc3d115a2e2552d3a761654410a4fef23",
        [3] = "71da958a23eea04bfd856faeea1b31b577336f8d0ca94bbdd3fe3d0993ddee49",
        [4] = "31e06a73985155b71b22b992f1d6ed92cec936a9fd80473853064fb6c4fd6b8d",
        [5] = "13decc6d1ad2b958835dc0b8f5d378016b9ea477630dbcbe6c5792bf4eb6ec3c",
        [6] = "42591f949bbd4f0c852a1930aae0460ad7dd6bd5df1aa1598f429634060de185",
        [7] = "0d3757a0a5954f3a59dba25eb71153bcc1e24a8fc61724724f5cea94eac6a7ef",
        [8] = "1659afaa97aa52cb2c42c7b53c6418d164bf68fdb282c0af09767e3d3418eee3",
        [9] = "298671519bb03992682b39b079f6a9cc759657244be05aaeb738d9a30c7bc0e1",
        [10] = "cbc9336c721f59ba530df6137d09a22cb3a697d90f8fa8d962e8919167275191",
        [11] = "2586ecc2de5292d119ebd66cfa44f232b5e599c9ba98f1a86fdeb6fdea4299e3",
        [12] = "0f01ffaffc59734494728c963bea7885a64a33bf918eefa57236d8359b5ebc3d",
        [13] = "f416be71181a08a73b9de7cfbf75c03b3d673dc75d3438e401616bb883357246",
        [14] = "aea9ebc2c0b510d5211c28ad869f26096ea5513e05ae8d47252b602289915fe5",
        [15] = "68310ed8eb9c6175886ccc31df4f99dc1219359d9727c3135018c9285621d50f",
        [16] = "0507ee735f88ebcd4416576c68fe748d0d2859d97dc2e009ae705acf9952f93d",
        [17] = "17aa45476d7e1eb8c276d9f60746b79604f63d3ae5b31d3a829b206c232da035",
        [18] = "0a3e9124de83673a5a12496537fd0c06a609aedea097564513c8d86bf36b0c8a",
    };

    private static readonly IReadOnlyDictionary<int, string> QuizHints = new Dictionary<int, string>
    {
        [1] = "01 · Activations: σ'(x) = σ(x)(1 − σ(x)); where is it largest?",
        [2] = "02 · Losses: cross-entropy is −log of the probability of the true class.",
        [3] = "03 · Optimizers: a constant gradient g makes the velocity converge to g/(1 − β).",
        [4] = "04 · Backprop: ∂L/∂W must have W's shape [out, in].",
        [5] = "05 · Init: He et al. (2015) double Xavier's variance to make up for ReLU zeroing half the inputs.",
        [6] = "06 · Regularization §3: inverted dropout scales during training so that evaluation needs nothing.",
        [7] = "06 · Regularization §2: which penalty's pull does not shrink as the weight shrinks?",
        [8] = "07 · Batch norm: what does model.eval() switch the normalisation to?",
        [9] = "08 · MLP: a Linear(in, out) has a weight [out, in] and a bias [out].",
        [10] = "09 · CNN: output size = (H + 2·padding − kernel)/stride + 1.",
        [11] = "10 · Residual: the block adds its input back (He et al. 2016).",
        [12] = "09 · CNN: a Conv2d weight is [outC, inC, kH, kW], plus one bias per output channel.",
        [13] = "03 · Optimizers: without the correction m₁ = (1 − β₁)g and √v₁ = √(1 − β₂)|g|; divide one by the other.",
        [14] = "02 · Losses: with smoothed targets the loss is minimized at a finite logit gap — where is its derivative zero?",
        [15] = "07 · Batch norm §3: with one example, what is x − μ_B?",
        [16] = "09 · CNN §3: apply r_l = r_{l−1} + (k_l − 1)·j_{l−1} twice, and count the weights of each option.",
        [17] = "01 · Activations / 05 · Init: the backward signal is multiplied by φ′(z) at every layer; how large can σ′ be?",
        [18] = "06 · Regularization §3: what does a Dropout module do in train() mode, and who switches it off?",
    };

    /// <summary>The quiz's question numbers, 1..18.</summary>
    public static IReadOnlyList<int> QuizQuestions { get; } = [.. QuizKey.Keys.Order()];

    /// <summary>
    /// Grades the quiz: each answer letter (case-insensitive; '?' or a missing entry = not answered) is compared with
    /// the key through its hash. Answers to questions that do not exist throw, naming them.
    /// </summary>
    public static QuizResult CheckQuiz(IReadOnlyDictionary<int, char> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        var unknown = answers.Keys.Where(k => !QuizKey.ContainsKey(k)).Order().ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"The quiz has questions 1..{QuizKey.Count}; there is no question {string.Join(", ", unknown)}.", nameof(answers));
        return new QuizResult([.. QuizQuestions.Select(Grade)]);

        QuizAnswer Grade(int q)
        {
            char a = answers.TryGetValue(q, out char given) ? char.ToUpperInvariant(given) : '?';
            return new QuizAnswer(q, a, Hash(q, a) == QuizKey[q], a == '?' ? "not answered yet" : QuizHints[q]);
        }
    }

    internal static string Hash(int question, char answer) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{question}:{answer}"))));

    /// <summary>The minimum test accuracy the assignment requires.</summary>
    internal const double MinTestAccuracy = 0.93;

    /// <summary>The maximum test loss (mean cross-entropy) the assignment allows: an overconfident, overfitted net exceeds it.</summary>
    internal const double MaxTestLoss = 0.25;

    /// <summary>The largest allowed gap between the test loss and the training loss.</summary>
    internal const double MaxLossGap = 0.25;

    /// <summary>
    /// The assignment's data: about 300 training and 300 validation images of the 8×8 digits, stratified, always the same.
    /// The 599 test images are held back; <see cref="GradeAssignment"/> evaluates on them. Dispose the sets when done.
    /// </summary>
    public static AssignmentData AssignmentData()
    {
        var (train, validation, _) = Splits3();
        return new AssignmentData(TrainData.From(train with { Name = "assignment train" }), TrainData.From(validation with { Name = "assignment validation" }));
    }

    /// <summary>
    /// Grades the assignment: the model (logits [N, 10] for rows [N, 64]) is evaluated on the held-out test images
    /// (eval mode, no_grad) and must reach the hidden accuracy and loss thresholds with a small train–test gap, and
    /// <paramref name="history"/> must show that training used early stopping with the best weights restored.
    /// </summary>
    public static AssignmentGrade GradeAssignment(nn.Module<Tensor, Tensor> model, History? history)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (trainSet, _, testSet) = Splits3();
        using var train = TrainData.From(trainSet);
        using var test = TrainData.From(testSet);
        Trainer.CheckFirstLayer(model, test, nameof(model));
        Evaluation onTest, onTrain;
        try
        {
            onTest = Trainer.Evaluate(model, test);
            onTrain = Trainer.Evaluate(model, train);
        }
        catch (Exception ex) when (ex is System.Runtime.InteropServices.ExternalException or InvalidOperationException)
        {
            throw new ArgumentException($"The model fails on the test images [N, 64]: {ex.Message.Split('\n')[0]}", nameof(model), ex);
        }
        int looks = Interlocked.Increment(ref classificationLooks);   // counted once the test numbers exist
        double acc = onTest.Accuracy ?? 0, gap = onTest.Loss - onTrain.Loss;
        return new AssignmentGrade(
        [
            new("trained with early stopping, best weights restored", history is { RestoredBestWeights: true },
                history is null ? "no history (pass what Trainer.Fit returned)" : history.Summary()),
            new("test accuracy high enough", acc >= MinTestAccuracy, string.Create(CultureInfo.InvariantCulture, $"test accuracy {acc:P1}")),
            new("test loss low enough (confident only when right)", onTest.Loss <= MaxTestLoss, string.Create(CultureInfo.InvariantCulture, $"test loss {onTest.Loss:F3}")),
            new("small generalization gap (test loss − training loss)", gap <= MaxLossGap, string.Create(CultureInfo.InvariantCulture, $"gap {gap:F3} (training loss {onTrain.Loss:F3})")),
        ], looks);
    }

    /// <summary>The largest test RMSE the regression assignment allows (the noise alone gives about 1.0; a linear model about 2.5).</summary>
    internal const double MaxTestRmse = 1.9;

    /// <summary>The largest allowed gap between test RMSE and training RMSE in the regression assignment.</summary>
    internal const double MaxRmseGap = 0.8;

    /// <summary>
    /// The regression option's data: Friedman's (1991) benchmark function of 10 inputs x ~ U[0, 1]¹⁰, of which five
    /// matter — y = 10·sin(π·x₀·x₁) + 20·(x₂ − ½)² + 10·x₃ + 5·x₄ + ε, ε ~ N(0, 1) — with 300 training and 300
    /// validation examples (targets [N, 1]); 600 test examples are held back. Always the same draw.
    /// </summary>
    public static AssignmentData RegressionAssignmentData()
    {
        var (train, validation, _) = RegressionSplits();
        return new AssignmentData(train, validation);
    }

    /// <summary>
    /// Grades the regression option: the model (one output [N, 1] for rows [N, 10]) is evaluated on the held-out test
    /// examples and must reach the RMSE threshold with a small train–test RMSE gap; <paramref name="history"/> must show
    /// early stopping with the best weights restored.
    /// </summary>
    public static AssignmentGrade GradeRegressionAssignment(nn.Module<Tensor, Tensor> model, History? history)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (train, validation, test) = RegressionSplits();
        using (train) using (validation) using (test)
        {
            Trainer.CheckFirstLayer(model, test, nameof(model));
            double testRmse, trainRmse;
            try
            {
                testRmse = Math.Sqrt(Trainer.Evaluate(model, test).Loss);
                trainRmse = Math.Sqrt(Trainer.Evaluate(model, train).Loss);
            }
            catch (Exception ex) when (ex is System.Runtime.InteropServices.ExternalException or InvalidOperationException)
            {
                throw new ArgumentException($"The model fails on the test rows [N, 10]: {ex.Message.Split('\n')[0]}", nameof(model), ex);
            }
            int looks = Interlocked.Increment(ref regressionLooks);
            double gap = testRmse - trainRmse;
            return new AssignmentGrade(
            [
                new("trained with early stopping, best weights restored", history is { RestoredBestWeights: true },
                    history is null ? "no history (pass what Trainer.Fit returned)" : history.Summary()),
                new("test RMSE low enough", testRmse <= MaxTestRmse, string.Create(CultureInfo.InvariantCulture, $"test RMSE {testRmse:F3}")),
                new("small generalization gap (test RMSE − training RMSE)", gap <= MaxRmseGap, string.Create(CultureInfo.InvariantCulture, $"gap {gap:F3} (training RMSE {trainRmse:F3})")),
            ], looks);
        }
    }

    // Friedman #1: 1,200 draws from a fixed seed — 300 train, 300 validation, 600 test.
    private static (TrainData Train, TrainData Validation, TrainData Test) RegressionSplits()
    {
        const int n = 1200;
        var rng = new Rng(2027);
        var x = new float[n * 10];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < 10; f++) x[(10 * i) + f] = (float)rng.Uniform(0, 1);
            double[] v = [.. Enumerable.Range(0, 5).Select(f => (double)x[(10 * i) + f])];
            y[i] = (float)((10 * Math.Sin(Math.PI * v[0] * v[1])) + (20 * (v[2] - 0.5) * (v[2] - 0.5)) + (10 * v[3]) + (5 * v[4]) + rng.Normal(0, 1));
        }
        using var xs = torch.tensor(x, [n, 10]);
        using var ys = torch.tensor(y, [n, 1]);
        TrainData Part(long from, long count, string name) =>
            TrainData.Regression(xs.narrow(0, from, count).clone(), ys.narrow(0, from, count).clone(), name);
        return (Part(0, 300, "regression train"), Part(300, 300, "regression validation"), Part(600, 600, "regression test"));
    }

    // Test: 1/3 of the digits; of the rest, 1/4 for training (300) and 1/4 for validation (300). Fixed seeds.
    private static (Dataset Train, Dataset Validation, Dataset Test) Splits3()
    {
        var digits = Digits.Load8x8();
        var (pool, test) = Splits.TrainTestSplit(digits, 1.0 / 3, new Rng(2024));
        var (rest, train) = Splits.TrainTestSplit(pool, 0.25, new Rng(2025));
        var (_, validation) = Splits.TrainTestSplit(rest, 1.0 / 3, new Rng(2026));
        return (train, validation, test);
    }
}
