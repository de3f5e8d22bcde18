using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.NameService;

/// <summary>
/// Serves <see cref="DnsResponder"/> on one address over UDP and TCP (RFC 1035 4.2, RFC 7766: a
/// two-byte length before each message, several queries per connection). Bounded whatever clients
/// do: one UDP loop with one buffer; at most <see cref="MaxTcpConnections"/> TCP connections, each
/// closed when a query does not arrive whole within <see cref="TcpIdleTimeout"/> or says it is
/// larger than <see cref="MaxTcpQueryLength"/>. Every message and every cut connection is counted.
/// </summary>
internal sealed partial class DnsServer : IAsyncDisposable
{
    /// <summary>Open TCP connections at most; a further one is closed at once. TCP is the rare fallback after TC.</summary>
    public const int MaxTcpConnections = 32;

    /// <summary>A TCP query longer than this closes the connection: a real one (one question, an OPT) is under 300 bytes.</summary>
    public const int MaxTcpQueryLength = 4096;

    /// <summary>How long a TCP client has to deliver each query, whole, and to take its reply (RFC 7766 6.2.3: seconds, not minutes).</summary>
    public static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(5);

    private readonly DnsResponder _responder;
    private readonly HoshinoMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private readonly Socket _udp;
    private readonly Socket _tcp;
    private Task _loops = Task.CompletedTask;
    private int _open;

    private DnsServer(DnsResponder responder, Socket udp, Socket tcp, HoshinoMetrics metrics, TimeProvider time, ILogger logger)
    {
        (_responder, _udp, _tcp, _metrics, _time, _logger) = (responder, udp, tcp, metrics, time, logger);
        LocalEndPoint = (IPEndPoint)udp.LocalEndPoint!;
    }

    /// <summary>Where it listens (UDP and TCP share the port; with port 0 asked for, the one the kernel chose).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The UDP and accept loops; faults if one fails (not on disposal).</summary>
    public Task Completion => _loops;

    /// <summary>Binds UDP and TCP on <paramref name="endpoint"/> and starts serving. Throws <see cref="SocketException"/> if it cannot bind.</summary>
    public static DnsServer Start(IPEndPoint endpoint, DnsResponder responder, HoshinoMetrics metrics, TimeProvider time, ILogger logger)
    {
        (Socket udp, Socket tcp) = Bind(endpoint);
        var server = new DnsServer(responder, udp, tcp, metrics, time, logger);
        server._loops = Task.WhenAll(
            Task.Run(() => server.UdpLoopAsync(server._stop.Token)),
            Task.Run(() => server.AcceptLoopAsync(server._stop.Token)));
        Log.Listening(logger, server.LocalEndPoint.ToString());
        return server;
    }

    private static (Socket Udp, Socket Tcp) Bind(IPEndPoint endpoint)
    {
        // Port 0 (tests): UDP picks a port and TCP takes the same; if TCP finds it taken, try another.
        for (int attempt = 1; ; attempt++)
        {
            var udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            var tcp = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                udp.Bind(endpoint);
                tcp.Bind(new IPEndPoint(endpoint.Address, ((IPEndPoint)udp.LocalEndPoint!).Port));
                tcp.Listen(MaxTcpConnections);
                return (udp, tcp);
            }
            catch (SocketException ex) when (endpoint.Port == 0 && attempt < 5 && ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                udp.Dispose();
                tcp.Dispose();
            }
            catch
            {
                udp.Dispose();
                tcp.Dispose();
                throw;
            }
        }
    }

    private async Task UdpLoopAsync(CancellationToken ct)
    {
        byte[] query = new byte[65536];   // the largest datagram: never a truncated read
        byte[] reply = new byte[DnsResponder.MaxResponseLength];
        EndPoint any = new IPEndPoint(_udp.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(query, SocketFlags.None, any, ct);
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;   // stopping: the socket was closed under the read
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;   // an ICMP error from an earlier reply's destination: nothing to do with this loop
            }
            DnsResult result = _responder.Respond(query.AsSpan(0, received.ReceivedBytes), reply, overUdp: true, out int length);
            _metrics.DnsQuery(result);
            if (length == 0)
            {
                continue;
            }
            try
            {
                await _udp.SendToAsync(reply.AsMemory(0, length), SocketFlags.None, received.RemoteEndPoint, ct);
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                Log.SendFailed(_logger, ex.SocketErrorCode.ToString());   // unreachable client: its loss, not the loop's
            }
        }
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _tcp.AcceptAsync(ct);
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Out of descriptors, say: wait a little instead of spinning on the same error.
                Log.AcceptFailed(_logger, ex.SocketErrorCode.ToString());
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }
            if (Interlocked.Increment(ref _open) > MaxTcpConnections)
            {
                Interlocked.Decrement(ref _open);
                _metrics.DnsTcpClosed(DnsTcpCloseReason.TooMany);
                client.Dispose();
                continue;
            }
            Task connection = ServeAsync(client, ct);
            _connections[connection] = 0;
            _ = connection.ContinueWith(t => _connections.TryRemove(t, out _), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken ct)
    {
        await Task.Yield();   // the accept loop goes on at once
        byte[] query = new byte[MaxTcpQueryLength];
        byte[] reply = new byte[2 + DnsResponder.MaxResponseLength];
        try
        {
            while (true)
            {
                using var deadline = new CancellationTokenSource(TcpIdleTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, ct);
                try
                {
                    if (!await ReadExactlyAsync(client, query.AsMemory(0, 2), linked.Token))
                    {
                        return;   // the client closed, as it may between queries
                    }
                    int length = BinaryPrimitives.ReadUInt16BigEndian(query);
                    if (length > MaxTcpQueryLength)
                    {
                        _metrics.DnsTcpClosed(DnsTcpCloseReason.TooLarge);
                        return;
                    }
                    if (!await ReadExactlyAsync(client, query.AsMemory(0, length), linked.Token))
                    {
                        return;
                    }
                    DnsResult result = _responder.Respond(query.AsSpan(0, length), reply.AsSpan(2), overUdp: false, out int replyLength);
                    _metrics.DnsQuery(result);
                    if (replyLength == 0)
                    {
                        _metrics.DnsTcpClosed(DnsTcpCloseReason.Unanswerable);
                        return;
                    }
                    BinaryPrimitives.WriteUInt16BigEndian(reply, (ushort)replyLength);
                    await client.SendAsync(reply.AsMemory(0, 2 + replyLength), SocketFlags.None, linked.Token);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    _metrics.DnsTcpClosed(DnsTcpCloseReason.Idle);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            // Stopping, or the client reset the connection: nothing to answer any more.
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false if the peer closed first (at once or midway).</summary>
    private static async ValueTask<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, ct);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    /// <summary>Stops both loops, closes every connection and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Dispose();
        await _loops.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_connections.Keys).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        Log.Stopped(_logger, LocalEndPoint.ToString());
    }
}
