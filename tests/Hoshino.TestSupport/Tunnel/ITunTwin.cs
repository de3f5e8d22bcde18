using System.Net;
using Hoshino.Tunnel;

namespace Hoshino.TestSupport.Tunnel;

/// <summary>
/// A device under <see cref="TunDeviceContract"/> and the kernel behind it: for the real device, a
/// network namespace with the link configured and a UDP socket on the node's address; for a fake,
/// whatever stands in for them. Dispose removes it all (and disposes <see cref="Device"/>).
/// </summary>
public interface ITunTwin : IDisposable
{
    /// <summary>Opened with the MTU the contract asked for, its link up.</summary>
    ITunDevice Device { get; }

    /// <summary>
    /// The kernel's UDP socket on the node's own address: the source of what <see cref="SendUdp"/>
    /// sends, and the destination <see cref="ReceiveUdpAsync"/> listens on.
    /// </summary>
    IPEndPoint Local { get; }

    /// <summary>An address in the device's prefix, not the node's: the kernel routes it into the device.</summary>
    IPAddress Peer { get; }

    /// <summary>Sends <paramref name="payload"/> from <see cref="Local"/> to <paramref name="destination"/>, as the kernel's socket would.</summary>
    void SendUdp(IPEndPoint destination, ReadOnlySpan<byte> payload);

    /// <summary>The next datagram that reached <see cref="Local"/> (written into the device), with its source.</summary>
    Task<(IPEndPoint From, byte[] Payload)> ReceiveUdpAsync(CancellationToken cancellationToken);
}
