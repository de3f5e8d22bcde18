using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Hoshino.Packets;

namespace Hoshino.Store;

/// <summary>
/// The key of one bundle, relative to the store's key prefix: <c>{dest}/{src}/{ULID}</c>, with both
/// addresses in canonical RFC 5952 text. The <c>src</c> segment lets IAM confine each node to
/// writing under its own name, and lets the receiver check every packet's source against it.
/// </summary>
public readonly record struct ObjectKey(Address16 Destination, Address16 Source, Ulid Id)
{
    /// <summary>26 Crockford base32 characters; the first at most '7' (48-bit time).</summary>
    private const int UlidLength = 26;
    private static readonly System.Buffers.SearchValues<char> Crockford = System.Buffers.SearchValues.Create("0123456789ABCDEFGHJKMNPQRSTVWXYZ");

    /// <summary>The LIST prefix of a node's inbox. Ends in '/', so <c>fd00::1/</c> never matches <c>fd00::10/…</c>.</summary>
    public static string InboxOf(Address16 node) => node + "/";

    /// <summary>
    /// A node's doorbell, <c>{node}/doorbell</c>: any node may write it to wake an idle node, which
    /// checks it with a HEAD (a twelfth of a LIST's price) instead of listing its inbox every poll.
    /// Its body is never delivered; only its version tag matters. See docs/adr/0007-doorbell.md.
    /// </summary>
    public static string DoorbellOf(Address16 node) => node + "/doorbell";

    /// <summary>
    /// What a ring writes: a fresh ULID and a newline (27 bytes). Only its novelty matters: every ring
    /// must change the doorbell's tag (on S3 the ETag, the MD5 of the body).
    /// </summary>
    public static byte[] DoorbellBody(Ulid id) => System.Text.Encoding.ASCII.GetBytes(id + "\n");

    public override string ToString() => $"{Destination}/{Source}/{Id}";

    /// <summary>
    /// Parses a relative key strictly: both addresses must be IPv6 in canonical form and the ULID
    /// must be canonical upper-case Crockford base32, so that one object has exactly one key.
    /// </summary>
    public static bool TryParse(string key, [NotNullWhen(true)] out ObjectKey? parsed)
    {
        parsed = null;
        int first = key.IndexOf('/', StringComparison.Ordinal);
        if (first <= 0)
        {
            return false;
        }
        int second = key.IndexOf('/', first + 1);
        if (second <= first + 1 || key.Length - second - 1 != UlidLength)
        {
            return false;
        }
        if (!TryParseCanonicalAddress(key.AsSpan(0, first), out Address16 destination)
            || !TryParseCanonicalAddress(key.AsSpan(first + 1, second - first - 1), out Address16 source))
        {
            return false;
        }
        ReadOnlySpan<char> id = key.AsSpan(second + 1);
        if (id.ContainsAnyExcept(Crockford) || id[0] > '7' || !Ulid.TryParse(id, out Ulid ulid) || TimeOf(ulid) > MaxUnixMilliseconds)
        {
            return false;
        }
        parsed = new ObjectKey(destination, source, ulid);
        return true;
    }

    /// <summary>The last millisecond <see cref="DateTimeOffset"/> can hold; a 48-bit ULID time can go past it.</summary>
    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private static long TimeOf(Ulid ulid)
    {
        Span<byte> bytes = stackalloc byte[16];
        ulid.TryWriteBytes(bytes);
        long ms = 0;
        foreach (byte b in bytes[..6])
        {
            ms = (ms << 8) | b;
        }
        return ms;
    }

    private static bool TryParseCanonicalAddress(ReadOnlySpan<char> text, out Address16 address)
    {
        address = default;
        if (text.Length > 45 || !IPAddress.TryParse(text, out IPAddress? ip)
            || ip.AddressFamily != AddressFamily.InterNetworkV6 || ip.ScopeId != 0)
        {
            return false;
        }
        // Reject other spellings of the same address (upper case, leading zeros, "::" elsewhere).
        if (!text.SequenceEqual(ip.ToString()))
        {
            return false;
        }
        address = Address16.From(ip);
        return true;
    }
}
