using System.Net;
using Hoshino.Addressing;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.Packets;
using Hoshino.Store;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// A `dir:` store shared by two real nodes (each in its own network namespace), with a peer that
/// plants what a shared directory allows and S3 does not: links to files and directories outside the
/// store, and a FIFO where an object should be. B keeps answering, nothing outside the store is
/// touched, and the planted entries are cleaned out of its inbox.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class HostileDirectoryStoreTests(StoreNetwork network) : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hoshino-dir-e2e-").FullName;
    private readonly List<IAsyncDisposable> _owned = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        foreach (IAsyncDisposable owned in _owned)
        {
            await owned.DisposeAsync();
        }
        Directory.Delete(_root, recursive: true);
    }

    private async Task<(NodeNamespace Ns, IPAddress Address, HoshinoProcess Process)> StartAsync(string tag, string machineId, string store)
    {
        NodeNamespace ns = await network.AddNodeAsync(tag, Ct);
        _owned.Add(ns);
        string idFile = Path.Combine(_root, tag + ".machine-id");
        await File.WriteAllTextAsync(idFile, machineId + "\n", Ct);
        HoshinoProcess process = HoshinoProcess.Start(["up", "--store", store, "--machine-id-file", idFile, "--poll-max", "200ms"], ns.Name);
        _owned.Insert(0, process);
        await process.WaitForLineAsync("Node up", TimeSpan.FromSeconds(30));
        return (ns, NodeAddress.FromMachineId(NodeAddress.ParsePrefix(NodeAddress.DefaultPrefix), machineId), process);
    }

    [Fact]
    public async Task Inbox_LinksAndFifoPlantedByAPeer_NodeKeepsServingAndNothingOutsideIsTouched()
    {
        await network.EnsureStartedAsync(Ct);
        string tag = Guid.NewGuid().ToString("n")[..3];
        string storeDir = Path.Combine(_root, "bucket");
        Directory.CreateDirectory(storeDir);
        string outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(outside);
        string secret = Path.Combine(outside, "secret.txt");
        await File.WriteAllTextAsync(secret, "do not touch", Ct);
        string outsideDir = Path.Combine(outside, "dir");
        Directory.CreateDirectory(outsideDir);
        await File.WriteAllTextAsync(Path.Combine(outsideDir, "inner.txt"), "nor this", Ct);

        var a = await StartAsync(tag + "a", "a1a1a1a1a1a1a1a1" + "0123456789abcdef", "dir:" + storeDir);
        var b = await StartAsync(tag + "b", "b2b2b2b2b2b2b2b2" + "fedcba9876543210", "dir:" + storeDir);
        Address16 a16 = Address16.From(a.Address), b16 = Address16.From(b.Address);
        var store = new DirectoryPacketStore(storeDir);
        var ids = new MonotonicUlid(TimeProvider.System);

        // Where B's inbox keeps A's objects, as the store lays them out (found from a real object).
        string probe = new ObjectKey(b16, a16, ids.Next()).ToString();
        await store.PutAsync(probe, TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoReply, a16, b16)), Ct);
        string probeFile = Directory.EnumerateFiles(storeDir, "*", SearchOption.AllDirectories).Single(f => f.EndsWith(probe.Split('/')[^1], StringComparison.Ordinal));
        string senderDir = Path.GetDirectoryName(probeFile)!;
        string inboxDir = Path.GetDirectoryName(senderDir)!;
        File.CreateSymbolicLink(Path.Combine(senderDir, ids.Next().ToString()), secret);
        Assert.True((await Shell.RunAsync("mkfifo", [Path.Combine(senderDir, ids.Next().ToString())])).Succeeded, "mkfifo failed");
        Directory.CreateSymbolicLink(Path.Combine(inboxDir, "fd5e:59b8:f71d:9a3e::dead"), outsideDir); // a "sender" that is a link
        File.CreateSymbolicLink(Path.Combine(senderDir, ids.Next().ToString()), outsideDir);
        // Each planting throws (or the mkfifo assertion fails) if it did not happen; B may already be at work on them.
        await store.PutAsync(ObjectKey.DoorbellOf(b16), ObjectKey.DoorbellBody(ids.Next()), Ct);

        ShellResult ping = await Netns.ExecAsync(a.Ns.Name, TimeSpan.FromSeconds(30),
            "ping", "-6", "-c", "5", "-i", "0.2", "-w", "15", b.Address.ToString());
        // With -w, ping sends on until 5 replies came (or 15 s passed): requests still in flight when
        // the fifth reply comes count as "loss" in its summary, so count the replies instead.
        Assert.Equal(5, Netns.PingCounts(ping.StandardOutput).Received);

        // The planted entries go (each rejected as an empty object, the entry itself deleted, never its target).
        // What may stay: the empty directory of A's current v2 stream (removed by a listing once it is old).
        for (int i = 0; i < 100 && LeftIn(senderDir).Any(); i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Empty(LeftIn(senderDir));
        Assert.Equal("do not touch", await File.ReadAllTextAsync(secret, Ct));
        Assert.Equal("nor this", await File.ReadAllTextAsync(Path.Combine(outsideDir, "inner.txt"), Ct));
        Assert.False(b.Process.HasExited, b.Process.Output);
        string metrics = await Netns.HttpGetAsync(b.Ns.Name, "http://[::1]:8081/metrics");
        Assert.True(Netns.Metric(metrics, "hoshino_rejected_objects_total{reason=\"empty\"}") >= 3, metrics);
    }

    /// <summary>Every entry below <paramref name="directory"/> but real, empty directories (links are not followed).</summary>
    private static IEnumerable<string> LeftIn(string directory) =>
        new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(e => e.LinkTarget is not null || e is not DirectoryInfo d || d.EnumerateFileSystemInfos().Any())
            .Select(e => e.FullName);
}
