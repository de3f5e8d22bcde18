using Hoshino.Ingress;

namespace Hoshino.UnitTests.Ingress;

public sealed class DeletePacerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void ShouldStart_FirstDelete_GoesAtOnce()
    {
        var pacer = new DeletePacer(Interval, batch: 256);

        Assert.False(pacer.ShouldStart(0, T0));
        Assert.True(pacer.ShouldStart(1, T0));
        Assert.Null(pacer.WakeAt(1)); // nothing sent yet: nothing to wait for
    }

    [Fact]
    public void ShouldStart_SoonAfterTheLast_WaitsForTheIntervalAndSaysWhen()
    {
        var pacer = new DeletePacer(Interval, batch: 256);
        pacer.Started(T0);

        Assert.False(pacer.ShouldStart(3, T0 + TimeSpan.FromMilliseconds(10)));
        Assert.Equal(T0 + Interval, pacer.WakeAt(3));
        Assert.Null(pacer.WakeAt(0));
        Assert.True(pacer.ShouldStart(3, T0 + Interval));
    }

    [Fact]
    public void ShouldStart_ABatchWaits_GoesAtOnce()
    {
        var pacer = new DeletePacer(Interval, batch: 256);
        pacer.Started(T0);

        Assert.False(pacer.ShouldStart(255, T0 + TimeSpan.FromMilliseconds(1)));
        Assert.True(pacer.ShouldStart(256, T0 + TimeSpan.FromMilliseconds(1)));
    }
}
