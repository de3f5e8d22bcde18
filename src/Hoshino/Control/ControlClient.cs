using System.Net.Sockets;
using Hoshino.Linux.Files;

namespace Hoshino.Cli.Control;

/// <summary>
/// The commands' side of the control socket: one request, one answer, bounded in size and time.
/// Every way of not reaching a node is one line and an exit code (README: exit codes).
/// </summary>
internal static class ControlClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Asks the node at <paramref name="path"/>; throws <see cref="FatalException"/> when no node answers or it refuses.</summary>
    public static async Task<ControlResponse> AskAsync(string path, ControlRequest request, CancellationToken cancellationToken)
    {
        if (PathStatus.Of(path).Kind != PathKind.Socket)
        {
            throw NotRunning(path, "no control socket at");
        }
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token);
            await socket.SendAsync(ControlCodec.Encode(request), SocketFlags.None, timeout.Token);
            byte[] line = await ReadLineAsync(socket, path, timeout.Token);
            ControlResponse response = ControlCodec.DecodeResponse(line);
            return response.Ok ? response : throw new FatalException(response.Error ?? "the node refused the request", response.Code switch
            {
                ControlErrors.UnknownPeer => ExitCodes.NoHost,
                ControlErrors.Busy => ExitCodes.Unavailable,
                _ => ExitCodes.Failure,
            });
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            throw NotRunning(path, "nothing answers on the control socket");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            throw new FatalException($"permission denied on the control socket {path}: it is root's (run as root)", ExitCodes.NoPermission, ex);
        }
        catch (SocketException ex)
        {
            throw new FatalException($"talking to the node on {path}: {ex.Message}", ExitCodes.Unavailable, ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FatalException($"the node on {path} did not answer within {Timeout.TotalSeconds:0} s", ExitCodes.Unavailable);
        }
        catch (ControlProtocolException ex)
        {
            throw new FatalException($"the node on {path} answered in a way this hoshino does not understand: {ex.Message}", ExitCodes.Failure, ex);
        }
    }

    private static FatalException NotRunning(string path, string why) =>
        new($"no hoshino node is running ({why} {path})", ExitCodes.Unavailable);

    private static async Task<byte[]> ReadLineAsync(Socket socket, string path, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            int newline = Array.IndexOf(buffer, (byte)'\n', 0, read);
            received.Write(buffer, 0, newline >= 0 ? newline : read);
            if (newline >= 0)
            {
                return received.ToArray();
            }
            if (read == 0)
            {
                throw new ControlProtocolException("the answer ended before its newline");
            }
            if (received.Length > ControlCodec.MaxResponseBytes)
            {
                throw new ControlProtocolException($"the answer is larger than {ControlCodec.MaxResponseBytes >> 20} MiB");
            }
        }
    }
}
