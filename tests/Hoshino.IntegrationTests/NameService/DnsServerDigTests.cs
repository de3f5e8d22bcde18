using System.Net;
using Hoshino.Diagnostics;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.NameService;
using Hoshino.Peers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoshino.IntegrationTests.NameService;

/// <summary>
/// The responder on loopback with an in-memory directory of two peers, asked by dig over UDP and
/// TCP: what a resolver sees, read by a DNS implementation that is not ours.
/// </summary>
public sealed class DnsServerDigTests : IAsyncLifetime
{
    private static readonly IPAddress Alpha = IPAddress.Parse("fd5e:59b8:f71d:9a3e:a1a1:a1a1:a1a1:a1a1");
    private static readonly IPAddress Beta = IPAddress.Parse("fd5e:59b8:f71d:9a3e:b2b2:b2b2:b2b2:b2b2");
    private readonly HoshinoMetrics _metrics = new(TimeProvider.System, "test");
    private DnsServer _server = null!;

    public ValueTask InitializeAsync()
    {
        var names = new FixedPeerNames(
        [
            new PeerRecord("alpha", Alpha, "0.1.0", DateTimeOffset.UnixEpoch, false, DateTimeOffset.UnixEpoch),
            new PeerRecord("beta", Beta, "0.1.0", DateTimeOffset.UnixEpoch, false, DateTimeOffset.UnixEpoch),
        ]);
        _server = DnsServer.Start(new IPEndPoint(IPAddress.IPv6Loopback, 0), new DnsResponder(DnsZone.Create("hoshino"), names),
            _metrics, TimeProvider.System, NullLogger.Instance);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task<DigAnswer> DigAsync(string name, string type, bool tcp)
    {
        string[] args = DigAnswer.Args("::1", _server.LocalEndPoint.Port, name, type, tcp);
        return DigAnswer.Of(await Shell.RunAsync(args[0], args[1..], TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dig_PeersByName_TheirAddressesAuthoritatively(bool tcp)
    {
        DigAnswer alpha = await DigAsync("alpha.hoshino", "AAAA", tcp);
        DigAnswer beta = await DigAsync("BETA.Hoshino.", "AAAA", tcp);

        Assert.Equal("NOERROR", alpha.Status);
        Assert.Equal([Alpha.ToString()], alpha.Addresses);
        Assert.Equal([Beta.ToString()], beta.Addresses);
        Assert.Contains(" aa", alpha.Flags, StringComparison.Ordinal);
        Assert.DoesNotContain(" ra", alpha.Flags, StringComparison.Ordinal);
        Assert.Matches(@"\nalpha\.hoshino\.\s+30\s+IN\s+AAAA\s", alpha.Output);
        Assert.Equal(2, _metrics.DnsQueries(DnsResult.Answer));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dig_NegativesAndOutsideTheZone(bool tcp)
    {
        DigAnswer unknown = await DigAsync("gamma.hoshino", "AAAA", tcp);
        DigAnswer a = await DigAsync("alpha.hoshino", "A", tcp);
        DigAnswer outside = await DigAsync("example.com", "AAAA", tcp);

        Assert.Equal("NXDOMAIN", unknown.Status);
        // SOA: owner, negative TTL 10; MNAME, RNAME, serial 1, refresh 30, retry 10, expire 300, minimum 10.
        Assert.Matches(@"\nhoshino\.\s+10\s+IN\s+SOA\s+hoshino\. hostmaster\.hoshino\. 1 30 10 300 10\n", unknown.Output);
        Assert.Equal("NOERROR", a.Status);
        Assert.Empty(a.Addresses);
        Assert.Contains("AUTHORITY: 1", a.Output, StringComparison.Ordinal);
        Assert.Equal("REFUSED", outside.Status);
        Assert.Equal((1, 1, 1), (_metrics.DnsQueries(DnsResult.NxDomain), _metrics.DnsQueries(DnsResult.NoData), _metrics.DnsQueries(DnsResult.Refused)));
    }
}
