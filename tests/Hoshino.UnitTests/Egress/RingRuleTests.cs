using Hoshino.Egress;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Egress;

public sealed class RingRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan RingAfter = TimeSpan.FromSeconds(1);

    [Fact]
    public void Stored_FirstThenWithinRingAfterThenAfterQuietSpell_RingsFirstAndAfterQuiet()
    {
        var rule = new RingRule(RingAfter);

        Assert.True(rule.Stored(Peer16, T0));
        Assert.False(rule.Stored(Peer16, T0 + (RingAfter / 2)));
        Assert.True(rule.Stored(Peer16, T0 + (RingAfter / 2) + RingAfter + TimeSpan.FromTicks(1)));
        Assert.True(rule.Stored(OtherPeer16, T0)); // each destination has its own doorbell
    }

    [Fact]
    public void RingFailed_NextBundleRingsAgain()
    {
        var rule = new RingRule(RingAfter);
        rule.Stored(Peer16, T0);

        rule.RingFailed(Peer16);

        Assert.True(rule.Stored(Peer16, T0 + TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public void Stored_ManyDestinationsOverTime_ForgetsOldEntries()
    {
        var rule = new RingRule(RingAfter, capacity: 16);

        for (int i = 0; i < 1000; i++)
        {
            Assert.True(rule.Stored(Address(i), T0 + (RingAfter * i)));
        }

        Assert.InRange(rule.Count, 1, 17);
    }

    private static Hoshino.Packets.Address16 Address(int i) =>
        Hoshino.Packets.Address16.From(System.Net.IPAddress.Parse($"fd5e:59b8:f71d:9a3e:1::{i + 1:x}"));
}
