using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartRecovery.Gateway.Tests.Support;
using CartRecovery.Persistence;
using CartRecovery.TestSupport;
using Microsoft.Data.Sqlite;

namespace CartRecovery.Gateway.Tests;

/// <summary>
/// The embedded silo's write-behind shopper state: a batch is durable as one event-journal entry
/// when it is acknowledged, the shoppers write their states later and the entry is then trimmed,
/// and an entry whose states were never written is applied again at the next start.
/// </summary>
public sealed class WriteBehindTests : IDisposable
{
    private readonly TempDirectory _dir = new("cr-writebehind-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AcknowledgedBatchesWaitInTheJournalUntilTheShoppersWroteTheirStatesThenTheEntryIsTrimmed()
    {
        var db = _dir.File("state.db");
        await using var app = await StartAsync(writeBehindSeconds: 4, db);
        var batch = Events.Batch(Events.PageView("wb-1"), Events.AddToCart("wb-1", "c-1"), Events.PageView("wb-2"));

        var answer = await app.PostEventsAsync(batch);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var store = app.Service<IGrainStateStore>();
        Assert.Single(await JournalAsync(db));
        Assert.Null(await store.ReadJsonAsync("shopper", "wb-1", "shopper", CancellationToken.None));
        Assert.NotNull(await store.ReadJsonAsync("cart", "wb-1/c-1", "cart", CancellationToken.None));

        var stored = await GatewayApp.EventuallyAsync(() => store.ReadJsonAsync("shopper", "wb-1", "shopper", CancellationToken.None), json => json is not null,
            "shopper wb-1 written behind", TimeSpan.FromSeconds(15));
        Assert.Equal(EventIds(batch, "wb-1"), RecentEventIds(JsonDocument.Parse(stored!).RootElement));
        await GatewayApp.EventuallyAsync(() => JournalAsync(db), entries => entries.Count == 0, "journal entry trimmed", TimeSpan.FromSeconds(15));
        Assert.NotNull(await store.ReadJsonAsync("shopper", "wb-2", "shopper", CancellationToken.None));
    }

    [Fact]
    public async Task AnEntryWhoseStatesWereNeverWrittenIsAppliedAgainAtTheNextStartAndItsEventsCountOnce()
    {
        var first = _dir.File("first.db");
        var second = _dir.File("second.db");
        await (await StartAsync(60, second)).DisposeAsync(); // the schema only
        var batch = Events.Batch(Events.PageView("rp-1"), Events.AddToCart("rp-1", "c-9", sku: "A"), Events.AddToCart("rp-1", "c-9", sku: "B"), Events.PageView("rp-2"));
        List<(long Sequence, byte[] Payload)> entries;
        await using (var before = await StartAsync(60, first))
        {
            Assert.Equal(HttpStatusCode.OK, (await before.PostEventsAsync(batch)).Status);
            entries = await JournalAsync(first);
        }

        // As after a crash of a silo on the second file: the entry is there, no state it changed is.
        await InsertAsync(second, Assert.Single(entries));
        await using var after = await StartAsync(60, second);

        var shopper = await ShopperAsync(after, "rp-1");
        Assert.Equal(EventIds(batch, "rp-1"), RecentEventIds(shopper));
        Assert.Equal(3, shopper.GetProperty("session_features")[0].GetProperty("events").GetInt32());
        Assert.Equal(2, Events.Quantity((await after.GetCartAsync("rp-1", "c-9"))!.Value));
        Assert.Equal(EventIds(batch, "rp-2"), RecentEventIds(await ShopperAsync(after, "rp-2")));

        // The store sends the batch again (it got no answer): nothing counts twice.
        Assert.Equal(HttpStatusCode.OK, (await after.PostEventsAsync(batch)).Status);
        Assert.Equal(3, (await ShopperAsync(after, "rp-1")).GetProperty("session_features")[0].GetProperty("events").GetInt32());
        Assert.Equal(2, Events.Quantity((await after.GetCartAsync("rp-1", "c-9"))!.Value));
    }

    [Fact]
    public async Task ABatchThatFailsDoesNotLoseTheEarlierBatchesItsShopperHadNotWrittenYet()
    {
        var db = _dir.File("state.db");
        await using var app = await StartAsync(60, db);
        var first = Events.Batch(Events.PageView("rl-1"));
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsync(first)).Status);

        // The next batch's cart write fails: the shopper's activation is dropped with the first
        // batch applied in memory only.
        await ExecuteAsync(db, """
            CREATE TRIGGER refuse_cart BEFORE INSERT ON grain_state
            WHEN NEW.grain_type = 'cart' AND NEW.grain_key = 'rl-1/c-1'
            BEGIN SELECT RAISE(ABORT, 'cart writes refused by the test'); END
            """);
        var second = Events.Batch(Events.AddToCart("rl-1", "c-1"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.PostEventsAsync(second)).Status);
        await ExecuteAsync(db, "DROP TRIGGER refuse_cart");

        // The store sends the failed batch again; the first one comes back from the journal.
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsync(second)).Status);
        var expected = EventIds(first, "rl-1").Concat(EventIds(second, "rl-1")).Order().ToList();
        var shopper = await GatewayApp.EventuallyAsync(() => ShopperAsync(app, "rl-1"), s => RecentEventIds(s).Order().SequenceEqual(expected),
            "both batches applied to the shopper", TimeSpan.FromSeconds(15));
        Assert.Equal(2, shopper.GetProperty("session_features")[0].GetProperty("events").GetInt32());
        Assert.Equal(1, Events.Quantity((await app.GetCartAsync("rl-1", "c-1"))!.Value));
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    // A connection of its own to the app's file, behind the app's back.
    private static async Task<SqliteConnection> OpenAsync(string database)
    {
        var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<GatewayApp> StartAsync(double writeBehindSeconds, string database)
    {
        var app = new App(writeBehindSeconds, database);
        await app.InitializeAsync();
        return app;
    }

    private static async Task<JsonElement> ShopperAsync(GatewayApp app, string shopperId)
    {
        var answer = await app.GetAsync($"/v1/shoppers/{shopperId}", await app.AdminTokenAsync());
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        return answer.Json;
    }

    private static List<string> EventIds(JsonArray batch, string shopperId) =>
        batch.Where(e => (string?)e!["shopper_id"] == shopperId).Select(e => (string)e!["event_id"]!).ToList();

    private static List<string> RecentEventIds(JsonElement shopper) =>
        shopper.GetProperty("recent_event_ids").EnumerateArray().Select(e => e.GetString()!).ToList();

    private static async Task<List<(long Sequence, byte[] Payload)>> JournalAsync(string database)
    {
        await using var connection = await OpenAsync(database);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, payload FROM event_journal ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync();
        var entries = new List<(long, byte[])>();
        while (await reader.ReadAsync())
        {
            entries.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
        }

        return entries;
    }

    private static async Task InsertAsync(string database, (long Sequence, byte[] Payload) entry)
    {
        await using var connection = await OpenAsync(database);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO event_journal (seq, payload, appended_at) VALUES ($s, $p, 0)";
        command.Parameters.AddWithValue("$s", entry.Sequence);
        command.Parameters.AddWithValue("$p", entry.Payload);
        await command.ExecuteNonQueryAsync();
    }

    private sealed class App(double writeBehindSeconds, string database) : GatewayApp
    {
        protected override IEnumerable<string> ExtraArgs =>
            [$"--Storage:WriteBehindSeconds={writeBehindSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}", $"--Storage:ConnectionString=Data Source={database}"];
    }
}
