namespace Hoshino.Tunnel;

/// <summary>A layer-3 packet device: the kernel TUN interface, or a test double.</summary>
public interface ITunDevice : IDisposable
{
    /// <summary>Kernel interface name, e.g. <c>hoshino0</c>.</summary>
    string Name { get; }

    /// <summary>Largest packet <see cref="Read"/> can return. Constant for the device's lifetime.</summary>
    int Mtu { get; }

    /// <summary>
    /// Blocks until one IP packet is available and copies it into <paramref name="buffer"/>, which
    /// must hold at least <see cref="Mtu"/> bytes (else <see cref="ArgumentOutOfRangeException"/>).
    /// Returns the packet's length, or 0 once <see cref="Close"/> or <see cref="IDisposable.Dispose"/>
    /// was called, also when that happens while it blocks. Call from one dedicated thread.
    /// </summary>
    int Read(Span<byte> buffer);

    /// <summary>
    /// Writes one complete IP packet. Safe to call from any thread, also while <see cref="Read"/>
    /// blocks and after <see cref="Close"/>, which ends reading only (the ingress loop may still
    /// deliver while the egress loop shuts down). Returns false when the kernel refused the packet,
    /// e.g. one that is neither IPv4 nor IPv6 or a link that is down (it is dropped; the caller
    /// counts it). Throws <see cref="ObjectDisposedException"/> after <see cref="IDisposable.Dispose"/>,
    /// and other exceptions only when the device is gone.
    /// </summary>
    bool Write(ReadOnlySpan<byte> packet);

    /// <summary>
    /// Ends reading: wakes a blocked <see cref="Read"/> so it returns 0; later reads return 0 at once.
    /// Writes still work until the device is disposed. Idempotent.
    /// </summary>
    void Close();
}
