using System.Security.Cryptography;
using System.Text;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.UnitTests.TestSupport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Packets;

/// <summary>
/// Sealed objects (docs/wire-format.md): format v2 with <see cref="BundleFormat.FlagSealed"/>, each
/// under its own key derived from the network key, its salt and its object key; and v1, the network
/// key used directly, which receivers still open.
/// </summary>
public sealed class SealedBundleTests : IDisposable
{
    private static readonly string ObjectKeyText = new ObjectKey(Self16, Peer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RE")).ToString();

    /// <summary>HKDF-SHA256(IKM = bytes 00..1f, salt = "hoshino seal v2", info = bytes a0..af || <see cref="ObjectKeyText"/>, 32), by Python's hmac and hashlib.</summary>
    private const string SealingKeyKnownAnswer = "b494180c79c381c14acd4a93fb3f34e0c56278aa83d958125b1bbdef326516d4";

    private readonly NetworkKey _key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);
    private readonly List<Range> _frames = [];

    public void Dispose() => _key.Dispose();

    /// <summary>Seals <paramref name="packets"/> for <see cref="ObjectKeyText"/> (or <paramref name="objectKey"/>) with the production writer.</summary>
    internal static byte[] Sealed(NetworkKey key, string objectKey, params byte[][] packets)
    {
        byte[] body = new byte[BundleFormat.EncodedLength(packets.Length, packets.Sum(p => p.Length), seal: true)];
        int offset = BundleFormat.WriteHeader(body, BundleFormat.FlagSealed);
        Assert.Equal(BundleFormat.SealedFramesOffset, offset);
        foreach (byte[] packet in packets)
        {
            offset += BundleFormat.WriteFrame(body.AsSpan(offset), packet);
        }
        Assert.Equal(body.Length - BundleFormat.TagLength, offset);
        BundleFormat.Seal(body, objectKey, key);
        return body;
    }

    private byte[] Sealed(params byte[][] packets) => Sealed(_key, ObjectKeyText, packets);

    private RejectReason Open(byte[] body, string? objectKey = null, NetworkKey? key = null) =>
        BundleFormat.Decode(body, objectKey ?? ObjectKeyText, key ?? _key, Peer16, Self16, _frames);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(100)]
    public void Decode_SealedWithSameKeyAndObjectKey_ReturnsThePacketsInOrder(int count)
    {
        byte[][] packets = [.. Enumerable.Range(0, count).Select(i => Numbered(Peer, Self, i, payloadLength: 4 + i % 50))];
        byte[] body = Sealed(packets);

        Assert.Equal(RejectReason.None, Open(body));

        Assert.Equal(packets, _frames.Select(f => body[f]));
    }

    [Fact]
    public void Decode_LargestFrame_RoundTrips()
    {
        byte[] packet = Ipv6(Peer, Self, payloadLength: ushort.MaxValue);
        byte[] body = Sealed(packet, packet);

        Assert.Equal(RejectReason.None, Open(body));

        Assert.Equal([packet, packet], _frames.Select(f => body[f]));
    }

    [Fact]
    public void Seal_Layout_HeaderSaltCiphertextTag()
    {
        byte[] packet = Ipv6(Peer, Self, payloadLength: 64);
        byte[] plain = Bundle(packet);

        byte[] body = Sealed(packet);

        Assert.Equal(plain.Length + BundleFormat.SealOverhead, body.Length);
        Assert.Equal([.. "HSN"u8, BundleFormat.Version2, BundleFormat.FlagSealed], body[..5]);
        Assert.Equal(32, BundleFormat.SealOverhead);
        Assert.NotEqual(new byte[16], body[5..21]);
        // Nothing of the packet is visible: not its addresses, not its payload.
        Assert.Equal(-1, body.AsSpan().IndexOf(Peer.GetAddressBytes()));
        Assert.Equal(-1, body.AsSpan().IndexOf(Self.GetAddressBytes()));
        Assert.Equal(-1, body.AsSpan().IndexOf(packet.AsSpan(40, 16)));
    }

    [Fact]
    public void Seal_SameContentAndObjectKeyTwice_FreshSaltOtherKeyAndDifferentCiphertext()
    {
        byte[] packet = Ipv6(Peer, Self);

        byte[] a = Sealed(packet);
        byte[] b = Sealed(packet);

        Assert.NotEqual(a[5..21], b[5..21]);
        Assert.NotEqual(a[21..], b[21..]);
        Assert.NotEqual(SealingKeyOf(_key, a[5..21], ObjectKeyText), SealingKeyOf(_key, b[5..21], ObjectKeyText));
    }

    /// <summary>The documented derivation, with the BCL's one-shot HKDF: HKDF-SHA256(IKM = network key, salt = "hoshino seal v2", info = salt || object key, 32).</summary>
    private static byte[] DocumentedSealingKey(byte[] networkKey, byte[] salt, string objectKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, networkKey, 32, salt: "hoshino seal v2"u8.ToArray(), info: [.. salt, .. Encoding.ASCII.GetBytes(objectKey)]);

    private static byte[] SealingKeyOf(NetworkKey key, byte[] salt, string objectKey)
    {
        byte[] derived = new byte[NetworkKey.KeyLength];
        key.DeriveSealingKey([.. salt, .. Encoding.UTF8.GetBytes(objectKey)], derived);
        return derived;
    }

    [Fact]
    public void DeriveSealingKey_MatchesDocumentedHkdf()
    {
        byte[] salt = [.. Enumerable.Range(0xA0, 16).Select(i => (byte)i)];

        Assert.Equal(DocumentedSealingKey(TestKeys.FixedKeyBytes, salt, ObjectKeyText), SealingKeyOf(_key, salt, ObjectKeyText));
    }

    [Fact]
    public void DeriveSealingKey_KnownAnswer()
    {
        // Pins the derivation, so an accidental change (label, order, lengths) cannot pass as a refactoring.
        // Computed once with Python's standard library: hmac/hashlib HKDF-SHA256 over the same inputs.
        byte[] salt = [.. Enumerable.Range(0xA0, 16).Select(i => (byte)i)];

        Assert.Equal(SealingKeyKnownAnswer, Convert.ToHexStringLower(SealingKeyOf(_key, salt, ObjectKeyText)));
    }

    [Fact]
    public void DeriveSealingKey_DiffersPerObjectKeyPerSaltAndPerNetworkKey()
    {
        byte[] salt = new byte[16];
        byte[] otherSalt = new byte[16];
        otherSalt[15] = 1;
        string otherObjectKey = new ObjectKey(Self16, Peer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RF")).ToString();
        using NetworkKey otherNetworkKey = NetworkKey.Generate();

        var keys = new[]
        {
            SealingKeyOf(_key, salt, ObjectKeyText),
            SealingKeyOf(_key, otherSalt, ObjectKeyText),
            SealingKeyOf(_key, salt, otherObjectKey),
            SealingKeyOf(_key, salt, "fd00::1/fd00::2/0/1"),   // a transport v2 key {dest}/{src}/{epoch}/{seq}
            SealingKeyOf(_key, salt, "fd00::1/fd00::2/1/1"),
            SealingKeyOf(otherNetworkKey, salt, ObjectKeyText),
        };

        Assert.Equal(keys.Length, keys.Select(Convert.ToHexString).Distinct().Count());
        Assert.DoesNotContain(keys, k => k.AsSpan().SequenceEqual(TestKeys.FixedKeyBytes)); // never the network key itself
        Assert.Equal(keys[0], SealingKeyOf(_key, salt, ObjectKeyText));                       // and deterministic
    }

    /// <summary>Decrypts by the letter of docs/wire-format.md with the BCL directly, so the code and the document agree.</summary>
    [Fact]
    public void Seal_MatchesDocumentedConstruction()
    {
        byte[] packet = Numbered(Peer, Self, 7, payloadLength: 30);
        byte[] body = Sealed(packet);

        byte[] salt = body[5..21];
        byte[] ciphertext = body[21..^16];
        byte[] tag = body[^16..];
        byte[] associatedData = [.. body[..21], .. Encoding.ASCII.GetBytes(ObjectKeyText)];
        byte[] plaintext = new byte[ciphertext.Length];
        using (var aes = new AesGcm(DocumentedSealingKey(TestKeys.FixedKeyBytes, salt, ObjectKeyText), 16))
        {
            aes.Decrypt(new byte[12], ciphertext, tag, plaintext, associatedData);
        }

        Assert.Equal(Bundle(packet)[BundleFormat.HeaderLength..], plaintext);
    }

    /// <summary>An object made by the BCL by the letter of the document opens with the production reader.</summary>
    [Fact]
    public void Decode_ObjectSealedByTheDocumentedConstruction_Opens()
    {
        byte[] packet = Numbered(Peer, Self, 9);
        byte[] body = SealedByTheDocument(TestKeys.FixedKeyBytes, ObjectKeyText, packet);

        Assert.Equal(RejectReason.None, Open(body));

        Assert.Equal([packet], _frames.Select(f => body[f]));
    }

    /// <summary>A v2 object made with the BCL by the letter of docs/wire-format.md, independent of the production writer.</summary>
    private static byte[] SealedByTheDocument(byte[] networkKey, string objectKey, params byte[][] packets)
    {
        byte[] frames = Bundle(packets)[BundleFormat.HeaderLength..];
        byte[] header = [.. "HSN"u8, 2, 1];
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] ciphertext = new byte[frames.Length];
        byte[] tag = new byte[16];
        using (var aes = new AesGcm(DocumentedSealingKey(networkKey, salt, objectKey), 16))
        {
            byte[] associatedData = [.. header, .. salt, .. Encoding.ASCII.GetBytes(objectKey)];
            aes.Encrypt(new byte[12], frames, ciphertext, tag, associatedData);
        }
        return [.. header, .. salt, .. ciphertext, .. tag];
    }

    /// <summary>
    /// A v1 object (what nodes before the per-object key wrote): AES-256-GCM under the network key
    /// itself, a random 12-byte nonce, associated data = header and object key.
    /// </summary>
    internal static byte[] SealedVersion1(byte[] networkKey, string objectKey, params byte[][] packets)
    {
        byte[] frames = Bundle(packets)[BundleFormat.HeaderLength..];
        byte[] header = [.. "HSN"u8, 1, 1];
        byte[] nonce = RandomNumberGenerator.GetBytes(12);
        byte[] ciphertext = new byte[frames.Length];
        byte[] tag = new byte[16];
        using (var aes = new AesGcm(networkKey, 16))
        {
            byte[] associatedData = [.. header, .. Encoding.ASCII.GetBytes(objectKey)];
            aes.Encrypt(nonce, frames, ciphertext, tag, associatedData);
        }
        return [.. header, .. nonce, .. ciphertext, .. tag];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Decode_Version1Object_StillOpens(int count)
    {
        byte[][] packets = [.. Enumerable.Range(0, count).Select(i => Numbered(Peer, Self, i, payloadLength: 10 + i))];
        byte[] body = SealedVersion1(TestKeys.FixedKeyBytes, ObjectKeyText, packets);

        Assert.Equal(RejectReason.None, Open(body));

        Assert.Equal(packets, _frames.Select(f => body[f]));
        Assert.Equal(BundleFormat.Version1SealedFramesOffset + 4, _frames[0].Start.Value);
    }

    [Theory]
    [InlineData("nonce")]
    [InlineData("ciphertext")]
    [InlineData("tag")]
    [InlineData("object key")]
    [InlineData("network key")]
    public void Decode_Version1Tampered_AuthFailed(string what)
    {
        byte[] body = SealedVersion1(TestKeys.FixedKeyBytes, ObjectKeyText, Ipv6(Peer, Self, payloadLength: 40));
        string objectKey = ObjectKeyText;
        using NetworkKey other = NetworkKey.Generate();
        NetworkKey key = _key;
        switch (what)
        {
            case "nonce": body[BundleFormat.HeaderLength] ^= 0x01; break;
            case "ciphertext": body[BundleFormat.Version1SealedFramesOffset + 20] ^= 0x01; break;
            case "tag": body[^1] ^= 0x01; break;
            case "object key": objectKey = new ObjectKey(Self16, Peer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RF")).ToString(); break;
            default: key = other; break;
        }

        Assert.Equal(RejectReason.AuthFailed, Open(body, objectKey, key));
        Assert.Empty(_frames);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(17)]
    [InlineData(32)]
    public void Decode_Version1ShorterThanNonceAndTag_Malformed(int length)
    {
        byte[] body = SealedVersion1(TestKeys.FixedKeyBytes, ObjectKeyText)[..length];

        Assert.Equal(RejectReason.Malformed, Open(body));
    }

    [Fact]
    public void Decode_Version1WithoutFrames_Empty()
    {
        byte[] body = SealedVersion1(TestKeys.FixedKeyBytes, ObjectKeyText);

        Assert.Equal(33, body.Length);
        Assert.Equal(RejectReason.Empty, Open(body));
    }

    [Fact]
    public void Decode_WithoutKey_Version1Sealed_Sealed()
    {
        byte[] body = SealedVersion1(TestKeys.FixedKeyBytes, ObjectKeyText, Ipv6(Peer, Self));

        Assert.Equal(RejectReason.Sealed, BundleFormat.Decode(body, Peer16, Self16, _frames));
    }

    /// <summary>Relabelling the version (a downgrade to v1, or a v1 object passed off as v2) never opens: the layouts and keys differ, and the header is bound.</summary>
    [Fact]
    public void Decode_VersionByteRewritten_AuthFailed()
    {
        byte[] v2AsV1 = Sealed(Ipv6(Peer, Self, payloadLength: 40));
        v2AsV1[3] = BundleFormat.Version1;
        byte[] v1AsV2 = SealedVersion1(TestKeys.FixedKeyBytes, ObjectKeyText, Ipv6(Peer, Self, payloadLength: 40));
        v1AsV2[3] = BundleFormat.Version2;

        Assert.Equal(RejectReason.AuthFailed, Open(v2AsV1));
        Assert.Equal(RejectReason.AuthFailed, Open(v1AsV2));
    }

    /// <summary>Every single-bit change anywhere in a sealed object is refused; past the header, as a failed authentication.</summary>
    [Fact]
    public void Decode_AnyBitFlipped_RejectedAndAuthFailedPastTheHeader()
    {
        byte[] original = Sealed(Ipv6(Peer, Self, payloadLength: 20), Ipv6(Peer, Self, payloadLength: 3));
        for (int i = 0; i < original.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] body = (byte[])original.Clone();
                body[i] ^= (byte)(1 << bit);

                RejectReason reason = Open(body);

                if (i >= BundleFormat.HeaderLength)
                {
                    Assert.True(reason == RejectReason.AuthFailed, $"byte {i} bit {bit}: {reason}");
                }
                else
                {
                    Assert.True(reason is RejectReason.Malformed or RejectReason.UnknownVersion or RejectReason.Unsealed, $"header byte {i} bit {bit}: {reason}");
                }
                Assert.Empty(_frames);
            }
        }
    }

    public static TheoryData<string> TamperedRegions => ["salt-first", "salt-last", "salt-zeroed", "ciphertext", "tag", "tag-zeroed", "truncated-tag", "extended"];

    [Theory]
    [MemberData(nameof(TamperedRegions))]
    public void Decode_TamperedSaltCiphertextOrTag_AuthFailed(string region)
    {
        byte[] body = Sealed(Ipv6(Peer, Self, payloadLength: 100));
        switch (region)
        {
            case "salt-first": body[BundleFormat.HeaderLength] ^= 0x01; break;
            case "salt-last": body[BundleFormat.HeaderLength + 15] ^= 0x80; break;
            case "salt-zeroed": body.AsSpan(BundleFormat.HeaderLength, BundleFormat.SaltLength).Clear(); break;
            case "ciphertext": body[BundleFormat.SealedFramesOffset + 50] ^= 0x01; break;
            case "tag": body[^1] ^= 0x01; break;
            case "tag-zeroed": body.AsSpan(body.Length - 16).Clear(); break;
            case "truncated-tag": body = body[..^1]; break;
            default: body = [.. body, 0]; break;
        }

        Assert.Equal(RejectReason.AuthFailed, Open(body));
        Assert.Empty(_frames);
    }

    [Fact]
    public void Decode_SwappedCiphertextsBetweenObjectsWithSameLength_AuthFailed()
    {
        byte[] a = Sealed(Numbered(Peer, Self, 1));
        byte[] b = Sealed(Numbered(Peer, Self, 2));
        byte[] spliced = [.. a[..21], .. b[21..]];
        byte[] saltSwapped = [.. a[..5], .. b[5..21], .. a[21..]];

        Assert.Equal(RejectReason.AuthFailed, Open(spliced));
        Assert.Equal(RejectReason.AuthFailed, Open(saltSwapped));
    }

    public static TheoryData<string> OtherObjectKeys => new()
    {
        new ObjectKey(Self16, Peer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RF")).ToString(),   // another ULID: a replay under a fresh name
        new ObjectKey(Self16, OtherPeer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RE")).ToString(), // another sender
        new ObjectKey(OtherPeer16, Peer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RE")).ToString(), // another receiver
        "prefix/" + new ObjectKey(Self16, Peer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RE")),      // the absolute key, not the relative one
        "",
    };

    [Theory]
    [MemberData(nameof(OtherObjectKeys))]
    public void Decode_UnderAnotherObjectKey_AuthFailed(string otherKey)
    {
        byte[] body = Sealed(Ipv6(Peer, Self));

        Assert.Equal(RejectReason.AuthFailed, Open(body, objectKey: otherKey));
    }

    [Fact]
    public void Decode_SealedByTheDocumentUnderAnotherObjectKey_AuthFailed()
    {
        // The object key is in the derivation and in the associated data: either alone would refuse this.
        byte[] body = SealedByTheDocument(TestKeys.FixedKeyBytes, "fd00::1/fd00::2/0/1", Ipv6(Peer, Self));

        Assert.Equal(RejectReason.None, Open((byte[])body.Clone(), objectKey: "fd00::1/fd00::2/0/1"));
        Assert.Equal(RejectReason.AuthFailed, Open(body, objectKey: "fd00::1/fd00::2/0/2"));
    }

    [Fact]
    public void Decode_WrongKey_AuthFailed()
    {
        byte[] body = Sealed(Ipv6(Peer, Self));
        using NetworkKey other = NetworkKey.Generate();

        Assert.Equal(RejectReason.AuthFailed, Open(body, key: other));
        Assert.Empty(_frames);
    }

    [Fact]
    public void Decode_SameKeyLoadedSeparately_Opens()
    {
        byte[] body = Sealed(Ipv6(Peer, Self));
        Assert.True(NetworkKeyFile.TryParse(Encoding.ASCII.GetBytes(NetworkKeyFile.ToText(_key)), out NetworkKey? copy));
        using (copy)
        {
            Assert.Equal(RejectReason.None, Open(body, key: copy));
        }
    }

    [Fact]
    public void Decode_WithKey_PlainBundle_Unsealed()
    {
        Assert.Equal(RejectReason.Unsealed, Open(Bundle(Ipv6(Peer, Self))));
    }

    [Fact]
    public void Decode_WithKey_BareIpv6Packet_Unsealed()
    {
        Assert.Equal(RejectReason.Unsealed, Open(Ipv6(Peer, Self)));
    }

    [Fact]
    public void Decode_WithKey_PlainBundleMarkedSealed_AuthFailed()
    {
        // Setting the flag on a plain bundle does not make it sealed.
        byte[] body = [.. Bundle(Ipv6(Peer, Self)), .. new byte[BundleFormat.SealOverhead]];
        body[4] = BundleFormat.FlagSealed;

        Assert.Equal(RejectReason.AuthFailed, Open(body));
    }

    [Fact]
    public void Decode_WithKey_EmptyGarbageAndOtherVersions_RejectedAsWithoutKey()
    {
        Assert.Equal(RejectReason.Empty, Open([]));
        Assert.Equal(RejectReason.Malformed, Open([0x00, .. "garbage"u8]));
        foreach (byte version in new byte[] { 0, 3, 255 })
        {
            byte[] other = Sealed(Ipv6(Peer, Self));
            other[3] = version;
            Assert.Equal(RejectReason.UnknownVersion, Open(other));
        }
    }

    [Theory]
    [InlineData(0x03)]
    [InlineData(0x81)]
    [InlineData(0x02)]
    public void Decode_WithKey_UnknownFlagBits_UnknownVersion(byte flags)
    {
        byte[] body = Sealed(Ipv6(Peer, Self));
        body[4] = flags;

        Assert.Equal(RejectReason.UnknownVersion, Open(body));
    }

    [Fact]
    public void Decode_WithoutKey_SealedObject_Sealed()
    {
        byte[] body = Sealed(Ipv6(Peer, Self));

        Assert.Equal(RejectReason.Sealed, BundleFormat.Decode(body, ObjectKeyText, key: null, Peer16, Self16, _frames));
        Assert.Equal(RejectReason.Sealed, BundleFormat.Decode(body, Peer16, Self16, _frames));
        Assert.Empty(_frames);
    }

    [Fact]
    public void Decode_PlainVersion2_UnknownVersionWithOrWithoutKey()
    {
        byte[] plain = Bundle(Ipv6(Peer, Self));
        plain[3] = BundleFormat.Version2;

        Assert.Equal(RejectReason.UnknownVersion, Open(plain));
        Assert.Equal(RejectReason.UnknownVersion, BundleFormat.Decode(plain, Peer16, Self16, _frames));
    }

    [Fact]
    public void Decode_WithoutKey_Version2SealedWithUnknownFlag_Sealed()
    {
        byte[] body = Sealed(Ipv6(Peer, Self));
        body[4] = BundleFormat.FlagSealed | 0x02;

        Assert.Equal(RejectReason.Sealed, BundleFormat.Decode(body, Peer16, Self16, _frames));
    }

    [Fact]
    public void Decode_WithoutKey_PlainObjects_AcceptedAsBefore()
    {
        byte[] plain = Bundle(Ipv6(Peer, Self));
        byte[] bare = Ipv6(Peer, Self);

        Assert.Equal(RejectReason.None, BundleFormat.Decode(plain, ObjectKeyText, key: null, Peer16, Self16, _frames));
        Assert.Equal(RejectReason.None, BundleFormat.Decode(bare, ObjectKeyText, key: null, Peer16, Self16, _frames));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(21)]
    [InlineData(33)]
    [InlineData(36)]
    public void Decode_SealedShorterThanSaltAndTag_Malformed(int length)
    {
        byte[] body = Sealed(Ipv6(Peer, Self))[..length];

        Assert.Equal(RejectReason.Malformed, Open(body));
    }

    [Fact]
    public void Decode_SealedWithoutFrames_Empty()
    {
        byte[] body = Sealed();

        Assert.Equal(BundleFormat.HeaderLength + BundleFormat.SealOverhead, body.Length);
        Assert.Equal(37, body.Length);
        Assert.Equal(RejectReason.Empty, Open(body));
    }

    [Fact]
    public void Decode_AuthenticSealedFromWrongSource_StillWrongSource()
    {
        // Holding the key does not let one node speak for another: the source check still applies.
        Assert.Equal(RejectReason.WrongSource, Open(Sealed(Ipv6(Peer, Self), Ipv6(OtherPeer, Self))));
        Assert.Equal(RejectReason.WrongDestination, Open(Sealed(Ipv6(Peer, OtherPeer))));
        Assert.Empty(_frames);
    }

    [Fact]
    public void Decode_AuthenticSealedWithZeroLengthFrame_Malformed()
    {
        byte[] packet = Ipv6(Peer, Self);
        byte[] body = new byte[BundleFormat.EncodedLength(2, packet.Length, seal: true)];
        int offset = BundleFormat.WriteHeader(body, BundleFormat.FlagSealed);
        offset += BundleFormat.WriteFrame(body.AsSpan(offset), packet);
        offset += BundleFormat.WriteFrame(body.AsSpan(offset), []);
        Assert.Equal(body.Length - BundleFormat.TagLength, offset);
        BundleFormat.Seal(body, ObjectKeyText, _key);

        Assert.Equal(RejectReason.Malformed, Open(body));
        Assert.Empty(_frames);
    }

    [Fact]
    public void Seal_ObjectKeyLongerThanTheStackBuffer_RoundTrips()
    {
        string longKey = new('k', 5000);
        byte[] body = Sealed(_key, longKey, Ipv6(Peer, Self));

        Assert.Equal(RejectReason.None, Open(body, objectKey: longKey));
        Assert.Equal(RejectReason.AuthFailed, Open(Sealed(_key, longKey, Ipv6(Peer, Self)), objectKey: longKey + "x"));
    }

    [Fact]
    public void Seal_NotASealedLayout_Throws()
    {
        byte[] plain = Bundle(Ipv6(Peer, Self));

        Assert.Throws<ArgumentException>(() => BundleFormat.Seal(plain, ObjectKeyText, _key));
        Assert.Throws<ArgumentException>(() => BundleFormat.Seal(new byte[10], ObjectKeyText, _key));
    }

    [Fact]
    public async Task SealAndOpen_ManyThreadsAtOnce_AllRoundTrip()
    {
        byte[][] packets = [.. Enumerable.Range(0, 4).Select(i => Numbered(Peer, Self, i, payloadLength: 200))];
        int failures = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            var frames = new List<Range>();
            for (int i = 0; i < 500; i++)
            {
                byte[] body = Sealed(_key, ObjectKeyText, packets);
                if (BundleFormat.Decode(body, ObjectKeyText, _key, Peer16, Self16, frames) != RejectReason.None
                    || !frames.Select(f => body[f]).SequenceEqual(packets, ByteArrayComparer.Instance))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, TestContext.Current.CancellationToken)));

        Assert.Equal(0, failures);
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
