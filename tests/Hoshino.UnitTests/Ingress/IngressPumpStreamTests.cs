using System.Collections.Concurrent;
using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Ingress;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.TestSupport.Store;
using Hoshino.Transport;
using Hoshino.UnitTests.TestSupport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

/// <summary>
/// The pump with transport v2 names in its inbox (ADR 0010), through the fixture: a scripted store
/// over the in-memory one (whose Last-Modified is the system clock, so the fake clock starts at the
/// real time), listings shuffled (no reliance on order), the stream receiver stepped at fixed instants.
/// </summary>
public sealed class IngressPumpStreamTests() : IngressPumpFixture(new ShuffledListingStore(new MemoryPacketStore(), seed: 13),
    DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1))
{
    private readonly Ulid _epoch = Ulid.NewUlid(DateTimeOffset.UtcNow.AddSeconds(-30));

    private static byte[] One(IPAddress source, int n) => Bundle([Numbered(source, Self, n)]);

    private List<int> WrittenSequence() => [.. Written().Select(p => SequenceOf(p))];

    private string Name(long sequence, Ulid? epoch = null, IPAddress? source = null) =>
        new StreamKey(Self16, Address16.From(source ?? Peer), epoch ?? _epoch, sequence).ToString();

    /// <summary>
    /// Steps the clock a probe interval at a time until the receiver wrote a packet, within one
    /// round trip: after a silence the reply window is cold, and its probes spread out (ADR 0010).
    /// </summary>
    private async Task ProbeUntilWrittenAsync(IngressPump pump, TimeSpan within)
    {
        DateTimeOffset end = _time.GetUtcNow() + within;
        long written = _metrics.Packets(Direction.Ingress);
        while (_metrics.Packets(Direction.Ingress) == written && _time.GetUtcNow() < end)
        {
            _time.Advance(pump.Streams.Expectation.Options.ProbeInterval);
            await pump.Streams.SettleAsync(Ct);
        }
    }

    /// <summary>One LIST, then the stream receiver until nothing is in flight.</summary>
    private static async Task ListAndSettleAsync(IngressPump pump)
    {
        await pump.PollOnceAsync(Ct);
        await pump.Streams.SettleAsync(Ct);
    }

    [Fact]
    public async Task List_StreamObjectsStoredOutOfOrder_WrittenInSequenceOrderThenDeleted()
    {
        foreach (int n in (int[])[3, 0, 2, 1, 4])
        {
            await PutStreamAsync(Peer, _epoch, n, One(Peer, n));
        }
        using IngressPump pump = CreatePump();

        await ListAndSettleAsync(pump);

        Assert.Equal([0, 1, 2, 3, 4], WrittenSequence());
        Assert.Empty(await InboxAsync());
        Assert.Equal(5, _metrics.Packets(Direction.Ingress));
        Assert.Equal(5, _metrics.DeletedObjects);
        Assert.Equal(1, pump.Streams.Ledger.StreamCount);
        Assert.All(Enumerable.Range(0, 5), n => Assert.Equal(1, _store.Gets.GetValueOrDefault(Name(n)))); // each listed name read once
    }

    [Fact]
    public async Task List_V1AndV2InOneInbox_BothDelivered()
    {
        await PutAsync(OtherPeer, One(OtherPeer, 100));
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();

        Assert.Equal(PollOutcome.Work, await pump.PollOnceAsync(Ct)); // the v1 object, written by the LIST loop
        await pump.Streams.SettleAsync(Ct);

        Assert.Equal([0, 100], WrittenSequence().Order());
        Assert.Empty(await InboxAsync());
        Assert.Equal(0, Enum.GetValues<RejectReason>().Sum(r => _metrics.Rejected(r)));
    }

    [Fact]
    public async Task List_OnlyV2_TheListLoopStaysIdle()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();

        // v2 names are the stream receiver's: the LIST loop does not linger at --poll-min for them.
        Assert.Equal(PollOutcome.Idle, await pump.PollOnceAsync(Ct));
        await pump.Streams.SettleAsync(Ct);

        Assert.Equal([0], WrittenSequence());
    }

    [Fact]
    public async Task Hole_NeverFilled_LaterObjectWaitsTheBoundThenIsWrittenAndCounted()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        await PutStreamAsync(Peer, _epoch, 2, One(Peer, 2)); // 1 was given up by its sender
        using IngressPump pump = CreatePump();

        await ListAndSettleAsync(pump);
        Assert.Equal([0], WrittenSequence());
        Assert.True(pump.Streams.Ledger.BufferedCount == 1, "2 waits for 1");

        TimeSpan bound = pump.Streams.Ledger.Options.HoleBound;
        for (TimeSpan waited = TimeSpan.Zero; waited <= bound; waited += TimeSpan.FromMilliseconds(5))
        {
            _time.Advance(TimeSpan.FromMilliseconds(5)); // the hole's GET is retried every HoleRetry meanwhile
            await pump.Streams.SettleAsync(Ct);
        }

        Assert.Equal([2], WrittenSequence());
        Assert.Equal(1, _metrics.SkippedHoles);
        Assert.Equal(0, pump.Streams.Ledger.BufferedCount);
        int holeGets = _store.Gets.GetValueOrDefault(Name(1));
        Assert.InRange(holeGets, 1, (int)(bound / pump.Streams.Ledger.Options.HoleRetry) + 1); // bounded: T_hole / HoleRetry
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Hole_FilledLate_WrittenOnceAfterTheSkip()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        await PutStreamAsync(Peer, _epoch, 2, One(Peer, 2));
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        _time.Advance(pump.Streams.Ledger.Options.HoleBound + TimeSpan.FromMilliseconds(1));
        await pump.Streams.SettleAsync(Ct);
        Assert.Equal([0, 2], WrittenSequence());

        await PutStreamAsync(Peer, _epoch, 1, One(Peer, 1)); // the slow PUT lands after all
        await ListAndSettleAsync(pump);
        await PutStreamAsync(Peer, _epoch, 1, One(Peer, 1)); // and a copy of it
        await ListAndSettleAsync(pump);

        Assert.Equal([1], WrittenSequence());
        Assert.Equal(1, _metrics.LateDeliveries);
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Delete_HandledSoonAfterThePrevious_HeldForTheIntervalThenSentInOne()
    {
        var deletes = new ConcurrentQueue<(DateTimeOffset At, int Names)>();
        _store.BeforeDelete = (keys, _) =>
        {
            deletes.Enqueue((_time.GetUtcNow(), keys.Count));
            return Task.CompletedTask;
        };
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        Assert.Equal([0], WrittenSequence());
        Assert.Single(deletes); // the first delete goes at once
        DateTimeOffset first = deletes.Single().At;

        await PutStreamAsync(Peer, _epoch, 1, One(Peer, 1));
        await PutStreamAsync(Peer, _epoch, 2, One(Peer, 2));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = pump.Streams.RunAsync(stop.Token); // the real loop: it waits on the fake clock
        await pump.PollOnceAsync(Ct);
        var written = new List<int>();
        for (int i = 0; i < 500 && written.Count < 2; i++)
        {
            written.AddRange(WrittenSequence());
            await Task.Delay(10, Ct);
        }
        Assert.Equal([1, 2], written);
        await Task.Delay(100, Ct); // a loop that did not pace would have sent their delete by now
        Assert.Single(deletes);

        _time.Advance(_options.DeleteInterval);
        for (int i = 0; i < 500 && deletes.Count < 2; i++)
        {
            await Task.Delay(10, Ct);
        }
        await stop.CancelAsync();
        await run;

        Assert.Equal(2, deletes.Count);
        Assert.Equal((first + _options.DeleteInterval, 2), deletes.Last()); // both names, one request, at the interval
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Poke_PeerWithAStream_ProbesItsNextNameInTheReplyWindowWithoutAList()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        Assert.Equal([0], WrittenSequence());
        _time.Advance(TimeSpan.FromSeconds(5)); // past the hold: nothing is expected of the peer now
        await pump.Streams.SettleAsync(Ct);
        int lists = _store.ListCalls, probes = _store.Gets.GetValueOrDefault(Name(1));
        long misses = _metrics.StreamProbes(hit: false);
        _time.Advance(TimeSpan.FromSeconds(5));
        await pump.Streams.SettleAsync(Ct);
        Assert.Equal(probes, _store.Gets.GetValueOrDefault(Name(1))); // nothing expected: no probe

        pump.Poke(Peer16); // this node sent to the peer: its reply is due in about one round trip
        TimeSpan rtt = pump.Streams.Expectation.RttOf(Peer16);
        _time.Advance(rtt / 2);
        await pump.Streams.SettleAsync(Ct);
        Assert.Equal(probes + 1, _store.Gets.GetValueOrDefault(Name(1))); // a probe in the reply window
        Assert.Equal(misses + 1, _metrics.StreamProbes(hit: false));

        await PutStreamAsync(Peer, _epoch, 1, One(Peer, 1)); // the reply
        await ProbeUntilWrittenAsync(pump, rtt);

        Assert.Equal([1], WrittenSequence());
        Assert.Equal(1, _metrics.StreamProbes(hit: true));
        Assert.Equal(lists, _store.ListCalls); // found by name: no LIST
        Assert.True(pump.Streams.Knows(Peer16), "a peer with a stream: Poke does not start the LIST loop's linger");
    }

    [Fact]
    public async Task Doorbell_RungForAnObjectAProbeAlreadyDelivered_NextRingStillHeard()
    {
        _options.PollMin = _options.PollMax = TimeSpan.FromMilliseconds(500); // idle from the start: polls HEAD the doorbell
        string doorbell = ObjectKey.DoorbellOf(Self16);
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        Assert.Equal([0], WrittenSequence());

        for (int n = 1; n <= 3; n++)
        {
            _time.Advance(TimeSpan.FromSeconds(5)); // past the hold: nothing is expected of the peer now
            await pump.Streams.SettleAsync(Ct);
            // The peer's next object arrives while a reply is expected: the probe reads it by name ...
            pump.Poke(Peer16);
            _time.Advance(pump.Streams.Expectation.RttOf(Peer16) / 2);
            await pump.Streams.SettleAsync(Ct);
            await PutStreamAsync(Peer, _epoch, n, One(Peer, n));
            await ProbeUntilWrittenAsync(pump, pump.Streams.Expectation.RttOf(Peer16));
            Assert.Equal([n], WrittenSequence()); // by the probe, not by a LIST
            // ... and the sender's ring, heard at the next idle poll, brings a LIST that finds it gone.
            await _store.Inner.PutAsync(doorbell, ObjectKey.DoorbellBody(Ulid.NewUlid()), Ct);
            int lists = _store.ListCalls;
            await pump.PollAsync(Ct);
            Assert.True(_store.ListCalls == lists + 1, $"ring {n} was answered with a LIST"); // not ignored as after a useless ring
            _time.Advance(_options.PollMax);
        }
    }

    [Fact]
    public async Task Quiet_NothingSentNothingExpected_NoRequests()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        ReplyExpectationOptions expect = pump.Streams.Expectation.Options;
        // The hold: probes at intervals growing with the silence, about 16 over the second.
        int before = _store.GetCalls;
        for (int i = 0; i < 200; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            await pump.Streams.SettleAsync(Ct);
        }
        int holdProbes = _store.GetCalls - before;
        int afterHold = _store.GetCalls;
        for (int i = 0; i < 100; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await pump.Streams.SettleAsync(Ct);
        }

        Assert.Equal(TimeSpan.FromSeconds(1), expect.Hold);
        Assert.InRange(holdProbes, 2, 40);
        Assert.Equal(afterHold, _store.GetCalls); // idle: the doorbell is the only request, and it is the LIST loop's
        Assert.Equal(1, _store.ListCalls);
    }

    [Fact]
    public async Task Replay_DeliveredNameWrittenAgain_RefusedNotWrittenTwice()
    {
        string key = await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        Assert.Equal([0], WrittenSequence());

        await _store.Inner.PutAsync(key, One(Peer, 0), Ct);
        await ListAndSettleAsync(pump);

        Assert.Empty(Written());
        Assert.Empty(await InboxAsync()); // deleted again, free
        Assert.Equal(1, _metrics.DuplicatesSuppressed + _metrics.Rejected(RejectReason.Replay));
    }

    [Fact]
    public async Task Hostile_HugeSequenceAndWrongInboxAndOldObjects_RefusedAndDeleted()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        await PutStreamAsync(Peer, _epoch, StreamKey.SequenceLimit, One(Peer, 1)); // past the limit
        await PutStreamAsync(Peer, _epoch, 1_000_000, One(Peer, 2));               // far past the cursor
        await PutStreamAsync(Self, _epoch, 0, One(Self, 3));                       // "from" this node
        using IngressPump pump = CreatePump();

        await ListAndSettleAsync(pump);

        Assert.Equal([0], WrittenSequence());
        Assert.Equal(2, _metrics.Rejected(RejectReason.TooFarAhead));
        Assert.Equal(1, _metrics.Rejected(RejectReason.BadSource));
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Hostile_ObjectOlderThanThePacketAge_ByLastModified_DeletedUnread()
    {
        string key = await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        _time.Advance(_options.MaxPacketAge + TimeSpan.FromSeconds(1)); // the name has no time; the store's Last-Modified does
        using IngressPump pump = CreatePump();

        await ListAndSettleAsync(pump);

        Assert.Empty(Written());
        Assert.Equal(1, _metrics.Rejected(RejectReason.TooOld));
        Assert.Equal(0, _store.Gets.GetValueOrDefault(key));
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Hostile_ThousandsOfEpochsFromOneSender_FourStreamsKeptRestRefused()
    {
        DateTimeOffset start = _time.GetUtcNow().AddSeconds(-20);
        for (int i = 0; i < 2000; i++)
        {
            await PutStreamAsync(Peer, Ulid.NewUlid(start.AddMilliseconds(i)), 0, One(Peer, i));
        }
        _options.ListLimit = 5000;
        using IngressPump pump = CreatePump();

        await ListAndSettleAsync(pump);

        StreamLedgerOptions bounds = pump.Streams.Ledger.Options;
        Assert.Equal(bounds.MaxEpochsPerSource, pump.Streams.Ledger.StreamCount);
        Assert.Equal(bounds.MaxEpochsPerSource, Written().Count);
        Assert.Equal(2000 - bounds.MaxEpochsPerSource, _metrics.Rejected(RejectReason.TooManyEpochs));
        Assert.Equal(bounds.MaxEpochsPerSource, _store.GetCalls); // refused from the listing: no GET for them
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Hostile_SealedNetworkPlainStreamObject_RefusedAsUnsealed()
    {
        using var key = NetworkKey.Generate();
        _options.Key = key;
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();

        await ListAndSettleAsync(pump);

        Assert.Empty(Written());
        Assert.Equal(1, _metrics.Rejected(RejectReason.Unsealed));
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Get_AccessDeniedForAName_CountsAsMissing()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        Written();
        // Under the least-privilege policy a GET of a name nobody wrote is a 403, not a 404.
        _store.BeforeGet = (k, _) => k == Name(1)
            ? throw new PacketStoreException(StoreErrorKind.AccessDenied, "403 AccessDenied")
            : Task.CompletedTask;

        pump.Poke(Peer16);
        _time.Advance(pump.Streams.Expectation.RttOf(Peer16));
        await pump.Streams.SettleAsync(Ct);

        Assert.True(_store.Gets.GetValueOrDefault(Name(1)) >= 1);
        Assert.True(_metrics.StreamProbes(hit: false) >= 1);
        Assert.Equal(0, Enum.GetValues<RejectReason>().Sum(r => _metrics.Rejected(r)));
    }

    [Fact]
    public async Task Poke_PeerWithoutAStream_NoProbeByName()
    {
        using IngressPump pump = CreatePump();

        pump.Poke(OtherPeer16); // a v1 peer (or one not heard from): the LIST loop's linger finds its reply
        _time.Advance(TimeSpan.FromMilliseconds(15));
        await pump.Streams.SettleAsync(Ct);

        Assert.Equal(0, _store.GetCalls);
        Assert.False(pump.Streams.Knows(OtherPeer16));
        Assert.Equal(0, pump.Streams.Expectation.PeerCount);
    }

    [Fact]
    public async Task Poke_ManyPeersWithStreamsAtOnce_OneListInsteadOfTheirProbes()
    {
        _options.PollMin = _options.PollMax = TimeSpan.FromMilliseconds(500); // idle: a poll is a HEAD unless asked to list
        IPAddress[] peers = [.. Enumerable.Range(0x10, 13).Select(i => IPAddress.Parse($"fd5e:59b8:f71d:9a3e::{i:x}"))];
        foreach (IPAddress peer in peers)
        {
            await PutStreamAsync(peer, _epoch, 0, One(peer, 0));
        }
        using IngressPump pump = CreatePump();
        await pump.PollAsync(Ct); // the first poll lists
        await pump.Streams.SettleAsync(Ct);
        Assert.Equal(peers.Length, Written().Count);
        _time.Advance(TimeSpan.FromSeconds(5)); // past every hold
        await pump.Streams.SettleAsync(Ct);
        await pump.PollAsync(Ct);
        int gets = _store.GetCalls, lists = _store.ListCalls;

        foreach (IPAddress peer in peers)
        {
            pump.Poke(Address16.From(peer));
        }
        _time.Advance(pump.Streams.Expectation.Rtt / 2);
        await pump.Streams.SettleAsync(Ct);
        await pump.PollAsync(Ct);

        Assert.Equal(gets, _store.GetCalls); // 13 probes cost more than one LIST (12.5 GETs on S3)
        Assert.Equal(lists + 1, _store.ListCalls);
    }

    [Fact]
    public async Task Restart_ReceiverStartsAtTheLowestListedNumber()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        await PutStreamAsync(Peer, _epoch, 1, One(Peer, 1));
        using (IngressPump before = CreatePump())
        {
            await ListAndSettleAsync(before);
        }
        Assert.Equal([0, 1], WrittenSequence());
        await PutStreamAsync(Peer, _epoch, 3, One(Peer, 3));
        await PutStreamAsync(Peer, _epoch, 2, One(Peer, 2));

        using IngressPump after = CreatePump(); // knows nothing of the stream
        await ListAndSettleAsync(after);

        Assert.Equal([2, 3], WrittenSequence());
        Assert.Equal(0, _metrics.SkippedHoles); // 0 and 1 are not holes to it: it never saw them
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Restart_SenderNewEpoch_NotHeldBehindTheOldEpochsHole()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        await PutStreamAsync(Peer, _epoch, 2, One(Peer, 2)); // 1 never comes: the sender died mid-window
        Ulid restarted = Ulid.NewUlid(_time.GetUtcNow().AddSeconds(-1));
        await PutStreamAsync(Peer, restarted, 0, One(Peer, 100));
        using IngressPump pump = CreatePump();

        await ListAndSettleAsync(pump);

        Assert.Equal([0, 100], WrittenSequence().Order()); // the new epoch does not wait for the old one's hole
        Assert.Equal(2, pump.Streams.Ledger.StreamCount);
    }

    [Fact]
    public async Task Poke_PeerBackOnV1_LingersAgain()
    {
        await PutStreamAsync(Peer, _epoch, 0, One(Peer, 0));
        using IngressPump pump = CreatePump();
        await ListAndSettleAsync(pump);
        Assert.True(pump.Streams.Knows(Peer16));

        await PutAsync(Peer, One(Peer, 1)); // the peer restarted writing v1
        await ListAndSettleAsync(pump);

        Assert.Equal([0, 1], WrittenSequence());
        Assert.False(pump.Streams.Knows(Peer16), "a send to it pokes the LIST loop again");
    }

    [Fact]
    public async Task Hostile_ListedAgainWhileItsDeleteIsInFlight_RefusedAndCountedOnce()
    {
        await PutStreamAsync(Peer, _epoch, StreamKey.SequenceLimit, One(Peer, 1));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.BeforeDelete = (_, _) => release.Task; // the store is slow to delete
        using IngressPump pump = CreatePump();
        using var stop = new CancellationTokenSource();
        Task loop = pump.Streams.RunAsync(stop.Token); // its own loop, as in the node

        for (int i = 0; i < 3; i++)
        {
            await pump.PollOnceAsync(Ct); // the name is still there: its delete has not finished
            await Eventually.True(() => _metrics.Rejected(RejectReason.TooFarAhead) >= 1, "refused");
            await Task.Delay(20, Ct);
        }
        release.SetResult();
        await Eventually.True(() => _store.DeleteCalls == 1 && ((MemoryPacketStore)((ShuffledListingStore)_store.Inner).Inner).Count == 0, "deleted");
        await stop.CancelAsync();
        await loop;

        Assert.Equal(1, _metrics.Rejected(RejectReason.TooFarAhead));
        Assert.Equal(1, _store.DeleteCalls);
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Hostile_ShownByAListingBegunBeforeItsDeleteAndReadAfter_RefusedAndCountedOnce()
    {
        await PutStreamAsync(Peer, Ulid.NewUlid(DateTimeOffset.UtcNow.AddHours(1)), 0, One(Peer, 1)); // refused: epoch too new
        using IngressPump pump = CreatePump();
        await pump.PollOnceAsync(Ct);

        // The next LIST starts while the refused name's delete is on its way and is read only after
        // the receiver has taken that delete's result: it shows a name that is gone by then.
        var listed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var read = new ManualResetEventSlim();
        _store.BeforeDelete = (_, _) => listed.Task;
        _store.AfterList = objects =>
        {
            listed.TrySetResult();
            read.Wait(Ct);
            return objects;
        };
        Task refused = pump.Streams.SettleAsync(Ct); // refuses it, deletes it once the LIST has begun, takes the result
        Task poll = Task.Run(() => pump.PollOnceAsync(Ct), Ct);
        await refused;
        read.Set();
        await poll;
        await pump.Streams.SettleAsync(Ct);

        Assert.Equal(1, _metrics.Rejected(RejectReason.EpochTooNew));
        Assert.Empty(await InboxAsync());
    }
}
