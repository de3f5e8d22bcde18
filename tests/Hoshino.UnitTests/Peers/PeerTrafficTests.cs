using Hoshino.Packets;
using Hoshino.Peers;
using Hoshino.UnitTests.TestSupport;

namespace Hoshino.UnitTests.Peers;

public sealed class PeerTrafficTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Address16 Peer = TestPackets.Peer16, Other = TestPackets.OtherPeer16;

    private static Address16 Nth(int i) => new(TestPackets.Self16.High, 0x1000UL + (ulong)i);

    [Fact]
    public void SentAndReceived_CountedPerPeerEachWay_LastSeenOnlyFromReceived()
    {
        var traffic = new PeerTraffic();

        traffic.Sent(Peer, 100, T0);
        traffic.Sent(Peer, 50, T0.AddSeconds(1));
        traffic.Received(Peer, 70, T0.AddSeconds(2));
        traffic.Sent(Other, 10, T0.AddSeconds(3));

        PeerCounters peer = traffic.Find(Peer)!;
        Assert.Equal((2, 150, 1, 70), (peer.PacketsOut, peer.BytesOut, peer.PacketsIn, peer.BytesIn));
        Assert.Equal(T0.AddSeconds(2), peer.LastSeen);
        Assert.Null(traffic.Find(Other)!.LastSeen);
        Assert.Equal([Peer, Other], traffic.Snapshot().Peers.Select(p => p.Address).Order(Comparer<Address16>.Create((a, b) => a.Low.CompareTo(b.Low))));
    }

    [Fact]
    public void Sent_TableFull_NewAddressesSummedInOther()
    {
        var traffic = new PeerTraffic(capacity: 3);

        for (int i = 0; i < 10; i++)
        {
            traffic.Sent(Nth(i), 100, T0);
        }

        PeerTrafficSnapshot snapshot = traffic.Snapshot();
        Assert.Equal(3, snapshot.Peers.Count);
        Assert.Equal([Nth(0), Nth(1), Nth(2)], snapshot.Peers.Select(p => p.Address));
        Assert.Equal((7, 700), (snapshot.Other.PacketsOut, snapshot.Other.BytesOut));
        Assert.Null(traffic.Find(Nth(5)));
    }

    [Fact]
    public void Sent_TableFullOfIdlePeers_ForgetsThemIntoOtherAndTracksTheNewOne()
    {
        var traffic = new PeerTraffic(capacity: 2);
        traffic.Sent(Nth(0), 10, T0);
        traffic.Received(Nth(1), 20, T0);

        traffic.Sent(Nth(2), 30, T0 + PeerTraffic.ForgetAfter);

        PeerTrafficSnapshot snapshot = traffic.Snapshot();
        Assert.Equal([Nth(2)], snapshot.Peers.Select(p => p.Address));
        Assert.Equal((1, 10, 1, 20), (snapshot.Other.PacketsOut, snapshot.Other.BytesOut, snapshot.Other.PacketsIn, snapshot.Other.BytesIn));
    }

    [Fact]
    public void Sent_TableFullOfBusyPeers_PrunesAtMostOncePerInterval()
    {
        var traffic = new PeerTraffic(capacity: 1);
        traffic.Sent(Nth(0), 10, T0);
        traffic.Sent(Nth(1), 10, T0.AddSeconds(1)); // full, nobody idle: other; the prune ran now

        traffic.Sent(Nth(0), 10, T0.AddSeconds(2));
        traffic.Sent(Nth(2), 10, T0 + PeerTraffic.ForgetAfter + TimeSpan.FromSeconds(1.5)); // Nth(0) idle just under ForgetAfter

        Assert.Equal([Nth(0)], traffic.Snapshot().Peers.Select(p => p.Address));
        Assert.Equal(2, traffic.Snapshot().Other.PacketsOut);
    }

    [Fact]
    public void EchoReplied_MatchingRequest_SetsRoundTripOnce()
    {
        var traffic = new PeerTraffic();
        traffic.Sent(Peer, 64, T0);
        traffic.EchoSent(Peer, id: 7, sequence: 1, T0);

        traffic.EchoReplied(Peer, 7, 1, T0.AddMilliseconds(42));
        traffic.EchoReplied(Peer, 7, 1, T0.AddMilliseconds(900)); // a duplicate: ignored

        Assert.Equal(TimeSpan.FromMilliseconds(42), traffic.Find(Peer)!.LastRoundTrip);
    }

    [Fact]
    public void EchoReplied_NoMatchingRequest_Ignored()
    {
        var traffic = new PeerTraffic();
        traffic.Sent(Peer, 64, T0);
        traffic.EchoSent(Peer, id: 7, sequence: 1, T0);

        traffic.EchoReplied(Peer, 8, 1, T0.AddMilliseconds(5));   // another id
        traffic.EchoReplied(Peer, 7, 2, T0.AddMilliseconds(5));   // another sequence
        traffic.EchoReplied(Other, 7, 1, T0.AddMilliseconds(5));  // another peer (untracked)

        Assert.Null(traffic.Find(Peer)!.LastRoundTrip);
        Assert.Null(traffic.Find(Other));
    }

    [Fact]
    public void EchoSent_MoreThanOutstanding_OldestForgotten()
    {
        var traffic = new PeerTraffic();
        traffic.Sent(Peer, 64, T0);
        for (ushort seq = 0; seq <= PeerTraffic.OutstandingEchoes; seq++)
        {
            traffic.EchoSent(Peer, 1, seq, T0.AddMilliseconds(seq));
        }

        traffic.EchoReplied(Peer, 1, 0, T0.AddSeconds(1));
        Assert.Null(traffic.Find(Peer)!.LastRoundTrip);

        traffic.EchoReplied(Peer, 1, PeerTraffic.OutstandingEchoes, T0.AddSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(PeerTraffic.OutstandingEchoes), traffic.Find(Peer)!.LastRoundTrip);
    }

    [Fact]
    public void StoredAndFetched_TrackedPeer_KeepTheLastTimes()
    {
        var traffic = new PeerTraffic();
        traffic.Sent(Peer, 64, T0);

        traffic.Stored(Peer, TimeSpan.FromMilliseconds(3));
        traffic.Stored(Peer, TimeSpan.FromMilliseconds(2));
        traffic.Fetched(Peer, TimeSpan.FromMilliseconds(1));
        traffic.Stored(Other, TimeSpan.FromMilliseconds(9)); // untracked: no entry made

        Assert.Equal((TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(1)), (traffic.Find(Peer)!.LastPut, traffic.Find(Peer)!.LastGet));
        Assert.Null(traffic.Find(Other));
    }
}
