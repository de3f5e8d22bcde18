using System.Collections.Concurrent;
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

/// <summary>What only v2 does: numbered streams, several PUTs in flight, holes, epochs.</summary>
public sealed class EgressPumpStreamTests : IDisposable
{
    private readonly HoshinoMetrics _metrics = new(TimeProvider.System, "test");
    private readonly ChannelTunDevice _tun = new();
    private readonly ScriptedStore _store = new();
    private readonly EgressOptions _options = new() { WireFormat = WireFormat.V2 };

    public void Dispose() => _tun.Dispose();

    private EgressPump CreatePump(TimeProvider? time = null, IPacketStore? store = null)
    {
        time ??= TimeProvider.System;
        return new EgressPump(_tun, store ?? _store, Self, Network, _metrics, new MonotonicUlid(time), time,
            NullLogger<EgressPump>.Instance, _options);
    }

    private static StreamKey Parse(string key)
    {
        Assert.True(StreamKey.TryParse(key, out StreamKey? parsed), key);
        return parsed.Value;
    }

    private List<(StreamKey Key, List<byte[]> Packets)> StoredTo(Address16 destination) =>
        [.. _store.Puts.Select(p => (Key: Parse(p.Key), p.Body)).Where(p => p.Key.Destination == destination)
            .OrderBy(p => p.Key.Epoch).ThenBy(p => p.Key.Sequence)
            .Select(p => (p.Key, Unbundle(p.Body, Self16, destination)))];

    [Fact]
    public async Task Backlog_SeveralPutsInFlight_NumbersContiguousInOneEpochAndPacketsInOrder()
    {
        _options.MaxBundleBytes = 64 << 10;
        int inFlight = 0, maxInFlight = 0;
        _store.BeforePut = async (_, ct) =>
        {
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            await Task.Delay(5, ct);
            Interlocked.Decrement(ref inFlight);
        };
        using EgressPump pump = CreatePump();

        for (int i = 0; i < 3000; i++)
        {
            pump.Accept(Numbered(Self, Peer, i, payloadLength: 1000)); // about 3 MB: a backlog of 46 bundles
        }
        await Eventually.True(() => _metrics.Packets(Direction.Egress) == 3000, "every packet was stored");

        var stored = StoredTo(Peer16);
        Assert.Single(stored.Select(s => s.Key.Epoch).Distinct());
        Assert.Equal(Enumerable.Range(0, stored.Count).Select(i => (long)i), stored.Select(s => s.Key.Sequence));
        Assert.Equal(Enumerable.Range(0, 3000), stored.SelectMany(s => s.Packets).Select(p => SequenceOf(p)));
        Assert.InRange(Volatile.Read(ref maxInFlight), 2, 8);
        string page = _metrics.WritePrometheus();
        Assert.True(PrometheusText.Value(page, "hoshino_egress_destination_puts_in_flight_bucket{le=\"1\"}")
            < PrometheusText.Value(page, "hoshino_egress_destination_puts_in_flight_count"), "the histogram saw PUTs beyond the first");
        Assert.Equal(0, PrometheusText.Value(page, "hoshino_egress_puts_in_flight"));
        Assert.Equal(0, _metrics.StreamHoles);
    }

    [Fact]
    public async Task PutRefused_LeavesAHole_NextObjectTakesTheNextNumberAndRings()
    {
        _options.RingAfter = TimeSpan.FromHours(1); // only the hole can make the second object ring
        int attempts = 0;
        _store.BeforePut = (_, _) => Interlocked.Increment(ref attempts) == 2
            ? throw new PacketStoreException(StoreErrorKind.AccessDenied, "403 AccessDenied")
            : Task.CompletedTask;
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 0));
        await Eventually.True(() => _store.Rings.Count == 1, "the first object rang");
        pump.Accept(Numbered(Self, Peer, 1));
        await Eventually.True(() => _metrics.StreamHoles == 1, "the refused PUT left a hole");
        pump.Accept(Numbered(Self, Peer, 2));
        await Eventually.True(() => _store.Rings.Count == 2, "the object after the hole rang");

        Assert.Equal([0L, 2L], StoredTo(Peer16).Select(s => s.Key.Sequence));
        Assert.Equal([0, 2], StoredTo(Peer16).SelectMany(s => s.Packets).Select(p => SequenceOf(p)));
        Assert.Equal(1, _metrics.Dropped(Direction.Egress, DropReason.StoreRejected));
        Assert.Equal(1, PrometheusText.Value(_metrics.WritePrometheus(), "hoshino_egress_stream_holes_total"));
    }

    [Fact]
    public async Task PutRetried_AfterAttemptsThatLandedButFailed_SameNameAndSameSealedBytesEveryAttempt()
    {
        _options.RetryMinDelay = TimeSpan.FromMilliseconds(1);
        using var key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);
        _options.Key = key;
        var attempts = new ConcurrentQueue<(string Key, byte[] Body)>();
        _store.AfterPut = (name, body, _) =>
        {
            attempts.Enqueue((name, body));
            return attempts.Count <= 2 ? throw new PacketStoreException(StoreErrorKind.Transient, "503 Slow Down") : Task.CompletedTask;
        };
        using EgressPump pump = CreatePump();

        pump.Accept(Numbered(Self, Peer, 1));
        // The store records a PUT before the pump counts its packet: wait for both.
        await Eventually.True(() => _store.Puts.Count == 1 && _metrics.Packets(Direction.Egress) == 1, "the PUT was retried twice, stored and counted");

        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(a => a.Key).Distinct());
        Assert.Single(attempts.Select(a => Convert.ToHexString(a.Body)).Distinct()); // sealed once: one object, one key, one body
        Assert.Equal(0, Parse(attempts.First().Key).Sequence);
        Assert.Equal(1, _metrics.Packets(Direction.Egress));
        Assert.Equal(0, _metrics.StreamHoles);
    }

    [Fact]
    public async Task Restart_NewPumpOpensANewEpochFromZero()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        using (EgressPump first = CreatePump(time))
        {
            first.Accept(Numbered(Self, Peer, 0));
            await Eventually.True(() => _store.Puts.Count == 1, "the first run stored");
            first.Accept(Numbered(Self, Peer, 1));
            await Eventually.True(() => _store.Puts.Count == 2, "the first run stored again");
        }
        time.Advance(TimeSpan.FromMilliseconds(1));
        using EgressPump second = CreatePump(time);

        second.Accept(Numbered(Self, Peer, 2));
        await Eventually.True(() => _store.Puts.Count == 3, "the second run stored");

        var stored = StoredTo(Peer16);
        Assert.Equal(2, stored.Select(s => s.Key.Epoch).Distinct().Count());
        Assert.Equal([0L, 1L, 0L], stored.Select(s => s.Key.Sequence));
        Assert.True(stored[2].Key.Epoch.CompareTo(stored[0].Key.Epoch) > 0, "a later run's epoch sorts later");
    }

    [Fact]
    public async Task QuietDestination_ContinuesItsStream_UntilTheStreamIdleLifetimeEnds()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        using EgressPump pump = CreatePump(time);

        pump.Accept(Numbered(Self, Peer, 0));
        await Eventually.True(() => _store.Puts.Count == 1 && pump.ActiveDestinations == 0, "the sender retired");
        time.Advance(_options.StreamIdleLifetime / 2);
        pump.Accept(Numbered(Self, Peer, 1));
        await Eventually.True(() => _store.Puts.Count == 2 && pump.ActiveDestinations == 0, "the sender retired again");
        time.Advance(_options.StreamIdleLifetime);
        pump.Accept(Numbered(Self, Peer, 2));
        await Eventually.True(() => _store.Puts.Count == 3, "the third packet was stored");

        var stored = StoredTo(Peer16);
        Assert.Equal(stored[0].Key.Epoch, stored[1].Key.Epoch);
        Assert.Equal([0L, 1L], stored.Take(2).Select(s => s.Key.Sequence));
        Assert.NotEqual(stored[0].Key.Epoch, stored[2].Key.Epoch);
        Assert.Equal(0, stored[2].Key.Sequence);
    }

    [Fact]
    public async Task ShutdownAbortsAPut_LeavesAHoleAndCountsShutdownDrops()
    {
        _options.FlushTimeout = TimeSpan.FromMilliseconds(100);
        _store.BeforePut = (_, ct) => Task.Delay(Timeout.Infinite, ct);
        using EgressPump pump = CreatePump();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        Task run = pump.RunAsync(stop.Token);

        _tun.Inject(Numbered(Self, Peer, 0));
        await Eventually.True(() => _store.PutAttempts == 1, "the PUT started");
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.Equal(1, _metrics.Dropped(Direction.Egress, DropReason.Shutdown));
        Assert.Equal(1, _metrics.StreamHoles);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
