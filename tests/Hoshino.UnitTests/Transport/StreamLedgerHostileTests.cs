using Hoshino.Packets;
using Hoshino.Transport;
using static Hoshino.UnitTests.TestSupport.TestPackets;
using static Hoshino.UnitTests.Transport.StreamLedgerTests;

namespace Hoshino.UnitTests.Transport;

/// <summary>Streams written to hurt the receiver: memory and delay stay bounded, and nothing is delivered twice.</summary>
public sealed class StreamLedgerHostileTests
{
    [Fact]
    public void Listed_SequenceNumbersAtTheLimit_RefusedAndNothingRemembered()
    {
        StreamLedger<string> ledger = Create();

        ledger.Listed([K(long.MaxValue), K(StreamLedger<string>.SequenceLimit)], T0);
        StreamDecisions<string> d = ledger.Next(T0);

        Assert.All(d.Rejects, r => Assert.Equal(StreamReject.TooFarAhead, r.Reason));
        Assert.Equal(2, d.Deletes.Count);
        Assert.Equal(0, ledger.StreamCount);
    }

    [Fact]
    public void Probe_StreamAtTheLastNumber_DeliversItAndAsksForNothingPastTheLimit()
    {
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        StreamKey last = K(StreamLedger<string>.SequenceLimit - 1);
        Put(store, last);
        ledger.Listed([last], T0);

        Assert.Equal([last], Pump(ledger, store, T0));
        ledger.Probe(Peer16, T0);
        Assert.Empty(ledger.Next(T0).Gets);
    }

    [Fact]
    public void Listed_TenThousandEpochsFromOneSource_KeepsTheNewestFewAndBoundedState()
    {
        StreamLedger<string> ledger = Create();
        var random = new Random(5);
        List<StreamKey> keys = [.. Enumerable.Range(0, 10_000)
            .Select(i => K(random.NextInt64(0, 1L << 40), Ulid.NewUlid(T0 - TimeSpan.FromMilliseconds(10_000 - i))))];
        Ulid[] newest = [.. keys.Select(k => k.Epoch).OrderDescending().Take(ledger.Options.MaxEpochsPerSource)];
        ledger.Listed(keys.OrderBy(_ => random.Next()), T0);
        StreamDecisions<string> d = ledger.Next(T0);

        Assert.Equal(ledger.Options.MaxEpochsPerSource, ledger.StreamCount);
        Assert.All(newest, e => Assert.NotNull(ledger.NextOf(new StreamId(Peer16, e))));
        Assert.Equal(10_000 - ledger.Options.MaxEpochsPerSource, d.Rejects.Count(r => r.Reason == StreamReject.TooManyEpochs));
        Assert.Equal(ledger.Options.MaxEpochsPerSource, d.Gets.Count);
        Assert.InRange(ledger.SlotCount, 0, ledger.Options.MaxEpochsPerSource);
    }

    [Fact]
    public void Listed_TenThousandSources_StreamsCappedRetiredOnesMakeRoom()
    {
        var options = new StreamLedgerOptions { HoleBound = Bound, MaxStreams = 64 };
        StreamLedger<string> ledger = Create(options);
        ledger.Listed([.. Enumerable.Range(1, 10_000).Select(i => K(0, E1, new Address16(Self16.High, (ulong)i + 100)))], T0);
        StreamDecisions<string> d = ledger.Next(T0);

        Assert.Equal(64, ledger.StreamCount);
        Assert.Equal(10_000 - 64, d.Rejects.Count(r => r.Reason == StreamReject.TooManyStreams));
        Assert.True(ledger.InFlightCount <= options.MaxGetsInFlight);

        // Once those streams are done and retired, new senders displace the longest-retired.
        foreach (StreamKey get in d.Gets)
        {
            ledger.Missing(get, T0);
        }
        var store = new Dictionary<StreamKey, string>();
        DateTimeOffset idle = T0 + options.RetireAfter + TimeSpan.FromSeconds(1);
        for (int i = 0; i < 10 && ledger.KnownCount + ledger.InFlightCount > 0; i++)
        {
            Pump(ledger, store, T0);
        }
        ledger.Next(idle);
        ledger.Listed([K(0, E1, OtherPeer16)], idle);
        Assert.Equal(64, ledger.StreamCount);
        Assert.NotNull(ledger.NextOf(new StreamId(OtherPeer16, E1)));
    }

    [Fact]
    public void Listed_HundredThousandNamesOfOneStream_OnlyAWindowIsRemembered()
    {
        StreamLedger<string> ledger = Create();

        ledger.Listed([.. Enumerable.Range(0, 100_000).Select(i => K(i))], T0);
        StreamDecisions<string> d = ledger.Next(T0);

        Assert.True(ledger.KnownCount <= ledger.Options.MaxKnown);
        Assert.Equal(100_000 - ledger.Options.FarAhead, d.Rejects.Count(r => r.Reason == StreamReject.TooFarAhead));
        Assert.Equal(ledger.Options.MaxGetsInFlight, d.Gets.Count);
    }

    [Fact]
    public void Evict_StreamWithGetsInFlight_AnswersRefusedAndCountsBackToZero()
    {
        StreamLedger<string> ledger = Create();
        ledger.Listed([K(0), K(1)], T0);
        StreamDecisions<string> d = ledger.Next(T0);
        Assert.Equal(2, ledger.InFlightCount);

        // Four newer epochs of the same sender: E1 is the oldest and goes.
        ledger.Listed([.. Enumerable.Range(1, 4).Select(i => K(0, Ulid.NewUlid(T0 + TimeSpan.FromMilliseconds(i))))], T0);
        foreach (StreamKey get in d.Gets)
        {
            ledger.Found(get, "late", 4, T0);
        }
        StreamDecisions<string> after = ledger.Next(T0);

        Assert.Null(ledger.NextOf(K(0).Stream));
        Assert.Equal(2, after.Rejects.Count(r => r.Reason == StreamReject.TooManyEpochs && r.Key.Epoch == E1));
        Assert.DoesNotContain(after.Deliveries, x => x.Key.Epoch == E1);
        Assert.Equal(4, ledger.InFlightCount); // only the new streams' GETs
    }

    [Fact]
    public void Next_HolesNeverFilled_EveryObjectLeavesWithinTheBoundAndMemoryStaysFlat()
    {
        // A sender PUTs every 5 ms for 3 s and every tenth PUT never lands; the receiver lists every
        // 50 ms and reads ahead by name in between. Every fetched object must leave within the hole
        // bound of its fetch, in order, exactly once.
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        var fetchedAt = new Dictionary<StreamKey, DateTimeOffset>();
        var delivered = new List<long>();
        TimeSpan worst = TimeSpan.Zero;
        int maxSlots = 0;
        long seq = 0;
        DateTimeOffset now = T0;
        DateTimeOffset end = T0 + TimeSpan.FromSeconds(3);
        DateTimeOffset? wake = null;
        while (now < end)
        {
            if ((now - T0).Ticks % TimeSpan.FromMilliseconds(5).Ticks == 0)
            {
                if (seq % 10 != 3)
                {
                    Put(store, K(seq));
                }
                seq++;
                ledger.Probe(Peer16, now);
            }
            if ((now - T0).Ticks % TimeSpan.FromMilliseconds(50).Ticks == 0)
            {
                ledger.Listed([.. store.Keys], now);
            }
            for (int round = 0; round < 100; round++)
            {
                StreamDecisions<string> d = ledger.Next(now);
                wake = d.WakeAt;
                foreach (StreamDelivery<string> x in d.Deliveries)
                {
                    worst = TimeSpan.FromTicks(Math.Max(worst.Ticks, (now - fetchedAt[x.Key]).Ticks));
                    delivered.Add(x.Key.Sequence);
                }
                foreach (StreamKey key in d.Deletes)
                {
                    store.Remove(key);
                }
                foreach (StreamKey get in d.Gets)
                {
                    if (store.TryGetValue(get, out string? body))
                    {
                        fetchedAt[get] = now;
                        ledger.Found(get, body, body.Length, now);
                    }
                    else
                    {
                        ledger.Missing(get, now);
                    }
                }
                if (d.Gets.Count == 0)
                {
                    break;
                }
            }
            maxSlots = Math.Max(maxSlots, ledger.SlotCount);
            DateTimeOffset tick = T0 + TimeSpan.FromMilliseconds(Math.Floor((now - T0).TotalMilliseconds) + 1);
            now = wake is { } w && w > now && w < tick ? w : tick;
        }

        Assert.True(worst <= Bound, $"an object waited {worst} behind a hole");
        Assert.Equal(delivered.Distinct().Count(), delivered.Count);            // once each
        Assert.Equal([.. delivered.Order()], delivered);                        // in order
        Assert.True(delivered.Count > 400, $"{delivered.Count} delivered"); // 540 landed; the last bound's worth is still held
        Assert.InRange(ledger.HolesSkipped, 40, 60);                            // one in ten of 600 PUTs
        Assert.InRange(maxSlots, 0, (Bound / TimeSpan.FromMilliseconds(5)) + (2 * ledger.Options.MaxAhead)); // what lands within one bound
        Assert.Equal(1, ledger.StreamCount);
    }
}
