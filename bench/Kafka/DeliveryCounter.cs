using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace CartRecovery.Bench.Kafka;

/// <summary>
/// Events applied by the product's grains from the stream: an incoming grain call filter (registered in the services
/// of <c>SiloApp.Build</c>) that counts the events of every stream delivery to a grain (the pulling agent's
/// <c>DeliverBatch</c> call on the grain's stream consumer extension) once that call returned, i.e. once the shopper
/// grain's Apply completed and the events' effects were committed.
/// </summary>
internal sealed class DeliveryCounter : IIncomingGrainCallFilter
{
    private long _applied;
    private long _deliveries;

    public long Applied => Interlocked.Read(ref _applied);

    public long Deliveries => Interlocked.Read(ref _deliveries);

    public static DeliveryCounter AddTo(WebApplicationBuilder builder)
    {
        var counter = new DeliveryCounter();
        builder.Services.AddSingleton<IIncomingGrainCallFilter>(counter);
        return counter;
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        await context.Invoke();
        if (context.MethodName != "DeliverBatch")
        {
            return;
        }

        var request = context.Request;
        for (var i = 0; i < request.GetArgumentCount(); i++)
        {
            var container = request.GetArgument(i) switch
            {
                IBatchContainer c => c,
                Orleans.Concurrency.Immutable<IBatchContainer> immutable => immutable.Value,
                _ => null,
            };
            if (container is not null)
            {
                Interlocked.Add(ref _applied, container.GetEvents<object>().Count());
                Interlocked.Increment(ref _deliveries);
                return;
            }
        }
    }
}
