using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Hoshino.Packets;

namespace Hoshino.Bench;

/// <summary>
/// Hand-built IPv6 packets for the virtual nodes (after tests/Hoshino.UnitTests/TestSupport/TestPackets.cs):
/// next header 59 ("no next header"), a payload that carries the sender, a sequence number and the
/// send time, so the receiver can measure one-way delivery latency on the same clock.
/// </summary>
internal static class BenchPackets
{
    public const int PayloadLength = 64;
    private const uint Magic = 0x48534256; // "HSBV"

    public static byte[] Timed(IPAddress source, IPAddress destination, int sender, int sequence)
    {
        byte[] packet = new byte[Ipv6Packet.HeaderLength + PayloadLength];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), PayloadLength);
        packet[6] = 59;
        packet[7] = 64;
        source.TryWriteBytes(packet.AsSpan(8, 16), out _);
        destination.TryWriteBytes(packet.AsSpan(24, 16), out _);
        Span<byte> payload = packet.AsSpan(Ipv6Packet.HeaderLength);
        BinaryPrimitives.WriteUInt32BigEndian(payload, Magic);
        BinaryPrimitives.WriteInt32BigEndian(payload[4..], sender);
        BinaryPrimitives.WriteInt32BigEndian(payload[8..], sequence);
        BinaryPrimitives.WriteInt64BigEndian(payload[12..], Stopwatch.GetTimestamp());
        return packet;
    }

    /// <summary>The one-way latency of a packet made by <see cref="Timed"/>, or null for anything else.</summary>
    public static TimeSpan? LatencyOf(ReadOnlySpan<byte> packet)
    {
        if (packet.Length != Ipv6Packet.HeaderLength + PayloadLength)
        {
            return null;
        }
        ReadOnlySpan<byte> payload = packet[Ipv6Packet.HeaderLength..];
        if (BinaryPrimitives.ReadUInt32BigEndian(payload) != Magic)
        {
            return null;
        }
        return Stopwatch.GetElapsedTime(BinaryPrimitives.ReadInt64BigEndian(payload[12..]));
    }
}
