using System.Buffers.Binary;
using Hoshino.Packets;
using static Hoshino.UnitTests.TestSupport.TestPackets;

namespace Hoshino.UnitTests.Packets;

public sealed class BundleFormatTests
{
    private readonly List<Range> _frames = [];

    private RejectReason Decode(byte[] body) => BundleFormat.Decode(body, Peer16, Self16, _frames);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(300)]
    public void Decode_EncodedPackets_ReturnsSameBytesAtWrittenPositions(int count)
    {
        byte[][] packets = [.. Enumerable.Range(0, count).Select(i => Numbered(Peer, Self, i, payloadLength: 4 + i % 97))];
        byte[] body = Bundle(packets);

        Assert.Equal(RejectReason.None, Decode(body));

        Assert.Equal(count, _frames.Count);
        int expectedOffset = BundleFormat.HeaderLength;
        for (int i = 0; i < count; i++)
        {
            expectedOffset += BundleFormat.FrameHeaderLength;
            Assert.Equal(new Range(expectedOffset, expectedOffset + packets[i].Length), _frames[i]);
            Assert.Equal(packets[i], body[_frames[i]]);
            expectedOffset += packets[i].Length;
        }
        Assert.Equal(body.Length, expectedOffset);
    }

    [Fact]
    public void WriteHeader_WritesMagicVersionAndFlags()
    {
        byte[] header = new byte[BundleFormat.HeaderLength];

        int written = BundleFormat.WriteHeader(header, flags: 0x80);

        Assert.Equal(BundleFormat.HeaderLength, written);
        Assert.Equal("HSN"u8.ToArray().Concat(new byte[] { BundleFormat.Version1, 0x80 }), header);
    }

    [Fact]
    public void WriteFrame_WritesBigEndianLengthThenPacket()
    {
        byte[] packet = Ipv6(Peer, Self, payloadLength: 260);
        byte[] frame = new byte[BundleFormat.FrameHeaderLength + packet.Length];

        int written = BundleFormat.WriteFrame(frame, packet);

        Assert.Equal(frame.Length, written);
        Assert.Equal((uint)packet.Length, BinaryPrimitives.ReadUInt32BigEndian(frame));
        Assert.Equal(packet, frame[BundleFormat.FrameHeaderLength..]);
    }

    [Fact]
    public void EncodedLength_MatchesBytesWritten()
    {
        Assert.Equal(5, BundleFormat.EncodedLength(0, 0));
        Assert.Equal(5 + 3 * 4 + 150, BundleFormat.EncodedLength(3, 150));
    }

    [Fact]
    public void Decode_BareIpv6Packet_AcceptedAsOneFrame()
    {
        byte[] packet = Ipv6(Peer, Self, payloadLength: 33);

        Assert.Equal(RejectReason.None, Decode(packet));

        Assert.Equal([new Range(0, packet.Length)], _frames);
    }

    [Fact]
    public void Decode_BareIpv6PacketFromWrongSource_WrongSource()
    {
        Assert.Equal(RejectReason.WrongSource, Decode(Ipv6(OtherPeer, Self)));
    }

    [Fact]
    public void Decode_BareIpv6PacketToWrongDestination_WrongDestination()
    {
        Assert.Equal(RejectReason.WrongDestination, Decode(Ipv6(Peer, OtherPeer)));
    }

    [Fact]
    public void Decode_BareIpv6PacketTruncated_NotIpv6()
    {
        byte[] packet = Ipv6(Peer, Self, payloadLength: 33);

        Assert.Equal(RejectReason.NotIpv6, Decode(packet[..^1]));
    }

    [Fact]
    public void Decode_ZeroBytes_Empty()
    {
        Assert.Equal(RejectReason.Empty, Decode([]));
        Assert.Empty(_frames);
    }

    [Fact]
    public void Decode_HeaderWithoutFrames_Empty()
    {
        Assert.Equal(RejectReason.Empty, Decode(Bundle()));
        Assert.Empty(_frames);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'H' })]
    [InlineData(new byte[] { (byte)'H', (byte)'S', (byte)'N' })]
    [InlineData(new byte[] { (byte)'H', (byte)'S', (byte)'N', 1 })]
    [InlineData(new byte[] { (byte)'X', (byte)'S', (byte)'N', 1, 0 })]
    [InlineData(new byte[] { (byte)'H', (byte)'S', (byte)'M', 1, 0 })]
    [InlineData(new byte[] { 0x45, 0, 0, 20 })]                  // IPv4
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void Decode_BadMagicOrShortHeader_Malformed(byte[] body)
    {
        Assert.Equal(RejectReason.Malformed, Decode(body));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Decode_TruncatedFrameHeader_Malformed(int lengthBytes)
    {
        byte[] body = [.. Bundle(Ipv6(Peer, Self)), .. new byte[lengthBytes]];

        Assert.Equal(RejectReason.Malformed, Decode(body));
    }

    [Fact]
    public void Decode_TruncatedFrameBody_Malformed()
    {
        byte[] body = Bundle(Ipv6(Peer, Self), Ipv6(Peer, Self));

        Assert.Equal(RejectReason.Malformed, Decode(body[..^1]));
    }

    [Fact]
    public void Decode_ZeroLengthFrame_Malformed()
    {
        byte[] body = [.. Bundle(Ipv6(Peer, Self)), 0, 0, 0, 0];

        Assert.Equal(RejectReason.Malformed, Decode(body));
    }

    [Fact]
    public void Decode_FrameLongerThanRest_Malformed()
    {
        byte[] body = Bundle(Ipv6(Peer, Self));
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(BundleFormat.HeaderLength), (uint)(body.Length - BundleFormat.HeaderLength - BundleFormat.FrameHeaderLength + 1));

        Assert.Equal(RejectReason.Malformed, Decode(body));
    }

    [Theory]
    [InlineData(uint.MaxValue)]
    [InlineData(0x8000_0000u)]
    [InlineData((uint)BundleFormat.MaxFrameLength + 1)]
    public void Decode_HugeFrameLength_MalformedWithoutThrowing(uint length)
    {
        byte[] body = Bundle(Ipv6(Peer, Self));
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(BundleFormat.HeaderLength), length);

        Assert.Equal(RejectReason.Malformed, Decode(body));
    }

    [Fact]
    public void Decode_FrameOfMaxFrameLength_Accepted()
    {
        byte[] packet = Ipv6(Peer, Self, payloadLength: ushort.MaxValue);
        Assert.Equal(BundleFormat.MaxFrameLength, packet.Length);

        Assert.Equal(RejectReason.None, Decode(Bundle(packet)));
    }

    [Fact]
    public void WriteHeader_Sealed_Version2AndRoomForTheSalt()
    {
        byte[] header = new byte[BundleFormat.SealedFramesOffset];

        int written = BundleFormat.WriteHeader(header, BundleFormat.FlagSealed);

        Assert.Equal(BundleFormat.HeaderLength + 16, written);
        Assert.Equal("HSN"u8.ToArray().Concat(new byte[] { BundleFormat.Version2, BundleFormat.FlagSealed }), header[..5]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)] // v2 defines only the sealed layout: no writer makes a plain object labelled 2
    [InlineData(3)]
    [InlineData(255)]
    public void Decode_OtherVersion_UnknownVersion(byte version)
    {
        byte[] body = Bundle(Ipv6(Peer, Self));
        body[3] = version;

        Assert.Equal(RejectReason.UnknownVersion, Decode(body));
    }

    [Theory]
    [InlineData(BundleFormat.FlagSealed)]
    [InlineData(BundleFormat.FlagSealed | 0x02)]
    [InlineData(0xFF)]
    public void Decode_SealedFlag_Sealed(byte flags)
    {
        byte[] body = Bundle(Ipv6(Peer, Self));
        body[4] = flags;

        Assert.Equal(RejectReason.Sealed, Decode(body));
    }

    [Theory]
    [InlineData(0x02)]
    [InlineData(0x80)]
    public void Decode_UnknownFlag_UnknownVersion(byte flags)
    {
        byte[] body = Bundle(Ipv6(Peer, Self));
        body[4] = flags;

        Assert.Equal(RejectReason.UnknownVersion, Decode(body));
    }

    [Fact]
    public void Decode_Ipv4Frame_NotIpv6()
    {
        byte[] ipv4 = new byte[40];
        ipv4[0] = 0x45;

        Assert.Equal(RejectReason.NotIpv6, Decode(Bundle(Ipv6(Peer, Self), ipv4)));
    }

    [Fact]
    public void Decode_FrameWithPayloadLengthMismatch_NotIpv6()
    {
        byte[] bad = Ipv6(Peer, Self, payloadLength: 10);
        bad[5] = 11;

        Assert.Equal(RejectReason.NotIpv6, Decode(Bundle(bad)));
    }

    [Fact]
    public void Decode_FrameShorterThanIpv6Header_NotIpv6()
    {
        Assert.Equal(RejectReason.NotIpv6, Decode(Bundle(Ipv6(Peer, Self)[..39])));
    }

    [Fact]
    public void Decode_OneFrameFromWrongSource_WholeObjectWrongSource()
    {
        Assert.Equal(RejectReason.WrongSource, Decode(Bundle(Ipv6(Peer, Self), Ipv6(OtherPeer, Self), Ipv6(Peer, Self))));
    }

    [Fact]
    public void Decode_OneFrameToWrongDestination_WholeObjectWrongDestination()
    {
        Assert.Equal(RejectReason.WrongDestination, Decode(Bundle(Ipv6(Peer, Self), Ipv6(Peer, Self), Ipv6(Peer, OtherPeer))));
    }

    [Fact]
    public void Decode_SourceCheckedBeforeDestination_WrongSource()
    {
        Assert.Equal(RejectReason.WrongSource, Decode(Bundle(Ipv6(OtherPeer, OtherPeer))));
    }

    [Fact]
    public void Decode_ReusedFrameList_ClearedFirst()
    {
        Assert.Equal(RejectReason.None, Decode(Bundle(Ipv6(Peer, Self), Ipv6(Peer, Self), Ipv6(Peer, Self))));
        Assert.Equal(3, _frames.Count);

        Assert.Equal(RejectReason.None, Decode(Bundle(Ipv6(Peer, Self))));

        Assert.Single(_frames);
    }
}
