using System.Diagnostics;
using System.Net;
using System.Text;
using Hoshino.Cli.Hosting;

namespace Hoshino.Cli.Demo;

/// <summary>One <c>hoshino up</c> child process of the demo, inside its namespace.</summary>
internal sealed class DemoNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly NotifySocket _notify;
    private readonly StringBuilder _output = new();

    private DemoNode(string label, DemoNamespace ns, IPAddress address, Process process, NotifySocket notify)
    {
        Label = label;
        Namespace = ns;
        Address = address;
        _process = process;
        _notify = notify;
    }

    public string Label { get; }
    public DemoNamespace Namespace { get; }
    public IPAddress Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>hoshino up ARGS</c> in <paramref name="ns"/> with this very binary, as a service
    /// manager would: with a <c>NOTIFY_SOCKET</c> of the demo's own, where the node says READY=1.
    /// </summary>
    public static DemoNode Start(string label, DemoNamespace ns, IPAddress address, IEnumerable<string> upArgs, IReadOnlyDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])["netns", "exec", ns.Name, .. SelfCommand(), "up", .. upArgs])
        {
            info.ArgumentList.Add(arg);
        }
        foreach ((string key, string? value) in environment)
        {
            info.Environment[key] = value;
        }
        NotifySocket notify = NotifySocket.Create();
        info.Environment["NOTIFY_SOCKET"] = notify.Path;
        var process = new Process { StartInfo = info };
        var node = new DemoNode(label, ns, address, process, notify);
        process.OutputDataReceived += (_, e) => node.Add(e.Data);
        process.ErrorDataReceived += (_, e) => node.Add(e.Data);
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            notify.Dispose();
            throw;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>How to run this same hoshino again: the native binary, or <c>dotnet hoshino.dll</c>.</summary>
    private static string[] SelfCommand()
    {
        string self = Environment.ProcessPath ?? throw new FatalException("cannot find the hoshino binary to start the nodes");
        return Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? [self, Path.Combine(AppContext.BaseDirectory, "hoshino.dll")]
            : [self];
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>Waits until the node tells its NOTIFY_SOCKET READY=1; throws with its output if it exits or takes too long.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        string? why = await _notify.WaitReadyAsync(_process, timeout, cancellationToken);
        if (why is not null)
        {
            await Task.Delay(100, CancellationToken.None); // let the last lines arrive
            throw new FatalException($"node {Label} {why}:\n{Output.TrimEnd()}");
        }
    }

    /// <summary>SIGTERM, as systemd would; returns the exit code, or null if it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }
        using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        _process.Dispose();
        _notify.Dispose();
    }
}
