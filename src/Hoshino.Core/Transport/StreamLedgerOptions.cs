namespace Hoshino.Transport;

/// <summary>
/// Bounds and timings of a <see cref="StreamLedger{TBody}"/>. Every collection the ledger keeps is
/// bounded by one of these; the defaults and their reasons are in docs/adr/0010-transport-v2.md.
/// </summary>
public sealed class StreamLedgerOptions
{
    /// <summary>Streams remembered in all, live and retired; a new one beyond this displaces the longest-retired, else is refused.</summary>
    public int MaxStreams { get; init; } = 1024;

    /// <summary>Streams (epochs) remembered per sender: the newest win. A sender restarts; it does not run four copies of itself.</summary>
    public int MaxEpochsPerSource { get; init; } = 4;

    /// <summary>Names known from listings but not fetched yet, in all; more stay in the store for a later listing.</summary>
    public int MaxKnown { get; init; } = 4096;

    /// <summary>GETs in flight at once, in all (as v1's window: 16).</summary>
    public int MaxGetsInFlight { get; init; } = 16;

    /// <summary>Fetched objects held for in-order delivery; no new GET starts beyond this.</summary>
    public int MaxBuffered { get; init; } = 256;

    /// <summary>Bytes of fetched objects held for in-order delivery; no new GET starts beyond this (as v1: 8 MiB).</summary>
    public long MaxBufferedBytes { get; init; } = 8 << 20;

    /// <summary>Largest number of speculative GETs ahead of what a flowing stream is known to hold (the sender's window at most).</summary>
    public int MaxAhead { get; init; } = 8;

    /// <summary>A name further than this past its stream's cursor is refused: no honest sender gets there (its window is 16 at most).</summary>
    public long FarAhead { get; init; } = 4096;

    /// <summary>
    /// How long a fetched object waits for a missing predecessor before the hole is skipped (and
    /// counted); the skipped object is still delivered, once, if it turns up within the replay
    /// window. The node sets it from measured PUT latency (ADR 0010: min(max packet age,
    /// max(20 ms, 4 × PUT p99))); 250 ms until it has measured.
    /// </summary>
    public TimeSpan HoleBound { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How soon a hole's name (a later one exists) is asked for again after a 404; doubled after each failed GET.</summary>
    public TimeSpan HoleRetry { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>A GET that failed this many times in a row is given up; the object stays in the store for a later listing.</summary>
    public int MaxFetchFailures { get; init; } = 3;

    /// <summary>A stream with nothing pending for this long is retired: only its cursor is kept, against replays.</summary>
    public TimeSpan RetireAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>An epoch dated further ahead of this node's clock is refused (as v1's ULIDs: <c>too_new</c>).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after a sender's newest epoch first appeared an older, unknown epoch of it is still
    /// taken: a sender's PUTs still in flight when it restarted land within its packet age.
    /// </summary>
    public TimeSpan EpochGrace { get; init; } = TimeSpan.FromSeconds(60);
}
