using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Tunnel;

namespace Hoshino.Ingress;

/// <summary>
/// The last two steps of both ingress paths (v1 by listing, v2 by name): open a fetched body into
/// its packets, checked against its key, and write them to the kernel, counted. Thread-safe (the
/// TUN device's writes are).
/// </summary>
internal static class TunDelivery
{
    /// <summary>
    /// Decodes <paramref name="body"/> (decrypting it in place when sealed: <paramref name="frames"/>
    /// then point at plaintext) as an object stored under <paramref name="name"/> by
    /// <paramref name="source"/> for <paramref name="self"/>. None, or why it is refused.
    /// </summary>
    public static RejectReason Open(byte[] body, string name, Address16 source, Address16 self, IngressOptions options, List<Range> frames)
    {
        RejectReason reason = BundleFormat.Decode(body, name, options.Key, source, self, frames);
        if (reason == RejectReason.None && !options.AllowEncapsulated && AnyCarriesTunnel(body, frames))
        {
            reason = RejectReason.Encapsulated;
        }
        return reason;
    }

    /// <summary>Writes each frame of <paramref name="body"/> as one packet; a packet the kernel refuses is counted as a drop.</summary>
    public static (int Written, bool Refused) Write(ITunDevice tun, HoshinoMetrics metrics, byte[] body, List<Range> frames)
    {
        int written = 0;
        long bytes = 0;
        bool refused = false;
        foreach (Range frame in frames)
        {
            ReadOnlySpan<byte> packet = body.AsSpan()[frame];
            if (tun.Write(packet))
            {
                written++;
                bytes += packet.Length;
            }
            else
            {
                metrics.PacketsDropped(Direction.Ingress, DropReason.TunWriteFailed);
                refused = true;
            }
        }
        metrics.PacketsMoved(Direction.Ingress, written, bytes);
        metrics.BundleMade(Direction.Ingress, written, body.Length);
        return (written, refused);
    }

    private static bool AnyCarriesTunnel(byte[] body, List<Range> frames)
    {
        foreach (Range frame in frames)
        {
            if (Ipv6Packet.TryParse(body.AsSpan()[frame], out Ipv6Packet ip) && ip.CarriesTunnel())
            {
                return true;
            }
        }
        return false;
    }
}
