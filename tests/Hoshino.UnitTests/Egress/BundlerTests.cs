using Hoshino.Egress;
using Hoshino.Packets;
using Hoshino.Transport;
using Hoshino.UnitTests.TestSupport;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Egress;

public sealed class BundlerTests : IDisposable
{
    private static readonly Ulid Epoch = Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RE");
    private static readonly StreamKey Key = new(Peer16, Self16, Epoch, 42);

    private readonly NetworkKey _key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);
    private readonly List<Range> _frames = [];

    public void Dispose() => _key.Dispose();

    private static List<QueuedPacket> Packets(params byte[][] packets) =>
        [.. packets.Select(p => QueuedPacket.CopyOf(p, 0))];

    [Fact]
    public void Encode_Plain_DecodesToThePacketsInOrder()
    {
        byte[][] packets = [Numbered(Self, Peer, 1), Numbered(Self, Peer, 2, payloadLength: 300)];
        List<QueuedPacket> queued = Packets(packets);

        using EncodedBundle bundle = Bundler.Encode(queued, Key.ToString(), seal: null);

        Assert.Equal(packets, Unbundle(bundle.Body.ToArray(), Self16, Peer16));
        Assert.Equal(packets.Sum(p => p.Length), bundle.PacketBytes);
        QueuedPacket.ReturnAll(queued);
    }

    /// <summary>ADR 0008 with v2 names: the stream key is the HKDF info and the associated data, so the object opens under its own name only.</summary>
    [Fact]
    public void Encode_SealedUnderStreamKey_OpensUnderItsNameOnlyNotAnotherNumberEpochOrSender()
    {
        List<QueuedPacket> queued = Packets(Numbered(Self, Peer, 7));
        using EncodedBundle bundle = Bundler.Encode(queued, Key.ToString(), _key);
        QueuedPacket.ReturnAll(queued);
        string[] others =
        [
            Key.WithSequence(43).ToString(),
            new StreamKey(Peer16, Self16, Ulid.Parse("01JDQ3Z5T9X4M8W2C6B0N7K1RF"), 42).ToString(),
            new StreamKey(Peer16, OtherPeer16, Epoch, 42).ToString(),
            new StreamKey(OtherPeer16, Self16, Epoch, 42).ToString(),
            $"{Peer16}/{Self16}/{Epoch}", // the v1 name of the same stream
        ];

        Assert.Equal(RejectReason.None, BundleFormat.Decode(bundle.Body.ToArray(), Key.ToString(), _key, Self16, Peer16, _frames));
        Assert.Single(_frames);
        foreach (string other in others)
        {
            Assert.Equal(RejectReason.AuthFailed, BundleFormat.Decode(bundle.Body.ToArray(), other, _key, Self16, Peer16, _frames));
        }
    }
}
