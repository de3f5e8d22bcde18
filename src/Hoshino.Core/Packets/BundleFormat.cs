using System.Buffers.Binary;

namespace Hoshino.Packets;

/// <summary>
/// Object format v1 (see docs/wire-format.md): <c>"HSN"</c>, a version byte, a flags byte, then one
/// or more frames of a 32-bit big-endian length and that many bytes of IPv6 packet. A bare IPv6
/// packet (first nibble 6; the original prototype's format) is also accepted as a one-packet object.
/// </summary>
public static class BundleFormat
{
    public const byte Version1 = 1;
    public const int HeaderLength = 5;
    public const int FrameHeaderLength = 4;

    /// <summary>Flag bit: the frames are sealed with the network key. Reserved until sealing lands.</summary>
    public const byte FlagSealed = 0x01;

    /// <summary>Largest frame accepted: the biggest IPv6 packet without jumbo payload (40 + 65,535).</summary>
    public const int MaxFrameLength = Ipv6Packet.HeaderLength + ushort.MaxValue;

    private static ReadOnlySpan<byte> Magic => "HSN"u8;

    /// <summary>Bytes needed to encode packets totalling <paramref name="packetBytes"/> bytes in <paramref name="count"/> frames.</summary>
    public static int EncodedLength(int count, int packetBytes) => HeaderLength + count * FrameHeaderLength + packetBytes;

    /// <summary>Writes the header; returns the number of bytes written.</summary>
    public static int WriteHeader(Span<byte> destination, byte flags = 0)
    {
        Magic.CopyTo(destination);
        destination[3] = Version1;
        destination[4] = flags;
        return HeaderLength;
    }

    /// <summary>Writes one frame; returns the number of bytes written.</summary>
    public static int WriteFrame(Span<byte> destination, ReadOnlySpan<byte> packet)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)packet.Length);
        packet.CopyTo(destination[FrameHeaderLength..]);
        return FrameHeaderLength + packet.Length;
    }

    /// <summary>
    /// Checks a whole object and, when every packet in it is acceptable, returns
    /// <see cref="RejectReason.None"/> with the packets' positions in <paramref name="frames"/>.
    /// All-or-nothing: one bad frame rejects the object, so nothing from a malformed or hostile
    /// object reaches the kernel. Never throws on any input.
    /// </summary>
    /// <param name="body">The object as stored.</param>
    /// <param name="source">The sender named by the key: every packet's source must equal it.</param>
    /// <param name="destination">This node: every packet's destination must equal it.</param>
    /// <param name="frames">Cleared, then filled with (offset, length) of each packet in <paramref name="body"/>.</param>
    public static RejectReason Decode(ReadOnlySpan<byte> body, Address16 source, Address16 destination, List<Range> frames)
    {
        frames.Clear();
        if (body.IsEmpty)
        {
            return RejectReason.Empty;
        }
        if (Ipv6Packet.LooksLikeIpv6(body))
        {
            frames.Add(new Range(0, body.Length));
            return CheckPacket(body, source, destination);
        }
        if (body.Length < HeaderLength || !body.StartsWith(Magic))
        {
            return RejectReason.Malformed;
        }
        if (body[3] != Version1)
        {
            return RejectReason.UnknownVersion;
        }
        if (body[4] != 0)
        {
            // Sealed objects need the network key; unknown flag bits mean a newer writer.
            return (body[4] & FlagSealed) != 0 ? RejectReason.Sealed : RejectReason.UnknownVersion;
        }
        int offset = HeaderLength;
        while (offset < body.Length)
        {
            if (body.Length - offset < FrameHeaderLength)
            {
                return RejectReason.Malformed;
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(body[offset..]);
            offset += FrameHeaderLength;
            if (length == 0 || length > MaxFrameLength || length > (uint)(body.Length - offset))
            {
                return RejectReason.Malformed;
            }
            RejectReason reason = CheckPacket(body.Slice(offset, (int)length), source, destination);
            if (reason != RejectReason.None)
            {
                return reason;
            }
            frames.Add(new Range(offset, offset + (int)length));
            offset += (int)length;
        }
        return frames.Count == 0 ? RejectReason.Empty : RejectReason.None;
    }

    private static RejectReason CheckPacket(ReadOnlySpan<byte> packet, Address16 source, Address16 destination)
    {
        if (!Ipv6Packet.TryParse(packet, out Ipv6Packet ip))
        {
            return RejectReason.NotIpv6;
        }
        if (!source.Equals(ip.Source))
        {
            return RejectReason.WrongSource;
        }
        return destination.Equals(ip.Destination) ? RejectReason.None : RejectReason.WrongDestination;
    }
}

/// <summary>Why an object from the store was refused. A closed set: each is a metric label.</summary>
public enum RejectReason
{
    None,
    /// <summary>The key does not have the <c>{dest}/{src}/{ULID}</c> form.</summary>
    BadKey,
    /// <summary>Zero bytes, or a header with no frames.</summary>
    Empty,
    /// <summary>Not a bundle and not an IPv6 packet, or a frame runs past the end.</summary>
    Malformed,
    /// <summary>A format version (or flag) this node does not know.</summary>
    UnknownVersion,
    /// <summary>Sealed with a network key this node does not have.</summary>
    Sealed,
    /// <summary>A frame that is not one well-formed IPv6 packet.</summary>
    NotIpv6,
    /// <summary>A packet whose source is not the key's sender.</summary>
    WrongSource,
    /// <summary>A packet not addressed to this node.</summary>
    WrongDestination,
    /// <summary>Larger than the object size bound (decided from the listing; never downloaded).</summary>
    TooLarge,
    /// <summary>Older than the maximum packet age (stale backlog or a replay).</summary>
    TooOld,
}
