using System.Text;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Transport;

public sealed class StreamKeyTests
{
    private const string Dest = "fd5e:59b8:f71d:9a3e::2";
    private const string Src = "fd5e:59b8:f71d:9a3e::1";
    private const string Epoch = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    private const string Head = Dest + "/" + Src + "/" + Epoch + "/";

    [Fact]
    public void ToString_IsDestSrcEpochAndSixteenLowerCaseHexDigits()
    {
        var key = new StreamKey(Peer16, Self16, Ulid.Parse(Epoch), 0x2a);

        Assert.Equal(Head + "000000000000002a", key.ToString());
    }

    [Fact]
    public void Constructor_NegativeSequence_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StreamKey(Peer16, Self16, Ulid.Parse(Epoch), -1));
    }

    [Theory]
    [InlineData("0000000000000000", 0L)]
    [InlineData("0000000000000001", 1L)]
    [InlineData("00000000ffffffff", 4294967295L)]
    [InlineData("7fffffffffffffff", long.MaxValue)]
    public void TryParse_CanonicalKey_AcceptedAndRoundTrips(string sequence, long expected)
    {
        Assert.True(StreamKey.TryParse(Head + sequence, out StreamKey? parsed));

        Assert.Equal(expected, parsed.Value.Sequence);
        Assert.Equal(Peer16, parsed.Value.Destination);
        Assert.Equal(Self16, parsed.Value.Source);
        Assert.Equal(Ulid.Parse(Epoch), parsed.Value.Epoch);
        Assert.Equal(Head + sequence, parsed.Value.ToString());
    }

    [Theory]
    [InlineData("8000000000000000")]   // 2^63: past a long
    [InlineData("ffffffffffffffff")]
    [InlineData("000000000000002A")]   // upper case
    [InlineData("000000000000002")]    // 15 digits
    [InlineData("0000000000000002a")]  // 17 digits
    [InlineData("2a")]
    [InlineData("")]
    [InlineData("+00000000000002a")]
    [InlineData("-00000000000002a")]
    [InlineData(" 00000000000002a")]
    [InlineData("000000000000002g")]
    [InlineData("0x0000000000002a")]
    [InlineData("000000000000002a/")]
    public void TryParse_OddSequence_Rejected(string sequence)
    {
        Assert.False(StreamKey.TryParse(Head + sequence, out StreamKey? parsed));
        Assert.Null(parsed);
    }

    [Theory]
    [InlineData("FD5E:59B8:F71D:9A3E::2/" + Src + "/" + Epoch + "/0000000000000000")]  // address not canonical
    [InlineData(Dest + "/fd5e:59b8:f71d:9a3e:0::1/" + Epoch + "/0000000000000000")]
    [InlineData(Dest + "/" + Src + "/01arz3ndektsv4rrffq69g5fav/0000000000000000")]      // lower-case epoch
    [InlineData(Dest + "/" + Src + "/81ARZ3NDEKTSV4RRFFQ69G5FAV/0000000000000000")]      // epoch past 48 bits of time
    [InlineData(Dest + "/" + Src + "/01ARZ3NDEKTSV4RRFFQ69G5FA/00000000000000000")]      // a digit moved across the slash
    [InlineData(Dest + "/" + Src + "/x/" + Epoch + "/0000000000000000")]                 // a fifth segment
    [InlineData(Dest + "/" + Epoch + "/0000000000000000")]                               // no source
    [InlineData(Src + "/" + Epoch + "/0000000000000000")]
    [InlineData(Dest + "/" + Src + "/" + Epoch)]                                          // a v1 key
    [InlineData(Dest + "/doorbell")]
    [InlineData(Dest + "/" + Dest + "/lease")]
    [InlineData("/" + Src + "/" + Epoch + "/0000000000000000")]
    [InlineData("")]
    [InlineData("/")]
    public void TryParse_NotAStreamKey_Rejected(string key)
    {
        Assert.False(StreamKey.TryParse(key, out StreamKey? parsed));
        Assert.Null(parsed);
    }

    [Fact]
    public void TryParse_V1Key_IsNotAStreamKeyAndAStreamKeyIsNotAV1Key()
    {
        string v1 = Dest + "/" + Src + "/" + Epoch;
        string v2 = Head + "0000000000000000";

        Assert.True(ObjectKey.TryParse(v1, out _));
        Assert.False(StreamKey.TryParse(v1, out _));
        Assert.False(ObjectKey.TryParse(v2, out _));
        Assert.True(StreamKey.TryParse(v2, out _));
    }

    [Fact]
    public void TryParse_RandomKeys_RoundTripAndSortBySequenceWithinAStream()
    {
        var random = new Random(13);
        for (int i = 0; i < 1000; i++)
        {
            byte[] bytes = new byte[16];
            random.NextBytes(bytes);
            var dest = Address16.From(bytes);
            random.NextBytes(bytes);
            var src = Address16.From(bytes);
            var epoch = Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(random.NextInt64(0, DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())));
            long a = random.NextInt64(0, long.MaxValue), b = random.NextInt64(0, long.MaxValue);
            var keyA = new StreamKey(dest, src, epoch, a);
            var keyB = keyA.WithSequence(b);

            Assert.True(StreamKey.TryParse(keyA.ToString(), out StreamKey? parsed), keyA.ToString());
            Assert.Equal(keyA, parsed);
            Assert.StartsWith(ObjectKey.InboxOf(dest), keyA.ToString(), StringComparison.Ordinal);
            // Fixed width: key order is sequence order within a stream (a LIST cursor never needs it, but people read keys).
            Assert.Equal(Math.Sign(a.CompareTo(b)), Math.Sign(string.CompareOrdinal(keyA.ToString(), keyB.ToString())));
        }
    }

    [Fact]
    public void TryParse_MutatedKeys_NeverThrowAndAcceptOnlyTheCanonicalSpelling()
    {
        // Property: whatever TryParse accepts formats back to exactly the input (one object, one key).
        var random = new Random(0x5EED);
        string[] seeds = [Head + "0000000000000000", Head + "7fffffffffffffff", Head + "00000000deadbeef", "::/::/" + Epoch + "/0000000000000001"];
        const string alphabet = "0123456789abcdefABCDEF:/.%x -7f8gZ";
        int accepted = 0;
        for (int i = 0; i < 50_000; i++)
        {
            var key = new StringBuilder(seeds[random.Next(seeds.Length)]);
            int edits = 1 + random.Next(3);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(key.Length + 1);
                switch (random.Next(3))
                {
                    case 0 when at < key.Length:
                        key[at] = alphabet[random.Next(alphabet.Length)];
                        break;
                    case 1 when at < key.Length:
                        key.Remove(at, 1);
                        break;
                    default:
                        key.Insert(at, alphabet[random.Next(alphabet.Length)]);
                        break;
                }
            }
            string text = key.ToString();
            if (StreamKey.TryParse(text, out StreamKey? parsed))
            {
                accepted++;
                Assert.Equal(text, parsed.Value.ToString());
                Assert.InRange(parsed.Value.Sequence, 0, long.MaxValue);
            }
        }
        Assert.InRange(accepted, 100, 49_000); // the mutations reach both sides of the grammar
    }

    [Fact]
    public void StreamId_OrdersBySourceThenEpoch()
    {
        var older = new StreamId(Self16, Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(1_000)));
        var newer = new StreamId(Self16, Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(2_000)));
        var otherSource = new StreamId(Peer16, Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(0)));

        Assert.True(older < newer);
        Assert.True(newer < otherSource); // ::1 before ::2, whatever the epochs
        Assert.Equal(0, older.CompareTo(older));
    }
}
