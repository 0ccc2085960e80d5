using System.Net;
using System.Text.Json;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The "physical limit" of HTTP + JSON here: a bare Kestrel app whose POST /v1/events reads the
/// body and runs the product's <see cref="EventValidator.ParseBatch"/>, then answers the
/// <see cref="IngestResult"/>, with no auth, middleware, bus, grains or checkpoint.
/// </summary>
internal sealed class ValidateOnlyServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ValidateOnlyServer(WebApplication app) => _app = app;

    public string BaseAddress { get; private set; } = "";

    public static async Task<ValidateOnlyServer> StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = 2 * 1024 * 1024;
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var validator = new EventValidator(TimeProvider.System);
        app.MapPost("/v1/events", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream(http.Request.ContentLength is > 0 and <= EventValidator.MaxBodyBytes and var n ? (int)n : 16 * 1024);
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            var (_, result) = validator.ParseBatch(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            http.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(http.Response.Body, result, GrainsJsonContext.Default.IngestResult, http.RequestAborted);
        });
        await app.StartAsync();
        var server = new ValidateOnlyServer(app);
        server.BaseAddress = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
