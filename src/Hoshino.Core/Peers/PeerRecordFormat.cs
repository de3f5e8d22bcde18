using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Hoshino.Packets;

namespace Hoshino.Peers;

/// <summary>What a node states about itself in its directory record (the renewal time is the store's, not the body's).</summary>
/// <param name="Name">A lower-case DNS label (<see cref="PeerName"/>).</param>
/// <param name="Address">The node's address; the record's key is derived from it.</param>
/// <param name="Version">The node's software version.</param>
/// <param name="Started">When the node started.</param>
/// <param name="Sealed">Whether the record (and so the node) is sealed with the network key.</param>
public sealed record PeerStatement(string Name, IPAddress Address, string Version, DateTimeOffset Started, bool Sealed);

/// <summary>
/// The directory record (docs/wire-format.md): <c>"HSD"</c>, version 1, a flags byte, then UTF-8
/// lines <c>name=</c>, <c>address=</c>, <c>version=</c>, <c>started=</c> (Unix milliseconds). With
/// <see cref="FlagSealed"/> the lines are encrypted as a bundle's frames are (ADR 0008): a 16-byte
/// salt after the header, AES-256-GCM under a key derived from the network key, the salt and the
/// record's object key, a 16-byte tag at the end, the header, salt and object key authenticated. So
/// a sealed record opens only under its own key: copied to another node's key, it fails.
/// <para>
/// The body holds no renewal time on purpose: a node renews by writing the same bytes again, which
/// keeps the object's ETag, so readers, who fetch only records whose tag changed, do not fetch it
/// again. The store's Last-Modified is the renewal time. Pure: no store, no clock.
/// </para>
/// </summary>
public static class PeerRecordFormat
{
    public const byte Version1 = 1;
    public const byte FlagSealed = 0x01;
    public const int HeaderLength = 5;

    /// <summary>Largest record read; a listing that reports more is refused unread.</summary>
    public const int MaxBytes = 1024;

    /// <summary>Longest version string taken: printable ASCII.</summary>
    public const int MaxVersionLength = 64;

    /// <summary>Every record's key starts with this (relative to the store's key prefix).</summary>
    public const string Prefix = "directory/";

    private static ReadOnlySpan<byte> Magic => "HSD"u8;

    /// <summary>The record key of the node at <paramref name="address"/>: derived from the address, which IAM pins per node, never from the free-form name.</summary>
    public static string KeyOf(IPAddress address) => Prefix + address;

    /// <summary>The address a record key names, or null when the key is not one (not canonical, not in <paramref name="network"/>, deeper).</summary>
    public static IPAddress? AddressOf(string key, IPNetwork network)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        string text = key[Prefix.Length..];
        return text.Length is > 0 and <= 39 && IPAddress.TryParse(text, out IPAddress? address)
            && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId == 0
            && address.ToString() == text && network.Contains(address)
            ? address
            : null;
    }

    /// <summary>The record for <paramref name="statement"/>, stored under <see cref="KeyOf"/> its address; sealed when <paramref name="key"/> is given.</summary>
    public static byte[] Encode(PeerStatement statement, NetworkKey? key)
    {
        byte[] lines = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"name={statement.Name}\naddress={statement.Address}\nversion={statement.Version}\nstarted={statement.Started.ToUnixTimeMilliseconds()}\n"));
        bool seal = key is not null;
        int offset = HeaderLength + (seal ? NetworkKey.SaltLength : 0);
        var body = new byte[offset + lines.Length + (seal ? NetworkKey.TagLength : 0)];
        Magic.CopyTo(body);
        body[3] = Version1;
        body[4] = seal ? FlagSealed : (byte)0;
        lines.CopyTo(body, offset);
        if (key is not null)
        {
            RandomNumberGenerator.Fill(body.AsSpan(HeaderLength, NetworkKey.SaltLength));
            byte[] aad = AssociatedData(body.AsSpan(0, offset), KeyOf(statement.Address));
            key.Seal(aad.AsSpan(HeaderLength), body.AsSpan(offset, lines.Length), body.AsSpan(body.Length - NetworkKey.TagLength), aad);
        }
        if (body.Length > MaxBytes)
        {
            throw new ArgumentException($"a record is at most {MaxBytes} bytes; this one is {body.Length} (version string too long?)", nameof(statement));
        }
        return body;
    }

    /// <summary>
    /// Reads the record stored under <paramref name="objectKey"/>: the statement, or why not. Never
    /// throws on any input. <paramref name="now"/> bounds the start time (allowing
    /// <paramref name="skew"/>); <paramref name="key"/> is this network's key, if it has one.
    /// </summary>
    public static (PeerStatement? Statement, DirectoryRejectReason Reason) Decode(string objectKey, ReadOnlySpan<byte> body, IPNetwork network,
        NetworkKey? key, DateTimeOffset now, TimeSpan skew)
    {
        IPAddress? keyAddress = AddressOf(objectKey, network);
        if (keyAddress is null)
        {
            return (null, DirectoryRejectReason.BadKey);
        }
        if (body.Length > MaxBytes)
        {
            return (null, DirectoryRejectReason.TooLarge);
        }
        if (body.Length < HeaderLength || !body.StartsWith(Magic))
        {
            return (null, DirectoryRejectReason.Malformed);
        }
        if (body[3] != Version1 || (body[4] & ~FlagSealed) != 0)
        {
            return (null, DirectoryRejectReason.UnknownVersion);
        }
        bool isSealed = body[4] == FlagSealed;
        if (isSealed && key is null)
        {
            return (null, DirectoryRejectReason.Sealed);
        }
        if (!isSealed && key is not null)
        {
            return (null, DirectoryRejectReason.Unsealed);
        }
        byte[] lines;
        if (key is not null)
        {
            int offset = HeaderLength + NetworkKey.SaltLength;
            if (body.Length < offset + NetworkKey.TagLength)
            {
                return (null, DirectoryRejectReason.Malformed);
            }
            lines = body[offset..^NetworkKey.TagLength].ToArray();
            byte[] aad = AssociatedData(body[..offset], objectKey);
            if (!key.TryOpen(aad.AsSpan(HeaderLength), lines, body[^NetworkKey.TagLength..], aad))
            {
                return (null, DirectoryRejectReason.AuthFailed);
            }
        }
        else
        {
            lines = body[HeaderLength..].ToArray();
        }
        return Parse(lines, keyAddress, isSealed, now, skew);
    }

    private static (PeerStatement?, DirectoryRejectReason) Parse(byte[] lines, IPAddress keyAddress, bool isSealed, DateTimeOffset now, TimeSpan skew)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(lines);
        }
        catch (DecoderFallbackException)
        {
            return (null, DirectoryRejectReason.Malformed);
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            // Unknown fields are allowed (a later version may add some); a repeated one is not: which would count?
            if (eq <= 0 || !fields.TryAdd(line[..eq], line[(eq + 1)..]))
            {
                return (null, DirectoryRejectReason.Malformed);
            }
        }
        if (!fields.TryGetValue("name", out string? name) || !fields.TryGetValue("address", out string? addressText)
            || !fields.TryGetValue("version", out string? version) || !IsPrintableAscii(version, MaxVersionLength)
            || !fields.TryGetValue("started", out string? startedText)
            || !long.TryParse(startedText, NumberStyles.None, CultureInfo.InvariantCulture, out long startedMs)
            || startedMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return (null, DirectoryRejectReason.Malformed);
        }
        if (!IPAddress.TryParse(addressText, out IPAddress? address) || !address.Equals(keyAddress) || address.ScopeId != 0)
        {
            return (null, DirectoryRejectReason.WrongAddress);
        }
        if (!PeerName.IsValid(name))
        {
            return (null, DirectoryRejectReason.BadName);
        }
        DateTimeOffset started = DateTimeOffset.FromUnixTimeMilliseconds(startedMs);
        if (started > now + skew)
        {
            return (null, DirectoryRejectReason.FutureTime);
        }
        return (new PeerStatement(name, keyAddress, version, started, isSealed), DirectoryRejectReason.None);
    }

    private static bool IsPrintableAscii(string text, int maxLength) =>
        text.Length is > 0 && text.Length <= maxLength && text.All(c => c is >= '!' and <= '~');

    /// <summary>Header, salt and the UTF-8 object key: what the tag binds (the same shape as a bundle's).</summary>
    private static byte[] AssociatedData(ReadOnlySpan<byte> headerAndSalt, string objectKey)
    {
        var aad = new byte[headerAndSalt.Length + Encoding.UTF8.GetByteCount(objectKey)];
        headerAndSalt.CopyTo(aad);
        Encoding.UTF8.GetBytes(objectKey, aad.AsSpan(headerAndSalt.Length));
        return aad;
    }
}
