using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Reports;

namespace CartRecovery.Grains.Reports;

/// <summary>The creation days that have running totals; a day is added once, before its first write.</summary>
[GrainType("reportindex")]
public sealed class ReportIndexGrain([PersistentState("reportindex")] IPersistentState<ReportIndexState> state) : Grain, IReportIndexGrain
{
    public async Task Add(string day)
    {
        var days = state.State.Days;
        var i = days.BinarySearch(day, StringComparer.Ordinal);
        if (i >= 0)
        {
            return;
        }

        days.Insert(~i, day);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            days.Remove(day);
            throw;
        }
    }

    public Task<List<string>> Days() => Task.FromResult(state.State.Days);
}
