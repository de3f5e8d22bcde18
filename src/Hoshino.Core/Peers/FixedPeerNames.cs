using System.Net;

namespace Hoshino.Peers;

/// <summary>
/// A fixed set of records, held in memory: the names the DNS and control-socket tests serve, and
/// the in-memory twin of <see cref="PeerDirectory"/> in the <c>IPeerNames</c> contract. Thread-safe (immutable).
/// </summary>
public sealed class FixedPeerNames : IPeerNames
{
    private readonly PeerRecord[] _peers;

    public FixedPeerNames(IEnumerable<PeerRecord> peers) =>
        _peers = [.. peers.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)];

    public IReadOnlyList<PeerRecord> Peers => _peers;

    public PeerRecord? Find(string name) => Array.Find(_peers, p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    public PeerRecord? Find(IPAddress address) => Array.Find(_peers, p => p.Address.Equals(address));
}
