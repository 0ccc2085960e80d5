using System.Text.Json;
using CartRecovery.Model.Cli;
using CartRecovery.Model.Onnx;
using CartRecovery.Model.Registry;
using CartRecovery.Model.Tests.Support;
using CartRecovery.TestSupport;

namespace CartRecovery.Model.Tests.Onnx;

public sealed class ForeignOnnxTests(ForeignModels models) : IClassFixture<ForeignModels>, IDisposable
{
    /// <summary>Stands in for FeatureSet.Names, which lives in Grains (the silo passes the real list).</summary>
    private static readonly string[] Serving = ["cart_value", "cart_lines", "cart_quantity", "returning", "hour_of_day"];

    private readonly TempDirectory _dir = new("cr-model-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_classifier_with_label_and_two_probability_columns_is_served_from_its_positive_column()
    {
        var model = OnnxModel.Load(models["classifier"]);
        Assert.Equal(new OnnxContract("X", 3, false, "probabilities", 2, 2, 1), model.Contract);
        Assert.Equal(["cart_value", "cart_lines", "returning"], model.Features.Select(f => f.Name));
        Assert.Equal("onnx", model.Info.Algorithm);

        // Softmax over (0, x·w + 0.1) is the logistic function of the positive class's score.
        using var scorer = model.CreateScorer();
        float[] row = [2, 1, 4];
        var expected = 1 / (1 + MathF.Exp(-((2 * 1f) - (1 * 0.5f) + (4 * 0.25f) + 0.1f)));
        Assert.Equal(expected, scorer.Score(row), 5);
        Assert.Equal(expected, scorer.ScoreRows(row, 1)[0], 5);
    }

    [Fact]
    public async Task Import_registers_it_with_its_declared_features_and_writes_a_checked_file()
    {
        var registry = _dir.File("r.db");
        var r = await Import(models["classifier"], "--registry", registry);
        Assert.Equal(0, r.Code);
        var id = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("id").GetInt64();
        var row = await Registry(registry).GetAsync(id);
        Assert.Equal(["cart_value", "cart_lines", "returning"], row!.Features);
        Assert.Equal("onnx", row.Algorithm);
        Assert.StartsWith("ok", OnnxChecker.Check(row.Payload!));
        Assert.Equal(model(models["classifier"]), model(row.LoadModel()));

        static float model(object m)
        {
            using var s = (m is string path ? OnnxModel.Load(path) : (OnnxModel)m).CreateScorer();
            return s.Score([1, 2, 3]);
        }
    }

    [Fact]
    public async Task An_unnamed_model_is_taken_to_take_the_serving_features_in_order_when_the_counts_match()
    {
        var r = await Import(models["unnamed"], "--registry", _dir.File("r.db"), "--features", "cart_value,hour_of_day,returning");
        Assert.Equal(0, r.Code);
        var mismatch = await Import(models["unnamed"], "--registry", _dir.File("r.db"));
        AssertRejected(mismatch, "unnamed.onnx", "input 'X' takes 3 features but the serving feature set has 5 (cart_value, cart_lines");
    }

    [Theory]
    [InlineData("zipmap", "cannot tell which output is the probability (outputs: 'label' int64 [?], 'output_probability' a sequence)", "ZipMap")]
    [InlineData("int_input", "input 'X' is int64 [?, 3]; expected a float tensor [N, F]", null)]
    [InlineData("two_inputs", "the model has 2 inputs ('X' float [?, 3], 'Y' float [?, 3])", null)]
    [InlineData("margin", "output 'score' gave 5 for an all-zero row; a served model must output a probability", null)]
    [InlineData("fixed_batch", "input 'X' has a fixed batch size of 4 (shape [4, 3])", null)]
    [InlineData("too_many_names", "input 'X' takes 3 features but its feature_names metadata declares 4 (a, b, c, d)", null)]
    public async Task Mismatched_models_are_refused_naming_what_is_wrong_and_nothing_is_registered(string name, string reason, string? hint)
    {
        var registry = await EmptyRegistry();
        var r = await Import(models[name], "--registry", registry);
        AssertRejected(r, name + ".onnx", reason);
        if (hint is not null)
        {
            Assert.Contains(hint, r.Stderr);
        }

        Assert.Empty(await Registry(registry).ListAsync());
    }

    [Fact]
    public async Task A_model_over_columns_the_silo_does_not_have_is_refused_for_the_registry()
    {
        var registry = await EmptyRegistry();
        var r = await Import(models["unnamed"], "--registry", registry, "--features", "cart_value,colour,size");
        AssertRejected(r, "unnamed.onnx", "features 'colour', 'size' not in the serving feature set");
        Assert.Empty(await Registry(registry).ListAsync());
    }

    [Fact]
    public async Task Corrupt_truncated_and_tampered_files_are_refused()
    {
        var good = OnnxModel.Load(models["classifier"]).ToBytes();
        var tampered = good.ToArray();
        tampered[tampered.Length / 3] ^= 0x01;
        var cases = new Dictionary<string, (byte[] Bytes, string Reason)>
        {
            ["random.onnx"] = (Enumerable.Range(0, 400).Select(i => (byte)((i * 7919) % 251)).ToArray(), "not an ONNX model"),
            ["empty.onnx"] = ([], "not an ONNX model (no graph)"),
            ["truncated.onnx"] = (good[..(good.Length / 2)], "not an ONNX model (protobuf is malformed or truncated"),
            ["tampered.onnx"] = (tampered, "checksum mismatch"),
            // The checksum entry is the last 96 bytes: cut exactly, the protobuf still parses, but the seal is gone.
            ["unsealed.onnx"] = (good[..^96], "cartrecovery.sha256 entry is missing: the file was truncated or edited"),
        };
        var registry = await EmptyRegistry();
        foreach (var (file, (bytes, reason)) in cases)
        {
            var path = _dir.File(file);
            File.WriteAllBytes(path, bytes);
            AssertRejected(await Import(path, "--registry", registry), file, reason);
        }

        Assert.Empty(await Registry(registry).ListAsync());
    }

    private static void AssertRejected((int Code, string Stdout, string Stderr) r, string file, string reason)
    {
        Assert.Equal(1, r.Code);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(file, line);
        Assert.Contains(reason, line);
    }

    private static IModelRegistry Registry(string path) => new SqliteModelRegistry($"Data Source={path};Pooling=False");

    /// <summary>A registry whose table exists, so "nothing registered" is checked by listing it.</summary>
    private async Task<string> EmptyRegistry()
    {
        var path = _dir.File("r.db");
        await Registry(path).EnsureSchemaAsync();
        return path;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Import(string path, params string[] rest)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await ModelCommand.RunAsync(["import", "--onnx", path, .. rest], stdout, stderr, Serving, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
