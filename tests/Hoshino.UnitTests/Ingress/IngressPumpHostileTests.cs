using System.Net;
using Hoshino.Ingress;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.UnitTests.TestSupport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

/// <summary>
/// What someone with write access to the bucket can do to a node's ingress (issue 10's findings),
/// against an in-memory store scripted to misbehave as S3 and RGW were seen to.
/// </summary>
public sealed class IngressPumpHostileTests() : IngressPumpFixture(new MemoryPacketStore(),
    new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), TimeSpan.FromSeconds(1))
{
    private int WrittenCount() => Written().Count;

    /// <summary>Polls until the background delete of the last poll has been collected.</summary>
    private static async Task SettleAsync(IngressPump pump)
    {
        await pump.PollOnceAsync(Ct);
        await pump.PollOnceAsync(Ct);
    }

    [Fact]
    public async Task Delete_OneKeyTheStoreRefusesInABatch_OthersDeletedThatKeyGivenUpAfterThreeRounds()
    {
        // Finding 1: a key the store cannot take in a DeleteObjects batch (RGW/the SDK choke on
        // "\x01") used to fail every batch, so the node never deleted anything again.
        string poison = $"{Self16}/\u0001/doorbell";
        await _store.Inner.PutAsync(poison, "x"u8.ToArray(), Ct);
        _store.BeforeDelete = (keys, _) => keys.Contains(poison)
            ? throw new PacketStoreException(StoreErrorKind.Other, "DELETE failed: invalid character")
            : Task.CompletedTask;
        using IngressPump pump = CreatePump();
        var good = new List<string>();

        for (int round = 0; round < InboxLedger.MaxDeleteRefusals + 1; round++)
        {
            good.Add(await PutAsync(Peer, Bundle(Ipv6(Peer, Self))));
            await SettleAsync(pump);
        }

        Assert.Equal([poison], await InboxAsync());                 // every real object went, the poison stayed
        Assert.Equal(good.Count, WrittenCount());
        Assert.Equal(1, _metrics.UndeletableObjects);
        Assert.True(_metrics.Rejected(RejectReason.BadKey) >= 1);
        int deletesBefore = _store.DeleteCalls;
        string late = await PutAsync(Peer, Bundle(Ipv6(Peer, Self)));
        await SettleAsync(pump);
        Assert.Equal([poison], await InboxAsync());                 // given up: no longer tried, and no longer in the way
        Assert.Equal(deletesBefore + 1, _store.DeleteCalls);
        Assert.DoesNotContain(late, await InboxAsync());
    }

    [Fact]
    public async Task Delete_StoreDownForTheBatch_NoKeyTriedAloneOrGivenUp()
    {
        await PutAsync(Peer, Bundle(Ipv6(Peer, Self)));
        await PutAsync(Peer, Bundle(Ipv6(Peer, Self)));
        int attempts = 0;
        _store.BeforeDelete = (_, _) =>
        {
            attempts++;
            throw new PacketStoreException(StoreErrorKind.Transient, "DELETE failed: connection refused");
        };
        using IngressPump pump = CreatePump();

        for (int i = 0; i < 6; i++)
        {
            await pump.PollOnceAsync(Ct);
        }

        Assert.Equal(2, WrittenCount());                             // delivered once, never again
        Assert.Equal(2, (await InboxAsync()).Count);
        Assert.InRange(attempts, 1, 6);                              // one batch per round, no per-key storm
        Assert.Equal(0, _metrics.UndeletableObjects);
    }

    [Fact]
    public async Task Screen_KeyDatedFarInTheFuture_RejectedUnreadAndDeleted()
    {
        // Finding 2: a bundle dated 40 years ahead outlived every age check.
        string future = await PutAsync(Peer, Bundle(Ipv6(Peer, Self)), age: -TimeSpan.FromDays(365 * 40));
        string skewed = await PutAsync(Peer, Bundle(Ipv6(Peer, Self)), age: -TimeSpan.FromSeconds(5));
        using IngressPump pump = CreatePump();

        await SettleAsync(pump);

        Assert.Equal(1, _metrics.Rejected(RejectReason.TooNew));
        Assert.False(_store.Gets.ContainsKey(future));
        Assert.True(_store.Gets.ContainsKey(skewed));                // 5 s ahead is clock skew: delivered
        Assert.Equal(1, WrittenCount());
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Fetch_ObjectTheStoreWillNotReturn_RejectedDeletedAndThePollNotCongested()
    {
        // Finding 2: an archived or SSE-C object (S3: 403 InvalidObjectState) stuck for ever and
        // marked every poll congested, slowing the node down for everyone else's packets.
        string archived = await PutAsync(Peer, Bundle(Ipv6(Peer, Self)));
        await PutAsync(OtherPeer, Bundle(Ipv6(OtherPeer, Self)));
        _store.BeforeGet = (key, _) => key == archived
            ? throw new PacketStoreException(StoreErrorKind.Unreadable, "GET failed: InvalidObjectState")
            : Task.CompletedTask;
        using IngressPump pump = CreatePump();

        PollOutcome outcome = await pump.PollOnceAsync(Ct);
        await pump.PollOnceAsync(Ct);

        Assert.Equal(PollOutcome.Work, outcome);
        Assert.Equal(1, _metrics.Rejected(RejectReason.Unfetchable));
        Assert.Equal(1, WrittenCount());
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Fetch_OneGetFailsTransiently_OthersDeliveredPollNotCongestedObjectKeptForLater()
    {
        string flaky = await PutAsync(Peer, Bundle(Ipv6(Peer, Self)));
        await PutAsync(OtherPeer, Bundle(Ipv6(OtherPeer, Self)));
        int failures = 0;
        _store.BeforeGet = (key, _) => key == flaky && failures++ == 0
            ? throw new PacketStoreException(StoreErrorKind.Transient, "GET failed: reset")
            : Task.CompletedTask;
        using IngressPump pump = CreatePump();

        Assert.Equal(PollOutcome.Work, await pump.PollOnceAsync(Ct));
        Assert.Equal(1, WrittenCount());
        await SettleAsync(pump);

        Assert.Equal(1, WrittenCount());                             // the flaky one, on the next poll
        Assert.Empty(await InboxAsync());
        Assert.Equal(0, _metrics.Rejected(RejectReason.Unfetchable));
    }

    [Fact]
    public async Task Poll_OnlyJunk_IdleNotWork()
    {
        // Finding 4: a poll that only rejected counted as work and kept the node at --poll-min.
        await PutAsync(Peer, "junk"u8.ToArray());
        await _store.Inner.PutAsync($"{Self16}/garbage", "x"u8.ToArray(), Ct);
        using IngressPump pump = CreatePump();

        Assert.Equal(PollOutcome.Idle, await pump.PollOnceAsync(Ct));
        await pump.PollOnceAsync(Ct);

        Assert.Equal(2, Enum.GetValues<RejectReason>().Sum(r => _metrics.Rejected(r)));
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Poll_SenderWhoseObjectsKeepFailing_LaterOnesDeletedUnreadThenForgivenWithTime()
    {
        // Finding 4: a sender that keeps a node busy with rejects is limited.
        using IngressPump pump = CreatePump();
        for (int i = 0; i < 100; i++)
        {
            await PutAsync(Peer, "junk"u8.ToArray());
        }

        await SettleAsync(pump);

        Assert.Equal(64, _store.GetCalls);                           // the limiter's burst, then no more GETs
        Assert.Equal(36, _metrics.Rejected(RejectReason.RateLimited));
        Assert.Empty(await InboxAsync());

        _time.Advance(TimeSpan.FromMinutes(1));
        string good = await PutAsync(Peer, Bundle(Ipv6(Peer, Self)));
        await SettleAsync(pump);
        Assert.True(_store.Gets.ContainsKey(good));
        Assert.Equal(1, WrittenCount());
    }

    [Fact]
    public async Task Fetch_StoreDownForManyPolls_HonestSendersObjectsNotRateLimitedThenDelivered()
    {
        // An outage is the store's fault, not the sender's: each failed GET gives its token back
        // (as on v2), or a long outage would spend the burst and delete the objects as rate_limited.
        const int polls = 100; // more GETs than the limiter's burst (64)
        await PutAsync(Peer, Bundle(Numbered(Peer, Self, 0)));
        await PutAsync(Peer, Bundle(Numbered(Peer, Self, 1)));
        bool down = true;
        _store.BeforeGet = (_, _) => Volatile.Read(ref down)
            ? throw new PacketStoreException(StoreErrorKind.Transient, "GET failed: 503")
            : Task.CompletedTask;
        using IngressPump pump = CreatePump();

        for (int i = 0; i < polls; i++)
        {
            Assert.Equal(PollOutcome.Congested, await pump.PollOnceAsync(Ct));
        }

        Assert.Equal(2 * polls, _store.GetCalls);                    // the setup: every poll tried both
        Assert.Equal(0, _metrics.Rejected(RejectReason.RateLimited));
        Assert.Equal(2, (await InboxAsync()).Count);

        Volatile.Write(ref down, false);
        await SettleAsync(pump);

        Assert.Equal([0, 1], Written().Select(p => SequenceOf(p)));
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task Fetch_ListingKeepsShowingAnObjectGone_ItsSenderNotRateLimited()
    {
        // A name listed but gone by its GET (404) proves nothing against its sender: the token comes back.
        string ghost = new ObjectKey(Self16, Peer16, Ulid.NewUlid(_time.GetUtcNow().AddSeconds(-1))).ToString();
        _store.AfterList = listed => [.. listed, new StoredObject(ghost, 100)];
        using IngressPump pump = CreatePump();

        for (int i = 0; i < 100; i++)
        {
            await pump.PollOnceAsync(Ct);
        }
        Assert.Equal(100, _store.Gets[ghost]);                       // the setup: every poll tried it
        string real = await PutAsync(Peer, Bundle(Numbered(Peer, Self, 5)));
        await SettleAsync(pump);

        Assert.Equal(0, _metrics.Rejected(RejectReason.RateLimited));
        Assert.Equal([5], Written().Select(p => SequenceOf(p)));
        Assert.DoesNotContain(real, await InboxAsync());
    }

    [Fact]
    public async Task Poll_ManyLargeObjects_NeverMoreBytesInFlightThanTheWindow()
    {
        // Finding 3: every fetched body stayed referenced until the poll ended.
        _options.MaxBytesInFlight = 3 * 60_000;
        for (int i = 0; i < 12; i++)
        {
            await PutAsync(Peer, Bundle(Ipv6(Peer, Self, payloadLength: 60_000)));
        }
        int inFlight = 0, peak = 0;
        var gate = new Lock();
        _store.BeforeGet = async (_, ct) =>
        {
            lock (gate)
            {
                peak = Math.Max(peak, ++inFlight);
            }
            await Task.Delay(5, ct);
            lock (gate)
            {
                inFlight--;
            }
        };
        using IngressPump pump = CreatePump();

        await SettleAsync(pump);

        Assert.Equal(12, WrittenCount());
        Assert.InRange(peak, 1, 3);
    }

    [Fact]
    public async Task Poll_BacklogPastTheBytesPerPoll_TakenOverSeveralPollsAllDelivered()
    {
        _options.MaxBytesPerPoll = 2 * 10_100;
        for (int i = 0; i < 5; i++)
        {
            await PutAsync(Peer, Bundle(Ipv6(Peer, Self, payloadLength: 10_000)));
        }
        using IngressPump pump = CreatePump();

        await pump.PollOnceAsync(Ct);
        Assert.Equal(2, WrittenCount());
        for (int i = 0; i < 4; i++)
        {
            await pump.PollOnceAsync(Ct);
        }

        Assert.Equal(3, WrittenCount());
        Assert.Empty(await InboxAsync());
    }

    [Theory]
    [InlineData("fe80::2")]                      // link-local
    [InlineData("fd00:1:2:3::2")]                // another /64
    [InlineData("fd5e:59b8:f71d:9a3e::1")]       // this node itself
    public async Task Screen_SenderNotAnotherNodeOfTheNetwork_RejectedUnread(string source)
    {
        // Finding 9: the key's src was never checked against the network.
        IPAddress from = IPAddress.Parse(source);
        string key = await PutAsync(from, Bundle(Ipv6(from, Self)));
        using IngressPump pump = CreatePump();

        await SettleAsync(pump);

        Assert.Equal(1, _metrics.Rejected(RejectReason.BadSource));
        Assert.False(_store.Gets.ContainsKey(key));
        Assert.Equal(0, WrittenCount());
    }

    [Theory]
    [InlineData(41)]
    [InlineData(4)]
    [InlineData(47)]
    public async Task Decode_PacketCarryingAnotherPacket_RejectedUnlessAllowed(byte nextHeader)
    {
        await PutAsync(Peer, Bundle(Ipv6(Peer, Self), Ipv6(Peer, Self, payloadLength: 48, nextHeader: nextHeader)));
        using (IngressPump pump = CreatePump())
        {
            await SettleAsync(pump);
        }
        Assert.Equal(1, _metrics.Rejected(RejectReason.Encapsulated));
        Assert.Equal(0, WrittenCount());

        _options.AllowEncapsulated = true;
        await PutAsync(Peer, Bundle(Ipv6(Peer, Self), Ipv6(Peer, Self, payloadLength: 48, nextHeader: nextHeader)));
        using (IngressPump pump = CreatePump())
        {
            await SettleAsync(pump);
        }
        Assert.Equal(2, WrittenCount());
    }

    [Fact]
    public async Task Doorbell_RungWithNothingToDeliver_LaterRingsIgnoredForAWhile()
    {
        // Finding 4: "ringing cannot keep a node hot", for rings that bring nothing too.
        _options.PollMin = _options.PollMax = TimeSpan.FromMilliseconds(500); // idle from the start
        using IngressPump pump = CreatePump();
        await pump.PollAsync(Ct);
        string doorbell = ObjectKey.DoorbellOf(Self16);
        int lists = _store.ListCalls;

        for (int ring = 0; ring < 20; ring++)
        {
            await _store.Inner.PutAsync(doorbell, ObjectKey.DoorbellBody(Ulid.NewUlid()), Ct);
            await pump.PollAsync(Ct);
            _time.Advance(_options.PollMax);
        }

        // 20 rings over 10 s: answered at 0, 0.5, 1.5, 3.5 and 7.5 s (the pause doubles), not 20 times.
        Assert.InRange(_store.ListCalls - lists, 3, 6);
        string delivered = await PutAsync(Peer, Bundle(Ipv6(Peer, Self)));
        _time.Advance(TimeSpan.FromSeconds(30));
        await _store.Inner.PutAsync(doorbell, ObjectKey.DoorbellBody(Ulid.NewUlid()), Ct);
        await pump.PollAsync(Ct);
        Assert.Equal(1, WrittenCount());                             // still heard, at most --list-max late
        Assert.DoesNotContain(delivered, await InboxAsync());
    }
}
