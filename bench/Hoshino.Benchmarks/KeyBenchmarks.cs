using System.Net;
using BenchmarkDotNet.Attributes;
using Hoshino.Packets;
using Hoshino.Store;

namespace Hoshino.Benchmarks;

/// <summary>Object keys: made once per PUT, parsed once per listed object on every poll.</summary>
public class KeyBenchmarks
{
    private static readonly Address16 Self = Address16.From(IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"));
    private static readonly Address16 Peer = Address16.From(IPAddress.Parse("fd5e:59b8:f71d:9a3e:1234:5678:9abc:def0"));
    private readonly MonotonicUlid _ids = new(TimeProvider.System);
    private ObjectKey _key;
    private string _text = "";

    [GlobalSetup]
    public void Setup()
    {
        _key = new ObjectKey(Peer, Self, _ids.Next());
        _text = _key.ToString();
    }

    [Benchmark(Description = "MonotonicUlid.Next")]
    public Ulid NextId() => _ids.Next();

    [Benchmark(Description = "ObjectKey.ToString (format)")]
    public string Format() => _key.ToString();

    [Benchmark(Description = "ObjectKey.TryParse")]
    public bool Parse() => ObjectKey.TryParse(_text, out _);
}
