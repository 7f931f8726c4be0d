using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DeepLearning.Scratch;
using DeepLearning.Scratch.Data;
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

/// <summary>The assignment's grade: every criterion with its measurement.</summary>
/// <param name="Items">The criteria, in order.</param>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record AssignmentGrade(IReadOnlyList<GradeItem> Items) : IHtmlView
{
    /// <summary>True when every criterion passes.</summary>
    public bool Passed => Items.All(i => i.Passed);

    /// <summary>The failing criteria with their measurements, for a check's hint.</summary>
    public string Hint => Passed ? "all criteria met" : string.Join("; ", Items.Where(i => !i.Passed).Select(i => $"{i.Criterion}: {i.Detail}"));

    /// <inheritdoc/>
    public override string ToString() =>
        $"Assignment: {(Passed ? "passed" : "not yet")}\n" + string.Join("\n", Items.Select(i => $"  {(i.Passed ? "✅" : "❌")} {i.Criterion} — {i.Detail}"));

    /// <inheritdoc/>
    public string ToHtml()
    {
        var sb = new StringBuilder($"<table class=\"course-grade\"><caption>Assignment: {(Passed ? "passed" : "not yet")}</caption><tr><th></th><th>criterion</th><th>measured</th></tr>");
        foreach (var i in Items)
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{(i.Passed ? "✅" : "❌")}</td><td>{WebUtility.HtmlEncode(i.Criterion)}</td><td>{WebUtility.HtmlEncode(i.Detail)}</td></tr>");
        return sb.Append("</table>").ToString();
    }
}

/// <summary>
/// Notebook 11's grading: the quiz key (as SHA-256 hashes of "question:answer", so the answers are not readable in
/// the notebook or this source) and the coding assignment's data, held-out test split and thresholds.
/// </summary>
public static class Assessment
{
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
    };

    /// <summary>The quiz's question numbers, 1..12.</summary>
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
        double acc = onTest.Accuracy ?? 0, gap = onTest.Loss - onTrain.Loss;
        return new AssignmentGrade(
        [
            new("trained with early stopping, best weights restored", history is { RestoredBestWeights: true },
                history is null ? "no history (pass what Trainer.Fit returned)" : history.Summary()),
            new("test accuracy high enough", acc >= MinTestAccuracy, string.Create(CultureInfo.InvariantCulture, $"test accuracy {acc:P1}")),
            new("test loss low enough (confident only when right)", onTest.Loss <= MaxTestLoss, string.Create(CultureInfo.InvariantCulture, $"test loss {onTest.Loss:F3}")),
            new("small generalization gap (test loss − training loss)", gap <= MaxLossGap, string.Create(CultureInfo.InvariantCulture, $"gap {gap:F3} (training loss {onTrain.Loss:F3})")),
        ]);
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
