using System.Net;
using Hoshino.Cli.Commands;
using Hoshino.Cli.Hosting;

namespace Hoshino.UnitTests.Cli;

public sealed class ParseDnsTests
{
    private static readonly IPAddress Self = IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f");

    [Fact]
    public void ParseDns_Defaults_TheNodesAddressPort53AndTheHoshinoDomain()
    {
        DnsSettings? dns = UpCommand.ParseDns("on", null, "hoshino", Self);

        Assert.NotNull(dns);
        Assert.Equal(new IPEndPoint(Self, 53), dns.Listen);
        Assert.Equal("hoshino", dns.Zone.Domain);
    }

    [Theory]
    [InlineData("off")]
    [InlineData("OFF")]
    [InlineData("0")]
    public void ParseDns_Off_NoResponder(string value) => Assert.Null(UpCommand.ParseDns(value, "nonsense", "-bad-", Self));

    [Theory]
    [InlineData("[::1]:5353", "[::1]:5353")]
    [InlineData("127.0.0.53:53", "127.0.0.53:53")]
    public void ParseDns_Listen_IsTaken(string text, string expected) =>
        Assert.Equal(IPEndPoint.Parse(expected), UpCommand.ParseDns("on", text, "hoshino", Self)!.Listen);

    [Fact]
    public void ParseDns_DomainInUpperCaseWithDot_IsLowerCaseWithoutIt() =>
        Assert.Equal("hoshino.internal", UpCommand.ParseDns("on", null, "Hoshino.Internal.", Self)!.Zone.Domain);

    [Theory]
    [InlineData("::1:53")]
    [InlineData("[::1]")]
    [InlineData("[::1]:0")]
    [InlineData("localhost:53")]
    public void ParseDns_BadListen_FailsNamingIt(string text) =>
        Assert.Equal($"bad --dns-listen '{text}': expected ADDR:PORT such as [fd5e::1]:53 or 127.0.0.153:53",
            CliErrors.UsageError(() => UpCommand.ParseDns("on", text, "hoshino", Self)));

    [Theory]
    [InlineData("")]
    [InlineData("-hoshino")]
    [InlineData("hosh ino")]
    [InlineData("a..b")]
    [InlineData("höshino")]
    public void ParseDns_BadDomain_FailsNamingIt(string domain) =>
        Assert.StartsWith($"bad --dns-domain '{domain}': ", CliErrors.UsageError(() => UpCommand.ParseDns("on", null, domain, Self)));

    [Fact]
    public void ParseDns_NeitherOnNorOff_Fails() =>
        Assert.Equal("bad --dns 'maybe': expected on or off", CliErrors.UsageError(() => UpCommand.ParseDns("maybe", null, "hoshino", Self)));
}
