using CartRecovery.Model.Data;
using CartRecovery.Model.Tests.Support;
using CartRecovery.TestSupport;

namespace CartRecovery.Model.Tests.Data;

public sealed class DatasetLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new("cr-model-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Infers_numeric_boolean_and_categorical_columns_with_missing_values()
    {
        var path = _dir.Write("d.csv", "amount,returning,channel,label\n1.5,TRUE,email,1\n,false,,0\n-2e3,True,sms,FALSE\n4,,email,true\n");
        var data = DatasetLoader.LoadForTraining(path, "label");

        Assert.Equal(["amount", "returning", "channel"], data.Schema.Features.Select(f => f.Name));
        Assert.Equal([FeatureKind.Numeric, FeatureKind.Boolean, FeatureKind.Categorical], data.Schema.Features.Select(f => f.Kind));
        Assert.Equal([1.5f, float.NaN, -2000f, 4f], data.GetColumn(0).ToArray());
        Assert.Equal([1f, 0f, 1f, float.NaN], data.GetColumn(1).ToArray());

        // The more frequent category gets the lower code; empty text is missing.
        Assert.Equal(["email", "sms"], data.Schema.Features[2].Categories);
        Assert.Equal([0f, float.NaN, 1f, 0f], data.GetColumn(2).ToArray());
        Assert.Equal([1f, 0f, 0f, 1f], data.Labels!);
    }

    [Fact]
    public void A_single_non_number_makes_a_column_categorical_when_training()
    {
        var path = _dir.Write("d.csv", "zip,label\n12345,1\n02139,0\nN/A,1\n");
        var data = DatasetLoader.LoadForTraining(path, "label");
        Assert.Equal(FeatureKind.Categorical, data.Schema.Features[0].Kind);
    }

    [Fact]
    public void Quoted_fields_may_hold_commas_quotes_and_line_breaks()
    {
        var path = _dir.Write("d.csv", "name,label\r\n\"a, b\",1\r\n\"say \"\"hi\"\"\",0\r\n\"two\nlines\",1\r\n");
        var data = DatasetLoader.LoadForTraining(path, "label");
        Assert.Equal(3, data.RowCount);
        Assert.Contains("a, b", data.Schema.Features[0].Categories);
        Assert.Contains("say \"hi\"", data.Schema.Features[0].Categories);
        Assert.Contains("two\nlines", data.Schema.Features[0].Categories);
    }

    [Fact]
    public void Missing_label_column_names_the_file_and_the_column()
    {
        var path = _dir.Write("nolabel.csv", "a,b\n1,2\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.LoadForTraining(path, "purchased"));
        Assert.Contains("nolabel.csv", e.Message);
        Assert.Contains("label column 'purchased' not found", e.Message);
    }

    [Fact]
    public void Ragged_row_reports_row_and_field_counts()
    {
        var path = _dir.Write("ragged.csv", "a,b,label\n1,2,0\n3,4\n5,6,1\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.LoadForTraining(path, "label"));
        Assert.Contains("ragged.csv: row 2 (line 3) has 2 fields, header has 3", e.Message);
    }

    [Fact]
    public void Invalid_label_value_names_row_and_value()
    {
        var path = _dir.Write("d.csv", "a,label\n1,0\n2,maybe\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.LoadForTraining(path, "label"));
        Assert.Contains("row 2", e.Message);
        Assert.Contains("'maybe'", e.Message);
    }

    [Fact]
    public void Scoring_with_a_schema_rejects_text_in_a_numeric_column_naming_row_and_column()
    {
        var train = DatasetLoader.LoadForTraining(_dir.Write("t.csv", "amount,channel,label\n1,email,1\n2,sms,0\n"), "label");
        var path = _dir.Write("s.csv", "channel,amount\nemail,3\nsms,lots\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.LoadWithSchema(path, train.Schema));
        Assert.Contains("s.csv: row 2 (line 3), column 'amount': 'lots' is not a number", e.Message);
    }

    [Fact]
    public void Scoring_matches_columns_by_name_and_maps_unseen_categories_to_missing()
    {
        var train = DatasetLoader.LoadForTraining(_dir.Write("t.csv", "amount,channel,label\n1,email,1\n2,sms,0\n2,sms,0\n"), "label");
        var path = _dir.Write("s.csv", "id,channel,amount,label\nx,sms,3,1\ny,fax,,0\n");
        var data = DatasetLoader.LoadWithSchema(path, train.Schema);
        Assert.Null(data.Labels);
        Assert.Equal([3f, float.NaN], data.GetColumn(0).ToArray());
        Assert.Equal([0f, float.NaN], data.GetColumn(1).ToArray());
    }

    [Fact]
    public void Scoring_requires_every_model_feature()
    {
        var train = DatasetLoader.LoadForTraining(_dir.Write("t.csv", "amount,channel,label\n1,email,1\n2,sms,0\n"), "label");
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.LoadWithSchema(_dir.Write("s.csv", "amount\n1\n"), train.Schema));
        Assert.Contains("feature column 'channel'", e.Message);
    }

    [Fact]
    public void Empty_file_and_header_only_file_are_errors()
    {
        Assert.Contains("empty", Assert.Throws<DataFormatException>(() => DatasetLoader.LoadForTraining(_dir.Write("e.csv", ""), "label")).Message);
        Assert.Contains("no data rows", Assert.Throws<DataFormatException>(() => DatasetLoader.LoadForTraining(_dir.Write("h.csv", "a,label\n"), "label")).Message);
    }

    [Fact]
    public void Reads_gzip_csv_and_reports_a_non_boolean_label_in_real_data()
    {
        // REES46's event_type is text, so using it as a label must fail on the first row with a clear message.
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.LoadForTraining(SharedData.Rees46, "event_type"));
        Assert.Contains("row 1 (line 2), label column 'event_type': 'view'", e.Message);
    }

    [Fact]
    public void Rees46_session_table_loads_with_text_columns_as_categoricals()
    {
        var (csv, rows, positives) = Rees46Sessions.Build(cartSessionsOnly: true);
        var data = DatasetLoader.LoadForTraining(_dir.Write("s.csv", csv), Rees46Sessions.Label);
        Assert.Equal(rows, data.RowCount);
        Assert.InRange(rows, 50, 200);
        Assert.Equal(positives, (int)data.Labels!.Sum());
        Assert.Equal(FeatureKind.Categorical, data.Schema.Features[data.Schema.IndexOf("brand")].Kind);
        Assert.Equal(FeatureKind.Numeric, data.Schema.Features[data.Schema.IndexOf("views")].Kind);
    }
}
