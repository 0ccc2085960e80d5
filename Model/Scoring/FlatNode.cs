using System.Runtime.InteropServices;

namespace CartRecovery.Model.Scoring;

/// <summary>
/// 16-byte node of the scoring layout. Both children are adjacent (right = Left + 1) so a step is one add.
/// A leaf points at itself with a zero step mask, so several trees can be walked in lock-step for a fixed
/// number of steps without branching on "is this a leaf" — their memory latencies then overlap.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlatNode
{
    public const int MissingRightFlag = 1;
    public const int InternalFlag = 2;

    /// <summary>Split feature; 0 on leaves (any valid index, the result is masked off).</summary>
    public int Feature;

    /// <summary>Split threshold, or the leaf output.</summary>
    public float Value;

    /// <summary>Absolute index of the left child, or of the node itself for a leaf.</summary>
    public int Left;

    /// <summary><see cref="MissingRightFlag"/> | <see cref="InternalFlag"/>.</summary>
    public int Flags;
}
