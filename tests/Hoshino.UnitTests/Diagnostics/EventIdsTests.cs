using System.Reflection;
using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.UnitTests.Diagnostics;

/// <summary>
/// The event id table (STYLE 5.8) stays a table: one id per message, every message's id from it,
/// and nothing in it that no message uses. Reflects over every [LoggerMessage] the product has.
/// </summary>
public sealed class EventIdsTests
{
    private static readonly IReadOnlyList<(string Method, int Id)> Messages = LoggerMessages();

    private static readonly IReadOnlyList<(string Name, int Id)> Table =
    [
        .. typeof(EventIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .Select(f => (f.Name, (int)f.GetRawConstantValue()!)),
    ];

    [Fact]
    public void LoggerMessages_FoundInEveryProductAssembly()
    {
        // The walk below must see the messages of each layer, or the other tests prove nothing.
        Assert.Contains(Messages, m => m.Method.StartsWith("Hoshino.Egress.", StringComparison.Ordinal));
        Assert.Contains(Messages, m => m.Method.StartsWith("Hoshino.Ingress.", StringComparison.Ordinal));
        Assert.Contains(Messages, m => m.Method.StartsWith("Hoshino.Cli.", StringComparison.Ordinal));
        Assert.True(Table.Count > 10, $"only {Table.Count} constants in EventIds");
    }

    [Fact]
    public void LoggerMessages_EachIdBelongsToOneMessage()
    {
        string[] shared = [.. Messages.GroupBy(m => m.Id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}")];

        Assert.True(shared.Length == 0, $"event ids used by more than one message:\n{string.Join('\n', shared)}");
    }

    [Fact]
    public void LoggerMessages_EachIdComesFromTheTable()
    {
        HashSet<int> table = [.. Table.Select(c => c.Id)];

        string[] strays = [.. Messages.Where(m => !table.Contains(m.Id)).Select(m => $"{m.Method}: {m.Id}")];

        Assert.True(strays.Length == 0, $"messages whose id is not an EventIds constant (or none):\n{string.Join('\n', strays)}");
    }

    [Fact]
    public void EventIds_EachConstantIsLoggedAndDistinct()
    {
        HashSet<int> used = [.. Messages.Select(m => m.Id)];

        string[] unused = [.. Table.Where(c => !used.Contains(c.Id)).Select(c => $"{c.Name} = {c.Id}")];

        Assert.True(unused.Length == 0, $"EventIds constants no [LoggerMessage] uses; remove them:\n{string.Join('\n', unused)}");
        Assert.Equal(Table.Count, Table.Select(c => c.Id).Distinct().Count());
    }

    /// <summary>Every [LoggerMessage] in the hoshino executable and the Hoshino assemblies it references.</summary>
    private static List<(string Method, int Id)> LoggerMessages()
    {
        var assemblies = new Dictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<AssemblyName>([new AssemblyName("hoshino")]);
        while (pending.TryPop(out AssemblyName? name))
        {
            if (assemblies.ContainsKey(name.Name!))
            {
                continue;
            }
            Assembly assembly = Assembly.Load(name);
            assemblies[name.Name!] = assembly;
            foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name!.StartsWith("Hoshino", StringComparison.OrdinalIgnoreCase))
                {
                    pending.Push(reference);
                }
            }
        }
        Assert.Superset(new HashSet<string>(["hoshino", "Hoshino.Core", "Hoshino.Linux", "Hoshino.S3"], StringComparer.OrdinalIgnoreCase),
            new HashSet<string>(assemblies.Keys, StringComparer.OrdinalIgnoreCase));

        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        return
        [
            .. from assembly in assemblies.Values
               from type in assembly.GetTypes()
               from method in type.GetMethods(All)
               let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
               where attribute is not null
               select ($"{type.FullName}.{method.Name}", attribute.EventId),
        ];
    }
}
