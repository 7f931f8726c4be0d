using DeepLearning.Course;
using TorchSharp;

namespace DeepLearning.Course.Tests;

public class AssessmentTests
{
    // The key, as notebooks/solutions/11-assessment.cs fills it in.
    private static readonly Dictionary<int, char> Key = new()
    {
        [1] = 'C', [2] = 'A', [3] = 'C', [4] = 'B', [5] = 'B', [6] = 'C', [7] = 'A', [8] = 'B', [9] = 'B', [10] = 'B', [11] = 'B', [12] = 'B',
        [13] = 'B', [14] = 'B', [15] = 'B', [16] = 'B', [17] = 'A', [18] = 'B',
    };

    [Fact]
    public void CheckQuiz_accepts_the_key_in_either_case_and_rejects_every_other_letter()
    {
        Assert.True(Assessment.CheckQuiz(Key).AllCorrect);
        Assert.True(Assessment.CheckQuiz(Key.ToDictionary(kv => kv.Key, kv => char.ToLowerInvariant(kv.Value))).AllCorrect);
        foreach (int q in Assessment.QuizQuestions)
            foreach (char wrong in "ABCD".Where(c => c != Key[q]))
            {
                var result = Assessment.CheckQuiz(new Dictionary<int, char>(Key) { [q] = wrong });
                Assert.Equal(Assessment.QuizQuestions.Count - 1, result.Score);
                Assert.False(result.Questions.Single(a => a.Number == q).Correct);
            }
    }

    [Fact]
    public void CheckQuiz_counts_missing_and_placeholder_answers_as_wrong_and_names_unknown_questions()
    {
        var placeholder = Assessment.QuizQuestions.ToDictionary(q => q, _ => '?');
        var result = Assessment.CheckQuiz(placeholder);
        Assert.Equal(0, result.Score);
        Assert.Equal(18, result.Questions.Count);
        Assert.Equal(0, Assessment.CheckQuiz(new Dictionary<int, char>()).Score);
        Assert.Contains("not answered", result.ToString());
        var ex = Assert.Throws<ArgumentException>(() => Assessment.CheckQuiz(new Dictionary<int, char>(Key) { [19] = 'A' }));
        Assert.Equal("answers", ex.ParamName);
        Assert.Contains("19", ex.Message);
    }

    [Fact]
    public void AssignmentData_is_a_fixed_stratified_split_disjoint_from_the_hidden_test_set()
    {
        var (a, b) = (Assessment.AssignmentData(), Assessment.AssignmentData());
        using (a.Train) using (a.Validation) using (b.Train) using (b.Validation)
        {
            Assert.InRange(a.Train.Count, 290, 310);
            Assert.InRange(a.Validation.Count, 290, 310);
            Assert.True(a.Train.X.eq(b.Train.X).all().item<bool>());
            Assert.Equal(10, a.Train.Y.bincount(null, 10).data<long>().ToArray().Count(c => c is >= 28 and <= 32));
            var rows = new HashSet<string>(Enumerable.Range(0, (int)a.Train.Count).Select(i => string.Join(",", a.Train.X[i].data<float>().ToArray())));
            Assert.DoesNotContain(Enumerable.Range(0, (int)a.Validation.Count).Select(i => string.Join(",", a.Validation.X[i].data<float>().ToArray())), rows.Contains);
        }
    }

    [Fact]
    public void Every_grade_counts_the_looks_at_its_test_set_and_says_so()
    {
        // Other tests may grade at the same time (same process), so only "more than before" is certain.
        torch.manual_seed(0);
        using var model = new Mlp([64, 10]);
        int before = Assessment.TestLooks;
        var first = Assessment.GradeAssignment(model, null);
        var second = Assessment.GradeAssignment(model, null);
        Assert.True(first.TestLooks > before && second.TestLooks > first.TestLooks, $"{before} → {first.TestLooks} → {second.TestLooks}");
        Assert.True(Assessment.TestLooks >= second.TestLooks);
        Assert.Contains($"looked at {second.TestLooks} times in this session", second.ToString());
        Assert.Contains($"looked at {second.TestLooks} times", second.ToHtml());
        Assert.Contains("once", new AssignmentGrade([], TestLooks: 1).LooksNote);
        int regressionBefore = Assessment.RegressionTestLooks;
        using var linear = new Mlp([10, 1]);
        Assert.True(Assessment.GradeRegressionAssignment(linear, null).TestLooks > regressionBefore);
    }

    [Fact]
    public void GradeAssignment_fails_an_untrained_model_and_a_missing_history_and_rejects_a_wrong_input_width()
    {
        torch.manual_seed(0);
        using var untrained = new Mlp([64, 10]);
        var grade = Assessment.GradeAssignment(untrained, null);
        Assert.False(grade.Passed);
        Assert.Equal(4, grade.Items.Count);
        Assert.False(grade.Items[0].Passed);
        Assert.False(grade.Items[1].Passed);
        Assert.Contains("test accuracy", grade.Hint);
        using var wrong = new Mlp([10, 10]);
        Assert.Equal("model", Assert.Throws<ArgumentException>(() => Assessment.GradeAssignment(wrong, null)).ParamName);
    }

    [Fact]
    public void GradeAssignment_passes_a_regularized_net_trained_with_early_stopping()
    {
        var data = Assessment.AssignmentData();
        using var train = data.Train;
        using var validation = data.Validation;
        torch.manual_seed(1);
        using var model = new Mlp([64, 128, 10], dropout: 0.3);
        var history = Trainer.Fit(model, train, validation, new TrainOptions
        {
            Epochs = 100, BatchSize = 32, Optimizer = Optim.Adam(3e-3), L2 = 1e-3, Seed = 1, Progress = Progress.None,
            EarlyStopping = new EarlyStopping(Patience: 10),
        });
        var grade = Assessment.GradeAssignment(model, history);
        Assert.True(grade.Passed, grade.ToString());
    }

    [Fact]
    public void GradeRegressionAssignment_fails_a_linear_model_and_a_missing_history()
    {
        var data = Assessment.RegressionAssignmentData();
        using var train = data.Train;
        using var validation = data.Validation;
        Assert.Equal(300, train.Count);
        Assert.Equal(TaskKind.Regression, train.Task);
        torch.manual_seed(0);
        using var linear = new Mlp([10, 1]);
        var grade = Assessment.GradeRegressionAssignment(linear, null);
        Assert.False(grade.Passed);
        Assert.False(grade.Items[0].Passed);
        Assert.False(grade.Items[1].Passed);
        using var wrong = new Mlp([64, 1]);
        Assert.Equal("model", Assert.Throws<ArgumentException>(() => Assessment.GradeRegressionAssignment(wrong, null)).ParamName);
    }
}
