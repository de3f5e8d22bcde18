namespace Hoshino.UnitTests;

public sealed class BackoffTests
{
    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public void Next_NoJitter_GrowsByTheFactorFromMinUpToMax()
    {
        // The egress PUT retry's numbers: 20 ms doubling to 2 s.
        var backoff = new Backoff(Ms(20), TimeSpan.FromSeconds(2));

        TimeSpan[] waits = [.. Enumerable.Range(0, 10).Select(_ => backoff.Next())];

        Assert.Equal([Ms(20), Ms(40), Ms(80), Ms(160), Ms(320), Ms(640), Ms(1280), Ms(2000), Ms(2000), Ms(2000)], waits);
    }

    [Fact]
    public void Current_BeforeEachNext_IsTheWaitNextReturnsWithoutJitter()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        for (int i = 0; i < 8; i++)
        {
            TimeSpan current = backoff.Current;
            Assert.Equal(current, backoff.Next());
        }
        Assert.Equal(TimeSpan.FromSeconds(30), backoff.Current);
    }

    [Fact]
    public void Next_NonIntegerFactor_GrowsByIt()
    {
        var backoff = new Backoff(Ms(10), Ms(50), factor: 1.5);

        Assert.Equal([Ms(10), Ms(15), Ms(22.5), Ms(33.75), Ms(50), Ms(50)], Enumerable.Range(0, 6).Select(_ => backoff.Next()));
    }

    [Fact]
    public void Next_FactorOne_WaitsMinEachTime()
    {
        var backoff = new Backoff(Ms(5), Ms(100), factor: 1);

        Assert.All(Enumerable.Range(0, 5).Select(_ => backoff.Next()), wait => Assert.Equal(Ms(5), wait));
    }

    [Theory]
    [InlineData(0.0, 0.75)]    // the lowest draw: 1 - jitter
    [InlineData(0.5, 1.0)]
    [InlineData(0.999, 1.2495)]
    public void Next_Jitter_ScalesCurrentByOneMinusJitterPlusTwiceJitterTimesTheDraw(double draw, double scale)
    {
        var backoff = new Backoff(Ms(400), TimeSpan.FromSeconds(2), factor: 2, jitter: 0.25, new FixedRandom(draw));

        TimeSpan first = backoff.Next();
        TimeSpan second = backoff.Next();

        Assert.Equal(Ms(400) * scale, first);
        Assert.Equal(Ms(800) * scale, second);   // growth follows the un-jittered wait
        Assert.Equal(Ms(1600), backoff.Current);
    }

    [Fact]
    public void Next_Jitter_EveryWaitWithinTheBandAndBothSidesOfCurrent()
    {
        var backoff = new Backoff(Ms(100), Ms(100), factor: 2, jitter: 0.25, new Random(12345));

        TimeSpan[] waits = [.. Enumerable.Range(0, 1000).Select(_ => backoff.Next())];

        Assert.All(waits, wait => Assert.InRange(wait, Ms(75), Ms(125)));
        Assert.Contains(waits, wait => wait < Ms(90));
        Assert.Contains(waits, wait => wait > Ms(110));
    }

    [Fact]
    public void Next_NoJitter_DrawsNoRandomNumber()
    {
        var backoff = new Backoff(Ms(1), Ms(8), random: new ThrowingRandom());

        Assert.Equal(Ms(1), backoff.Next());
        Assert.Equal(Ms(2), backoff.Next());
    }

    [Fact]
    public void Reset_AfterGrowth_StartsAgainFromMin()
    {
        var backoff = new Backoff(Ms(20), TimeSpan.FromSeconds(2));
        for (int i = 0; i < 5; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.Equal(Ms(20), backoff.Current);
        Assert.Equal(Ms(20), backoff.Next());
        Assert.Equal(Ms(40), backoff.Next());
    }

    [Fact]
    public void Next_NoCeilingAndJitter_SaturatesAtMaxValueWithoutOverflow()
    {
        var backoff = new Backoff(TimeSpan.FromDays(1), TimeSpan.MaxValue, factor: 2, jitter: 0.25, new FixedRandom(0.999));

        TimeSpan last = TimeSpan.Zero;
        for (int i = 0; i < 80; i++)
        {
            last = backoff.Next();
        }

        Assert.Equal(TimeSpan.MaxValue, backoff.Current);
        Assert.Equal(TimeSpan.MaxValue, last);
    }

    [Fact]
    public void Next_ZeroMin_WaitsZero()
    {
        var backoff = new Backoff(TimeSpan.Zero, Ms(10));

        Assert.Equal(TimeSpan.Zero, backoff.Next());
        Assert.Equal(TimeSpan.Zero, backoff.Next());
    }

    [Fact]
    public void New_NonsenseArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Ms(-1), Ms(10)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Ms(10), Ms(5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Ms(1), Ms(10), factor: 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Ms(1), Ms(10), jitter: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Ms(1), Ms(10), jitter: 1));
    }

    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }

    private sealed class ThrowingRandom : Random
    {
        public override double NextDouble() => throw new InvalidOperationException("no jitter was asked for");
    }
}
