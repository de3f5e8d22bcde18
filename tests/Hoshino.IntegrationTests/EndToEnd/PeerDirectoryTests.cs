using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.Peers;
using Hoshino.Store;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// Two real nodes, named with <c>--name</c>, find each other in the peer directory on Ceph RGW: each
/// publishes its record under its address's key, reads the other's, and removes its own on a clean stop.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class PeerDirectoryTests(StoreNetwork network) : NodePairTest(network)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    // Read every second: the default (2 min) would make the test wait for the first node's next read.
    public override async ValueTask InitializeAsync() => Pair = await NodePair.StartAsync(Network, NewTag(), Ct,
        argsA: ["--name", "Alpha", "--directory-read", "1s"], argsB: ["--name", "bravo", "--directory-read", "1s"]);

    [Fact]
    public async Task TwoNodes_EachSeesTheOthersName_AndACleanStopRemovesTheRecord()
    {
        await Pair.A.Process.WaitForLineAsync($"Peer directory: bravo is {Pair.B.Address}", Within);
        await Pair.B.Process.WaitForLineAsync($"Peer directory: alpha is {Pair.A.Address}", Within); // --name is lower-cased
        IReadOnlyList<StoredObject> records = await Pair.Store.ListAsync(PeerRecordFormat.Prefix, 100, Ct);
        string metricsA = await Pair.A.LocalMetricsAsync();

        Pair.B.Process.Terminate();
        Assert.Equal(0, await Pair.B.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await Pair.A.Process.WaitForLineAsync($"Peer directory: bravo ({Pair.B.Address}) left", Within);
        IReadOnlyList<StoredObject> after = await Pair.Store.ListAsync(PeerRecordFormat.Prefix, 100, Ct);

        Assert.Equal(new[] { PeerRecordFormat.KeyOf(Pair.A.Address), PeerRecordFormat.KeyOf(Pair.B.Address) }.Order(StringComparer.Ordinal),
            records.Select(r => r.Key));
        Assert.Equal(2, Netns.Metric(metricsA, "hoshino_directory_peers"));
        Assert.Equal(0, Netns.Metric(metricsA, "hoshino_directory_rejected_records_total{reason=\"malformed\"}"));
        Assert.Equal([PeerRecordFormat.KeyOf(Pair.A.Address)], after.Select(r => r.Key));
    }

    private static double Rejected(string metrics, string reason) =>
        Netns.Metric(metrics, $"hoshino_directory_rejected_records_total{{reason=\"{reason}\"}}");

    [Fact]
    public async Task HostileRecord_RefusedAndCounted_NodeKeepsServing()
    {
        await Pair.Store.PutAsync("directory/fd5e:59b8:f71d:9a3e::66", "not a record"u8.ToArray(), Ct);
        await Pair.Store.PutAsync("directory/junk", new byte[4096], Ct);

        await Pair.A.Process.WaitForLineAsync("Peer directory: refused directory/", Within);
        string metrics = await Pair.A.LocalMetricsAsync();
        for (DateTime deadline = DateTime.UtcNow + Within; Rejected(metrics, "malformed") + Rejected(metrics, "bad_key") < 2 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(200, Ct);
            metrics = await Pair.A.LocalMetricsAsync();
        }
        await Task.Delay(TimeSpan.FromSeconds(3), Ct); // three more reads: counted once per version, not once per read
        string later = await Pair.A.LocalMetricsAsync();
        await Pair.A.Process.WaitForLineAsync($"Peer directory: bravo is {Pair.B.Address}", Within);

        Assert.Equal(1, Rejected(later, "malformed"));
        Assert.Equal(1, Rejected(later, "bad_key"));
        Assert.Equal(2, Netns.Metric(later, "hoshino_directory_peers")); // the hostile records are not served
        Assert.False(Pair.A.Process.HasExited);
    }
}
