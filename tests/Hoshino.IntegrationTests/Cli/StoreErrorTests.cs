using Hoshino.IntegrationTests.EndToEnd;
using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.Cli;

/// <summary>
/// `hoshino up` against a real S3 server that says no: one line naming the store and the fix, the
/// right exit code, no stack trace, no secret, and no interface left behind.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StoreErrorTests(StoreNetwork network) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hoshino-storeerr-").FullName;
    private NodeNamespace _ns = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ns = await network.AddNodeAsync("err" + Guid.NewGuid().ToString("n")[..4], Ct);
        await File.WriteAllTextAsync(Path.Combine(_dir, "machine-id"), "0123456789abcdef0123456789abcdef\n", Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _ns.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Output)> UpAsync(string store, string endpoint, string secret)
    {
        (int code, string output) = await HoshinoProcess.RunAsync(
            ["up", "--store", store, "--s3-endpoint", endpoint, "--machine-id-file", Path.Combine(_dir, "machine-id"), "--metrics-listen", "none",
             "--store-wait", "0"],
            _ns.Name,
            new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = network.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = secret });
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain(network.SecretKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        Assert.Single(output.Trim().Split('\n'));
        ShellResult link = await Shell.RunAsync("ip", ["-n", _ns.Name, "link", "show", "hoshino0"], TimeSpan.FromSeconds(10), cancellationToken: Ct);
        Assert.False(link.Succeeded, "the interface was created although the store check failed");
        return (code, output);
    }

    [Fact]
    public async Task Up_WrongSecret_CredentialsErrorExit77()
    {
        (int code, string output) = await UpAsync($"s3://{network.Bucket}/x", network.Endpoint.ToString(), "not-the-secret-0123456789");

        Assert.Equal(ExitCodes.NoPermission, code);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_MissingBucket_ConfigErrorExit78()
    {
        (int code, string output) = await UpAsync("s3://no-such-bucket-hoshino/x", network.Endpoint.ToString(), network.SecretKey);

        Assert.Equal(ExitCodes.Config, code);
        Assert.Contains("no-such-bucket-hoshino", output, StringComparison.Ordinal);
        Assert.Contains("create it, or check --store", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_EndpointUnreachable_UnavailableExit69()
    {
        (int code, string output) = await UpAsync($"s3://{network.Bucket}/x", $"http://[{network.ServerAddress}]:1", network.SecretKey);

        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Contains("check --s3-endpoint", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_StoreUnreachableAtStart_WaitsSaysSoThenComesUp()
    {
        // Bound but not listening: connections are refused until the "store" comes up.
        using var front = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        front.Bind(new System.Net.IPEndPoint(network.HostAddress, 0));
        int port = ((System.Net.IPEndPoint)front.LocalEndPoint!).Port;
        await using HoshinoProcess node = HoshinoProcess.Start(
            ["up", "--store", $"s3://{network.Bucket}/wait-{Guid.NewGuid():n}", "--s3-endpoint", $"http://[{network.HostAddress}]:{port}",
             "--machine-id-file", Path.Combine(_dir, "machine-id"), "--metrics-listen", "none"],
            _ns.Name,
            new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = network.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = network.SecretKey });

        await node.WaitForLineAsync("is unreachable (attempt 2)", TimeSpan.FromSeconds(30));
        Assert.Contains("--store-wait 0 to fail instead", node.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Node up", node.Output, StringComparison.Ordinal);

        front.Listen();
        using var forwarding = new CancellationTokenSource();
        Task forwarder = ForwardAsync(front, new System.Net.IPEndPoint(network.ServerAddress, network.Endpoint.Port), forwarding.Token);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(60));

        node.Terminate();
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        await forwarding.CancelAsync();
        await forwarder.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    [Fact]
    public async Task Up_SigtermWhileWaitingForStore_ExitsZeroWithoutInterface()
    {
        await using HoshinoProcess node = HoshinoProcess.Start(
            ["up", "--store", $"s3://{network.Bucket}/x", "--s3-endpoint", $"http://[{network.ServerAddress}]:1",
             "--machine-id-file", Path.Combine(_dir, "machine-id"), "--metrics-listen", "none"],
            _ns.Name,
            new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = network.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = network.SecretKey });
        await node.WaitForLineAsync("is unreachable (attempt 1)", TimeSpan.FromSeconds(30));

        node.Terminate();

        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("stopped while waiting for the store", node.Output, StringComparison.Ordinal);
    }

    /// <summary>A minimal TCP forwarder: the "store" becoming reachable.</summary>
    private static async Task ForwardAsync(System.Net.Sockets.Socket listener, System.Net.IPEndPoint target, CancellationToken ct)
    {
        var pumps = new List<Task>();
        try
        {
            while (true)
            {
                System.Net.Sockets.Socket client = await listener.AcceptAsync(ct);
                var upstream = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await upstream.ConnectAsync(target, ct);
                var a = new System.Net.Sockets.NetworkStream(client, ownsSocket: true);
                var b = new System.Net.Sockets.NetworkStream(upstream, ownsSocket: true);
                pumps.Add(Task.WhenAll(a.CopyToAsync(b, ct), b.CopyToAsync(a, ct)).ContinueWith(_ => { a.Dispose(); b.Dispose(); }, TaskScheduler.Default));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(pumps).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
