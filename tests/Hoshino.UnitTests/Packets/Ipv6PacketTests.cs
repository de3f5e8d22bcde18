using System.Net;
using Hoshino.Packets;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Packets;

public sealed class Ipv6PacketTests
{
    [Fact]
    public void TryParse_ValidPacket_ExposesHeaderFields()
    {
        byte[] bytes = Ipv6(Self, Peer, payloadLength: 20, nextHeader: 58, hopLimit: 7);

        Assert.True(Ipv6Packet.TryParse(bytes, out Ipv6Packet packet));

        Assert.Equal(20, packet.PayloadLength);
        Assert.Equal(58, packet.NextHeader);
        Assert.Equal(7, packet.HopLimit);
        Assert.Equal(Self, packet.SourceAddress());
        Assert.Equal(Peer, packet.DestinationAddress());
        Assert.Equal(Self16, Address16.From(packet.Source));
        Assert.Equal(Peer16, Address16.From(packet.Destination));
        Assert.Equal(60, packet.Bytes.Length);
    }

    [Fact]
    public void TryParse_HeaderOnly_Accepted()
    {
        Assert.True(Ipv6Packet.TryParse(Ipv6(Self, Peer, payloadLength: 0), out Ipv6Packet packet));
        Assert.Equal(0, packet.PayloadLength);
    }

    [Fact]
    public void TryParse_LargestPayload_Accepted()
    {
        Assert.True(Ipv6Packet.TryParse(Ipv6(Self, Peer, payloadLength: ushort.MaxValue), out Ipv6Packet packet));
        Assert.Equal(ushort.MaxValue, packet.PayloadLength);
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x45)]
    [InlineData(0x00)]
    [InlineData(0x70)]
    [InlineData(0xF0)]
    public void TryParse_WrongVersion_Refused(byte firstByte)
    {
        byte[] bytes = Ipv6(Self, Peer);
        bytes[0] = firstByte;

        Assert.False(Ipv6Packet.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_TrafficClassAndFlowLabel_Ignored()
    {
        byte[] bytes = Ipv6(Self, Peer);
        bytes[0] = 0x6F;
        bytes[1] = 0xFF;
        bytes[2] = 0xFF;
        bytes[3] = 0xFF;

        Assert.True(Ipv6Packet.TryParse(bytes, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(39)]
    public void TryParse_ShorterThanHeader_Refused(int length)
    {
        byte[] bytes = Ipv6(Self, Peer, payloadLength: 0)[..length];

        Assert.False(Ipv6Packet.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_PayloadLengthClaimsMoreThanPresent_Refused()
    {
        byte[] bytes = Ipv6(Self, Peer, payloadLength: 20);

        Assert.False(Ipv6Packet.TryParse(bytes.AsSpan(0, bytes.Length - 1), out _));
    }

    [Fact]
    public void TryParse_TrailingBytesAfterPayload_Refused()
    {
        byte[] bytes = [.. Ipv6(Self, Peer, payloadLength: 20), 0];

        Assert.False(Ipv6Packet.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_Jumbogram_Refused()
    {
        // Payload length 0 with a payload present: a jumbogram (RFC 2675).
        byte[] bytes = Ipv6(Self, Peer, payloadLength: 100);
        bytes[4] = 0;
        bytes[5] = 0;

        Assert.False(Ipv6Packet.TryParse(bytes, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x60 }, true)]
    [InlineData(new byte[] { 0x6F, 0x00 }, true)]
    [InlineData(new byte[] { 0x45 }, false)]
    [InlineData(new byte[] { (byte)'H', (byte)'S', (byte)'N' }, false)]
    [InlineData(new byte[0], false)]
    public void LooksLikeIpv6_FirstNibble_Decides(byte[] bytes, bool expected)
    {
        Assert.Equal(expected, Ipv6Packet.LooksLikeIpv6(bytes));
    }

    [Fact]
    public void Address16_RoundTripsThroughIPAddress()
    {
        var address = IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f");

        Address16 value = Address16.From(address);

        Assert.Equal(0xfd5e59b8f71d9a3eUL, value.High);
        Assert.Equal(0xc05f7f48de53428fUL, value.Low);
        Assert.Equal(address, value.ToIPAddress());
        Assert.Equal("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f", value.ToString());
    }

    [Fact]
    public void Address16_FromIpv4_Throws()
    {
        Assert.Throws<ArgumentException>(() => Address16.From(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void Address16_EqualsSpan_ComparesAllSixteenBytes()
    {
        byte[] bytes = Self.GetAddressBytes();

        Assert.True(Self16.Equals(bytes.AsSpan()));
        bytes[15] ^= 1;
        Assert.False(Self16.Equals(bytes.AsSpan()));
        bytes[15] ^= 1;
        bytes[0] ^= 0x80;
        Assert.False(Self16.Equals(bytes.AsSpan()));
        Assert.False(Self16.Equals(Self.GetAddressBytes().AsSpan(0, 15)));
    }

    [Theory]
    [InlineData(41, true)]
    [InlineData(4, true)]
    [InlineData(47, true)]
    [InlineData(58, false)]   // ICMPv6
    [InlineData(6, false)]    // TCP
    [InlineData(59, false)]   // no next header
    public void CarriesTunnel_UpperLayerRightAfterTheHeader(byte nextHeader, bool expected)
    {
        Assert.True(Ipv6Packet.TryParse(Ipv6(Self, Peer, payloadLength: 48, nextHeader: nextHeader), out Ipv6Packet packet));

        Assert.Equal(expected, packet.CarriesTunnel());
    }

    [Theory]
    [InlineData(0, 0, true)]          // hop-by-hop options, then IPv6-in-IPv6
    [InlineData(60, 0, true)]         // destination options, then IPv6-in-IPv6
    [InlineData(44, 0, true)]         // first fragment of an IPv6-in-IPv6 packet
    [InlineData(44, 0x0100, false)]   // a later fragment: its upper layer is the first one's business
    public void CarriesTunnel_BehindAnExtensionHeader_FoundByWalkingTheChain(byte extension, ushort fragmentOffset, bool expected)
    {
        byte[] bytes = Ipv6(Self, Peer, payloadLength: 48, nextHeader: extension);
        bytes[Ipv6Packet.HeaderLength] = 41;      // the extension header's next header
        bytes[Ipv6Packet.HeaderLength + 1] = 0;   // 8 bytes long (for a fragment header: reserved)
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(Ipv6Packet.HeaderLength + 2), fragmentOffset);
        Assert.True(Ipv6Packet.TryParse(bytes, out Ipv6Packet packet));

        Assert.Equal(expected, packet.CarriesTunnel());
    }
}
