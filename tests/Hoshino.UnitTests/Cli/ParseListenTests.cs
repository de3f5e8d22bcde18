using System.Net;
using Hoshino.Cli.Commands;

namespace Hoshino.UnitTests.Cli;

public sealed class ParseListenTests
{
    private static readonly IPAddress Self = IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f");

    [Fact]
    public void ParseListen_NotGiven_LoopbackAndTheNodesOwnAddressOnPort8081()
    {
        IReadOnlyList<IPEndPoint> endpoints = UpCommand.ParseListen(null, Self);

        Assert.Equal([new IPEndPoint(IPAddress.IPv6Loopback, 8081), new IPEndPoint(Self, 8081)], endpoints);
    }

    [Theory]
    [InlineData("none")]
    [InlineData(" none ")]
    [InlineData("")]
    [InlineData("  ")]
    public void ParseListen_NoneOrEmpty_NoListener(string text) =>
        Assert.Empty(UpCommand.ParseListen(text, Self));

    [Theory]
    [InlineData("[::1]:9000", "[::1]:9000")]
    [InlineData("127.0.0.1:9100", "127.0.0.1:9100")]
    [InlineData("[fd00::1]:9101,127.0.0.1:9102", "[fd00::1]:9101", "127.0.0.1:9102")]
    [InlineData(" [::1]:9000 , 0.0.0.0:9001 ,", "[::1]:9000", "0.0.0.0:9001")]   // spaces and an empty part are ignored
    [InlineData("[::]:65535", "[::]:65535")]
    public void ParseListen_AddressesWithPorts_EachInOrder(string text, params string[] expected) =>
        Assert.Equal(expected.Select(IPEndPoint.Parse), UpCommand.ParseListen(text, Self));

    [Theory]
    [InlineData("::1:8081", "::1:8081")]                 // an IPv6 address needs brackets, else the port is part of it
    [InlineData("[::1]", "[::1]")]                       // no port
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("[::1]:0", "[::1]:0")]                   // port 0 would be a different port each start
    [InlineData("[::1]:65536", "[::1]:65536")]
    [InlineData("localhost:8081", "localhost:8081")]     // no names: what it resolves to would vary
    [InlineData("[::1]:8081,nonsense", "nonsense")]      // the bad part is named
    public void ParseListen_BadEndpoint_FailsNamingThePart(string text, string part)
    {
        string message = CliErrors.UsageError(() => UpCommand.ParseListen(text, Self));

        Assert.Equal($"bad --metrics-listen '{part}': expected ADDR:PORT such as [::1]:8081 or 127.0.0.1:8081, or none", message);
    }
}
