using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Ingress;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Tunnel;
using Hoshino.UnitTests.Packets;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

/// <summary>The ingress pump with and without a network key, and egress → store → ingress with keys.</summary>
public sealed class IngressPumpSealingTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly HoshinoMetrics _metrics = new(TimeProvider.System, "test");
    private readonly ChannelTunDevice _tun = new();
    private readonly MemoryPacketStore _memory = new();
    private readonly ScriptedStore _store;
    private readonly RecordingLogger<IngressPump> _log = new();
    private readonly NetworkKey _key = NetworkKey.Generate();
    private readonly NetworkKey _otherKey = NetworkKey.Generate();
    private int _sequence;

    public IngressPumpSealingTests() => _store = new ScriptedStore(_memory);

    public void Dispose()
    {
        _tun.Dispose();
        _key.Dispose();
        _otherKey.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IngressPump CreatePump(NetworkKey? key) =>
        new(_tun, _store, Self, _metrics, _time, _log, new IngressOptions { Key = key });

    private string NextKey(IPAddress source)
    {
        DateTimeOffset made = _time.GetUtcNow() - TimeSpan.FromSeconds(10) + TimeSpan.FromMilliseconds(Interlocked.Increment(ref _sequence));
        return new ObjectKey(Self16, Address16.From(source), Ulid.NewUlid(made)).ToString();
    }

    private async Task<string> PutSealedAsync(NetworkKey key, params byte[][] packets)
    {
        string name = NextKey(Peer);
        await _store.PutAsync(name, SealedBundleTests.Sealed(key, name, packets), Ct);
        return name;
    }

    private async Task<string> PutAsync(byte[] body)
    {
        string name = NextKey(Peer);
        await _store.PutAsync(name, body, Ct);
        return name;
    }

    private List<byte[]> Written()
    {
        var written = new List<byte[]>();
        while (_tun.Written.TryRead(out byte[]? packet))
        {
            written.Add(packet);
        }
        return written;
    }

    private long TotalRejected() => Enum.GetValues<RejectReason>().Sum(r => _metrics.Rejected(r));

    [Fact]
    public async Task PollOnce_KeySet_SealedObjectsDeliveredInOrder()
    {
        await PutSealedAsync(_key, Numbered(Peer, Self, 1), Numbered(Peer, Self, 2));
        await PutSealedAsync(_key, Numbered(Peer, Self, 3));
        using IngressPump pump = CreatePump(_key);

        Assert.Equal(PollOutcome.Work, await pump.PollOnceAsync(Ct));

        Assert.Equal([1, 2, 3], Written().Select(p => SequenceOf(p)));
        Assert.Equal(0, _memory.Count);
        Assert.Equal(0, TotalRejected());
    }

    public static TheoryData<string> UnsealedBodies => ["plain-bundle", "bare-ipv6"];

    [Theory]
    [MemberData(nameof(UnsealedBodies))]
    public async Task PollOnce_KeySet_UnsealedObject_RejectedUnsealedAndWarned(string kind)
    {
        byte[] packet = Ipv6(Peer, Self);
        string name = await PutAsync(kind == "bare-ipv6" ? packet : Bundle(packet));
        using IngressPump pump = CreatePump(_key);

        await pump.PollOnceAsync(Ct);

        Assert.Empty(Written());
        Assert.Equal(0, _memory.Count);
        Assert.Equal(1, _metrics.Rejected(RejectReason.Unsealed));
        Assert.Equal(1, TotalRejected());
        string warning = Assert.Single(_log.Messages(LogLevel.Warning));
        Assert.Contains(name, warning, StringComparison.Ordinal);
        Assert.Contains("the sender runs without --network-key-file", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PollOnce_KeySet_SealedWithAnotherKey_RejectedAuthFailedAndWarned()
    {
        string name = await PutSealedAsync(_otherKey, Ipv6(Peer, Self));
        using IngressPump pump = CreatePump(_key);

        await pump.PollOnceAsync(Ct);

        Assert.Empty(Written());
        Assert.Equal(0, _memory.Count);
        Assert.Equal(1, _metrics.Rejected(RejectReason.AuthFailed));
        Assert.Equal(1, TotalRejected());
        string warning = Assert.Single(_log.Messages(LogLevel.Warning));
        Assert.Contains(name, warning, StringComparison.Ordinal);
        Assert.Contains("failed authentication: the sender uses a different network key", warning, StringComparison.Ordinal);
        Assert.Contains(_key.Fingerprint, warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PollOnce_KeySet_SealedObjectRefiledUnderFreshKey_RejectedAuthFailed()
    {
        // Someone with write access to the bucket copies a captured object under a new ULID (to
        // replay it past --max-packet-age): the object key is authenticated, so it does not open.
        string original = NextKey(Peer);
        byte[] body = SealedBundleTests.Sealed(_key, original, Ipv6(Peer, Self));
        await _store.PutAsync(NextKey(Peer), body, Ct);
        using IngressPump pump = CreatePump(_key);

        await pump.PollOnceAsync(Ct);

        Assert.Empty(Written());
        Assert.Equal(1, _metrics.Rejected(RejectReason.AuthFailed));
    }

    [Fact]
    public async Task PollOnce_NoKey_SealedObject_RejectedSealedAndWarnedToPassTheKeyFile()
    {
        string name = await PutSealedAsync(_key, Ipv6(Peer, Self));
        using IngressPump pump = CreatePump(key: null);

        await pump.PollOnceAsync(Ct);

        Assert.Empty(Written());
        Assert.Equal(0, _memory.Count);
        Assert.Equal(1, _metrics.Rejected(RejectReason.Sealed));
        string warning = Assert.Single(_log.Messages(LogLevel.Warning));
        Assert.Contains(name, warning, StringComparison.Ordinal);
        Assert.Contains("sealed with a network key this node does not have: pass --network-key-file", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PollOnce_KeyMismatchKeepsHappening_OneWarningPer30sWithSuppressedCountAndEveryObjectCounted()
    {
        using IngressPump pump = CreatePump(_key);
        for (int i = 0; i < 5; i++)
        {
            await PutSealedAsync(_otherKey, Ipv6(Peer, Self));
        }

        await pump.PollOnceAsync(Ct);
        await pump.PollOnceAsync(Ct); // collects the delete
        Assert.Single(_log.Messages(LogLevel.Warning));

        _time.Advance(TimeSpan.FromSeconds(10));
        await PutSealedAsync(_otherKey, Ipv6(Peer, Self));
        await pump.PollOnceAsync(Ct);
        Assert.Single(_log.Messages(LogLevel.Warning)); // still within 30 s

        _time.Advance(TimeSpan.FromSeconds(21));
        await PutSealedAsync(_otherKey, Ipv6(Peer, Self));
        await pump.PollOnceAsync(Ct); // reads the listing made while the last poll's GET ran
        await pump.PollOnceAsync(Ct);

        IReadOnlyList<string> warnings = _log.Messages(LogLevel.Warning);
        Assert.Equal(2, warnings.Count);
        Assert.Contains("(5 similar messages suppressed", warnings[1], StringComparison.Ordinal);
        Assert.Equal(7, _metrics.Rejected(RejectReason.AuthFailed));
        string page = _metrics.WritePrometheus();
        Assert.Equal(7, PrometheusText.Value(page, "hoshino_rejected_objects_total{reason=\"auth_failed\"}"));
        Assert.Equal(0, PrometheusText.Value(page, "hoshino_rejected_objects_total{reason=\"unsealed\"}"));
    }

    [Fact]
    public async Task PollOnce_DifferentCauses_EachWarnedDespiteTheOthers()
    {
        using IngressPump pump = CreatePump(_key);
        await PutSealedAsync(_otherKey, Ipv6(Peer, Self));
        await PutAsync(Bundle(Ipv6(Peer, Self)));
        await PutAsync([0x00, .. "garbage"u8]); // 0x00: "g" would look like IPv6

        await pump.PollOnceAsync(Ct);

        IReadOnlyList<string> warnings = _log.Messages(LogLevel.Warning);
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("failed authentication", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("not sealed", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("malformed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PollOnce_AnyOutcome_NeverLogsKeyMaterial()
    {
        using IngressPump pump = CreatePump(_key);
        await PutSealedAsync(_otherKey, Ipv6(Peer, Self));
        await PutSealedAsync(_key, Ipv6(Peer, Self));
        await PutAsync(Ipv6(Peer, Self));

        await pump.PollOnceAsync(Ct);

        foreach ((_, _, string message) in _log.Entries)
        {
            foreach (NetworkKey key in new[] { _key, _otherKey })
            {
                string text = NetworkKeyFile.ToText(key);
                Assert.DoesNotContain(text, message, StringComparison.Ordinal);
                Assert.DoesNotContain(text[..12], message, StringComparison.Ordinal);
                Assert.DoesNotContain(Convert.ToHexString(Convert.FromBase64String(text))[..16], message, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    // Egress → store → ingress, both pumps real, with the shared in-memory store.

    private async Task<List<byte[]>> SendThroughAsync(NetworkKey? senderKey, NetworkKey? receiverKey, int count)
    {
        using var senderTun = new ChannelTunDevice();
        var egressOptions = new EgressOptions { Key = senderKey }; // the default: v2 streams
        using var egress = new EgressPump(senderTun, _store, Peer, Network, _metrics, new MonotonicUlid(TimeProvider.System), TimeProvider.System,
            NullLogger<EgressPump>.Instance, egressOptions);
        for (int i = 0; i < count; i++)
        {
            egress.Accept(Numbered(Peer, Self, i, payloadLength: 100 + i));
        }
        await Eventually.True(() => _metrics.Packets(Direction.Egress) + _metrics.Dropped(Direction.Egress, DropReason.StoreRejected) >= count, "egress stored every packet");

        using var ingress = new IngressPump(_tun, _store, Self, _metrics, TimeProvider.System, _log, new IngressOptions { Key = receiverKey });
        await ingress.PollOnceAsync(Ct);
        await ingress.Streams.SettleAsync(Ct); // v2 objects are read and written by the stream receiver
        return Written();
    }

    [Fact]
    public async Task EgressToIngress_SameKey_EveryPacketArrivesInOrderAndStoredObjectsAreSealed()
    {
        List<byte[]> written = await SendThroughAsync(_key, _key, 20);
        List<byte[]> seen = [.. _store.Puts.Select(p => p.Body)];

        Assert.Equal(Enumerable.Range(0, 20), written.Select(p => SequenceOf(p)));
        Assert.NotEmpty(seen);
        foreach (byte[] body in seen)
        {
            Assert.Equal([.. "HSN"u8, BundleFormat.Version2, BundleFormat.FlagSealed], body[..5]);
            Assert.Equal(-1, body.AsSpan().IndexOf(Peer.GetAddressBytes()));
        }
        Assert.Equal(0, TotalRejected());
    }

    [Fact]
    public async Task EgressToIngress_DifferentKeys_NothingArrivesAndAuthFailedCounted()
    {
        List<byte[]> written = await SendThroughAsync(_key, _otherKey, 5);

        Assert.Empty(written);
        Assert.True(_metrics.Rejected(RejectReason.AuthFailed) >= 1);
        Assert.Equal(_metrics.Rejected(RejectReason.AuthFailed), TotalRejected());
        Assert.Contains(_log.Messages(LogLevel.Warning), w => w.Contains("different network key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EgressToIngress_SenderKeyedReceiverNot_RejectedSealed()
    {
        List<byte[]> written = await SendThroughAsync(_key, receiverKey: null, 3);

        Assert.Empty(written);
        Assert.True(_metrics.Rejected(RejectReason.Sealed) >= 1);
        Assert.Contains(_log.Messages(LogLevel.Warning), w => w.Contains("pass --network-key-file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EgressToIngress_ReceiverKeyedSenderNot_RejectedUnsealed()
    {
        List<byte[]> written = await SendThroughAsync(senderKey: null, _key, 3);

        Assert.Empty(written);
        Assert.True(_metrics.Rejected(RejectReason.Unsealed) >= 1);
    }

    [Fact]
    public async Task EgressToIngress_NoKeys_StillWorks()
    {
        List<byte[]> written = await SendThroughAsync(null, null, 4);

        Assert.Equal(Enumerable.Range(0, 4), written.Select(p => SequenceOf(p)));
    }
}
