using Hoshino.Egress;
using Hoshino.Packets;
using Hoshino.Transport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Egress;

public sealed class StreamTableTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private static Address16 Address(int i) => Address16.From(System.Net.IPAddress.Parse($"fd5e:59b8:f71d:9a3e:1::{i + 1:x}"));

    [Fact]
    public void Take_AfterPark_ReturnsTheSameWindowOnce()
    {
        var table = new StreamTable(4, Lifetime);
        var window = new SendWindow(Ulid.NewUlid(T0));

        table.Park(Peer16, window, T0);

        Assert.Same(window, table.Take(Peer16, T0 + TimeSpan.FromMinutes(1)));
        Assert.Null(table.Take(Peer16, T0 + TimeSpan.FromMinutes(1)));
        Assert.Null(table.Take(OtherPeer16, T0));
    }

    [Fact]
    public void Take_AfterLifetime_NoWindow()
    {
        var table = new StreamTable(4, Lifetime);
        table.Park(Peer16, new SendWindow(Ulid.NewUlid(T0)), T0);

        Assert.Null(table.Take(Peer16, T0 + Lifetime));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Park_PastCapacity_DropsTheLeastRecentlyParked()
    {
        var table = new StreamTable(3, Lifetime);
        for (int i = 0; i < 4; i++)
        {
            table.Park(Address(i), new SendWindow(Ulid.NewUlid(T0)), T0 + TimeSpan.FromSeconds(i));
        }
        SendWindow again = table.Take(Address(1), T0 + TimeSpan.FromSeconds(5))!;
        table.Park(Address(1), again, T0 + TimeSpan.FromSeconds(6)); // now the most recent
        table.Park(Address(9), new SendWindow(Ulid.NewUlid(T0)), T0 + TimeSpan.FromSeconds(7));

        Assert.Equal(3, table.Count);
        Assert.Null(table.Peek(Address(0)));
        Assert.Null(table.Peek(Address(2)));
        Assert.NotNull(table.Peek(Address(1)));
        Assert.NotNull(table.Peek(Address(3)));
        Assert.NotNull(table.Peek(Address(9)));
    }

    [Fact]
    public void Park_ManyDestinations_StaysWithinCapacity()
    {
        var table = new StreamTable(1024, Lifetime);

        for (int i = 0; i < 10_000; i++)
        {
            table.Park(Address(i), new SendWindow(Ulid.NewUlid(T0)), T0);
        }

        Assert.Equal(1024, table.Count);
    }
}
