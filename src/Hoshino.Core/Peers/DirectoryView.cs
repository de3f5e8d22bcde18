using System.Net;
using Hoshino.Store;

namespace Hoshino.Peers;

/// <summary>
/// What one node knows of the directory between reads: each listed record's tag, size and
/// Last-Modified, and what its body said (or why it was refused). Given a listing, it says which
/// records to fetch: only those whose tag or size changed, since a renewal rewrites the same bytes
/// and keeps the tag. So an idle directory costs one LIST a read, however many nodes it holds.
/// Bounded: at most <see cref="MaxEntries"/> entries. Pure (no store, no clock); not thread-safe,
/// one per read loop.
/// </summary>
public sealed class DirectoryView(IPNetwork network)
{
    /// <summary>The cap on records kept (and listed): room for a 10,000-node network, a few MB at most.</summary>
    public const int MaxEntries = 16_384;

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(string? Tag, long Size, DateTimeOffset? Modified, PeerStatement? Statement);

    /// <summary>Entries held (records taken and refused alike).</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Takes a listing of <see cref="PeerRecordFormat.Prefix"/>: forgets records no longer listed,
    /// notes the new Last-Modified of unchanged ones, and returns what to fetch, and the refusals
    /// the listing alone decides (a key that is no record's, a size over the bound), each once per
    /// version of the object. Entries past <see cref="MaxEntries"/> are ignored (<paramref name="overCap"/>).
    /// </summary>
    public IReadOnlyList<StoredObject> Plan(IReadOnlyList<StoredObject> listing, out List<DirectoryRejectReason> refused, out bool overCap)
    {
        refused = [];
        overCap = listing.Count > MaxEntries;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var fetch = new List<StoredObject>();
        foreach (StoredObject item in listing.Take(MaxEntries))
        {
            if (!listed.Add(item.Key))
            {
                continue;
            }
            if (_entries.TryGetValue(item.Key, out Entry? known) && known.Tag is not null && known.Tag == item.Tag && known.Size == item.Size)
            {
                _entries[item.Key] = known with { Modified = item.Modified };
                continue;
            }
            DirectoryRejectReason early = PeerRecordFormat.AddressOf(item.Key, network) is null ? DirectoryRejectReason.BadKey
                : item.Size > PeerRecordFormat.MaxBytes ? DirectoryRejectReason.TooLarge
                : DirectoryRejectReason.None;
            if (early != DirectoryRejectReason.None)
            {
                _entries[item.Key] = new Entry(item.Tag, item.Size, item.Modified, null);
                refused.Add(early);
                continue;
            }
            _entries.Remove(item.Key); // until fetched: a record whose new version cannot be read is not served in its old one
            fetch.Add(item);
        }
        foreach (string gone in _entries.Keys.Where(k => !listed.Contains(k)).ToList())
        {
            _entries.Remove(gone);
        }
        return fetch;
    }

    /// <summary>
    /// Records what the fetch of <paramref name="listed"/> found (<see cref="PeerRecordFormat.Decode"/>'s
    /// answer, or a refusal of the store's); returns the reason it counts as refused, if it does. A
    /// start later than the store's Last-Modified (beyond <paramref name="skew"/>) is refused here.
    /// A fetch that failed transiently is not recorded: the next read fetches it again.
    /// </summary>
    public DirectoryRejectReason Fetched(StoredObject listed, PeerStatement? statement, DirectoryRejectReason reason, TimeSpan skew)
    {
        if (statement is not null && listed.Modified is { } modified && statement.Started > modified + skew)
        {
            (statement, reason) = (null, DirectoryRejectReason.FutureTime);
        }
        if (_entries.Count < MaxEntries || _entries.ContainsKey(listed.Key))
        {
            _entries[listed.Key] = new Entry(listed.Tag, listed.Size, listed.Modified, statement);
        }
        return statement is null ? reason : DirectoryRejectReason.None;
    }

    /// <summary>
    /// The records renewed within <paramref name="freshFor"/> of <paramref name="now"/> by the
    /// store's clock, with <paramref name="self"/> (this node, always fresh) in place of the
    /// bucket's copy of its own record. A record the store gave no Last-Modified is never fresh.
    /// </summary>
    public PeerSet Snapshot(DateTimeOffset now, TimeSpan freshFor, PeerRecord? self)
    {
        IEnumerable<PeerRecord> fresh = _entries.Values
            .Where(e => e.Statement is not null && e.Modified is { } m && now - m < freshFor)
            .Where(e => self is null || !e.Statement!.Address.Equals(self.Address))
            .Select(e => new PeerRecord(e.Statement!.Name, e.Statement.Address, e.Statement.Version, e.Statement.Started, e.Statement.Sealed,
                e.Modified!.Value));
        return PeerSet.Of(self is null ? fresh : fresh.Prepend(self));
    }
}
