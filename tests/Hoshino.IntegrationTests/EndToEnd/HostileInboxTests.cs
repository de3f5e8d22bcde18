using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// Everything hostile or broken that can land in a node's inbox, while tcpdump watches its interface:
/// nothing of it reaches the kernel, each is counted by reason and deleted, and the node keeps serving.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class HostileInboxTests(StoreNetwork network) : NodePairTest(network)
{
    [Fact]
    public async Task Inbox_EveryKindOfBadObject_NoneReachesTheInterface()
    {
        Address16 a = Address16.From(Pair.A.Address), b = Address16.From(Pair.B.Address);
        Address16 mallory = Address16.From(IPAddress.Parse("fd5e:59b8:f71d:9a3e:bad:bad:bad:bad"));
        var ids = new MonotonicUlid(TimeProvider.System);
        string Key() => new ObjectKey(b, a, ids.Next()).ToString();
        IReadOnlyList<string> seen;
        await using (InterfaceCapture capture = await InterfaceCapture.StartAsync(Pair.B.Namespace.Name, Ct))
        {
            // One good packet first: an echo *reply* from A, which B's kernel takes without answering.
            string good = Key();
            byte[] goodBody = TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoReply, a, b, sequence: 7));
            await Pair.Store.PutAsync(good, goodBody, Ct);
            await Pair.RingAsync(Pair.B.Address, Ct);
            await WaitForAsync("hoshino_packets_total{direction=\"ingress\"}", 1);

            byte[] ipv4 = new byte[28];
            ipv4[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ipv4.AsSpan(2), 28);
            byte[] truncated = TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoRequest, a, b));
            byte[] unknownVersion = (byte[])goodBody.Clone();
            unknownVersion[3] = 9; // 1 and 2 are known (sealed v2 came with per-object keys)
            byte[] random = new byte[4096];
            new Random(42).NextBytes(random);
            random[0] = 0x00;
            var hostile = new (string Key, byte[] Body, string Reason)[]
            {
                (Key(), random, "malformed"),
                (Key(), [], "empty"),
                (Key(), truncated[..^10], "malformed"),
                (Key(), unknownVersion, "unknown_version"),
                (Key(), TestPackets.Bundle(ipv4), "not_ipv6"),
                (Key(), TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoRequest, a, a)), "wrong_destination"),
                (Key(), TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoRequest, mallory, b)), "wrong_source"),
                ($"{b}/{a}/not-a-ulid", TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoRequest, a, b)), "bad_key"),
                (new ObjectKey(b, a, Ulid.NewUlid(DateTimeOffset.UtcNow.AddMinutes(-5))).ToString(), TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoRequest, a, b)), "too_old"),
                (good, goodBody, "replay"),
                (Key(), new byte[100 << 20], "too_large"),
            };
            string before = await Pair.B.LocalMetricsAsync();
            foreach ((string key, byte[] body, _) in hostile)
            {
                await Pair.Store.PutAsync(key, body, Ct);
            }
            await Pair.RingAsync(Pair.B.Address, Ct);

            foreach (IGrouping<string, (string Key, byte[] Body, string Reason)> reason in hostile.GroupBy(h => h.Reason))
            {
                await WaitForAsync($"hoshino_rejected_objects_total{{reason=\"{reason.Key}\"}}", reason.Count());
            }
            string after = await Pair.B.LocalMetricsAsync();
            // Screened from the listing, never downloaded: bad key, too old, replay, and the 100 MiB object.
            double gets = Netns.Metric(after, "hoshino_s3_requests_total{operation=\"get\"}") - Netns.Metric(before, "hoshino_s3_requests_total{operation=\"get\"}");
            Assert.True(gets <= 7, $"{gets} GETs for 7 objects that needed reading");
            Assert.Equal(1, Netns.Metric(after, "hoshino_packets_total{direction=\"ingress\"}"));
            for (int i = 0; i < 50 && (await Pair.BundlesInAsync(Pair.B.Address, Ct)).Count > 0; i++)
            {
                await Task.Delay(100, Ct);
            }
            Assert.Empty(await Pair.BundlesInAsync(Pair.B.Address, Ct));
            seen = await capture.StopAsync();
        }

        Assert.True(seen.Count == 1, $"the interface saw {seen.Count} packets:\n{string.Join('\n', seen)}");
        Assert.Contains($"{Pair.A.Address} > {Pair.B.Address}: ICMP6, echo reply", seen[0], StringComparison.Ordinal);

        // B keeps serving.
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(30),
            "ping", "-6", "-c", "3", "-i", "0.2", "-W", "5", Pair.B.Address.ToString());
        Assert.Equal(0, Netns.PingLoss(ping.StandardOutput));
    }

    /// <summary>The junk budget per sender (RejectLimiter's burst): GETs before its names are deleted unread.</summary>
    private const int JunkBurst = 64;

    [Fact]
    public async Task Inbox_ThousandJunkStreamNames_CostTheSendersBudgetNotAGetEachAndRealTrafficFlows()
    {
        Address16 b = Address16.From(Pair.B.Address);
        Address16 mallory = Address16.From(IPAddress.Parse("fd5e:59b8:f71d:9a3e:bad:bad:bad:bad"));
        Ulid epoch = Ulid.NewUlid();
        var junk = Enumerable.Range(0, 1000).Select(n => new StreamKey(b, mallory, epoch, n).ToString()).ToList();
        byte[] random = RandomNumberGenerator.GetBytes(2048);
        random[0] = 0;
        string before = await Pair.B.LocalMetricsAsync();
        DateTimeOffset started = DateTimeOffset.UtcNow;

        await Parallel.ForEachAsync(junk, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct },
            async (key, ct) => await Pair.Store.PutAsync(key, random, ct));
        await AssertStoredAsync(junk.Count, before);
        await Pair.RingAsync(Pair.B.Address, Ct);

        string after = before;
        double Delta(string metric) => Netns.Metric(after, metric) - Netns.Metric(before, metric);
        double Refused() => Delta("hoshino_rejected_objects_total{reason=\"malformed\"}") + Delta("hoshino_rejected_objects_total{reason=\"rate_limited\"}");
        for (int i = 0; i < 600 && Refused() < junk.Count; i++)
        {
            await Task.Delay(100, Ct);
            after = await Pair.B.LocalMetricsAsync();
        }
        double seconds = (DateTimeOffset.UtcNow - started).TotalSeconds;

        Assert.True(Refused() == junk.Count, $"each junk name refused once:\n{after}\n--- B:\n{Pair.B.Process.Output}");
        Assert.True(Delta("hoshino_rejected_objects_total{reason=\"rate_limited\"}") > 0, "the junk sender was never limited");
        // The burst, a token a second since the first, and a window of GETs already in flight: not one GET per name.
        double gets = Delta("hoshino_s3_requests_total{operation=\"get\"}");
        Assert.True(gets <= JunkBurst + seconds + 16, $"{gets} GETs for {junk.Count} junk names in {seconds:F0} s");
        Assert.Equal(0, Delta("hoshino_packets_total{direction=\"ingress\"}"));
        for (int i = 0; i < 100 && (await Pair.BundlesInAsync(Pair.B.Address, Ct)).Count > 0; i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Empty(await Pair.BundlesInAsync(Pair.B.Address, Ct));

        // B keeps delivering real traffic, by v2 names of A's own.
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(30),
            "ping", "-6", "-c", "3", "-i", "0.2", "-W", "5", Pair.B.Address.ToString());
        Assert.Equal(0, Netns.PingLoss(ping.StandardOutput));
    }
}
