namespace Hoshino.Diagnostics;

/// <summary>
/// Lets one log line through per interval and counts what it held back, so a failing store that
/// fails a thousand requests a second produces a readable log, not a flood (after Tailscale's
/// rate-limited logf). Thread-safe.
/// </summary>
public sealed class LogLimiter(TimeProvider time, TimeSpan interval)
{
    private long _nextAllowed;
    private long _suppressed;

    /// <summary>True when this occurrence may be logged; <paramref name="suppressed"/> is how many were held back since the last.</summary>
    public bool TryEnter(out long suppressed)
    {
        long now = time.GetTimestamp();
        long next = Volatile.Read(ref _nextAllowed);
        if (now >= next && Interlocked.CompareExchange(ref _nextAllowed, now + (long)(interval.TotalSeconds * time.TimestampFrequency), next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }
        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}
