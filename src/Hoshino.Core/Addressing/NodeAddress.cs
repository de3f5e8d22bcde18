using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Hoshino.Addressing;

/// <summary>
/// Works out a node's tunnel address: the network's /64 prefix followed by the first 16 hex digits
/// of the machine-id as interface identifier. Machine-id <c>c05f7f48de53428f…</c> in
/// <c>fd5e:59b8:f71d:9a3e::/64</c> gives <c>fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f</c>.
/// </summary>
public static class NodeAddress
{
    public const string DefaultPrefix = "fd5e:59b8:f71d:9a3e::/64";
    public const string DefaultMachineIdFile = "/etc/machine-id";

    /// <summary>Only /64 networks are supported: the interface identifier is exactly 64 bits.</summary>
    public const int PrefixLength = 64;

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Parses <c>ADDRESS/64</c>; the host bits must be zero. Throws <see cref="AddressException"/>.</summary>
    public static IPNetwork ParsePrefix(string text)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (!IPNetwork.TryParse(text, out IPNetwork network)
            || network.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6
            || !IPAddress.TryParse(text.AsSpan(0, slash), out IPAddress? written)
            || !written.Equals(network.BaseAddress)
            || written.IsIPv4MappedToIPv6)
        {
            // IPNetwork.TryParse clears host bits on .NET 10; a prefix written with them is a mistake.
            throw new AddressException(AddressProblem.BadPrefix,
                $"bad prefix '{text}': expected an IPv6 network such as {DefaultPrefix} with all host bits zero");
        }
        if (network.PrefixLength != PrefixLength)
        {
            throw new AddressException(AddressProblem.BadPrefix,
                $"bad prefix '{text}': the prefix must be a /64 (the interface identifier comes from the machine-id)");
        }
        return network;
    }

    /// <summary>Parses an explicit <c>--address</c>, which must be a unicast address inside <paramref name="network"/>.</summary>
    public static IPAddress ParseAddress(string text, IPNetwork network)
    {
        if (!IPAddress.TryParse(text, out IPAddress? address) || address.AddressFamily != AddressFamily.InterNetworkV6
            || address.ScopeId != 0)
        {
            throw new AddressException(AddressProblem.BadAddress, $"bad address '{text}': expected an IPv6 address such as fd5e:59b8:f71d:9a3e::1");
        }
        if (!network.Contains(address))
        {
            throw new AddressException(AddressProblem.BadAddress, $"bad address '{text}': it is not inside the network prefix {network}");
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (bytes[8..].IndexOfAnyExcept((byte)0) < 0)
        {
            throw new AddressException(AddressProblem.BadAddress, $"bad address '{text}': the all-zero interface identifier is the subnet-router anycast address");
        }
        return address;
    }

    /// <summary>Derives the address from the text of a machine-id file (32 lowercase hex digits and a newline).</summary>
    public static IPAddress FromMachineId(IPNetwork network, string machineIdText, string sourceForErrors = "machine-id")
    {
        ReadOnlySpan<char> id = machineIdText.AsSpan().Trim();
        if (id.Length < 16 || !ulong.TryParse(id[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong interfaceId)
            || id.ContainsAnyExcept(HexDigits))
        {
            throw new AddressException(AddressProblem.BadMachineId,
                $"reading {sourceForErrors}: expected 32 hex digits, found '{Truncate(id)}' (run systemd-machine-id-setup, or pass --address)");
        }
        if (interfaceId == 0)
        {
            throw new AddressException(AddressProblem.BadMachineId,$"reading {sourceForErrors}: the machine-id starts with 16 zeros (run systemd-machine-id-setup, or pass --address)");
        }
        Span<byte> bytes = stackalloc byte[16];
        network.BaseAddress.TryWriteBytes(bytes, out _);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], interfaceId);
        return new IPAddress(bytes);
    }

    /// <summary>Reads <paramref name="machineIdFile"/> and derives the address; file errors become <see cref="AddressException"/>.</summary>
    public static IPAddress FromMachineIdFile(IPNetwork network, string machineIdFile)
    {
        string text;
        try
        {
            text = File.ReadAllText(machineIdFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AddressException(AddressProblem.BadMachineId,$"reading {machineIdFile}: {ex.Message} (pass --machine-id-file or --address)", ex);
        }
        return FromMachineId(network, text, machineIdFile);
    }

    /// <summary>The node's address from the usual options: an explicit address wins over the machine-id.</summary>
    public static IPAddress Resolve(string prefix, string? address, string machineIdFile)
    {
        IPNetwork network = ParsePrefix(prefix);
        return address is { Length: > 0 } ? ParseAddress(address, network) : FromMachineIdFile(network, machineIdFile);
    }

    private static string Truncate(ReadOnlySpan<char> text) => text.Length > 40 ? $"{text[..40]}…" : text.ToString();
}
