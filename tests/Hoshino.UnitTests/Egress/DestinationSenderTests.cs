using Hoshino.Egress;
using Hoshino.Store;
using Hoshino.Transport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Egress;

public sealed class DestinationSenderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Put = TimeSpan.FromMilliseconds(10);
    private const int MaxPackets = 4096;
    private const int BundleBytes = 64 << 10;

    private static Func<Ulid> Ids()
    {
        var ids = new MonotonicUlid(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0));
        return ids.Next;
    }

    private static DestinationSender V1() => new(Peer16, Self16, Ids(), window: null);

    private static DestinationSender V2(long firstSequence = 0) =>
        new(Peer16, Self16, Ids(), new SendWindow(Ulid.NewUlid(T0), firstSequence: firstSequence));

    /// <summary>Queues <paramref name="count"/> numbered packets of <paramref name="payload"/> bytes, from <paramref name="first"/>.</summary>
    private static void Queue(DestinationSender sender, int first, int count, int payload = 60)
    {
        for (int i = first; i < first + count; i++)
        {
            sender.Queue.Enqueue(QueuedPacket.CopyOf(Numbered(Self, Peer, i, payloadLength: payload), 0));
        }
    }

    private static int[] Numbers(List<QueuedPacket> bundle) => [.. bundle.Select(p => SequenceOf(p.Span))];

    [Fact]
    public void V1_OnePutAtATime_WhatWaitsGoesTogetherUnderAFreshUlid()
    {
        DestinationSender sender = V1();
        Queue(sender, 0, 1);
        var first = new List<QueuedPacket>();

        OutboundObject a = sender.Start(T0, first, MaxPackets, BundleBytes, out bool newEpoch);
        Queue(sender, 1, 5);

        Assert.False(newEpoch);
        Assert.Equal(-1, a.Sequence);
        Assert.True(ObjectKey.TryParse(a.Key, out ObjectKey? key));
        Assert.Equal(Peer16, key.Value.Destination);
        Assert.Equal(Self16, key.Value.Source);
        Assert.Equal([0], Numbers(first));
        Assert.False(sender.MayStart); // one in flight, whatever waits
        Assert.False(sender.Stored(a, T0 + Put)); // v1: the pump's RingRule decides
        Assert.True(sender.MayStart);
        var second = new List<QueuedPacket>();
        OutboundObject b = sender.Start(T0 + Put, second, MaxPackets, BundleBytes, out _);
        Assert.Equal([1, 2, 3, 4, 5], Numbers(second));
        Assert.True(string.CompareOrdinal(a.Key, b.Key) < 0);
        sender.GaveUp(b, T0 + (2 * Put));
        Assert.True(sender.IsIdle);
    }

    [Fact]
    public void V2_SmallPackets_OnePutInFlightLikeV1()
    {
        DestinationSender sender = V2();
        Queue(sender, 0, 1);
        OutboundObject a = sender.Start(T0, [], MaxPackets, BundleBytes, out _);

        Queue(sender, 1, 100); // 4.8 KB: far below what a second PUT needs (SendWindowOptions.MinExtraBytes)

        Assert.Equal(0, a.Sequence);
        Assert.False(sender.MayStart);
        sender.Stored(a, T0 + Put);
        Assert.True(sender.MayStart);
    }

    [Fact]
    public void V2_Backlog_SeveralInFlight_CompletingOutOfOrder_NumbersFollowPacketOrderAndNeverRepeat()
    {
        DestinationSender sender = V2();
        Queue(sender, 0, 4000, payload: 1000); // about 4 MB: 64 bundles
        var bundles = new Dictionary<long, int[]>();
        var flights = new List<OutboundObject>();
        DateTimeOffset now = T0;
        int maxInFlight = 0;
        for (int round = 0; round < 200 && !sender.IsIdle; round++)
        {
            while (sender.MayStart)
            {
                var bundle = new List<QueuedPacket>();
                OutboundObject sent = sender.Start(now, bundle, MaxPackets, BundleBytes, out _);
                Assert.True(bundles.TryAdd(sent.Sequence, Numbers(bundle)), $"number {sent.Sequence} used twice");
                QueuedPacket.ReturnAll(bundle);
                flights.Add(sent);
            }
            maxInFlight = Math.Max(maxInFlight, sender.InFlight);
            now += Put;
            // The newest PUT finishes first: the store does not answer in order.
            OutboundObject done = flights[^1];
            flights.RemoveAt(flights.Count - 1);
            sender.Stored(done, now);
        }
        foreach (OutboundObject left in flights)
        {
            sender.Stored(left, now);
        }

        Assert.True(sender.IsIdle);
        Assert.InRange(maxInFlight, 2, 8);
        Assert.Equal(Enumerable.Range(0, bundles.Count).Select(i => (long)i), bundles.Keys.Order());
        Assert.Equal(Enumerable.Range(0, 4000), bundles.OrderBy(b => b.Key).SelectMany(b => b.Value));
    }

    [Fact]
    public void V2_GaveUp_LeavesAHoleThatIsNeverReused_AndTheNextStoredRings()
    {
        DestinationSender sender = V2();
        Queue(sender, 0, 1);
        OutboundObject first = sender.Start(T0, [], MaxPackets, BundleBytes, out _);
        Assert.True(sender.Stored(first, T0 + Put)); // the first object after a quiet spell rings
        Queue(sender, 1, 1);
        OutboundObject lost = sender.Start(T0 + Put, [], MaxPackets, BundleBytes, out _);

        sender.GaveUp(lost, T0 + (2 * Put));
        Queue(sender, 2, 1);
        OutboundObject next = sender.Start(T0 + (2 * Put), [], MaxPackets, BundleBytes, out _);

        Assert.Equal([0, 1, 2], new[] { first.Sequence, lost.Sequence, next.Sequence });
        Assert.Equal(1, sender.Window!.Holes);
        Assert.True(sender.Stored(next, T0 + (3 * Put)), "the object after a hole rings, however soon"); // the receiver's probes stop at the hole
    }

    [Fact]
    public void V2_NumbersRunOut_NextObjectOpensANewEpochAtZero()
    {
        DestinationSender sender = V2(firstSequence: StreamKey.SequenceLimit - 1);
        Ulid oldEpoch = sender.Window!.Epoch;
        Queue(sender, 0, 1);
        OutboundObject last = sender.Start(T0, [], MaxPackets, BundleBytes, out bool first);
        sender.Stored(last, T0 + Put);
        Queue(sender, 1, 1);

        Assert.True(sender.MayStart);
        OutboundObject next = sender.Start(T0 + Put, [], MaxPackets, BundleBytes, out bool newEpoch);

        Assert.False(first);
        Assert.Equal(StreamKey.SequenceLimit - 1, last.Sequence);
        Assert.True(newEpoch);
        Assert.Equal(0, next.Sequence);
        Assert.NotEqual(oldEpoch, sender.Window.Epoch);
        Assert.True(StreamKey.TryParse(next.Key, out StreamKey? key));
        Assert.Equal(sender.Window.Epoch, key.Value.Epoch);
    }

    [Fact]
    public void Start_WhenNoPutMayStart_Throws()
    {
        DestinationSender sender = V2();

        Assert.Throws<InvalidOperationException>(() => sender.Start(T0, [], MaxPackets, BundleBytes, out _));
    }
}
