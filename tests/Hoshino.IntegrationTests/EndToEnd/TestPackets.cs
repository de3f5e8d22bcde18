using System.Buffers.Binary;
using Hoshino.Packets;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>Packets and objects built by hand, to put into an inbox directly.</summary>
internal static class TestPackets
{
    public const byte EchoRequest = 128, EchoReply = 129;

    /// <summary>An object in format v1 holding <paramref name="packets"/>.</summary>
    public static byte[] Bundle(params byte[][] packets)
    {
        byte[] body = new byte[BundleFormat.EncodedLength(packets.Length, packets.Sum(p => p.Length))];
        int offset = BundleFormat.WriteHeader(body);
        foreach (byte[] p in packets)
        {
            offset += BundleFormat.WriteFrame(body.AsSpan(offset), p);
        }
        return body;
    }

    /// <summary>An ICMPv6 echo request or reply with a correct checksum.</summary>
    public static byte[] Icmp(byte type, Address16 source, Address16 destination, ushort sequence = 1)
    {
        byte[] packet = new byte[40 + 16];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 16);
        packet[6] = 58; // ICMPv6
        packet[7] = 64;
        source.ToIPAddress().TryWriteBytes(packet.AsSpan(8), out _);
        destination.ToIPAddress().TryWriteBytes(packet.AsSpan(24), out _);
        packet[40] = type;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(44), 0x4242);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(46), sequence);
        "hoshino!"u8.CopyTo(packet.AsSpan(48));
        uint sum = 0;
        for (int i = 8; i < 40; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i));
        }
        sum += 16 + 58u;
        for (int i = 40; i < packet.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i));
        }
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(42), (ushort)~sum);
        return packet;
    }
}
