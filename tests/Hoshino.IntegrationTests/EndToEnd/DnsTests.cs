using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.IntegrationTests.NameService;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>
/// The responder in the real daemon: two nodes in their namespaces, named alpha and bravo, each
/// answering every name in the peer directory on its tunnel address port 53. A stand-in
/// resolvectl on the nodes' PATH records what they ask of systemd-resolved, which cannot run here
/// (no systemd as PID 1).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class DnsTests(StoreNetwork network) : NodePairTest(network)
{
    private readonly string _fakeBin = Directory.CreateTempSubdirectory("hoshino-resolvectl-").FullName;
    private string CallsFile => Path.Combine(_fakeBin, "calls");

    private const string Name = "alpha", PeerName = "bravo";

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public override async ValueTask InitializeAsync()
    {
        string script = Path.Combine(_fakeBin, "resolvectl");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\necho \"$*\" >> '{CallsFile}'\n", Ct);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Read the directory every second: the default (2 min) would make a test wait for the first node's next read.
        Pair = await NodePair.StartAsync(Network, NewTag(), Ct,
            argsA: ["--name", Name, "--directory-read", "1s"], argsB: ["--name", PeerName, "--directory-read", "1s"],
            environment: new Dictionary<string, string> { ["PATH"] = $"{_fakeBin}:{Environment.GetEnvironmentVariable("PATH")}" });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_fakeBin, recursive: true);
    }

    private static async Task<DigAnswer> DigAsync(string netns, string server, string name, string type, bool tcp)
    {
        string[] args = DigAnswer.Args(server, 53, name, type, tcp);
        return DigAnswer.Of(await Netns.ExecAsync(netns, TimeSpan.FromSeconds(60), args));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dig_TheNodesOwnName_ItsTunnelAddress(bool tcp)
    {
        DigAnswer own = await DigAsync(Pair.A.Namespace.Name, Pair.A.Address.ToString(), Name + ".hoshino", "AAAA", tcp);
        DigAnswer unknown = await DigAsync(Pair.A.Namespace.Name, Pair.A.Address.ToString(), "no-such-node.hoshino", "AAAA", tcp);
        DigAnswer outside = await DigAsync(Pair.A.Namespace.Name, Pair.A.Address.ToString(), "example.com", "AAAA", tcp);

        Assert.Equal([Pair.A.Address.ToString()], own.Addresses);
        Assert.Equal("NXDOMAIN", unknown.Status);
        Assert.Equal("REFUSED", outside.Status);
        string metrics = await Pair.A.LocalMetricsAsync();
        Assert.Equal(1, Netns.Metric(metrics, "hoshino_dns_queries_total{result=\"answer\"}"));
        Assert.Equal(1, Netns.Metric(metrics, "hoshino_dns_queries_total{result=\"nxdomain\"}"));
    }

    [Fact]
    public async Task Dig_APeersName_AnsweredFromThePeerDirectory()
    {
        await Pair.B.Process.WaitForLineAsync($"Peer directory: {Name} is {Pair.A.Address}", TimeSpan.FromSeconds(60));

        DigAnswer peer = await DigAsync(Pair.B.Namespace.Name, Pair.B.Address.ToString(), Name + ".hoshino", "AAAA", tcp: false);
        DigAnswer own = await DigAsync(Pair.B.Namespace.Name, Pair.B.Address.ToString(), PeerName + ".hoshino", "AAAA", tcp: true);

        Assert.Equal([Pair.A.Address.ToString()], peer.Addresses);
        Assert.Equal([Pair.B.Address.ToString()], own.Addresses);
    }

    [Fact]
    public async Task Dig_FromThePeer_TheQueryAndItsAnswerCrossTheBucket()
    {
        DigAnswer answer = await DigAsync(Pair.B.Namespace.Name, Pair.A.Address.ToString(), Name + ".hoshino", "AAAA", tcp: false);

        Assert.Equal([Pair.A.Address.ToString()], answer.Addresses);
        Assert.True(Netns.Metric(await Pair.A.LocalMetricsAsync(), "hoshino_packets_total{direction=\"ingress\"}") >= 1);
    }

    [Fact]
    public async Task GetentAndPing_ResolvConfPointingAtTheNode_ResolveNamesAndPingThePeerByName()
    {
        await Pair.A.Process.WaitForLineAsync($"Peer directory: {PeerName} is {Pair.B.Address}", TimeSpan.FromSeconds(60));
        // The fallback without systemd-resolved, where the node is a host's only resolver: `ip netns exec`
        // mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf, so glibc asks the node itself.
        string etc = Path.Combine("/etc/netns", Pair.A.Namespace.Name);
        Directory.CreateDirectory(etc);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(etc, "resolv.conf"), $"nameserver {Pair.A.Address}\noptions timeout:5 attempts:1\n", Ct);

            ShellResult getent = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(30), "getent", "ahosts", Name + ".hoshino");

            Assert.True(getent.Succeeded, $"getent failed ({getent.ExitCode}): {getent.StandardOutput}{getent.StandardError}");
            Assert.StartsWith(Pair.A.Address + " ", getent.StandardOutput, StringComparison.Ordinal);

            // `ping6 NAME.hoshino`: the peer's name from A's own responder, the echoes through the bucket.
            ShellResult ping = await Netns.ExecAsync(Pair.A.Namespace.Name, TimeSpan.FromSeconds(30),
                "ping", "-6", "-c", "2", "-i", "0.2", "-w", "15", PeerName + ".hoshino");
            Assert.True(ping.Succeeded, $"ping by name failed ({ping.ExitCode}): {ping.StandardOutput}{ping.StandardError}");
            Assert.Contains($"({Pair.B.Address})", ping.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(etc, recursive: true);
        }
    }

    [Fact]
    public async Task Resolved_EachNodeSetsItsLinkAndRevertsItOnStop()
    {
        string calls = await File.ReadAllTextAsync(CallsFile, Ct);
        Assert.Contains($"dns hoshino0 {Pair.A.Address}\n", calls, StringComparison.Ordinal);
        Assert.Contains($"dns hoshino0 {Pair.B.Address}\n", calls, StringComparison.Ordinal);
        Assert.Contains("domain hoshino0 ~hoshino\n", calls, StringComparison.Ordinal);
        Assert.Contains("default-route hoshino0 false\n", calls, StringComparison.Ordinal);
        Assert.DoesNotContain("revert", calls, StringComparison.Ordinal);
        await Pair.A.Process.WaitForLineAsync("systemd-resolved: hoshino0 has DNS server", TimeSpan.FromSeconds(10)); // the console logger may lag READY=1

        Pair.A.Process.Terminate();
        Assert.Equal(0, await Pair.A.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains("revert hoshino0\n", await File.ReadAllTextAsync(CallsFile, Ct), StringComparison.Ordinal);
    }
}
