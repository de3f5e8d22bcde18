using System.Buffers.Binary;
using System.Net;

namespace Hoshino.TestSupport.Tunnel;

/// <summary>A UDP datagram in an IPv6 packet, as <see cref="UdpPackets.TryParse"/> found it.</summary>
public sealed record UdpDatagram(IPEndPoint Source, IPEndPoint Destination, byte[] Payload);

/// <summary>
/// IPv6/UDP packets built and checked by hand (RFC 8200, RFC 768), so a test can talk to a kernel
/// through a TUN device with real sockets on the other side: the kernel drops a datagram whose
/// checksum is wrong, and computes a right one for what it sends.
/// </summary>
public static class UdpPackets
{
    public const int HeaderLength = 40 + 8;
    private const byte Udp = 17;

    /// <summary>An IPv6 packet carrying one UDP datagram, checksummed; <see cref="HeaderLength"/> + payload bytes long.</summary>
    public static byte[] Build(IPEndPoint source, IPEndPoint destination, ReadOnlySpan<byte> payload)
    {
        byte[] packet = new byte[HeaderLength + payload.Length];
        int upperLength = 8 + payload.Length;
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), checked((ushort)upperLength));
        packet[6] = Udp;
        packet[7] = 64;
        Assert.True(source.Address.TryWriteBytes(packet.AsSpan(8, 16), out int written) && written == 16);
        Assert.True(destination.Address.TryWriteBytes(packet.AsSpan(24, 16), out written) && written == 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(40), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(42), (ushort)destination.Port);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(44), (ushort)upperLength);
        payload.CopyTo(packet.AsSpan(HeaderLength));
        ushort checksum = (ushort)~Sum(packet);
        // RFC 8200 §8.1: a computed zero is sent as all ones; zero means "no checksum", which IPv6 forbids.
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(46), checksum == 0 ? (ushort)0xFFFF : checksum);
        return packet;
    }

    /// <summary>
    /// True for an IPv6 packet whose next header is UDP, whose lengths all agree with its size and
    /// whose checksum is right; anything else (an MLD report the kernel sent, a torn packet) is false.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out UdpDatagram datagram)
    {
        datagram = null!;
        if (packet.Length < HeaderLength || packet[0] >> 4 != 6 || packet[6] != Udp)
        {
            return false;
        }
        int upperLength = packet.Length - 40;
        if (BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) != upperLength
            || BinaryPrimitives.ReadUInt16BigEndian(packet[44..]) != upperLength
            || BinaryPrimitives.ReadUInt16BigEndian(packet[46..]) == 0
            || Sum(packet) != 0xFFFF)
        {
            return false;
        }
        datagram = new UdpDatagram(
            new IPEndPoint(new IPAddress(packet.Slice(8, 16)), BinaryPrimitives.ReadUInt16BigEndian(packet[40..])),
            new IPEndPoint(new IPAddress(packet.Slice(24, 16)), BinaryPrimitives.ReadUInt16BigEndian(packet[42..])),
            packet[HeaderLength..].ToArray());
        return true;
    }

    /// <summary>One's complement sum over the pseudo-header (addresses, upper-layer length, next header) and the datagram.</summary>
    private static uint Sum(ReadOnlySpan<byte> packet)
    {
        uint sum = 0;
        for (int i = 8; i < 40; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet[i..]);
        }
        sum += (uint)(packet.Length - 40) + Udp;
        for (int i = 40; i < packet.Length; i += 2)
        {
            sum += i + 1 < packet.Length ? BinaryPrimitives.ReadUInt16BigEndian(packet[i..]) : (uint)packet[i] << 8;
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return sum;
    }
}
