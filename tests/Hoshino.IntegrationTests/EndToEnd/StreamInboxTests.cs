using System.Text.RegularExpressions;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.Packets;
using Hoshino.Transport;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// Transport v2 names in a real node's inbox on Ceph RGW (ADR 0010), written the way a v2 sender
/// writes them (the egress side lands separately), while tcpdump watches the node's interface:
/// each stream reaches the kernel in sequence order whatever order the PUTs finished in, hostile
/// numbers are refused and counted, and the inbox is left empty.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class StreamInboxTests(StoreNetwork network) : NodePairTest(network)
{
    [Fact]
    public async Task Inbox_StreamStoredOutOfOrder_ReachesTheInterfaceInSequenceOrder()
    {
        Address16 a = Address16.From(Pair.A.Address), b = Address16.From(Pair.B.Address);
        Ulid epoch = Ulid.NewUlid();
        string page = "";
        List<int> sequences = [];
        IReadOnlyList<string> seen;
        await using (InterfaceCapture capture = await InterfaceCapture.StartAsync(Pair.B.Namespace.Name, Ct))
        {
            // Echo *replies* from A, which B's kernel takes without answering. The first makes the
            // stream known (a stream first seen mid-window starts at its lowest listed number, and
            // numbers below it are delivered late, as they come: ADR 0010); the rest land out of order.
            await PutAsync(0);
            await Pair.RingAsync(Pair.B.Address, Ct);
            await WaitForAsync("hoshino_packets_total{direction=\"ingress\"}", 1, () => string.Join('\n', capture.Lines));
            // All of them before B looks: a LIST between two of these PUTs (slow on a loaded machine)
            // would show a later number while an earlier one is not stored yet, and B rightly skips
            // a hole that waits past its bound. Idle (at --poll-max) B lists only when rung; and 1,
            // the next name its probes ask for, is stored last.
            await WaitForAsync("hoshino_heartbeat_interval_seconds", 0.5);
            foreach (int n in (int[])[4, 2, 3, 1])
            {
                await PutAsync(n);
            }
            byte[] hostile = TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoReply, a, b, sequence: 999));
            await Pair.Store.PutAsync(new StreamKey(b, a, epoch, StreamKey.SequenceLimit).ToString(), hostile, Ct);
            await Pair.Store.PutAsync(new StreamKey(b, a, Ulid.NewUlid(DateTimeOffset.UtcNow.AddHours(1)), 0).ToString(), hostile, Ct);
            await Pair.RingAsync(Pair.B.Address, Ct);

            await WaitForAsync("hoshino_packets_total{direction=\"ingress\"}", 5);
            await WaitForAsync("hoshino_rejected_objects_total{reason=\"too_far_ahead\"}", 1);
            await WaitForAsync("hoshino_rejected_objects_total{reason=\"epoch_too_new\"}", 1);
            for (int i = 0; i < 50 && (await Pair.BundlesInAsync(Pair.B.Address, Ct)).Count > 0; i++)
            {
                await Task.Delay(100, Ct);
            }
            Assert.Empty(await Pair.BundlesInAsync(Pair.B.Address, Ct));
            page = await Pair.B.LocalMetricsAsync();
            Assert.True(Netns.Metric(page, "hoshino_streams") == 1 && Netns.Metric(page, "hoshino_stream_holes_skipped_total") == 0, page);
            for (int i = 0; i < 150 && (sequences = Sequences(capture.Lines)).Count < 5; i++)
            {
                await Task.Delay(100, Ct); // tcpdump's line for a packet the node wrote is on its way
            }
            seen = await capture.StopAsync();
        }

        Assert.True(sequences.SequenceEqual([100, 101, 102, 103, 104]), $"the interface saw:\n{string.Join('\n', seen)}\n{page}");

        static List<int> Sequences(IReadOnlyList<string> lines) => [.. lines.Select(l => EchoSequence().Match(l)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

        Task PutAsync(int n) => Pair.Store.PutAsync(new StreamKey(b, a, epoch, n).ToString(),
            TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoReply, a, b, sequence: (ushort)(100 + n))), Ct);
    }

    [GeneratedRegex(@"echo reply, id \d+, seq (\d+)")]
    private static partial Regex EchoSequence();
}
