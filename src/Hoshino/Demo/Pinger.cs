using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hoshino.Cli.Demo;

/// <summary>
/// ICMPv6 echo over a raw socket (the kernel fills in the ICMPv6 checksum), so the demo needs no
/// ping binary. One instance per run; not thread-safe.
/// </summary>
internal sealed class Pinger(Socket socket, IPAddress target) : IDisposable
{
    private const byte EchoRequest = 128, EchoReply = 129;
    private readonly ushort _id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
    private readonly byte[] _receive = new byte[2048];

    /// <summary>Sends echo request <paramref name="sequence"/>; returns the round-trip time, or null on timeout.</summary>
    public async Task<TimeSpan?> PingAsync(ushort sequence, TimeSpan timeout, CancellationToken cancellationToken)
    {
        byte[] request = new byte[8 + 24];
        request[0] = EchoRequest;
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4), _id);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), sequence);
        "hoshino demo ping 0123456"u8[..24].CopyTo(request.AsSpan(8));

        long start = Stopwatch.GetTimestamp();
        await socket.SendToAsync(request, SocketFlags.None, new IPEndPoint(target, 0), cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                SocketReceiveFromResult result = await socket.ReceiveFromAsync(_receive, SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0), deadline.Token);
                ReadOnlySpan<byte> reply = _receive.AsSpan(0, result.ReceivedBytes);
                if (reply.Length >= 8 && reply[0] == EchoReply && BinaryPrimitives.ReadUInt16BigEndian(reply[4..]) == _id
                    && BinaryPrimitives.ReadUInt16BigEndian(reply[6..]) == sequence
                    && ((IPEndPoint)result.RemoteEndPoint).Address.Equals(target))
                {
                    return Stopwatch.GetElapsedTime(start);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public void Dispose() => socket.Dispose();
}
