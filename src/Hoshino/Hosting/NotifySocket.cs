using System.Net.Sockets;
using System.Text;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// The service manager's end of sd_notify(3), for whatever starts <c>hoshino up</c> as a child and
/// must know when it serves (the demo, the end-to-end tests): a Unix datagram socket in a fresh
/// private directory. Pass <see cref="Path"/> to the child as <c>NOTIFY_SOCKET</c>, then wait for
/// <c>READY=1</c>, which a node sends once its link is configured and its loops run, as systemd
/// would (Type=notify) — rather than for a log line, whose wording is not a contract. A path, not
/// an abstract socket, so it reaches a child in another network namespace.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly string _directory;
    private readonly Socket _socket;
    private readonly List<string> _received = [];
    private int _disposed;

    private NotifySocket(string directory, Socket socket, string path) => (_directory, _socket, Path) = (directory, socket, path);

    /// <summary>The socket's path: the value for the child's <c>NOTIFY_SOCKET</c>.</summary>
    public string Path { get; }

    /// <summary>Every message received so far, in order; for an error message when the child never got ready.</summary>
    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Binds a new socket in a new directory under the temp directory (mode 0700: only this user can send).</summary>
    public static NotifySocket Create()
    {
        string directory = Directory.CreateTempSubdirectory("hoshino-notify-").FullName;
        string path = System.IO.Path.Combine(directory, "notify");
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
        }
        catch
        {
            socket.Dispose();
            Directory.Delete(directory, recursive: true);
            throw;
        }
        return new NotifySocket(directory, socket, path);
    }

    /// <summary>
    /// Receives messages until one has the line <paramref name="assignment"/> (e.g. <c>READY=1</c>)
    /// and returns that message. Messages sent before the call wait in the socket's queue.
    /// </summary>
    public async Task<string> WaitForAsync(string assignment, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[4096];
        while (true)
        {
            int length = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            string message = Encoding.UTF8.GetString(buffer, 0, length);
            lock (_received)
            {
                _received.Add(message);
            }
            if (message.Split('\n').Contains(assignment, StringComparer.Ordinal))
            {
                return message;
            }
        }
    }

    /// <summary>
    /// Waits for <c>READY=1</c> from <paramref name="child"/>. Returns null once it came, else why
    /// not: the child exited (with its code) or <paramref name="timeout"/> passed.
    /// </summary>
    public async Task<string?> WaitReadyAsync(System.Diagnostics.Process child, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waiting.CancelAfter(timeout);
        Task<string> ready = WaitForAsync("READY=1", waiting.Token);
        Task exited = child.WaitForExitAsync(waiting.Token);
        await Task.WhenAny(ready, exited);
        await waiting.CancelAsync();   // ends whichever still waits
        await Task.WhenAll(ready, exited).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
        return ready.IsCompletedSuccessfully ? null
            : child.HasExited ? $"exited with {child.ExitCode} before it was ready"
            : $"was not ready within {timeout.TotalSeconds:0.#} s";
    }

    /// <summary>Closes the socket and removes its directory. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _socket.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
