namespace Hoshino.Cli.Hosting;

/// <summary>
/// When a node should give memory back: once no packet has moved, either way, for
/// <see cref="QuietFor"/>, and at least <see cref="MinAllocatedBytes"/> were allocated since the
/// last trim; once per quiet spell. Traffic, not the ingress heartbeat, is the signal: a v2 node
/// reads its peers' streams by name and its heartbeat stays at --poll-max through a bulk transfer,
/// so a trim tied to the heartbeat never ran after one (bench/RESULTS.md, 2026-12-02: sender idle
/// RSS 133–139 MiB). Pure: the caller samples the counters and the clock.
/// </summary>
internal sealed class IdleTrimRule
{
    private long _packets = -1;
    private TimeSpan _lastMoved;
    private long _allocatedAtTrim;
    private bool _trimmedThisSpell;

    /// <param name="quietFor">How long no packet must have moved.</param>
    /// <param name="minAllocatedBytes">Below this much allocation since the last trim (pings, scrapes) there is nothing worth returning.</param>
    public IdleTrimRule(TimeSpan quietFor, long minAllocatedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(quietFor, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(minAllocatedBytes);
        QuietFor = quietFor;
        MinAllocatedBytes = minAllocatedBytes;
    }

    public TimeSpan QuietFor { get; }

    public long MinAllocatedBytes { get; }

    /// <summary>
    /// One sample: <paramref name="packets"/> moved so far (both directions), <paramref name="allocatedBytes"/>
    /// so far (<see cref="GC.GetTotalAllocatedBytes"/>), at <paramref name="now"/> (monotonic). True: trim now.
    /// </summary>
    public bool ShouldTrim(long packets, long allocatedBytes, TimeSpan now)
    {
        if (packets != _packets)
        {
            _packets = packets;
            _lastMoved = now;
            _trimmedThisSpell = false;
            return false;
        }
        if (_trimmedThisSpell || now - _lastMoved < QuietFor || allocatedBytes - _allocatedAtTrim < MinAllocatedBytes)
        {
            return false;
        }
        _trimmedThisSpell = true;
        _allocatedAtTrim = allocatedBytes;
        return true;
    }
}
