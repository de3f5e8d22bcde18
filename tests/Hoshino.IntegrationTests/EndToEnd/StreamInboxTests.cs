using System.Diagnostics;
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
        // tcpdump prints each packet as it sees it (-l), and says on stderr when it listens: the test
        // sends nothing before that (under load, attaching takes longer than any fixed wait).
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var tcpdump = new Process
        {
            StartInfo = new ProcessStartInfo("ip", ["netns", "exec", Pair.B.Namespace.Name, "tcpdump", "-i", "hoshino0", "-l", "-n", "icmp6"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            },
        };
        tcpdump.OutputDataReceived += (_, e) => { if (e.Data is { } line) { seen.Enqueue(line); } };
        tcpdump.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true) { listening.TrySetResult(); } };
        tcpdump.Start();
        tcpdump.BeginOutputReadLine();
        tcpdump.BeginErrorReadLine();
        List<int> sequences = [];
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            // Echo *replies* from A, which B's kernel takes without answering. The first makes the
            // stream known (a stream first seen mid-window starts at its lowest listed number, and
            // numbers below it are delivered late, as they come: ADR 0010); the rest land out of order.
            await PutAsync(0);
            await Pair.RingAsync(Pair.B.Address, Ct);
            await WaitForAsync("hoshino_packets_total{direction=\"ingress\"}", 1);
            foreach (int n in (int[])[4, 2, 1, 3])
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
            for (int i = 0; i < 150 && (sequences = Sequences()).Count < 5; i++)
            {
                await Task.Delay(100, Ct); // tcpdump's line for a packet the node wrote is on its way
            }
        }
        finally
        {
            using (Process stop = Process.Start("kill", ["-INT", tcpdump.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await stop.WaitForExitAsync(CancellationToken.None);
            }
            await tcpdump.WaitForExitAsync(CancellationToken.None);
        }

        Assert.True(sequences.SequenceEqual([100, 101, 102, 103, 104]), $"the interface saw:\n{string.Join('\n', seen)}\n{page}");

        List<int> Sequences() => [.. seen.Select(l => EchoSequence().Match(l)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

        Task PutAsync(int n) => Pair.Store.PutAsync(new StreamKey(b, a, epoch, n).ToString(),
            TestPackets.Bundle(TestPackets.Icmp(TestPackets.EchoReply, a, b, sequence: (ushort)(100 + n))), Ct);
    }

    [GeneratedRegex(@"echo reply, id \d+, seq (\d+)")]
    private static partial Regex EchoSequence();
}
