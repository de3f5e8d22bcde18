using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// tcpdump on a node's interface, printing each packet as it sees it (<c>-l -n</c>). Started only
/// once tcpdump says on stderr that it listens: under load, attaching takes longer than any fixed
/// wait, and a packet written before that is never seen.
/// </summary>
internal sealed class InterfaceCapture : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private bool _stopped;

    private InterfaceCapture(Process process) => _process = process;

    /// <summary>The lines tcpdump printed so far, one a packet.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>Starts tcpdump on hoshino0 in <paramref name="ns"/>, every packet, and waits (30 s at most) until it listens.</summary>
    public static async Task<InterfaceCapture> StartAsync(string ns, CancellationToken cancellationToken)
    {
        var process = new Process
        {
            StartInfo = new ProcessStartInfo("ip", ["netns", "exec", ns, "tcpdump", "-i", "hoshino0", "-l", "-n"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            },
        };
        var capture = new InterfaceCapture(process);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Blank lines are no packets (tcpdump ends its output with one when interrupted).
        process.OutputDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) { capture._lines.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                listening.TrySetException(new InvalidOperationException($"tcpdump ended before it listened:\n{string.Join('\n', capture._errors)}"));
                return;
            }
            capture._errors.Enqueue(line);
            if (line.Contains("listening on", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch
        {
            await capture.DisposeAsync();
            throw;
        }
        return capture;
    }

    /// <summary>Stops tcpdump (SIGINT: it prints what it has) and returns every line it printed.</summary>
    public async Task<IReadOnlyList<string>> StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            if (!_process.HasExited)
            {
                using Process stop = Process.Start("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]);
                await stop.WaitForExitAsync(CancellationToken.None);
            }
            await _process.WaitForExitAsync(CancellationToken.None); // and for the end of its output
        }
        return Lines;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
