using System.Globalization;
using CartRecovery.Model.Data;
using CartRecovery.Model.Tests.Support;
using CartRecovery.TestSupport;

namespace CartRecovery.Model.Tests.Xgboost;

/// <summary>
/// One dataset split by time into train/validation, trained by python3-xgboost with the given settings.
/// Holds XGBoost's saved JSON and its own predictions for every train and validation row.
/// </summary>
public sealed class XgboostScenario
{
    private const string Script = """
        import sys, json, numpy as np, xgboost as xgb
        train_csv, valid_csv, out_dir, depth, rounds, eta, mcw = sys.argv[1:8]
        def load(path):
            with open(path) as f:
                names = f.readline().strip().split(',')[:-1]
            d = np.genfromtxt(path, delimiter=',', skip_header=1, dtype=np.float64, ndmin=2)
            return names, d[:, :-1], d[:, -1]
        names, xt, yt = load(train_csv)
        _, xv, yv = load(valid_csv)
        params = {'objective': 'binary:logistic', 'tree_method': 'hist', 'max_depth': int(depth), 'eta': float(eta),
                  'min_child_weight': float(mcw), 'lambda': 1.0, 'max_bin': 256, 'nthread': 2, 'seed': 0}
        dt = xgb.DMatrix(xt, label=yt, feature_names=names, missing=np.nan)
        booster = xgb.train(params, dt, int(rounds))
        booster.save_model(out_dir + '/model.json')
        np.savetxt(out_dir + '/pred_train.txt', booster.predict(dt), fmt='%.9g')
        np.savetxt(out_dir + '/pred_valid.txt', booster.predict(xgb.DMatrix(xv, feature_names=names, missing=np.nan)), fmt='%.9g')
        print(json.dumps({'version': xgb.__version__}))
        """;

    private XgboostScenario(Dataset train, Dataset validation, string modelJson, float[] trainPredictions, float[] validationPredictions, (int Depth, int Rounds, double Eta, double Mcw) settings)
    {
        (Depth, Rounds, Eta, MinChildWeight) = settings;
        Train = train;
        Validation = validation;
        ModelJson = modelJson;
        TrainPredictions = trainPredictions;
        ValidationPredictions = validationPredictions;
    }

    public Dataset Train { get; }

    public Dataset Validation { get; }

    public string ModelJson { get; }

    public float[] TrainPredictions { get; }

    public float[] ValidationPredictions { get; }

    public int Depth { get; }

    public int Rounds { get; }

    public double Eta { get; }

    public double MinChildWeight { get; }

    public static XgboostScenario Run(string csv, string label, double validationFraction, int depth, int rounds, double eta, double minChildWeight)
    {
        using var dir = new TempDirectory("cr-model-");
        var data = DatasetLoader.LoadForTraining(dir.Write("data.csv", csv), label);
        var (train, validation) = data.SplitTail(validationFraction);
        CsvText.WriteNumeric(train, dir.File("train.csv"));
        CsvText.WriteNumeric(validation, dir.File("valid.csv"));
        PythonXgboost.Run(dir.Path, Script, dir.File("train.csv"), dir.File("valid.csv"), dir.Path,
            depth.ToString(CultureInfo.InvariantCulture), rounds.ToString(CultureInfo.InvariantCulture),
            eta.ToString(CultureInfo.InvariantCulture), minChildWeight.ToString(CultureInfo.InvariantCulture));
        return new XgboostScenario(
            train,
            validation,
            File.ReadAllText(dir.File("model.json")),
            ReadFloats(dir.File("pred_train.txt")),
            ReadFloats(dir.File("pred_valid.txt")),
            (depth, rounds, eta, minChildWeight));
    }

    private static float[] ReadFloats(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
}

/// <summary>Runs each python training once per test run and shares it between the parity and quality tests.</summary>
public sealed class XgboostScenarios
{
    private readonly Lazy<XgboostScenario> _cartSessions = new(() =>
        XgboostScenario.Run(Rees46Sessions.Build(cartSessionsOnly: true).Csv, Rees46Sessions.Label, 0.3, depth: 3, rounds: 50, eta: 0.3, minChildWeight: 0.5));

    private readonly Lazy<XgboostScenario> _allSessions = new(() =>
        XgboostScenario.Run(Rees46Sessions.Build(cartSessionsOnly: false).Csv, Rees46Sessions.Label, 0.3, depth: 4, rounds: 100, eta: 0.1, minChildWeight: 1));

    private readonly Lazy<XgboostScenario> _synthetic = new(() =>
        XgboostScenario.Run(SyntheticData.Generate(20000, seed: 11).Csv, "purchased", 0.25, depth: 6, rounds: 100, eta: 0.1, minChildWeight: 1));

    /// <summary>REES46 sessions with a cart add (the abandonment population).</summary>
    public XgboostScenario CartSessions => _cartSessions.Value;

    /// <summary>Every REES46 session, cut before any purchase: more rows for a quality comparison.</summary>
    public XgboostScenario AllSessions => _allSessions.Value;

    public XgboostScenario Synthetic => _synthetic.Value;
}
