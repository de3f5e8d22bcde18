using Hoshino.Transport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Transport;

/// <summary>
/// A stream this receiver first sees mid-window (docs/wire-format.md): it starts at its lowest
/// listed number, the 1,024 numbers below stay deliverable once (late), older ones are replays.
/// </summary>
public sealed class StreamLedgerDiscoveryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Ulid Epoch = Ulid.NewUlid(T0.AddSeconds(-30));

    private static StreamKey K(long sequence) => new(Self16, Peer16, Epoch, sequence);

    /// <summary>Answers every GET from <paramref name="stored"/> and collects what is delivered (and refused), until nothing is left to do.</summary>
    private static List<long> Pump(StreamLedger<string> ledger, HashSet<long> stored, DateTimeOffset now, List<StreamRejection>? rejects = null)
    {
        var delivered = new List<long>();
        for (int round = 0; round < 100; round++)
        {
            StreamDecisions<string> decisions = ledger.Next(now);
            delivered.AddRange(decisions.Deliveries.Select(d => d.Key.Sequence));
            rejects?.AddRange(decisions.Rejects);
            if (decisions.Gets.Count == 0)
            {
                return delivered;
            }
            foreach (StreamKey key in decisions.Gets)
            {
                if (stored.Contains(key.Sequence))
                {
                    ledger.Found(key, $"#{key.Sequence}", 1, now);
                }
                else
                {
                    ledger.Missing(key, now);
                }
            }
        }
        throw new InvalidOperationException("the ledger kept asking");
    }

    [Fact]
    public void Listed_StreamFirstSeenAt5000_StartsAtItsLowestListedNumberWithoutWaitingForHoles()
    {
        var ledger = new StreamLedger<string>(Self16);
        HashSet<long> stored = [5002, 5000, 5001];

        ledger.Listed([K(5002), K(5000), K(5001)], T0); // any order
        List<long> delivered = Pump(ledger, stored, T0);

        Assert.Equal([5000, 5001, 5002], delivered);
        Assert.Equal(5003, ledger.NextOf(K(0).Stream));
        Assert.Equal(0, ledger.HolesSkipped); // 0..4999 were never waited for
    }

    [Fact]
    public void Listed_NumbersBelowTheFirstSeen_WithinTheReplayWindowDeliveredOnceLateOlderRefused()
    {
        var ledger = new StreamLedger<string>(Self16);
        HashSet<long> stored = [5000];
        ledger.Listed([K(5000)], T0);
        Assert.Equal([5000], Pump(ledger, stored, T0));

        // A PUT still in flight when the stream was first listed (or one a previous run of this node delivered).
        long late = 5001 - ReplayWindow.Size, tooOld = late - 1; // the window lies below the cursor, now 5001
        stored.UnionWith([4999, late, tooOld]);
        ledger.Listed([K(4999), K(late), K(tooOld)], T0.AddSeconds(1));
        List<StreamRejection> refused = [];
        List<long> delivered = Pump(ledger, stored, T0.AddSeconds(1), refused);
        ledger.Listed([K(4999)], T0.AddSeconds(2)); // a copy of it
        StreamDecisions<string> again = ledger.Next(T0.AddSeconds(2));

        Assert.Equal([new StreamRejection(K(tooOld), StreamReject.Replay)], refused);
        Assert.Equal([late, 4999], delivered.Order()); // as their GETs complete: late ones are not put back in order
        Assert.Equal(2, ledger.LateDeliveries);
        Assert.Equal([new StreamRejection(K(4999), StreamReject.Duplicate)], again.Rejects);
        Assert.Equal(5001, ledger.NextOf(K(0).Stream));
    }
}
