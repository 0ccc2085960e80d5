namespace CartRecovery.Cluster.Tests.Support;

/// <summary>One running CartRecovery.Silo process: a silo (Silo:Role=silo) or a gateway.</summary>
internal sealed class ClusterNode(string name, string role, ChildProcess process, int port, int? internalPort) : IAsyncDisposable
{
    /// <summary>Runtime:SiloId for silos, a label for gateways.</summary>
    public string Name { get; } = name;

    public string Role { get; } = role;

    public ChildProcess Process { get; } = process;

    public string Url { get; } = $"http://127.0.0.1:{port}";

    public string? InternalUrl { get; } = internalPort is { } p ? $"http://127.0.0.1:{p}" : null;

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    public override string ToString() => $"{Role} {Name} (pid {Process.Pid})";
}
