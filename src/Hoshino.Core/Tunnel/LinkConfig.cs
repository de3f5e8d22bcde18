using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hoshino.Tunnel;

/// <summary>
/// The desired state of the tunnel link: applying the same config twice changes nothing.
/// </summary>
/// <param name="Name">Interface name (at most 15 bytes).</param>
/// <param name="Address">The node's own IPv6 address.</param>
/// <param name="PrefixLength">Length of the network prefix routed via the interface (64).</param>
/// <param name="Mtu">Link MTU in bytes.</param>
public sealed record LinkConfig(string Name, IPAddress Address, int PrefixLength, int Mtu)
{
    /// <summary>IFNAMSIZ less the terminating NUL: the kernel counts bytes, not characters.</summary>
    public const int MaxNameBytes = 15;

    /// <summary>IPv6's minimum link MTU (RFC 8200 §5).</summary>
    public const int MinMtu = 1280;

    public const int MaxMtu = 65535;

    /// <summary>
    /// Why <paramref name="name"/> cannot name an interface, or null when it can: 1 to 15 bytes of
    /// UTF-8, no '/', ':' or whitespace (the kernel's dev_valid_name, plus ':' which aliases use),
    /// not "." or "..".
    /// </summary>
    public static string? ProblemWithName(string name)
    {
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes is 0 or > MaxNameBytes)
        {
            return $"an interface name must be 1 to {MaxNameBytes} bytes, this one is {bytes}";
        }
        if (name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)) || name is "." or "..")
        {
            return "an interface name must not contain '/', ':' or spaces, nor be '.' or '..'";
        }
        return null;
    }

    /// <summary>Why <paramref name="mtu"/> cannot be the link's MTU, or null when it can.</summary>
    public static string? ProblemWithMtu(int mtu) =>
        mtu is < MinMtu or > MaxMtu ? $"MTU {mtu} is outside {MinMtu}..{MaxMtu} (IPv6 needs at least {MinMtu})" : null;

    /// <summary>Throws <see cref="TunnelException"/> (<see cref="TunnelProblem.InvalidConfig"/>) naming the first invalid setting.</summary>
    public void Validate()
    {
        string? problem = ProblemWithName(Name) ?? ProblemWithMtu(Mtu)
            ?? (Address.AddressFamily != AddressFamily.InterNetworkV6 ? $"{Address} is not an IPv6 address" : null)
            ?? (PrefixLength is < 1 or > 128 ? $"prefix length {PrefixLength} is outside 1..128" : null);
        if (problem is not null)
        {
            throw new TunnelException(TunnelProblem.InvalidConfig, $"configuring {Name}: {problem}");
        }
    }
}
