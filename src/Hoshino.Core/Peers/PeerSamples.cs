using Hoshino.Packets;

namespace Hoshino.Peers;

/// <summary>One row of the per-peer metrics: a label value and that peer's counters.</summary>
/// <param name="Peer">The peer's name from the directory, or <see cref="PeerSamples.Other"/>.</param>
/// <param name="Counters">Its counters (for <c>other</c>, sums; no round trip).</param>
public sealed record PeerSample(string Peer, PeerCounters Counters);

/// <summary>
/// The per-peer metric rows, with a bounded label set: one row per peer in the directory (by
/// name, at most <see cref="MaxLabelled"/>, the first in name order), and everything else —
/// addresses no fresh record names, peers past the cap, traffic the table had no room for — summed
/// under <c>peer="other"</c>, which is always there. So a bucket writer who sends from a million
/// addresses adds no series, and a fleet of 10,000 adds 64. When a peer joins the directory its
/// traffic moves out of <c>other</c>, which Prometheus reads as a counter reset.
/// </summary>
public static class PeerSamples
{
    public const int MaxLabelled = 64;
    public const string Other = "other";

    public static IReadOnlyList<PeerSample> Build(IReadOnlyList<PeerRecord> directory, PeerTrafficSnapshot traffic, Address16 self,
        int maxLabelled = MaxLabelled)
    {
        var byAddress = traffic.Peers.ToDictionary(p => p.Address);
        var rows = new List<PeerSample>();
        var labelled = new HashSet<Address16>();
        foreach (PeerRecord record in directory.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var address = Address16.From(record.Address);
            if (rows.Count >= maxLabelled || address == self || record.Name == Other || !labelled.Add(address))
            {
                continue;
            }
            rows.Add(new PeerSample(record.Name, byAddress.GetValueOrDefault(address) ?? Empty(address)));
        }
        PeerCounters other = traffic.Other;
        foreach (PeerCounters peer in traffic.Peers.Where(p => !labelled.Contains(p.Address)))
        {
            other = other with
            {
                PacketsOut = other.PacketsOut + peer.PacketsOut,
                BytesOut = other.BytesOut + peer.BytesOut,
                PacketsIn = other.PacketsIn + peer.PacketsIn,
                BytesIn = other.BytesIn + peer.BytesIn,
            };
        }
        rows.Add(new PeerSample(Other, other with { LastSeen = null, LastRoundTrip = null, LastPut = null, LastGet = null }));
        return rows;
    }

    private static PeerCounters Empty(Address16 address) => new(address, 0, 0, 0, 0, null, null, null, null);
}
