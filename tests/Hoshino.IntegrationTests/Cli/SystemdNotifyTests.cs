using System.Net.Sockets;
using System.Text;
using Hoshino.IntegrationTests.EndToEnd;
using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.Cli;

/// <summary>Type=notify: the node tells the service manager READY=1 once it serves, and STOPPING=1 on SIGTERM.</summary>
[Trait("Category", "EndToEnd")]
public sealed class SystemdNotifyTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hoshino-notify-").FullName;
    private readonly string _ns = $"hsnnotify{Environment.ProcessId % 100000}";

    [Fact]
    public async Task Up_NotifySocketSet_SendsReadyThenStopping()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        string socketPath = Path.Combine(_dir, "notify");
        using var manager = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        manager.Bind(new UnixDomainSocketEndPoint(socketPath));
        await File.WriteAllTextAsync(Path.Combine(_dir, "machine-id"), "0123456789abcdef0123456789abcdef\n", ct);
        Directory.CreateDirectory(Path.Combine(_dir, "bucket"));
        await Shell.IpAsync("netns", "add", _ns);

        await using HoshinoProcess node = HoshinoProcess.Start(
            ["up", "--store", "dir:" + Path.Combine(_dir, "bucket"), "--machine-id-file", Path.Combine(_dir, "machine-id"), "--metrics-listen", "none"],
            _ns, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });

        string ready = await ReceiveAsync(manager, ct);
        Assert.StartsWith("READY=1\n", ready, StringComparison.Ordinal);
        Assert.Contains("STATUS=node fd5e:59b8:f71d:9a3e:123:4567:89ab:cdef up on hoshino0", ready, StringComparison.Ordinal);
        // Ready means serving: the interface exists with its address.
        string addr = await Shell.IpAsync("-n", _ns, "-o", "addr", "show", "dev", "hoshino0");
        Assert.Contains("fd5e:59b8:f71d:9a3e:123:4567:89ab:cdef/64", addr, StringComparison.Ordinal);

        node.Terminate();
        Assert.StartsWith("STOPPING=1", await ReceiveAsync(manager, ct), StringComparison.Ordinal);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    private static async Task<string> ReceiveAsync(Socket socket, CancellationToken ct)
    {
        byte[] buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        int length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    public async ValueTask DisposeAsync()
    {
        await Shell.RunAsync("ip", "netns", "del", _ns);
        Directory.Delete(_dir, recursive: true);
    }
}
