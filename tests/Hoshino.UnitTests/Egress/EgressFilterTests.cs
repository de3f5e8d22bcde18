using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Packets;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Egress;

/// <summary>The filter alone; EgressPumpTests checks each reason again through the pump and its metrics.</summary>
public sealed class EgressFilterTests
{
    private static EgressFilter Filter(bool allowEncapsulated = false) =>
        new(Self16, Address16.From(Network.BaseAddress).High, allowEncapsulated);

    [Fact]
    public void TryAccept_PacketToAPeer_AcceptedWithItsDestination()
    {
        Assert.True(Filter().TryAccept(Ipv6(Self, Peer), out Address16 destination, out _));
        Assert.Equal(Peer16, destination);
    }

    [Theory]
    [InlineData("ff02::1", IgnoreReason.NotInNetwork)]
    [InlineData("fd5e:59b8:f71d:9a3e::1", IgnoreReason.NotInNetwork)] // this node
    [InlineData("2001:db8::1", IgnoreReason.NotInNetwork)]
    public void TryAccept_DestinationNotAPeer_Refused(string destination, IgnoreReason expected)
    {
        Assert.False(Filter().TryAccept(Ipv6(Self, IPAddress.Parse(destination)), out _, out IgnoreReason reason));
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void TryAccept_NotFromThisNode_RefusedNotFromSelf()
    {
        Assert.False(Filter().TryAccept(Ipv6(OtherPeer, Peer), out _, out IgnoreReason reason));
        Assert.Equal(IgnoreReason.NotFromSelf, reason);
    }

    [Fact]
    public void TryAccept_NotIpv6_RefusedNotIpv6()
    {
        Assert.False(Filter().TryAccept([0x45, 0, 0, 20, .. new byte[16]], out _, out IgnoreReason reason));
        Assert.Equal(IgnoreReason.NotIpv6, reason);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void TryAccept_IPv6InIPv6_OnlyWhenAllowed(bool allow, bool accepted)
    {
        byte[] packet = Ipv6(Self, Peer, payloadLength: 48, nextHeader: 41);

        Assert.Equal(accepted, Filter(allow).TryAccept(packet, out _, out IgnoreReason reason));
        if (!accepted)
        {
            Assert.Equal(IgnoreReason.Encapsulated, reason);
        }
    }
}
