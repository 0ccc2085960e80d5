using System.Text.Json;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Cli;

/// <summary>
/// Where an imported model goes, shared by import and import-xgboost: a file (--out) or the registry
/// (--registry), optionally evaluated on a labelled CSV first (so it has an AUC to be promoted on) and promoted
/// under the usual rule. Every check runs before anything is written or registered.
/// </summary>
internal static class ImportTarget
{
    public const string Usage =
        "    (--out MODEL.onnx | --registry CONNECTION [--promote]) [--csv VALIDATION.csv --label COLUMN]\n" +
        "  --registry takes a SQLite file or connection string, or a PostgreSQL connection string (Host=...).\n" +
        "  --csv/--label evaluate the model first and store AUC, PR-AUC, log loss and calibration with it;\n" +
        "  --promote then makes it active if its AUC is at least the active model's.";

    public static readonly string[] Options = ["out", "registry", "csv", "label"];

    public static readonly string[] Flags = ["promote"];

    /// <summary>Usage checks, made before the model file is even read.</summary>
    public static void CheckArguments(CliArguments a)
    {
        if ((a.Optional("out") is null) == (a.Optional("registry") is null))
        {
            throw new UsageException($"{a.Command}: give exactly one of --out FILE or --registry CONNECTION");
        }

        if (a.Flag("promote") && a.Optional("registry") is null)
        {
            throw new UsageException($"{a.Command}: --promote needs --registry");
        }

        if ((a.Optional("csv") is null) != (a.Optional("label") is null))
        {
            throw new UsageException($"{a.Command}: --csv and --label go together");
        }
    }

    public static async Task<int> FinishAsync(OnnxModel model, string source, CliArguments a, IReadOnlyList<string>? servingFeatures, TextWriter stdout, CancellationToken ct)
    {
        var output = a.Optional("out");
        var registry = a.Optional("registry");
        if (a.Optional("csv") is { } csv)
        {
            model = model.WithInfo(model.Info with { Metrics = EvalCommand.Evaluate(model, csv, a.Required("label")) });
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
        var promotion = a.Flag("promote") ? await store.TryPromoteAsync(id, ct) : null;
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
