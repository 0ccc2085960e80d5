namespace CartRecovery.Silo;

/// <summary>Which parts this process runs (section <c>Silo</c>).</summary>
public sealed class SiloOptions
{
    public const string Section = "Silo";

    /// <summary><c>both</c> (default: silo co-hosting the gateway), <c>silo</c>, or <c>gateway</c>.</summary>
    public string Role { get; set; } = "both";

    public bool HostsGrains => Role is "both" or "silo";

    public bool HostsGateway => Role is "both" or "gateway";

    public void Validate()
    {
        if (Role is not ("both" or "silo" or "gateway"))
        {
            throw new InvalidOperationException($"{Section}:Role must be both, silo or gateway (got '{Role}')");
        }
    }
}
