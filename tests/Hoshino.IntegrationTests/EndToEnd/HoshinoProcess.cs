using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Hoshino.Cli.Hosting;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// A real <c>hoshino</c> process (the built <c>hoshino.dll</c> under <c>dotnet</c>), optionally inside a
/// network namespace. Captures its output, and is its service manager: it gets a NOTIFY_SOCKET of
/// its own (unless the test passes one), so <see cref="WaitReadyAsync"/> waits for READY=1 as systemd
/// would. Likewise a control socket of its own (HOSHINO_CONTROL_SOCKET in a fresh 0700 directory,
/// unless the test passes one), so nodes never meet at /run/hoshino. Dispose kills it by pid if it
/// is still running.
/// </summary>
internal sealed class HoshinoProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly NotifySocket? _notify;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _all = new();
    private readonly Lock _lock = new();

    private readonly string? _controlDirectory;

    private HoshinoProcess(Process process, NotifySocket? notify, string controlSocket, string? controlDirectory) =>
        (_process, _notify, ControlSocket, _controlDirectory) = (process, notify, controlSocket, controlDirectory);

    public int Id => _process.Id;

    /// <summary>Where this process serves (if it is a node) its control socket.</summary>
    public string ControlSocket { get; }

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _all.ToString();
            }
        }
    }

    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    public static string HoshinoDll => Path.Combine(AppContext.BaseDirectory, "hoshino.dll");

    /// <summary>Starts <c>hoshino ARGS</c>; in <paramref name="netns"/> when given, with extra environment variables.</summary>
    public static HoshinoProcess Start(IEnumerable<string> args, string? netns = null, IReadOnlyDictionary<string, string>? environment = null,
        IEnumerable<string>? wrapper = null)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var command = new List<string>();
        if (netns is not null)
        {
            command.AddRange(["ip", "netns", "exec", netns]);
        }
        if (wrapper is not null)
        {
            command.AddRange(wrapper);
        }
        command.AddRange([DotnetHost, HoshinoDll]);
        command.AddRange(args);
        info.FileName = command[0];
        foreach (string arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }
        // Never inherit the developer's AWS or HOSHINO settings into a test node.
        foreach (string key in Environment.GetEnvironmentVariables().Keys.Cast<string>()
                     .Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("HOSHINO_", StringComparison.Ordinal)))
        {
            info.Environment.Remove(key);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("NOTIFY_SOCKET");   // never the test runner's own manager
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        NotifySocket? notify = null;
        if (!info.Environment.ContainsKey("NOTIFY_SOCKET"))
        {
            notify = NotifySocket.Create();
            info.Environment["NOTIFY_SOCKET"] = notify.Path;
        }
        string? controlDirectory = null;
        if (!info.Environment.TryGetValue("HOSHINO_CONTROL_SOCKET", out string? controlSocket))
        {
            controlDirectory = Directory.CreateTempSubdirectory("hoshino-control-").FullName;
            controlSocket = Path.Combine(controlDirectory, "control.sock");
            info.Environment["HOSHINO_CONTROL_SOCKET"] = controlSocket;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var wrapped = new HoshinoProcess(process, notify, controlSocket ?? "", controlDirectory);
        process.OutputDataReceived += (_, e) => wrapped.Add(e.Data);
        process.ErrorDataReceived += (_, e) => wrapped.Add(e.Data);
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            notify?.Dispose();
            if (controlDirectory is not null)
            {
                Directory.Delete(controlDirectory, recursive: true);
            }
            throw;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapped;
    }

    /// <summary>Runs <c>hoshino ARGS</c> to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, string? netns = null,
        IReadOnlyDictionary<string, string>? environment = null, IEnumerable<string>? wrapper = null, TimeSpan? timeout = null)
    {
        await using HoshinoProcess process = Start(args, netns, environment, wrapper);
        int code = await process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return (code, process.Output);
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _all.AppendLine(line);
        }
        _lines.Enqueue(line);
    }

    /// <summary>Waits until a line containing <paramref name="text"/> was printed; fails with the output so far.</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                await Task.Delay(200, CancellationToken.None); // let the last lines arrive
                if (Output.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
                Assert.Fail($"hoshino exited with {_process.ExitCode} before printing '{text}':\n{Output}");
            }
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"hoshino did not print '{text}' within {timeout}:\n{Output}");
            }
            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>
    /// Waits until the node tells its NOTIFY_SOCKET READY=1 (it serves: link configured, loops
    /// running); fails with the output so far if it exits first or takes longer than <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        Assert.True(_notify is not null, "this process was given a NOTIFY_SOCKET of the test's; wait on that one");
        string? why = await _notify.WaitReadyAsync(_process, timeout, CancellationToken.None);
        if (why is not null)
        {
            await Task.Delay(200, CancellationToken.None); // let the last lines arrive
            Assert.Fail($"hoshino {why}; it told its manager: [{string.Join(" | ", _notify.Received)}]\n{Output}");
        }
    }

    /// <summary>Sends SIGTERM, the way systemd stops a unit.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"hoshino (pid {_process.Id}) did not exit within {timeout}:\n{Output}");
        }
        _process.WaitForExit(); // flush the output readers
        return _process.ExitCode;
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
        _notify?.Dispose();
        if (_controlDirectory is not null && Directory.Exists(_controlDirectory))
        {
            Directory.Delete(_controlDirectory, recursive: true);
        }
    }
}
