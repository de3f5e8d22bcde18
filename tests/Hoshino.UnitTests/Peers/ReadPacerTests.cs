using Hoshino.Peers;

namespace Hoshino.UnitTests.Peers;

public sealed class ReadPacerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData(0, 0, 1.0)]          // an empty directory: one LIST
    [InlineData(10, 0, 1.0)]
    [InlineData(10, 10, 1.8)]        // ten GETs cost 0.08 of a LIST each
    [InlineData(10_000, 0, 10.0)]    // ten pages
    [InlineData(10_001, 0, 11.0)]
    [InlineData(10_000, 9_999, 809.92)]
    public void CostOf_ListPagesAndGetsInLists(int listed, int fetched, double lists) =>
        Assert.Equal(lists, ReadPacer.CostOf(listed, fetched), precision: 6);

    [Fact]
    public void NextReadAfter_SmallDirectory_EveryInterval()
    {
        var pacer = new ReadPacer(Interval);

        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(Interval, pacer.NextReadAfter(10, 0));
        }
    }

    [Fact]
    public void NextReadAfter_FirstReadOfALargeDirectory_NoWaitBeyondOneInterval_ThenOneListPerInterval()
    {
        var pacer = new ReadPacer(Interval);

        TimeSpan first = pacer.NextReadAfter(10_000, 9_999);   // 810 of the 1,000 in the bucket
        TimeSpan total = TimeSpan.Zero;
        double spent = 0;
        for (int i = 0; i < 2000; i++)
        {
            total += pacer.NextReadAfter(10_000, 0);
            spent += ReadPacer.CostOf(10_000, 0);
        }

        Assert.Equal(Interval, first);
        Assert.InRange(spent, total / Interval, total / Interval + ReadPacer.Capacity); // never more than a LIST per interval past the burst
        Assert.Equal(Interval * 10, pacer.NextReadAfter(10_000, 0));                      // settled: 10 pages every 10 intervals
    }

    [Fact]
    public void NextReadAfter_ChurnBeyondTheBurst_WaitsUntilPaidFor()
    {
        var pacer = new ReadPacer(Interval);

        TimeSpan wait = pacer.NextReadAfter(1000, 25_000); // 1 + 2,000 LISTs' worth: 1,001 more than the bucket held
        TimeSpan next = pacer.NextReadAfter(10, 0);

        Assert.Equal(Interval * 1001, wait);
        Assert.Equal(Interval, next); // paid off: back to one LIST per interval
    }
}
