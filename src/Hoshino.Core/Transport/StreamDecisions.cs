namespace Hoshino.Transport;

/// <summary>Why the ledger refuses a name. Each refused object is deleted unread (or unwritten) and never delivered.</summary>
public enum StreamReject
{
    /// <summary>The stream has handled this number already: our own delete failed or is still in flight, or a copy. Not an error.</summary>
    Duplicate,
    /// <summary>A number the stream passed longer ago than its replay window, or of a retired stream: too late, or a replay.</summary>
    Replay,
    /// <summary>Further past the stream's cursor than any honest sender gets (<see cref="StreamLedgerOptions.FarAhead"/>), or at <see cref="StreamLedger{TBody}.SequenceLimit"/>.</summary>
    TooFarAhead,
    /// <summary>The epoch is dated further ahead than clock skew explains.</summary>
    EpochTooNew,
    /// <summary>An epoch older than the sender's newest one, appearing long after it: not a PUT of a restarted sender still in flight.</summary>
    StaleEpoch,
    /// <summary>The sender has <see cref="StreamLedgerOptions.MaxEpochsPerSource"/> newer epochs.</summary>
    TooManyEpochs,
    /// <summary>The ledger holds <see cref="StreamLedgerOptions.MaxStreams"/> streams and none is retired.</summary>
    TooManyStreams,
}

/// <summary>An object to write to the kernel: its packets, in the order the ledger hands them out.</summary>
public readonly record struct StreamDelivery<TBody>(StreamKey Key, TBody Body);

/// <summary>A refused name and why.</summary>
public readonly record struct StreamRejection(StreamKey Key, StreamReject Reason);

/// <summary>
/// What the loop does next, from <see cref="StreamLedger{TBody}.Next"/>:
/// start <see cref="Gets"/> (and report each one back exactly once);
/// write <see cref="Deliveries"/> in order; then delete <see cref="Deletes"/> (the delivered names
/// and every refused or invalid one: nothing is deleted before it was written);
/// count <see cref="Rejects"/>; and call <c>Next</c> again by <see cref="WakeAt"/> at the latest,
/// or at once after any event.
/// </summary>
public sealed class StreamDecisions<TBody>
{
    internal StreamDecisions(List<StreamKey> gets, List<StreamDelivery<TBody>> deliveries, List<StreamKey> deletes,
        List<StreamRejection> rejects, DateTimeOffset? wakeAt)
    {
        Gets = gets;
        Deliveries = deliveries;
        Deletes = deletes;
        Rejects = rejects;
        WakeAt = wakeAt;
    }

    /// <summary>Names to GET now, most urgent first. A 404 is <c>Missing</c>, and so is a 403 (under the least-privilege policy a GET of a missing key is refused, ADR 0010).</summary>
    public IReadOnlyList<StreamKey> Gets { get; }

    /// <summary>Objects to write, each stream's in sequence order (late ones, skipped before, as they come).</summary>
    public IReadOnlyList<StreamDelivery<TBody>> Deliveries { get; }

    /// <summary>Names to delete once <see cref="Deliveries"/> are written.</summary>
    public IReadOnlyList<StreamKey> Deletes { get; }

    /// <summary>Names refused by the ledger (all of them also in <see cref="Deletes"/>).</summary>
    public IReadOnlyList<StreamRejection> Rejects { get; }

    /// <summary>When a hole's bound or a retry falls due with no event before it; null when only an event can change anything.</summary>
    public DateTimeOffset? WakeAt { get; }

    public bool IsEmpty => Gets.Count == 0 && Deliveries.Count == 0 && Deletes.Count == 0;
}
