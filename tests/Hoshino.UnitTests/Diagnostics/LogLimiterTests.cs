using Hoshino.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Hoshino.UnitTests.Diagnostics;

public sealed class LogLimiterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void TryEnter_First_AllowedWithNothingSuppressed()
    {
        var limiter = new LogLimiter(_time, TimeSpan.FromSeconds(10));

        Assert.True(limiter.TryEnter(out long suppressed));
        Assert.Equal(0, suppressed);
    }

    [Fact]
    public void TryEnter_WithinInterval_HeldBack()
    {
        var limiter = new LogLimiter(_time, TimeSpan.FromSeconds(10));
        limiter.TryEnter(out _);

        for (int i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1.9)); // 9.5 s in all
            Assert.False(limiter.TryEnter(out long suppressed));
            Assert.Equal(0, suppressed);
        }
    }

    [Fact]
    public void TryEnter_AfterInterval_AllowedAndReportsHeldBackCount()
    {
        var limiter = new LogLimiter(_time, TimeSpan.FromSeconds(10));
        limiter.TryEnter(out _);
        for (int i = 0; i < 7; i++)
        {
            limiter.TryEnter(out _);
        }

        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(limiter.TryEnter(out long suppressed));
        Assert.Equal(7, suppressed);

        // The count restarts after it was reported, and so does the interval.
        Assert.False(limiter.TryEnter(out _));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.TryEnter(out suppressed));
        Assert.Equal(1, suppressed);
    }

    [Fact]
    public void TryEnter_IntervalCountsFromLastAllowed_NotFromFirst()
    {
        var limiter = new LogLimiter(_time, TimeSpan.FromSeconds(10));
        limiter.TryEnter(out _);
        _time.Advance(TimeSpan.FromSeconds(25));
        Assert.True(limiter.TryEnter(out _));   // t = 25

        _time.Advance(TimeSpan.FromSeconds(6)); // t = 31: 6 s after the last line
        Assert.False(limiter.TryEnter(out _));
        _time.Advance(TimeSpan.FromSeconds(4)); // t = 35
        Assert.True(limiter.TryEnter(out _));
    }

    [Fact]
    public void TryEnter_ManyThreadsAtOnce_ExactlyOneAllowedAndRestCounted()
    {
        var limiter = new LogLimiter(_time, TimeSpan.FromSeconds(10));
        int allowed = 0;

        Parallel.For(0, 10_000, _ =>
        {
            if (limiter.TryEnter(out _))
            {
                Interlocked.Increment(ref allowed);
            }
        });

        Assert.Equal(1, allowed);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.TryEnter(out long suppressed));
        Assert.Equal(9_999, suppressed);
    }
}
