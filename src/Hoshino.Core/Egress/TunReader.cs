using Hoshino.Packets;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging;

namespace Hoshino.Egress;

/// <summary>Takes one packet read from the device; the span is valid only during the call.</summary>
internal delegate void PacketSink(ReadOnlySpan<byte> packet);

/// <summary>
/// Reads the TUN device on a dedicated, named thread (<c>hoshino-tun-read</c>): <see cref="ITunDevice.Read"/>
/// blocks, and thread-pool threads must not. Hands each packet to a sink that must never block on
/// I/O. <see cref="Completion"/> ends when the device reports it is closed, or faults with the
/// device's error.
/// </summary>
internal sealed partial class TunReader(ITunDevice tun, PacketSink sink, ILogger logger)
{
    public const string ThreadName = "hoshino-tun-read";

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when reading stopped: normally when the device was closed, faulted when a read failed.</summary>
    public Task Completion => _done.Task;

    public void Start() => new Thread(ReadLoop) { IsBackground = true, Name = ThreadName }.Start();

    private void ReadLoop()
    {
        byte[] buffer = new byte[Math.Max(tun.Mtu, Ipv6Packet.HeaderLength)];
        try
        {
            while (true)
            {
                int length = tun.Read(buffer);
                if (length == 0)
                {
                    break;
                }
                sink(buffer.AsSpan(0, length));
            }
            _done.TrySetResult();
        }
        catch (Exception ex)
        {
            Log.ReaderFailed(logger, tun.Name, ex);
            _done.TrySetException(ex);
        }
    }
}
