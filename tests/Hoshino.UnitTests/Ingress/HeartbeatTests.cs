using Hoshino.Ingress;
using Microsoft.Extensions.Time.Testing;

namespace Hoshino.UnitTests.Ingress;

public sealed class HeartbeatTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private Heartbeat Create(TimeSpan? linger = null) => new(Min, Max, linger ?? Linger, _time, new Random(12345));

    [Fact]
    public void Interval_New_IsMin()
    {
        Assert.Equal(Min, Create().Interval);
    }

    [Fact]
    public void Next_Work_ReturnsMinWithJitter()
    {
        Heartbeat heartbeat = Create();
        heartbeat.Next(PollOutcome.Congested);
        heartbeat.Next(PollOutcome.Congested);

        TimeSpan wait = heartbeat.Next(PollOutcome.Work);

        Assert.Equal(Min, heartbeat.Interval);
        AssertWithinJitter(Min, wait);
    }

    [Fact]
    public void Next_IdleWithinLinger_StaysAtMin()
    {
        Heartbeat heartbeat = Create();
        heartbeat.Next(PollOutcome.Work);

        for (int i = 0; i < 100; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(19)); // 1.9 s in all: still inside the linger
            AssertWithinJitter(Min, heartbeat.Next(PollOutcome.Idle));
            Assert.Equal(Min, heartbeat.Interval);
        }
    }

    [Fact]
    public void Next_IdleAfterLinger_DoublesUpToMaxAndStays()
    {
        Heartbeat heartbeat = Create();
        heartbeat.Next(PollOutcome.Work);
        _time.Advance(Linger);

        var intervals = new List<TimeSpan>();
        for (int i = 0; i < 30; i++)
        {
            TimeSpan wait = heartbeat.Next(PollOutcome.Idle);
            intervals.Add(heartbeat.Interval);
            Assert.InRange(heartbeat.Interval, Min, Max);
            AssertWithinJitter(heartbeat.Interval, wait);
            Assert.True(wait <= Max * 1.1, $"wait {wait} exceeds max plus jitter");
        }

        Assert.Equal(TimeSpan.FromMilliseconds(2), intervals[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(4), intervals[1]);
        Assert.Equal(TimeSpan.FromMilliseconds(8), intervals[2]);
        Assert.Equal(TimeSpan.FromMilliseconds(256), intervals[7]);
        Assert.Equal(Max, intervals[8]);
        Assert.All(intervals.Skip(8), i => Assert.Equal(Max, i));
    }

    [Fact]
    public void Next_IdleWithZeroLinger_DoublesAtOnce()
    {
        Heartbeat heartbeat = Create(linger: TimeSpan.Zero);
        heartbeat.Next(PollOutcome.Work);

        heartbeat.Next(PollOutcome.Idle);

        Assert.Equal(Min * 2, heartbeat.Interval);
    }

    [Fact]
    public void Next_CongestedRightAfterWork_DoublesAnyway()
    {
        Heartbeat heartbeat = Create();
        heartbeat.Next(PollOutcome.Work);

        heartbeat.Next(PollOutcome.Congested);
        Assert.Equal(Min * 2, heartbeat.Interval);
        heartbeat.Next(PollOutcome.Congested);
        Assert.Equal(Min * 4, heartbeat.Interval);

        for (int i = 0; i < 20; i++)
        {
            Assert.True(heartbeat.Next(PollOutcome.Congested) <= Max * 1.1);
        }
        Assert.Equal(Max, heartbeat.Interval);
    }

    [Fact]
    public void Next_WorkAfterSlowdown_BackToMinAtOnce()
    {
        Heartbeat heartbeat = Create();
        _time.Advance(TimeSpan.FromMinutes(1));
        for (int i = 0; i < 20; i++)
        {
            heartbeat.Next(PollOutcome.Idle);
        }
        Assert.Equal(Max, heartbeat.Interval);

        heartbeat.Next(PollOutcome.Work);

        Assert.Equal(Min, heartbeat.Interval);
    }

    [Fact]
    public void Poke_IdleAtMax_NextIdleBeatIsMin()
    {
        Heartbeat heartbeat = Create();
        _time.Advance(TimeSpan.FromMinutes(1));
        for (int i = 0; i < 20; i++)
        {
            heartbeat.Next(PollOutcome.Idle);
        }
        Assert.Equal(Max, heartbeat.Interval);

        heartbeat.Poke();
        TimeSpan wait = heartbeat.Next(PollOutcome.Idle);

        Assert.Equal(Min, heartbeat.Interval);
        AssertWithinJitter(Min, wait);

        // The poke starts a fresh linger, after which idling slows down again.
        _time.Advance(Linger);
        heartbeat.Next(PollOutcome.Idle);
        Assert.Equal(Min * 2, heartbeat.Interval);
    }

    [Fact]
    public async Task Poke_FromAnotherThread_Observed()
    {
        Heartbeat heartbeat = Create();
        _time.Advance(TimeSpan.FromMinutes(1));
        heartbeat.Next(PollOutcome.Idle);

        await Task.Run(heartbeat.Poke, TestContext.Current.CancellationToken);
        heartbeat.Next(PollOutcome.Idle);

        Assert.Equal(Min, heartbeat.Interval);
    }

    [Fact]
    public void Next_ManyBeats_JitterWithinTenPercentAndActuallyVaries()
    {
        var heartbeat = new Heartbeat(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), TimeSpan.Zero, _time, new Random(99));
        double lowest = double.MaxValue, highest = double.MinValue;

        for (int i = 0; i < 10_000; i++)
        {
            double ratio = heartbeat.Next((PollOutcome)(i % 3)) / TimeSpan.FromMilliseconds(100);
            Assert.InRange(ratio, 0.9, 1.1);
            lowest = Math.Min(lowest, ratio);
            highest = Math.Max(highest, ratio);
        }

        Assert.True(lowest < 0.91, $"lowest {lowest}");
        Assert.True(highest > 1.09, $"highest {highest}");
    }

    [Fact]
    public void Next_SameSeed_SameSequence()
    {
        var a = new Heartbeat(Min, Max, Linger, _time, new Random(5));
        var b = new Heartbeat(Min, Max, Linger, _time, new Random(5));

        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(a.Next(PollOutcome.Congested), b.Next(PollOutcome.Congested));
        }
    }

    [Fact]
    public void Constructor_BadBounds_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Heartbeat(TimeSpan.Zero, Max, Linger, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Heartbeat(TimeSpan.FromMilliseconds(-1), Max, Linger, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Heartbeat(Max, Min, Linger, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Heartbeat(Min, Max, TimeSpan.FromSeconds(-1), _time));
    }

    [Fact]
    public void Next_MinEqualsMax_AlwaysThatInterval()
    {
        var heartbeat = new Heartbeat(Max, Max, TimeSpan.Zero, _time, new Random(1));

        foreach (PollOutcome outcome in Enum.GetValues<PollOutcome>())
        {
            heartbeat.Next(outcome);
            Assert.Equal(Max, heartbeat.Interval);
        }
    }

    private static void AssertWithinJitter(TimeSpan expected, TimeSpan actual) =>
        Assert.InRange(actual, expected * 0.9, expected * 1.1);
}
