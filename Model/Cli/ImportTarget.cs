using System.CommandLine;
using System.Text.Json;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Cli;

/// <summary>
/// Where an imported model goes, shared by import and import-xgboost: a file (--out) or the registry
/// (--registry), optionally evaluated on a labelled CSV first (so it has an AUC to be promoted on) and promoted
/// under the usual rule. Every check runs before anything is written or registered.
/// </summary>
internal sealed class ImportTarget
{
    private readonly Option<string> _out = CliOptions.Text("--out", "MODEL.onnx", "write the model to this file (give --out or --registry)");
    private readonly Option<string> _registry = CliOptions.Text("--registry", "CONNECTION", "register the model: a SQLite file or connection string, or a PostgreSQL connection string (Host=...)");
    private readonly Option<bool> _promote = new("--promote") { Description = "make it active if its AUC is at least the active model's (needs --registry)" };
    private readonly Option<string> _csv = CliOptions.Text("--csv", "VALIDATION.csv", "evaluate the model on this labelled CSV first; its AUC, PR-AUC, log loss and calibration are stored with it (with --label)");
    private readonly Option<string> _label = CliOptions.Text("--label", "COLUMN", "the label column of --csv");

    /// <summary>Adds the options and their usage rules, which are checked before the model file is even read.</summary>
    public void AddTo(Command command)
    {
        command.Add(_out);
        command.Add(_registry);
        command.Add(_promote);
        command.Add(_csv);
        command.Add(_label);
        command.Validators.Add(r =>
        {
            var registry = r.GetResult(_registry) is not null;
            if ((r.GetResult(_out) is null) != registry)
            {
                r.AddError("give exactly one of --out FILE or --registry CONNECTION");
            }

            if (r.GetValue(_promote) && !registry)
            {
                r.AddError("--promote needs --registry");
            }

            if ((r.GetResult(_csv) is null) != (r.GetResult(_label) is null))
            {
                r.AddError("--csv and --label go together");
            }
        });
    }

    public bool ToRegistry(ParseResult result) => result.GetValue(_registry) is not null;

    public async Task<int> FinishAsync(OnnxModel model, string source, ParseResult result, IReadOnlyList<string>? servingFeatures, TextWriter stdout, CancellationToken ct)
    {
        var output = result.GetValue(_out);
        var registry = result.GetValue(_registry);
        if (result.GetValue(_csv) is { } csv)
        {
            model = model.WithInfo(model.Info with { Metrics = EvalCommand.Evaluate(model, csv, result.GetRequiredValue(_label)) });
        }

        if (output is not null)
        {
            model.Save(output);
            stdout.WriteLine($"{output}: {model.Info.Algorithm} model over {model.Features.Count} features");
            return ModelCommand.Ok;
        }

        if (servingFeatures is not null)
        {
            CheckServable(model, servingFeatures, source);
        }

        var store = RegistryConnection.Open(registry!);
        await store.EnsureSchemaAsync(ct);
        var id = await store.AddCandidateAsync(model, ct);
        var promotion = result.GetValue(_promote) ? await store.TryPromoteAsync(id, ct) : null;
        stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = id,
            ["algorithm"] = model.Info.Algorithm,
            ["features"] = model.Features.Count,
            ["auc"] = model.Info.Metrics is { } m ? FitCommand.NullIfNaN(m.Auc) : null,
            ["promoted"] = promotion?.Promoted,
            ["reason"] = promotion?.Reason,
        }));
        return ModelCommand.Ok;
    }

    /// <summary>A silo scores FeatureSet vectors, matched to the model's columns by name: every column must be one of them.</summary>
    private static void CheckServable(OnnxModel model, IReadOnlyList<string> servingFeatures, string source)
    {
        var unknown = model.Features.Select(f => f.Name).Where(n => !servingFeatures.Contains(n, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new ModelFormatException(
                $"{source}: feature{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Take(5).Select(n => $"'{n}'"))} not in the serving feature set " +
                $"({string.Join(", ", servingFeatures)}); name the model's columns with --features or its {OnnxModel.FeatureNamesKey} metadata");
        }
    }
}
