using System.Globalization;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace CartRecovery.Deploy.Tests.Support;

/// <summary>Small helpers over YamlDotNet's representation model: load, look up by dotted path, merge, list leaves.</summary>
internal static class Yaml
{
    /// <summary>Every document of a YAML stream; throws YamlException (with line/column) on broken structure or duplicate keys.</summary>
    public static IReadOnlyList<YamlDocument> LoadDocuments(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.ToArray();
    }

    public static YamlMappingNode LoadMapping(string path)
    {
        var docs = LoadDocuments(File.ReadAllText(path));
        if (docs.Count == 0)
        {
            return new YamlMappingNode();
        }

        return docs[0].RootNode as YamlMappingNode
               ?? throw new InvalidOperationException($"{path}: the top level is not a mapping");
    }

    /// <summary>The node at a dotted path ("silo.autoscaling.maxReplicas"), or null when a segment is missing.</summary>
    public static YamlNode? Find(YamlNode root, string dottedPath) => Find(root, dottedPath.Split('.', StringSplitOptions.RemoveEmptyEntries));

    public static YamlNode? Find(YamlNode root, IEnumerable<string> segments)
    {
        var node = root;
        foreach (var segment in segments)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(segment), out var child))
            {
                return null;
            }

            node = child;
        }

        return node;
    }

    public static bool Exists(YamlNode root, string dottedPath) => Find(root, dottedPath) is not null;

    public static string? Scalar(YamlNode root, string dottedPath) => (Find(root, dottedPath) as YamlScalarNode)?.Value;

    public static long Int(YamlNode root, string dottedPath)
    {
        var s = Scalar(root, dottedPath) ?? throw new KeyNotFoundException(dottedPath);
        return long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    public static bool Bool(YamlNode root, string dottedPath) =>
        bool.Parse(Scalar(root, dottedPath) ?? throw new KeyNotFoundException(dottedPath));

    /// <summary>Helm's value merge: mappings merge key by key, anything else in the overlay replaces.</summary>
    public static YamlNode Merge(YamlNode baseNode, YamlNode overlay)
    {
        if (baseNode is YamlMappingNode b && overlay is YamlMappingNode o)
        {
            var result = new YamlMappingNode();
            foreach (var (key, value) in b.Children)
            {
                result.Children[key] = value;
            }

            foreach (var (key, value) in o.Children)
            {
                result.Children[key] = result.Children.TryGetValue(key, out var existing) ? Merge(existing, value) : value;
            }

            return result;
        }

        return overlay;
    }

    /// <summary>Dotted paths of every leaf (scalar, sequence, empty mapping) under a mapping.</summary>
    public static IEnumerable<(string Path, YamlNode Node)> Leaves(YamlNode node, string prefix = "")
    {
        if (node is YamlMappingNode map && map.Children.Count > 0)
        {
            foreach (var (key, value) in map.Children)
            {
                var name = ((YamlScalarNode)key).Value!;
                foreach (var leaf in Leaves(value, prefix.Length == 0 ? name : prefix + "." + name))
                {
                    yield return leaf;
                }
            }
        }
        else
        {
            yield return (prefix, node);
        }
    }

    /// <summary>Block-style YAML of a node, every line indented by <paramref name="indent"/> spaces (what toYaml | nindent renders).</summary>
    public static string Emit(YamlNode node, int indent)
    {
        var sb = new StringBuilder();
        EmitNode(node, indent, sb);
        return sb.ToString().TrimEnd('\n');
    }

    private static void EmitNode(YamlNode node, int indent, StringBuilder sb)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case YamlMappingNode { Children.Count: 0 }:
                sb.Append(pad).Append("{}\n");
                break;
            case YamlSequenceNode { Children.Count: 0 }:
                sb.Append(pad).Append("[]\n");
                break;
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    sb.Append(pad).Append(ScalarText(((YamlScalarNode)key).Value ?? "")).Append(':');
                    if (value is YamlScalarNode s)
                    {
                        sb.Append(' ').Append(ScalarText(s.Value ?? "")).Append('\n');
                    }
                    else
                    {
                        sb.Append('\n');
                        EmitNode(value, indent + 2, sb);
                    }
                }

                break;
            case YamlSequenceNode seq:
                foreach (var item in seq.Children)
                {
                    if (item is YamlScalarNode s)
                    {
                        sb.Append(pad).Append("- ").Append(ScalarText(s.Value ?? "")).Append('\n');
                    }
                    else
                    {
                        var inner = new StringBuilder();
                        EmitNode(item, indent + 2, inner);
                        var text = inner.ToString();
                        // "- " takes the place of the first line's indentation
                        sb.Append(pad).Append("- ").Append(text.AsSpan(indent + 2));
                    }
                }

                break;
            case YamlScalarNode scalar:
                sb.Append(pad).Append(ScalarText(scalar.Value ?? "")).Append('\n');
                break;
        }
    }

    private static string ScalarText(string value)
    {
        if (value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '-' or '%'))
        {
            return value;
        }

        var escaped = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        return "\"" + escaped + "\"";
    }
}
