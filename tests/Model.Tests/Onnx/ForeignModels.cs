using CartRecovery.Model.Tests.Support;
using CartRecovery.TestSupport;

namespace CartRecovery.Model.Tests.Onnx;

/// <summary>
/// Models as a data scientist would bring them: written by the onnx Python package (Debian's python3-onnx) with
/// ai.onnx.ml classifiers, the way scikit-learn exporters build them, plus the ways such files go wrong.
/// Every file passes onnx.checker, so rejections are about our contract, not about broken ONNX.
/// </summary>
public sealed class ForeignModels : IDisposable
{
    private const string Script = """
        import sys, onnx
        from onnx import helper, TensorProto as T
        out = sys.argv[1]
        ml = helper.make_operatorsetid('ai.onnx.ml', 2)
        std = helper.make_operatorsetid('', 13)
        def save(name, nodes, inputs, outputs, props=None):
            g = helper.make_graph(nodes, name, inputs, outputs)
            m = helper.make_model(g, opset_imports=[std, ml], producer_name='sklearn-like')
            m.ir_version = 8
            if props: helper.set_model_props(m, props)
            onnx.checker.check_model(m)
            onnx.save(m, f'{out}/{name}.onnx')
        X = helper.make_tensor_value_info('X', T.FLOAT, [None, 3])
        lin = lambda post='SOFTMAX': helper.make_node('LinearClassifier', ['X'], ['label', 'probabilities'], domain='ai.onnx.ml',
            coefficients=[0.0, 0.0, 0.0, 1.0, -0.5, 0.25], intercepts=[0.0, 0.1], classlabels_ints=[0, 1], post_transform=post)
        label = helper.make_tensor_value_info('label', T.INT64, [None])
        probs = helper.make_tensor_value_info('probabilities', T.FLOAT, [None, 2])
        save('classifier', [lin()], [X], [label, probs], {'feature_names': 'cart_value,cart_lines,returning'})
        save('unnamed', [lin()], [X], [label, probs])
        save('too_many_names', [lin()], [X], [label, probs], {'feature_names': 'a,b,c,d'})
        zm = helper.make_node('ZipMap', ['probabilities'], ['output_probability'], domain='ai.onnx.ml', classlabels_int64s=[0, 1])
        mt = onnx.TypeProto()
        mt.map_type.key_type = T.INT64
        mt.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(T.FLOAT, []))
        seq = helper.make_value_info('output_probability', helper.make_sequence_type_proto(mt))
        save('zipmap', [lin(), zm], [X], [label, seq])
        Xi = helper.make_tensor_value_info('X', T.INT64, [None, 3])
        cast = helper.make_node('Cast', ['X'], ['Xf'], to=T.FLOAT)
        lin2 = helper.make_node('LinearClassifier', ['Xf'], ['label', 'probabilities'], domain='ai.onnx.ml', coefficients=[0.0]*3 + [1.0]*3, intercepts=[0.0, 0.0], classlabels_ints=[0, 1], post_transform='SOFTMAX')
        save('int_input', [cast, lin2], [Xi], [label, probs])
        Y = helper.make_tensor_value_info('Y', T.FLOAT, [None, 3])
        add = helper.make_node('Add', ['X', 'Y'], ['Z'])
        lin3 = helper.make_node('LinearClassifier', ['Z'], ['label', 'probabilities'], domain='ai.onnx.ml', coefficients=[0.0]*3 + [1.0]*3, intercepts=[0.0, 0.0], classlabels_ints=[0, 1], post_transform='SOFTMAX')
        save('two_inputs', [add, lin3], [X, Y], [label, probs])
        reg = helper.make_node('LinearRegressor', ['X'], ['score'], domain='ai.onnx.ml', coefficients=[1.0, 1.0, 1.0], intercepts=[5.0])
        save('margin', [reg], [X], [helper.make_tensor_value_info('score', T.FLOAT, [None, 1])])
        X1 = helper.make_tensor_value_info('X', T.FLOAT, [4, 3])
        save('fixed_batch', [lin()], [X1], [label, probs])
        print('ok')
        """;

    private readonly TempDirectory _dir = new("cr-model-");

    public ForeignModels()
    {
        var printed = PythonXgboost.Run(_dir.Path, Script, _dir.Path);
        if (printed.Trim() != "ok")
        {
            throw new InvalidOperationException("model generator printed: " + printed);
        }
    }

    /// <summary>Path of a generated model: classifier, unnamed, too_many_names, zipmap, int_input, two_inputs, margin, fixed_batch.</summary>
    public string this[string name] => _dir.File(name + ".onnx");

    public void Dispose() => _dir.Dispose();
}
