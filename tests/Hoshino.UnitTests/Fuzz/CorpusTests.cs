using System.Buffers.Binary;
using System.Net;
using System.Text;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Fuzz;

/// <summary>
/// The seed corpus doubles as a regression suite: each entry decodes to the reason its name states.
/// The sealed entries were sealed once by <see cref="Generate_WritesTheSeedCorpus"/> and committed, so
/// they also check that today's reader opens objects yesterday's writer sealed (format stability):
/// <c>*--v1-*</c> by the v1 writer (the network key used directly), the others by the v2 writer.
/// </summary>
public sealed class CorpusTests
{
    private readonly List<Range> _frames = [];

    [Fact]
    public void BundleCorpus_EachEntry_DecodesWithoutKeyToTheReasonInItsName()
    {
        List<(string Name, byte[] Bytes)> entries = FuzzCorpus.Entries(FuzzCorpus.Bundles);
        Assert.True(entries.Count >= 20);
        foreach ((string name, byte[] bytes) in entries)
        {
            RejectReason reason = BundleFormat.Decode(bytes, Peer16, Self16, _frames);
            if (FuzzCorpus.Expected(name) is string expected)
            {
                Assert.True(expected == MetricLabels.Of(reason), $"{name}: {MetricLabels.Of(reason)}");
            }
        }
    }

    [Fact]
    public void SealedCorpus_EachEntry_DecodesWithTheFuzzKeyToTheReasonInItsName()
    {
        using NetworkKey key = FuzzCorpus.CreateFuzzKey();
        List<(string Name, byte[] Bytes)> entries = FuzzCorpus.Entries(FuzzCorpus.Sealed);
        Assert.True(entries.Count >= 15);
        // Both sealed versions are in the corpus, accepted: v2 as written today, v1 as written before.
        Assert.Contains(entries, e => e.Name.StartsWith("none--", StringComparison.Ordinal) && e.Bytes[3] == BundleFormat.Version2);
        Assert.Contains(entries, e => e.Name.StartsWith("none--v1-", StringComparison.Ordinal) && e.Bytes[3] == BundleFormat.Version1);
        foreach ((string name, byte[] bytes) in entries)
        {
            byte[] body = (byte[])bytes.Clone();
            RejectReason reason = BundleFormat.Decode(body, FuzzCorpus.FuzzObjectKey, key, Peer16, Self16, _frames);
            if (FuzzCorpus.Expected(name) is string expected)
            {
                Assert.True(expected == MetricLabels.Of(reason), $"{name}: {MetricLabels.Of(reason)}");
            }
            if (reason == RejectReason.None)
            {
                // Without the key, the same object is refused as sealed.
                Assert.Equal(RejectReason.Sealed, BundleFormat.Decode(bytes, Peer16, Self16, _frames));
            }
        }
    }

    [Fact]
    public void ObjectKeyCorpus_EachEntry_ParsesAsItsNameSays()
    {
        List<(string Name, byte[] Bytes)> entries = FuzzCorpus.Entries(FuzzCorpus.ObjectKeys);
        Assert.True(entries.Count >= 15);
        foreach ((string name, byte[] bytes) in entries)
        {
            string text = Encoding.UTF8.GetString(bytes);
            bool parsed = ObjectKey.TryParse(text, out ObjectKey? key);
            if (FuzzCorpus.Expected(name) is string expected)
            {
                Assert.True(parsed == (expected == "valid"), $"{name}: parsed={parsed}");
            }
            if (parsed)
            {
                Assert.Equal(text, key!.Value.ToString());
            }
        }
    }

    /// <summary>Rewrites the seed corpus in the source tree (all but the frozen v1 entries). Run by hand: it re-seals with fresh salts.</summary>
    [Fact(Explicit = true)]
    public void Generate_WritesTheSeedCorpus()
    {
        using NetworkKey key = FuzzCorpus.CreateFuzzKey();
        using NetworkKey otherKey = NetworkKey.FromBytes([.. Enumerable.Range(0x20, NetworkKey.KeyLength).Select(i => (byte)i)]);
        byte[] good = Ipv6(Peer, Self, payloadLength: 8);
        byte[] ipv4 = [0x45, 0, 0, 40, .. new byte[36]];
        byte[] mismatch = Ipv6(Peer, Self, payloadLength: 10);
        mismatch[5] = 11;
        byte[] jumbo = Ipv6(Peer, Self, payloadLength: 100);
        jumbo[4] = 0;
        jumbo[5] = 0;

        var bundles = new Dictionary<string, byte[]>
        {
            ["none--bare-header-only"] = Ipv6(Peer, Self, payloadLength: 0),
            ["none--bare-icmpv6-64"] = Ipv6(Peer, Self, payloadLength: 64, nextHeader: 58),
            ["none--bare-1280"] = Ipv6(Peer, Self, payloadLength: 1240, fill: 0x00),
            ["none--one-frame"] = Bundle(good),
            ["none--three-frames"] = Bundle(Ipv6(Peer, Self, 0), Ipv6(Peer, Self, 100, 0x11), Ipv6(Peer, Self, 1000, 0x22)),
            ["none--twenty-small-frames"] = Bundle([.. Enumerable.Range(0, 20).Select(i => Numbered(Peer, Self, i, 4 + i))]),
            ["none--frame-9000"] = Bundle(Ipv6(Peer, Self, 8960, 0x5A), good),
            ["none--hop-by-hop-next-header"] = Bundle(Ipv6(Peer, Self, 16, nextHeader: 0)),
            ["empty--zero-bytes"] = [],
            ["empty--header-only"] = Bundle(),
            ["malformed--one-byte-h"] = "H"u8.ToArray(),
            ["malformed--magic-only"] = "HSN"u8.ToArray(),
            ["malformed--magic-and-version"] = [.. "HSN"u8, 1],
            ["malformed--bad-magic"] = [.. "XSN"u8, .. Bundle(good)[3..]],
            ["malformed--zero-byte"] = [0],
            ["malformed--ipv4-packet"] = ipv4,
            ["malformed--truncated-frame-length"] = [.. Bundle(good), 0, 0],
            ["malformed--truncated-frame-body"] = Bundle(good, good)[..^1],
            ["malformed--zero-length-frame"] = [.. Bundle(good), 0, 0, 0, 0],
            ["malformed--frame-length-uint-max"] = WithFrameLength(Bundle(good), uint.MaxValue),
            ["malformed--frame-length-over-max"] = WithFrameLength(Bundle(good), BundleFormat.MaxFrameLength + 1),
            ["malformed--frame-length-past-end"] = WithFrameLength(Bundle(good), (uint)good.Length + 1),
            ["unknown_version--version-0"] = WithByte(Bundle(good), 3, 0),
            ["unknown_version--version-2"] = WithByte(Bundle(good), 3, BundleFormat.Version2), // v2 is a sealed layout only
            ["unknown_version--version-3"] = WithByte(Bundle(good), 3, 3),
            ["unknown_version--unknown-flag"] = WithByte(Bundle(good), 4, 0x02),
            ["sealed--sealed-flag"] = WithByte(Bundle(good), 4, BundleFormat.FlagSealed),
            ["sealed--sealed-and-unknown-flag"] = WithByte(Bundle(good), 4, 0x03),
            ["not_ipv6--ipv4-frame"] = Bundle(good, ipv4),
            ["not_ipv6--frame-39-bytes"] = Bundle(good[..39]),
            ["not_ipv6--payload-length-mismatch"] = Bundle(mismatch),
            ["not_ipv6--jumbogram-frame"] = Bundle(jumbo),
            ["not_ipv6--bare-truncated"] = good[..^1],
            ["not_ipv6--bare-trailing-byte"] = [.. good, 0],
            ["wrong_source--second-frame"] = Bundle(good, Ipv6(OtherPeer, Self)),
            ["wrong_source--bare"] = Ipv6(OtherPeer, Self),
            ["wrong_destination--last-frame"] = Bundle(good, good, Ipv6(Peer, OtherPeer)),
            ["wrong_destination--bare-multicast"] = Ipv6(Peer, IPAddress.Parse("ff02::1")),
        };

        string objectKey = FuzzCorpus.FuzzObjectKey;
        // Format v2, by the production writer. Every tampered entry is a copy of none--one-frame with
        // one change, so a mutation that undoes the change gives back an authentic corpus entry (the
        // fuzz test's definition of "not a forgery") rather than an authentic object it never saw.
        byte[] oneFrame = Seal(key, objectKey, Bundle(good));
        var sealedEntries = new Dictionary<string, byte[]>
        {
            ["none--one-frame"] = oneFrame,
            ["none--three-frames"] = Seal(key, objectKey, Bundle(Ipv6(Peer, Self, 0), Ipv6(Peer, Self, 100, 0x11), Ipv6(Peer, Self, 700, 0x22))),
            ["none--twenty-small-frames"] = Seal(key, objectKey, Bundle([.. Enumerable.Range(0, 20).Select(i => Numbered(Peer, Self, i, 4 + i))])),
            ["empty--no-frames"] = Seal(key, objectKey, Bundle()),
            ["empty--zero-bytes"] = [],
            ["wrong_source--authentic"] = Seal(key, objectKey, Bundle(good, Ipv6(OtherPeer, Self))),
            ["wrong_destination--authentic"] = Seal(key, objectKey, Bundle(Ipv6(Peer, OtherPeer))),
            ["malformed--authentic-zero-length-frame"] = Seal(key, objectKey, [.. Bundle(good), 0, 0, 0, 0]),
            ["malformed--authentic-frame-past-end"] = Seal(key, objectKey, WithFrameLength(Bundle(good), (uint)good.Length + 1)),
            ["not_ipv6--authentic-ipv4-frame"] = Seal(key, objectKey, Bundle(ipv4)),
            ["auth_failed--other-key"] = Seal(otherKey, objectKey, Bundle(good)),
            ["auth_failed--other-object-key"] = Seal(key, new ObjectKey(Self16, Peer16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RF")).ToString(), Bundle(good)),
            ["auth_failed--sealed-under-an-epoch-seq-key"] = Seal(key, $"{Self16}/{Peer16}/1/1", Bundle(good)),
            ["auth_failed--flipped-salt"] = Flip([.. oneFrame], BundleFormat.HeaderLength),
            ["auth_failed--flipped-ciphertext"] = Flip([.. oneFrame], BundleFormat.SealedFramesOffset + 30),
            ["auth_failed--flipped-tag"] = Flip([.. oneFrame], -1),
            ["auth_failed--tag-byte-missing"] = oneFrame[..^1],
            ["auth_failed--relabelled-version-1"] = WithByte([.. oneFrame], 3, BundleFormat.Version1),
            ["malformed--shorter-than-salt-and-tag"] = Seal(key, objectKey, Bundle())[..^1],
            ["unsealed--plain-bundle"] = Bundle(good),
            ["unknown_version--plain-version-2"] = WithByte(Bundle(good), 3, BundleFormat.Version2),
            ["unsealed--bare-packet"] = good,
            ["unknown_version--version-3"] = WithByte([.. oneFrame], 3, 3),
            ["unknown_version--unknown-flag"] = WithByte([.. oneFrame], 4, 0x03),
        };

        // Format v1: the writer is retired, so its output in the corpus is kept as it was written
        // (none--v1-*, empty--v1-*, malformed--v1-*, not_ipv6--v1-*, wrong_*--v1-*, auth_failed--v1-other-*).
        // The tampered v1 entries are made here from the v1 writer's none--v1-one-frame, as above.
        byte[] v1OneFrame = File.ReadAllBytes(Path.Combine(FuzzCorpus.SourceDirectory(FuzzCorpus.Sealed), "none--v1-one-frame.bin"));
        Assert.Equal(BundleFormat.Version1, v1OneFrame[3]);
        sealedEntries["auth_failed--v1-flipped-nonce"] = Flip([.. v1OneFrame], BundleFormat.HeaderLength);
        sealedEntries["auth_failed--v1-flipped-ciphertext"] = Flip([.. v1OneFrame], BundleFormat.Version1SealedFramesOffset + 30);
        sealedEntries["auth_failed--v1-flipped-tag"] = Flip([.. v1OneFrame], -1);
        sealedEntries["auth_failed--v1-tag-byte-missing"] = v1OneFrame[..^1];
        sealedEntries["auth_failed--v1-relabelled-version-2"] = WithByte([.. v1OneFrame], 3, BundleFormat.Version2);
        sealedEntries["unknown_version--v1-unknown-flag"] = WithByte([.. v1OneFrame], 4, 0x03);

        string ulid = "01JDQ3Z5T9X4M8W2C6B0N7K1RE";
        var objectKeys = new Dictionary<string, string>
        {
            ["valid--peer-to-self"] = objectKey,
            ["valid--full-addresses"] = $"fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f/fd5e:59b8:f71d:9a3e:1:2:3:4/{ulid}",
            ["valid--unspecified-and-loopback"] = $"::/::1/{ulid}",
            ["valid--ipv4-mapped"] = $"::ffff:1.2.3.4/fd00::1/{ulid}",
            ["valid--ulid-zero"] = "fd00::1/fd00::2/00000000000000000000000000",
            ["invalid--upper-case-address"] = $"FD00::1/fd00::2/{ulid}",
            ["invalid--leading-zeros"] = $"fd00::01/fd00::2/{ulid}",
            ["invalid--uncompressed-zeros"] = $"fd00:0:0:0:0:0:0:1/fd00::2/{ulid}",
            ["invalid--zone"] = $"fe80::1%eth0/fd00::2/{ulid}",
            ["invalid--ipv4-destination"] = $"10.0.0.1/fd00::2/{ulid}",
            ["invalid--brackets"] = $"[fd00::1]/fd00::2/{ulid}",
            ["invalid--lower-case-ulid"] = $"fd00::1/fd00::2/{ulid.ToLowerInvariant()}",
            ["invalid--ulid-starts-with-8"] = "fd00::1/fd00::2/81JDQ3Z5T9X4M8W2C6B0N7K1RE",
            ["invalid--ulid-past-datetimeoffset"] = "fd00::1/fd00::2/7ZZZZZZZZZZZZZZZZZZZZZZZZZ",
            ["invalid--ulid-25"] = $"fd00::1/fd00::2/{ulid[..25]}",
            ["invalid--ulid-27"] = $"fd00::1/fd00::2/{ulid}0",
            ["invalid--ulid-excluded-letter"] = "fd00::1/fd00::2/01JDQ3Z5T9X4M8W2C6B0N7K1RU",
            ["invalid--empty"] = "",
            ["invalid--no-slashes"] = "fd00::1",
            ["invalid--empty-source"] = $"fd00::1//{ulid}",
            ["invalid--extra-segment"] = $"fd00::1/fd00::2/x/{ulid}",
            ["invalid--trailing-slash"] = $"fd00::1/fd00::2/{ulid}/",
            ["invalid--with-key-prefix"] = $"hoshino/fd00::1/fd00::2/{ulid}",
            ["invalid--fullwidth-digits"] = $"fd00::\uff11/fd00::2/{ulid}",
        };

        Write(FuzzCorpus.Bundles, bundles.ToDictionary(e => e.Key + ".bin", e => e.Value));
        Write(FuzzCorpus.Sealed, sealedEntries.ToDictionary(e => e.Key + ".bin", e => e.Value));
        Write(FuzzCorpus.ObjectKeys, objectKeys.ToDictionary(e => e.Key + ".txt", e => Encoding.UTF8.GetBytes(e.Value)));
    }

    private static void Write(string target, Dictionary<string, byte[]> entries)
    {
        string directory = FuzzCorpus.SourceDirectory(target);
        Directory.CreateDirectory(directory);
        foreach ((string name, byte[] bytes) in entries)
        {
            File.WriteAllBytes(Path.Combine(directory, name), bytes);
        }
    }

    /// <summary>Seals a plain bundle's frames as the egress pump does.</summary>
    private static byte[] Seal(NetworkKey key, string objectKey, byte[] plainBundle)
    {
        byte[] body = new byte[plainBundle.Length + BundleFormat.SealOverhead];
        int offset = BundleFormat.WriteHeader(body, BundleFormat.FlagSealed);
        plainBundle.AsSpan(BundleFormat.HeaderLength).CopyTo(body.AsSpan(offset));
        BundleFormat.Seal(body, objectKey, key);
        return body;
    }

    private static byte[] WithFrameLength(byte[] bundle, uint length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(bundle.AsSpan(BundleFormat.HeaderLength), length);
        return bundle;
    }

    private static byte[] WithByte(byte[] body, int index, byte value)
    {
        body[index] = value;
        return body;
    }

    private static byte[] Flip(byte[] body, int index)
    {
        body[index < 0 ? body.Length + index : index] ^= 0x01;
        return body;
    }
}
