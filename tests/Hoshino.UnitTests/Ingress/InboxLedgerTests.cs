using Hoshino.Ingress;
using Hoshino.Packets;
using Hoshino.Store;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

public sealed class InboxLedgerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Age = TimeSpan.FromSeconds(60);

    private static StoredObject[] Listing(params string[] keys) => [.. keys.Select(k => new StoredObject(k, 1, null))];

    [Fact]
    public void ForgetExpired_EntriesDatedInTheFuture_ForgottenOnceTheyAreOlderThanTheMaximumAge()
    {
        // Finding 5: an entry stamped in the future was never forgotten.
        var ledger = new InboxLedger(Age, 1000);
        for (int i = 0; i < 1000; i++)
        {
            ledger.Delivered($"k{i}", Now + TimeSpan.FromSeconds(10)); // the most skew the receiver lets in
        }
        ledger.DeleteEnded([.. Enumerable.Range(0, 1000).Select(i => $"k{i}")], 1, []);

        ledger.ForgetExpired(Now + Age);
        Assert.Equal(1000, ledger.RecentCount);
        ledger.ForgetExpired(Now + Age + TimeSpan.FromSeconds(11));

        Assert.Equal(0, ledger.RecentCount);
        Assert.Equal(InboxLedger.Verdict.New, ledger.Classify("k1", 5));
    }

    [Fact]
    public void Classify_DeliveredAndDeleted_ReplayWithinTheAgeSkippedWhileTheListingPredatesTheDelete()
    {
        var ledger = new InboxLedger(Age, 1000);
        ledger.Delivered("a", Now);
        Assert.Equal(InboxLedger.Verdict.DeleteAgain, ledger.Classify("a", 1));
        ledger.DeleteStarted(["a"]);
        Assert.Equal(InboxLedger.Verdict.Skip, ledger.Classify("a", 1));
        ledger.DeleteEnded(["a"], confirmedOrder: 5, []);

        Assert.Equal(InboxLedger.Verdict.Skip, ledger.Classify("a", 4));   // listing began before the delete took effect
        Assert.Equal(InboxLedger.Verdict.Replay, ledger.Classify("a", 6));  // written again afterwards
    }

    [Fact]
    public void DeleteEnded_KeyRefusedRepeatedly_GivenUpThenSkippedAndForgottenOnceGone()
    {
        var ledger = new InboxLedger(Age, 1000);
        IReadOnlyList<string> givenUp = [];
        for (int i = 0; i < InboxLedger.MaxDeleteRefusals; i++)
        {
            Assert.Empty(givenUp);
            ledger.DeleteStarted(["bad"]);
            givenUp = ledger.DeleteEnded([], 0, ["bad"]);
        }

        Assert.Equal(["bad"], givenUp);
        Assert.Equal(InboxLedger.Verdict.Skip, ledger.Classify("bad", 10));
        ledger.ListingSeen(Listing("other"));
        Assert.Equal(0, ledger.GivenUpCount);
    }

    [Fact]
    public void GiveUp_MoreKeysThanTwoPages_OldestForgottenSoMemoryStaysBounded()
    {
        var ledger = new InboxLedger(Age, listLimit: 10);
        for (int key = 0; key < 100; key++)
        {
            for (int i = 0; i < InboxLedger.MaxDeleteRefusals; i++)
            {
                ledger.DeleteEnded([], 0, [$"bad{key}"]);
            }
        }

        Assert.Equal(20, ledger.GivenUpCount);
        Assert.Equal(InboxLedger.Verdict.Skip, ledger.Classify("bad99", 1));
        Assert.Equal(InboxLedger.Verdict.New, ledger.Classify("bad0", 1));
    }
}

public sealed class RejectLimiterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TryFetch_DeliveringSender_NeverLimitedHoweverMany()
    {
        var limiter = new RejectLimiter(burst: 4);
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryFetch(Peer16, Now));
            limiter.GiveBack(Peer16);
        }
    }

    [Fact]
    public void TryFetch_JunkSender_LimitedAfterTheBurstRefillsWithTimeOthersUnaffected()
    {
        var limiter = new RejectLimiter(burst: 4, refill: TimeSpan.FromSeconds(1));
        for (int i = 0; i < 4; i++)
        {
            Assert.True(limiter.TryFetch(Peer16, Now));
        }

        Assert.False(limiter.TryFetch(Peer16, Now));
        Assert.True(limiter.TryFetch(OtherPeer16, Now));
        Assert.True(limiter.TryFetch(Peer16, Now + TimeSpan.FromSeconds(1)));
        Assert.False(limiter.TryFetch(Peer16, Now + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void TryFetch_MoreSendersThanTracked_ExtraSendersShareOneBucket()
    {
        var limiter = new RejectLimiter(burst: 2, maxSenders: 8);
        for (ulong i = 0; i < 100; i++)
        {
            limiter.TryFetch(new Address16(Peer16.High, i + 10), Now);
        }

        Assert.Equal(8, limiter.TrackedSenders);
        Assert.False(limiter.TryFetch(new Address16(Peer16.High, 5000), Now));
    }
}

public sealed class RingBackoffTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Answered_UselessRings_PauseDoublesToTheMaximumAndADeliveryResetsIt()
    {
        var rings = new RingBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        DateTimeOffset t = Now;
        for (int i = 0; i < 10; i++)
        {
            Assert.True(rings.Answers(t));
            rings.Answered(delivered: false, t);
            Assert.False(rings.Answers(t + rings.Current - TimeSpan.FromMilliseconds(1)));
            t += rings.Current;
        }
        Assert.Equal(TimeSpan.FromSeconds(30), rings.Current);

        rings.Answered(delivered: true, t);
        Assert.True(rings.Answers(t));
        Assert.Equal(TimeSpan.Zero, rings.Current);
    }
}
