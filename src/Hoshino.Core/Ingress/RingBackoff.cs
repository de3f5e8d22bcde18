namespace Hoshino.Ingress;

/// <summary>
/// Decides whether an idle node answers a ring of its doorbell with a LIST. Anyone who may write to
/// the bucket may ring, so a ring is a hint, not an order: after a ring whose LIST delivered
/// nothing, further rings are ignored for a while that doubles from <c>min</c> (the idle poll
/// interval) to <c>max</c> (the longest gap between LISTs anyway); a ring that delivers packets
/// resets it. A node rung with junk therefore lists about once per <c>max</c>, as it would idle,
/// and a real sender's ring during such a spell is heard at most <c>max</c> late. Pure and
/// clock-free. Not thread-safe: the polling loop owns it.
/// </summary>
internal sealed class RingBackoff(TimeSpan min, TimeSpan max)
{
    private TimeSpan _current = TimeSpan.Zero;
    private DateTimeOffset _quietUntil = DateTimeOffset.MinValue;

    /// <summary>How long rings are ignored after the last useless one; zero when rings are trusted.</summary>
    public TimeSpan Current => _current;

    /// <summary>True when a ring heard at <paramref name="now"/> should be answered with a LIST.</summary>
    public bool Answers(DateTimeOffset now) => now >= _quietUntil;

    /// <summary>Records what the LIST that answered a ring found.</summary>
    public void Answered(bool delivered, DateTimeOffset now)
    {
        if (delivered)
        {
            _current = TimeSpan.Zero;
            _quietUntil = DateTimeOffset.MinValue;
            return;
        }
        _current = _current == TimeSpan.Zero ? min : TimeSpan.FromTicks(Math.Min(max.Ticks, _current.Ticks * 2));
        _quietUntil = now + _current;
    }
}
