using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace CartRecovery.Deploy.Tests.Support;

/// <summary>
/// A Helm chart read without Helm: its values and templates, and a structural "render" of each
/// template good enough to parse as YAML. Go template actions are handled line by line:
/// <list type="bullet">
/// <item>control actions (if/else/with/range/end) decide which lines are kept: the first branch of
/// an <c>if</c> is always kept (so every optional block is checked), a <c>with</c> over a values
/// path is kept only when that value is non-empty in values.yaml (as Helm would);</item>
/// <item><c>include "x" … | nindent N</c> is replaced by the named template's body, expanded the same way;</item>
/// <item><c>toYaml &lt;values path&gt; | nindent N</c> is replaced by that part of values.yaml;</item>
/// <item>a field of a dict literal passed to an include (<c>(dict "root" . "component" "silo")</c>, or a
/// variable assigned one) is replaced by its string value where the define reads it (<c>{{ .component }}</c>,
/// <c>{{ if .component }}</c>, <c>{{ if eq .role "silo" }}</c>: such an <c>if</c> is decided, not kept), so the
/// selectors and the environment of one component can be told from another's;</item>
/// <item>any other action becomes a unique token (<c>tplN</c>) whose expression and values path are
/// remembered, so checks can still ask "which value feeds this field".</item>
/// </list>
/// </summary>
internal sealed partial class HelmChart
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _defines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TemplateToken> _tokens = new(StringComparer.Ordinal);
    private int _tokenCount;

    public HelmChart(string chartDir)
    {
        ChartDir = chartDir;
        Values = Yaml.LoadMapping(Path.Combine(chartDir, "values.yaml"));
        Templates = Directory.GetFiles(Path.Combine(chartDir, "templates"))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileName(f), f => File.ReadAllText(f), StringComparer.Ordinal);
        foreach (var (_, text) in Templates)
        {
            foreach (var (name, body) in FindDefines(text))
            {
                _defines[name] = body;
            }
        }
    }

    public string ChartDir { get; }

    public YamlMappingNode Values { get; }

    /// <summary>File name -> raw text of every file under templates/.</summary>
    public IReadOnlyDictionary<string, string> Templates { get; }

    /// <summary>Names of the templates defined with {{ define }}.</summary>
    public IReadOnlyCollection<string> DefineNames => _defines.Keys;

    public string DefineBody(string name) => _defines[name];

    /// <summary>The manifest templates (not partials starting with "_", not NOTES.txt).</summary>
    public IEnumerable<string> ManifestTemplates =>
        Templates.Keys.Where(n => !n.StartsWith('_') && n.EndsWith(".yaml", StringComparison.Ordinal));

    /// <summary>The one chart of this repository, shared so tokens from any expansion resolve everywhere.</summary>
    public static HelmChart Repository { get; } = new(RepoPaths.Chart);

    public TemplateToken? Token(string text)
    {
        lock (_gate)
        {
            return _tokens.GetValueOrDefault(text.Trim().Trim('"'));
        }
    }

    /// <summary>The YAML text of one manifest template after the structural expansion described above.</summary>
    public string Expand(string templateName)
    {
        var text = Templates[templateName];
        var output = new List<string>();
        lock (_gate)
        {
            ExpandText(RemoveDefines(RemoveComments(text)), 0, Scope.Empty(null, null), 0, output);
        }

        return string.Join('\n', output) + "\n";
    }

    /// <summary>The expanded template parsed as YAML documents (empty documents dropped).</summary>
    public IReadOnlyList<YamlMappingNode> Documents(string templateName) =>
        Yaml.LoadDocuments(Expand(templateName))
            .Select(d => d.RootNode)
            .OfType<YamlMappingNode>()
            .ToArray();

    /// <summary>
    /// Every values path a template refers to (".Values.a.b", "$root.Values.a.b", "$.Values.a.b", and
    /// variables assigned from one: "{{ $a := .Values.x }} … $a.y" -> "x.y"), per file.
    /// </summary>
    public IEnumerable<(string File, string Path)> ReferencedValuesPaths()
    {
        foreach (var (file, raw) in Templates)
        {
            var text = RemoveComments(raw);
            foreach (var scopeText in SplitScopes(text))
            {
                var vars = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (Match m in AssignmentRegex().Matches(scopeText))
                {
                    if (ValuesPathOf(m.Groups["expr"].Value, null, vars) is { } p)
                    {
                        vars[m.Groups["var"].Value] = p;
                    }
                }

                foreach (Match m in ValuesRefRegex().Matches(scopeText))
                {
                    yield return (file, m.Groups["path"].Value.TrimStart('.'));
                }

                foreach (Match m in VarRefRegex().Matches(scopeText))
                {
                    if (vars.TryGetValue(m.Groups["var"].Value, out var basePath))
                    {
                        var rest = m.Groups["rest"].Value.TrimStart('.');
                        yield return (file, basePath.Length == 0 ? rest : rest.Length == 0 ? basePath : basePath + "." + rest);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    /// <summary>Dot's values path, $variables bound to values paths or to dict literals, and dot's literal fields when dot is a dict.</summary>
    private sealed record Scope(string? Dot, Dictionary<string, string> Vars, Dictionary<string, IReadOnlyDictionary<string, string>> Dicts, IReadOnlyDictionary<string, string>? Fields)
    {
        public static Scope Empty(string? dot, IReadOnlyDictionary<string, string>? fields) =>
            new(dot, new Dictionary<string, string>(StringComparer.Ordinal), new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal), fields);

        /// <summary>The literal a <c>.field</c> (or <c>.field | quote</c>) expression stands for, when dot is a dict literal that has it.</summary>
        public string? Literal(string expr)
        {
            var parts = expr.Split('|', StringSplitOptions.TrimEntries);
            if (Fields is null || !parts[0].StartsWith('.') || !Fields.TryGetValue(parts[0][1..], out var value))
            {
                return null;
            }

            return parts.Length switch
            {
                1 => value,
                2 when parts[1] == "quote" => '"' + value + '"',
                _ => null,
            };
        }
    }

    private sealed class Frame
    {
        public bool ParentKeeping { get; init; }

        public bool Keeping { get; set; }

        public bool AnyBranchKept { get; set; }
    }

    private void ExpandText(string text, int baseIndent, Scope scope, int depth, List<string> output)
    {
        if (depth > 20)
        {
            throw new InvalidOperationException("include nesting deeper than 20: recursive template?");
        }

        var stack = new Stack<Frame>();
        bool Keeping() => stack.Count == 0 || stack.Peek().Keeping;

        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            var actions = ActionRegex().Matches(line);
            if (actions.Count == 0)
            {
                if (Keeping())
                {
                    output.Add(line.Length == 0 ? line : new string(' ', baseIndent) + line);
                }

                continue;
            }

            var lineIndent = line.Length - line.TrimStart(' ').Length;
            var remainder = ActionRegex().Replace(line, "");
            if (remainder.Trim().Length == 0)
            {
                foreach (Match action in actions)
                {
                    ProcessWholeLineAction(action.Groups["body"].Value.Trim(), lineIndent, baseIndent, scope, depth, output, stack);
                }

                continue;
            }

            if (!Keeping())
            {
                // still track inline control actions so nesting stays right
                foreach (Match action in actions)
                {
                    TrackControl(action.Groups["body"].Value.Trim(), scope, stack);
                }

                continue;
            }

            var replaced = ActionRegex().Replace(line, m =>
            {
                var body = m.Groups["body"].Value.Trim();
                return IsControl(body) || IsAssignment(body) ? "" : scope.Literal(body) ?? NewToken(body, scope);
            });
            output.Add(new string(' ', baseIndent) + replaced);
        }
    }

    private void ProcessWholeLineAction(string body, int lineIndent, int baseIndent, Scope scope, int depth, List<string> output, Stack<Frame> stack)
    {
        if (TrackControl(body, scope, stack))
        {
            return;
        }

        if (stack.Count > 0 && !stack.Peek().Keeping)
        {
            return;
        }

        if (IsAssignment(body))
        {
            var m = AssignmentRegex().Match("{{ " + body + " }}");
            if (m.Success && ValuesPathOf(m.Groups["expr"].Value, scope.Dot, scope.Vars) is { } p)
            {
                scope.Vars[m.Groups["var"].Value] = p;
            }
            else if (m.Success && DictLiteral(m.Groups["expr"].Value) is { } dict)
            {
                scope.Dicts[m.Groups["var"].Value] = dict;
            }

            return;
        }

        if (body.StartsWith("fail ", StringComparison.Ordinal) || body.StartsWith("required ", StringComparison.Ordinal))
        {
            return;
        }

        var indentMatch = IndentPipeRegex().Match(body);
        var indent = baseIndent + (indentMatch.Success ? int.Parse(indentMatch.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture) : lineIndent);
        var pipeline = indentMatch.Success ? body[..indentMatch.Index].Trim() : body;

        var include = IncludeRegex().Match(pipeline);
        if (include.Success && _defines.TryGetValue(include.Groups["name"].Value, out var defineBody))
        {
            var arg = include.Groups["arg"].Value.Trim();
            var dot = arg == "." ? scope.Dot : ValuesPathOf(arg, scope.Dot, scope.Vars);
            var fields = arg == "." ? scope.Fields
                : arg.StartsWith('$') && scope.Dicts.TryGetValue(arg[1..], out var bound) ? bound
                : DictLiteral(arg);
            ExpandText(TrimDefineBody(defineBody), indent, Scope.Empty(dot, fields), depth + 1, output);
            return;
        }

        var toYaml = ToYamlRegex().Match(pipeline);
        if (toYaml.Success)
        {
            var arg = toYaml.Groups["arg"].Value.Trim();
            var path = arg == "." ? scope.Dot : ValuesPathOf(arg, scope.Dot, scope.Vars);
            var node = path is null ? null : path.Length == 0 ? Values : Yaml.Find(Values, path);
            if (node is not null)
            {
                output.Add(Yaml.Emit(node, indent));
                return;
            }
        }

        // Anything else: a placeholder entry shaped like its neighbours (sequence item or mapping key).
        var token = NewToken(body, scope);
        var pad = new string(' ', indent);
        output.Add(PreviousIsSequenceItem(output, indent) ? $"{pad}- {token}: {token}" : $"{pad}{token}: {token}");
    }

    /// <summary>Updates the block stack for a control action; false when the action is not a control action.</summary>
    private bool TrackControl(string body, Scope scope, Stack<Frame> stack)
    {
        var keyword = body.Split([' ', '\t', '('], 2)[0];
        var parentKeeping = stack.Count == 0 || stack.Peek().Keeping;
        if (keyword == "if" && LiteralCondition(body["if".Length..].Trim(), scope) is { } kept)
        {
            // a dict literal's field decides like Helm would
            stack.Push(new Frame { ParentKeeping = parentKeeping, Keeping = parentKeeping && kept, AnyBranchKept = kept });
            return true;
        }

        switch (keyword)
        {
            case "if":
            case "range":
            case "define":
            case "block":
                stack.Push(new Frame { ParentKeeping = parentKeeping, Keeping = parentKeeping && keyword != "define", AnyBranchKept = true });
                return true;
            case "with":
            {
                var arg = body["with".Length..].Trim();
                var path = ValuesPathOf(arg, scope.Dot, scope.Vars);
                var truthy = path is null || IsTruthy(path.Length == 0 ? Values : Yaml.Find(Values, path));
                stack.Push(new Frame { ParentKeeping = parentKeeping, Keeping = parentKeeping && truthy, AnyBranchKept = truthy });
                return true;
            }

            case "else":
                if (stack.Count > 0)
                {
                    var frame = stack.Peek();
                    frame.Keeping = frame.ParentKeeping && !frame.AnyBranchKept;
                    frame.AnyBranchKept = true;
                }

                return true;
            case "end":
                if (stack.Count > 0)
                {
                    stack.Pop();
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary><c>.field</c>, <c>eq .field "x"</c> or <c>ne .field "x"</c> over a dict literal's field; null for anything else.</summary>
    private static bool? LiteralCondition(string condition, Scope scope)
    {
        if (scope.Literal(condition) is { } value)
        {
            return value.Length > 0;
        }

        var m = LiteralComparisonRegex().Match(condition);
        if (m.Success && scope.Literal(m.Groups["field"].Value) is { } field)
        {
            return (field == m.Groups["literal"].Value) == (m.Groups["op"].Value == "eq");
        }

        return null;
    }

    private static bool IsControl(string body)
    {
        var keyword = body.Split([' ', '\t', '('], 2)[0];
        return keyword is "if" or "else" or "end" or "with" or "range" or "define" or "block";
    }

    private static bool IsAssignment(string body) => AssignmentBodyRegex().IsMatch(body);

    private static bool IsTruthy(YamlNode? node) => node switch
    {
        null => false,
        YamlMappingNode m => m.Children.Count > 0,
        YamlSequenceNode s => s.Children.Count > 0,
        YamlScalarNode s => s.Value is { Length: > 0 } v && v != "false" && v != "0" && v != "null" && v != "~",
        _ => true,
    };

    private static bool PreviousIsSequenceItem(List<string> output, int indent)
    {
        for (var i = output.Count - 1; i >= 0; i--)
        {
            var line = output[i];
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var lineIndent = line.Length - line.TrimStart(' ').Length;
            if (lineIndent < indent)
            {
                return false;
            }

            if (lineIndent == indent)
            {
                return line.TrimStart().StartsWith("- ", StringComparison.Ordinal);
            }
        }

        return false;
    }

    private string NewToken(string body, Scope scope)
    {
        var token = "tpl" + (++_tokenCount).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var first = body.Split('|')[0].Trim();
        _tokens[token] = new TemplateToken(token, body, ValuesPathOf(first, scope.Dot, scope.Vars));
        return token;
    }

    /// <summary>The values path an expression denotes ("" = .Values itself), or null when it is not one.</summary>
    internal static string? ValuesPathOf(string expr, string? dot, IReadOnlyDictionary<string, string> vars)
    {
        expr = expr.Trim();
        if (expr.StartsWith('(') && expr.EndsWith(')'))
        {
            expr = expr[1..^1].Trim();
        }

        var m = ValuesExprRegex().Match(expr);
        if (m.Success)
        {
            return m.Groups["path"].Value.TrimStart('.');
        }

        m = VarExprRegex().Match(expr);
        if (m.Success && vars.TryGetValue(m.Groups["var"].Value, out var basePath))
        {
            var rest = m.Groups["rest"].Value.TrimStart('.');
            return basePath.Length == 0 ? rest : rest.Length == 0 ? basePath : basePath + "." + rest;
        }

        if (dot is not null)
        {
            if (expr == ".")
            {
                return dot;
            }

            m = DotFieldRegex().Match(expr);
            if (m.Success && !expr.StartsWith(".Values", StringComparison.Ordinal))
            {
                var rest = m.Groups["rest"].Value;
                return dot.Length == 0 ? rest : dot + "." + rest;
            }
        }

        return null;
    }

    /// <summary>The string-valued pairs of <c>(dict "k" "v" "root" . ...)</c>, or null when the expression is no dict literal.</summary>
    private static Dictionary<string, string>? DictLiteral(string expr)
    {
        expr = expr.Trim();
        if (expr.StartsWith('(') && expr.EndsWith(')'))
        {
            expr = expr[1..^1].Trim();
        }

        if (!expr.StartsWith("dict ", StringComparison.Ordinal))
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match pair in DictPairRegex().Matches(expr["dict ".Length..]))
        {
            if (pair.Groups["literal"].Success)
            {
                result[pair.Groups["key"].Value] = pair.Groups["literal"].Value;
            }
        }

        return result;
    }

    private static string RemoveComments(string text) => CommentRegex().Replace(text, "");

    private static string RemoveDefines(string text)
    {
        var sb = new StringBuilder();
        var pos = 0;
        foreach (var (start, end) in DefineSpans(text))
        {
            sb.Append(text, pos, start - pos);
            pos = end;
        }

        sb.Append(text, pos, text.Length - pos);
        return sb.ToString();
    }

    /// <summary>The define blocks and, after them, the rest of the file: the scopes of $variables.</summary>
    private static IEnumerable<string> SplitScopes(string text)
    {
        foreach (var (start, end) in DefineSpans(text))
        {
            yield return text[start..end];
        }

        yield return RemoveDefines(text);
    }

    private static IEnumerable<(string Name, string Body)> FindDefines(string text)
    {
        text = RemoveComments(text);
        foreach (var (start, end) in DefineSpans(text))
        {
            var block = text[start..end];
            var open = ActionRegex().Match(block);
            var name = DefineNameRegex().Match(open.Groups["body"].Value).Groups["name"].Value;
            var closeStart = block.LastIndexOf("{{", StringComparison.Ordinal);
            yield return (name, block[(open.Index + open.Length)..closeStart]);
        }
    }

    /// <summary>[start, end) of each top-level {{ define }} … {{ end }} block.</summary>
    private static IEnumerable<(int Start, int End)> DefineSpans(string text)
    {
        var depth = 0;
        var start = -1;
        foreach (Match m in ActionRegex().Matches(text))
        {
            var keyword = m.Groups["body"].Value.Trim().Split([' ', '\t', '('], 2)[0];
            if (keyword is "define" && depth == 0)
            {
                start = m.Index;
                depth = 1;
            }
            else if (keyword is "if" or "with" or "range" or "define" or "block")
            {
                if (depth > 0)
                {
                    depth++;
                }
            }
            else if (keyword == "end" && depth > 0)
            {
                depth--;
                if (depth == 0)
                {
                    yield return (start, m.Index + m.Length);
                }
            }
        }
    }

    /// <summary>A define body without the blank line its "-}}" would have trimmed.</summary>
    private static string TrimDefineBody(string body) => body.TrimStart('\n', '\r').TrimEnd();

    [GeneratedRegex(@"\{\{-?(?<body>.*?)-?\}\}", RegexOptions.Singleline)]
    private static partial Regex ActionRegex();

    [GeneratedRegex(@"\{\{-?\s*/\*.*?\*/\s*-?\}\}", RegexOptions.Singleline)]
    private static partial Regex CommentRegex();

    [GeneratedRegex(@"\{\{-?\s*\$(?<var>\w+)\s*:?=\s*(?<expr>[^|}]+?)\s*(?:\|[^}]*)?-?\}\}")]
    private static partial Regex AssignmentRegex();

    [GeneratedRegex(@"^\$\w+\s*:?=\s*")]
    private static partial Regex AssignmentBodyRegex();

    [GeneratedRegex(@"(?:^|[\s({])(?:\$\w*|\.root)?\.Values(?<path>(?:\.[A-Za-z_]\w*)+)", RegexOptions.Multiline)]
    private static partial Regex ValuesRefRegex();

    [GeneratedRegex(@"\$(?<var>\w+)(?<rest>(?:\.[A-Za-z_]\w*)+)")]
    private static partial Regex VarRefRegex();

    [GeneratedRegex(@"^(?:\$\w*|\.root)?\.Values(?<path>(?:\.[A-Za-z_]\w*)*)$")]
    private static partial Regex ValuesExprRegex();

    [GeneratedRegex(@"^\$(?<var>\w+)(?<rest>(?:\.[A-Za-z_]\w*)*)$")]
    private static partial Regex VarExprRegex();

    [GeneratedRegex(@"^\.(?<rest>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")]
    private static partial Regex DotFieldRegex();

    [GeneratedRegex(@"\|\s*n?indent\s+(?<n>\d+)\s*$")]
    private static partial Regex IndentPipeRegex();

    [GeneratedRegex(@"^include\s+""(?<name>[^""]+)""\s+(?<arg>.+)$")]
    private static partial Regex IncludeRegex();

    [GeneratedRegex(@"^toYaml\s+(?<arg>.+)$")]
    private static partial Regex ToYamlRegex();

    [GeneratedRegex(@"define\s+""(?<name>[^""]+)""")]
    private static partial Regex DefineNameRegex();

    [GeneratedRegex(@"^(?<op>eq|ne)\s+(?<field>\.\w+)\s+""(?<literal>[^""]*)""$")]
    private static partial Regex LiteralComparisonRegex();

    /// <summary>One key/value pair of a dict literal: a string key and a string literal, or any other single term.</summary>
    [GeneratedRegex(@"""(?<key>[^""]*)""\s+(?:""(?<literal>[^""]*)""|\([^()]*\)|[^\s()""]+)")]
    private static partial Regex DictPairRegex();
}

/// <summary>An action replaced by a token: its Go template text and, when it reads one, the values path.</summary>
internal sealed record TemplateToken(string Token, string Expression, string? ValuesPath);
