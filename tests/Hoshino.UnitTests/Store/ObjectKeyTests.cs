using Hoshino.Packets;
using Hoshino.Store;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Store;

public sealed class ObjectKeyTests
{
    private const string Dest = "fd5e:59b8:f71d:9a3e::2";
    private const string Src = "fd5e:59b8:f71d:9a3e::1";
    private const string Id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

    [Fact]
    public void ToString_IsDestSlashSrcSlashUlid()
    {
        var key = new ObjectKey(Peer16, Self16, Ulid.Parse(Id));

        Assert.Equal($"{Dest}/{Src}/{Id}", key.ToString());
    }

    [Fact]
    public void TryParse_FormattedKeys_RoundTrip()
    {
        var random = new Random(7);
        for (int i = 0; i < 1000; i++)
        {
            byte[] bytes = new byte[16];
            random.NextBytes(bytes);
            var dest = Address16.From(bytes);
            random.NextBytes(bytes);
            var src = Address16.From(bytes);
            var id = Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(random.NextInt64(0, DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())));
            var key = new ObjectKey(dest, src, id);

            Assert.True(ObjectKey.TryParse(key.ToString(), out ObjectKey? parsed), key.ToString());
            Assert.Equal(key, parsed);
        }
    }

    [Theory]
    [InlineData("::/::/" + Id)]
    [InlineData("::1/fd00::2/" + Id)]
    [InlineData("fd00:0:0:1::/2001:db8::1/" + Id)]
    [InlineData("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f/fd5e:59b8:f71d:9a3e::1/" + Id)]
    [InlineData(Dest + "/" + Src + "/00000000000000000000000000")]
    [InlineData(Dest + "/" + Src + "/76EZ91ZPZZZZZZZZZZZZZZZZZZ")] // 9999-12-31T23:59:59.999Z, the last time DateTimeOffset holds
    public void TryParse_CanonicalKey_Accepted(string key)
    {
        Assert.True(ObjectKey.TryParse(key, out ObjectKey? parsed));
        Assert.Equal(key, parsed.Value.ToString());
    }

    [Theory]
    [InlineData("FD5E:59B8:F71D:9A3E::2/" + Src + "/" + Id)]          // upper-case hex
    [InlineData(Dest + "/FD5E:59b8:f71d:9a3e::1/" + Id)]
    [InlineData("fd5e:59b8:f71d:9a3e:0::2/" + Src + "/" + Id)]        // a zero group not compressed
    [InlineData("fd5e:59b8:f71d:9a3e:0:0:0:2/" + Src + "/" + Id)]
    [InlineData("fd5e:059b8:f71d:9a3e::2/" + Src + "/" + Id)]         // leading zero
    [InlineData("fd5e:59b8:f71d:09a3e::2/" + Src + "/" + Id)]
    [InlineData(Dest + "/fd5e:59b8:f71d:9a3e:0000::1/" + Id)]
    [InlineData("fd00:0:0:1:0:0:0:0/" + Src + "/" + Id)]               // "::" not used
    [InlineData("fd00::1:0:0:0:0/" + Src + "/" + Id)]                  // "::" on the shorter run
    [InlineData("10.0.0.1/" + Src + "/" + Id)]                         // IPv4
    [InlineData(Dest + "/10.0.0.1/" + Id)]
    [InlineData("fe80::1%eth0/" + Src + "/" + Id)]                     // zone id
    [InlineData("fe80::1%2/" + Src + "/" + Id)]
    [InlineData(Dest + "/fe80::1%0/" + Id)]
    [InlineData("[fd5e:59b8:f71d:9a3e::2]/" + Src + "/" + Id)]
    [InlineData(" " + Dest + "/" + Src + "/" + Id)]
    [InlineData("not-an-address/" + Src + "/" + Id)]
    public void TryParse_NonCanonicalAddress_Rejected(string key)
    {
        Assert.False(ObjectKey.TryParse(key, out ObjectKey? parsed));
        Assert.Null(parsed);
    }

    [Theory]
    [InlineData("01arz3ndektsv4rrffq69g5fav")]   // lower case
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAv")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAI")]   // I, L, O, U are not Crockford base32
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAL")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAO")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAU")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FA-")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FA ")]
    [InlineData("81ARZ3NDEKTSV4RRFFQ69G5FAV")]   // first character over '7' overflows 128 bits
    [InlineData("ZZZZZZZZZZZZZZZZZZZZZZZZZZ")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FA")]    // 25 characters
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAVV")]  // 27 characters
    [InlineData("")]
    public void TryParse_NonCanonicalUlid_Rejected(string id)
    {
        Assert.False(ObjectKey.TryParse($"{Dest}/{Src}/{id}", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("//")]
    [InlineData("/" + Src + "/" + Id)]                        // empty destination
    [InlineData(Dest + "//" + Id)]                            // empty source
    [InlineData(Dest + "/" + Src + "/")]                      // empty id
    [InlineData(Dest + "/" + Src)]                            // two segments
    [InlineData(Dest + "/" + Id)]
    [InlineData(Dest + "/" + Src + "/" + Id + "/")]           // trailing slash
    [InlineData(Dest + "/" + Src + "/x/" + Id)]               // extra segment
    [InlineData("x/" + Dest + "/" + Src + "/" + Id)]
    [InlineData(Dest + "/" + Src + "/" + Id + "/" + Id)]
    [InlineData(Dest + "/" + Src + "//" + Id)]
    [InlineData(Dest + "/" + Src + "/" + Id + ".tmp")]
    public void TryParse_WrongSegments_Rejected(string key)
    {
        Assert.False(ObjectKey.TryParse(key, out _));
    }

    [Fact]
    public void InboxOf_EndsWithSlash_SoShorterAddressIsNotAPrefixOfLonger()
    {
        var short1 = Address16.From(System.Net.IPAddress.Parse("fd00::1"));
        var long10 = Address16.From(System.Net.IPAddress.Parse("fd00::10"));

        string inbox = ObjectKey.InboxOf(short1);

        Assert.Equal("fd00::1/", inbox);
        Assert.DoesNotMatch("^" + System.Text.RegularExpressions.Regex.Escape(inbox), new ObjectKey(long10, Self16, Ulid.Parse(Id)).ToString());
        Assert.StartsWith(inbox, new ObjectKey(short1, Self16, Ulid.Parse(Id)).ToString(), StringComparison.Ordinal);
    }
}
