using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hoshino.Cli.Control;
using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// <c>hoshino status</c>, <c>peers --json</c> and <c>ping</c> against two real nodes on Ceph RGW,
/// each in its own namespace with its own control socket; the socket's file, and clients that
/// misbehave.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ControlSocketTests(StoreNetwork network) : NodePairTest(network)
{
    // Named, and reading the directory every second (the default, 2 min, would leave B unnamed for a while).
    public override async ValueTask InitializeAsync() => Pair = await NodePair.StartAsync(Network, NewTag(), Ct,
        argsA: ["--name", "alpha", "--directory-read", "1s"], argsB: ["--name", "bravo", "--directory-read", "1s"]);

    private async Task PingBAsync(int count)
    {
        // -w: wait for the replies up to the deadline (see TwoNodeTests.Sigterm_...); exit 0 once
        // `count` came back. No loss figure: with -w, ping keeps sending until then and exits with
        // the later requests still in flight, which it counts as lost.
        ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(60),
            "ping", "-6", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-w", "20", Pair.B.Address.ToString());
        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
    }

    [Fact]
    public async Task PeersJson_AfterPings_NodeFactsAndThePeerWithTrafficEachWayAndRoundTrips()
    {
        await PingBAsync(3);

        (int code, string output) = await Pair.A.HoshinoAsync("peers", "--json");

        Assert.True(code == 0, output);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement root = json.RootElement;
        Assert.Equal(1, root.GetProperty("schema").GetInt32());
        JsonElement node = root.GetProperty("node");
        Assert.Equal(Pair.A.Address.ToString(), node.GetProperty("address").GetString());
        Assert.Equal("hoshino0", node.GetProperty("interface").GetString());
        Assert.StartsWith($"s3://{Network.Bucket}/{Pair.KeyPrefix.TrimEnd('/')}", node.GetProperty("store").GetString(), StringComparison.Ordinal);
        Assert.False(node.GetProperty("sealed").GetBoolean());
        Assert.InRange(node.GetProperty("uptimeSeconds").GetDouble(), 0.001, 600);
        Assert.False(node.GetProperty("health").GetProperty("addressConflict").GetBoolean());
        Assert.DoesNotContain(Network.SecretKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain(Network.AccessKey, output, StringComparison.Ordinal);

        JsonElement b = Assert.Single(root.GetProperty("peers").EnumerateArray(), p => p.GetProperty("address").GetString() == Pair.B.Address.ToString());
        Assert.True(b.GetProperty("packetsOut").GetInt64() >= 3, b.ToString());
        Assert.True(b.GetProperty("packetsIn").GetInt64() >= 3, b.ToString());
        Assert.True(b.GetProperty("bytesOut").GetInt64() >= 3 * 104, b.ToString()); // 40 + 8 + 56 bytes per echo
        Assert.True(b.GetProperty("bytesIn").GetInt64() >= 3 * 104, b.ToString());
        Assert.Equal(JsonValueKind.String, b.GetProperty("lastSeen").ValueKind);
        Assert.True(b.GetProperty("lastRoundTripMs").GetDouble() > 0, b.ToString());
        Assert.True(b.GetProperty("lastPutMs").GetDouble() > 0, b.ToString());
        Assert.True(b.GetProperty("lastGetMs").GetDouble() > 0, b.ToString());
    }

    [Fact]
    public async Task Status_AfterPings_ShowsTheNodeAndThePeer()
    {
        await PingBAsync(2);

        (int code, string output) = await Pair.B.HoshinoAsync("status");

        Assert.True(code == 0, output);
        string[] lines = output.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("node ", StringComparison.Ordinal) && l.Contains(Pair.B.Address.ToString(), StringComparison.Ordinal)
            && l.EndsWith("on hoshino0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"store    s3://{Network.Bucket}/{Pair.KeyPrefix.TrimEnd('/')}", StringComparison.Ordinal));
        Assert.Contains("sealing  off", lines);
        Assert.Contains("health   ok", lines);
        // B answered A's pings: requests in from A, replies out to it.
        Assert.Contains(lines, l => l.Contains(Pair.A.Address.ToString(), StringComparison.Ordinal)
            && System.Text.RegularExpressions.Regex.IsMatch(l, @" [1-9]\d* pkt \d+\.\d KiB +[1-9]\d* pkt \d+\.\d KiB| [1-9]\d* pkt \d+ B +[1-9]\d* pkt \d+ B"));
    }

    [Fact]
    public async Task Ping_Name_RepliesThroughTheTunnelWithWhereTheTimeWent()
    {
        await Pair.A.Process.WaitForLineAsync($"Peer directory: bravo is {Pair.B.Address}", TimeSpan.FromSeconds(60));
        double before = Netns.Metric(await Pair.B.LocalMetricsAsync(), "hoshino_packets_total{direction=\"ingress\"}");

        (int code, string output) = await Pair.A.HoshinoAsync("ping", "-c", "3", "-i", "0.2", "-W", "10", "bravo");

        Assert.True(code == 0, output);
        Assert.StartsWith($"PING bravo ({Pair.B.Address}) from {Pair.A.Address} through the tunnel", output, StringComparison.Ordinal);
        string[] replies = [.. output.Split('\n').Where(l => l.StartsWith($"reply from {Pair.B.Address}: seq=", StringComparison.Ordinal))];
        Assert.Equal(3, replies.Length);
        Assert.All(replies, r => Assert.Matches(@"time=\d+\.\d ms = PUT \d+\.\d ms \+ wait \d+\.\d ms \+ GET \d+\.\d ms", r));
        Assert.Contains("3 sent, 3 received, 0% loss", output, StringComparison.Ordinal);
        // Through the tunnel: B's node wrote the three echo requests to its kernel.
        Assert.Equal(before + 3, Netns.Metric(await Pair.B.LocalMetricsAsync(), "hoshino_packets_total{direction=\"ingress\"}"));
        // B is in the directory: its traffic has a row of its own on A's /metrics.
        Assert.True(Netns.Metric(await Pair.A.LocalMetricsAsync(), "hoshino_peer_packets_total{peer=\"bravo\",direction=\"egress\"}") >= 3);
    }

    [Fact]
    public async Task Ping_UnknownName_OneLineAndExit68()
    {
        (int code, string output) = await Pair.A.HoshinoAsync("ping", "no-such-node");

        Assert.Equal(Hoshino.ExitCodes.NoHost, code);
        Assert.Equal("hoshino: no peer named 'no-such-node' in the directory", output.Trim());
    }

    [Fact]
    public async Task Socket_Mode0600OwnedByTheNodeInA0700Directory_RemovedOnStop()
    {
        string socket = Pair.A.ControlSocket;
        ShellResult stat = await Shell.RunAsync("stat", ["-c", "%F %a %u", socket, Path.GetDirectoryName(socket)!], TimeSpan.FromSeconds(10), cancellationToken: Ct);

        // Tests (and so the node) run as root: root's socket, in root's directory.
        Assert.Equal("socket 600 0\ndirectory 700 0\n", stat.EnsureSuccess().StandardOutput);

        Pair.A.Process.Terminate();
        Assert.Equal(0, await Pair.A.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.False(File.Exists(socket), $"{socket} is still there after the node stopped");
        (int code, string output) = await HoshinoProcess.RunAsync(["status", "--control-socket", socket]);
        Assert.Equal(Hoshino.ExitCodes.Unavailable, code);
        Assert.Equal($"hoshino: no hoshino node is running (no control socket at {socket})", output.Trim());
    }

    [Fact]
    public async Task HostileClients_GarbageHugeAndIdle_NodeKeepsServingAndAnswersAgain()
    {
        string path = Pair.A.ControlSocket;
        Assert.Contains("\"code\":\"bad_request\"", await RawAsync(path, "not json at all\n"u8.ToArray()), StringComparison.Ordinal);
        Assert.Contains("\"code\":\"bad_request\"", await RawAsync(path, Encoding.ASCII.GetBytes(new string('{', 1 << 20))), StringComparison.Ordinal);

        // Fill every slot with clients that send nothing: the next one is told the node is busy.
        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < ControlServer.MaxConnections; i++)
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                idle.Add(s);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(path), Ct);
            }
            await Task.Delay(200, Ct); // let the node accept them all
            Assert.Contains("\"code\":\"busy\"", await RawAsync(path, "{\"op\":\"status\"}\n"u8.ToArray()), StringComparison.Ordinal);

            // Meanwhile the tunnel carries traffic as ever.
            await PingBAsync(2);

            // The idle clients are cut off after the connection timeout; then the node answers again.
            string answer = "";
            for (int i = 0; i < 100 && !answer.Contains("\"ok\":true", StringComparison.Ordinal); i++)
            {
                await Task.Delay(200, Ct);
                answer = await RawAsync(path, "{\"op\":\"status\"}\n"u8.ToArray());
            }
            Assert.Contains("\"ok\":true", answer, StringComparison.Ordinal);
            Assert.All(idle, s => Assert.Equal(0, s.Receive(new byte[16]))); // closed by the node, not by us
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
        Assert.False(Pair.A.Process.HasExited, Pair.A.Process.Output);
        (int code, string output) = await Pair.A.HoshinoAsync("status");
        Assert.True(code == 0, output);
    }

    /// <summary>Sends bytes as they are and returns what the node answered before closing.</summary>
    private static async Task<string> RawAsync(string path, byte[] request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), Ct);
        try
        {
            await socket.SendAsync(request, SocketFlags.None, Ct);
        }
        catch (SocketException)
        {
            // The node closed after its answer while we were still sending: read what it said.
        }
        var answer = new MemoryStream();
        byte[] buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, Ct)) > 0)
            {
                answer.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // reset after the answer (our unread request bytes)
        }
        return Encoding.UTF8.GetString(answer.ToArray());
    }
}
