using System.Net;
using Hoshino.Cli.Hosting;

namespace Hoshino.UnitTests.NameService;

/// <summary>
/// The resolvectl calls, as built; the integration tests run them through a stand-in resolvectl
/// (no systemd-resolved runs in the test environment: no systemd as PID 1).
/// </summary>
public sealed class ResolvedLinkTests
{
    private static readonly IPAddress Self = IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f");

    [Fact]
    public void ApplyCommands_DnsServerRoutingDomainAndNoDefaultRoute_ForTheTunnelLinkOnly()
    {
        var link = new ResolvedLink("hoshino0", new IPEndPoint(Self, 53), "hoshino", "/usr/bin/resolvectl");

        Assert.Equal(
            [
                ["dns", "hoshino0", "fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"],
                ["domain", "hoshino0", "~hoshino"],
                ["default-route", "hoshino0", "false"],
            ],
            link.ApplyCommands);
        Assert.Equal(["revert", "hoshino0"], link.RevertCommand);
    }

    [Theory]
    [InlineData("[fd5e::1]:53", "fd5e::1")]
    [InlineData("[fd5e::1]:5353", "[fd5e::1]:5353")]
    [InlineData("127.0.0.53:5300", "127.0.0.53:5300")]
    public void ServerText_PortOnlyWhenNot53(string endpoint, string expected) =>
        Assert.Equal(expected, ResolvedLink.ServerText(IPEndPoint.Parse(endpoint)));

    [Fact]
    public async Task ApplyAsync_WithoutResolvectl_SaysSoInOneLine()
    {
        var link = new ResolvedLink("hoshino0", new IPEndPoint(Self, 53), "hoshino", resolvectl: null);

        Assert.Equal("resolvectl dns hoshino0 fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f: resolvectl is not installed",
            await link.ApplyAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task ApplyAsync_CommandFails_ReturnsItsFirstErrorLine()
    {
        string script = Path.Combine(Directory.CreateTempSubdirectory("hoshino-resolvectl-").FullName, "resolvectl");
        try
        {
            await File.WriteAllTextAsync(script, "#!/bin/sh\necho 'Failed to set DNS configuration: Unit dbus-org.freedesktop.resolve1.service not found.' >&2\necho more >&2\nexit 1\n",
                TestContext.Current.CancellationToken);
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            var link = new ResolvedLink("hoshino0", new IPEndPoint(Self, 53), "hoshino", script);

            Assert.Equal("resolvectl dns hoshino0 fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f: Failed to set DNS configuration: Unit dbus-org.freedesktop.resolve1.service not found.",
                await link.ApplyAsync(TestContext.Current.CancellationToken));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(script)!, recursive: true);
        }
    }
}
