using System.Buffers.Binary;
using System.Net;

namespace Hoshino.Packets;

/// <summary>
/// Reads the fixed IPv6 header (RFC 8200 §3) of one packet. Only what routing and validation need:
/// version, payload length, next header, source and destination. Extension headers are payload.
/// </summary>
public readonly ref struct Ipv6Packet
{
    public const int HeaderLength = 40;
    private const int SourceOffset = 8, DestinationOffset = 24;

    private readonly ReadOnlySpan<byte> _packet;

    private Ipv6Packet(ReadOnlySpan<byte> packet) => _packet = packet;

    public ReadOnlySpan<byte> Bytes => _packet;
    public int PayloadLength => BinaryPrimitives.ReadUInt16BigEndian(_packet[4..]);
    public byte NextHeader => _packet[6];
    public byte HopLimit => _packet[7];
    public ReadOnlySpan<byte> Source => _packet.Slice(SourceOffset, 16);
    public ReadOnlySpan<byte> Destination => _packet.Slice(DestinationOffset, 16);

    /// <summary>
    /// Accepts <paramref name="packet"/> when it is exactly one IPv6 packet: version 6, at least the
    /// 40-byte header, and a payload length that matches the bytes present. Jumbograms (payload
    /// length 0) are refused: no Hoshino link carries more than 65,535 bytes of payload.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out Ipv6Packet parsed)
    {
        parsed = default;
        if (packet.Length < HeaderLength || packet[0] >> 4 != 6)
        {
            return false;
        }
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        if (payloadLength + HeaderLength != packet.Length)
        {
            return false;
        }
        parsed = new Ipv6Packet(packet);
        return true;
    }

    /// <summary>True when the first nibble says IPv6, whatever else is wrong with the bytes.</summary>
    public static bool LooksLikeIpv6(ReadOnlySpan<byte> bytes) => bytes.Length > 0 && bytes[0] >> 4 == 6;

    public IPAddress SourceAddress() => new(Source);
    public IPAddress DestinationAddress() => new(Destination);
}
