using System.Globalization;
using System.Text.Json;
using CartRecovery.Model.Boosting;
using CartRecovery.Model.Cli;
using CartRecovery.Model.Data;
using CartRecovery.Model.Onnx;
using CartRecovery.Model.Registry;
using CartRecovery.Model.Tests.Support;
using CartRecovery.TestSupport;

namespace CartRecovery.Model.Tests.Cli;

public sealed class ModelCommandTests : IDisposable
{
    private const string XgboostStump = """
        {"learner":{"feature_names":["views"],"gradient_booster":{"model":{"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],
        "split_indices":[0,0,0],"split_conditions":[3,-1,1],"default_left":[0,0,0]}]},"name":"gbtree"},
        "learner_model_param":{"base_score":"5E-1","num_feature":"1"},"objective":{"name":"binary:logistic"}}}
        """;

    private readonly TempDirectory _dir = new("cr-model-");

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

    public static TheoryData<string, string[]> VerbOptions => new()
    {
        { "fit", ["--csv", "--label", "--out", "--validation-fraction", "--ignore", "--algorithm", "--rounds", "--learning-rate", "--threads"] },
        { "score", ["--model", "--csv", "--out"] },
        { "eval", ["--model", "--csv", "--label"] },
        { "import", ["--onnx", "--features", "--out", "--registry", "--promote", "--csv", "--label"] },
        { "import-xgboost", ["--json", "--out", "--registry", "--promote", "--csv", "--label"] },
    };

    [Theory]
    [MemberData(nameof(VerbOptions))]
    public async Task Every_verb_has_help_listing_its_options(string verb, string[] options)
    {
        foreach (var help in new[] { "--help", "-h", "-?" })
        {
            var r = await Run(verb, help);
            Assert.Equal(0, r.Code);
            Assert.Equal("", r.Stderr);
            Assert.Contains($"model {verb} [options]", r.Stdout);
            Assert.All(options, o => Assert.Contains(o, r.Stdout));
        }

        // --help wins over anything else on the line, and "model help VERB" says the same.
        Assert.Equal(0, (await Run(verb, "--rounds", "many", "--help")).Code);
        var viaHelp = await Run("help", verb);
        Assert.Equal(0, viaHelp.Code);
        Assert.Equal((await Run(verb, "--help")).Stdout, viaHelp.Stdout);
    }

    [Fact]
    public async Task Model_help_lists_every_verb()
    {
        var all = await Run("--help");
        Assert.Equal(0, all.Code);
        Assert.All(new[] { "fit", "score", "eval", "import", "import-xgboost" }, v => Assert.Contains(v, all.Stdout));
        Assert.Equal(all.Stdout, (await Run("help")).Stdout);
    }

    [Fact]
    public void Fit_has_an_option_for_every_training_key_of_the_http_api()
    {
        var fit = ModelCommand.Create(null).Subcommands.Single(c => c.Name == "fit");
        var names = fit.Options.Select(o => o.Name).ToHashSet();
        Assert.All(BoostingOptionParser.Keys, key => Assert.Contains("--" + key.Replace('_', '-'), names));
    }

    [Fact]
    public async Task Training_options_default_to_the_trainers_defaults_and_are_typed()
    {
        var fit = ModelCommand.Create(null).Subcommands.Single(c => c.Name == "fit");
        var rounds = Assert.IsType<System.CommandLine.Option<int>>(fit.Options.Single(o => o.Name == "--rounds"));
        Assert.Equal(new BoostingOptions().Rounds, fit.Parse(["--csv", "a", "--label", "b", "--out", "c"]).GetValue(rounds));
        Assert.Equal(17, fit.Parse(["--csv", "a", "--label", "b", "--out", "c", "--rounds", "17"]).GetValue(rounds));
        Assert.IsType<System.CommandLine.Option<double>>(fit.Options.Single(o => o.Name == "--learning-rate"));
        Assert.IsType<System.CommandLine.Option<int?>>(fit.Options.Single(o => o.Name == "--threads"));
        var help = await Run("fit", "--help");
        Assert.Contains("[default: 300]", help.Stdout);
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
        var missing = await Run("fit", "--csv", "x.csv");
        Assert.Equal(2, missing.Code);
        Assert.Contains("--label", missing.Stderr);
        Assert.Contains("--out", missing.Stderr);
        var r = await Run("fit", "--csv", "x.csv", "--label", "l", "--out", "m.onnx", "--rounds", "many");
        Assert.Equal(2, r.Code);
        Assert.Equal(["error: model fit: --rounds 'many' is not an integer", "see: model fit --help"], Lines(r.Stderr));
        Assert.Equal("", r.Stdout);
        var range = await Run("fit", "--csv", "x.csv", "--label", "l", "--out", "m.onnx", "--learning-rate", "7");
        Assert.Equal(2, range.Code);
        Assert.Contains("error: model fit: --learning-rate must be in (0, 1]", range.Stderr);
        Assert.Contains("--validation-fraction must be between 0 and 1", (await Run("fit", "--csv", "x", "--label", "l", "--out", "m", "--validation-fraction", "1")).Stderr);
        Assert.Contains("--algorithm 'xgb' is not lightgbm or fasttree", (await Run("fit", "--csv", "x", "--label", "l", "--out", "m", "--algorithm", "xgb")).Stderr);
        Assert.Contains("--out needs a value", (await Run("fit", "--csv", "x", "--label", "l", "--out", "")).Stderr);
        Assert.Equal(2, (await Run("fit", "--csv", "x", "--csv", "y", "--label", "l", "--out", "m")).Code);
        var bogus = await Run("score", "--model", "m", "--csv", "c", "--out", "o", "--bogus", "1");
        Assert.Equal(2, bogus.Code);
        Assert.Contains("'--bogus'", bogus.Stderr);
        Assert.Equal(2, (await Run("import", "--onnx", "m.onnx")).Code);
        Assert.Contains("error: model import: give exactly one of --out FILE or --registry CONNECTION", (await Run("import", "--onnx", "m.onnx", "--out", "a", "--registry", "b")).Stderr);
        Assert.Contains("--promote needs --registry", (await Run("import-xgboost", "--json", "x.json", "--out", "a", "--promote")).Stderr);
        Assert.Contains("--csv and --label go together", (await Run("import-xgboost", "--json", "x.json", "--out", "a", "--csv", "v.csv")).Stderr);
    }

    [Fact]
    public async Task Fit_ignores_the_columns_listed_with_commas()
    {
        var csv = _dir.Write("train.csv", SyntheticData.Generate(500, seed: 1).Csv);
        var fit = await Run("fit", "--csv", csv, "--label", "purchased", "--out", _dir.File("m.onnx"), "--rounds", "5", "--ignore", "noise1, noise2");
        Assert.Equal(0, fit.Code);
        Assert.DoesNotContain(OnnxModel.Load(_dir.File("m.onnx")).Features, f => f.Name.StartsWith("noise", StringComparison.Ordinal));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

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
