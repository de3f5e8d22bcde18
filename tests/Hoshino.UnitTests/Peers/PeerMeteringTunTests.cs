using System.Buffers.Binary;
using System.Net;
using Hoshino.Peers;
using Hoshino.Tunnel;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Hoshino.UnitTests.Peers;

public sealed class PeerMeteringTunTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly PeerTraffic _traffic = new();
    private readonly ChannelTunDevice _inner = new();

    private PeerMeteringTun Tun() => new(_inner, _traffic, TestPackets.Self16, _time);

    private static byte[] Echo(byte type, IPAddress source, IPAddress destination, ushort id, ushort sequence)
    {
        byte[] packet = TestPackets.Ipv6(source, destination, payloadLength: 16, nextHeader: 58);
        packet[40] = type;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(44), id);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(46), sequence);
        return packet;
    }

    [Fact]
    public void ReadAndWrite_PacketsOfThePeer_CountedEachWayAndPassedThrough()
    {
        using PeerMeteringTun tun = Tun();
        byte[] outgoing = TestPackets.Ipv6(TestPackets.Self, TestPackets.Peer, payloadLength: 60);
        byte[] incoming = TestPackets.Ipv6(TestPackets.Peer, TestPackets.Self, payloadLength: 20);
        _inner.Inject(outgoing);
        byte[] buffer = new byte[tun.Mtu];

        int read = tun.Read(buffer);
        bool written = tun.Write(incoming);

        Assert.Equal(outgoing, buffer[..read]);
        Assert.True(written);
        Assert.True(_inner.Written.TryRead(out byte[]? delivered));
        Assert.Equal(incoming, delivered);
        PeerCounters peer = _traffic.Find(TestPackets.Peer16)!;
        Assert.Equal((1, 100, 1, 60), (peer.PacketsOut, peer.BytesOut, peer.PacketsIn, peer.BytesIn));
        Assert.Equal(_time.GetUtcNow(), peer.LastSeen);
    }

    [Fact]
    public void Write_RefusedByTheKernel_NotCounted()
    {
        using PeerMeteringTun tun = Tun();
        _inner.RefuseWrites = true;

        Assert.False(tun.Write(TestPackets.Ipv6(TestPackets.Peer, TestPackets.Self)));

        Assert.Null(_traffic.Find(TestPackets.Peer16));
    }

    [Theory]
    [InlineData("ff02::1")]                           // multicast: not a peer
    [InlineData("fd00::2")]                           // outside the /64
    [InlineData("fd5e:59b8:f71d:9a3e::1")]            // this node
    public void Read_DestinationNotAPeer_NotCounted(string destination)
    {
        using PeerMeteringTun tun = Tun();
        _inner.Inject(TestPackets.Ipv6(TestPackets.Self, IPAddress.Parse(destination)));

        Assert.True(tun.Read(new byte[tun.Mtu]) > 0);

        Assert.Empty(_traffic.Snapshot().Peers);
    }

    [Fact]
    public void ReadThenWrite_EchoRequestAndItsReply_RoundTripMeasured()
    {
        using PeerMeteringTun tun = Tun();
        _inner.Inject(Echo(128, TestPackets.Self, TestPackets.Peer, 0x1234, 9));
        tun.Read(new byte[tun.Mtu]);

        _time.Advance(TimeSpan.FromMilliseconds(37));
        tun.Write(Echo(129, TestPackets.Peer, TestPackets.Self, 0x1234, 9));

        Assert.Equal(TimeSpan.FromMilliseconds(37), _traffic.Find(TestPackets.Peer16)!.LastRoundTrip);
    }

    [Fact]
    public void Write_EchoRequestFromThePeer_NotTakenForOurRoundTrip()
    {
        using PeerMeteringTun tun = Tun();
        _inner.Inject(Echo(129, TestPackets.Self, TestPackets.Peer, 1, 1)); // our reply to the peer's ping, going out
        tun.Read(new byte[tun.Mtu]);
        _time.Advance(TimeSpan.FromMilliseconds(5));

        tun.Write(Echo(128, TestPackets.Peer, TestPackets.Self, 1, 1));

        Assert.Null(_traffic.Find(TestPackets.Peer16)!.LastRoundTrip);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(39)]
    [InlineData(44)] // an ICMPv6 header cut short
    public void Read_TruncatedPackets_PassedThroughUncountedOrWithoutEcho(int length)
    {
        using PeerMeteringTun tun = Tun();
        byte[] packet = Echo(128, TestPackets.Self, TestPackets.Peer, 1, 1)[..Math.Max(length, 1)];
        _inner.Inject(packet);

        int read = tun.Read(new byte[tun.Mtu]);

        Assert.Equal(packet.Length, read);
        Assert.Null(_traffic.Find(TestPackets.Peer16)?.LastRoundTrip);
    }
}
