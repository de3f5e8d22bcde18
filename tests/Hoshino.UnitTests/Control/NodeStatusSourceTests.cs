using Hoshino.Cli.Control;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Peers;
using Hoshino.Store;
using Hoshino.UnitTests.Peers;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Hoshino.UnitTests.Control;

public sealed class NodeStatusSourceTests
{
    private static readonly DateTimeOffset Started = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Started.AddMinutes(5));
    private readonly PeerTraffic _traffic = new();
    private readonly HoshinoMetrics _metrics = new(TimeProvider.System, "1.0");
    private bool _conflict;

    private NodeStatusSource Source(params PeerRecord[] directory) =>
        new(new NodeFacts(TestPackets.Self, TestPackets.Network, "hoshino0", "s3://bucket/net", true, "1.0", Started), _metrics, () => _conflict,
            new InMemoryPeerNames(directory), _traffic, _time);

    [Fact]
    public void Status_DirectoryAndTraffic_NodeFactsAndEveryPeerOnce()
    {
        _traffic.Sent(TestPackets.Peer16, 100, _time.GetUtcNow());
        _traffic.Sent(TestPackets.OtherPeer16, 10, _time.GetUtcNow()); // not in the directory
        _metrics.ObjectRejected(RejectReason.Malformed);
        _metrics.StoreError(StoreOperation.Put, StoreErrorKind.Transient);
        _conflict = true;

        NodeStatus status = Source(PeerSamplesTests.Record("alpha", TestPackets.Self), PeerSamplesTests.Record("beta", TestPackets.Peer)).Status();

        Assert.Equal(1, status.Schema);
        Assert.Equal(("alpha", TestPackets.Self.ToString(), "hoshino0", "s3://bucket/net", true), (status.Node.Name, status.Node.Address, status.Node.Interface,
            status.Node.Store, status.Node.Sealed));
        Assert.Equal(300, status.Node.UptimeSeconds);
        Assert.Equal((1L, true), (status.Node.Health.StoreErrors, status.Node.Health.AddressConflict));
        Assert.Equal(1, status.Node.Health.RejectedObjects["malformed"]);
        Assert.Equal([("beta", TestPackets.Peer.ToString(), 1L), (null, TestPackets.OtherPeer.ToString(), 1L)],
            status.Peers.Select(p => (p.Name, p.Address, p.PacketsOut)));
    }

    [Fact]
    public void Answer_PeerByNameOrAddress_ItsCountersAndThisNodesAddress()
    {
        _traffic.Sent(TestPackets.Peer16, 100, _time.GetUtcNow());
        NodeStatusSource source = Source(PeerSamplesTests.Record("beta", TestPackets.Peer));

        ControlResponse byName = source.Answer(new ControlRequest("peer", "BETA"));
        ControlResponse byAddress = source.Answer(new ControlRequest("peer", TestPackets.Peer.ToString()));

        Assert.Equal((true, "beta", TestPackets.Peer.ToString(), 1L, TestPackets.Self.ToString()),
            (byName.Ok, byName.Peer!.Name, byName.Peer.Address, byName.Peer.PacketsOut, byName.Self));
        Assert.Equal(byName.Peer, byAddress.Peer);
    }

    [Theory]
    [InlineData("nosuch")]
    [InlineData("fd00::2")]                  // outside the /64
    [InlineData("10.0.0.1")]
    [InlineData("fd5e:59b8:f71d:9a3e::1")]   // this node
    public void Answer_PeerNotKnownOrNotAPeer_RefusedAsUnknownPeer(string target)
    {
        ControlResponse response = Source().Answer(new ControlRequest("peer", target));

        Assert.Equal((false, ControlErrors.UnknownPeer), (response.Ok, response.Code));
    }

    [Fact]
    public void Answer_UnknownPeerNameWithControlCharacters_EscapedInTheError()
    {
        ControlResponse response = Source().Answer(new ControlRequest("peer", "x\u001b[2J"));

        Assert.DoesNotContain('\u001b', response.Error!);
    }
}
