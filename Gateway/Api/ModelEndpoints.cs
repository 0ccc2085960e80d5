using CartRecovery.Gateway.Auth;
using CartRecovery.Grains.Models;
using CartRecovery.Model.Registry;
using CartRecovery.Model.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Gateway.Api;

internal static class ModelEndpoints
{
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
            if (services.GetService<ModelService>() is not { } models)
            {
                return Results.Json(new ApiError("training runs on a silo; send this to a silo's gateway"), statusCode: StatusCodes.Status409Conflict);
            }

            var rounds = int.TryParse(request.Query["rounds"], out var r) && r is > 0 and <= 2000 ? r : 200;
            var horizonHours = double.TryParse(request.Query["label_horizon_hours"], out var h) && h > 0 ? h : 24;
            var outcome = await models.TrainAsync(new GbdtOptions { Rounds = rounds, MaxDepth = 4, LearningRate = 0.1, Seed = 1, EarlyStoppingRounds = 20 }, TimeSpan.FromHours(horizonHours), null, ct);
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
        if (v.Payload is not null)
        {
            d["feature_importance"] = v.LoadModel().FeatureImportance().OrderByDescending(kv => kv.Value)
                .Select(kv => new Dictionary<string, object?> { ["feature"] = kv.Key, ["gain"] = kv.Value }).ToList();
        }

        return d;
    }
}
