using Hoshino.Diagnostics;
using Hoshino.Packets;

namespace Hoshino.Egress;

/// <summary>
/// Which packets from the kernel go into the tunnel: well-formed IPv6, from this node, to another
/// address of the network, and (unless allowed) not carrying another IP packet. Pure and
/// thread-safe; the reason for each refusal is a metric label.
/// </summary>
internal sealed class EgressFilter(Address16 self, ulong networkHigh, bool allowEncapsulated)
{
    /// <summary>True with the packet's destination when it is for the tunnel; else false with why not.</summary>
    public bool TryAccept(ReadOnlySpan<byte> packet, out Address16 destination, out IgnoreReason reason)
    {
        destination = default;
        reason = IgnoreReason.NotIpv6;
        if (!Ipv6Packet.TryParse(packet, out Ipv6Packet ip))
        {
            return false;
        }
        destination = Address16.From(ip.Destination);
        if (destination.High != networkHigh || destination == self)
        {
            // Multicast (MLD, neighbour discovery), link-local, or another network: not for the tunnel.
            reason = IgnoreReason.NotInNetwork;
            return false;
        }
        if (!self.Equals(ip.Source))
        {
            reason = IgnoreReason.NotFromSelf;
            return false;
        }
        if (!allowEncapsulated && ip.CarriesTunnel())
        {
            reason = IgnoreReason.Encapsulated; // the receiver would reject the whole bundle
            return false;
        }
        return true;
    }
}
