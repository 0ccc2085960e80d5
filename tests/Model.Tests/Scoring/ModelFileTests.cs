using System.Text;
using CartRecovery.Model.Data;
using CartRecovery.Model.Scoring;
using CartRecovery.Model.Tests.Support;
using CartRecovery.Model.Training;

namespace CartRecovery.Model.Tests.Scoring;

public sealed class ModelFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Dataset _data;
    private readonly GbdtModel _model;

    public ModelFileTests()
    {
        _data = DatasetLoader.LoadForTraining(_dir.Write("s.csv", SyntheticData.Generate(3000, seed: 8).Csv), "purchased");
        var (train, validation) = _data.SplitTail(0.25);
        var trained = GbdtTrainer.Train(train, validation, new GbdtOptions { Rounds = 40 }).Model;
        _model = trained.WithMetadata(trained.Metadata with
            {
                TrainingFrom = new DateTimeOffset(2019, 10, 1, 0, 0, 0, TimeSpan.Zero),
                TrainingTo = new DateTimeOffset(2019, 10, 1, 2, 40, 0, TimeSpan.Zero),
            });
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Round_trip_keeps_predictions_schema_and_metadata()
    {
        var path = _dir.File("m.json");
        ModelFile.Save(_model, path);
        var loaded = ModelFile.Load(path);

        Assert.Equal(_model.PredictAll(_data), loaded.PredictAll(_data));
        Assert.Equal(_model.Features.Select(f => (f.Name, f.Kind)), loaded.Features.Select(f => (f.Name, f.Kind)));
        Assert.Equal(_model.Features[4].Categories, loaded.Features[4].Categories);
        Assert.Equal(_model.Metadata.Metrics!.Auc, loaded.Metadata.Metrics!.Auc);
        Assert.Equal(_model.Metadata.Metrics.Calibration.Count, loaded.Metadata.Metrics.Calibration.Count);
        Assert.Equal(_model.Metadata.TrainingTo, loaded.Metadata.TrainingTo);
        Assert.Equal(_model.Metadata.HyperParameters, loaded.Metadata.HyperParameters);
        Assert.Equal(ModelFile.ToJsonBytes(_model), File.ReadAllBytes(path));
        Assert.Equal(["m.json", "s.csv"], _dir.Files());
    }

    [Fact]
    public void Truncated_file_is_rejected_clearly()
    {
        var bytes = ModelFile.ToJsonBytes(_model);
        var path = _dir.File("cut.json");
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
        Assert.Contains("cut.json", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Tampered_threshold_fails_the_checksum()
    {
        var json = ModelFile.ToJson(_model);
        var at = json.IndexOf("\"value\":[", StringComparison.Ordinal) + 9;
        var digit = json.IndexOfAny("123456789".ToCharArray(), at);
        var tampered = json[..digit] + (json[digit] == '9' ? '8' : (char)(json[digit] + 1)) + json[(digit + 1)..];
        var path = _dir.Write("t.json", tampered);
        Assert.Contains("checksum mismatch", Assert.Throws<ModelFormatException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void Unknown_format_version_and_foreign_json_are_rejected()
    {
        var json = ModelFile.ToJson(_model).Replace("\"format_version\":1", "\"format_version\":99", StringComparison.Ordinal);
        Assert.Contains("format_version 99", Assert.Throws<ModelFormatException>(() => ModelFile.Parse(json, "v99")).Message);
        Assert.Contains("not a cartrecovery.gbdt model", Assert.Throws<ModelFormatException>(() => ModelFile.Parse("{\"learner\":{}}", "x")).Message);
        Assert.Contains("cannot read", Assert.Throws<ModelFormatException>(() => ModelFile.Load(_dir.File("absent.json"))).Message);
    }

    [Fact]
    public void Structurally_invalid_model_with_a_valid_checksum_is_rejected()
    {
        // A cycle (left child pointing at the root) must not reach the scorer even if someone recomputes the checksum.
        var body = "{\"algorithm\":\"gbdt\",\"base_margin\":0,\"features\":[{\"name\":\"x\",\"kind\":\"numeric\"}],\"trees\":[" +
            "{\"feature\":[0,-1,-1],\"value\":[0.5,1,2],\"left\":[0,-1,-1],\"right\":[2,-1,-1],\"default_left\":[0,0,0],\"gain\":[0,0,0],\"cover\":[0,0,0]}]}";
        var hash = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        var json = $"{{\"format\":\"cartrecovery.gbdt\",\"format_version\":1,\"checksum\":\"{hash}\",\"model\":{body}}}";
        Assert.Contains("invalid child", Assert.Throws<ModelFormatException>(() => ModelFile.Parse(json, "cyclic")).Message);
    }

    [Fact]
    public void Failed_write_leaves_neither_partial_file_nor_temp_file_and_keeps_the_old_model()
    {
        var path = _dir.File("m.json");
        ModelFile.Save(_model, path);
        var before = File.ReadAllBytes(path);
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100]);
            throw new IOException("disk full");
        }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Throws<IOException>(() => AtomicFile.Write(_dir.File("new.json"), _ => throw new IOException("disk full")));
        Assert.Equal(["m.json", "s.csv"], _dir.Files());
    }

    [Fact]
    public void Predict_allocates_nothing()
    {
        var row = new float[_model.Features.Count];
        _data.GetRow(0, row);
        _model.Predict(row);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0f;
        for (var i = 0; i < 10000; i++)
        {
            sum += _model.Predict(row);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.True(sum > 0);
    }

    [Fact]
    public void Predict_rejects_a_short_feature_vector()
    {
        Assert.Throws<ArgumentException>(() => _model.Predict(new float[2]));
    }

    [Fact]
    public void Feature_vector_fills_by_name_and_encodes_categories_like_the_loader()
    {
        var csv = _dir.Write("one.csv", "cart_value,views,minutes,discount,channel,returning,noise1,noise2\n120.5,4,12,10,social,TRUE,0.3,17\n");
        var expected = _model.PredictAll(DatasetLoader.LoadWithSchema(csv, _model.Schema))[0];

        var row = new FeatureVector(_model);
        Assert.True(row.Set("cart_value", 120.5f));
        row.Set("views", 4);
        row.Set("minutes", 12);
        row.Set("discount", 10);
        row.SetCategory("channel", "social");
        row.Set("returning", true);
        row.Set("noise1", 0.3f);
        row.Set("noise2", 17);
        Assert.False(row.Set("not_a_feature", 1));
        Assert.Equal(expected, row.Predict());

        row.Clear();
        row.SetCategory("channel", "carrier pigeon");
        Assert.All(row.Values.ToArray(), v => Assert.True(float.IsNaN(v)));
    }
}
