using System.Net.Sockets;
using Hoshino.Diagnostics;
using Hoshino.Linux.Files;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Control;

/// <summary>
/// Serves the control socket: a Unix stream socket (mode 0600 in a directory only its owner can
/// write), one request line and one response line per connection. No network listener. Bounded:
/// at most <see cref="MaxConnections"/> at once (more are closed at once), a request of
/// <see cref="ControlCodec.MaxRequestBytes"/>, and <see cref="ConnectionTimeout"/> per connection
/// for reading the request and writing the answer, so an idle or slow client costs a slot for
/// seconds, never the node. Last to start (the node is up when it answers), first to stop; the
/// socket file goes with it.
/// </summary>
internal sealed partial class ControlServer(string path, Func<ControlRequest, ControlResponse> answer, TimeProvider time, ILogger<ControlServer> logger)
    : IHostedService, IDisposable
{
    public const int MaxConnections = 8;
    public static readonly TimeSpan ConnectionTimeout = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private readonly LogLimiter _busyLog = new(time, TimeSpan.FromSeconds(10));
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;
    private int _connections;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            ControlSocketFile.Prepare(path);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            // The directory keeps others out between bind and chmod (it is 0700, or at least not theirs to write).
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            listener.Listen(MaxConnections);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new FatalException($"control socket {path}: {ex.Message}", ExitCodes.Config, ex);
        }
        _listener = listener;
        _accepting = AcceptLoopAsync(listener, _stopping.Token);
        Log.Listening(logger, path);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is null)
        {
            return;
        }
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;
        RemoveSocketFile();
        Log.Stopped(logger, path);
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _stopping.Dispose();
    }

    private void RemoveSocketFile()
    {
        // Only the socket: if something else took the name meanwhile, it is not ours to delete.
        if (PathStatus.Of(path).Kind == PathKind.Socket)
        {
            File.Delete(path);
        }
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // the client went away before we took it (ECONNABORTED)
            }
            if (Interlocked.Increment(ref _connections) > MaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                RefuseBusy(client);
                if (_busyLog.TryEnter(out long suppressed))
                {
                    Log.Busy(logger, MaxConnections, suppressed);
                }
                continue;
            }
            _ = ServeAsync(client, stopping);
        }
    }

    /// <summary>Says why and closes: a line this small fits a fresh socket's buffer, so the send never waits.</summary>
    private static void RefuseBusy(Socket client)
    {
        try
        {
            client.Blocking = false;
            client.Send(ControlCodec.Encode(ControlResponse.Refused(ControlErrors.Busy, $"the node is busy ({MaxConnections} control connections open); try again")));
        }
        catch (SocketException)
        {
            // gone already
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        using var timeout = new CancellationTokenSource(ConnectionTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        try
        {
            ControlResponse response;
            try
            {
                byte[]? line = await ReadLineAsync(client, linked.Token);
                response = line is null
                    ? ControlResponse.Refused(ControlErrors.BadRequest, $"request too large (over {ControlCodec.MaxRequestBytes} bytes) or not ended by a newline")
                    : answer(ControlCodec.DecodeRequest(line));
            }
            catch (ControlProtocolException ex)
            {
                response = ControlResponse.Refused(ControlErrors.BadRequest, ex.Message);
            }
            if (!response.Ok)
            {
                Log.Refused(logger, response.Error ?? "");
            }
            await client.SendAsync(ControlCodec.Encode(response), SocketFlags.None, linked.Token);
            client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Idle past the timeout, gone, or the node is stopping: nothing to answer.
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    /// <summary>The request line without its newline; null when none ends within the size bound (or the peer closed first).</summary>
    private static async Task<byte[]?> ReadLineAsync(Socket client, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[ControlCodec.MaxRequestBytes + 1];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return null;
            }
            int newline = Array.IndexOf(buffer, (byte)'\n', filled, read);
            filled += read;
            if (newline >= 0)
            {
                return buffer[..newline];
            }
        }
        return null;
    }
}
