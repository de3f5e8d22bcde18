using System.Collections.Concurrent;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;

namespace Hoshino.Ingress;

/// <summary>
/// The stream receiver's intake of listings: the pump's LIST loop hands in the v2 names each listing
/// showed (<see cref="Add"/>, any thread); the receiver's loop takes the newest (<see cref="Take"/>),
/// since each listing shows the whole inbox. Taking one skips names whose delete is waiting, in
/// flight, or took effect after that listing began (<see cref="StreamDeletes"/>); refuses, and queues
/// for delete, names the key alone condemns (<see cref="KeyScreen"/>); offers the rest to the ledger
/// and remembers their senders as v2 peers. It keeps the names that listing showed: a GET of
/// anything else is a probe, and only listed names are charged to their sender's junk budget. No
/// store, no clock. The loop alone calls <see cref="Take"/> and <see cref="Contains"/>.
/// </summary>
/// <typeparam name="TBody">The ledger's body type.</typeparam>
/// <param name="self">This node: the only destination accepted.</param>
/// <param name="options">Bounds on a listed name's age and size.</param>
/// <param name="deletes">The receiver's delete bookkeeping: what to skip, where refused names go.</param>
/// <param name="ledger">Where admitted names go.</param>
/// <param name="peers">Senders with a v2 stream: each admitted name's sender is one.</param>
/// <param name="reject">Counts and logs (rate-limited) a refused name.</param>
internal sealed class StreamListings<TBody>(Address16 self, IngressOptions options, StreamDeletes deletes, StreamLedger<TBody> ledger,
    StreamPeers peers, Action<string, RejectReason> reject)
{
    private readonly ConcurrentQueue<(IReadOnlyList<(StoredObject Item, StreamKey Key)> Names, long Order)> _waiting = new();
    /// <summary>Names the latest listing taken showed and the screen let through.</summary>
    private HashSet<StreamKey> _listed = [];

    /// <summary>Whether no listing is waiting to be taken.</summary>
    public bool IsEmpty => _waiting.IsEmpty;

    /// <summary>
    /// A listing showed these v2 names (already parsed; any order); it began at <paramref name="order"/>
    /// in the pump's sequence of LIST starts and delete confirmations. Any thread.
    /// </summary>
    public void Add(IReadOnlyList<(StoredObject Item, StreamKey Key)> names, long order) => _waiting.Enqueue((names, order));

    /// <summary>Whether the latest listing taken showed <paramref name="key"/> (and did not refuse it): if not, a GET of it is a probe.</summary>
    public bool Contains(StreamKey key) => _listed.Contains(key);

    /// <summary>Takes the newest listing waiting, if any, dropping older ones; returns whether there was one.</summary>
    public bool Take(DateTimeOffset now)
    {
        (IReadOnlyList<(StoredObject Item, StreamKey Key)> Names, long Order)? newest = null;
        while (_waiting.TryDequeue(out (IReadOnlyList<(StoredObject Item, StreamKey Key)> Names, long Order) waiting))
        {
            newest = waiting;
        }
        if (newest is not ({ } names, long order))
        {
            return false;
        }
        deletes.ListingBegan(order);
        HashSet<StreamKey> listed = [];
        var keys = new List<StreamKey>(names.Count);
        foreach ((StoredObject item, StreamKey key) in names)
        {
            if (deletes.Skips(item.Key))
            {
                continue; // handled; its delete is pending, in flight, or took effect after this listing began
            }
            RejectReason reason = KeyScreen.Screen(item, key, now, self, options);
            if (reason != RejectReason.None)
            {
                reject(item.Key, reason);
                deletes.Add(key);
                continue;
            }
            keys.Add(key);
            listed.Add(key);
        }
        ledger.Listed(keys, now);
        foreach (StreamKey key in keys)
        {
            peers.Remember(key.Source);
        }
        _listed = listed;
        return true;
    }
}
