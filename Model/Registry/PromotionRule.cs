using System.Globalization;

namespace CartRecovery.Model.Registry;

/// <summary>The promotion decision, kept apart from SQL so both databases apply exactly the same rule.</summary>
internal static class PromotionRule
{
    /// <param name="candidateAuc">NaN when the candidate was never evaluated.</param>
    /// <param name="active">The current active version and its AUC (NaN if unknown), if any.</param>
    public static PromotionResult Decide(long id, double candidateAuc, (long Id, double Auc)? active)
    {
        double? c = double.IsFinite(candidateAuc) ? candidateAuc : null;
        if (active is not { } a)
        {
            return new PromotionResult(id, PromotionOutcome.Promoted, null, c, null, "no model was active");
        }

        double? activeAuc = double.IsFinite(a.Auc) ? a.Auc : null;
        if (c is null)
        {
            return new PromotionResult(id, PromotionOutcome.MissingMetrics, a.Id, null, activeAuc,
                $"candidate {id} has no validation AUC to compare with active model {a.Id}");
        }

        // An active model without a measured AUC (e.g. an unevaluated import) cannot block a measured one.
        if (activeAuc is null || c >= activeAuc)
        {
            return new PromotionResult(id, PromotionOutcome.Promoted, a.Id, c, activeAuc,
                activeAuc is null ? $"active model {a.Id} has no AUC" : Format($"candidate AUC {c:F4} >= active AUC {activeAuc:F4}"));
        }

        return new PromotionResult(id, PromotionOutcome.LowerAuc, a.Id, c, activeAuc,
            Format($"candidate {id} AUC {c:F4} < active model {a.Id} AUC {activeAuc:F4}"));
    }

    private static string Format(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
