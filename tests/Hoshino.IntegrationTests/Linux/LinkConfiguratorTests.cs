using System.Net;
using System.Text.Json;
using Hoshino.Linux.Netlink;
using Hoshino.Linux.Tun;
using Hoshino.Tunnel;

namespace Hoshino.IntegrationTests.Linux;

/// <summary>rtnetlink link setup against real TUN interfaces, each test in its own network namespace.</summary>
[Trait("Category", "Integration")]
public sealed class LinkConfiguratorTests
{
    private const string Interface = "hsn0";
    private static readonly LinkConfig Config =
        new(Interface, IPAddress.Parse("fd5e:59b8:f71d:9a3e::1"), 64, 53049);

    [Fact]
    public void Apply_FreshTunInterface_SetsMtuAddressUpAndPrefixRoute()
    {
        using var ns = TestNetworkNamespace.Create();
        using LinuxTunDevice tun = ns.Run(() => LinuxTunDevice.Open(Interface, Config.Mtu));

        LinkState? state = ns.Run(() =>
        {
            using var links = new LinkConfigurator();
            links.Apply(Config);
            return links.GetLink(Interface);
        });

        AssertConfigured(ns);
        Assert.NotNull(state);
        Assert.Equal((Interface, 53049, true), (state.Name, state.Mtu, state.IsUp));
        Assert.Equal(ns.IpJson("link", "show", "dev", Interface)[0].GetProperty("ifindex").GetInt32(), state.Index);
    }

    [Fact]
    public void Apply_Returns_TheAddressIsAlreadyLocal()
    {
        // The kernel adds the local route from a work queue; a node that said it was up before that
        // lost the packets that came first (routed back into the device). Apply waits for it.
        for (int round = 0; round < 20; round++)
        {
            using var ns = TestNetworkNamespace.Create();
            using LinuxTunDevice tun = ns.Run(() => LinuxTunDevice.Open(Interface, Config.Mtu));

            ns.Run(() =>
            {
                using var links = new LinkConfigurator();
                links.Apply(Config);
                return 0;
            });

            System.Text.Json.JsonElement local = ns.IpJson("-6", "route", "show", "table", "local", "dev", Interface);
            Assert.Contains(local.EnumerateArray(), r => r.GetProperty("dst").GetString() == Config.Address.ToString());
        }
    }

    [Fact]
    public void Apply_SameConfigTwice_SucceedsAndLeavesSameState()
    {
        using var ns = TestNetworkNamespace.Create();
        using LinuxTunDevice tun = ns.Run(() => LinuxTunDevice.Open(Interface, Config.Mtu));
        using LinkConfigurator links = ns.Run(() => new LinkConfigurator());
        links.Apply(Config);
        string before = Snapshot(ns);

        links.Apply(Config);

        Assert.Equal(before, Snapshot(ns));
        AssertConfigured(ns);
    }

    [Fact]
    public void Apply_PrefixRouteRemoved_RestoresIt()
    {
        using var ns = TestNetworkNamespace.Create();
        using LinuxTunDevice tun = ns.Run(() => LinuxTunDevice.Open(Interface, Config.Mtu));
        using LinkConfigurator links = ns.Run(() => new LinkConfigurator());
        links.Apply(Config);
        TestNetworkNamespace.Exec("ip", "-n", ns.Name, "-6", "route", "del", "fd5e:59b8:f71d:9a3e::/64", "dev", Interface);
        Assert.Empty(ns.IpJson("-6", "route", "show", "dev", Interface).EnumerateArray());

        links.Apply(Config);

        AssertConfigured(ns);
    }

    [Fact]
    public void Apply_MissingInterface_ThrowsNamingTheLookup()
    {
        using var ns = TestNetworkNamespace.Create();

        TunnelException error = ns.Run(() =>
        {
            using var links = new LinkConfigurator();
            return Assert.Throws<TunnelException>(() => links.Apply(Config with { Name = "hsn-missing" }));
        });

        Assert.Equal("looking up interface hsn-missing: No such device", error.Message);
        Assert.Equal(ExitCodes.Config, Hoshino.Cli.OperatorErrors.ExitCodeOf(error));
    }

    [Fact]
    public void Apply_MtuBelowIpv6Minimum_ThrowsNamingTheSetting()
    {
        using var ns = TestNetworkNamespace.Create();

        TunnelException error = ns.Run(() =>
        {
            using var links = new LinkConfigurator();
            return Assert.Throws<TunnelException>(() => links.Apply(Config with { Mtu = 1000 }));
        });

        Assert.StartsWith($"configuring {Interface}: MTU 1000 is outside", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeleteLink_OpenTunInterface_RemovesItAndReadThrows()
    {
        using var ns = TestNetworkNamespace.Create();
        using LinuxTunDevice tun = ns.Run(() => LinuxTunDevice.Open(Interface, 1500));
        Assert.True(ns.HasLink(Interface));

        bool deleted = ns.Run(() =>
        {
            using var links = new LinkConfigurator();
            return links.DeleteLink(Interface);
        });

        Assert.True(deleted);
        Assert.False(ns.HasLink(Interface));
        var error = Assert.Throws<Hoshino.Linux.NativeCallException>(() => tun.Read(new byte[tun.Mtu]));
        Assert.Equal(77, error.Errno);   // EBADFD: the fd is no longer attached to an interface
    }

    [Fact]
    public void DeleteLink_MissingInterface_ReturnsFalse()
    {
        using var ns = TestNetworkNamespace.Create();

        bool deleted = ns.Run(() =>
        {
            using var links = new LinkConfigurator();
            return links.DeleteLink("hsn-missing");
        });

        Assert.False(deleted);
    }

    [Fact]
    public void GetLink_MissingInterface_ReturnsNull()
    {
        using var ns = TestNetworkNamespace.Create();

        LinkState? state = ns.Run(() =>
        {
            using var links = new LinkConfigurator();
            return links.GetLink("hsn-missing");
        });

        Assert.Null(state);
    }

    private static void AssertConfigured(TestNetworkNamespace ns)
    {
        JsonElement link = Assert.Single(ns.IpJson("link", "show", "dev", Interface).EnumerateArray());
        Assert.Equal(53049, link.GetProperty("mtu").GetInt32());
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        // Exactly the configured address: no fe80:: made up by the kernel.
        JsonElement addresses = Assert.Single(ns.IpJson("-6", "addr", "show", "dev", Interface).EnumerateArray());
        JsonElement address = Assert.Single(addresses.GetProperty("addr_info").EnumerateArray());
        Assert.Equal("fd5e:59b8:f71d:9a3e::1", address.GetProperty("local").GetString());
        Assert.Equal(64, address.GetProperty("prefixlen").GetInt32());
        Assert.False(address.TryGetProperty("tentative", out _));

        JsonElement route = Assert.Single(ns.IpJson("-6", "route", "show", "dev", Interface).EnumerateArray());
        Assert.Equal("fd5e:59b8:f71d:9a3e::/64", route.GetProperty("dst").GetString());
        Assert.Equal(256, route.GetProperty("metric").GetInt32());
    }

    private static string Snapshot(TestNetworkNamespace ns) => string.Join('\n',
        ns.IpJson("link", "show", "dev", Interface).GetRawText(),
        ns.IpJson("-6", "addr", "show", "dev", Interface).GetRawText(),
        ns.IpJson("-6", "route", "show", "table", "all").GetRawText());
}
