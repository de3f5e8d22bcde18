using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.Packets;
using Hoshino.Store;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// Every object-level attack of issue 10 at once, planted by a writer with its own name in the
/// network (what the node policy grants any node), against two real nodes on Ceph RGW: B keeps
/// delivering, empties its inbox, stays small, and once the attacker only rings, polls at the idle rate.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class HostileBucketTests(StoreNetwork network) : NodePairTest(network)
{
    private static readonly TimeSpan ListMax = TimeSpan.FromSeconds(5);

    /// <summary>B's peak resident set while it handles all of it. Measured 117-123 MiB (the JIT-run test build, the 2 MiB transfer included).</summary>
    private const long MaxPeakRssBytes = 256L << 20;

    public override async ValueTask InitializeAsync() =>
        Pair = await NodePair.StartAsync(Network, NewTag(), Ct, argsB: ["--list-max", "5s"]);

    [Fact]
    public async Task Inbox_AllAttacksAtOnce_KeepsDeliveringEmptiesItsInboxStaysSmallAndGoesIdle()
    {
        Address16 a = Address16.From(Pair.A.Address), b = Address16.From(Pair.B.Address);
        Address16 mallory = Address16.From(IPAddress.Parse("fd5e:59b8:f71d:9a3e:bad:bad:bad:bad"));
        var ids = new MonotonicUlid(TimeProvider.System);
        string poison = $"{b}/\u0001/doorbell";
        string future = new ObjectKey(b, mallory, Ulid.NewUlid(DateTimeOffset.UtcNow.AddYears(40))).ToString();
        string linkLocal = $"{b}/fe80::1/{ids.Next()}";
        var junk = Enumerable.Range(0, 1000).Select(_ => new ObjectKey(b, mallory, ids.Next()).ToString()).ToList();
        var oversized = Enumerable.Range(0, 3).Select(_ => new ObjectKey(b, mallory, ids.Next()).ToString()).ToList();
        string before = await Pair.B.LocalMetricsAsync();

        await Pair.Store.PutAsync(poison, "x"u8.ToArray(), Ct);
        await Pair.Store.PutAsync($"{b}/\u001b[2J\u001b[31mforged: Node up/x", "x"u8.ToArray(), Ct); // a key that would rewrite a terminal
        await Pair.Store.PutAsync(future, TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoRequest, mallory, b)), Ct);
        await Pair.Store.PutAsync(linkLocal, TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoRequest, mallory, b)), Ct);
        byte[] random = RandomNumberGenerator.GetBytes(2048);
        random[0] = 0;
        await Parallel.ForEachAsync(junk, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct },
            async (key, ct) => await Pair.Store.PutAsync(key, random, ct));
        foreach (string key in oversized)
        {
            await Pair.Store.PutAsync(key, new byte[20 << 20], Ct);
        }
        await AssertStoredAsync(junk.Count, before);
        await Pair.RingAsync(Pair.B.Address, Ct);

        // B keeps delivering while it works through all that.
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(30),
            "ping", "-6", "-c", "5", "-i", "0.2", "-W", "5", Pair.B.Address.ToString());
        Assert.Equal(0, Netns.PingLoss(ping.StandardOutput));
        byte[] payload = RandomNumberGenerator.GetBytes(2 << 20);
        byte[] received = await TcpTransfer.RunAsync(Pair.A, Pair.B, payload, TimeSpan.Zero, TimeSpan.FromMinutes(2), Ct);
        Assert.Equal(SHA256.HashData(payload), received);

        // No packet object left within --list-max and a margin: the poison key too (deleted alone, by URL).
        var deadline = DateTimeOffset.UtcNow + ListMax + TimeSpan.FromSeconds(20);
        List<string> left;
        while ((left = await Pair.BundlesInAsync(Pair.B.Address, Ct)).Count > 0 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(250, Ct);
        }
        Assert.True(left.Count == 0, $"{left.Count} objects left in B's inbox, e.g. {string.Join(", ", left.Take(3))}");

        string after = await Pair.B.LocalMetricsAsync();
        double Delta(string metric) => Netns.Metric(after, metric) - Netns.Metric(before, metric);
        Assert.Equal(1, Delta("hoshino_rejected_objects_total{reason=\"too_new\"}"));
        Assert.Equal(1, Delta("hoshino_rejected_objects_total{reason=\"bad_source\"}"));
        Assert.Equal(3, Delta("hoshino_rejected_objects_total{reason=\"too_large\"}"));
        Assert.True(Delta("hoshino_rejected_objects_total{reason=\"bad_key\"}") >= 1);
        Assert.Equal(1000, Delta("hoshino_rejected_objects_total{reason=\"malformed\"}") + Delta("hoshino_rejected_objects_total{reason=\"rate_limited\"}"));
        Assert.True(Delta("hoshino_rejected_objects_total{reason=\"rate_limited\"}") > 0, "the junk sender was never limited");
        Assert.Equal(0, Delta("hoshino_undeletable_objects_total"));
        // The junk cost at most the limiter's burst plus a refill a second in GETs, not one each.
        Assert.True(Delta("hoshino_s3_requests_total{operation=\"get\"}") < 1000, "B fetched every junk object");

        // Keys are the attacker's words: the log shows them escaped, never raw control characters.
        Assert.DoesNotContain(Pair.B.Process.Output, c => c is '\u0001' or '\u001b');

        long peak = PeakRss(Pair.B.Process.Id);
        Assert.True(peak < MaxPeakRssBytes, $"B's peak RSS {peak >> 20} MiB");

        // Quiet now, but for the attacker ringing B's doorbell four times a second: B polls as an idle node.
        await Task.Delay(TimeSpan.FromSeconds(4), Ct); // past the 2 s linger, to the slowest poll
        string quietStart = await Pair.B.LocalMetricsAsync();
        DateTimeOffset quietEnd = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTimeOffset.UtcNow < quietEnd)
        {
            await Pair.RingAsync(Pair.B.Address, Ct);
            await Task.Delay(250, Ct);
        }
        string quietStop = await Pair.B.LocalMetricsAsync();
        double Quiet(string metric) => Netns.Metric(quietStop, metric) - Netns.Metric(quietStart, metric);
        double lists = Quiet("hoshino_s3_requests_total{operation=\"list\"}");
        double heads = Quiet("hoshino_s3_requests_total{operation=\"head\"}");
        // Idle: a HEAD per --poll-max (500 ms), a LIST per --list-max, plus rings answered at 0, 0.5,
        // 1.5, 3.5 and 7.5 s of useless ringing. Before the fix: ~170 LISTs a second.
        Assert.True(lists <= 10, $"{lists} LISTs in 10 s of ringing");
        Assert.True(heads <= 30, $"{heads} HEADs in 10 s");
    }

    private static long PeakRss(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
