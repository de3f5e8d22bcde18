using System.Net;
using Hoshino.Packets;
using Hoshino.Peers;
using Hoshino.UnitTests.TestSupport;

namespace Hoshino.UnitTests.Peers;

public sealed class PeerSamplesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    internal static PeerRecord Record(string name, IPAddress address) => new(name, address, "1.0", T0, false, T0);

    private static IPAddress Nth(int i) => new Address16(TestPackets.Self16.High, 0x1000UL + (ulong)i).ToIPAddress();

    [Fact]
    public void Build_NoDirectoryNoTraffic_OnlyOtherWithZeros()
    {
        IReadOnlyList<PeerSample> rows = PeerSamples.Build([], new PeerTraffic().Snapshot(), TestPackets.Self16);

        PeerSample other = Assert.Single(rows);
        Assert.Equal((PeerSamples.Other, 0L, 0L), (other.Peer, other.Counters.PacketsOut, other.Counters.PacketsIn));
    }

    [Fact]
    public void Build_DirectoryPeers_LabelledByNameWithTheirCounters_SelfLeftOut()
    {
        var traffic = new PeerTraffic();
        traffic.Sent(TestPackets.Peer16, 100, T0);
        traffic.Received(TestPackets.Peer16, 60, T0);
        traffic.Sent(TestPackets.OtherPeer16, 5, T0); // not in the directory

        IReadOnlyList<PeerSample> rows = PeerSamples.Build(
            [Record("self", TestPackets.Self), Record("beta", TestPackets.Peer), Record("alpha", Nth(1))], traffic.Snapshot(), TestPackets.Self16);

        Assert.Equal(["alpha", "beta", PeerSamples.Other], rows.Select(r => r.Peer));
        Assert.Equal((1, 100, 1, 60), (rows[1].Counters.PacketsOut, rows[1].Counters.BytesOut, rows[1].Counters.PacketsIn, rows[1].Counters.BytesIn));
        Assert.Equal(0, rows[0].Counters.PacketsOut);
        Assert.Equal((1, 5), (rows[2].Counters.PacketsOut, rows[2].Counters.BytesOut));
    }

    [Fact]
    public void Build_MoreDirectoryPeersThanTheCap_FirstByNameLabelledRestInOther()
    {
        var traffic = new PeerTraffic();
        var directory = new List<PeerRecord>();
        for (int i = 0; i < 100; i++)
        {
            directory.Add(Record($"node-{i:000}", Nth(i)));
            traffic.Sent(Address16.From(Nth(i)), 10, T0);
        }

        IReadOnlyList<PeerSample> rows = PeerSamples.Build(directory, traffic.Snapshot(), TestPackets.Self16);

        Assert.Equal(PeerSamples.MaxLabelled + 1, rows.Count);
        Assert.Equal("node-000", rows[0].Peer);
        Assert.Equal("node-063", rows[PeerSamples.MaxLabelled - 1].Peer);
        Assert.Equal((PeerSamples.Other, 36L, 360L), (rows[^1].Peer, rows[^1].Counters.PacketsOut, rows[^1].Counters.BytesOut));
        Assert.Equal(100, rows.Sum(r => r.Counters.PacketsOut));
    }

    [Fact]
    public void Build_RecordNamedOtherOrRepeatedAddress_NeverASecondSeries()
    {
        IReadOnlyList<PeerSample> rows = PeerSamples.Build(
            [Record(PeerSamples.Other, Nth(1)), Record("a", Nth(2)), Record("b", Nth(2))], new PeerTraffic().Snapshot(), TestPackets.Self16);

        Assert.Equal(["a", PeerSamples.Other], rows.Select(r => r.Peer));
    }
}
