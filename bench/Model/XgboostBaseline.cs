using System.Globalization;
using System.Text.Json;
using CartRecovery.TestSupport;

namespace CartRecovery.Bench.Model;

/// <summary>
/// python3-xgboost on the same CSV, in a subprocess: trains the booster (best of two), saves its JSON and its
/// predictions for the first rows, and times its own prediction paths — one row per call (inplace_predict on a
/// one-row slice, or predict on a one-row DMatrix) and the whole matrix at once.
/// </summary>
internal static class XgboostBaseline
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import sys, json, time, numpy as np, xgboost as xgb
        csv, out_dir, rounds, single_rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        with open(csv) as f:
            names = f.readline().strip().split(',')[:-1]
        d = np.genfromtxt(csv, delimiter=',', skip_header=1, dtype=np.float32, ndmin=2)
        x, y = np.ascontiguousarray(d[:, :-1]), d[:, -1]
        params = {'objective': 'binary:logistic', 'tree_method': 'hist', 'max_depth': 6, 'eta': 0.1,
                  'min_child_weight': 1, 'lambda': 1, 'max_bin': 256, 'nthread': 2, 'seed': 0}
        train_s = float('inf')
        for attempt in range(2):
            if attempt > 0 and train_s > 10:
                break
            t = time.perf_counter()
            dtrain = xgb.DMatrix(x, label=y, feature_names=names, missing=np.nan)
            booster = xgb.train(params, dtrain, rounds)
            train_s = min(train_s, time.perf_counter() - t)
        booster.save_model(out_dir + '/xgb.json')
        np.savetxt(out_dir + '/xgb_pred.txt', booster.inplace_predict(x[:2000], missing=np.nan), fmt='%.9g')
        for i in range(200):
            booster.inplace_predict(x[i:i + 1], missing=np.nan)
        def per_row(call, limit, budget_s):
            n, t = 0, time.perf_counter()
            while n < limit and time.perf_counter() - t < budget_s:
                call(n)
                n += 1
            return n / (time.perf_counter() - t)
        single = per_row(lambda i: booster.inplace_predict(x[i:i + 1], missing=np.nan), single_rows, 5.0)
        dmatrix = per_row(lambda i: booster.predict(xgb.DMatrix(x[i:i + 1], feature_names=names, missing=np.nan)), 2000, 3.0)
        booster.inplace_predict(x, missing=np.nan)
        t = time.perf_counter()
        booster.inplace_predict(x, missing=np.nan)
        batch_s = time.perf_counter() - t
        print(json.dumps({'train_s': train_s, 'single_rows_per_s': single,
                          'dmatrix_rows_per_s': dmatrix, 'batch_rows_per_s': len(y) / batch_s, 'version': xgb.__version__}))
        """;

    /// <param name="waitPolicy">OpenMP's OMP_WAIT_POLICY: ACTIVE (spinning, best on an idle machine) or PASSIVE.</param>
    public static async Task<JsonElement> RunAsync(string csv, string dir, int rounds, string waitPolicy, CancellationToken ct)
    {
        var script = Path.Combine(dir, "xgb_bench.py");
        await File.WriteAllTextAsync(script, Script, ct);
        var environment = new Dictionary<string, string?> { ["OMP_NUM_THREADS"] = "2", ["OMP_WAIT_POLICY"] = waitPolicy };
        var result = await ProcessRun.RunAsync(Python, [script, csv, dir, rounds.ToString(CultureInfo.InvariantCulture), "20000"], Timeout.InfiniteTimeSpan,
            environment: environment, cancellationToken: ct);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Python} (xgboost) exited {result.ExitCode}: {result.Stderr}");
        }

        return JsonDocument.Parse(result.Stdout.Trim().Split('\n')[^1]).RootElement.Clone();
    }
}
