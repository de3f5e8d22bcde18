using Hoshino.Store;
using Microsoft.Extensions.Time.Testing;

namespace Hoshino.UnitTests.Store;

public sealed class MonotonicUlidTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 12, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void Next_ManyCallsInOneMillisecond_StrictlyIncreasingWithProviderTime()
    {
        var time = new FakeTimeProvider(Start);
        var ids = new MonotonicUlid(time);

        Ulid previous = ids.Next();
        for (int i = 0; i < 100_000; i++)
        {
            Ulid next = ids.Next();
            AssertIncreasing(previous, next);
            Assert.Equal(Start, next.Time);
            previous = next;
        }
    }

    [Fact]
    public void Next_TimeAdvancing_StrictlyIncreasingAndCarriesProviderTime()
    {
        var time = new FakeTimeProvider(Start);
        var ids = new MonotonicUlid(time);

        Ulid previous = ids.Next();
        for (int i = 0; i < 1000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(i % 3)); // 0, 1 or 2 ms: same-millisecond runs and steps
            Ulid next = ids.Next();
            AssertIncreasing(previous, next);
            Assert.Equal(TruncateToMilliseconds(time.GetUtcNow()), next.Time);
            previous = next;
        }
    }

    [Fact]
    public void Next_SubMillisecondAdvance_TimeIsWholeMilliseconds()
    {
        var time = new FakeTimeProvider(Start);
        var ids = new MonotonicUlid(time);
        time.Advance(TimeSpan.FromTicks(4_321));

        Assert.Equal(Start, ids.Next().Time);
    }

    [Fact]
    public void Next_ClockStepsBack_StillIncreasingAndTimeHeldUntilCaughtUp()
    {
        var time = new FakeTimeProvider(Start);
        var ids = new MonotonicUlid(time);
        time.Advance(TimeSpan.FromSeconds(5));
        Ulid beforeStep = ids.Next();
        DateTimeOffset held = beforeStep.Time;

        time.AdjustTime(Start); // the clock goes back five seconds
        Ulid previous = beforeStep;
        for (int i = 0; i < 1000; i++)
        {
            Ulid next = ids.Next();
            AssertIncreasing(previous, next);
            Assert.Equal(held, next.Time);
            previous = next;
        }

        time.AdjustTime(Start.AddSeconds(6)); // past the old high-water mark
        Ulid caughtUp = ids.Next();
        AssertIncreasing(previous, caughtUp);
        Assert.Equal(Start.AddSeconds(6), caughtUp.Time);
    }

    [Fact]
    public void Next_ConcurrentCallers_AllDistinctAndEachCallerIncreasing()
    {
        var time = new FakeTimeProvider(Start);
        var ids = new MonotonicUlid(time);
        const int Threads = 4, PerThread = 20_000;
        var results = new string[Threads][];

        Parallel.For(0, Threads, t =>
        {
            var mine = new string[PerThread];
            for (int i = 0; i < PerThread; i++)
            {
                mine[i] = ids.Next().ToString();
            }
            results[t] = mine;
        });

        foreach (string[] mine in results)
        {
            for (int i = 1; i < mine.Length; i++)
            {
                Assert.True(string.CompareOrdinal(mine[i - 1], mine[i]) < 0);
            }
        }
        Assert.Equal(Threads * PerThread, results.SelectMany(r => r).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Next_TwoInstances_RandomPartsDiffer()
    {
        var time = new FakeTimeProvider(Start);

        Assert.NotEqual(new MonotonicUlid(time).Next(), new MonotonicUlid(time).Next());
    }

    private static void AssertIncreasing(Ulid previous, Ulid next)
    {
        // Receivers order keys as strings, so that is the order that has to hold.
        string a = previous.ToString(), b = next.ToString();
        Assert.True(string.CompareOrdinal(a, b) < 0, $"{b} does not sort after {a}");
        Assert.True(previous.CompareTo(next) < 0);
    }

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());
}
