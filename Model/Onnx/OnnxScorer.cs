using CartRecovery.Model.Data;
using Microsoft.ML.OnnxRuntime;

namespace CartRecovery.Model.Onnx;

/// <summary>
/// Scores rows with one ONNX Runtime session. Single rows reuse, per thread, an input and an output buffer that
/// stay pinned behind <see cref="OrtValue"/>s, and one <see cref="RunOptions"/>, so a score allocates nothing
/// and does no I/O. Thread-safe. <see cref="Dispose"/> stops new scores (<see cref="TryScore"/> returns false) and
/// frees the session when the last score in flight has finished, so retiring a scorer never breaks a running call.
/// </summary>
public sealed class OnnxScorer : IDisposable
{
    private const int BatchRows = 16_384;

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly ThreadLocal<RowBuffers> _rows;
    private readonly UseCount _uses;

    private OnnxScorer(InferenceSession session, OnnxContract contract)
    {
        _session = session;
        Contract = contract;
        _inputNames = [contract.InputName];
        _outputNames = [contract.OutputName];
        _rows = new ThreadLocal<RowBuffers>(() => new RowBuffers(contract), trackAllValues: true);
        _uses = new UseCount(Release);
    }

    public OnnxContract Contract { get; }

    public int FeatureCount => Contract.FeatureCount;

    /// <summary>Probability for one row in the model's feature order (NaN = missing).</summary>
    /// <exception cref="ObjectDisposedException">The scorer was disposed.</exception>
    public float Score(ReadOnlySpan<float> features) =>
        TryScore(features, out var p) ? p : throw new ObjectDisposedException(nameof(OnnxScorer));

    /// <summary>Like <see cref="Score"/>, but false instead of an exception once the session is gone.</summary>
    public bool TryScore(ReadOnlySpan<float> features, out float probability)
    {
        if (features.Length != FeatureCount)
        {
            throw new ArgumentException($"row has {features.Length} values, model takes {FeatureCount}", nameof(features));
        }

        if (!_uses.TryEnter())
        {
            probability = float.NaN;
            return false;
        }

        try
        {
            var row = _rows.Value!;
            features.CopyTo(row.Input);
            _session.Run(row.Options, _inputNames, row.Inputs, _outputNames, row.Outputs);
            probability = row.Output[Contract.OutputColumn];
            return true;
        }
        finally
        {
            _uses.Exit();
        }
    }

    public float[] ScoreAll(Dataset data)
    {
        if (data.Schema.Count != FeatureCount)
        {
            throw new ArgumentException($"dataset has {data.Schema.Count} features, model takes {FeatureCount}", nameof(data));
        }

        return ScoreRows(data.ToRowMajor(), data.RowCount);
    }

    /// <summary>Scores row-major rows in batches of up to 16,384 per session run (row by row for a model fixed at N = 1).</summary>
    public float[] ScoreRows(float[] rowMajor, int rows)
    {
        var f = FeatureCount;
        ArgumentOutOfRangeException.ThrowIfNotEqual(rowMajor.Length, rows * f);
        var result = new float[rows];
        if (Contract.SingleRowOnly)
        {
            for (var r = 0; r < rows; r++)
            {
                result[r] = Score(rowMajor.AsSpan(r * f, f));
            }

            return result;
        }

        if (!_uses.TryEnter())
        {
            throw new ObjectDisposedException(nameof(OnnxScorer));
        }

        try
        {
            var width = Contract.OutputWidth;
            var output = new float[Math.Min(rows, BatchRows) * width];
            using var options = new RunOptions();
            for (var start = 0; start < rows; start += BatchRows)
            {
                var n = Math.Min(BatchRows, rows - start);
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, rowMajor.AsMemory(start * f, n * f), [n, f]);
                using var outValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(0, n * width),
                    Contract.OutputRank == 1 ? [n] : [n, width]);
                _session.Run(options, _inputNames, [input], _outputNames, [outValue]);
                for (var r = 0; r < n; r++)
                {
                    result[start + r] = output[(r * width) + Contract.OutputColumn];
                }
            }

            return result;
        }
        finally
        {
            _uses.Exit();
        }
    }

    public void Dispose() => _uses.Close();

    /// <exception cref="ModelFormatException">ONNX Runtime cannot load the graph, or its inputs and outputs do not fit.</exception>
    internal static OnnxScorer Open(byte[] graph, string source, int intraOpThreads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intraOpThreads, 1);
        using var options = new SessionOptions
        {
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };

        // Spinning workers would burn a core between batches on a machine shared with the silo.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        InferenceSession session;
        try
        {
            session = new InferenceSession(graph, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelFormatException($"{source}: ONNX Runtime cannot load the model: {e.Message.ReplaceLineEndings(" ")}", e);
        }

        try
        {
            return new OnnxScorer(session, OnnxContract.Inspect(session, source));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private void Release()
    {
        foreach (var row in _rows.Values)
        {
            row.Dispose();
        }

        _rows.Dispose();
        _session.Dispose();
    }
}
