using System.Globalization;
using CartRecovery.Gateway.Auth;
using CartRecovery.Grains.Models;
using CartRecovery.Model.Boosting;
using CartRecovery.Model.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Gateway.Api;

internal static class ModelEndpoints
{
    private const string HorizonKey = "label_horizon_hours";
    private const double MaxHorizonHours = 24 * 365;
    private const int MaxHttpRounds = 2000;

    /// <summary>Training over HTTP: shallow trees, as before, so a request on a silo finishes in seconds.</summary>
    private static readonly BoostingOptions TrainDefaults = new()
    {
        Rounds = 200,
        NumberOfLeaves = 15,
        MaxDepth = 4,
        LearningRate = 0.1,
        Seed = 1,
        EarlyStoppingRounds = 20,
    };

    private static readonly HashSet<string> TrainKeys = [.. BoostingOptionParser.Keys, HorizonKey];

    public static void MapModelEndpoints(this IEndpointRouteBuilder app)
    {
        var viewer = app.MapGroup("/v1/models").RequireAuthorization(Policies.Viewer);
        viewer.MapGet("", async (IModelRegistry registry, CancellationToken ct) => Results.Ok((await registry.ListAsync(ct)).Select(ModelJson.Summary)));
        viewer.MapGet("/{id:long}", async (long id, IModelRegistry registry, CancellationToken ct) =>
        {
            var row = await registry.GetAsync(id, ct);
            return row is null ? Results.NotFound(new ApiError($"model {id} not found")) : Results.Ok(ModelJson.Detail(row));
        });

        var admin = app.MapGroup("/v1/models").RequireAuthorization(Policies.Admin);

        // Trains on this silo's storage; needs a silo in the process (the registry lock keeps it single).
        admin.MapPost("/train", async (HttpRequest request, IServiceProvider services, CancellationToken ct) =>
        {
            var (options, horizon, error) = ParseTraining(request.Query);
            if (error is not null)
            {
                return Results.BadRequest(new ApiError(error));
            }

            if (services.GetService<ModelService>() is not { } models)
            {
                return Results.Json(new ApiError("training runs on a silo; send this to a silo's gateway"), statusCode: StatusCodes.Status409Conflict);
            }

            var outcome = await models.TrainAsync(options!, horizon, null, ct);
            return outcome.Trained ? Results.Ok(outcome) : Results.Json(outcome, statusCode: StatusCodes.Status409Conflict);
        });
        admin.MapPost("/{id:long}/promote", async (long id, IModelRegistry registry, IServiceProvider services, CancellationToken ct) =>
        {
            var result = await registry.TryPromoteAsync(id, ct);
            if (services.GetService<ModelService>() is { } models)
            {
                await models.RefreshAsync(ct);
            }

            return Results.Ok(result);
        });
    }

    /// <summary>
    /// The query of POST /v1/models/train: the training options by their keys (rounds, learning_rate, num_leaves,
    /// max_depth, ... as BoostingOptionParser names them) and label_horizon_hours. Any bad value is a 400 whose
    /// message starts with the parameter's name.
    /// </summary>
    internal static (BoostingOptions? Options, TimeSpan Horizon, string? Error) ParseTraining(IQueryCollection query)
    {
        if (query.Keys.FirstOrDefault(k => !TrainKeys.Contains(k)) is { } unknown)
        {
            return (null, default, $"unknown parameter '{unknown}' (allowed: {string.Join(", ", TrainKeys)})");
        }

        BoostingOptions options;
        try
        {
            options = BoostingOptionParser.Parse(key => query[key].ToString(), TrainDefaults);
        }
        catch (InvalidOptionException e)
        {
            return (null, default, e.Message);
        }

        if (options.Rounds > MaxHttpRounds)
        {
            return (null, default, $"rounds must be 1..{MaxHttpRounds} over HTTP");
        }

        var hours = 24.0;
        if (query[HorizonKey].ToString() is { Length: > 0 } text
            && (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out hours) || !(hours is > 0 and <= MaxHorizonHours)))
        {
            return (null, default, $"{HorizonKey} '{text}' must be a number of hours in (0, {MaxHorizonHours}]");
        }

        return (options, TimeSpan.FromHours(hours), null);
    }
}

/// <summary>Model rows as API JSON (snake_case, no payload).</summary>
internal static class ModelJson
{
    public static Dictionary<string, object?> Summary(ModelVersion v) => new()
    {
        ["id"] = v.Id,
        ["algorithm"] = v.Algorithm,
        ["status"] = v.Status.ToString().ToLowerInvariant(),
        ["created_at"] = v.CreatedAt,
        ["training_from"] = v.TrainingFrom,
        ["training_to"] = v.TrainingTo,
        ["auc"] = v.Metrics?.Auc,
        ["pr_auc"] = v.Metrics?.PrAuc,
        ["log_loss"] = v.Metrics?.LogLoss,
    };

    public static Dictionary<string, object?> Detail(ModelVersion v)
    {
        var d = Summary(v);
        d["features"] = v.Features;
        d["hyper_parameters"] = v.HyperParameters;
        d["rows"] = v.Metrics?.Rows;
        d["calibration"] = v.Metrics?.Calibration.Select(b => new Dictionary<string, object?>
        {
            ["lower"] = b.Lower,
            ["upper"] = b.Upper,
            ["count"] = b.Count,
            ["mean_predicted"] = b.MeanPredicted,
            ["observed_rate"] = b.ObservedRate,
        }).ToList();
        if (v.FeatureImportance is { } importance)
        {
            d["feature_importance"] = importance.OrderByDescending(kv => kv.Value)
                .Select(kv => new Dictionary<string, object?> { ["feature"] = kv.Key, ["gain"] = kv.Value }).ToList();
        }

        return d;
    }
}
