using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;
using Hoshino.Tunnel;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Egress;

/// <summary>The egress pump's behaviour in v1 (today's names, one PUT in flight).</summary>
public sealed class EgressPumpV1Tests() : EgressPumpTests(WireFormat.V1);

/// <summary>The same behaviour in v2: small packets keep one PUT in flight, so everything v1 does holds; names are stream keys.</summary>
public sealed class EgressPumpV2Tests() : EgressPumpTests(WireFormat.V2);

/// <summary>What the egress pump does in either wire format; one subclass per format.</summary>
public abstract class EgressPumpTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    private readonly HoshinoMetrics _metrics = new(TimeProvider.System, "test");
    private readonly ChannelTunDevice _tun = new();
    private readonly ScriptedStore _store = new();
    private readonly EgressOptions _options = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly WireFormat _format;

    protected EgressPumpTests(WireFormat format)
    {
        _format = format;
        _options.WireFormat = format;
    }

    public void Dispose()
    {
        _release.TrySetResult();
        _tun.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private EgressPump CreatePump(TimeProvider? time = null, IPacketStore? store = null, Action<Address16>? packetQueued = null)
    {
        time ??= TimeProvider.System;
        return new EgressPump(_tun, store ?? _store, Self, Network, _metrics, new MonotonicUlid(time), time,
            NullLogger<EgressPump>.Instance, _options, packetQueued);
    }

    /// <summary>PUTs to <paramref name="destination"/> (or all) wait until <see cref="_release"/> completes.</summary>
    private void HoldPuts(Address16? destination = null) =>
        _store.BeforePut = async (key, ct) =>
        {
            if (destination is null || key.StartsWith(ObjectKey.InboxOf(destination.Value), StringComparison.Ordinal))
            {
                await _release.Task.WaitAsync(ct);
            }
        };

    private List<(StoredName Key, List<byte[]> Packets)> PutsTo(Address16 destination) =>
        [.. _store.Puts.Select(p => (Key: Parse(p.Key), p.Body))
            .Where(p => p.Key.Destination == destination)
            .Select(p => (p.Key, Unbundle(p.Body, Self16, destination)))];

    /// <summary>What every stored name has in either format; the text sorts in the order the bundles were made.</summary>
    private readonly record struct StoredName(Address16 Destination, Address16 Source, string Text)
    {
        public override string ToString() => Text;
    }

    /// <summary>Parses a stored key, asserting it has the pump's wire format.</summary>
    private StoredName Parse(string key)
    {
        if (_format is WireFormat.V1)
        {
            Assert.True(ObjectKey.TryParse(key, out ObjectKey? v1), key);
            return new StoredName(v1.Value.Destination, v1.Value.Source, key);
        }
        Assert.True(StreamKey.TryParse(key, out StreamKey? v2), key);
        return new StoredName(v2.Value.Destination, v2.Value.Source, key);
    }

    private int QueueDepth() => (int)PrometheusText.Value(_metrics.WritePrometheus(), "hoshino_egress_queue_depth");

    public static TheoryData<string, IgnoreReason> IgnoredPackets => new()
    {
        { "ipv4", IgnoreReason.NotIpv6 },
        { "short", IgnoreReason.NotIpv6 },
        { "payload-length-mismatch", IgnoreReason.NotIpv6 },
        { "multicast", IgnoreReason.NotInNetwork },
        { "link-local", IgnoreReason.NotInNetwork },
        { "other-network", IgnoreReason.NotInNetwork },
        { "neighbouring-64", IgnoreReason.NotInNetwork },
        { "to-self", IgnoreReason.NotInNetwork },
        { "not-from-self", IgnoreReason.NotFromSelf },
        { "from-link-local", IgnoreReason.NotFromSelf },
    };

    [Theory]
    [MemberData(nameof(IgnoredPackets), MemberType = typeof(EgressPumpTests))]
    public async Task Accept_PacketNotForTheTunnel_CountedIgnoredAndNeverStored(string kind, IgnoreReason expected)
    {
        byte[] packet = kind switch
        {
            "ipv4" => [0x45, 0, 0, 40, .. new byte[36]],
            "short" => Ipv6(Self, Peer)[..39],
            "payload-length-mismatch" => [.. Ipv6(Self, Peer), 0],
            "multicast" => Ipv6(Self, IPAddress.Parse("ff02::1")),
            "link-local" => Ipv6(Self, IPAddress.Parse("fe80::1")),
            "other-network" => Ipv6(Self, IPAddress.Parse("2001:db8::1")),
            "neighbouring-64" => Ipv6(Self, IPAddress.Parse("fd5e:59b8:f71d:9a3f::2")),
            "to-self" => Ipv6(Self, Self),
            "not-from-self" => Ipv6(OtherPeer, Peer),
            "from-link-local" => Ipv6(IPAddress.Parse("fe80::1"), Peer),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        int queued = 0;
        using EgressPump pump = CreatePump(packetQueued: _ => Interlocked.Increment(ref queued));

        pump.Accept(packet);
        pump.Accept(Numbered(Self, Peer, 1)); // a good packet after it, to know the pump had its chance
        await Eventually.True(() => !_store.Puts.IsEmpty, "the good packet was stored");

        Assert.Equal(1, _metrics.Ignored(expected));
        Assert.Equal(1, Enum.GetValues<IgnoreReason>().Sum(r => _metrics.Ignored(r)));
        Assert.Equal(1, _store.PutAttempts);
        Assert.Equal([1], PutsTo(Peer16).SelectMany(p => p.Packets).Select(p => SequenceOf(p)));
        Assert.Equal(1, queued);
    }

    [Fact]
    public async Task RunAsync_OnePacket_PutAtOnceAsOneFrameBundleUnderDestSrcUlid()
    {
        using var dir = new TempDirectory();
        var directory = new DirectoryPacketStore(dir.Path);
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, 250, TimeSpan.Zero)); // never advanced: no timer may be involved
        using EgressPump pump = CreatePump(time, directory);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = pump.RunAsync(stop.Token);
        byte[] packet = Ipv6(Self, Peer, payloadLength: 100);

        _tun.Inject(packet);
        // The ring follows the bundle's PUT: wait for both, or stopping may abort the ring.
        await Eventually.True(async () => (await directory.ListAsync(ObjectKey.InboxOf(Peer16), 10, Ct)).Count >= 2, "the bundle was stored and rang");
        await stop.CancelAsync();
        await run.WaitAsync(Generous, Ct);

        IReadOnlyList<StoredObject> inbox = await directory.ListAsync(ObjectKey.InboxOf(Peer16), 10, Ct);
        Assert.Contains(inbox, o => o.Key == ObjectKey.DoorbellOf(Peer16)); // the first bundle to a peer rings
        StoredObject stored = Assert.Single(inbox, o => o.Key != ObjectKey.DoorbellOf(Peer16));
        StoredName key = Parse(stored.Key);
        Assert.Equal(Peer16, key.Destination);
        Assert.Equal(Self16, key.Source);
        if (_format is WireFormat.V1)
        {
            Assert.True(ObjectKey.TryParse(stored.Key, out ObjectKey? v1));
            Assert.Equal(time.GetUtcNow(), v1.Value.Id.Time);
        }
        else
        {
            Assert.True(StreamKey.TryParse(stored.Key, out StreamKey? v2));
            Assert.Equal(time.GetUtcNow(), v2.Value.Epoch.Time); // the epoch was minted when the stream began
            Assert.Equal(0, v2.Value.Sequence);
        }
        byte[]? body = await directory.GetAsync(stored.Key, 1 << 20, Ct);
        Assert.NotNull(body);
        Assert.Equal("HSN"u8.ToArray(), body[..3]);
        Assert.Equal([packet], Unbundle(body, Self16, Peer16));
        Assert.Equal(1, _metrics.Packets(Direction.Egress));
        Assert.Equal(packet.Length, _metrics.Bytes(Direction.Egress));
    }

    [Fact]
    public async Task Ring_FirstBundleAfterQuietSpell_RingsAfterTheBundleIsStoredAndNotForFollowers()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var storedBeforeRing = new System.Collections.Concurrent.ConcurrentQueue<int>();
        _store.BeforeRing = (_, _) =>
        {
            storedBeforeRing.Enqueue(_store.Puts.Count);
            return Task.CompletedTask;
        };
        using EgressPump pump = CreatePump(time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = pump.RunAsync(stop.Token);

        _tun.Inject(Numbered(Self, Peer, 0));
        await Eventually.True(() => _store.Rings.Count == 1, "the first bundle rang");
        time.Advance(_options.RingAfter / 2);
        _tun.Inject(Numbered(Self, Peer, 1)); // the receiver is still listing: no ring
        await Eventually.True(() => _store.Puts.Count == 2, "the second bundle was stored");
        time.Advance(_options.RingAfter + TimeSpan.FromMilliseconds(1));
        _tun.Inject(Numbered(Self, Peer, 2)); // a quiet spell since the last bundle: ring again
        await Eventually.True(() => _store.Rings.Count == 2, "the bundle after the quiet spell rang");
        _tun.Inject(Numbered(Self, OtherPeer, 3)); // another destination has its own doorbell
        await Eventually.True(() => _store.Rings.Count == 3, "the first bundle to another node rang");
        await stop.CancelAsync();
        await run.WaitAsync(Generous, Ct);

        Assert.Equal([ObjectKey.DoorbellOf(Peer16), ObjectKey.DoorbellOf(Peer16), ObjectKey.DoorbellOf(OtherPeer16)], _store.Rings.Select(r => r.Key));
        Assert.Equal([1, 3, 4], storedBeforeRing); // each ring came after its bundle was stored
        Assert.Equal(3, _store.Rings.Select(r => Convert.ToHexString(r.Body)).Distinct().Count()); // a new body, so a new tag, every time
        Assert.Equal(3, _metrics.DoorbellsRung);
    }

    [Fact]
    public async Task Ring_TransientFailures_RetriedThenNextBundleRingsAgain()
    {
        _options.RetryMinDelay = TimeSpan.FromMilliseconds(1);
        _options.RingAfter = TimeSpan.FromHours(1); // only a failed ring can make a follower ring
        _store.BeforeRing = (_, _) => _store.RingAttempts <= 3
            ? throw new PacketStoreException(StoreErrorKind.Transient, "503 Slow Down")
            : Task.CompletedTask;
        using EgressPump pump = CreatePump();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = pump.RunAsync(stop.Token);

        _tun.Inject(Numbered(Self, Peer, 0));
        await Eventually.True(() => _metrics.DoorbellsFailed == 1, "the ring was given up after three tries");
        _tun.Inject(Numbered(Self, Peer, 1));
        await Eventually.True(() => _store.Rings.Count == 1, "the next bundle rang again, and got through");
        await stop.CancelAsync();
        await run.WaitAsync(Generous, Ct);

        Assert.Equal(2, _store.Puts.Count);
        Assert.Equal(4, _store.RingAttempts);
        Assert.Equal(1, _metrics.DoorbellsRung);
        Assert.Equal(2, _metrics.Packets(Direction.Egress)); // a failing doorbell never costs a packet
    }

    [Fact]
    public async Task Ring_AccessDenied_NotRetried()
    {
        _store.BeforeRing = (_, _) => throw new PacketStoreException(StoreErrorKind.AccessDenied, "403 AccessDenied");
        using EgressPump pump = CreatePump();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = pump.RunAsync(stop.Token);

        _tun.Inject(Numbered(Self, Peer, 0));
        await Eventually.True(() => _store.RingAttempts == 1, "the ring was tried");
        await stop.CancelAsync();
        await run.WaitAsync(Generous, Ct);

        Assert.Equal(1, _store.RingAttempts);
        Assert.Single(_store.Puts);
        Assert.Equal(0, _metrics.DoorbellsRung);
        Assert.Equal(1, _metrics.DoorbellsFailed);
    }

    [Fact]
    public async Task Accept_WhilePutInFlight_LaterPacketsGoTogetherInNextPut()
    {
        HoldPuts();
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 0));
        await Eventually.True(() => _store.PutAttempts == 1, "the first PUT started");
        for (int i = 1; i <= 9; i++)
        {
            pump.Accept(Numbered(Self, Peer, i));
        }
        Assert.Equal(9, QueueDepth());
        _release.SetResult();
        // The store records a PUT before the pump counts its packets: wait for both.
        await Eventually.True(() => _store.Puts.Count == 2 && _metrics.Packets(Direction.Egress) == 10, "both PUTs completed and were counted");

        var puts = PutsTo(Peer16);
        Assert.Equal([0], puts[0].Packets.Select(p => SequenceOf(p)));
        Assert.Equal(Enumerable.Range(1, 9), puts[1].Packets.Select(p => SequenceOf(p)));
        Assert.True(string.CompareOrdinal(puts[0].Key.ToString(), puts[1].Key.ToString()) < 0, "later bundles must sort later");
        Assert.Equal(2, _store.PutAttempts);
        Assert.Equal(0, QueueDepth());
        Assert.Equal(10, _metrics.Packets(Direction.Egress));
        Assert.Equal(2, PrometheusText.Value(_metrics.WritePrometheus(), "hoshino_bundles_total{direction=\"egress\"}"));
    }

    [Fact]
    public async Task Accept_DestinationBlocked_OtherDestinationNotDelayed()
    {
        HoldPuts(Peer16);
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 1));
        await Eventually.True(() => _store.PutAttempts == 1, "the PUT to the blocked peer started");
        pump.Accept(Numbered(Self, OtherPeer, 2));
        pump.Accept(Numbered(Self, OtherPeer, 3));
        await Eventually.True(() => PutsTo(OtherPeer16).SelectMany(p => p.Packets).Count() == 2, "the other peer's packets were stored");

        Assert.Empty(PutsTo(Peer16));
        _release.SetResult();
        await Eventually.True(() => PutsTo(Peer16).Count == 1, "the blocked PUT finished");
    }

    [Fact]
    public async Task Accept_MaxBundlePackets_SplitsBacklog()
    {
        _options.MaxBundlePackets = 3;
        HoldPuts();
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 0));
        await Eventually.True(() => _store.PutAttempts == 1, "the first PUT started");
        for (int i = 1; i <= 8; i++)
        {
            pump.Accept(Numbered(Self, Peer, i));
        }
        _release.SetResult();
        await Eventually.True(() => PutsTo(Peer16).SelectMany(p => p.Packets).Count() == 9, "every packet was stored");

        var puts = PutsTo(Peer16);
        Assert.Equal([1, 3, 3, 2], puts.Select(p => p.Packets.Count));
        Assert.Equal(Enumerable.Range(0, 9), puts.SelectMany(p => p.Packets).Select(p => SequenceOf(p)));
    }

    [Fact]
    public async Task Accept_MaxBundleBytes_SplitsBacklog()
    {
        _options.MaxBundleBytes = 250; // two 100-byte packets
        HoldPuts();
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 0, payloadLength: 60));
        await Eventually.True(() => _store.PutAttempts == 1, "the first PUT started");
        for (int i = 1; i <= 5; i++)
        {
            pump.Accept(Numbered(Self, Peer, i, payloadLength: 60));
        }
        _release.SetResult();
        await Eventually.True(() => PutsTo(Peer16).SelectMany(p => p.Packets).Count() == 6, "every packet was stored");

        var puts = PutsTo(Peer16);
        Assert.Equal([1, 2, 2, 1], puts.Select(p => p.Packets.Count));
        Assert.All(puts, p => Assert.True(p.Packets.Sum(x => x.Length) <= 250));
        Assert.Equal(Enumerable.Range(0, 6), puts.SelectMany(p => p.Packets).Select(p => SequenceOf(p)));
    }

    [Fact]
    public async Task Accept_PacketLargerThanMaxBundleBytes_SentAlone()
    {
        _options.MaxBundleBytes = 50;
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 0, payloadLength: 200));
        pump.Accept(Numbered(Self, Peer, 1, payloadLength: 200));
        await Eventually.True(() => PutsTo(Peer16).SelectMany(p => p.Packets).Count() == 2, "both packets were stored");

        Assert.All(PutsTo(Peer16), p => Assert.Single(p.Packets));
    }

    [Fact]
    public async Task Accept_DestinationQueueFull_DropsExcessAsQueueFull()
    {
        _options.MaxQueuedBytesPerDestination = 350; // three 100-byte packets
        HoldPuts();
        int queued = 0;
        using EgressPump pump = CreatePump(packetQueued: _ => Interlocked.Increment(ref queued));

        pump.Accept(Numbered(Self, Peer, 0, payloadLength: 60));
        await Eventually.True(() => _store.PutAttempts == 1, "the first PUT started");
        for (int i = 1; i <= 5; i++)
        {
            pump.Accept(Numbered(Self, Peer, i, payloadLength: 60));
        }

        Assert.Equal(2, _metrics.Dropped(Direction.Egress, DropReason.QueueFull));
        Assert.Equal(3, QueueDepth());
        Assert.Equal(4, queued);
        _release.SetResult();
        await Eventually.True(() => _store.Puts.Count == 2, "both PUTs completed");
        Assert.Equal([1, 2, 3], PutsTo(Peer16)[1].Packets.Select(p => SequenceOf(p)));

        // Once drained, the queue takes packets again.
        pump.Accept(Numbered(Self, Peer, 6, payloadLength: 60));
        await Eventually.True(() => _store.Puts.Count == 3, "a packet after the drain was stored");
        Assert.Equal(2, _metrics.Dropped(Direction.Egress, DropReason.QueueFull));
    }

    [Fact]
    public async Task Accept_TotalQueueFull_DropsAcrossDestinations()
    {
        _options.MaxQueuedBytes = 250;
        HoldPuts();
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 0, payloadLength: 60));
        pump.Accept(Numbered(Self, OtherPeer, 100, payloadLength: 60));
        await Eventually.True(() => _store.PutAttempts == 2, "both first PUTs started");
        pump.Accept(Numbered(Self, Peer, 1, payloadLength: 60));
        pump.Accept(Numbered(Self, OtherPeer, 101, payloadLength: 60));
        pump.Accept(Numbered(Self, OtherPeer, 102, payloadLength: 60)); // 300 bytes would be queued: dropped

        Assert.Equal(1, _metrics.Dropped(Direction.Egress, DropReason.QueueFull));
        _release.SetResult();
        await Eventually.True(() => _store.Puts.Count == 4, "every accepted packet was stored");
        Assert.Equal([100, 101], PutsTo(OtherPeer16).SelectMany(p => p.Packets).Select(p => SequenceOf(p)));
    }

    // Once a bug: the pump added a destination's state before checking the queue bounds and left it
    // there when the packet was dropped, so packets sprayed over the /64 grew it without bound.
    [Fact]
    public async Task Accept_DropsToManyNewDestinations_DoesNotKeepPerDestinationState()
    {
        _options.MaxQueuedBytes = 150;
        HoldPuts();
        using EgressPump pump = CreatePump();
        pump.Accept(Numbered(Self, Peer, 0, payloadLength: 60));
        await Eventually.True(() => _store.PutAttempts == 1, "the first PUT started");
        pump.Accept(Numbered(Self, Peer, 1, payloadLength: 60)); // the total queue is now nearly full

        for (int i = 0; i < 1000; i++)
        {
            pump.Accept(Numbered(Self, IPAddress.Parse($"fd5e:59b8:f71d:9a3e:1::{i + 1:x}"), i, payloadLength: 60));
        }

        Assert.Equal(1000, _metrics.Dropped(Direction.Egress, DropReason.QueueFull));
        Assert.Equal(1, pump.ActiveDestinations); // only the peer whose PUT is in flight
    }

    [Fact]
    public async Task Put_TransientFailures_RetriedWithSameKeyThenSucceeds()
    {
        _options.RetryMinDelay = TimeSpan.FromMilliseconds(1);
        _options.RetryMaxDelay = TimeSpan.FromMilliseconds(5);
        var attemptedKeys = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _store.BeforePut = (key, _) =>
        {
            attemptedKeys.Enqueue(key);
            return attemptedKeys.Count switch
            {
                1 => throw new PacketStoreException(StoreErrorKind.Transient, "503 Slow Down"),
                2 => throw new IOException("connection reset"),
                _ => Task.CompletedTask,
            };
        };
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 1));
        // The store records a PUT before the pump counts its packet: wait for both.
        await Eventually.True(() => _store.Puts.Count == 1 && _metrics.Packets(Direction.Egress) == 1, "the PUT succeeded and was counted");

        Assert.Equal(3, _store.PutAttempts);
        Assert.Single(attemptedKeys.Distinct());
        Assert.Equal(2, PrometheusText.Value(_metrics.WritePrometheus(), "hoshino_s3_retries_total{operation=\"put\"}"));
        Assert.Equal(1, _metrics.Packets(Direction.Egress));
        Assert.Equal(0, _metrics.Dropped(Direction.Egress, DropReason.Expired));
    }

    [Fact]
    public async Task Put_KeepsFailing_DroppedAsExpiredAfterMaxPacketAge()
    {
        // 1.5 s of retries every 5-20 ms: room for several attempts even on a loaded 2-core machine.
        _options.MaxPacketAge = TimeSpan.FromMilliseconds(1500);
        _options.RetryMinDelay = TimeSpan.FromMilliseconds(5);
        _options.RetryMaxDelay = TimeSpan.FromMilliseconds(20);
        bool healthy = false;
        _store.BeforePut = (_, _) => Volatile.Read(ref healthy) ? Task.CompletedTask : throw new PacketStoreException(StoreErrorKind.Transient, "down");
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 1));
        pump.Accept(Numbered(Self, Peer, 2));
        await Eventually.True(() => _metrics.Dropped(Direction.Egress, DropReason.Expired) >= 1, "the bundle expired");
        await Eventually.True(() => QueueDepth() == 0 && _metrics.Dropped(Direction.Egress, DropReason.Expired) == 2, "both packets expired");

        Assert.Empty(_store.Puts);
        Assert.True(_store.PutAttempts >= 2, "it retried before giving up");
        Assert.True(PrometheusText.Value(_metrics.WritePrometheus(), "hoshino_s3_retries_total{operation=\"put\"}") >= 1);

        // The sender gave up on those packets only; the next packet goes out once the store is back.
        Volatile.Write(ref healthy, true);
        pump.Accept(Numbered(Self, Peer, 3));
        await Eventually.True(() => _store.Puts.Count == 1, "a later packet was stored");
        Assert.Equal([3], PutsTo(Peer16).SelectMany(p => p.Packets).Select(p => SequenceOf(p)));
    }

    [Theory]
    [InlineData(StoreErrorKind.AccessDenied)]
    [InlineData(StoreErrorKind.NoSuchBucket)]
    [InlineData(StoreErrorKind.InvalidCredentials)]
    public async Task Put_PermanentFailure_DroppedAsStoreRejectedWithoutRetry(StoreErrorKind kind)
    {
        _options.RetryMinDelay = TimeSpan.FromMilliseconds(1);
        _store.BeforePut = (_, _) => throw new PacketStoreException(kind, "no");
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 1));
        await Eventually.True(() => _metrics.Dropped(Direction.Egress, DropReason.StoreRejected) == 1, "the bundle was dropped");

        Assert.Equal(1, _store.PutAttempts);
        Assert.Equal(0, PrometheusText.Value(_metrics.WritePrometheus(), "hoshino_s3_retries_total{operation=\"put\"}"));
    }

    [Fact]
    public async Task RunAsync_Cancelled_FlushesQueuedPacketsBeforeReturning()
    {
        _options.FlushTimeout = TimeSpan.FromSeconds(30);
        HoldPuts();
        using EgressPump pump = CreatePump();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = pump.RunAsync(stop.Token);

        _tun.Inject(Numbered(Self, Peer, 0));
        await Eventually.True(() => _store.PutAttempts == 1, "the first PUT started");
        for (int i = 1; i <= 4; i++)
        {
            _tun.Inject(Numbered(Self, Peer, i));
        }
        await Eventually.True(() => QueueDepth() == 4, "the reader queued the rest");
        await stop.CancelAsync();
        await Task.Delay(100, Ct);
        Assert.False(run.IsCompleted, "RunAsync returned with packets still queued");

        _release.SetResult();
        await run.WaitAsync(Generous, Ct);

        Assert.Equal(Enumerable.Range(0, 5), PutsTo(Peer16).SelectMany(p => p.Packets).Select(p => SequenceOf(p)));
        Assert.Equal(0, _metrics.Dropped(Direction.Egress, DropReason.Shutdown));
    }

    [Fact]
    public async Task RunAsync_FlushTimesOut_AbortsAndCountsShutdownDrops()
    {
        _options.FlushTimeout = TimeSpan.FromMilliseconds(200);
        HoldPuts(); // never released
        using EgressPump pump = CreatePump();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = pump.RunAsync(stop.Token);

        _tun.Inject(Numbered(Self, Peer, 0));
        await Eventually.True(() => _store.PutAttempts == 1, "the first PUT started");
        for (int i = 1; i <= 3; i++)
        {
            _tun.Inject(Numbered(Self, Peer, i));
        }
        await Eventually.True(() => QueueDepth() == 3, "the reader queued the rest");
        await stop.CancelAsync();
        await run.WaitAsync(Generous, Ct);

        Assert.Empty(_store.Puts);
        Assert.Equal(4, _metrics.Dropped(Direction.Egress, DropReason.Shutdown));
    }

    [Fact]
    public async Task Accept_AfterShutdown_DroppedAsShutdown()
    {
        using EgressPump pump = CreatePump();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = pump.RunAsync(stop.Token);
        await stop.CancelAsync();
        await run.WaitAsync(Generous, Ct);

        pump.Accept(Numbered(Self, Peer, 1));

        Assert.Equal(1, _metrics.Dropped(Direction.Egress, DropReason.Shutdown));
        Assert.Equal(0, _store.PutAttempts);
    }

    [Fact]
    public async Task RunAsync_DeviceClosedUnexpectedly_Throws()
    {
        using EgressPump pump = CreatePump();
        Task run = pump.RunAsync(Ct);

        _tun.Close();

        await Assert.ThrowsAsync<IOException>(() => run.WaitAsync(Generous, Ct));
    }

    [Fact]
    public async Task RunAsync_DeviceReadFails_ThrowsThatError()
    {
        using var tun = new FailingTun();
        using var pump = new EgressPump(tun, _store, Self, Network, _metrics, new MonotonicUlid(TimeProvider.System),
            TimeProvider.System, NullLogger<EgressPump>.Instance, _options);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => pump.RunAsync(Ct).WaitAsync(Generous, Ct));

        Assert.Equal("device gone", ex.Message);
    }

    [Fact]
    public async Task Accept_ManyPacketsUnderConcurrentLoad_EveryPacketStoredOnceInOrderPerDestination()
    {
        _store.BeforePut = (_, ct) => Task.Delay(1, ct); // PUTs take a moment, so batches form
        using EgressPump pump = CreatePump();
        IPAddress[] peers = [.. Enumerable.Range(2, 4).Select(i => IPAddress.Parse($"fd5e:59b8:f71d:9a3e::{i}"))];

        for (int i = 0; i < 2000; i++)
        {
            pump.Accept(Numbered(Self, peers[i % peers.Length], i));
        }
        await Eventually.True(() => _metrics.Packets(Direction.Egress) == 2000, "every packet was stored");

        foreach (IPAddress peer in peers)
        {
            var puts = PutsTo(Address16.From(peer)).OrderBy(p => p.Key.ToString(), StringComparer.Ordinal).ToList();
            int[] sequences = [.. puts.SelectMany(p => p.Packets).Select(p => SequenceOf(p))];
            Assert.Equal(sequences.Order(), sequences);
            Assert.Equal(500, sequences.Length);
        }
        Assert.True(_store.Puts.Count < 2000, "no batching happened at all");
    }

    private sealed class FailingTun : ITunDevice
    {
        public string Name => "fail0";
        public int Mtu => 1500;
        public int Read(Span<byte> buffer) => throw new InvalidOperationException("device gone");
        public bool Write(ReadOnlySpan<byte> packet) => false;
        public void Close()
        {
        }
        public void Dispose()
        {
        }
    }
}
