using Hoshino.Cli.Control;

namespace Hoshino.UnitTests.Control;

public sealed class StatusTextTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static NodeStatus Status(NodeHealth? health = null, params PeerStatus[] peers) =>
        new(1, new NodeInfo("alpha", "fd5e:59b8:f71d:9a3e::1", "hoshino0", "s3://bucket/net", true, "1.2.3", Now.AddHours(-3).AddMinutes(-4), 3 * 3600 + 4 * 60,
            health ?? new NodeHealth(0, false, new Dictionary<string, long>())), peers);

    [Fact]
    public void Node_HealthyNodeWithPeers_ShowsEveryFactAndOnePeerALine()
    {
        string text = StatusText.Node(Status(null,
            new PeerStatus("beta", "fd5e:59b8:f71d:9a3e::2", Now.AddSeconds(-5), 20, 2048, 19, 1900, 41.2, 2.5, 1.25),
            new PeerStatus(null, "fd5e:59b8:f71d:9a3e::3", null, 1, 104, 0, 0, null, null, null)), Now);

        string[] lines = text.Split('\n');
        Assert.Equal("node     alpha  fd5e:59b8:f71d:9a3e::1  on hoshino0", lines[0]);
        Assert.Equal("store    s3://bucket/net", lines[1]);
        Assert.Equal("sealing  on (network key)", lines[2]);
        Assert.Equal("version  1.2.3, up 3h 4m (since 2026-12-01 08:56:00 UTC)", lines[3]);
        Assert.Equal("health   ok", lines[4]);
        Assert.StartsWith("peer ", lines[6], StringComparison.Ordinal);
        Assert.Matches(@"^beta +fd5e:59b8:f71d:9a3e::2 +5s ago +20 pkt 2\.0 KiB +19 pkt 1\.9 KiB +41\.2 ms$", lines[7]);
        Assert.Matches(@"^- +fd5e:59b8:f71d:9a3e::3 +never +1 pkt 104 B +0 pkt 0 B +-$", lines[8]);
        Assert.Equal(lines[6].IndexOf("address", StringComparison.Ordinal), lines[7].IndexOf("fd5e", StringComparison.Ordinal));
    }

    [Fact]
    public void Health_Problems_EachNamed()
    {
        string text = StatusText.Health(new NodeHealth(7, true, new Dictionary<string, long> { ["malformed"] = 2, ["wrong_source"] = 1 }));

        Assert.Equal("ADDRESS CONFLICT: another live node holds this address; 7 store errors; rejected objects: malformed 2, wrong_source 1", text);
    }

    [Fact]
    public void Peers_NameWithControlCharacters_Escaped()
    {
        string text = StatusText.Peers([new PeerStatus("evil\u001b[2J\nname", "fd5e::2", null, 0, 0, 0, 0, null, null, null)], Now);

        Assert.DoesNotContain('\u001b', text);
        Assert.Equal(2, text.Count(c => c == '\n')); // header and one row: the name made no line of its own
    }

    [Fact]
    public void Peers_None_SaysSo() =>
        Assert.Equal("no peers yet (none in the directory, no packets exchanged)\n", StatusText.Peers([], Now));

    [Fact]
    public void PingReply_PutAndGetKnown_SplitsTheRoundTrip()
    {
        string line = StatusText.PingReply("fd5e::2", 3, TimeSpan.FromMilliseconds(50), new PeerStatus(null, "fd5e::2", null, 0, 0, 0, 0, 50, 2.5, 1.5));

        Assert.StartsWith("reply from fd5e::2: seq=3 time=50.0 ms = PUT 2.5 ms + wait 46.0 ms + GET 1.5 ms (wait: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void PingReply_NothingTimed_SaysWhatIsNotKnown()
    {
        string line = StatusText.PingReply("fd5e::2", 1, TimeSpan.FromMilliseconds(10), new PeerStatus(null, "fd5e::2", null, 0, 0, 0, 0, null, 2, null));

        Assert.Equal("reply from fd5e::2: seq=1 time=10.0 ms (where the time went is not known yet: no PUT for and GET from this peer timed)", line);
    }

    [Fact]
    public void PingSummary_SomeLost_CountsAndRange()
    {
        Assert.Equal("--- beta: 4 sent, 3 received, 25% loss, rtt min/avg/max 10.0/20.0/30.0 ms", StatusText.PingSummary("beta", 4, [10, 20, 30]));
        Assert.Equal("--- beta: 2 sent, 0 received, 100% loss", StatusText.PingSummary("beta", 2, []));
    }

    [Theory]
    [InlineData(5, "5s")]
    [InlineData(125, "2m 5s")]
    [InlineData(3 * 3600 + 60, "3h 1m")]
    [InlineData(3 * 86400 + 7200, "3d 2h")]
    public void Duration_Spans_Shortest(int seconds, string expected) => Assert.Equal(expected, StatusText.Duration(TimeSpan.FromSeconds(seconds)));
}
