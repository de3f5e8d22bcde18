using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hoshino.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP proxy in front of the S3 server that misbehaves on purpose (this kernel has no netem):
/// every read is delayed, every <c>resetEvery</c>-th connection is reset in the middle of a request,
/// and the first request on every <c>slowDownEvery</c>-th connection is answered <c>503 SlowDown</c>
/// the way S3 throttles. Connections close after a few dozen responses, so keep-alive connections
/// churn and the schedule keeps biting. Deterministic, so a test always meets its faults.
/// Listens on the given address, on a free port.
/// </summary>
internal sealed class FaultyProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Lock _lock = new();
    private readonly Random _random;
    private long _slowDowns, _resets, _connections;

    public FaultyProxy(IPAddress listen, IPEndPoint target, TimeSpan delay, int resetEvery, int slowDownEvery, int seed = 1)
    {
        _target = target;
        Delay = delay;
        _resetEvery = resetEvery;
        _slowDownEvery = slowDownEvery;
        _random = new Random(seed);
        _listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(listen, 0));
        _listener.Listen(64);
        Endpoint = new Uri($"http://[{listen}]:{((IPEndPoint)_listener.LocalEndPoint!).Port}");
        _accepting = AcceptAsync();
    }

    public Uri Endpoint { get; }
    public TimeSpan Delay { get; set; }
    private readonly int _resetEvery, _slowDownEvery;
    public long SlowDowns => Interlocked.Read(ref _slowDowns);
    public long Resets => Interlocked.Read(ref _resets);
    public long Connections => Interlocked.Read(ref _connections);

    private double Roll()
    {
        lock (_lock)
        {
            return _random.NextDouble();
        }
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                Socket client = await _listener.AcceptAsync(_stop.Token);
                connections.Add(HandleAsync(client, Interlocked.Increment(ref _connections)));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        await Task.WhenAll(connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task HandleAsync(Socket client, long index)
    {
        CancellationToken ct = _stop.Token;
        using (client)
        {
            try
            {
                if (index % _slowDownEvery == 0)
                {
                    await SlowDownAsync(client, ct);
                    return;
                }
                using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await upstream.ConnectAsync(_target, ct);
                // Some connections are reset in the middle of a request; every other one closes after a
                // few dozen responses, so that keep-alive connections churn.
                long resetUpAfter = index % _resetEvery == 0 ? (long)(Roll() * 4096) + 1 : long.MaxValue;
                long closeDownAfter = 4096 + (long)(Roll() * 32 * 1024);
                using var pump = CancellationTokenSource.CreateLinkedTokenSource(ct);
                Task up = PumpAsync(client, upstream, resetUpAfter, pump.Token);
                Task down = PumpAsync(upstream, client, closeDownAfter, pump.Token);
                await Task.WhenAny(up, down);
                await pump.CancelAsync();
                if ((up.IsFaulted && up.Exception?.InnerException is ResetException) || (down.IsFaulted && down.Exception?.InnerException is ResetException))
                {
                    Interlocked.Increment(ref _resets);
                    client.LingerState = new LingerOption(true, 0); // close with RST
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
            {
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, long resetAfter, CancellationToken ct)
    {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            int read = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }
            total += read;
            if (total >= resetAfter)
            {
                throw new ResetException();
            }
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, ct);
            }
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, ct);
        }
    }

    /// <summary>Reads the request head and answers as S3 does when it throttles.</summary>
    private async Task SlowDownAsync(Socket client, CancellationToken ct)
    {
        byte[] buffer = new byte[16 * 1024];
        var head = new StringBuilder();
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int read = await client.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read == 0)
            {
                return;
            }
            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        Interlocked.Increment(ref _slowDowns);
        const string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
        string response = $"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
        await client.SendAsync(Encoding.ASCII.GetBytes(response), SocketFlags.None, ct);
        client.Shutdown(SocketShutdown.Both);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _stop.Dispose();
    }

    private sealed class ResetException : Exception;
}
