namespace Hoshino.Peers;

/// <summary>Why a directory record was not taken. A closed set: each is a metric label.</summary>
public enum DirectoryRejectReason
{
    /// <summary>Taken (not a rejection).</summary>
    None,
    /// <summary>The key is not <c>directory/{address}</c> with an address of this network in canonical form.</summary>
    BadKey,
    /// <summary>Not a record: no magic, truncated, not UTF-8, missing or repeated fields, bad numbers.</summary>
    Malformed,
    /// <summary>A record format version or flag this node does not know.</summary>
    UnknownVersion,
    /// <summary>Larger than <see cref="PeerRecordFormat.MaxBytes"/> (seen in the listing: never fetched).</summary>
    TooLarge,
    /// <summary>The address in the body is not the address in the key.</summary>
    WrongAddress,
    /// <summary>The name is not a lower-case DNS label.</summary>
    BadName,
    /// <summary>Started later than the store says the record was written, or than this node's clock allows.</summary>
    FutureTime,
    /// <summary>Sealed, and this node has no network key.</summary>
    Sealed,
    /// <summary>Not sealed, and this network has a key: anyone with write access could have written it.</summary>
    Unsealed,
    /// <summary>Sealed, but does not open with this node's key: another key, altered, or copied from another record's key.</summary>
    AuthFailed,
    /// <summary>The store refused to hand it out (not a transient error).</summary>
    Unreadable,
    /// <summary>Beyond the cap on records kept (<see cref="DirectoryView.MaxEntries"/>); counted once per read.</summary>
    OverCap,
}
