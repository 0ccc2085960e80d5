using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CartRecovery.Runtime;

/// <summary>A grain interface bound to its implementation class and type name.</summary>
internal sealed class GrainRegistration
{
    private readonly Func<IServiceProvider, GrainActivation, Grain> _factory;

    public GrainRegistration(string typeName, Type interfaceType, Type implementationType, JsonSerializerOptions json)
    {
        TypeName = typeName;
        InterfaceType = interfaceType;
        ImplementationType = implementationType;
        _factory = BuildFactory(implementationType, json);
    }

    public string TypeName { get; }

    public Type InterfaceType { get; }

    public Type ImplementationType { get; }

    public Grain Create(IServiceProvider services, GrainActivation activation) => _factory(services, activation);

    /// <summary>
    /// Constructor injection: <c>[PersistentState("name")] IPersistentState&lt;T&gt;</c> parameters get
    /// the activation's states (their JSON contracts must be registered, checked here at start);
    /// everything else comes from the service provider.
    /// </summary>
    private static Func<IServiceProvider, GrainActivation, Grain> BuildFactory(Type type, JsonSerializerOptions json)
    {
        var ctors = type.GetConstructors();
        if (ctors.Length != 1)
        {
            throw new InvalidOperationException($"grain class {type.Name} must have exactly one public constructor");
        }

        var parameters = ctors[0].GetParameters();
        var resolvers = new Func<IServiceProvider, GrainActivation, object>[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var attr = p.GetCustomAttribute<PersistentStateAttribute>();
            if (p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == typeof(IPersistentState<>))
            {
                if (attr is null)
                {
                    throw new InvalidOperationException($"grain class {type.Name}: parameter '{p.Name}' needs [PersistentState(\"name\")]");
                }

                var stateType = p.ParameterType.GetGenericArguments()[0];
                JsonTypeInfo typeInfo;
                try
                {
                    typeInfo = json.GetTypeInfo(stateType);
                }
                catch (NotSupportedException e)
                {
                    throw new InvalidOperationException($"grain class {type.Name}: no JSON contract registered for state type {stateType.Name} (add its JsonSerializerContext with AddGrainStateJson)", e);
                }

                // A compiled constructor call: activations create one state each, thousands per second.
                var stateClass = typeof(PersistentState<>).MakeGenericType(stateType);
                var ctor = stateClass.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Single();
                var activationArg = Expression.Parameter(typeof(GrainActivation));
                var newState = Expression.Lambda<Func<GrainActivation, IStateEntry>>(
                    Expression.Convert(Expression.New(ctor, activationArg, Expression.Constant(attr.StateName), Expression.Constant(typeInfo, ctor.GetParameters()[2].ParameterType)), typeof(IStateEntry)),
                    activationArg).Compile();
                resolvers[i] = (_, activation) =>
                {
                    var state = newState(activation);
                    activation.States.Add(state);
                    return state;
                };
            }
            else
            {
                var serviceType = p.ParameterType;
                resolvers[i] = (services, _) => services.GetService(serviceType)
                    ?? throw new InvalidOperationException($"grain class {type.Name}: no service registered for parameter '{p.Name}' ({serviceType.Name})");
            }
        }

        // A compiled constructor call keeps activation cheap once the arguments are resolved.
        var args = Expression.Parameter(typeof(object[]));
        var newExpr = Expression.New(ctors[0], parameters.Select((p, i) => Expression.Convert(Expression.ArrayIndex(args, Expression.Constant(i)), p.ParameterType)));
        var construct = Expression.Lambda<Func<object[], Grain>>(Expression.Convert(newExpr, typeof(Grain)), args).Compile();
        return (services, activation) =>
        {
            var values = new object[resolvers.Length];
            for (var i = 0; i < resolvers.Length; i++)
            {
                values[i] = resolvers[i](services, activation);
            }

            return construct(values);
        };
    }
}

/// <summary>All grain registrations, by interface and by type name.</summary>
internal sealed class GrainRegistry
{
    private readonly Dictionary<Type, GrainRegistration> _byInterface = new();
    private readonly Dictionary<string, GrainRegistration> _byName = new(StringComparer.Ordinal);

    public GrainRegistry(IEnumerable<GrainTypeDescriptor> descriptors, JsonSerializerOptions json)
    {
        foreach (var d in descriptors)
        {
            if (_byName.ContainsKey(d.TypeName))
            {
                throw new InvalidOperationException($"grain type name '{d.TypeName}' is registered twice");
            }

            var registration = new GrainRegistration(d.TypeName, d.InterfaceType, d.ImplementationType, json);
            _byInterface[d.InterfaceType] = registration;
            _byName[d.TypeName] = registration;
        }
    }

    public IEnumerable<GrainRegistration> All => _byName.Values;

    public GrainRegistration ForInterface(Type interfaceType) =>
        _byInterface.TryGetValue(interfaceType, out var r) ? r
            : throw new ArgumentException($"unknown grain type: no grain class is registered for interface {interfaceType.Name}", nameof(interfaceType));

    public GrainRegistration ForName(string typeName) =>
        _byName.TryGetValue(typeName, out var r) ? r
            : throw new ArgumentException($"unknown grain type '{typeName}'", nameof(typeName));
}

/// <summary>What AddGrain registers in the container.</summary>
public sealed record GrainTypeDescriptor(string TypeName, Type InterfaceType, Type ImplementationType);
