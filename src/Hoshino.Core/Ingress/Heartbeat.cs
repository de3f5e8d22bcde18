using Hoshino.Transport;

namespace Hoshino.Ingress;

/// <summary>What the last poll of the inbox found.</summary>
public enum PollOutcome
{
    /// <summary>Nothing to deliver.</summary>
    Idle,
    /// <summary>Objects were delivered.</summary>
    Work,
    /// <summary>The consumer could not keep up (the kernel refused writes, the store failed): slow down.</summary>
    Congested,
}

/// <summary>
/// Paces the ingress loop (the prototype's <c>cardio</c>): it beats at the fastest interval while work
/// keeps arriving and for <c>linger</c> after the last of it, then slows down by doubling toward the
/// slowest interval while the inbox stays empty. Congestion doubles the interval whatever was found.
/// ±10 % jitter keeps nodes that share a bucket from polling in lock-step.
/// Not thread-safe, except <see cref="Poke"/>, which any thread may call.
/// </summary>
/// <remarks>
/// Why linger: a ping every 200 ms must not find a receiver that has already slowed to ~100 ms, or
/// the hot RTT doubles. Two seconds of fast polling after traffic costs little next to that.
/// </remarks>
public sealed class Heartbeat
{
    private readonly TimeSpan _min, _max, _linger;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private TimeSpan _current;
    private long _lastWorkTimestamp;
    private int _poked;

    public Heartbeat(TimeSpan min, TimeSpan max, TimeSpan linger, TimeProvider time, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        ArgumentOutOfRangeException.ThrowIfLessThan(linger, TimeSpan.Zero);
        (_min, _max, _linger, _time, _random, _current) = (min, max, linger, time, random ?? Random.Shared, min);
        _lastWorkTimestamp = time.GetTimestamp();
    }

    /// <summary>The interval before jitter; exported as a gauge.</summary>
    public TimeSpan Interval => _current;

    public TimeSpan Min => _min;

    /// <summary>Records a poll's outcome and returns how long to wait before the next one.</summary>
    public TimeSpan Next(PollOutcome outcome)
    {
        long now = _time.GetTimestamp();
        switch (outcome)
        {
            case PollOutcome.Work:
                Volatile.Write(ref _lastWorkTimestamp, now);
                _current = _min;
                break;
            case PollOutcome.Congested:
                _current = Grow(_current);
                break;
            default:
                bool poked = Interlocked.Exchange(ref _poked, 0) != 0;
                _current = poked || _time.GetElapsedTime(Volatile.Read(ref _lastWorkTimestamp), now) < _linger ? _min : Grow(_current);
                break;
        }
        return _current * (1 - Doorbell.PollJitter + (2 * Doorbell.PollJitter * _random.NextDouble()));
    }

    /// <summary>
    /// Traffic is expected (this node just sent something, so a reply may come): beat fast again.
    /// The loop should also cut its current wait short; see <see cref="IngressPump"/>.
    /// </summary>
    public void Poke()
    {
        Volatile.Write(ref _lastWorkTimestamp, _time.GetTimestamp());
        Volatile.Write(ref _poked, 1);
    }

    private TimeSpan Grow(TimeSpan current) =>
        TimeSpan.FromTicks(Math.Clamp(current.Ticks * 2, _min.Ticks, _max.Ticks));
}
