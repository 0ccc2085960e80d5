using System.Globalization;
using System.Text.Json;
using CartRecovery.Model.Cli;
using CartRecovery.Model.Data;
using CartRecovery.Model.Onnx;
using CartRecovery.Model.Registry;
using CartRecovery.Model.Tests.Support;

namespace CartRecovery.Model.Tests.Cli;

public sealed class ModelCommandTests : IDisposable
{
    private const string XgboostStump = """
        {"learner":{"feature_names":["views"],"gradient_booster":{"model":{"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],
        "split_indices":[0,0,0],"split_conditions":[3,-1,1],"default_left":[0,0,0]}]},"name":"gbtree"},
        "learner_model_param":{"base_score":"5E-1","num_feature":"1"},"objective":{"name":"binary:logistic"}}}
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Fit_score_and_eval_work_end_to_end()
    {
        var csv = _dir.Write("train.csv", SyntheticData.Generate(3000, seed: 12).Csv);
        var model = _dir.File("out/model.onnx");
        var fit = await Run("fit", "--csv", csv, "--label", "purchased", "--out", model, "--seed", "3", "--rounds", "60", "--max-depth", "4",
            "--learning-rate", "0.2", "--validation-fraction", "0.25", "--threads", "1");
        Assert.Equal(0, fit.Code);
        Assert.Contains("training   lightgbm: up to 60 rounds", fit.Stderr);
        Assert.Contains("validating scoring 750 validation rows", fit.Stderr);
        using var summary = JsonDocument.Parse(fit.Stdout);
        Assert.InRange(summary.RootElement.GetProperty("auc").GetDouble(), 0.6, 1.0);
        Assert.Equal(750, summary.RootElement.GetProperty("validation_rows").GetInt32());
        Assert.StartsWith("ok", OnnxChecker.Check(File.ReadAllBytes(model)));

        var loaded = OnnxModel.Load(model);
        Assert.Equal(4, loaded.Info.HyperParameters["max_depth"]);
        Assert.Equal(3, loaded.Info.HyperParameters["seed"]);
        Assert.Equal(FeatureKind.Categorical, loaded.Features.Single(f => f.Name == "channel").Kind);

        // Score a file whose label column is present (and ignored) and whose columns are reordered.
        var scoreInput = _dir.Write("score.csv", "purchased,channel,cart_value,views,minutes,discount,returning,noise1,noise2\nFALSE,email,100,3,5,0,TRUE,0.1,5\nTRUE,fax,,30,45,10,false,-1,50\n");
        var predictions = _dir.File("pred.csv");
        var score = await Run("score", "--model", model, "--csv", scoreInput, "--out", predictions);
        Assert.Equal(0, score.Code);
        var lines = File.ReadAllLines(predictions);
        Assert.Equal("probability", lines[0]);
        using var scorer = loaded.CreateScorer();
        Assert.Equal(scorer.ScoreAll(DatasetLoader.LoadWithSchema(scoreInput, loaded.Schema)), lines[1..].Select(l => float.Parse(l, CultureInfo.InvariantCulture)));

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
        Assert.Equal(0, (await Run("fit", "--csv", csv, "--label", "purchased", "--out", _dir.File("a.onnx"), "--seed", "5", "--rounds", "20")).Code);
        Assert.Equal(0, (await Run("fit", "--csv", csv, "--label", "purchased", "--out", _dir.File("b.onnx"), "--seed", "5", "--rounds", "20")).Code);
        Assert.Equal(File.ReadAllBytes(_dir.File("a.onnx")), File.ReadAllBytes(_dir.File("b.onnx")));
    }

    [Fact]
    public async Task Paths_are_relative_to_the_callers_working_directory()
    {
        var previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = _dir.Path;
            _dir.Write("xgb.json", XgboostStump);
            Assert.Equal(0, (await Run("import-xgboost", "--json", "xgb.json", "--out", "sub/m.onnx")).Code);
            Assert.True(File.Exists(_dir.File("sub/m.onnx")));
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Fact]
    public async Task Import_xgboost_writes_an_onnx_model_that_scores()
    {
        var json = _dir.Write("xgb.json", XgboostStump);
        var result = await Run("import-xgboost", "--json", json, "--out", _dir.File("m.onnx"));
        Assert.Equal(0, result.Code);
        var model = OnnxModel.Load(_dir.File("m.onnx"));
        Assert.Equal("xgboost", model.Info.Algorithm);
        using var scorer = model.CreateScorer();
        Assert.Equal(1 / (1 + MathF.Exp(-1)), scorer.Score([5f]), 6);
    }

    [Fact]
    public async Task Import_registers_evaluates_and_promotes_a_servable_model()
    {
        var registry = _dir.File("registry.db");
        var json = _dir.Write("xgb.json", XgboostStump.Replace("\"views\"", "\"past_purchases\"", StringComparison.Ordinal));
        var validation = _dir.Write("valid.csv", "past_purchases,label\n1,0\n5,1\n2,0\n7,1\n");
        var result = await Run(["import-xgboost", "--json", json, "--registry", registry, "--csv", validation, "--label", "label", "--promote"], ["cart_value", "past_purchases"]);
        Assert.Equal(0, result.Code);
        using var outcome = JsonDocument.Parse(result.Stdout);
        Assert.True(outcome.RootElement.GetProperty("promoted").GetBoolean());
        Assert.Equal(1.0, outcome.RootElement.GetProperty("auc").GetDouble());

        var active = await new SqliteModelRegistry($"Data Source={registry};Pooling=False").GetActiveAsync();
        Assert.Equal("xgboost", active!.Algorithm);
        Assert.Equal(["past_purchases"], active.Features);
        Assert.Equal(1.0, active.Metrics!.Auc);
    }

    [Fact]
    public async Task Every_command_has_help()
    {
        foreach (var command in new[] { "fit", "score", "eval", "import", "import-xgboost" })
        {
            var r = await Run(command, "--help");
            Assert.Equal(0, r.Code);
            Assert.StartsWith($"usage: model {command} ", r.Stdout);
        }

        var all = await Run("--help");
        Assert.Equal(0, all.Code);
        Assert.Contains("model import --onnx", all.Stdout);
    }

    [Fact]
    public async Task Fit_without_the_label_column_fails_on_one_line_and_writes_nothing()
    {
        var csv = _dir.Write("nolabel.csv", "a,b\n1,2\n3,4\n");
        var result = await Run("fit", "--csv", csv, "--label", "purchased", "--out", _dir.File("m.onnx"));
        AssertFailure(result, "nolabel.csv", "label column 'purchased' not found (columns: a, b)");
        Assert.Equal(["nolabel.csv"], _dir.Files());
    }

    [Fact]
    public async Task Fit_on_ragged_rows_fails_and_writes_nothing()
    {
        var csv = _dir.Write("ragged.csv", "a,label\n1,0\n2,1,7\n");
        AssertFailure(await Run("fit", "--csv", csv, "--label", "label", "--out", _dir.File("m.onnx")), "ragged.csv", "row 2 (line 3) has 3 fields, header has 2");
        Assert.Equal(["ragged.csv"], _dir.Files());
    }

    [Fact]
    public async Task Fit_on_an_unclosed_quote_fails_naming_the_line()
    {
        var csv = _dir.Write("quote.csv", "a,label\n1,0\n\"2,1\n3,0\n");
        AssertFailure(await Run("fit", "--csv", csv, "--label", "label", "--out", _dir.File("m.onnx")), "quote.csv", "(line 3): a quoted field that is never closed");
        Assert.Equal(["quote.csv"], _dir.Files());
    }

    [Fact]
    public async Task Fit_on_a_single_class_fails_and_keeps_an_existing_model()
    {
        var model = _dir.Write("m.onnx", "previous");
        var csv = _dir.Write("one.csv", "a,label\n1,0\n2,0\n3,0\n");
        AssertFailure(await Run("fit", "--csv", csv, "--label", "label", "--out", model), "one.csv", "label column 'label' is 0/FALSE on every row");
        Assert.Equal("previous", File.ReadAllText(model));
        Assert.Equal(["m.onnx", "one.csv"], _dir.Files());
    }

    [Fact]
    public async Task Score_with_text_in_a_numeric_column_or_a_corrupt_model_fails_without_output()
    {
        var csv = _dir.Write("train.csv", SyntheticData.Generate(500, seed: 1).Csv);
        var model = _dir.File("m.onnx");
        Assert.Equal(0, (await Run("fit", "--csv", csv, "--label", "purchased", "--out", model, "--rounds", "5")).Code);
        var bad = _dir.Write("bad.csv", "cart_value,views,minutes,discount,channel,returning,noise1,noise2\n10,lots,1,0,email,TRUE,0,1\n");
        AssertFailure(await Run("score", "--model", model, "--csv", bad, "--out", _dir.File("p.csv")), "bad.csv", "row 1 (line 2), column 'views': 'lots' is not a number");

        var bytes = File.ReadAllBytes(model);
        var corrupt = _dir.File("corrupt.onnx");
        File.WriteAllBytes(corrupt, bytes[..^40]);
        AssertFailure(await Run("score", "--model", corrupt, "--csv", csv, "--out", _dir.File("p.csv")), "corrupt.onnx", "truncated");
        AssertFailure(await Run("eval", "--model", corrupt, "--csv", csv, "--label", "purchased"), "corrupt.onnx", "truncated");
        Assert.DoesNotContain("p.csv", _dir.Files());
    }

    [Fact]
    public async Task Usage_errors_exit_with_2_naming_the_option()
    {
        Assert.Equal(2, (await Run()).Code);
        Assert.Equal(2, (await Run("train")).Code);
        Assert.Equal(2, (await Run("fit", "--csv", "x.csv")).Code);
        var r = await Run("fit", "--csv", "x.csv", "--label", "l", "--out", "m.onnx", "--rounds", "many");
        Assert.Equal(2, r.Code);
        Assert.Contains("fit: --rounds 'many' is not an integer", r.Stderr);
        var range = await Run("fit", "--csv", "x.csv", "--label", "l", "--out", "m.onnx", "--learning-rate", "7");
        Assert.Contains("fit: --learning-rate must be in (0, 1]", range.Stderr);
        Assert.Equal(2, (await Run("score", "--model", "m", "--csv", "c", "--out", "o", "--bogus", "1")).Code);
        Assert.Equal(2, (await Run("import", "--onnx", "m.onnx")).Code);
        Assert.Contains("exactly one of --out FILE or --registry", (await Run("import", "--onnx", "m.onnx", "--out", "a", "--registry", "b")).Stderr);
    }

    private static void AssertFailure((int Code, string Stdout, string Stderr) result, string file, string reason)
    {
        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(file, line);
        Assert.Contains(reason, line);
    }

    private static Task<(int Code, string Stdout, string Stderr)> Run(params string[] args) => Run(args, null);

    private static async Task<(int Code, string Stdout, string Stderr)> Run(string[] args, IReadOnlyList<string>? servingFeatures)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await ModelCommand.RunAsync(args, stdout, stderr, servingFeatures, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
