using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Hoshino.Packets;

/// <summary>
/// The object format (see docs/wire-format.md): <c>"HSN"</c>, a version byte, a flags byte, then one
/// or more frames of a 32-bit big-endian length and that many bytes of IPv6 packet. Sealed objects
/// (<see cref="FlagSealed"/>, written as <see cref="Version2"/>) carry a 16-byte random salt after
/// the header, the frames encrypted under a key derived from the <see cref="NetworkKey"/>, the salt
/// and the object key, and a 16-byte tag at the end; <see cref="Version1"/> sealed objects (a nonce,
/// the network key used directly) are still read. A bare IPv6 packet (first nibble 6; the original
/// prototype's format) is also accepted as a one-packet object when no key is in use.
/// </summary>
public static class BundleFormat
{
    /// <summary>Plain objects are v1; v1 sealed objects (the network key used directly) are only read.</summary>
    public const byte Version1 = 1;
    /// <summary>Sealed objects are written as v2 (a per-object key); v2 is a sealed layout only: a plain object labelled 2 is refused.</summary>
    public const byte Version2 = 2;
    public const int HeaderLength = 5;
    public const int FrameHeaderLength = 4;

    /// <summary>Flag bit: the frames are sealed with the network key (AES-256-GCM).</summary>
    public const byte FlagSealed = 0x01;

    /// <summary>Bytes between the header and the first (encrypted) frame of a sealed object (v2): the salt.</summary>
    public const int SaltLength = NetworkKey.SaltLength;

    /// <summary>Bytes after the last (encrypted) frame of a sealed object.</summary>
    public const int TagLength = NetworkKey.TagLength;

    /// <summary>What sealing adds to an object (v2): the salt and the tag.</summary>
    public const int SealOverhead = SaltLength + TagLength;

    /// <summary>Where the first (encrypted) frame of a sealed object (v2) starts.</summary>
    public const int SealedFramesOffset = HeaderLength + SaltLength;

    /// <summary>Where the first (encrypted) frame of a v1 sealed object starts: after its 12-byte nonce.</summary>
    internal const int Version1SealedFramesOffset = HeaderLength + NetworkKey.Version1NonceLength;

    /// <summary>Largest frame accepted: the biggest IPv6 packet without jumbo payload (40 + 65,535).</summary>
    public const int MaxFrameLength = Ipv6Packet.HeaderLength + ushort.MaxValue;

    /// <summary>Object keys up to this many characters build their associated data on the stack (real keys are at most 106).</summary>
    private const int StackKeyChars = 160;

    private static ReadOnlySpan<byte> Magic => "HSN"u8;

    /// <summary>Bytes needed to encode packets totalling <paramref name="packetBytes"/> bytes in <paramref name="count"/> frames.</summary>
    public static int EncodedLength(int count, int packetBytes, bool seal = false) =>
        HeaderLength + count * FrameHeaderLength + packetBytes + (seal ? SealOverhead : 0);

    /// <summary>
    /// Writes the header; returns where the first frame goes: right after the header, or, when
    /// <paramref name="flags"/> has <see cref="FlagSealed"/>, after the room left for the salt.
    /// Plain objects are labelled v1 (unchanged, so older receivers read them), sealed objects v2.
    /// </summary>
    public static int WriteHeader(Span<byte> destination, byte flags = 0)
    {
        bool seal = (flags & FlagSealed) != 0;
        Magic.CopyTo(destination);
        destination[3] = seal ? Version2 : Version1;
        destination[4] = flags;
        return seal ? SealedFramesOffset : HeaderLength;
    }

    /// <summary>Writes one frame; returns the number of bytes written.</summary>
    public static int WriteFrame(Span<byte> destination, ReadOnlySpan<byte> packet)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)packet.Length);
        packet.CopyTo(destination[FrameHeaderLength..]);
        return FrameHeaderLength + packet.Length;
    }

    /// <summary>
    /// Seals, in place, an object laid out by <see cref="WriteHeader"/> with <see cref="FlagSealed"/>
    /// and its frames: <paramref name="body"/> is the whole object, <see cref="EncodedLength"/> with
    /// <c>seal: true</c> bytes. Fills the salt with fresh random bytes, derives the object's own key
    /// from the network key, the salt and <paramref name="objectKey"/> (the relative key
    /// <c>{dest}/{src}/{ULID}</c>, or whatever shape the transport gives it, the object is stored
    /// under), encrypts the frames and writes the tag. The associated data binds the header, the
    /// salt and <paramref name="objectKey"/>. Every call draws a new salt, so a retry that seals again
    /// gets another key; re-PUTting the same sealed bytes (egress's retries) is what keeps one object one key.
    /// </summary>
    public static void Seal(Span<byte> body, ReadOnlySpan<char> objectKey, NetworkKey key)
    {
        if (body.Length < HeaderLength + SealOverhead || !body.StartsWith(Magic) || body[3] != Version2 || body[4] != FlagSealed)
        {
            throw new ArgumentException("not a sealed object's layout: write the header with FlagSealed and size it with EncodedLength(seal: true)", nameof(body));
        }
        RandomNumberGenerator.Fill(body.Slice(HeaderLength, SaltLength));
        ReadOnlySpan<byte> prefix = body[..SealedFramesOffset]; // header and salt
        byte[]? rented = null;
        Span<byte> aad = objectKey.Length <= StackKeyChars
            ? stackalloc byte[SealedFramesOffset + (StackKeyChars + 1) * 3]
            : (rented = ArrayPool<byte>.Shared.Rent(SealedFramesOffset + Encoding.UTF8.GetMaxByteCount(objectKey.Length)));
        try
        {
            aad = aad[..WriteAssociatedData(prefix, objectKey, aad)];
            key.Seal(aad[HeaderLength..], body[SealedFramesOffset..^TagLength], body[^TagLength..], aad);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
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
    /// <param name="frames">Cleared, then filled with (offset, length) of each packet in <paramref name="body"/>; empty after a rejection.</param>
    public static RejectReason Decode(ReadOnlySpan<byte> body, Address16 source, Address16 destination, List<Range> frames)
    {
        frames.Clear();
        if (body.IsEmpty)
        {
            return RejectReason.Empty;
        }
        if (Ipv6Packet.LooksLikeIpv6(body))
        {
            RejectReason bare = CheckPacket(body, source, destination);
            if (bare == RejectReason.None)
            {
                frames.Add(new Range(0, body.Length));
            }
            return bare;
        }
        if (body.Length < HeaderLength || !body.StartsWith(Magic))
        {
            return RejectReason.Malformed;
        }
        if (body[3] is not (Version1 or Version2))
        {
            return RejectReason.UnknownVersion;
        }
        if (body[4] != 0 || body[3] != Version1)
        {
            // Sealed objects (either version) need the network key; unknown flag bits mean a newer
            // writer; a plain object labelled 2 no writer makes (v2 only defines the sealed layout).
            return (body[4] & FlagSealed) != 0 ? RejectReason.Sealed : RejectReason.UnknownVersion;
        }
        return DecodeFrames(body, HeaderLength, body.Length, source, destination, frames);
    }

    /// <summary>
    /// <see cref="Decode(ReadOnlySpan{byte}, Address16, Address16, List{Range})"/> for a node that may
    /// hold a network key. Without a key (<paramref name="key"/> null) it is exactly that. With a key,
    /// only sealed objects (v2, or v1 from nodes not yet upgraded) that open with it are accepted:
    /// plain bundles and bare IPv6 packets are
    /// <see cref="RejectReason.Unsealed"/>, objects whose tag does not verify (another key, any byte
    /// altered, stored under another key) are <see cref="RejectReason.AuthFailed"/>. A sealed object
    /// is decrypted in place, so the ranges in <paramref name="frames"/> point at plaintext in
    /// <paramref name="body"/>; after a rejection <paramref name="body"/> may have been overwritten.
    /// Never throws on any input.
    /// </summary>
    /// <param name="body">The object as stored; modified when sealed.</param>
    /// <param name="objectKey">The relative key <c>{dest}/{src}/{ULID}</c> the object was listed under: part of the associated data and (v2) of the key derivation.</param>
    /// <param name="key">This node's network key, or null.</param>
    /// <param name="source">The sender named by the key: every packet's source must equal it.</param>
    /// <param name="destination">This node: every packet's destination must equal it.</param>
    /// <param name="frames">Cleared, then filled with (offset, length) of each packet in <paramref name="body"/>.</param>
    public static RejectReason Decode(Span<byte> body, ReadOnlySpan<char> objectKey, NetworkKey? key, Address16 source, Address16 destination, List<Range> frames)
    {
        if (key is null)
        {
            return Decode(body, source, destination, frames);
        }
        frames.Clear();
        if (body.IsEmpty)
        {
            return RejectReason.Empty;
        }
        if (Ipv6Packet.LooksLikeIpv6(body))
        {
            return RejectReason.Unsealed;
        }
        if (body.Length < HeaderLength || !body.StartsWith(Magic))
        {
            return RejectReason.Malformed;
        }
        byte version = body[3];
        if (version is not (Version1 or Version2))
        {
            return RejectReason.UnknownVersion;
        }
        if (body[4] != FlagSealed)
        {
            return body[4] == 0 && version == Version1 ? RejectReason.Unsealed : RejectReason.UnknownVersion;
        }
        int framesOffset = version == Version2 ? SealedFramesOffset : Version1SealedFramesOffset;
        if (body.Length < framesOffset + TagLength)
        {
            return RejectReason.Malformed;
        }
        if (!TryOpen(body, version, objectKey, key))
        {
            return RejectReason.AuthFailed;
        }
        return DecodeFrames(body, framesOffset, body.Length - TagLength, source, destination, frames);
    }

    /// <summary>
    /// Opens a sealed object of <paramref name="version"/> in place. v2: associated data = header,
    /// salt, object key; HKDF info = salt, object key. v1: associated data = header, object key.
    /// </summary>
    private static bool TryOpen(Span<byte> body, byte version, ReadOnlySpan<char> objectKey, NetworkKey key)
    {
        // v2 binds the header and the salt (both in the prefix); v1 binds the header only.
        int framesOffset = version == Version2 ? SealedFramesOffset : Version1SealedFramesOffset;
        ReadOnlySpan<byte> prefix = version == Version2 ? body[..SealedFramesOffset] : body[..HeaderLength];
        byte[]? rented = null;
        Span<byte> aad = objectKey.Length <= StackKeyChars
            ? stackalloc byte[SealedFramesOffset + (StackKeyChars + 1) * 3]
            : (rented = ArrayPool<byte>.Shared.Rent(SealedFramesOffset + Encoding.UTF8.GetMaxByteCount(objectKey.Length)));
        try
        {
            aad = aad[..WriteAssociatedData(prefix, objectKey, aad)];
            Span<byte> ciphertext = body[framesOffset..^TagLength];
            ReadOnlySpan<byte> tag = body[^TagLength..];
            return version == Version2
                ? key.TryOpen(aad[HeaderLength..], ciphertext, tag, aad)
                : key.TryOpenVersion1(body[HeaderLength..framesOffset], ciphertext, tag, aad);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Associated data of a sealed object: <paramref name="prefix"/> (v2: header and salt; v1: header), then the object key in UTF-8 (ASCII for every valid key).</summary>
    private static int WriteAssociatedData(ReadOnlySpan<byte> prefix, ReadOnlySpan<char> objectKey, Span<byte> destination)
    {
        prefix.CopyTo(destination);
        return prefix.Length + Encoding.UTF8.GetBytes(objectKey, destination[prefix.Length..]);
    }

    /// <summary>
    /// Parses the frames in <paramref name="body"/>[<paramref name="start"/>..<paramref name="end"/>];
    /// ranges are relative to <paramref name="body"/>. On rejection <paramref name="frames"/> is left empty.
    /// </summary>
    private static RejectReason DecodeFrames(ReadOnlySpan<byte> body, int start, int end, Address16 source, Address16 destination, List<Range> frames)
    {
        RejectReason reason = ParseFrames(body, start, end, source, destination, frames);
        if (reason != RejectReason.None)
        {
            frames.Clear();
        }
        return reason;
    }

    private static RejectReason ParseFrames(ReadOnlySpan<byte> body, int start, int end, Address16 source, Address16 destination, List<Range> frames)
    {
        int offset = start;
        while (offset < end)
        {
            if (end - offset < FrameHeaderLength)
            {
                return RejectReason.Malformed;
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(body[offset..]);
            offset += FrameHeaderLength;
            if (length == 0 || length > MaxFrameLength || length > (uint)(end - offset))
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
    /// <summary>Not sealed (a plain bundle or a bare IPv6 packet), but this node requires a network key.</summary>
    Unsealed,
    /// <summary>Sealed, but does not open with this node's network key: another key, or altered.</summary>
    AuthFailed,
    /// <summary>A key this node already delivered, written again within the maximum packet age.</summary>
    Replay,
    /// <summary>Dated (by its key's ULID) further in the future than clock skew explains.</summary>
    TooNew,
    /// <summary>The key's sender is outside the network's /64 (link-local, another prefix) or is this node.</summary>
    BadSource,
    /// <summary>A packet carries another IP packet (IPv6-in-IPv6, IPv4-in-IPv6, GRE) and the node does not allow it.</summary>
    Encapsulated,
    /// <summary>The store refused to return the object (an archive storage class, a customer encryption key, access denied).</summary>
    Unfetchable,
    /// <summary>Deleted unread: its sender's recent objects were rejected faster than the node allows.</summary>
    RateLimited,
    /// <summary>Transport v2: the receiver remembers as many streams as it may, and none is retired.</summary>
    TooManyStreams,
    /// <summary>Transport v2: the sender has as many newer epochs as the receiver keeps for one sender.</summary>
    TooManyEpochs,
    /// <summary>Transport v2: an epoch older than the sender's newest, appearing long after it.</summary>
    StaleEpoch,
    /// <summary>Transport v2: a sequence number further past its stream's cursor than any honest sender gets.</summary>
    TooFarAhead,
    /// <summary>Transport v2: an epoch dated further ahead than clock skew explains.</summary>
    EpochTooNew,
}
