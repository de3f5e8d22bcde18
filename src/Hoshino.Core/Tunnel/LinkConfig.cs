using System.Net;

namespace Hoshino.Tunnel;

/// <summary>
/// The desired state of the tunnel link: applying the same config twice changes nothing.
/// </summary>
/// <param name="Name">Interface name (at most 15 bytes).</param>
/// <param name="Address">The node's own IPv6 address.</param>
/// <param name="PrefixLength">Length of the network prefix routed via the interface (64).</param>
/// <param name="Mtu">Link MTU in bytes.</param>
public sealed record LinkConfig(string Name, IPAddress Address, int PrefixLength, int Mtu);
