using System.Buffers.Binary;
using System.Net;
using Hoshino.Packets;

namespace Hoshino.Benchmarks;

/// <summary>A well-formed IPv6 packet (after tests/Hoshino.UnitTests/TestSupport/TestPackets.cs).</summary>
internal static class Packets
{
    public static byte[] Ipv6(IPAddress source, IPAddress destination, int payloadLength)
    {
        byte[] packet = new byte[Ipv6Packet.HeaderLength + payloadLength];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)payloadLength);
        packet[6] = 59;
        packet[7] = 64;
        source.TryWriteBytes(packet.AsSpan(8, 16), out _);
        destination.TryWriteBytes(packet.AsSpan(24, 16), out _);
        packet.AsSpan(Ipv6Packet.HeaderLength).Fill(0xAB);
        return packet;
    }
}
