namespace CartRecovery.Model.Registry;

/// <summary>Lifecycle of a registered model: at most one version is active at any time.</summary>
public enum ModelStatus
{
    Candidate,
    Active,
    Retired,
}
