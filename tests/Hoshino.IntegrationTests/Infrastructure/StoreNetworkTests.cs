using System.Net;

namespace Hoshino.IntegrationTests.Infrastructure;

/// <summary>The test network itself: the layout the end-to-end tests rely on.</summary>
[Trait("Category", "Integration")]
public sealed class StoreNetworkTests(StoreNetwork network)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnsureStarted_ServerOnUnderlay_ReachableFromThisProcess()
    {
        await network.EnsureStartedAsync(Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"run {network.RunId}: network + Ceph RGW started in {network.StartupTime.TotalSeconds:0.00} s");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using HttpResponseMessage response = await http.GetAsync(network.Endpoint, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // anonymous ListBuckets: empty list
        Assert.Equal($"[{network.ServerAddress}]", network.Endpoint.Host);
        Assert.StartsWith("fd", network.UnderlayPrefix.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(IPAddress.Parse("fd5e:59b8:f71d:9a3e::"), network.UnderlayPrefix);
        Assert.Contains(network.ServerNamespace, await Shell.IpAsync("netns", "list"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddNode_NewNamespace_ReachesServerAndIsRemovedOnDispose()
    {
        NodeNamespace node = await network.AddNodeAsync("t1", Ct);
        string name = node.Name;
        try
        {
            Assert.Equal($"hsn{network.RunId}t1", name);
            ShellResult curl = await Shell.RunAsync("ip",
                ["netns", "exec", name, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", network.Endpoint.ToString()],
                TimeSpan.FromSeconds(10), cancellationToken: Ct);
            Assert.Equal("200", curl.EnsureSuccess().StandardOutput);
            string addresses = await Shell.IpAsync("-n", name, "-6", "addr", "show", "dev", "eth0");
            Assert.Contains($"{node.UnderlayAddress}/64", addresses, StringComparison.Ordinal);
        }
        finally
        {
            await node.DisposeAsync();
        }

        Assert.DoesNotContain(name, await Shell.IpAsync("netns", "list"), StringComparison.Ordinal);
        Assert.DoesNotContain("nt1", await Shell.IpAsync("-n", network.ServerNamespace, "link", "show"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddNode_TwoNodes_ReachEachOtherOnTheUnderlay()
    {
        await using NodeNamespace a = await network.AddNodeAsync("pa", Ct);
        await using NodeNamespace b = await network.AddNodeAsync("pb", Ct);

        ShellResult ping = await Shell.RunAsync("ip",
            ["netns", "exec", a.Name, "ping", "-6", "-n", "-c", "1", "-W", "2", b.UnderlayAddress.ToString()],
            TimeSpan.FromSeconds(10), cancellationToken: Ct);

        ping.EnsureSuccess();
        Assert.NotEqual(a.UnderlayAddress, b.UnderlayAddress);
    }

    [Fact]
    public async Task AddNode_SuffixInUse_FailsAndLeavesTheFirstNodeAlone()
    {
        await using NodeNamespace first = await network.AddNodeAsync("dup", Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => network.AddNodeAsync("dup", Ct));

        Assert.Contains(first.Name, await Shell.IpAsync("netns", "list"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddNode_BadSuffix_Rejected()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => network.AddNodeAsync("s", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => network.AddNodeAsync("Has-Dash", Ct));
    }
}
