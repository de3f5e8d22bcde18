using System.Net;
using Hoshino.Peers;
using static Hoshino.UnitTests.Peers.PeerRecordFormatTests;

namespace Hoshino.UnitTests.Peers;

public sealed class PeerSetTests
{
    private static PeerRecord Record(string name, IPAddress address, int startedMinutesAgo) =>
        new(name, address, "1", Now.AddMinutes(-startedMinutesAgo), false, Now);

    [Fact]
    public void Of_TwoAddressesClaimOneName_TheOlderStartAnswersAndBothAreListed()
    {
        PeerRecord older = Record("web", B, 60), newer = Record("web", A, 5);

        PeerSet set = PeerSet.Of([newer, older]);

        Assert.Same(older, set.Find("web"));
        Assert.Equal([older, newer], set.Peers);
        Assert.Equal([new NameConflict("web", older, newer)], set.Conflicts);
        Assert.Same(newer, set.Find(A)); // each still found by its address
    }

    [Fact]
    public void Of_SameStart_TheLowerAddressAnswers_WhateverTheOrderRead()
    {
        PeerRecord high = Record("web", A, 5), low = Record("web", B, 5); // ::b0 < ::c05f:...

        Assert.Same(low, PeerSet.Of([high, low]).Find("web"));
        Assert.Same(low, PeerSet.Of([low, high]).Find("web"));
    }

    [Fact]
    public void Find_NameInAnyAsciiCase_OnlyAsciiFolds()
    {
        PeerRecord kilo = Record("kilo", A, 1);
        PeerSet set = PeerSet.Of([kilo, Record("ix", B, 1)]);

        Assert.Same(kilo, set.Find("KILO"));
        Assert.Null(set.Find("\u212Ailo"));  // Kelvin sign
        Assert.Null(set.Find("\u0131x"));    // dotless i
        Assert.Null(set.Find(""));
        Assert.Null(set.Find("nobody"));
    }

    [Fact]
    public void Find_Address_IPv4OrUnknown_Null()
    {
        PeerSet set = PeerSet.Of([Record("a", A, 1)]);

        Assert.Null(set.Find(IPAddress.Parse("10.0.0.1")));
        Assert.Null(set.Find(B));
        Assert.Empty(set.Conflicts);
    }

    [Fact]
    public void Of_AddressTwice_KeepsTheFirst()
    {
        PeerRecord first = Record("one", A, 1);

        PeerSet set = PeerSet.Of([first, Record("two", A, 2)]);

        Assert.Equal([first], set.Peers);
        Assert.Null(set.Find("two"));
    }
}
