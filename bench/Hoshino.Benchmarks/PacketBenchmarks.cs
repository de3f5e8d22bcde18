using System.Net;
using BenchmarkDotNet.Attributes;
using Hoshino.Packets;

namespace Hoshino.Benchmarks;

/// <summary>What egress does to every packet the kernel hands it before queuing it.</summary>
public class PacketBenchmarks
{
    private static readonly IPAddress Self = IPAddress.Parse("fd5e:59b8:f71d:9a3e::a");
    private static readonly IPAddress Peer = IPAddress.Parse("fd5e:59b8:f71d:9a3e::b");
    private readonly Address16 _self = Address16.From(Self);
    private readonly ulong _networkHigh = Address16.From(Self).High;
    private byte[] _ping = [];

    [GlobalSetup]
    public void Setup() => _ping = Packets.Ipv6(Self, Peer, 64);

    [Benchmark(Description = "Ipv6Packet.TryParse")]
    public bool TryParse() => Ipv6Packet.TryParse(_ping, out _);

    /// <summary>The classification in EgressPump.Accept: parse, destination in the network and not self, source is self.</summary>
    [Benchmark(Description = "classify (parse + Address16 + checks)")]
    public bool Classify()
    {
        if (!Ipv6Packet.TryParse(_ping, out Ipv6Packet ip))
        {
            return false;
        }
        var destination = Address16.From(ip.Destination);
        return destination.High == _networkHigh && destination != _self && _self.Equals(ip.Source);
    }

    [Benchmark(Description = "Address16.ToString (key segment)")]
    public string AddressText() => _self.ToString();
}
