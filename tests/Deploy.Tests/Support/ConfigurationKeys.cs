using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace CartRecovery.Deploy.Tests.Support;

/// <summary>
/// The configuration keys the application binds, found by reflection: every class in the
/// CartRecovery.* assemblies of the test's output folder with a <c>const string Section</c>
/// (or <c>SectionName</c>) names a configuration section whose keys are its properties.
/// An environment variable "Storage__Provider" maps to section "Storage", property "Provider".
/// </summary>
internal sealed class ConfigurationKeys
{
    /// <summary>Keys read by the host (ASP.NET Core, the .NET runtime, the OS), not by an options class.</summary>
    private static readonly string[] HostKeyPrefixes = ["ASPNETCORE_", "DOTNET_", "Logging__LogLevel__"];

    /// <summary>Also the downward-API variables Orleans' Kubernetes hosting reads (KubernetesHostingOptions).</summary>
    private static readonly string[] HostKeys =
    [
        "TMPDIR",
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodNameEnvironmentVariable,
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodNamespaceEnvironmentVariable,
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodIPEnvironmentVariable,
    ];

    private readonly List<(string[] Section, Type Type)> _sections = [];

    private ConfigurationKeys()
    {
    }

    public IReadOnlyList<string> LoadErrors { get; private set; } = [];

    public IEnumerable<string> Sections => _sections.Select(s => string.Join(":", s.Section) + " = " + s.Type.FullName);

    public static ConfigurationKeys FromOutputFolder()
    {
        var keys = new ConfigurationKeys();
        var errors = new List<string>();
        var self = typeof(ConfigurationKeys).Assembly.GetName().Name;
        foreach (var dll in Directory.GetFiles(AppContext.BaseDirectory, "CartRecovery.*.dll").OrderBy(f => f, StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(dll);
            if (name == self || name == "CartRecovery.TestSupport")
            {
                continue;
            }

            Type[] types;
            try
            {
                types = Assembly.LoadFrom(dll).GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                types = e.Types.Where(t => t is not null).ToArray()!;
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException)
            {
                errors.Add($"{name}: {e.Message}");
                continue;
            }

            foreach (var type in types)
            {
                if (!type.IsClass || type.IsGenericTypeDefinition)
                {
                    continue;
                }

                var field = type.GetField("Section", BindingFlags.Public | BindingFlags.Static)
                            ?? type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static);
                if (field is { IsLiteral: true } && field.FieldType == typeof(string) && field.GetRawConstantValue() is string section && section.Length > 0)
                {
                    keys._sections.Add((section.Split(':'), type));
                }
            }
        }

        keys.LoadErrors = errors;
        return keys;
    }

    public static bool IsHostKey(string envName) =>
        HostKeys.Contains(envName, StringComparer.Ordinal) ||
        HostKeyPrefixes.Any(p => envName.StartsWith(p, StringComparison.Ordinal));

    /// <summary>The CLR type bound at the key an environment variable names, or null when no options class reads it.</summary>
    public Type? Resolve(string envName)
    {
        var segments = envName.Split("__");
        foreach (var (section, type) in _sections)
        {
            if (segments.Length <= section.Length ||
                !section.Select((s, i) => string.Equals(s, segments[i], StringComparison.OrdinalIgnoreCase)).All(x => x))
            {
                continue;
            }

            if (ResolveIn(type, segments.AsSpan(section.Length)) is { } leaf)
            {
                return leaf;
            }
        }

        return null;
    }

    /// <summary>Whether the configuration binder can turn <paramref name="value"/> into <paramref name="type"/>.</summary>
    public static bool CanBind(Type type, string value)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string) || t == typeof(object))
        {
            return true;
        }

        if (t.IsEnum)
        {
            return Enum.TryParse(t, value, ignoreCase: true, out _);
        }

        var converter = TypeDescriptor.GetConverter(t);
        if (!converter.CanConvertFrom(typeof(string)))
        {
            return false;
        }

        try
        {
            return converter.ConvertFromString(null, CultureInfo.InvariantCulture, value) is not null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    private static Type? ResolveIn(Type type, ReadOnlySpan<string> segments)
    {
        while (true)
        {
            if (segments.Length == 0)
            {
                return type;
            }

            var t = Nullable.GetUnderlyingType(type) ?? type;
            if (IsScalar(t))
            {
                return null;
            }

            if (DictionaryValueType(t) is { } valueType)
            {
                type = valueType;
                segments = segments[1..];
                continue;
            }

            if (ElementType(t) is { } elementType)
            {
                // an index: a number, or a token standing for a template action ({{ $i }})
                var index = segments[0];
                if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out _) &&
                    !(index.StartsWith("tpl", StringComparison.Ordinal) && int.TryParse(index.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                {
                    return null;
                }

                type = elementType;
                segments = segments[1..];
                continue;
            }

            var property = t.GetProperty(segments[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.GetMethod is null || property.GetIndexParameters().Length > 0)
            {
                return null;
            }

            var settable = property.SetMethod is { IsPublic: true };
            if (!settable && IsScalar(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType))
            {
                return null;
            }

            type = property.PropertyType;
            segments = segments[1..];
        }
    }

    private static bool IsScalar(Type t) =>
        t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan) ||
        t == typeof(DateTime) || t == typeof(DateTimeOffset) || t == typeof(Guid) || t == typeof(Uri) ||
        TypeDescriptor.GetConverter(t).CanConvertFrom(typeof(string)) && !typeof(IEnumerable).IsAssignableFrom(t);

    private static Type? DictionaryValueType(Type t)
    {
        var dict = t.IsGenericType && t.GetGenericTypeDefinition() is var d &&
                   (d == typeof(IDictionary<,>) || d == typeof(Dictionary<,>) || d == typeof(IReadOnlyDictionary<,>))
            ? t
            : t.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return dict?.GetGenericArguments()[1];
    }

    private static Type? ElementType(Type t)
    {
        if (t == typeof(string))
        {
            return null;
        }

        if (t.IsArray)
        {
            return t.GetElementType();
        }

        var enumerable = t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? t
            : t.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }
}
