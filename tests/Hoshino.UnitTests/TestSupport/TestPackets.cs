using System.Buffers.Binary;
using System.Net;
using Hoshino.Packets;

namespace Hoshino.UnitTests.TestSupport;

/// <summary>Addresses and hand-built IPv6 packets and bundles shared by the tests.</summary>
internal static class TestPackets
{
    public static readonly IPNetwork Network = IPNetwork.Parse("fd5e:59b8:f71d:9a3e::/64");
    public static readonly IPAddress Self = IPAddress.Parse("fd5e:59b8:f71d:9a3e::1");
    public static readonly IPAddress Peer = IPAddress.Parse("fd5e:59b8:f71d:9a3e::2");
    public static readonly IPAddress OtherPeer = IPAddress.Parse("fd5e:59b8:f71d:9a3e::3");

    public static Address16 Self16 => Address16.From(Self);
    public static Address16 Peer16 => Address16.From(Peer);
    public static Address16 OtherPeer16 => Address16.From(OtherPeer);

    /// <summary>A well-formed IPv6 packet: version 6, payload length matching, "no next header".</summary>
    public static byte[] Ipv6(IPAddress source, IPAddress destination, int payloadLength = 8, byte fill = 0xAB,
        byte nextHeader = 59, byte hopLimit = 64)
    {
        byte[] packet = new byte[Ipv6Packet.HeaderLength + payloadLength];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)payloadLength);
        packet[6] = nextHeader;
        packet[7] = hopLimit;
        Assert.True(source.TryWriteBytes(packet.AsSpan(8, 16), out _));
        Assert.True(destination.TryWriteBytes(packet.AsSpan(24, 16), out _));
        packet.AsSpan(Ipv6Packet.HeaderLength).Fill(fill);
        return packet;
    }

    /// <summary>A packet whose payload starts with <paramref name="sequence"/>, to check order after a round trip.</summary>
    public static byte[] Numbered(IPAddress source, IPAddress destination, int sequence, int payloadLength = 8)
    {
        byte[] packet = Ipv6(source, destination, Math.Max(payloadLength, 4));
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(Ipv6Packet.HeaderLength), sequence);
        return packet;
    }

    public static int SequenceOf(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadInt32BigEndian(packet[Ipv6Packet.HeaderLength..]);

    /// <summary>Encodes <paramref name="packets"/> as a v1 bundle with the production writer.</summary>
    public static byte[] Bundle(params byte[][] packets)
    {
        byte[] body = new byte[BundleFormat.EncodedLength(packets.Length, packets.Sum(p => p.Length))];
        int offset = BundleFormat.WriteHeader(body);
        foreach (byte[] packet in packets)
        {
            offset += BundleFormat.WriteFrame(body.AsSpan(offset), packet);
        }
        Assert.Equal(body.Length, offset);
        return body;
    }

    /// <summary>Decodes a bundle the tests expect to be valid and returns its packets.</summary>
    public static List<byte[]> Unbundle(byte[] body, Address16 source, Address16 destination)
    {
        var frames = new List<Range>();
        Assert.Equal(RejectReason.None, BundleFormat.Decode(body, source, destination, frames));
        return [.. frames.Select(f => body[f])];
    }
}
