using Hoshino.Store;

namespace Hoshino.Ingress;

/// <summary>
/// What one node knows about its inbox across polls: keys written to the kernel whose delete is not
/// yet confirmed (never written again), keys delivered within the maximum packet age (a key written
/// again is a replay), the keys of the delete in flight, deletes confirmed after a listing began
/// (that listing may still show them), and keys the node gave up deleting. Pure: no store, no clock
/// (times come in as arguments), so every hostile sequence can be unit-tested. Not thread-safe: the
/// polling loop owns it. Every collection is bounded by the inbox's listing limit or by time.
/// </summary>
internal sealed class InboxLedger
{
    /// <summary>What the loop does with a listed key.</summary>
    public enum Verdict
    {
        /// <summary>Not seen before: screen it, fetch it.</summary>
        New,
        /// <summary>Handled: its delete is in flight, took effect after the listing began, or was given up.</summary>
        Skip,
        /// <summary>Written already, but its delete failed: delete again, never write again.</summary>
        DeleteAgain,
        /// <summary>Delivered within the maximum packet age and written again: reject it.</summary>
        Replay,
    }

    /// <summary>A key whose delete the store refused this many times in a row (one key per request) is given up.</summary>
    public const int MaxDeleteRefusals = 3;

    private readonly TimeSpan _maxPacketAge;
    private readonly int _listLimit;
    private readonly int _maxGivenUp;
    private readonly HashSet<string> _delivered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);
    private HashSet<string> _deleting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _deletedAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _refusals = new(StringComparer.Ordinal);
    /// <summary>Given-up keys, oldest first, and the same as a set.</summary>
    private readonly Queue<string> _givenUpOrder = new();
    private readonly HashSet<string> _givenUp = new(StringComparer.Ordinal);
    private DateTimeOffset _lastForget;

    /// <param name="maxPacketAge">How long a delivered key is remembered against replays (older keys are rejected as too old anyway).</param>
    /// <param name="listLimit">Keys per listing: a listing this long may not be the whole inbox.</param>
    public InboxLedger(TimeSpan maxPacketAge, int listLimit)
    {
        _maxPacketAge = maxPacketAge;
        _listLimit = listLimit;
        // Two pages' worth: every given-up key still shows in listings, so more than a page of them
        // would crowd out real objects anyway; the oldest are forgotten (and tried once more).
        _maxGivenUp = 2 * listLimit;
    }

    public int RecentCount => _recent.Count;
    public int GivenUpCount => _givenUp.Count;

    /// <summary>Decides what to do with <paramref name="key"/>, listed by the listing with order <paramref name="listOrder"/>.</summary>
    public Verdict Classify(string key, long listOrder)
    {
        if (_deleting.Contains(key) || _givenUp.Contains(key)
            || (_deletedAt.TryGetValue(key, out long deleted) && deleted > listOrder))
        {
            return Verdict.Skip;
        }
        if (_delivered.Contains(key))
        {
            return Verdict.DeleteAgain;
        }
        return _recent.ContainsKey(key) ? Verdict.Replay : Verdict.New;
    }

    /// <summary>The key's packets reached the kernel; <paramref name="made"/> is its ULID time.</summary>
    public void Delivered(string key, DateTimeOffset made)
    {
        _delivered.Add(key);
        _recent[key] = made;
    }

    /// <summary>A delete of <paramref name="keys"/> was sent; the next listings skip them.</summary>
    public void DeleteStarted(IEnumerable<string> keys) => _deleting = new HashSet<string>(keys, StringComparer.Ordinal);

    /// <summary>
    /// The delete in flight ended: <paramref name="deleted"/> took effect (confirmed at
    /// <paramref name="confirmedOrder"/> among listing starts); <paramref name="refused"/> the store
    /// refused outright (not a transient failure); the rest failed and are tried again. Returns the
    /// keys refused <see cref="MaxDeleteRefusals"/> times in a row, which are given up on.
    /// </summary>
    public IReadOnlyList<string> DeleteEnded(IReadOnlyCollection<string> deleted, long confirmedOrder, IReadOnlyCollection<string> refused)
    {
        foreach (string key in deleted)
        {
            _delivered.Remove(key);
            _refusals.Remove(key);
            _deletedAt[key] = confirmedOrder;
        }
        List<string>? givenUp = null;
        foreach (string key in refused)
        {
            int count = _refusals.GetValueOrDefault(key) + 1;
            if (count < MaxDeleteRefusals)
            {
                _refusals[key] = count;
                continue;
            }
            _refusals.Remove(key);
            _delivered.Remove(key); // never written again all the same: given-up keys are skipped
            GiveUp(key);
            (givenUp ??= []).Add(key);
        }
        _deleting = new HashSet<string>(StringComparer.Ordinal);
        return givenUp ?? (IReadOnlyList<string>)[];
    }

    private void GiveUp(string key)
    {
        if (!_givenUp.Add(key))
        {
            return;
        }
        _givenUpOrder.Enqueue(key);
        while (_givenUp.Count > _maxGivenUp)
        {
            _givenUp.Remove(_givenUpOrder.Dequeue());
        }
    }

    /// <summary>
    /// Takes in a listing before its keys are classified. A complete listing (shorter than the
    /// limit) that no longer shows a key whose delete failed means that delete took effect after
    /// all (its answer was lost): stop remembering it, and stop remembering given-up keys that are
    /// gone. An empty listing also clears confirmed deletes, which no later listing can show.
    /// </summary>
    public void ListingSeen(IReadOnlyList<StoredObject> listing)
    {
        if (listing.Count == 0)
        {
            _deletedAt.Clear();
        }
        if (listing.Count >= _listLimit || (_delivered.Count == 0 && _givenUp.Count == 0 && _refusals.Count == 0))
        {
            return;
        }
        var listed = new HashSet<string>(listing.Select(o => o.Key), StringComparer.Ordinal);
        _delivered.RemoveWhere(key => !listed.Contains(key) && !_deleting.Contains(key));
        foreach (string key in _refusals.Keys.Where(k => !listed.Contains(k)).ToList())
        {
            _refusals.Remove(key);
        }
        if (_givenUp.RemoveWhere(key => !listed.Contains(key)) > 0)
        {
            int keep = _givenUpOrder.Count;
            for (int i = 0; i < keep; i++)
            {
                string key = _givenUpOrder.Dequeue();
                if (_givenUp.Contains(key))
                {
                    _givenUpOrder.Enqueue(key);
                }
            }
        }
    }

    /// <summary>Forgets deletes confirmed before the listing with order <paramref name="listOrder"/> began: neither it nor any later listing shows them.</summary>
    public void ForgetDeletedBefore(long listOrder)
    {
        foreach ((string key, long confirmed) in _deletedAt)
        {
            if (confirmed < listOrder)
            {
                _deletedAt.Remove(key);
            }
        }
    }

    /// <summary>
    /// Drops delivered keys older than the maximum packet age (at most once a second): from then on
    /// a replay of them is too old anyway. The receiver refuses keys dated more than the clock skew
    /// ahead, so no entry outlives the maximum age plus that skew.
    /// </summary>
    public void ForgetExpired(DateTimeOffset now)
    {
        if (_recent.Count == 0 || now - _lastForget < TimeSpan.FromSeconds(1))
        {
            return;
        }
        _lastForget = now;
        foreach ((string name, DateTimeOffset made) in _recent)
        {
            if (now - made > _maxPacketAge)
            {
                _recent.Remove(name);
            }
        }
    }
}
