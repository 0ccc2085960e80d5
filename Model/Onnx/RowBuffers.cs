using Microsoft.ML.OnnxRuntime;

namespace CartRecovery.Model.Onnx;

/// <summary>One thread's pinned row: the OrtValues wrap these arrays, so filling Input and reading Output is all a score costs.</summary>
internal sealed class RowBuffers : IDisposable
{
    public RowBuffers(OnnxContract c)
    {
        Input = new float[c.FeatureCount];
        Output = new float[c.OutputWidth];
        Inputs = [OrtValue.CreateTensorValueFromMemory(Input, [1, c.FeatureCount])];
        Outputs = [OrtValue.CreateTensorValueFromMemory(Output, c.OutputRank == 1 ? [1] : [1, c.OutputWidth])];
    }

    public float[] Input { get; }

    public float[] Output { get; }

    public OrtValue[] Inputs { get; }

    public OrtValue[] Outputs { get; }

    public RunOptions Options { get; } = new();

    public void Dispose()
    {
        Inputs[0].Dispose();
        Outputs[0].Dispose();
        Options.Dispose();
    }
}
