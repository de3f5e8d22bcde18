namespace Hoshino.Diagnostics;

/// <summary>Per-peer rows (<see cref="Peers.PeerSamples"/>: a bounded label set): packets, bytes, round trips.</summary>
public sealed partial class HoshinoMetrics
{
    // Until a node observes its peers: the page has the shape a node with none has (peer="other" only).
    private Func<IReadOnlyList<Peers.PeerSample>> _peers = () => Peers.PeerSamples.Build([], new Peers.PeerTraffic(1).Snapshot(), default);

    /// <summary>Where the per-peer rows come from (<see cref="Peers.PeerSamples"/>: a bounded label set).</summary>
    public void ObservePeers(Func<IReadOnlyList<Peers.PeerSample>> peers) => _peers = peers;

    private void WritePeerMetrics(PrometheusWriter w)
    {
        IReadOnlyList<Peers.PeerSample> rows = _peers();
        w.Family("hoshino_peer_packets_total", "counter",
            "Packets to (egress) and from (ingress) each peer in the directory (at most 64 by name); the rest under peer=\"other\".");
        foreach (Peers.PeerSample row in rows)
        {
            string peer = PrometheusWriter.Escape(row.Peer);
            w.Sample("hoshino_peer_packets_total", $"peer=\"{peer}\",direction=\"egress\"", row.Counters.PacketsOut);
            w.Sample("hoshino_peer_packets_total", $"peer=\"{peer}\",direction=\"ingress\"", row.Counters.PacketsIn);
        }
        w.Family("hoshino_peer_bytes_total", "counter", "Bytes of those packets, by peer and direction.");
        foreach (Peers.PeerSample row in rows)
        {
            string peer = PrometheusWriter.Escape(row.Peer);
            w.Sample("hoshino_peer_bytes_total", $"peer=\"{peer}\",direction=\"egress\"", row.Counters.BytesOut);
            w.Sample("hoshino_peer_bytes_total", $"peer=\"{peer}\",direction=\"ingress\"", row.Counters.BytesIn);
        }
        w.Family("hoshino_peer_round_trip_seconds", "gauge", "The last ICMPv6 echo round trip from this node to each peer that answered one.");
        foreach (Peers.PeerSample row in rows)
        {
            if (row.Counters.LastRoundTrip is { } rtt)
            {
                w.Sample("hoshino_peer_round_trip_seconds", $"peer=\"{PrometheusWriter.Escape(row.Peer)}\"", rtt.TotalSeconds);
            }
        }
    }

}
