using System.Net;
using System.Net.Sockets;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Peers;
using Hoshino.Store;

namespace Hoshino.Cli.Control;

/// <summary>What the node says about itself on the control socket: the facts, gathered when asked.</summary>
/// <param name="Address">This node's tunnel address.</param>
/// <param name="Network">Its /64.</param>
/// <param name="Interface">Its TUN interface.</param>
/// <param name="Store">The store's description (no credentials).</param>
/// <param name="Sealed">Whether it seals objects.</param>
/// <param name="Version">Its software version.</param>
/// <param name="Started">When its process started.</param>
internal sealed record NodeFacts(IPAddress Address, IPNetwork Network, string Interface, string Store, bool Sealed, string Version, DateTimeOffset Started);

/// <summary>Answers control requests from the node's live parts: its facts, metrics, lease, the directory and the peer table.</summary>
internal sealed class NodeStatusSource(NodeFacts facts, HoshinoMetrics metrics, Func<bool> addressConflict, IPeerNames names, PeerTraffic traffic,
    TimeProvider time)
{
    private readonly Address16 _self = Address16.From(facts.Address);

    public ControlResponse Answer(ControlRequest request) => request.Op switch
    {
        "status" => new ControlResponse(true, Status: Status()),
        "peer" => Peer(request.Peer!),
        _ => ControlResponse.Refused(ControlErrors.BadRequest, "unknown request"),
    };

    public NodeStatus Status()
    {
        DateTimeOffset now = time.GetUtcNow();
        var rejected = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (RejectReason reason in Enum.GetValues<RejectReason>())
        {
            if (reason != RejectReason.None && metrics.Rejected(reason) is > 0 and long count)
            {
                rejected[MetricLabels.Of(reason)] = count;
            }
        }
        long storeErrors = 0;
        foreach (StoreOperation op in Enum.GetValues<StoreOperation>())
        {
            foreach (StoreErrorKind kind in Enum.GetValues<StoreErrorKind>())
            {
                storeErrors += metrics.Errors(op, kind);
            }
        }
        IReadOnlyList<PeerRecord> directory = names.Peers;
        var node = new NodeInfo(names.Find(facts.Address)?.Name, facts.Address.ToString(), facts.Interface, facts.Store, facts.Sealed, facts.Version,
            facts.Started, Math.Max(0, (now - facts.Started).TotalSeconds), new NodeHealth(storeErrors, addressConflict(), rejected));

        // The directory's peers, then any other address this node exchanged packets with.
        PeerTrafficSnapshot snapshot = traffic.Snapshot();
        var byAddress = snapshot.Peers.ToDictionary(p => p.Address);
        var peers = new List<PeerStatus>();
        var listed = new HashSet<Address16> { _self };
        foreach (PeerRecord record in directory.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var address = Address16.From(record.Address);
            if (listed.Add(address))
            {
                peers.Add(ToStatus(record.Name, address, byAddress.GetValueOrDefault(address)));
            }
        }
        foreach (PeerCounters counters in snapshot.Peers.Where(p => !listed.Contains(p.Address)))
        {
            peers.Add(ToStatus(null, counters.Address, counters));
        }
        return new NodeStatus(1, node, peers);
    }

    private ControlResponse Peer(string nameOrAddress)
    {
        Address16 address;
        string? name;
        if (IPAddress.TryParse(nameOrAddress, out IPAddress? parsed))
        {
            if (parsed.AddressFamily != AddressFamily.InterNetworkV6 || !facts.Network.Contains(parsed))
            {
                return ControlResponse.Refused(ControlErrors.UnknownPeer, $"{parsed} is not in this network ({facts.Network})");
            }
            address = Address16.From(parsed);
            name = names.Find(parsed)?.Name;
        }
        else if (names.Find(nameOrAddress) is { } record)
        {
            address = Address16.From(record.Address);
            name = record.Name;
        }
        else
        {
            return ControlResponse.Refused(ControlErrors.UnknownPeer, $"no peer named '{LogText.Escape(nameOrAddress)}' in the directory");
        }
        if (address == _self)
        {
            return ControlResponse.Refused(ControlErrors.UnknownPeer, "that is this node");
        }
        return new ControlResponse(true, Peer: ToStatus(name, address, traffic.Find(address)), Self: facts.Address.ToString());
    }

    private static PeerStatus ToStatus(string? name, Address16 address, PeerCounters? c) =>
        new(name, address.ToString(), c?.LastSeen, c?.PacketsOut ?? 0, c?.BytesOut ?? 0, c?.PacketsIn ?? 0, c?.BytesIn ?? 0,
            Millis(c?.LastRoundTrip), Millis(c?.LastPut), Millis(c?.LastGet));

    private static double? Millis(TimeSpan? span) => span is { } s ? Math.Round(s.TotalMilliseconds, 3) : null;
}
