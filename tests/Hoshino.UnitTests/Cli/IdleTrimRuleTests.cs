using Hoshino.Cli.Hosting;

namespace Hoshino.UnitTests.Cli;

public sealed class IdleTrimRuleTests
{
    private const long MiB = 1 << 20;
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    private static IdleTrimRule NewRule() => new(Quiet, 32 * MiB);

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void ShouldTrim_QuietLongEnoughAfterAllocation_TrimsOnce()
    {
        IdleTrimRule rule = NewRule();
        Assert.False(rule.ShouldTrim(packets: 100, allocatedBytes: 10 * MiB, At(0)));
        Assert.False(rule.ShouldTrim(500, 200 * MiB, At(1))); // traffic: packets moved
        Assert.False(rule.ShouldTrim(500, 201 * MiB, At(3.9))); // quiet 2.9 s

        Assert.True(rule.ShouldTrim(500, 201 * MiB, At(4)));   // quiet 3 s
        Assert.False(rule.ShouldTrim(500, 240 * MiB, At(5)));  // once per quiet spell, however much is allocated meanwhile
        Assert.False(rule.ShouldTrim(500, 300 * MiB, At(600)));
    }

    [Fact]
    public void ShouldTrim_TrafficKeepsMoving_NeverTrims()
    {
        IdleTrimRule rule = NewRule();
        for (int second = 0; second < 60; second++)
        {
            Assert.False(rule.ShouldTrim(packets: second, allocatedBytes: second * 100 * MiB, At(second)));
        }
    }

    [Fact]
    public void ShouldTrim_LittleAllocatedSinceTheLastTrim_WaitsUntilEnough()
    {
        IdleTrimRule rule = NewRule();
        rule.ShouldTrim(0, 0, At(0));
        Assert.True(rule.ShouldTrim(0, 40 * MiB, At(3)));  // start-up's allocation, then quiet
        rule.ShouldTrim(5, 41 * MiB, At(10));               // a few pings
        Assert.False(rule.ShouldTrim(5, 41 * MiB, At(14))); // quiet, but 1 MiB since the trim: nothing worth returning

        // The idle node's own polling adds up; the same quiet spell trims once it is worth it.
        Assert.False(rule.ShouldTrim(5, (40 + 31) * MiB, At(300)));
        Assert.True(rule.ShouldTrim(5, (40 + 32) * MiB, At(400)));
    }

    [Fact]
    public void ShouldTrim_TrafficAfterATrim_StartsANewQuietSpell()
    {
        IdleTrimRule rule = NewRule();
        rule.ShouldTrim(10, 0, At(0));
        Assert.True(rule.ShouldTrim(10, 50 * MiB, At(3)));

        Assert.False(rule.ShouldTrim(20, 120 * MiB, At(10))); // a second transfer
        Assert.False(rule.ShouldTrim(20, 120 * MiB, At(12)));
        Assert.True(rule.ShouldTrim(20, 120 * MiB, At(13)));
    }

    [Fact]
    public void ShouldTrim_FirstSample_IsNotQuietYet()
    {
        IdleTrimRule rule = NewRule();
        // Whatever the counters say at the first sample, the quiet spell starts there.
        Assert.False(rule.ShouldTrim(0, 500 * MiB, At(100)));
        Assert.True(rule.ShouldTrim(0, 500 * MiB, At(103)));
    }

    [Fact]
    public void Constructor_NonPositiveQuietOrNegativeAllocation_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new IdleTrimRule(TimeSpan.Zero, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IdleTrimRule(Quiet, -1));
    }

    [Fact]
    public void NewRule_TheHostsSettings_ThreeSecondsAnd32MiB()
    {
        IdleTrimRule rule = IdleMemory.NewRule();
        Assert.Equal(TimeSpan.FromSeconds(3), rule.QuietFor);
        Assert.Equal(32 * MiB, rule.MinAllocatedBytes);
    }
}
