namespace CartRecovery.Model.Onnx;

/// <summary>
/// The parts of the ONNX protobuf schema (onnx/onnx.proto, IR version 8) that we write: field numbers and
/// enum values, as the specification fixes them, with builders for the messages a tree ensemble needs.
/// </summary>
internal static class OnnxProto
{
    public const int IrVersion = 8;

    /// <summary>TensorProto.DataType.FLOAT.</summary>
    public const int Float = 1;

    // ModelProto fields.
    public const int ModelIrVersion = 1;
    public const int ModelProducerName = 2;
    public const int ModelProducerVersion = 3;
    public const int ModelDocString = 6;
    public const int ModelGraph = 7;
    public const int ModelOpsetImport = 8;
    public const int ModelMetadataProps = 14;

    // AttributeProto.AttributeType.
    private const int AttrFloat = 1;
    private const int AttrInt = 2;
    private const int AttrString = 3;
    private const int AttrFloats = 6;
    private const int AttrInts = 7;
    private const int AttrStrings = 8;

    public static ProtoWriter OpsetImport(string domain, int version) => new ProtoWriter().String(1, domain).Int(2, version);

    /// <summary>StringStringEntryProto: key = 1, value = 2.</summary>
    public static ProtoWriter Entry(string key, string value) => new ProtoWriter().String(1, key).String(2, value);

    /// <summary>GraphProto: node = 1, name = 2, doc_string = 10, input = 11, output = 12.</summary>
    public static ProtoWriter Graph(string name, IEnumerable<ProtoWriter> nodes, ProtoWriter input, ProtoWriter output)
    {
        var g = new ProtoWriter();
        foreach (var n in nodes)
        {
            g.Message(1, n);
        }

        return g.String(2, name).Message(11, input).Message(12, output);
    }

    /// <summary>NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.</summary>
    public static ProtoWriter Node(string opType, string domain, string input, string output, params ProtoWriter[] attributes)
    {
        var n = new ProtoWriter().String(1, input).String(2, output).String(3, opType.ToLowerInvariant()).String(4, opType);
        foreach (var a in attributes)
        {
            n.Message(5, a);
        }

        return domain.Length > 0 ? n.String(7, domain) : n;
    }

    /// <summary>
    /// ValueInfoProto (name = 1, type = 2) of a float tensor; TypeProto.tensor_type = 1 with elem_type = 1 and
    /// shape = 2; TensorShapeProto.dim = 1 with dim_value = 1 or, for a null size, the symbolic dim_param = 2.
    /// </summary>
    public static ProtoWriter FloatTensor(string name, params long?[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            shape.Message(1, d is { } size ? new ProtoWriter().Int(1, size) : new ProtoWriter().String(2, "N"));
        }

        var tensor = new ProtoWriter().Int(1, Float).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensor));
    }

    // AttributeProto: name = 1, f = 2, i = 3, s = 4, floats = 7, ints = 8, strings = 9, type = 20.
    public static ProtoWriter Attribute(string name, long value) => new ProtoWriter().String(1, name).Int(3, value).Int(20, AttrInt);

    public static ProtoWriter Attribute(string name, float value) => new ProtoWriter().String(1, name).Float(2, value).Int(20, AttrFloat);

    public static ProtoWriter Attribute(string name, string value) => new ProtoWriter().String(1, name).String(4, value).Int(20, AttrString);

    public static ProtoWriter Attribute(string name, IReadOnlyList<long> values) => new ProtoWriter().String(1, name).Ints(8, values).Int(20, AttrInts);

    public static ProtoWriter Attribute(string name, IReadOnlyList<float> values) => new ProtoWriter().String(1, name).Floats(7, values).Int(20, AttrFloats);

    public static ProtoWriter Attribute(string name, IEnumerable<string> values) => new ProtoWriter().String(1, name).Strings(9, values).Int(20, AttrStrings);
}
