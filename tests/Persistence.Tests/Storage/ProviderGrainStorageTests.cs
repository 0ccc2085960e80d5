using CartRecovery.Persistence.Tests.Support;

namespace CartRecovery.Persistence.Tests.Storage;

public sealed class SqliteGrainStorageTests : GrainStorageContractTests
{
    protected override TestDatabase Database { get; } = new SqliteTestDatabase();
}

public sealed class PostgresGrainStorageTests(PostgresTestDatabase database) : GrainStorageContractTests, IClassFixture<PostgresTestDatabase>
{
    protected override TestDatabase Database => database;
}
