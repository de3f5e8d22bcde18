using System.Collections.Concurrent;
using Hoshino.Packets;

namespace Hoshino.Ingress;

/// <summary>
/// Senders with a v2 stream to this node: their replies are probed by name, so a send to them
/// needs no LIST linger (<see cref="IngressPump.Poke"/>). At most <c>max</c> are kept; past that the
/// set starts over, and peers forgotten are relearned from their next object. Thread-safe: the
/// stream receiver's loop remembers, the egress thread asks, the v1 loop forgets.
/// </summary>
/// <param name="max">Peers kept at most (the ledger's stream bound).</param>
internal sealed class StreamPeers(int max)
{
    private readonly ConcurrentDictionary<Address16, byte> _peers = new();

    public int Count => _peers.Count;

    /// <summary>Whether <paramref name="peer"/> has sent this node a v2 stream.</summary>
    public bool Knows(Address16 peer) => _peers.ContainsKey(peer);

    /// <summary><paramref name="peer"/> listed or delivered a v2 object.</summary>
    public void Remember(Address16 peer)
    {
        if (_peers.Count >= max && !_peers.ContainsKey(peer))
        {
            _peers.Clear(); // a bound; peers forgotten are relearned from their next object
        }
        _peers.TryAdd(peer, 0);
    }

    /// <summary><paramref name="peer"/> delivered a v1 object: it writes v1 now, and its replies are the LIST loop's to find.</summary>
    public void Forget(Address16 peer) => _peers.TryRemove(peer, out _);
}
