using Hoshino.Packets;
using Hoshino.Transport;

namespace Hoshino.Egress;

/// <summary>
/// The v2 streams of destinations with nothing to send: each keeps its epoch and next number for
/// a while, so the next packet continues a stream the receiver reads by name instead of opening a
/// new epoch, which only a LIST finds. Bounded in count and age; the least recently used goes
/// first. Pure (times are arguments). Not thread-safe: the pump's lock guards it.
/// </summary>
internal sealed class StreamTable(int capacity, TimeSpan lifetime)
{
    private readonly Dictionary<Address16, LinkedListNode<(Address16 Destination, SendWindow Window, DateTimeOffset Parked)>> _byDestination = [];
    // Oldest first: windows are parked in time order, so the list is sorted by age.
    private readonly LinkedList<(Address16 Destination, SendWindow Window, DateTimeOffset Parked)> _byAge = new();

    public int Count => _byDestination.Count;

    /// <summary>Takes the destination's parked window out of the table; null when there is none (or it expired).</summary>
    public SendWindow? Take(Address16 destination, DateTimeOffset now)
    {
        Expire(now);
        if (!_byDestination.Remove(destination, out var node))
        {
            return null;
        }
        _byAge.Remove(node);
        return node.Value.Window;
    }

    /// <summary>Parks a window whose sender retired. Drops the oldest past <c>capacity</c>.</summary>
    public void Park(Address16 destination, SendWindow window, DateTimeOffset now)
    {
        if (_byDestination.Remove(destination, out var old))
        {
            _byAge.Remove(old);
        }
        _byDestination[destination] = _byAge.AddLast((destination, window, now));
        while (_byDestination.Count > capacity)
        {
            Drop(_byAge.First!);
        }
        Expire(now);
    }

    /// <summary>The parked window of <paramref name="destination"/>, left in place; null when there is none.</summary>
    public SendWindow? Peek(Address16 destination) =>
        _byDestination.TryGetValue(destination, out var node) ? node.Value.Window : null;

    private void Expire(DateTimeOffset now)
    {
        while (_byAge.First is { } oldest && now - oldest.Value.Parked >= lifetime)
        {
            Drop(oldest);
        }
    }

    private void Drop(LinkedListNode<(Address16 Destination, SendWindow Window, DateTimeOffset Parked)> node)
    {
        _byAge.Remove(node);
        _byDestination.Remove(node.Value.Destination);
    }
}
