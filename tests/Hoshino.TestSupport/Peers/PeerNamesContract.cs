using System.Net;
using Hoshino.Peers;

namespace Hoshino.TestSupport.Peers;

/// <summary>
/// What every <see cref="IPeerNames"/> must do, as the DNS responder relies on it: run against the
/// in-memory <see cref="FixedPeerNames"/> here, and against the peer directory where it is built.
/// </summary>
public abstract class PeerNamesContract
{
    protected static readonly IPAddress AlphaAddress = IPAddress.Parse("fd5e:59b8:f71d:9a3e::a");
    protected static readonly IPAddress BetaAddress = IPAddress.Parse("fd5e:59b8:f71d:9a3e::b");

    /// <summary>Names holding fresh records for "beta" and "alpha" at the addresses above.</summary>
    protected abstract Task<IPeerNames> CreateAsync(IReadOnlyList<(string Name, IPAddress Address)> records);

    private Task<IPeerNames> TwoAsync() => CreateAsync([("beta", BetaAddress), ("alpha", AlphaAddress)]);

    [Fact]
    public async Task Find_ByNameInAnyCase_ReturnsTheRecord()
    {
        IPeerNames names = await TwoAsync();

        Assert.Equal(BetaAddress, names.Find("beta")?.Address);
        Assert.Equal(BetaAddress, names.Find("BeTa")?.Address);
        Assert.Equal(AlphaAddress, names.Find("ALPHA")?.Address);
    }

    [Fact]
    public async Task Find_UnknownName_ReturnsNull()
    {
        IPeerNames names = await TwoAsync();

        Assert.Null(names.Find("gamma"));
        Assert.Null(names.Find(""));
        Assert.Null(names.Find("alpha.hoshino"));
    }

    [Fact]
    public async Task Find_ByAddress_ReturnsTheRecord()
    {
        IPeerNames names = await TwoAsync();

        Assert.Equal("alpha", names.Find(AlphaAddress)?.Name);
        Assert.Null(names.Find(IPAddress.Parse("fd5e:59b8:f71d:9a3e::c")));
    }

    [Fact]
    public async Task Peers_AreInNameOrder()
    {
        IPeerNames names = await TwoAsync();

        Assert.Equal(["alpha", "beta"], names.Peers.Select(p => p.Name));
    }
}
