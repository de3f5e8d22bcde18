using System.Net;
using Hoshino.Ingress;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Ingress;

public sealed class KeyScreenTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly IngressOptions Options = new();

    private static RejectReason Screen(string source, TimeSpan age, long size = 100, string? destination = null)
    {
        var key = new ObjectKey(Address16.From(IPAddress.Parse(destination ?? Self.ToString())), Address16.From(IPAddress.Parse(source)),
            Ulid.NewUlid(Now - age));
        return KeyScreen.Screen(new StoredObject(key.ToString(), size, null), Now, Self16, Options, out _);
    }

    [Theory]
    [InlineData("fd5e:59b8:f71d:9a3e::2", 1, RejectReason.None)]
    [InlineData("fd5e:59b8:f71d:9a3e::2", -9, RejectReason.None)]            // 9 s ahead: clock skew
    [InlineData("fd5e:59b8:f71d:9a3e::2", -11, RejectReason.TooNew)]
    [InlineData("fd5e:59b8:f71d:9a3e::2", 61, RejectReason.TooOld)]
    [InlineData("fe80::2", 1, RejectReason.BadSource)]
    [InlineData("fd5e:59b8:f71d:9a3f::2", 1, RejectReason.BadSource)]       // the next /64
    [InlineData("fd5e:59b8:f71d:9a3e::1", 1, RejectReason.BadSource)]       // this node
    public void Screen_SourceAndAge(string source, int ageSeconds, RejectReason expected) =>
        Assert.Equal(expected, Screen(source, TimeSpan.FromSeconds(ageSeconds)));

    [Fact]
    public void Screen_ListedSizeOverTheBound_TooLargeUnread() =>
        Assert.Equal(RejectReason.TooLarge, Screen("fd5e:59b8:f71d:9a3e::2", TimeSpan.FromSeconds(1), Options.MaxObjectBytes + 1L));

    [Fact]
    public void Screen_AnotherNodesInbox_WrongDestination() =>
        Assert.Equal(RejectReason.WrongDestination, Screen("fd5e:59b8:f71d:9a3e::2", TimeSpan.FromSeconds(1), destination: "fd5e:59b8:f71d:9a3e::3"));

    private static RejectReason ScreenStream(string source, TimeSpan? age, long size = 100, string? destination = null)
    {
        var key = new StreamKey(Address16.From(IPAddress.Parse(destination ?? Self.ToString())), Address16.From(IPAddress.Parse(source)),
            Ulid.NewUlid(Now.AddHours(-1)), 7); // the epoch's age is not the object's: an hour-old stream is fine
        var item = new StoredObject(key.ToString(), size, null, age is { } a ? Now - a : default);
        return KeyScreen.Screen(item, key, Now, Self16, Options);
    }

    [Theory]
    [InlineData("fd5e:59b8:f71d:9a3e::2", 1, RejectReason.None)]
    [InlineData("fd5e:59b8:f71d:9a3e::2", 59, RejectReason.None)]
    [InlineData("fd5e:59b8:f71d:9a3e::2", 61, RejectReason.TooOld)]       // by the store's Last-Modified
    [InlineData("fe80::2", 1, RejectReason.BadSource)]
    [InlineData("fd5e:59b8:f71d:9a3e::1", 1, RejectReason.BadSource)]
    public void ScreenStream_SourceAndLastModified(string source, int ageSeconds, RejectReason expected) =>
        Assert.Equal(expected, ScreenStream(source, TimeSpan.FromSeconds(ageSeconds)));

    [Fact]
    public void ScreenStream_StoreReportsNoTime_NotScreenedByAge() =>
        Assert.Equal(RejectReason.None, ScreenStream("fd5e:59b8:f71d:9a3e::2", age: null));

    [Fact]
    public void ScreenStream_SizeAndDestination() =>
        Assert.Equal((RejectReason.TooLarge, RejectReason.WrongDestination),
            (ScreenStream("fd5e:59b8:f71d:9a3e::2", TimeSpan.Zero, Options.MaxObjectBytes + 1L),
             ScreenStream("fd5e:59b8:f71d:9a3e::2", TimeSpan.Zero, destination: "fd5e:59b8:f71d:9a3e::3")));
}
