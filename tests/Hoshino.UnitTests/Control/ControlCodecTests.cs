using System.Text;
using Hoshino.Cli.Control;

namespace Hoshino.UnitTests.Control;

public sealed class ControlCodecTests
{
    private static byte[] Line(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Encode_Request_OneJsonLineThatDecodesToTheSame()
    {
        byte[] line = ControlCodec.Encode(new ControlRequest("peer", "beta"));

        Assert.Equal((byte)'\n', line[^1]);
        Assert.Equal(1, line.Count(b => b == '\n'));
        Assert.Equal(new ControlRequest("peer", "beta"), ControlCodec.DecodeRequest(line.AsSpan(0, line.Length - 1)));
    }

    [Theory]
    [InlineData("{\"op\":\"status\"}", "status")]
    [InlineData("{\"op\":\"peer\",\"peer\":\"fd5e::2\"}", "peer")]
    [InlineData("{\"op\":\"status\",\"extra\":1}", "status")] // a newer client's extra fields are ignored
    public void DecodeRequest_KnownRequests_Accepted(string json, string op) =>
        Assert.Equal(op, ControlCodec.DecodeRequest(Line(json)).Op);

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"op\":\"shutdown\"}")]
    [InlineData("{\"op\":\"peer\"}")]
    [InlineData("{\"op\":\"peer\",\"peer\":\"\"}")]
    [InlineData("{\"op\":\"status\",\"peer\":\"x\"}")]
    [InlineData("{\"op\":1}")]
    [InlineData("{\"op\":\"status\"")]
    [InlineData("\"\\u0000\"")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")]
    public void DecodeRequest_Garbage_ProtocolErrorWithoutEchoingIt(string json)
    {
        var ex = Assert.Throws<ControlProtocolException>(() => ControlCodec.DecodeRequest(Line(json)));

        Assert.DoesNotContain("[[[", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("shutdown", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeRequest_TooLarge_RefusedBeforeParsing()
    {
        string json = "{\"op\":\"peer\",\"peer\":\"" + new string('a', ControlCodec.MaxRequestBytes) + "\"}";

        var ex = Assert.Throws<ControlProtocolException>(() => ControlCodec.DecodeRequest(Line(json)));

        Assert.Contains("too large", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeRequest_PeerLongerThanAName_Refused() =>
        Assert.Throws<ControlProtocolException>(() => ControlCodec.DecodeRequest(Line("{\"op\":\"peer\",\"peer\":\"" + new string('a', 256) + "\"}")));

    [Fact]
    public void EncodeThenDecode_Response_RoundTripsEveryField()
    {
        var started = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        var status = new NodeStatus(1,
            new NodeInfo("alpha", "fd5e::1", "hoshino0", "s3://b/p", true, "1.0", started, 12.5,
                new NodeHealth(3, true, new Dictionary<string, long> { ["malformed"] = 2 })),
            [new PeerStatus("beta", "fd5e::2", started.AddMinutes(1), 1, 2, 3, 4, 5.5, 6.5, 7.5), new PeerStatus(null, "fd5e::3", null, 0, 0, 0, 0, null, null, null)]);
        byte[] line = ControlCodec.Encode(new ControlResponse(true, Status: status));

        ControlResponse decoded = ControlCodec.DecodeResponse(line.AsSpan(0, line.Length - 1));

        Assert.True(decoded.Ok);
        Assert.Equal(status.Node with { Health = null! }, decoded.Status!.Node with { Health = null! });
        Assert.Equal((3L, true, 2L), (decoded.Status.Node.Health.StoreErrors, decoded.Status.Node.Health.AddressConflict, decoded.Status.Node.Health.RejectedObjects["malformed"]));
        Assert.Equal(status.Peers, decoded.Status.Peers);
    }

    [Fact]
    public void Encode_Status_FieldNamesAreTheDocumentedSchema()
    {
        var status = new NodeStatus(1, new NodeInfo(null, "fd5e::1", "hoshino0", "dir:/x", false, "1.0", DateTimeOffset.UnixEpoch, 0,
            new NodeHealth(0, false, new Dictionary<string, long>())), [new PeerStatus(null, "fd5e::2", null, 0, 0, 0, 0, null, null, null)]);

        string json = Encoding.UTF8.GetString(ControlCodec.Encode(new ControlResponse(true, Status: status)));

        foreach (string field in (string[])["\"schema\":1", "\"node\":", "\"name\":null", "\"address\":", "\"interface\":", "\"store\":", "\"sealed\":false",
                     "\"version\":", "\"started\":", "\"uptimeSeconds\":", "\"health\":", "\"storeErrors\":", "\"addressConflict\":", "\"rejectedObjects\":",
                     "\"peers\":", "\"lastSeen\":null", "\"packetsOut\":", "\"bytesOut\":", "\"packetsIn\":", "\"bytesIn\":", "\"lastRoundTripMs\":null",
                     "\"lastPutMs\":null", "\"lastGetMs\":null"])
        {
            Assert.Contains(field, json, StringComparison.Ordinal);
        }
    }
}
