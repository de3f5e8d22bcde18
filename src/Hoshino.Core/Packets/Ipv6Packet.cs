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

    /// <summary>
    /// True when the packet carries another IP packet: its upper-layer protocol, found by walking
    /// the extension headers (hop-by-hop, routing, fragment, destination options), is IPv6-in-IPv6
    /// (41), IPv4-in-IPv6 (4) or GRE (47). A packet inside such a packet has a source the receiver
    /// never checked, so the tunnel does not carry them unless told to. A chain that does not fit in
    /// the packet, or a non-first fragment (whose upper layer is unknown), is judged by what is seen.
    /// </summary>
    public bool CarriesTunnel()
    {
        byte next = NextHeader;
        int offset = HeaderLength;
        // At most a handful of extension headers in any sane packet; the bound stops a crafted chain.
        for (int i = 0; i < 8; i++)
        {
            switch (next)
            {
                case IpInIp or Ipv6InIp or Gre:
                    return true;
                case HopByHop or Routing or DestinationOptions when offset + 8 <= _packet.Length:
                    next = _packet[offset];
                    offset += (_packet[offset + 1] + 1) * 8;
                    continue;
                case Fragment when offset + 8 <= _packet.Length:
                    if ((BinaryPrimitives.ReadUInt16BigEndian(_packet[(offset + 2)..]) & 0xFFF8) != 0)
                    {
                        return false; // not the first fragment: the first one carries (and decides) the upper layer
                    }
                    next = _packet[offset];
                    offset += 8;
                    continue;
                default:
                    return false;
            }
        }
        return false;
    }

    private const byte HopByHop = 0, IpInIp = 4, Routing = 43, Fragment = 44, Ipv6InIp = 41, Gre = 47, DestinationOptions = 60;

    /// <summary>True when the first nibble says IPv6, whatever else is wrong with the bytes.</summary>
    public static bool LooksLikeIpv6(ReadOnlySpan<byte> bytes) => bytes.Length > 0 && bytes[0] >> 4 == 6;

    public IPAddress SourceAddress() => new(Source);
    public IPAddress DestinationAddress() => new(Destination);
}
