using System.Net;
using Hoshino.NameService;
using Hoshino.Peers;
using static Hoshino.UnitTests.NameService.DnsMessages;

namespace Hoshino.UnitTests.NameService;

public sealed class DnsResponderTests
{
    internal static readonly IPAddress Alpha = IPAddress.Parse("fd5e:59b8:f71d:9a3e:a1a1:a1a1:a1a1:a1a1");
    internal static readonly IPAddress Beta = IPAddress.Parse("fd5e:59b8:f71d:9a3e:b2b2:b2b2:b2b2:b2b2");

    internal static FixedPeerNames Names() => new(
    [
        new PeerRecord("alpha", Alpha, "0.1.0", DateTimeOffset.UnixEpoch, false, DateTimeOffset.UnixEpoch),
        new PeerRecord("beta", Beta, "0.1.0", DateTimeOffset.UnixEpoch, true, DateTimeOffset.UnixEpoch),
    ]);

    private readonly DnsResponder _responder = new(DnsZone.Create("hoshino"), Names());

    private Reply Ask(byte[] query, bool overUdp = true, DnsResult? expected = null, int bufferLength = DnsResponder.MaxResponseLength)
    {
        byte[] response = new byte[bufferLength];
        DnsResult result = _responder.Respond(query, response, overUdp, out int length);
        if (expected is { } e)
        {
            Assert.Equal(e, result);
        }
        Assert.InRange(length, 12, bufferLength);
        Reply reply = Parse(response.AsSpan(0, length));
        Assert.True(reply.Qr);
        Assert.False(reply.Ra);   // never recursion
        return reply;
    }

    [Fact]
    public void Respond_AaaaOfAKnownName_AnswersItsAddressAuthoritativelyWithTheRenewalTtl()
    {
        Reply reply = Ask(Query("beta.hoshino", Aaaa, id: 0xBEEF), expected: DnsResult.Answer);

        Assert.Equal(0xBEEF, reply.Id);
        Assert.Equal(0, reply.FullRcode);
        Assert.True(reply.Aa);
        Assert.True(reply.Rd);   // copied
        Assert.False(reply.Tc);
        DnsRecord answer = Assert.Single(reply.Answers);
        Assert.Equal(("beta.hoshino", Aaaa, (ushort)1, 30u), (answer.Name, answer.Type, answer.Class, answer.Ttl));
        Assert.Equal(Beta, answer.Address);
        Assert.Empty(reply.Authority);
    }

    [Fact]
    public void Respond_MixedCase_MatchesAndEchoesTheQuestionInItsOwnCase()
    {
        byte[] query = Query("BeTa.HoShInO", Aaaa);
        Reply reply = Ask(query, expected: DnsResult.Answer);

        Assert.Equal("BeTa.HoShInO", reply.Question);   // 0x20-randomising resolvers check this
        Assert.Equal(Beta, Assert.Single(reply.Answers).Address);
    }

    [Fact]
    public void Respond_Answer_CompressesItsNameToThePointerAtTheQuestion()
    {
        byte[] response = new byte[DnsResponder.MaxResponseLength];
        _responder.Respond(Query("alpha.hoshino", Aaaa, ednsSize: null), response, true, out int length);

        // 12 header + 15 name + 4, then the answer's owner: 0xC00C.
        Assert.Equal(12 + 15 + 4 + 2 + 10 + 16, length);
        Assert.Equal([0xC0, 0x0C], response[31..33]);
    }

    [Theory]
    [InlineData(A)]
    [InlineData(Txt)]
    [InlineData((ushort)15)]   // MX
    public void Respond_OtherTypeOfAKnownName_IsNoDataWithTheSoa(ushort type)
    {
        Reply reply = Ask(Query("alpha.hoshino", type), expected: DnsResult.NoData);

        Assert.Equal(0, reply.FullRcode);
        Assert.True(reply.Aa);
        Assert.Empty(reply.Answers);
        AssertSoa(Assert.Single(reply.Authority));
    }

    [Theory]
    [InlineData("gamma.hoshino")]
    [InlineData("a.beta.hoshino")]          // nothing lives below a node's name
    [InlineData("under_score.hoshino")]     // not a host label: never looked up
    [InlineData("x-.hoshino")]
    public void Respond_NameInTheZoneWithNoRecord_IsNxDomainWithTheSoa(string name)
    {
        Reply reply = Ask(Query(name, Aaaa), expected: DnsResult.NxDomain);

        Assert.Equal(3, reply.FullRcode);
        Assert.True(reply.Aa);
        Assert.Empty(reply.Answers);
        AssertSoa(Assert.Single(reply.Authority));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("beta.hoshino.example.com")]
    [InlineData("hoshinoo")]
    [InlineData("beta.xhoshino")]
    [InlineData("")]   // the root
    public void Respond_NameOutsideTheZone_IsRefusedWithoutAuthority(string name)
    {
        Reply reply = Ask(Query(name, Aaaa), expected: DnsResult.Refused);

        Assert.Equal(5, reply.FullRcode);
        Assert.False(reply.Aa);
        Assert.Empty(reply.Answers);
        Assert.Empty(reply.Authority);
    }

    [Fact]
    public void Respond_ClassOtherThanIn_IsRefused()
    {
        Assert.Equal(5, Ask(Query("beta.hoshino", Aaaa, @class: 3), expected: DnsResult.Refused).FullRcode);   // CHAOS
    }

    [Fact]
    public void Respond_SoaOfTheApex_AnswersTheSoa()
    {
        Reply reply = Ask(Query("Hoshino", Soa), expected: DnsResult.Answer);

        AssertSoa(Assert.Single(reply.Answers), "Hoshino");
        Assert.Empty(reply.Authority);
        Assert.Equal(DnsResult.NoData, _responder.Respond(Query("hoshino", Aaaa), new byte[DnsResponder.MaxResponseLength], true, out _));
    }

    [Fact]
    public void Respond_AnyOfAKnownName_AnswersItsAddress()
    {
        Assert.Equal(Alpha, Assert.Single(Ask(Query("alpha.hoshino", Any), expected: DnsResult.Answer).Answers).Address);
    }

    [Fact]
    public void Respond_ZoneOfSeveralLabels_AnswersBelowItOnly()
    {
        var responder = new DnsResponder(DnsZone.Create("Net.Example."), Names());
        byte[] response = new byte[DnsResponder.MaxResponseLength];

        Assert.Equal(DnsResult.Answer, responder.Respond(Query("alpha.net.example", Aaaa), response, true, out int length));
        Assert.Equal(Alpha, Assert.Single(Parse(response.AsSpan(0, length)).Answers).Address);
        Assert.Equal(DnsResult.Refused, responder.Respond(Query("alpha.hoshino", Aaaa), response, true, out _));
        Assert.Equal(DnsResult.Refused, responder.Respond(Query("alpha.example", Aaaa), response, true, out _));
    }

    [Fact]
    public void Respond_WithEdns_CarriesAnOptWithTheAdvertisedSizeAndEchoesDo()
    {
        Reply reply = Ask(Query("beta.hoshino", Aaaa, ednsSize: 4096, dnssecOk: true));

        DnsRecord opt = Assert.IsType<DnsRecord>(reply.Opt);
        Assert.Equal(1232, opt.Class);
        Assert.Equal(0x8000u, opt.Ttl);   // version 0, extended rcode 0, DO
        Assert.Empty(opt.Data);
        Assert.Null(Ask(Query("beta.hoshino", Aaaa, ednsSize: null)).Opt);
    }

    [Fact]
    public void Respond_EdnsVersionOne_IsBadVers()
    {
        Reply reply = Ask(Query("beta.hoshino", Aaaa, ednsVersion: 1), expected: DnsResult.BadVersion);

        Assert.Equal(16, reply.FullRcode);
        Assert.Empty(reply.Answers);
        Assert.NotNull(reply.Opt);
    }

    [Fact]
    public void Respond_ReplyLargerThanTheLimit_IsTruncatedToTheQuestionWithTc()
    {
        // No reply of this zone outgrows 512 bytes, so the limit is forced with a short buffer: the same check.
        string longName = string.Join('.', Enumerable.Repeat(new string('x', 60), 3)) + ".hoshino";
        Reply reply = Ask(Query(longName, Aaaa), bufferLength: 12 + 196 + 4 + 11 + 20, expected: DnsResult.NxDomain);

        Assert.True(reply.Tc);
        Assert.Equal(3, reply.FullRcode);
        Assert.Empty(reply.Authority);
        Assert.Equal(longName, reply.Question);
        Assert.NotNull(reply.Opt);   // kept: the client learns the size to retry with, or to use TCP
    }

    [Fact]
    public void Respond_OverTcp_IsNotLimitedTo512()
    {
        Reply reply = Ask(Query("beta.hoshino", Aaaa, ednsSize: null), overUdp: false, expected: DnsResult.Answer);

        Assert.False(reply.Tc);
    }

    [Theory]
    [InlineData(2)]   // STATUS
    [InlineData(4)]   // NOTIFY
    [InlineData(5)]   // UPDATE
    public void Respond_OpcodeOtherThanQuery_IsNotImp(int opcode)
    {
        Reply reply = Ask(Query("beta.hoshino", Aaaa, opcode: opcode), expected: DnsResult.NotImplemented);

        Assert.Equal(4, reply.FullRcode);
        Assert.Equal(opcode, (reply.Flags >> 11) & 0xF);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Respond_QuestionCountNotOne_IsFormErr(int count)
    {
        Assert.Equal(1, Ask(Query("beta.hoshino", Aaaa, qdCount: count), expected: DnsResult.Malformed).FullRcode);
    }

    public static TheoryData<string, byte[]> MalformedQueries()
    {
        byte[] good = Query("beta.hoshino", Aaaa, ednsSize: null);
        byte[] withOpt = Query("beta.hoshino", Aaaa);
        byte[] header = good[..12];
        return new TheoryData<string, byte[]>
        {
            { "truncated in the name", good[..16] },
            { "truncated in the type", good[..^3] },
            { "a byte left over", [.. good, 0] },
            { "truncated in the OPT", withOpt[..^3] },
            { "OPT data longer than the message", [.. withOpt[..^2], 0, 9] },
            { "a pointer to itself", [.. header, 0xC0, 12, 0, 28, 0, 1] },
            { "a pointer forward", [.. header, 0xC0, 14, 0, 0, 28, 0, 1] },
            { "a pointer loop", [.. header, 4, (byte)'b', (byte)'e', (byte)'t', (byte)'a', 0xC0, 12, 0, 28, 0, 1] },
            { "an extended label type", [.. header, 0x41, 0, 0, 28, 0, 1] },
            { "a label running past the end", [.. header, 63, 1, 2, 3] },
            { "a name longer than 255 bytes", [.. header, .. Enumerable.Range(0, 5).SelectMany(_ => (byte[])[60, .. new byte[60]]), 0, 0, 28, 0, 1] },
            { "an answer record in a query", [.. good[..6], 0, 1, .. good[8..]] },
            { "an additional record that is not OPT", [.. good[..10], 0, 1, .. good[12..], 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0] },
            { "two additional records", [.. withOpt[..10], 0, 2, .. withOpt[12..]] },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedQueries))]
    public void Respond_MalformedQuery_IsFormErrWithTheIdAndNoQuestion(string what, byte[] query)
    {
        Reply reply = Ask(query, expected: DnsResult.Malformed);

        Assert.True(reply.FullRcode == 1, what);
        Assert.Equal(0x1234, reply.Id);
        Assert.Equal("", reply.Question);
        Assert.Empty(reply.Answers);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x12, 0x34, 0x01 })]
    [InlineData(new byte[] { 0x12, 0x34, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 })]   // a response: never answered (loops)
    public void Respond_NoHeaderOrAResponse_SendsNothing(byte[] message)
    {
        Assert.Equal(DnsResult.Ignored, _responder.Respond(message, new byte[DnsResponder.MaxResponseLength], true, out int length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void Respond_NameEndingInABackwardPointer_IsRead()
    {
        // Legal, if odd, in a query: the name ends with a pointer to offset 11, ARCOUNT's low byte, a zero: the root.
        byte[] header = Query("x", Aaaa, ednsSize: null)[..12];
        byte[] message = [.. header, 4, .. "beta"u8, 7, .. "hoshino"u8, 0xC0, 11, 0, 28, 0, 1];

        Reply reply = Ask(message, expected: DnsResult.Answer);

        Assert.Equal("beta.hoshino", reply.Question);   // echoed uncompressed
        Assert.Equal(Beta, Assert.Single(reply.Answers).Address);
    }

    private static void AssertSoa(DnsRecord soa, string owner = "hoshino")
    {
        Assert.Equal((owner, Soa, 10u), (soa.Name, soa.Type, soa.Ttl));
        Assert.Equal((owner, "hostmaster." + owner, 10u), (soa.SoaMname, soa.SoaRname, soa.SoaMinimum));
    }
}
