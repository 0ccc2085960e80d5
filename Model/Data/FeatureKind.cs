namespace CartRecovery.Model.Data;

/// <summary>How a column's text becomes the float a tree compares against.</summary>
public enum FeatureKind
{
    /// <summary>Parsed as a number; empty cells are missing.</summary>
    Numeric,

    /// <summary>TRUE/FALSE (any case) as 1/0.</summary>
    Boolean,

    /// <summary>Text mapped to a stable integer code; text never seen in training is missing.</summary>
    Categorical,
}
