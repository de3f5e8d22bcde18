using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Ingress;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;
using Hoshino.Tunnel;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

/// <summary>One ingress pump's surroundings for a test: a fake clock, a TUN double, a scripted store over a real one, options.</summary>
public abstract class IngressPumpFixture : IDisposable
{
    private readonly TimeSpan _defaultAge;
    private int _sequence;

    private protected IngressPumpFixture(IPacketStore inner, DateTimeOffset start, TimeSpan defaultAge)
    {
        _store = new ScriptedStore(inner);
        _time = new FakeTimeProvider(start);
        _defaultAge = defaultAge;
    }

    private protected readonly FakeTimeProvider _time;
    private protected readonly HoshinoMetrics _metrics = new(TimeProvider.System, "test");
    private protected readonly ChannelTunDevice _tun = new();
    private protected readonly ScriptedStore _store;
    private protected readonly IngressOptions _options = new();

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public virtual void Dispose()
    {
        _tun.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected IngressPump CreatePump(TimeProvider? time = null) =>
        new(_tun, _store, Self, _metrics, time ?? _time, NullLogger<IngressPump>.Instance, _options);

    /// <summary>Stores <paramref name="body"/> under a fresh key from <paramref name="source"/>, dated <paramref name="age"/> ago; later calls sort later per sender.</summary>
    private protected async Task<string> PutAsync(IPAddress source, byte[] body, TimeSpan? age = null)
    {
        DateTimeOffset made = _time.GetUtcNow() - (age ?? _defaultAge) + TimeSpan.FromMilliseconds(Interlocked.Increment(ref _sequence));
        string key = new ObjectKey(Self16, Address16.From(source), Ulid.NewUlid(made)).ToString();
        await _store.Inner.PutAsync(key, body, Ct);
        return key;
    }

    /// <summary>Stores <paramref name="body"/> as object <paramref name="sequence"/> of <paramref name="source"/>'s stream <paramref name="epoch"/> (transport v2).</summary>
    private protected async Task<string> PutStreamAsync(IPAddress source, Ulid epoch, long sequence, byte[] body)
    {
        string key = new StreamKey(Self16, Address16.From(source), epoch, sequence).ToString();
        await _store.Inner.PutAsync(key, body, Ct);
        return key;
    }

    private protected async Task<List<string>> InboxAsync() =>
        [.. (await _store.Inner.ListAsync(ObjectKey.InboxOf(Self16), 1000, Ct)).Select(o => o.Key)];

    /// <summary>The packets the pump wrote into the TUN since the last call.</summary>
    private protected List<byte[]> Written()
    {
        var written = new List<byte[]>();
        while (_tun.Written.TryRead(out byte[]? packet))
        {
            written.Add(packet);
        }
        return written;
    }
}
