using Hoshino.Transport;

namespace Hoshino.UnitTests.Transport;

public sealed class ReplayWindowTests
{
    [Fact]
    public void Check_NewStream_NumbersBelowTheStartAreSkippedSoTheyMayStillArriveOnce()
    {
        var window = new ReplayWindow(10, belowUnknown: true);

        Assert.Equal(ReplayWindow.Mark.Skipped, window.Check(9));
        Assert.True(window.TakeLate(9));
        Assert.Equal(ReplayWindow.Mark.Handled, window.Check(9));
        Assert.False(window.TakeLate(9));
        Assert.Equal(ReplayWindow.Mark.Ahead, window.Check(10));
    }

    [Fact]
    public void Check_RevivedStream_EverythingBelowIsHandled()
    {
        var window = new ReplayWindow(10, belowUnknown: false);

        Assert.Equal(ReplayWindow.Mark.Handled, window.Check(9));
        Assert.False(window.TakeLate(9));
    }

    [Fact]
    public void HandleAndSkip_MarkEachNumberAndOldOnesFallOutOfTheWindow()
    {
        var window = new ReplayWindow(0, belowUnknown: true);
        window.Handle();      // 0
        window.Skip(2);       // 1, 2
        window.Handle();      // 3

        Assert.Equal(4, window.Next);
        Assert.Equal(ReplayWindow.Mark.Handled, window.Check(0));
        Assert.Equal(ReplayWindow.Mark.Skipped, window.Check(1));
        Assert.Equal(ReplayWindow.Mark.Skipped, window.Check(2));
        Assert.Equal(ReplayWindow.Mark.Handled, window.Check(3));

        for (int i = 0; i < ReplayWindow.Size; i++)
        {
            window.Handle();
        }
        Assert.Equal(ReplayWindow.Mark.Replay, window.Check(3));
        Assert.False(window.TakeLate(1));
        Assert.Equal(ReplayWindow.Mark.Handled, window.Check(4));
    }

    [Fact]
    public void Skip_MoreThanTheWindow_EveryRememberedNumberIsSkipped()
    {
        var window = new ReplayWindow(5, belowUnknown: false);

        window.Skip(1L << 40);

        Assert.Equal(5 + (1L << 40), window.Next);
        Assert.Equal(ReplayWindow.Mark.Skipped, window.Check(window.Next - 1));
        Assert.Equal(ReplayWindow.Mark.Skipped, window.Check(window.Next - ReplayWindow.Size));
        Assert.Equal(ReplayWindow.Mark.Replay, window.Check(window.Next - ReplayWindow.Size - 1));
    }

    [Fact]
    public void Check_MatchesAReferenceModel_OverRandomRuns()
    {
        var random = new Random(3);
        var window = new ReplayWindow(0, belowUnknown: false);
        var handled = new HashSet<long>();
        for (int step = 0; step < 20_000; step++)
        {
            long next = window.Next;
            switch (random.Next(4))
            {
                case 0:
                    window.Skip(random.Next(1, 40));
                    break;
                case 1:
                    long late = next - 1 - random.Next(ReplayWindow.Size + 50);
                    if (late >= 0 && window.TakeLate(late))
                    {
                        Assert.True(handled.Add(late), $"{late} taken twice");
                    }
                    break;
                default:
                    handled.Add(next);
                    window.Handle();
                    break;
            }
            long probe = window.Next - 1 - random.Next(ReplayWindow.Size + 10);
            ReplayWindow.Mark expected = probe < window.Next - ReplayWindow.Size ? ReplayWindow.Mark.Replay
                : handled.Contains(probe) ? ReplayWindow.Mark.Handled : ReplayWindow.Mark.Skipped;
            if (probe >= 0)
            {
                Assert.Equal(expected, window.Check(probe));
            }
        }
    }
}
