using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace CartRecovery.Runtime;

/// <summary>
/// The typed grain reference callers hold. Each interface method is dispatched through a delegate
/// compiled once per method, so a call costs an argument array and no reflection.
/// </summary>
public class GrainProxy : DispatchProxy
{
    private static readonly ConcurrentDictionary<MethodInfo, Func<GrainProxy, object?[]?, object>> Dispatchers = new();

    internal GrainRuntime Runtime { get; set; } = null!;

    internal GrainId Id { get; set; }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return Dispatchers.GetOrAdd(targetMethod, Build)(this, args);
    }

    public override string ToString() => $"GrainReference({Id})";

    private static Func<GrainProxy, object?[]?, object> Build(MethodInfo method)
    {
        var returnType = method.ReturnType;
        var resultType = returnType == typeof(Task) ? typeof(bool)
            : returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>) ? returnType.GetGenericArguments()[0]
            : throw new NotSupportedException($"grain method {method.DeclaringType?.Name}.{method.Name} must return Task or Task<T> (returns {returnType.Name})");

        // (Grain g, object[] a) => ((IFace)g).Method((T0)a[0], ...)
        var grain = Expression.Parameter(typeof(Grain), "g");
        var args = Expression.Parameter(typeof(object[]), "a");
        var call = Expression.Call(Expression.Convert(grain, method.DeclaringType!), method,
            method.GetParameters().Select((p, i) => Expression.Convert(Expression.ArrayIndex(args, Expression.Constant(i)), p.ParameterType)));
        Expression body = returnType == typeof(Task) ? Expression.Call(typeof(GrainProxy).GetMethod(nameof(AsBool), BindingFlags.NonPublic | BindingFlags.Static)!, call) : call;
        var invokerType = typeof(Func<,,>).MakeGenericType(typeof(Grain), typeof(object[]), typeof(Task<>).MakeGenericType(resultType));
        var invoker = Expression.Lambda(invokerType, body, grain, args).Compile();
        var make = typeof(GrainProxy).GetMethod(nameof(MakeDispatcher), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(resultType);
        return (Func<GrainProxy, object?[]?, object>)make.Invoke(null, [method.Name, invoker])!;
    }

    private static async Task<bool> AsBool(Task task)
    {
        await task.ConfigureAwait(false);
        return true;
    }

    private static Func<GrainProxy, object?[]?, object> MakeDispatcher<T>(string methodName, Func<Grain, object[], Task<T>> invoker) =>
        (proxy, args) => proxy.Runtime.CallAsync(proxy.Id, methodName, invoker, (object[])(args ?? []));
}
