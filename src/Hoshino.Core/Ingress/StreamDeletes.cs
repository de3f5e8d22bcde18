using Hoshino.Transport;

namespace Hoshino.Ingress;

/// <summary>
/// The v2 path's delete bookkeeping across listings: names waiting for their delete, names in the
/// one in flight, and names deleted with their confirmation's place in the order of LIST starts. A
/// listing that still shows a name waiting, in flight, or deleted after that listing began skips
/// it, so a refused name is refused (and counted) once, not once per LIST until it is gone. Pure:
/// no store, no clock. Not thread-safe: the stream receiver's loop owns it. Bounded by what listings
/// show (the inbox's listing limit per listing) and by each delete's confirmation.
/// </summary>
internal sealed class StreamDeletes
{
    /// <summary>Names waiting for their delete or in the one in flight.</summary>
    private readonly HashSet<string> _deleting = new(StringComparer.Ordinal);
    /// <summary>Names deleted, with their delete's confirmation in the order of LIST starts.</summary>
    private readonly Dictionary<string, long> _deleted = new(StringComparer.Ordinal);
    /// <summary>Names waiting for the next delete, in the order they were handled.</summary>
    private List<string> _waiting = [];

    /// <summary>Names handled and not yet sent in a delete.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>
    /// A listing begun at <paramref name="order"/> is about to be read: a delete confirmed before it
    /// began is seen by it and every later one (listings are taken in the order they began).
    /// </summary>
    public void ListingBegan(long order)
    {
        foreach ((string key, long confirmed) in _deleted)
        {
            if (confirmed < order)
            {
                _deleted.Remove(key);
            }
        }
    }

    /// <summary>Whether a listing should skip <paramref name="name"/>: its delete is waiting, in flight, or took effect after the listing began.</summary>
    public bool Skips(string name) => _deleting.Contains(name) || _deleted.ContainsKey(name);

    /// <summary><paramref name="key"/> was handled (written or refused): delete it, once.</summary>
    public void Add(StreamKey key)
    {
        string name = key.ToString();
        if (_deleting.Add(name))
        {
            _waiting.Add(name);
        }
    }

    /// <summary>The names waiting, for one delete; they stay skipped until it ends (<see cref="Ended"/>).</summary>
    public List<string> TakeWaiting()
    {
        List<string> batch = _waiting;
        _waiting = [];
        return batch;
    }

    /// <summary>
    /// A delete's result: a name not deleted is listed again and handled again (below its cursor:
    /// deleted again); a deleted one is skipped by listings begun before its confirmation.
    /// </summary>
    public void Ended(DeleteResult done)
    {
        _deleting.ExceptWith(done.Keys);
        foreach (string key in done.Deleted)
        {
            _deleted[key] = done.Confirmed;
        }
    }
}
