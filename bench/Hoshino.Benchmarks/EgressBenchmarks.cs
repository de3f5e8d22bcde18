using System.Net;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Store;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoshino.Benchmarks;

/// <summary>
/// The whole egress path per packet, store excluded: classify, copy into a pooled buffer, queue,
/// and (on the sender task) bundle, key and PUT into a store that returns at once. Allocations
/// include the sender's, which run on other threads.
/// </summary>
public class EgressBenchmarks
{
    private static readonly IPAddress Self = IPAddress.Parse("fd5e:59b8:f71d:9a3e::a");
    private static readonly IPAddress Peer = IPAddress.Parse("fd5e:59b8:f71d:9a3e::b");
    private EgressPump _pump = null!;
    private HoshinoMetrics _metrics = null!;
    private byte[] _packet = [];

    [GlobalSetup]
    public void Setup()
    {
        _metrics = new HoshinoMetrics(TimeProvider.System, "bench");
        _pump = new EgressPump(new ChannelTunDevice(), NullStore.Create(), Self, IPNetwork.Parse("fd5e:59b8:f71d:9a3e::/64"), _metrics,
            new MonotonicUlid(TimeProvider.System), TimeProvider.System, NullLogger<EgressPump>.Instance, new EgressOptions());
        _packet = Packets.Ipv6(Self, Peer, 1240);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pump.Dispose();
    }

    [Benchmark(Description = "EgressPump.Accept, 1,280 B packet (no-op store)")]
    public void Accept() => _pump.Accept(_packet);

    /// <summary>
    /// A store whose every request succeeds at once with an empty result. A proxy rather than a class,
    /// so the benchmark keeps building while IPacketStore grows (one small allocation per request).
    /// </summary>
    public class NullStore : DispatchProxy
    {
        public static IPacketStore Create() => Create<IPacketStore, NullStore>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            Type type = targetMethod!.ReturnType;
            if (type == typeof(Task))
            {
                return Task.CompletedTask;
            }
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>))
            {
                Type result = type.GetGenericArguments()[0];
                object? value = result.IsValueType ? Activator.CreateInstance(result) : null;
                return typeof(Task).GetMethod(nameof(Task.FromResult))!.MakeGenericMethod(result).Invoke(null, [value]);
            }
            return type == typeof(string) ? "null" : null;
        }
    }
}
