using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>Tests that break the shared store on purpose run alone, after everything else.</summary>
[CollectionDefinition("Faults", DisableParallelization = true)]
public sealed class FaultsCollection;

/// <summary>
/// The store misbehaves while a TCP transfer runs through the tunnel: the node stays up, counts and
/// retries, logs readably, and the transfer completes intact once the store is back.
/// </summary>
[Collection("Faults")]
[Trait("Category", "Faults")]
public sealed partial class FaultTests(StoreNetwork network) : NodePairTest(network)
{
    [Fact]
    public async Task Transfer_StoreKilledRestartedThenFrozen_CompletesIntactAndNodesStayUp()
    {
        byte[] payload = RandomNumberGenerator.GetBytes(4 << 20);
        // 64 chunks, 100 ms apart: the transfer is still running when the faults hit.
        Task<byte[]> transfer = TcpTransfer.RunAsync(Pair.A, Pair.B, payload, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(3), Ct);

        await Task.Delay(1500, Ct);
        await Network.SignalGatewayAsync("KILL");
        await Task.Delay(3000, Ct);
        await Network.RestartGatewayAsync();
        await Task.Delay(1500, Ct);
        await Network.SignalGatewayAsync("STOP");
        try
        {
            await Task.Delay(10_000, Ct);
        }
        finally
        {
            await Network.SignalGatewayAsync("CONT");
        }

        byte[] received = await transfer;
        Assert.Equal(SHA256.HashData(payload), received);

        string a = await Pair.A.LocalMetricsAsync();
        Assert.True(Netns.Metric(a, "hoshino_s3_errors_total{operation=\"put\",kind=\"transient\"}") > 0, a);
        Assert.True(Netns.Metric(a, "hoshino_s3_retries_total{operation=\"put\"}") > 0, a);
        Assert.True(Netns.Metric(a, "hoshino_s3_errors_total{operation=\"list\",kind=\"transient\"}") > 0, a);
        // Nothing left the store without reaching the kernel or being rejected. B deletes only what it
        // delivered or rejected (a delete lost in the outage may have taken effect unconfirmed, so
        // "at most"); and everything A stored for B was delivered or rejected by B.
        string b = "";
        double handled = 0, deleted = -1, stored = 0;
        for (int i = 0; i < 50 && handled != deleted; i++) // the last deletes run in the background
        {
            await Task.Delay(100, Ct);
            b = await Pair.B.LocalMetricsAsync();
            double rejected = b.Split('\n').Where(l => l.StartsWith("hoshino_rejected_objects_total{", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            handled = Netns.Metric(b, "hoshino_bundles_total{direction=\"ingress\"}") + rejected + Netns.Metric(b, "hoshino_duplicate_objects_total");
            deleted = Netns.Metric(b, "hoshino_deleted_objects_total");
            stored = Netns.Metric(await Pair.A.LocalMetricsAsync(), "hoshino_bundles_total{direction=\"egress\"}");
        }
        Assert.True(deleted <= handled, $"B deleted {deleted} objects but delivered or rejected only {handled}:\n{b}");
        Assert.True(deleted >= handled - 5, $"B confirmed only {deleted} of {handled} deletes:\n{b}");
        Assert.True(Netns.Metric(b, "hoshino_bundles_total{direction=\"ingress\"}") >= stored, $"A stored {stored} bundles for B; B delivered fewer:\n{b}");
        foreach (RunningNode node in new[] { Pair.A, Pair.B })
        {
            // Up, and readable: failures are logged at most once per 10 s per kind, not per request.
            Assert.False(node.Process.HasExited, node.Process.Output);
            Assert.DoesNotContain("loop failed", node.Process.Output, StringComparison.Ordinal);
            int warnings = WarningLine().Count(node.Process.Output);
            Assert.True(warnings <= 40, $"{warnings} warning lines in about 20 s:\n{node.Process.Output}");
        }
        // Still serving after the faults.
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(30),
            "ping", "-6", "-c", "3", "-i", "0.2", "-W", "5", Pair.B.Address.ToString());
        Assert.Equal(0, Netns.PingLoss(ping.StandardOutput));
    }

    [Fact]
    public async Task Node_KilledWithPacketsWaiting_DeliversThemOnceAfterRestart()
    {
        await Pair.B.Process.DisposeAsync(); // SIGKILL: no flush, no lease release, the TUN goes with the process
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(30),
            "ping", "-6", "-c", "5", "-i", "0.2", "-W", "1", Pair.B.Address.ToString());
        Assert.Equal(100, Netns.PingLoss(ping.StandardOutput)); // B is down: the requests wait in its inbox
        Assert.Equal(5, Netns.Metric(await Pair.A.LocalMetricsAsync(), "hoshino_packets_total{direction=\"egress\"}"));

        await Pair.RestartAsync(Pair.B);

        string b = "";
        for (int i = 0; i < 100 && Netns.Metric(b, "hoshino_packets_total{direction=\"ingress\"}") < 5; i++)
        {
            await Task.Delay(100, Ct);
            b = await Pair.B.LocalMetricsAsync();
        }
        await Task.Delay(1000, Ct); // a second delivery, if there were one, would have happened by now
        b = await Pair.B.LocalMetricsAsync();
        Assert.Equal(5, Netns.Metric(b, "hoshino_packets_total{direction=\"ingress\"}"));
        Assert.Equal(0, Netns.Metric(b, "hoshino_duplicate_objects_total"));
        // B answered the five requests it found: the replies went back through the bucket.
        string a = await Pair.A.LocalMetricsAsync();
        Assert.Equal(5, Netns.Metric(a, "hoshino_packets_total{direction=\"ingress\"}"));
    }

    [Fact]
    public async Task Transfer_StoreSlowResettingAndThrottling_CompletesWithBoundedRetriesAndMemory()
    {
        // Node A reaches the store through a proxy that delays every read by 20 ms, resets every 5th
        // connection mid-request and throttles every 3rd with 503 SlowDown.
        await Network.EnsureStartedAsync(Ct);
        await using var proxy = new FaultyProxy(Network.HostAddress, new System.Net.IPEndPoint(Network.ServerAddress, Network.Endpoint.Port),
            TimeSpan.FromMilliseconds(20), resetEvery: 5, slowDownEvery: 3);
        await Pair.DisposeAsync();
        Pair = await NodePair.StartAsync(Network, NewTag(), Ct, endpointA: proxy.Endpoint);
        byte[] payload = RandomNumberGenerator.GetBytes(2 << 20);

        byte[] received = await TcpTransfer.RunAsync(Pair.A, Pair.B, payload, TimeSpan.Zero, TimeSpan.FromMinutes(3), Ct);

        Assert.Equal(SHA256.HashData(payload), received);
        Assert.True(proxy.SlowDowns > 0 && proxy.Resets > 0, $"{proxy.SlowDowns} slow-downs, {proxy.Resets} resets: no fault was injected");
        string a = await Pair.A.LocalMetricsAsync();
        double puts = Netns.Metric(a, "hoshino_s3_requests_total{operation=\"put\"}");
        double retries = Netns.Metric(a, "hoshino_s3_retries_total{operation=\"put\"}");
        string faults = $"proxy: {proxy.Connections} connections, {proxy.SlowDowns} slow-downs, {proxy.Resets} resets";
        // The proxy faults connections, so whichever request opens one takes the fault: any operation.
        double transient = new[] { "put", "list", "get", "head", "delete" }
            .Sum(op => Netns.Metric(a, $"hoshino_s3_errors_total{{operation=\"{op}\",kind=\"transient\"}}"));
        Assert.True(transient > 0, $"{faults}\n{Pair.A.Process.Output}");
        // Retries are a fraction of the requests, not a storm.
        Assert.True(retries <= puts / 2, $"{retries} PUT retries for {puts} PUTs; {faults}");
        long peakKiB = long.Parse(File.ReadLines($"/proc/{Pair.A.Process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(peakKiB < 256 * 1024, $"peak RSS {peakKiB} KiB");
    }

    [GeneratedRegex(@" warn: ")]
    private static partial Regex WarningLine();
}
