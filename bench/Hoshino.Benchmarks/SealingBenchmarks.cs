using System.Net;
using BenchmarkDotNet.Attributes;
using Hoshino.Packets;

namespace Hoshino.Benchmarks;

/// <summary>
/// The cost of --network-key-file: sealing one object (egress) and opening it (ingress, which
/// decrypts in place, so each run first copies the sealed object; the copy is in the figure).
/// </summary>
public class SealingBenchmarks
{
    private const string ObjectKey = "fd5e:59b8:f71d:9a3e::b/fd5e:59b8:f71d:9a3e::a/01JDQ3Z5T9X4M8W2C6B0N7K1RE";
    private static readonly IPAddress Self = IPAddress.Parse("fd5e:59b8:f71d:9a3e::b");
    private static readonly IPAddress Peer = IPAddress.Parse("fd5e:59b8:f71d:9a3e::a");
    private readonly List<Range> _frames = [];
    private readonly NetworkKey _key = NetworkKey.Generate();
    private byte[] _plain = [], _sealed = [], _work = [];

    /// <summary>One ping; 32 small segments; a bulk bundle at the default MTU.</summary>
    [Params("1x104", "32x1280", "16x53049")]
    public string Shape { get; set; } = "1x104";

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        int count = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        int size = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        byte[][] packets = [.. Enumerable.Range(0, count).Select(_ => Packets.Ipv6(Peer, Self, size - Ipv6Packet.HeaderLength))];
        _plain = new byte[BundleFormat.EncodedLength(count, count * size, seal: true)];
        int offset = BundleFormat.WriteHeader(_plain, BundleFormat.FlagSealed); // returns where the first frame goes, past the room for the nonce
        foreach (byte[] p in packets)
        {
            offset += BundleFormat.WriteFrame(_plain.AsSpan(offset), p);
        }
        _sealed = (byte[])_plain.Clone();
        BundleFormat.Seal(_sealed, ObjectKey, _key);
        _work = new byte[_sealed.Length];
        if (Open() != RejectReason.None)
        {
            throw new InvalidOperationException("the benchmark's sealed object does not open and validate");
        }
    }

    [Benchmark(Description = "seal (AES-256-GCM, in place)")]
    public int Seal()
    {
        _plain.CopyTo(_work, 0);
        BundleFormat.Seal(_work, ObjectKey, _key);
        return _work[^1];
    }

    [Benchmark(Description = "open + validate")]
    public RejectReason Open()
    {
        _sealed.CopyTo(_work, 0);
        return BundleFormat.Decode(_work, ObjectKey, _key, Address16.From(Peer), Address16.From(Self), _frames);
    }
}
