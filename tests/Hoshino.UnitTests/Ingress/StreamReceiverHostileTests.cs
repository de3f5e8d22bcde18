using System.Net;
using Hoshino.Ingress;
using Hoshino.Packets;
using Hoshino.Transport;
using Hoshino.UnitTests.TestSupport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

/// <summary>
/// What a writer of junk transport v2 names can make a node spend (issue 13): listed names are
/// charged to their sender's junk budget (<see cref="RejectLimiter"/>, shared with v1), so past its
/// burst they are deleted unread. Through the pump, over the in-memory store (its Last-Modified is
/// the system clock, so the fake clock starts at the real time).
/// </summary>
public sealed class StreamReceiverHostileTests() : IngressPumpFixture(new MemoryPacketStore(), DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1))
{
    /// <summary>The limiter's burst (<see cref="RejectLimiter"/>'s default).</summary>
    private const int Burst = 64;

    private readonly Ulid _epoch = Ulid.NewUlid(DateTimeOffset.UtcNow.AddSeconds(-30));

    private static byte[] One(IPAddress source, int n) => Bundle([Numbered(source, Self, n)]);

    private string Name(long sequence, IPAddress? source = null) =>
        new StreamKey(Self16, Address16.From(source ?? Peer), _epoch, sequence).ToString();

    /// <summary>GETs of the names <paramref name="source"/> stored as 0 to <paramref name="count"/> − 1 (probes past them not counted).</summary>
    private int GetsOf(IPAddress source, int count) => Enumerable.Range(0, count).Sum(n => _store.Gets.GetValueOrDefault(Name(n, source)));

    private long JunkRejected() => Enum.GetValues<RejectReason>().Where(r => r != RejectReason.RateLimited).Sum(r => _metrics.Rejected(r));

    private static async Task ListAndSettleAsync(IngressPump pump)
    {
        await pump.PollOnceAsync(Ct);
        await pump.Streams.SettleAsync(Ct);
    }

    private async Task PutJunkAsync(int count)
    {
        for (int n = 0; n < count; n++)
        {
            await PutStreamAsync(Peer, _epoch, n, "junk"u8.ToArray());
        }
        Assert.Equal(count, (await InboxAsync()).Count); // the setup: every junk name is stored
    }

    [Fact]
    public async Task Listed_JunkNamesPastTheBurst_DeletedUnreadWhileAnotherSendersStreamIsDelivered()
    {
        await PutJunkAsync(200);
        foreach (int n in (int[])[0, 1, 2, 3, 4])
        {
            await PutStreamAsync(OtherPeer, _epoch, n, One(OtherPeer, n));
        }
        using IngressPump pump = CreatePump();

        await ListAndSettleAsync(pump);

        Assert.Equal(Burst, GetsOf(Peer, 200));                          // the burst, then no more GETs
        Assert.Equal(Burst, JunkRejected());
        Assert.Equal(200 - Burst, _metrics.Rejected(RejectReason.RateLimited));
        Assert.Equal([0, 1, 2, 3, 4], Written().Select(p => SequenceOf(p)));
        Assert.All(Enumerable.Range(0, 5), n => Assert.Equal(1, _store.Gets.GetValueOrDefault(Name(n, OtherPeer))));
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Listed_ManyValidNamesFromOneSender_AllDeliveredEachTokenGivenBack()
    {
        const int count = 3 * Burst;
        for (int n = 0; n < count; n++)
        {
            await PutStreamAsync(Peer, _epoch, n, One(Peer, n));
        }
        using IngressPump pump = CreatePump();

        await ListAndSettleAsync(pump);

        Assert.Equal(Enumerable.Range(0, count), Written().Select(p => SequenceOf(p)));
        Assert.Equal(0, _metrics.Rejected(RejectReason.RateLimited));
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Listed_SenderOverBudgetOnV2_ItsV1ObjectsLimitedTooThenForgivenWithTime()
    {
        await PutJunkAsync(Burst);
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        Assert.Equal(Burst, JunkRejected());

        string v1 = await PutAsync(Peer, Bundle(Ipv6(Peer, Self)));
        await pump.PollOnceAsync(Ct);
        await pump.PollOnceAsync(Ct);

        Assert.False(_store.Gets.ContainsKey(v1), "one budget for both paths: the v1 object is deleted unread");
        Assert.Equal(1, _metrics.Rejected(RejectReason.RateLimited));
        Assert.Empty(Written());

        _time.Advance(TimeSpan.FromSeconds(30)); // refilled (one token a second)
        await PutStreamAsync(Peer, _epoch, Burst, One(Peer, Burst));
        await ListAndSettleAsync(pump);

        Assert.Equal([Burst], Written().Select(p => SequenceOf(p)));
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Probe_SenderOverBudget_ItsNextNameStillReadByNameAndDelivered()
    {
        await PutJunkAsync(2 * Burst);
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        Assert.Equal(Burst, _metrics.Rejected(RejectReason.RateLimited)); // the budget is spent
        _time.Advance(TimeSpan.FromSeconds(5)); // past the hold, and one token a second is back at most 5
        await pump.Streams.SettleAsync(Ct);

        pump.Poke(Peer16); // this node sent to the peer: its reply is due in about one round trip
        await PutStreamAsync(Peer, _epoch, 2 * Burst, One(Peer, 2 * Burst)); // the reply, under the next name
        _time.Advance(pump.Streams.Expectation.RttOf(Peer16) / 2);
        await pump.Streams.SettleAsync(Ct);

        // A probe is this node's own guess, not a name a sender listed: it is not charged.
        Assert.Equal([2 * Burst], Written().Select(p => SequenceOf(p)));
        Assert.Equal(1, _store.Gets.GetValueOrDefault(Name(2 * Burst)));
        Assert.Equal(1, _metrics.StreamProbes(hit: true));
    }
}
