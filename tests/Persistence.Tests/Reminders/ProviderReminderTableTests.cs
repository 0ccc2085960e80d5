using CartRecovery.Persistence.Tests.Support;
using Orleans.Runtime;

namespace CartRecovery.Persistence.Tests.Reminders;

public sealed class SqliteReminderTableTests : ReminderTableContractTests
{
    protected override TestDatabase Database { get; } = new SqliteTestDatabase();
}

public sealed class PostgresReminderTableTests(PostgresTestDatabase database) : ReminderTableContractTests, IClassFixture<PostgresTestDatabase>
{
    protected override TestDatabase Database => database;

    protected override async Task AssertSameTransactionAsync(GrainId grain, string reminderName) =>
        Assert.Equal(
            await database.WriterTransactionAsync("grain_state", $"grain_type = 'cart' AND grain_key = '{grain.Key}'"),
            await database.WriterTransactionAsync("reminders", $"grain_id = '{grain}' AND reminder_name = '{reminderName}'"));
}
