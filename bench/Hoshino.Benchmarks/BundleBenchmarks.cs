using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using Hoshino.Packets;

namespace Hoshino.Benchmarks;

/// <summary>Bundle encode (egress, as EgressPump.SendBundleAsync does it) and decode (ingress validation).</summary>
public class BundleBenchmarks
{
    private static readonly IPAddress Self = IPAddress.Parse("fd5e:59b8:f71d:9a3e::a");
    private static readonly IPAddress Peer = IPAddress.Parse("fd5e:59b8:f71d:9a3e::b");
    private readonly List<Range> _frames = [];
    private byte[][] _packets = [];
    private byte[] _bundle = [];

    /// <summary>1 x 104 B: one ping; 32 x 1,280 B: small TCP segments; 16 x 53,049 B: a bulk bundle at the default MTU.</summary>
    [Params("1x104", "32x1280", "16x53049")]
    public string Shape { get; set; } = "1x104";

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        int count = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        int size = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        _packets = [.. Enumerable.Range(0, count).Select(_ => Packets.Ipv6(Peer, Self, size - Ipv6Packet.HeaderLength))];
        _bundle = new byte[BundleFormat.EncodedLength(count, count * size)];
        int offset = BundleFormat.WriteHeader(_bundle);
        foreach (byte[] p in _packets)
        {
            offset += BundleFormat.WriteFrame(_bundle.AsSpan(offset), p);
        }
    }

    [Benchmark(Description = "encode (pooled buffer)")]
    public int Encode()
    {
        int bytes = 0;
        foreach (byte[] p in _packets)
        {
            bytes += p.Length;
        }
        int length = BundleFormat.EncodedLength(_packets.Length, bytes);
        byte[] body = ArrayPool<byte>.Shared.Rent(length);
        int offset = BundleFormat.WriteHeader(body);
        foreach (byte[] p in _packets)
        {
            offset += BundleFormat.WriteFrame(body.AsSpan(offset), p);
        }
        ArrayPool<byte>.Shared.Return(body);
        return offset;
    }

    [Benchmark(Description = "decode + validate")]
    public RejectReason Decode() => BundleFormat.Decode(_bundle, Address16.From(Peer), Address16.From(Self), _frames);
}
