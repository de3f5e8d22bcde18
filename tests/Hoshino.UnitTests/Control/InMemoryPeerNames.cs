using System.Net;
using Hoshino.Peers;

namespace Hoshino.UnitTests.Control;

/// <summary>A directory held in memory, for tests of what reads <see cref="IPeerNames"/>.</summary>
internal sealed class InMemoryPeerNames(params PeerRecord[] records) : IPeerNames
{
    public IReadOnlyList<PeerRecord> Peers { get; } = [.. records.OrderBy(r => r.Name, StringComparer.Ordinal)];

    public PeerRecord? Find(string name) => Peers.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    public PeerRecord? Find(IPAddress address) => Peers.FirstOrDefault(r => r.Address.Equals(address));
}
