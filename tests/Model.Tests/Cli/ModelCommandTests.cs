using System.Globalization;
using System.Text.Json;
using CartRecovery.Model.Cli;
using CartRecovery.Model.Data;
using CartRecovery.Model.Scoring;
using CartRecovery.Model.Tests.Support;

namespace CartRecovery.Model.Tests.Cli;

public sealed class ModelCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Fit_score_and_eval_work_end_to_end()
    {
        var csv = _dir.Write("train.csv", SyntheticData.Generate(3000, seed: 12).Csv);
        var model = _dir.File("out/model.json");
        var fit = await Run("fit", "--csv", csv, "--label", "purchased", "--out", model, "--seed", "3", "--rounds", "60", "--depth", "4",
            "--learning-rate", "0.2", "--validation-fraction", "0.25");
        Assert.Equal(0, fit.Code);
        Assert.Contains("round 10/60", fit.Stderr);
        using var summary = JsonDocument.Parse(fit.Stdout);
        Assert.InRange(summary.RootElement.GetProperty("auc").GetDouble(), 0.6, 1.0);
        Assert.Equal(750, summary.RootElement.GetProperty("validation_rows").GetInt32());

        var loaded = ModelFile.Load(model);
        Assert.Equal(4, loaded.Metadata.HyperParameters["max_depth"]);
        Assert.Equal(3, loaded.Metadata.HyperParameters["seed"]);

        // Score a file whose label column is present (and ignored) and whose columns are reordered.
        var scoreInput = _dir.Write("score.csv", "purchased,channel,cart_value,views,minutes,discount,returning,noise1,noise2\nFALSE,email,100,3,5,0,TRUE,0.1,5\nTRUE,fax,,30,45,10,false,-1,50\n");
        var predictions = _dir.File("pred.csv");
        var score = await Run("score", "--model", model, "--csv", scoreInput, "--out", predictions);
        Assert.Equal(0, score.Code);
        var lines = File.ReadAllLines(predictions);
        Assert.Equal("probability", lines[0]);
        var data = DatasetLoader.LoadWithSchema(scoreInput, loaded.Schema);
        Assert.Equal(loaded.PredictAll(data), lines[1..].Select(l => float.Parse(l, CultureInfo.InvariantCulture)));

        var eval = await Run("eval", "--model", model, "--csv", csv, "--label", "purchased");
        Assert.Equal(0, eval.Code);
        using var metrics = JsonDocument.Parse(eval.Stdout);
        Assert.Equal(3000, metrics.RootElement.GetProperty("rows").GetInt32());
        Assert.InRange(metrics.RootElement.GetProperty("auc").GetDouble(), 0.6, 1.0);
        Assert.True(metrics.RootElement.GetProperty("log_loss").GetDouble() > 0);
        Assert.InRange(metrics.RootElement.GetProperty("pr_auc").GetDouble(), 0, 1);
    }

    [Fact]
    public async Task Fit_is_reproducible_with_a_seed()
    {
        var csv = _dir.Write("train.csv", SyntheticData.Generate(1500, seed: 12).Csv);
        Assert.Equal(0, (await Run("fit", "--csv", csv, "--label", "purchased", "--out", _dir.File("a.json"), "--seed", "5", "--rounds", "20")).Code);
        Assert.Equal(0, (await Run("fit", "--csv", csv, "--label", "purchased", "--out", _dir.File("b.json"), "--seed", "5", "--rounds", "20")).Code);
        Assert.Equal(File.ReadAllBytes(_dir.File("a.json")), File.ReadAllBytes(_dir.File("b.json")));
    }

    [Fact]
    public async Task Import_xgboost_writes_a_model_that_scores()
    {
        var json = _dir.Write("xgb.json", """
            {"learner":{"feature_names":["views"],"gradient_booster":{"model":{"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],
            "split_indices":[0,0,0],"split_conditions":[3,-1,1],"default_left":[0,0,0]}]},"name":"gbtree"},
            "learner_model_param":{"base_score":"5E-1","num_feature":"1"},"objective":{"name":"binary:logistic"}}}
            """);
        var result = await Run("import-xgboost", "--json", json, "--out", _dir.File("m.json"));
        Assert.Equal(0, result.Code);
        var model = ModelFile.Load(_dir.File("m.json"));
        Assert.Equal("xgboost", model.Metadata.Algorithm);
        Assert.Equal(GbdtModel.Sigmoid(1), model.Predict([5f]), 6);
    }

    [Fact]
    public async Task Fit_without_the_label_column_fails_on_one_line_and_writes_nothing()
    {
        var csv = _dir.Write("nolabel.csv", "a,b\n1,2\n3,4\n");
        var result = await Run("fit", "--csv", csv, "--label", "purchased", "--out", _dir.File("m.json"));
        AssertFailure(result, "nolabel.csv", "'purchased' not found");
        Assert.Equal(["nolabel.csv"], _dir.Files());
    }

    [Fact]
    public async Task Fit_on_ragged_rows_fails_and_writes_nothing()
    {
        var csv = _dir.Write("ragged.csv", "a,label\n1,0\n2,1,7\n");
        AssertFailure(await Run("fit", "--csv", csv, "--label", "label", "--out", _dir.File("m.json")), "ragged.csv", "row 2 (line 3) has 3 fields, header has 2");
        Assert.Equal(["ragged.csv"], _dir.Files());
    }

    [Fact]
    public async Task Fit_on_a_single_class_fails_and_keeps_an_existing_model()
    {
        var model = _dir.Write("m.json", "previous");
        var csv = _dir.Write("one.csv", "a,label\n1,0\n2,0\n3,0\n");
        AssertFailure(await Run("fit", "--csv", csv, "--label", "label", "--out", model), "one.csv", "label column 'label' is 0/FALSE on every row");
        Assert.Equal("previous", File.ReadAllText(model));
        Assert.Equal(["m.json", "one.csv"], _dir.Files());
    }

    [Fact]
    public async Task Score_with_text_in_a_numeric_column_or_a_corrupt_model_fails_without_output()
    {
        var csv = _dir.Write("train.csv", SyntheticData.Generate(500, seed: 1).Csv);
        var model = _dir.File("m.json");
        Assert.Equal(0, (await Run("fit", "--csv", csv, "--label", "purchased", "--out", model, "--rounds", "5")).Code);
        var bad = _dir.Write("bad.csv", "cart_value,views,minutes,discount,channel,returning,noise1,noise2\n10,lots,1,0,email,TRUE,0,1\n");
        AssertFailure(await Run("score", "--model", model, "--csv", bad, "--out", _dir.File("p.csv")), "bad.csv", "row 1 (line 2), column 'views': 'lots' is not a number");

        var text = File.ReadAllText(model);
        var corrupt = _dir.Write("corrupt.json", text[..(text.Length - 40)]);
        AssertFailure(await Run("score", "--model", corrupt, "--csv", csv, "--out", _dir.File("p.csv")), "corrupt.json", "truncated");
        AssertFailure(await Run("eval", "--model", corrupt, "--csv", csv, "--label", "purchased"), "corrupt.json", "truncated");
        Assert.DoesNotContain("p.csv", _dir.Files());
    }

    [Fact]
    public async Task Usage_errors_exit_with_2()
    {
        Assert.Equal(2, (await Run()).Code);
        Assert.Equal(2, (await Run("train")).Code);
        Assert.Equal(2, (await Run("fit", "--csv", "x.csv")).Code);
        var r = await Run("fit", "--csv", "x.csv", "--label", "l", "--out", "m.json", "--rounds", "many");
        Assert.Equal(2, r.Code);
        Assert.Contains("--rounds 'many' is not an integer", r.Stderr);
        Assert.Equal(2, (await Run("score", "--model", "m", "--csv", "c", "--out", "o", "--bogus", "1")).Code);
    }

    private static void AssertFailure((int Code, string Stdout, string Stderr) result, string file, string reason)
    {
        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(file, line);
        Assert.Contains(reason, line);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await ModelCommand.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
