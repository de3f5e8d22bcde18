namespace Hoshino;

/// <summary>
/// Exponential backoff for a retry loop: the first wait is <c>min</c>, each later one <c>factor</c>
/// times the one before, at most <c>max</c>, each scaled by a random factor in
/// [1 − <c>jitter</c>, 1 + <c>jitter</c>) so that nodes failing together do not retry in lock-step.
/// Pure: no clock, the randomness injectable. A struct so that a loop on a hot path (a PUT) keeps it
/// in a local without allocating; not thread-safe, and copies advance separately.
/// </summary>
/// <remarks>
/// <see cref="Current"/> is the un-jittered wait the next <see cref="Next"/> starts from, for a loop
/// that decides (is the packet still young enough?) or logs before it waits.
/// </remarks>
internal struct Backoff
{
    private readonly TimeSpan _min, _max;
    private readonly double _factor, _jitter;
    private readonly Random _random;
    private TimeSpan _current;

    public Backoff(TimeSpan min, TimeSpan max, double factor = 2, double jitter = 0, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1.0);
        ArgumentOutOfRangeException.ThrowIfNegative(jitter);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(jitter, 1.0);
        (_min, _max, _factor, _jitter, _random, _current) = (min, max, factor, jitter, random ?? Random.Shared, min);
    }

    /// <summary>The next wait before jitter.</summary>
    public readonly TimeSpan Current => _current;

    /// <summary>Returns the next wait, jittered, and grows the one after it.</summary>
    public TimeSpan Next()
    {
        TimeSpan wait = _current;
        if (_jitter != 0)   // without jitter no random number is drawn, and the wait is Current exactly
        {
            double scale = 1 - _jitter + 2 * _jitter * _random.NextDouble();
            wait = _current.Ticks * scale >= long.MaxValue ? TimeSpan.MaxValue : _current * scale;
        }
        double grown = _current.Ticks * _factor;
        _current = grown >= _max.Ticks ? _max : TimeSpan.FromTicks((long)grown);
        return wait;
    }

    /// <summary>Starts again from <c>min</c>, e.g. after a success.</summary>
    public void Reset() => _current = _min;
}
