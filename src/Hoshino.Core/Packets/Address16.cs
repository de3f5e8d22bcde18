using System.Buffers.Binary;
using System.Net;

namespace Hoshino.Packets;

/// <summary>
/// An IPv6 address as a 128-bit value: cheap to compare and hash, so the hot paths can key
/// dictionaries and compare packet headers without allocating <see cref="IPAddress"/> objects.
/// </summary>
public readonly record struct Address16(ulong High, ulong Low)
{
    public static Address16 From(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));

    public static Address16 From(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written) || written != 16)
        {
            throw new ArgumentException($"{address} is not an IPv6 address", nameof(address));
        }
        return From(bytes);
    }

    public bool Equals(ReadOnlySpan<byte> bytes) => bytes.Length == 16 && this == From(bytes);

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Low);
        return new IPAddress(bytes);
    }

    /// <summary>Canonical RFC 5952 text, the form used in object keys.</summary>
    public override string ToString() => ToIPAddress().ToString();
}
