using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>Two machines with one machine-id (a cloned VM image) never both run as the same address.</summary>
[Trait("Category", "EndToEnd")]
public sealed class ClonedNodeTests(StoreNetwork network) : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hoshino-clone-").FullName;
    private readonly List<IAsyncDisposable> _owned = [];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HoshinoProcess Start(NodeNamespace ns, string prefix)
    {
        HoshinoProcess process = HoshinoProcess.Start(
            ["up", "--store", $"s3://{network.Bucket}/{prefix}", "--s3-endpoint", network.Endpoint.ToString(),
             "--machine-id-file", Path.Combine(_dir, "machine-id"), "--metrics-listen", "none"],
            ns.Name,
            new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = network.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = network.SecretKey });
        _owned.Insert(0, process);
        return process;
    }

    [Fact]
    public async Task Up_SameMachineIdTwice_SecondRefusedThenOriginalRestartsAfterKill()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "machine-id"), "c10e0c10e0c10e0c10e0c10e0c10e0c1\n", Ct);
        string prefix = $"clone-{Guid.NewGuid():n}";
        NodeNamespace first = await network.AddNodeAsync("cl" + prefix[6..10] + "a", Ct);
        _owned.Add(first);
        NodeNamespace second = await network.AddNodeAsync("cl" + prefix[6..10] + "b", Ct);
        _owned.Add(second);

        HoshinoProcess original = Start(first, prefix);
        await original.WaitReadyAsync(TimeSpan.FromSeconds(30));

        HoshinoProcess clone = Start(second, prefix);
        int cloneExit = await clone.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExitCodes.Config, cloneExit);
        Assert.Contains("another node already runs as fd5e:59b8:f71d:9a3e:c10e:c10:e0c1:e0c", clone.Output, StringComparison.Ordinal);
        Assert.Contains("systemd-machine-id-setup", clone.Output, StringComparison.Ordinal);
        ShellResult link = await Shell.RunAsync("ip", ["-n", second.Name, "link", "show", "hoshino0"], TimeSpan.FromSeconds(10), cancellationToken: Ct);
        Assert.False(link.Succeeded, "the refused clone created its interface");

        // A crash leaves the lease behind; the same machine restarting takes it back at once.
        await original.DisposeAsync(); // SIGKILL
        HoshinoProcess restarted = Start(first, prefix);
        await restarted.WaitReadyAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("Taking over the lease", restarted.Output, StringComparison.Ordinal);

        restarted.Terminate();
        Assert.Equal(0, await restarted.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        using var store = (Hoshino.S3.S3PacketStore)network.CreateStore(prefix + "/");
        Assert.Empty(await store.ListAsync("", 100, Ct)); // a clean stop releases the lease
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IAsyncDisposable owned in _owned)
        {
            await owned.DisposeAsync();
        }
        Directory.Delete(_dir, recursive: true);
    }
}
