using System.Net;
using System.Text;
using Hoshino.Packets;
using Hoshino.Peers;
using Hoshino.UnitTests.TestSupport;

namespace Hoshino.UnitTests.Peers;

public sealed class PeerRecordFormatTests
{
    internal static readonly IPNetwork Network = IPNetwork.Parse("fd5e:59b8:f71d:9a3e::/64");
    internal static readonly IPAddress A = IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f");
    internal static readonly IPAddress B = IPAddress.Parse("fd5e:59b8:f71d:9a3e::b0");
    internal static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    internal static PeerStatement Statement(string name = "alpha", IPAddress? address = null, DateTimeOffset? started = null, bool isSealed = false) =>
        new(name, address ?? A, "1.2.3+abc", started ?? Now.AddMinutes(-10), isSealed);

    private static (PeerStatement? Statement, DirectoryRejectReason Reason) Decode(string key, byte[] body, NetworkKey? networkKey = null) =>
        PeerRecordFormat.Decode(key, body, Network, networkKey, Now, Skew);

    /// <summary>A plain record with <paramref name="lines"/> as its body.</summary>
    private static byte[] Plain(string lines) => [.. "HSD"u8, PeerRecordFormat.Version1, 0, .. Encoding.UTF8.GetBytes(lines)];

    [Fact]
    public void KeyOf_IsDerivedFromTheAddressAlone() =>
        Assert.Equal("directory/fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f", PeerRecordFormat.KeyOf(A));

    [Fact]
    public void EncodeDecode_Plain_RoundTripsAndIsReadableText()
    {
        PeerStatement statement = Statement();

        byte[] body = PeerRecordFormat.Encode(statement, key: null);

        Assert.Equal((statement, DirectoryRejectReason.None), Decode(PeerRecordFormat.KeyOf(A), body));
        Assert.Contains("name=alpha\n", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        Assert.InRange(body.Length, 1, PeerRecordFormat.MaxBytes);
    }

    [Fact]
    public void EncodeDecode_Sealed_RoundTripsAndHidesTheName()
    {
        using NetworkKey key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);
        PeerStatement statement = Statement(isSealed: true);

        byte[] body = PeerRecordFormat.Encode(statement, key);

        Assert.Equal((statement, DirectoryRejectReason.None), Decode(PeerRecordFormat.KeyOf(A), body, key));
        Assert.DoesNotContain("alpha", Encoding.Latin1.GetString(body), StringComparison.Ordinal);
        Assert.Equal(PeerRecordFormat.FlagSealed, body[4]);
    }

    [Fact]
    public void Decode_SealedRecordCopiedToAnotherNodesKey_AuthFails()
    {
        // The body says A, so a copy under B's key would also fail the address check: make one that says B
        // but was sealed for A's key, which is what an attacker holding a sealed record of B's could not make.
        using NetworkKey key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);
        byte[] sealedForA = PeerRecordFormat.Encode(Statement(isSealed: true), key);

        Assert.Equal(DirectoryRejectReason.AuthFailed, Decode(PeerRecordFormat.KeyOf(B), sealedForA, key).Reason);
    }

    [Fact]
    public void Decode_SealedWithAnotherKeyOrAltered_AuthFails()
    {
        using NetworkKey key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);
        using NetworkKey other = NetworkKey.Generate();
        byte[] body = PeerRecordFormat.Encode(Statement(isSealed: true), other);
        byte[] altered = PeerRecordFormat.Encode(Statement(isSealed: true), key);
        altered[^20] ^= 1;

        Assert.Equal(DirectoryRejectReason.AuthFailed, Decode(PeerRecordFormat.KeyOf(A), body, key).Reason);
        Assert.Equal(DirectoryRejectReason.AuthFailed, Decode(PeerRecordFormat.KeyOf(A), altered, key).Reason);
    }

    [Fact]
    public void Decode_SealedWithoutKey_OrPlainWithKey_Refused()
    {
        using NetworkKey key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);

        Assert.Equal(DirectoryRejectReason.Sealed, Decode(PeerRecordFormat.KeyOf(A), PeerRecordFormat.Encode(Statement(), key)).Reason);
        Assert.Equal(DirectoryRejectReason.Unsealed, Decode(PeerRecordFormat.KeyOf(A), PeerRecordFormat.Encode(Statement(), null), key).Reason);
    }

    [Fact]
    public void Decode_AddressInBodyNotTheKeys_WrongAddress() =>
        Assert.Equal(DirectoryRejectReason.WrongAddress, Decode(PeerRecordFormat.KeyOf(B), PeerRecordFormat.Encode(Statement(), null)).Reason);

    [Theory]
    [InlineData("directory/fd5e:59b8:f71d:9a3e:C05F:7f48:de53:428f")]  // not canonical: two keys for one node
    [InlineData("directory/fd5e:59b8:f71d:9a3e:0:0:0:b0")]
    [InlineData("directory/fd00::1")]                                  // outside the network
    [InlineData("directory/fd5e:59b8:f71d:9a3e::b0/x")]                // deeper
    [InlineData("directory/fd5e:59b8:f71d:9a3e::b0%1")]
    [InlineData("directory/")]
    [InlineData("directory/10.0.0.1")]
    [InlineData("fd5e:59b8:f71d:9a3e::b0")]
    public void Decode_KeyNotARecordKey_BadKey(string key) =>
        Assert.Equal(DirectoryRejectReason.BadKey, Decode(key, PeerRecordFormat.Encode(Statement(address: B), null)).Reason);

    [Theory]
    [InlineData("name=Alpha\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=1\nstarted=0\n", DirectoryRejectReason.BadName)]
    [InlineData("name=a.b\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=1\nstarted=0\n", DirectoryRejectReason.BadName)]
    [InlineData("name=\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=1\nstarted=0\n", DirectoryRejectReason.BadName)]
    [InlineData("name=b\naddress=fd5e:59b8:f71d:9a3e::b1\nversion=1\nstarted=0\n", DirectoryRejectReason.WrongAddress)]
    [InlineData("name=b\naddress=nonsense\nversion=1\nstarted=0\n", DirectoryRejectReason.WrongAddress)]
    [InlineData("name=b\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=1\nstarted=99999999999999\n", DirectoryRejectReason.FutureTime)]
    [InlineData("name=b\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=1\nstarted=-1\n", DirectoryRejectReason.Malformed)]
    [InlineData("name=b\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=1\nstarted=999999999999999999999\n", DirectoryRejectReason.Malformed)]
    [InlineData("name=b\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=has space\nstarted=0\n", DirectoryRejectReason.Malformed)]
    [InlineData("name=b\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=\nstarted=0\n", DirectoryRejectReason.Malformed)]
    [InlineData("name=b\nname=c\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=1\nstarted=0\n", DirectoryRejectReason.Malformed)]
    [InlineData("name=b\naddress=fd5e:59b8:f71d:9a3e::b0\nstarted=0\n", DirectoryRejectReason.Malformed)]
    [InlineData("garbage", DirectoryRejectReason.Malformed)]
    [InlineData("", DirectoryRejectReason.Malformed)]
    public void Decode_HostileFields_RefusedByReason(string lines, DirectoryRejectReason reason) =>
        Assert.Equal(reason, Decode(PeerRecordFormat.KeyOf(B), Plain(lines)).Reason);

    [Fact]
    public void Decode_UnknownFieldsAndEmptyLines_Ignored()
    {
        (PeerStatement? statement, DirectoryRejectReason reason) =
            Decode(PeerRecordFormat.KeyOf(B), Plain("name=b\n\naddress=fd5e:59b8:f71d:9a3e::b0\nversion=2.0\nstarted=0\nlater=field\n"));

        Assert.Equal(DirectoryRejectReason.None, reason);
        Assert.Equal(new PeerStatement("b", B, "2.0", DateTimeOffset.UnixEpoch, false), statement);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { (byte)'H', (byte)'S' })]
    [InlineData(new byte[] { (byte)'H', (byte)'S', (byte)'N', 1, 0 })]        // a bundle, not a record
    [InlineData(new byte[] { 0x60, 0, 0, 0, 0 })]                            // a bare IPv6 packet
    [InlineData(new byte[] { (byte)'H', (byte)'S', (byte)'D', 1, 0, 0xff, 0xfe })] // not UTF-8
    public void Decode_NotARecord_Malformed(byte[] body) =>
        Assert.Equal(DirectoryRejectReason.Malformed, Decode(PeerRecordFormat.KeyOf(A), body).Reason);

    [Theory]
    [InlineData(2, 0)]
    [InlineData(1, 2)]
    [InlineData(1, 0x81)]
    public void Decode_UnknownVersionOrFlags_UnknownVersion(byte version, byte flags) =>
        Assert.Equal(DirectoryRejectReason.UnknownVersion, Decode(PeerRecordFormat.KeyOf(A), [.. "HSD"u8, version, flags, .. "name=a"u8]).Reason);

    [Fact]
    public void Decode_SealedButTruncated_Malformed()
    {
        using NetworkKey key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);

        Assert.Equal(DirectoryRejectReason.Malformed, Decode(PeerRecordFormat.KeyOf(A), [.. "HSD"u8, 1, PeerRecordFormat.FlagSealed, 1, 2, 3], key).Reason);
    }

    [Fact]
    public void Decode_Huge_TooLargeUnread() =>
        Assert.Equal(DirectoryRejectReason.TooLarge, Decode(PeerRecordFormat.KeyOf(A), new byte[PeerRecordFormat.MaxBytes + 1]).Reason);

    [Fact]
    public void Decode_RandomBytes_NeverThrows()
    {
        using NetworkKey key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);
        var random = new Random(11);
        byte[] valid = PeerRecordFormat.Encode(Statement(), null);
        for (int i = 0; i < 5000; i++)
        {
            byte[] body = i % 2 == 0 ? new byte[random.Next(0, 300)] : [.. valid];
            if (i % 2 == 0)
            {
                random.NextBytes(body);
            }
            else
            {
                body[random.Next(body.Length)] = (byte)random.Next(256);
            }
            (PeerStatement? statement, DirectoryRejectReason reason) = Decode(PeerRecordFormat.KeyOf(A), body, i % 3 == 0 ? key : null);
            Assert.True(statement is null == (reason != DirectoryRejectReason.None));
        }
    }

    [Fact]
    public void Encode_VersionTooLongForARecord_Throws() =>
        Assert.Throws<ArgumentException>(() => PeerRecordFormat.Encode(Statement() with { Version = new string('v', 2000) }, null));
}
