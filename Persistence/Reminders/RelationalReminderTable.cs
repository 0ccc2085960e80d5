using System.Globalization;
using CartRecovery.Persistence.Internal;
using CartRecovery.Persistence.Internal.Writes;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace CartRecovery.Persistence.Reminders;

// Orleans' reminder table over SQLite or PostgreSQL. Reads query the table directly; upserts and
// removals go through the database's group-commit writer, so reminders registered in the same
// instant as grain state writes share their transaction. ETag = the row's version.
internal sealed partial class RelationalReminderTable(DatabaseUser user, string serviceId, ILogger<RelationalReminderTable> logger) : IReminderTable
{
    public Task Init() => StartAsync(CancellationToken.None);

    public Task StartAsync(CancellationToken cancellationToken = default) => user.EnsureOpenAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => user.CloseAsync();

    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken) =>
        ReadAsync(new ReminderQuery(serviceId, GrainId: grainId.ToString()), cancellationToken);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken) =>
        ReadAsync(new ReminderQuery(serviceId, Begin: begin, End: end), cancellationToken);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => ReadRow(grainId, reminderName, CancellationToken.None);

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        var rows = await ReadAsync(new ReminderQuery(serviceId, grainId.ToString(), reminderName), cancellationToken).ConfigureAwait(false);
        return rows.Reminders.FirstOrDefault();
    }

    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    public async Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        var op = new ReminderUpsertOp(serviceId, entry.GrainId.ToString(), entry.ReminderName, AsUtc(entry.StartAt),
            (long)entry.Period.TotalMilliseconds, entry.GrainId.GetUniformHashCode());
        await WriteAsync(op, entry.GrainId, entry.ReminderName, cancellationToken).ConfigureAwait(false);
        return op.NewVersion.ToString(CultureInfo.InvariantCulture);
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        // An ETag this table never issued matches no row.
        if (!long.TryParse(eTag, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return false;
        }

        var op = new ReminderDeleteOp(serviceId, grainId.ToString(), reminderName, version);
        await WriteAsync(op, grainId, reminderName, cancellationToken).ConfigureAwait(false);
        return op.Removed;
    }

    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    public async Task TestOnlyClearTable(CancellationToken cancellationToken)
    {
        await user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await user.Database.ClearRemindersAsync(serviceId, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReminderTableData> ReadAsync(ReminderQuery query, CancellationToken cancellationToken)
    {
        try
        {
            await user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
            var rows = await user.Database.ReadRemindersAsync(query, cancellationToken).ConfigureAwait(false);
            return new ReminderTableData(rows.Select(ToEntry));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.ReadFailed(logger, e, query.GrainId ?? $"hash range ({query.Begin}, {query.End}]");
            throw;
        }
    }

    private async Task WriteAsync(WriteOp op, GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        try
        {
            await user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            await user.Database.WriteAsync(op).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.WriteFailed(logger, e, grainId, reminderName);
            throw;
        }
    }

    private static ReminderEntry ToEntry(ReminderRow row) => new()
    {
        GrainId = GrainId.Parse(row.GrainId),
        ReminderName = row.Name,
        StartAt = row.StartAt,
        Period = TimeSpan.FromMilliseconds(row.PeriodMs),
        ETag = row.Version.ToString(CultureInfo.InvariantCulture),
    };

    // Orleans hands times of unspecified kind that are meant as UTC (as its ADO.NET table assumes).
    private static DateTime AsUtc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };
}
