using Hoshino.Packets;
using Hoshino.Transport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Transport;

public sealed class StreamLedgerTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    internal static readonly Ulid E1 = Ulid.NewUlid(T0.AddMinutes(-5));
    internal static readonly Ulid E2 = Ulid.NewUlid(T0.AddMinutes(-1));
    internal static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(250);

    internal static StreamKey K(long sequence, Ulid? epoch = null, Address16? source = null) => new(Self16, source ?? Peer16, epoch ?? E1, sequence);

    internal static StreamLedger<string> Create(StreamLedgerOptions? options = null) => new(Self16, options ?? new StreamLedgerOptions { HoleBound = Bound });

    /// <summary>
    /// Runs the ledger against <paramref name="store"/> at one instant: answers every GET (found or
    /// not), deletes what it is told to, until it asks for nothing more. Returns what was delivered.
    /// </summary>
    internal static List<StreamKey> Pump(StreamLedger<string> ledger, Dictionary<StreamKey, string> store, DateTimeOffset now, List<StreamRejection>? rejects = null)
    {
        var delivered = new List<StreamKey>();
        for (int round = 0; round < 1000; round++)
        {
            StreamDecisions<string> d = ledger.Next(now);
            foreach (StreamDelivery<string> delivery in d.Deliveries)
            {
                Assert.Equal(store.GetValueOrDefault(delivery.Key, delivery.Body), delivery.Body);
                delivered.Add(delivery.Key);
            }
            rejects?.AddRange(d.Rejects);
            foreach (StreamKey key in d.Deletes)
            {
                store.Remove(key);
            }
            if (d.Gets.Count == 0)
            {
                return delivered;
            }
            foreach (StreamKey get in d.Gets)
            {
                if (store.TryGetValue(get, out string? body))
                {
                    ledger.Found(get, body, body.Length, now);
                }
                else
                {
                    ledger.Missing(get, now);
                }
            }
        }
        throw new InvalidOperationException("the ledger kept asking at one instant");
    }

    internal static void Put(Dictionary<StreamKey, string> store, params StreamKey[] keys)
    {
        foreach (StreamKey key in keys)
        {
            store[key] = key.ToString();
        }
    }

    [Fact]
    public void Found_CompletingOutOfOrder_DeliveredInSequenceOrder()
    {
        StreamLedger<string> ledger = Create();
        ledger.Listed([K(2), K(0), K(1)], T0);
        StreamDecisions<string> first = ledger.Next(T0);
        Assert.Equal([K(0), K(1), K(2)], first.Gets);

        ledger.Found(K(2), "c", 1, T0);
        ledger.Found(K(1), "b", 1, T0);
        Assert.Empty(ledger.Next(T0).Deliveries); // 0 still on its way: 1 and 2 wait
        ledger.Found(K(0), "a", 1, T0);
        StreamDecisions<string> d = ledger.Next(T0);

        Assert.Equal(["a", "b", "c"], d.Deliveries.Select(x => x.Body));
        Assert.Equal([K(0), K(1), K(2)], d.Deletes);
        Assert.Equal(3, ledger.NextOf(K(0).Stream));
        Assert.Equal(0, ledger.BufferedCount);
    }

    [Fact]
    public void Probe_KnownStream_GetsTheNextNameThenReadsAheadWhileObjectsAreThere()
    {
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        Put(store, K(0));
        ledger.Listed([K(0)], T0);
        Assert.Equal([K(0)], Pump(ledger, store, T0));
        Assert.Empty(ledger.Next(T0).Gets); // nothing expected: no speculative GET on its own

        Assert.True(ledger.Probe(Peer16, T0));
        Assert.False(ledger.Probe(OtherPeer16, T0)); // no stream known: only a HEAD or a LIST can see it
        Assert.Equal([K(1)], ledger.Next(T0).Gets);
        ledger.Missing(K(1), T0);
        Assert.Empty(ledger.Next(T0).Gets); // nothing yet: wait for the next probe

        Put(store, K(1), K(2), K(3), K(4));
        ledger.Probe(Peer16, T0);
        List<StreamKey> delivered = Pump(ledger, store, T0);

        Assert.Equal([K(1), K(2), K(3), K(4)], delivered); // by name, no LIST, ahead of the cursor
        Assert.Empty(ledger.Next(T0).Gets);               // the miss at 5 ended the reading ahead
    }

    [Fact]
    public void Next_HoleNeverFilled_SkippedAfterTheBoundAndCounted()
    {
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        Put(store, K(0), K(2));
        ledger.Listed([K(0), K(2)], T0);

        Assert.Equal([K(0)], Pump(ledger, store, T0));
        DateTimeOffset now = T0;
        int holeGets = 0;
        while (now < T0 + Bound)
        {
            StreamDecisions<string> d = ledger.Next(now);
            Assert.Empty(d.Deliveries);
            Assert.NotNull(d.WakeAt);
            foreach (StreamKey get in d.Gets)
            {
                Assert.Equal(K(1), get);
                holeGets++;
                ledger.Missing(get, now);
            }
            now = d.WakeAt!.Value;
        }
        StreamDecisions<string> released = ledger.Next(T0 + Bound);

        Assert.Equal([K(2)], released.Deliveries.Select(x => x.Key));
        Assert.Equal(1, ledger.HolesSkipped);
        Assert.InRange(holeGets, 1, (int)(Bound / ledger.Options.HoleRetry) + 1); // a GET per retry interval at most
        Assert.Equal(3, ledger.NextOf(K(0).Stream));
    }

    [Fact]
    public void Next_HoleFilledBeforeTheBound_DeliveredInOrderNothingSkipped()
    {
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        Put(store, K(0), K(2));
        ledger.Listed([K(0), K(2)], T0);
        Assert.Equal([K(0)], Pump(ledger, store, T0));

        Put(store, K(1)); // its PUT lands 10 ms after the one after it
        DateTimeOffset later = T0 + TimeSpan.FromMilliseconds(10);
        List<StreamKey> delivered = Pump(ledger, store, later);

        Assert.Equal([K(1), K(2)], delivered);
        Assert.Equal(0, ledger.HolesSkipped);
    }

    [Fact]
    public void Found_SkippedNumberTurnsUpLate_DeliveredOnceThenADuplicate()
    {
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        Put(store, K(0), K(2));
        ledger.Listed([K(0), K(2)], T0);
        Pump(ledger, store, T0);
        Assert.Equal([K(2)], Pump(ledger, store, T0 + Bound));

        Put(store, K(1)); // a retried PUT, landing after the receiver moved on
        ledger.Listed([K(1)], T0 + Bound * 2);
        List<StreamKey> late = Pump(ledger, store, T0 + Bound * 2);
        Put(store, K(1)); // written again (a copy, or our delete lost)
        ledger.Listed([K(1)], T0 + Bound * 3);
        var rejects = new List<StreamRejection>();
        List<StreamKey> again = Pump(ledger, store, T0 + Bound * 3, rejects);

        Assert.Equal([K(1)], late);
        Assert.Equal(1, ledger.LateDeliveries);
        Assert.Empty(again);
        Assert.Equal([new StreamRejection(K(1), StreamReject.Duplicate)], rejects);
        Assert.Empty(store);
    }

    [Fact]
    public void Listed_SenderRestartedWhileItsOldEpochHasAHole_NewEpochIsNotHeldBack()
    {
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        Put(store, K(0), K(1), K(2), K(4)); // 3 never landed: the sender died with it in flight
        ledger.Listed([K(0), K(1), K(2), K(4)], T0);
        Assert.Equal([K(0), K(1), K(2)], Pump(ledger, store, T0));

        DateTimeOffset restart = T0 + TimeSpan.FromMilliseconds(20);
        Put(store, K(0, E2), K(1, E2));
        ledger.Listed([K(0, E2), K(1, E2), K(4)], restart);
        List<StreamKey> fresh = Pump(ledger, store, restart);
        List<StreamKey> old = Pump(ledger, store, T0 + Bound);

        Assert.Equal([K(0, E2), K(1, E2)], fresh);
        Assert.Equal([K(4)], old);
        Assert.True(ledger.Probe(Peer16, restart));
        Assert.Equal([K(2, E2)], ledger.Next(restart).Gets); // probes go to the newest epoch
    }

    [Fact]
    public void Listed_FreshLedgerAfterAReceiverRestart_DeliversLeftoversOfEveryEpochOnce()
    {
        var store = new Dictionary<StreamKey, string>();
        Put(store, K(7), K(8), K(9), K(0, E2));
        StreamLedger<string> ledger = Create();

        ledger.Listed([.. store.Keys.Reverse()], T0); // S3 Express lists unordered
        List<StreamKey> delivered = Pump(ledger, store, T0);
        Put(store, K(6)); // still in flight when the restarted receiver listed
        ledger.Listed([K(6)], T0 + TimeSpan.FromSeconds(1));
        List<StreamKey> late = Pump(ledger, store, T0 + TimeSpan.FromSeconds(1));

        Assert.Equal([K(7), K(8), K(9)], delivered.Where(k => k.Epoch == E1));
        Assert.Equal([K(0, E2)], delivered.Where(k => k.Epoch == E2));
        Assert.Equal(10, ledger.NextOf(K(0).Stream));
        Assert.Equal([K(6)], late);
    }

    [Fact]
    public void Listed_AlreadyHandledNames_NeverDeliveredTwice()
    {
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        Put(store, K(0), K(1), K(2));
        ledger.Listed([K(0), K(1), K(2)], T0);
        Pump(ledger, store, T0);

        Put(store, K(0), K(1), K(2)); // our delete failed, or a writer copied them back
        ledger.Listed([K(0), K(1), K(2)], T0);
        ledger.Found(K(1), "copy", 4, T0); // an answer nobody asked for
        var rejects = new List<StreamRejection>();
        List<StreamKey> delivered = Pump(ledger, store, T0, rejects);

        Assert.Empty(delivered);
        Assert.All(rejects, r => Assert.Equal(StreamReject.Duplicate, r.Reason));
        Assert.Equal(4, rejects.Count);
        Assert.Empty(store);
    }

    [Fact]
    public void Listed_NumberOlderThanTheReplayWindow_RefusedAsReplay()
    {
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        ledger.Listed([K(0)], T0);
        Put(store, K(0));
        Pump(ledger, store, T0);
        long far = ReplayWindow.Size + 10;
        Put(store, K(far));
        ledger.Listed([K(far)], T0);
        Pump(ledger, store, T0);
        Assert.Equal([K(far)], Pump(ledger, store, T0 + Bound)); // skips 1 .. far-1

        Put(store, K(0), K(5), K(far - 5));
        ledger.Listed([K(0), K(5), K(far - 5)], T0 + Bound);
        var rejects = new List<StreamRejection>();
        List<StreamKey> late = Pump(ledger, store, T0 + Bound, rejects);

        Assert.Equal([new StreamRejection(K(0), StreamReject.Replay), new StreamRejection(K(5), StreamReject.Replay)], rejects); // below the window
        Assert.Equal([K(far - 5)], late); // skipped, inside the window: delivered once
    }

    [Fact]
    public void Next_RetiredStream_ReplayRefusedNewNumbersTakeItUpAgain()
    {
        StreamLedger<string> ledger = Create();
        var store = new Dictionary<StreamKey, string>();
        Put(store, K(0), K(1));
        ledger.Listed([K(0), K(1)], T0);
        Pump(ledger, store, T0);
        DateTimeOffset idle = T0 + ledger.Options.RetireAfter + TimeSpan.FromSeconds(1);
        ledger.Next(idle);
        Assert.Equal(0, ledger.LiveStreamCount);
        Assert.Equal(1, ledger.StreamCount); // its cursor, against replays

        Put(store, K(1), K(2));
        ledger.Listed([K(1), K(2)], idle);
        var rejects = new List<StreamRejection>();
        List<StreamKey> delivered = Pump(ledger, store, idle, rejects);

        Assert.Equal([new StreamRejection(K(1), StreamReject.Replay)], rejects);
        Assert.Equal([K(2)], delivered);
        Assert.Equal(1, ledger.LiveStreamCount);
    }

    [Fact]
    public void Listed_EpochDatedAheadOrOlderThanTheSendersNewestLongAfter_Refused()
    {
        StreamLedger<string> ledger = Create();
        Ulid future = Ulid.NewUlid(T0 + TimeSpan.FromHours(1));
        Ulid ancient = Ulid.NewUlid(T0 - TimeSpan.FromHours(1));
        ledger.Listed([K(0, E2)], T0);

        DateTimeOffset later = T0 + ledger.Options.EpochGrace + TimeSpan.FromSeconds(1);
        ledger.Listed([K(0, future), K(0, ancient)], later);
        StreamDecisions<string> d = ledger.Next(later);

        Assert.Contains(new StreamRejection(K(0, future), StreamReject.EpochTooNew), d.Rejects);
        Assert.Contains(new StreamRejection(K(0, ancient), StreamReject.StaleEpoch), d.Rejects);
        Assert.Equal(1, ledger.StreamCount);
    }

    [Fact]
    public void Next_FetchedObjectsBehindAHole_StopNewGetsAtTheByteBoundAndStillLeaveInTime()
    {
        StreamLedger<string> ledger = Create(new StreamLedgerOptions { HoleBound = Bound, MaxBufferedBytes = 1000 });
        var store = new Dictionary<StreamKey, string>();
        Put(store, K(0));
        ledger.Listed([K(0)], T0);
        Pump(ledger, store, T0);
        ledger.Listed([.. Enumerable.Range(2, 30).Select(i => K(i))], T0); // 1 is missing
        foreach (StreamKey get in ledger.Next(T0).Gets)
        {
            ledger.Found(get, "x", 500, T0);
        }

        StreamDecisions<string> full = ledger.Next(T0);
        Assert.Empty(full.Gets); // 8 KB held against a 1 KB bound: no new GET
        Assert.Equal(16 * 500, ledger.BufferedBytes); // the bound, plus the GETs that were in flight
        StreamDecisions<string> released = ledger.Next(T0 + Bound);
        Assert.Equal(16, released.Deliveries.Count);
        Assert.NotEmpty(released.Gets);
    }
}
