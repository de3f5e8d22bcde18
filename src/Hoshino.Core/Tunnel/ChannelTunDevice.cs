using System.Threading.Channels;

namespace Hoshino.Tunnel;

/// <summary>
/// An in-memory <see cref="ITunDevice"/> (after wireguard-go's <c>tuntest.ChannelTUN</c>): packets
/// the "kernel" sends are queued with <see cref="Inject"/>; packets the node writes appear on
/// <see cref="Written"/>. For tests and in-process virtual nodes in benchmarks. It keeps the
/// <see cref="ITunDevice"/> contract the way <c>LinuxTunDevice</c> does; both pass the same
/// contract tests (tests/Hoshino.TestSupport/Tunnel/TunDeviceContract.cs).
/// </summary>
public sealed class ChannelTunDevice(string name = "test0", int mtu = 53049) : ITunDevice
{
    private readonly Channel<byte[]> _toNode = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<byte[]> _fromNode = Channel.CreateUnbounded<byte[]>();
    private volatile bool _closed, _disposed;

    public string Name { get; } = name;

    public int Mtu { get; } = mtu;

    /// <summary>When set, <see cref="Write"/> returns false for every packet (a kernel refusing them, e.g. a link that is down).</summary>
    public bool RefuseWrites { get; set; }

    /// <summary>Packets the node wrote, in order.</summary>
    public ChannelReader<byte[]> Written => _fromNode.Reader;

    /// <summary>Queues a packet as if the kernel had routed it into the interface.</summary>
    public void Inject(ReadOnlySpan<byte> packet) => _toNode.Writer.TryWrite(packet.ToArray());

    public int Read(Span<byte> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buffer.Length, Mtu, nameof(buffer));
        while (!_closed)
        {
            if (_toNode.Reader.TryRead(out byte[]? packet))
            {
                packet.CopyTo(buffer);
                return packet.Length;
            }
            try
            {
                // Blocking is this method's contract: it runs on a dedicated thread.
                if (!_toNode.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    return 0;
                }
            }
            catch (ChannelClosedException)
            {
                return 0;
            }
        }
        return 0;
    }

    public bool Write(ReadOnlySpan<byte> packet)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Like the kernel's TUN driver, which fails such a write with EINVAL: neither IPv4 nor IPv6.
        if (RefuseWrites || packet.IsEmpty || (packet[0] >> 4) is not (4 or 6))
        {
            return false;
        }
        return _fromNode.Writer.TryWrite(packet.ToArray());
    }

    /// <summary>Ends reading; <see cref="Write"/> goes on working until <see cref="Dispose"/>.</summary>
    public void Close()
    {
        _closed = true;
        _toNode.Writer.TryComplete();
    }

    /// <summary>Ends reading and writing: later writes throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        Close();
    }
}
