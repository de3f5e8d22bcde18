using System.Buffers.Binary;
using Hoshino.Packets;
using Hoshino.Tunnel;

namespace Hoshino.Peers;

/// <summary>
/// A TUN device that counts what passes it per peer (<see cref="PeerTraffic"/>) and times ICMPv6
/// echoes this node sends: the TUN sees every tunnel packet both ways, so the pumps need not know.
/// Reads are the kernel sending into the tunnel (the destination is the peer); successful writes
/// are packets from the tunnel reaching the kernel (the source is the peer). Only addresses in the
/// node's /64 other than its own count; the egress loop ignores the rest, and so does this.
/// </summary>
public sealed class PeerMeteringTun(ITunDevice inner, PeerTraffic traffic, Address16 self, TimeProvider time) : ITunDevice
{
    private const byte IcmpV6 = 58, EchoRequest = 128, EchoReply = 129;
    private const int SourceOffset = 8, DestinationOffset = 24;

    public string Name => inner.Name;

    public int Mtu => inner.Mtu;

    public int Read(Span<byte> buffer)
    {
        int length = inner.Read(buffer);
        if (length > 0)
        {
            Observe(buffer[..length], outgoing: true);
        }
        return length;
    }

    public bool Write(ReadOnlySpan<byte> packet)
    {
        bool written = inner.Write(packet);
        if (written)
        {
            Observe(packet, outgoing: false);
        }
        return written;
    }

    public void Close() => inner.Close();

    public void Dispose() => inner.Dispose();

    private void Observe(ReadOnlySpan<byte> packet, bool outgoing)
    {
        if (packet.Length < Ipv6Packet.HeaderLength || packet[0] >> 4 != 6)
        {
            return;
        }
        Address16 peer = Address16.From(packet.Slice(outgoing ? DestinationOffset : SourceOffset, 16));
        if (peer.High != self.High || peer == self)
        {
            return; // outside the /64 (multicast, a stray route) or this node itself
        }
        DateTimeOffset now = time.GetUtcNow();
        if (outgoing)
        {
            traffic.Sent(peer, packet.Length, now);
        }
        else
        {
            traffic.Received(peer, packet.Length, now);
        }
        // An echo right after the fixed header (ping adds no extension headers).
        if (packet[6] == IcmpV6 && packet.Length >= Ipv6Packet.HeaderLength + 8)
        {
            ReadOnlySpan<byte> icmp = packet[Ipv6Packet.HeaderLength..];
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]), sequence = BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]);
            if (outgoing && icmp[0] == EchoRequest)
            {
                traffic.EchoSent(peer, id, sequence, now);
            }
            else if (!outgoing && icmp[0] == EchoReply)
            {
                traffic.EchoReplied(peer, id, sequence, now);
            }
        }
    }
}
