using System.Threading.Channels;

namespace Hoshino.Tunnel;

/// <summary>
/// An in-memory <see cref="ITunDevice"/> (after wireguard-go's <c>tuntest.ChannelTUN</c>): packets
/// the "kernel" sends are queued with <see cref="Inject"/>; packets the node writes appear on
/// <see cref="Written"/>. For tests and in-process virtual nodes in benchmarks.
/// </summary>
public sealed class ChannelTunDevice(string name = "test0", int mtu = 53049) : ITunDevice
{
    private readonly Channel<byte[]> _toNode = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<byte[]> _fromNode = Channel.CreateUnbounded<byte[]>();
    private volatile bool _closed;

    public string Name { get; } = name;

    public int Mtu { get; } = mtu;

    /// <summary>When set, <see cref="Write"/> returns false (the kernel refusing a packet).</summary>
    public bool RefuseWrites { get; set; }

    /// <summary>Packets the node wrote, in order.</summary>
    public ChannelReader<byte[]> Written => _fromNode.Reader;

    /// <summary>Queues a packet as if the kernel had routed it into the interface.</summary>
    public void Inject(ReadOnlySpan<byte> packet) => _toNode.Writer.TryWrite(packet.ToArray());

    public int Read(Span<byte> buffer)
    {
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
        ObjectDisposedException.ThrowIf(_closed, this);
        return !RefuseWrites && _fromNode.Writer.TryWrite(packet.ToArray());
    }

    public void Close()
    {
        _closed = true;
        _toNode.Writer.TryComplete();
    }

    public void Dispose() => Close();
}
