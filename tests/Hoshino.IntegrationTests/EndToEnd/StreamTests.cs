using System.Security.Cryptography;
using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// Several senders to one receiver, and a sender that dies mid-transfer and comes back (a new
/// epoch of its streams, ADR 0010): TCP through the tunnel must arrive intact, and the receiver's
/// inbox must drain.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class StreamTests(StoreNetwork network) : NodePairTest(network)
{
    [Fact]
    public async Task Tcp_ThreeSendersToOneReceiver_EachArrivesIntact()
    {
        RunningNode c = await Pair.AddNodeAsync(NewTag() + "c", "c3c3c3c3c3c3c3c3" + "00112233445566ff", Ct);
        RunningNode d = await Pair.AddNodeAsync(NewTag() + "d", "d4d4d4d4d4d4d4d4" + "ffeeddccbbaa0099", Ct);
        RunningNode[] senders = [Pair.A, c, d];
        byte[][] payloads = [.. senders.Select(_ => RandomNumberGenerator.GetBytes(3 << 20))];

        byte[][] received = await Task.WhenAll(senders.Select((s, i) =>
            TcpTransfer.RunAsync(s, Pair.B, payloads[i], TimeSpan.Zero, TimeSpan.FromMinutes(3), Ct)));

        for (int i = 0; i < senders.Length; i++)
        {
            Assert.Equal(SHA256.HashData(payloads[i]), received[i]);
        }
        string b = await Pair.B.LocalMetricsAsync();
        // Every sender's data went through B's inbox: 9 MiB in, and each sender's egress counted.
        Assert.True(Netns.Metric(b, "hoshino_bytes_total{direction=\"ingress\"}") >= 9 << 20, b);
        foreach (RunningNode s in senders)
        {
            Assert.True(Netns.Metric(await s.LocalMetricsAsync(), "hoshino_bytes_total{direction=\"egress\"}") >= 3 << 20);
        }
        await AssertInboxDrainsAsync(Pair.B);
    }

    [Fact]
    public async Task Tcp_SenderKilledAndRestartedMidTransfer_ArrivesIntact()
    {
        byte[] payload = RandomNumberGenerator.GetBytes(4 << 20);
        // 64 chunks, 100 ms apart: the transfer is still running when A dies and comes back.
        Task<byte[]> transfer = TcpTransfer.RunAsync(Pair.A, Pair.B, payload, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(3), Ct);
        await Task.Delay(2000, Ct);
        double before = Netns.Metric(await Pair.B.LocalMetricsAsync(), "hoshino_bytes_total{direction=\"ingress\"}");
        Assert.True(before > 0, "the transfer had started when A was killed");
        Assert.False(transfer.IsCompleted, "the transfer was still running when A was killed");

        await Pair.A.Process.DisposeAsync(); // SIGKILL: its queue and PUTs in flight are lost, its TUN goes
        await Pair.RestartAsync(Pair.A);     // a new process: new streams (epochs) to B

        byte[] received = await transfer;
        Assert.Equal(SHA256.HashData(payload), received);
        // The restarted A carried the rest: its own counters started from zero.
        Assert.True(Netns.Metric(await Pair.A.LocalMetricsAsync(), "hoshino_bytes_total{direction=\"egress\"}") > 0);
        await AssertInboxDrainsAsync(Pair.B);
    }

    /// <summary>Nothing is left behind: the receiver deleted everything it delivered (deletes run in the background).</summary>
    private async Task AssertInboxDrainsAsync(RunningNode node)
    {
        List<string> left = [];
        for (int i = 0; i < 100; i++)
        {
            left = await Pair.BundlesInAsync(node.Address, Ct);
            if (left.Count == 0)
            {
                return;
            }
            await Task.Delay(100, Ct);
        }
        Assert.Fail($"{left.Count} objects left in the inbox, e.g. {left[0]}");
    }
}
