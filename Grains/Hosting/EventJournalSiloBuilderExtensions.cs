using System.Globalization;
using CartRecovery.Grains.Ingestion;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CartRecovery.Grains.Hosting;

public static class EventJournalSiloBuilderExtensions
{
    /// <summary>Configuration key of the write-behind delay, in seconds (0 turns write-behind off).</summary>
    public const string WriteBehindKey = "Storage:WriteBehindSeconds";

    /// <summary>
    /// Shopper state written behind through the event journal (<see cref="EventJournal"/>): for a silo
    /// that applies the events it takes itself and is the only one on its storage (the embedded
    /// default). A cluster keeps writing each batch through: its shoppers move between silos, and
    /// Kafka is its journal. <c>Storage:WriteBehindSeconds</c> (default 2, 0 to 60) is how long a
    /// changed shopper state waits in memory; 0 writes every batch through.
    /// </summary>
    public static ISiloBuilder UseEventJournal(this ISiloBuilder silo, IConfiguration configuration)
    {
        var seconds = 2.0;
        if (configuration[WriteBehindKey] is { Length: > 0 } text
            && (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || seconds < 0 || seconds > 60))
        {
            throw new OptionsValidationException(WriteBehindKey, typeof(EventJournalOptions),
                [$"{WriteBehindKey} must be a number of seconds from 0 (write every batch through) to 60 (got '{text}')"]);
        }

        silo.Services.Replace(ServiceDescriptor.Singleton(new EventJournalOptions { Enabled = seconds > 0, FlushDelay = TimeSpan.FromSeconds(seconds) }));
        return silo;
    }
}
