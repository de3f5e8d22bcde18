using System.Net;
using Hoshino.Packets;

namespace Hoshino.Peers;

/// <summary>Two addresses claim one name; every node picks the same <paramref name="Winner"/> (the older start, then the lower address).</summary>
public sealed record NameConflict(string Name, PeerRecord Winner, PeerRecord Loser);

/// <summary>
/// One read of the directory, resolved: every record (both sides of a conflict included, for
/// status), the record each name and address answers with, and the conflicts. Immutable, so the
/// readers (DNS, the control socket) share it without locks. Pure: the caller says what is fresh.
/// </summary>
public sealed class PeerSet
{
    private readonly Dictionary<string, PeerRecord> _byName;
    private readonly Dictionary<Address16, PeerRecord> _byAddress;

    private PeerSet(IReadOnlyList<PeerRecord> peers, Dictionary<string, PeerRecord> byName, Dictionary<Address16, PeerRecord> byAddress,
        IReadOnlyList<NameConflict> conflicts)
    {
        Peers = peers;
        _byName = byName;
        _byAddress = byAddress;
        Conflicts = conflicts;
    }

    public static PeerSet Empty { get; } = Of([]);

    /// <summary>Every record, in name order (a name's winner first), then by address.</summary>
    public IReadOnlyList<PeerRecord> Peers { get; }

    /// <summary>Names claimed by more than one address, with the record that answers for each.</summary>
    public IReadOnlyList<NameConflict> Conflicts { get; }

    /// <summary>
    /// Resolves <paramref name="records"/> (one per address; a repeated address keeps its first):
    /// of the addresses that claim one name, the one that started first answers, ties going to the
    /// lower address. Deterministic, so every node answers alike whatever order it read the records in.
    /// </summary>
    public static PeerSet Of(IEnumerable<PeerRecord> records)
    {
        var byAddress = new Dictionary<Address16, PeerRecord>();
        foreach (PeerRecord record in records)
        {
            byAddress.TryAdd(Address16.From(record.Address), record);
        }
        PeerRecord[] sorted = [.. byAddress.Values.Order(Precedence)];
        var byName = new Dictionary<string, PeerRecord>(StringComparer.Ordinal);
        var conflicts = new List<NameConflict>();
        foreach (PeerRecord record in sorted)
        {
            if (!byName.TryAdd(record.Name, record))
            {
                conflicts.Add(new NameConflict(record.Name, byName[record.Name], record));
            }
        }
        return new PeerSet(sorted, byName, byAddress, conflicts);
    }

    /// <summary>The record answering for <paramref name="name"/> (ASCII case-insensitive; anything else matches nothing), or null.</summary>
    public PeerRecord? Find(string name) => ToLowerAscii(name) is { } lower && _byName.TryGetValue(lower, out PeerRecord? record) ? record : null;

    /// <summary>The record of <paramref name="address"/>, or null.</summary>
    public PeerRecord? Find(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && _byAddress.TryGetValue(Address16.From(address), out PeerRecord? record)
            ? record
            : null;

    /// <summary>Name, then the older start, then the lower address: a name's winner sorts first.</summary>
    private static readonly Comparer<PeerRecord> Precedence = Comparer<PeerRecord>.Create((a, b) =>
    {
        int byName = string.CompareOrdinal(a.Name, b.Name);
        if (byName != 0)
        {
            return byName;
        }
        int byStart = a.Started.CompareTo(b.Started);
        if (byStart != 0)
        {
            return byStart;
        }
        Address16 x = Address16.From(a.Address), y = Address16.From(b.Address);
        return x.High != y.High ? x.High.CompareTo(y.High) : x.Low.CompareTo(y.Low);
    });

    // Only ASCII folds: a resolver's "İ" or Kelvin sign must not match a name of plain letters.
    private static string? ToLowerAscii(string name)
    {
        if (name.Length is 0 or > PeerName.MaxLength)
        {
            return null;
        }
        return string.Create(name.Length, name, (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
            }
        });
    }
}
