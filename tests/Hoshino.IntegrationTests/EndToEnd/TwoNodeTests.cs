using System.Net;
using System.Security.Cryptography;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.Packets;
using Hoshino.Store;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// Two real nodes in two network namespaces exchange IPv6 through a bucket on Ceph RGW: ping, TCP,
/// metrics through the tunnel, hostile objects in the inbox, and a clean shutdown.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class TwoNodeTests(StoreNetwork network) : NodePairTest(network)
{
    [Fact]
    public async Task Ping_TwentyPackets_NoLoss()
    {
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(60),
            "ping", "-6", "-c", "20", "-i", "0.2", "-W", "5", Pair.B.Address.ToString());

        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
        Assert.Equal(0, Netns.PingLoss(ping.StandardOutput));
    }

    [Fact]
    public async Task Idle_NodesHeadTheirDoorbells_AndAPingAfterTheQuietSpellRingsItsWayThrough()
    {
        // Past the linger (2 s) and the climb to --poll-max: both nodes are idle.
        await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        string idleBefore = await Pair.B.LocalMetricsAsync();
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        string idleAfter = await Pair.B.LocalMetricsAsync();
        double Delta(string metric) => Netns.Metric(idleAfter, metric) - Netns.Metric(idleBefore, metric);

        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(60),
            "ping", "-6", "-c", "3", "-i", "0.2", "-W", "5", Pair.B.Address.ToString());
        string a = await Pair.A.LocalMetricsAsync();
        string b = await Pair.B.LocalMetricsAsync();

        // Idle: a HEAD each --poll-max (500 ms) and no LIST within --list-max (30 s) of the last one.
        Assert.True(Delta("hoshino_s3_requests_total{operation=\"head\"}") >= 3, $"HEADs while idle:\n{idleAfter}");
        Assert.Equal(0, Delta("hoshino_s3_requests_total{operation=\"list\"}"));
        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
        Assert.Equal(0, Netns.PingLoss(ping.StandardOutput));
        Assert.True(Netns.Metric(a, "hoshino_doorbell_rings_total{direction=\"sent\"}") >= 1, a);
        Assert.True(Netns.Metric(b, "hoshino_doorbell_rings_total{direction=\"heard\"}") >= 1, b);
    }

    [Fact]
    public async Task Tcp_EightMiB_ArrivesIntact()
    {
        byte[] payload = RandomNumberGenerator.GetBytes(8 << 20);

        byte[] received = await TcpTransfer.RunAsync(Pair.A, Pair.B, payload, TimeSpan.Zero, TimeSpan.FromSeconds(120), Ct);

        Assert.Equal(SHA256.HashData(payload), received);
    }

    [Fact]
    public async Task Metrics_PeerPageThroughTunnel_ShowsTraffic()
    {
        string page = await Netns.HttpGetAsync(Pair.A.Namespace.Name, Pair.B.MetricsUrl);

        Assert.Contains("# TYPE hoshino_packets_total counter", page, StringComparison.Ordinal);
        Assert.Contains("hoshino_heartbeat_interval_seconds", page, StringComparison.Ordinal);
        Assert.Contains("process_start_time_seconds", page, StringComparison.Ordinal);
        // The request itself came through the tunnel, so B has ingressed packets from A.
        Assert.True(Netns.Metric(page, "hoshino_packets_total{direction=\"ingress\"}") > 0, page);
        Assert.True(Netns.Metric(page, "hoshino_s3_requests_total{operation=\"list\"}") > 0, page);
    }

    [Fact]
    public async Task Counters_AfterTraffic_EgressOfAMatchesIngressOfB()
    {
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(60),
            "ping", "-6", "-c", "30", "-i", "0.05", "-W", "5", Pair.B.Address.ToString());
        Assert.True(ping.Succeeded, ping.StandardOutput);

        // Nothing is in flight once both sides are quiet; allow a little time for the last delete.
        double aEgress = 0, bIngress = 0;
        for (int i = 0; i < 50; i++)
        {
            aEgress = Netns.Metric(await Pair.A.LocalMetricsAsync(), "hoshino_packets_total{direction=\"egress\"}");
            bIngress = Netns.Metric(await Pair.B.LocalMetricsAsync(), "hoshino_packets_total{direction=\"ingress\"}");
            if (aEgress == bIngress)
            {
                break;
            }
            await Task.Delay(100, Ct);
        }
        // The metrics fetches above go over loopback, not the tunnel, so the two sides settle.
        Assert.True(aEgress >= 30, $"A egressed {aEgress}");
        Assert.Equal(aEgress, bIngress);
    }

    [Fact]
    public async Task Inbox_HostileObjects_RejectedCountedDeletedAndNodeKeepsServing()
    {
        Address16 b = Address16.From(Pair.B.Address);
        Address16 a = Address16.From(Pair.A.Address);
        Address16 mallory = Address16.From(IPAddress.Parse("fd5e:59b8:f71d:9a3e:dead:beef:0:1"));
        var ids = new MonotonicUlid(TimeProvider.System);

        // An echo request to B that claims to come from mallory, in a key that says it is from A:
        // if it reached B's kernel, B would answer into mallory's inbox.
        byte[] spoofed = TestPackets.Icmp(TestPackets.EchoRequest, mallory, b);
        string spoofKey = new ObjectKey(b, a, ids.Next()).ToString();
        string garbageKey = new ObjectKey(b, a, ids.Next()).ToString();
        string badKey = $"{b}/not-an-address/{ids.Next()}";
        await Pair.Store.PutAsync(spoofKey, TestPackets.Bundle(spoofed), Ct);
        byte[] garbage = RandomNumberGenerator.GetBytes(1000);
        garbage[0] = 0x00; // neither "HSN" nor an IPv6 first nibble: always "malformed", never "not_ipv6"
        await Pair.Store.PutAsync(garbageKey, garbage, Ct);
        await Pair.Store.PutAsync(badKey, TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoRequest, a, b)), Ct);
        await Pair.RingAsync(Pair.B.Address, Ct);

        string page = "";
        for (int i = 0; i < 100; i++)
        {
            page = await Pair.B.LocalMetricsAsync();
            if (Netns.Metric(page, "hoshino_rejected_objects_total{reason=\"wrong_source\"}") >= 1
                && Netns.Metric(page, "hoshino_rejected_objects_total{reason=\"malformed\"}") >= 1
                && Netns.Metric(page, "hoshino_rejected_objects_total{reason=\"bad_key\"}") >= 1)
            {
                break;
            }
            await Task.Delay(100, Ct);
        }
        Assert.Equal(1, Netns.Metric(page, "hoshino_rejected_objects_total{reason=\"wrong_source\"}"));
        Assert.Equal(1, Netns.Metric(page, "hoshino_rejected_objects_total{reason=\"malformed\"}"));
        Assert.Equal(1, Netns.Metric(page, "hoshino_rejected_objects_total{reason=\"bad_key\"}"));

        // Deleted, and nothing answered the spoofed ping.
        for (int i = 0; i < 50 && (await Pair.BundlesInAsync(Pair.B.Address, Ct)).Count > 0; i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Empty(await Pair.BundlesInAsync(Pair.B.Address, Ct));
        Assert.Empty(await Pair.Store.ListAsync(ObjectKey.InboxOf(mallory), 1000, Ct));
        Assert.Equal(0, Netns.Metric(page, "hoshino_packets_total{direction=\"ingress\"}"));

        // B keeps serving.
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(30),
            "ping", "-6", "-c", "3", "-i", "0.2", "-W", "5", Pair.B.Address.ToString());
        Assert.Equal(0, Netns.PingLoss(ping.StandardOutput));
    }

    [Fact]
    public async Task Sigterm_BothNodes_ExitZeroInterfacesGoneInboxesEmpty()
    {
        // -w, not -W: once one reply is in, ping waits only max(1 s, 2 x the slowest RTT) after its
        // last echo and calls a later reply lost. With -w it waits for 5 replies up to the deadline,
        // sending on every 0.2 s meanwhile: on a loaded 2-core machine, just after start-up (every
        // path JITs on first use), it may send more than 5 and exit with replies still on their
        // way, which it calls lost. So the nodes' counters decide: every echo it sent reached B, and
        // every reply reached A, before the nodes are stopped (an inbox left full would be a reply
        // in flight, not a shutdown bug).
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(30),
            "ping", "-6", "-c", "5", "-i", "0.2", "-w", "15", Pair.B.Address.ToString());
        (int sent, int received) = Netns.PingCounts(ping.StandardOutput);
        // At least the 5 asked for: replies that arrive together (one bundle) are all counted before ping stops.
        Assert.True(received >= 5 && received <= sent, ping.StandardOutput);
        await WaitForAsync("hoshino_packets_total{direction=\"ingress\"}", sent);
        for (int i = 0; i < 150 && Netns.Metric(await Pair.A.LocalMetricsAsync(), "hoshino_packets_total{direction=\"ingress\"}") < sent; i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Equal(sent, Netns.Metric(await Pair.A.LocalMetricsAsync(), "hoshino_packets_total{direction=\"ingress\"}"));

        Pair.A.Process.Terminate();
        Pair.B.Process.Terminate();

        Assert.Equal(0, await Pair.A.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, await Pair.B.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        foreach (RunningNode node in new[] { Pair.A, Pair.B })
        {
            ShellResult link = await Shell.RunAsync("ip", ["-n", node.Namespace.Name, "link", "show", "hoshino0"], TimeSpan.FromSeconds(10), cancellationToken: Ct);
            Assert.False(link.Succeeded, $"hoshino0 still exists in {node.Namespace.Name}: {link.StandardOutput}");
            Assert.Empty(await Pair.Store.ListAsync(ObjectKey.InboxOf(Address16.From(node.Address)), 1000, Ct));
        }
    }
}
