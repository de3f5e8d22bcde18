using System.Net;
using Hoshino.Addressing;
using Hoshino.UnitTests.TestSupport;

namespace Hoshino.UnitTests.Addressing;

public sealed class NodeAddressTests
{
    private const string DesignMachineId = "c05f7f48de53428f9d1c3f0e2a6b7c81";
    private static readonly IPNetwork DefaultNetwork = NodeAddress.ParsePrefix(NodeAddress.DefaultPrefix);

    [Fact]
    public void FromMachineId_DesignExample_InterfaceIdIsFirst16HexDigits()
    {
        IPAddress address = NodeAddress.FromMachineId(DefaultNetwork, DesignMachineId);

        Assert.Equal(IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"), address);
        Assert.Equal("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f", address.ToString());
    }

    [Theory]
    [InlineData(DesignMachineId + "\n")]
    [InlineData(DesignMachineId + "\r\n")]
    [InlineData("  " + DesignMachineId + "\n\n")]
    [InlineData("C05F7F48DE53428F9D1C3F0E2A6B7C81\n")]
    [InlineData("C05f7F48dE53428f9d1c3f0e2a6b7c81")]
    public void FromMachineId_WhitespaceOrUpperCase_SameAddress(string text)
    {
        Assert.Equal(IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"), NodeAddress.FromMachineId(DefaultNetwork, text));
    }

    [Fact]
    public void FromMachineId_OtherPrefix_KeepsPrefixBits()
    {
        IPNetwork network = NodeAddress.ParsePrefix("fd00:1:2:3::/64");

        Assert.Equal(IPAddress.Parse("fd00:1:2:3:c05f:7f48:de53:428f"), NodeAddress.FromMachineId(network, DesignMachineId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("c05f7f48")]
    [InlineData("c05f7f48de53428")]                      // 15 digits
    [InlineData("g05f7f48de53428f9d1c3f0e2a6b7c81")]     // non-hex in the part used
    [InlineData("c05f7f48de53428f9d1c3f0e2a6b7cz1")]     // non-hex in the part not used
    [InlineData("c05f7f48-de53-428f-9d1c-3f0e2a6b7c81")] // a GUID, not a machine-id
    [InlineData("0xc05f7f48de53428f9d1c3f0e2a6b7c81")]
    [InlineData("c05f7f48 de53428f9d1c3f0e2a6b7c81")]
    public void FromMachineId_NotHex_ThrowsFatalWithHint(string text)
    {
        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.FromMachineId(DefaultNetwork, text, "/etc/machine-id"));

        Assert.Equal(AddressProblem.BadMachineId, ex.Problem);
        Assert.Contains("/etc/machine-id", ex.Message, StringComparison.Ordinal);
        Assert.Contains("32 hex digits", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--address", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData("00000000000000000000000000000000\n")]
    [InlineData("0000000000000000c05f7f48de53428f")]
    public void FromMachineId_ZeroInterfaceId_ThrowsFatalWithHint(string text)
    {
        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.FromMachineId(DefaultNetwork, text));

        Assert.Equal(AddressProblem.BadMachineId, ex.Problem);
        Assert.Contains("zeros", ex.Message, StringComparison.Ordinal);
        Assert.Contains("systemd-machine-id-setup", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromMachineId_LongGarbage_MessageIsTruncated()
    {
        string garbage = new('x', 5000);

        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.FromMachineId(DefaultNetwork, garbage));

        Assert.True(ex.Message.Length < 300, ex.Message);
    }

    [Fact]
    public void ParsePrefix_Default_IsSlash64()
    {
        IPNetwork network = NodeAddress.ParsePrefix(NodeAddress.DefaultPrefix);

        Assert.Equal(64, network.PrefixLength);
        Assert.Equal(IPAddress.Parse("fd5e:59b8:f71d:9a3e::"), network.BaseAddress);
    }

    [Theory]
    [InlineData("fd5e:59b8:f71d::/48")]
    [InlineData("fd5e:59b8:f71d:9a3e::/96")]
    [InlineData("fd5e:59b8:f71d:9a3e::/128")]
    public void ParsePrefix_NotSlash64_ThrowsUsageSayingSlash64(string text)
    {
        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.ParsePrefix(text));

        Assert.Equal(AddressProblem.BadPrefix, ex.Problem);
        Assert.Contains(text, ex.Message, StringComparison.Ordinal);
        Assert.Contains("/64", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.0/8")]                  // IPv4
    [InlineData("192.168.1.0/24")]
    [InlineData("fd5e:59b8:f71d:9a3e::")]       // no length
    [InlineData("fd5e:59b8:f71d:9a3e::/")]
    [InlineData("fd5e:59b8:f71d:9a3e::/abc")]
    [InlineData("not a prefix")]
    [InlineData("")]
    public void ParsePrefix_Invalid_ThrowsUsage(string text)
    {
        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.ParsePrefix(text));

        Assert.Equal(AddressProblem.BadPrefix, ex.Problem);
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
    }

    // BUG: ParsePrefix's comment says IPNetwork.TryParse refuses host bits; on .NET 10 it masks them
    // instead, so "fd5e:59b8:f71d:9a3e::1/64" is accepted as fd5e:59b8:f71d:9a3e::/64 and the
    // IPv4-mapped "::ffff:10.0.0.0/64" as ::/64.
    [Theory]
    [InlineData("fd5e:59b8:f71d:9a3e::1/64")]
    [InlineData("fd5e:59b8:f71d:9a3e:8000::/64")]
    [InlineData("::ffff:10.0.0.0/64")]
    public void ParsePrefix_HostBitsSet_ThrowsUsage(string text)
    {
        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.ParsePrefix(text));

        Assert.Equal(AddressProblem.BadPrefix, ex.Problem);
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fd5e:59b8:f71d:9a3e::1", "fd5e:59b8:f71d:9a3e::1")]
    [InlineData("FD5E:59B8:F71D:9A3E:0:0:0:42", "fd5e:59b8:f71d:9a3e::42")]
    [InlineData("fd5e:59b8:f71d:9a3e:ffff:ffff:ffff:ffff", "fd5e:59b8:f71d:9a3e:ffff:ffff:ffff:ffff")]
    public void ParseAddress_InsidePrefix_ReturnsAddress(string text, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), NodeAddress.ParseAddress(text, DefaultNetwork));
    }

    [Theory]
    [InlineData("fd5e:59b8:f71d:9a3f::1")]
    [InlineData("fd00::1")]
    [InlineData("::1")]
    public void ParseAddress_OutsidePrefix_ThrowsUsageNamingPrefix(string text)
    {
        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.ParseAddress(text, DefaultNetwork));

        Assert.Equal(AddressProblem.BadAddress, ex.Problem);
        Assert.Contains(text, ex.Message, StringComparison.Ordinal);
        Assert.Contains("fd5e:59b8:f71d:9a3e::/64", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("fd5e:59b8:f71d:9a3e::1%2")]
    [InlineData("fd5e:59b8:f71d:9a3e::1/64")]
    [InlineData("nonsense")]
    [InlineData("")]
    public void ParseAddress_NotAnIpv6Address_ThrowsUsage(string text)
    {
        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.ParseAddress(text, DefaultNetwork));

        Assert.Equal(AddressProblem.BadAddress, ex.Problem);
    }

    [Fact]
    public void ParseAddress_SubnetRouterAnycast_ThrowsUsage()
    {
        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.ParseAddress("fd5e:59b8:f71d:9a3e::", DefaultNetwork));

        Assert.Equal(AddressProblem.BadAddress, ex.Problem);
        Assert.Contains("anycast", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ExplicitAddress_WinsOverMachineIdFile()
    {
        using var dir = new TempDirectory();
        string missing = Path.Combine(dir.Path, "no-such-machine-id");

        IPAddress address = NodeAddress.Resolve(NodeAddress.DefaultPrefix, "fd5e:59b8:f71d:9a3e::7", missing);

        Assert.Equal(IPAddress.Parse("fd5e:59b8:f71d:9a3e::7"), address);
    }

    [Fact]
    public void Resolve_ExplicitAddress_StillCheckedAgainstPrefix()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "machine-id");
        File.WriteAllText(file, DesignMachineId + "\n");

        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.Resolve(NodeAddress.DefaultPrefix, "fd00::7", file));

        Assert.Equal(AddressProblem.BadAddress, ex.Problem);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Resolve_NoAddress_DerivesFromMachineIdFile(string? address)
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "machine-id");
        File.WriteAllText(file, DesignMachineId + "\n");

        Assert.Equal(IPAddress.Parse("fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"), NodeAddress.Resolve(NodeAddress.DefaultPrefix, address, file));
    }

    [Fact]
    public void Resolve_MissingMachineIdFile_ThrowsConfigNamingFile()
    {
        using var dir = new TempDirectory();
        string missing = Path.Combine(dir.Path, "no-such-machine-id");

        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.Resolve(NodeAddress.DefaultPrefix, null, missing));

        Assert.Equal(AddressProblem.BadMachineId, ex.Problem);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("--address", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_BadMachineIdFile_ErrorNamesFile()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "machine-id");
        File.WriteAllText(file, "uninitialized\n");

        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.Resolve(NodeAddress.DefaultPrefix, null, file));

        Assert.Equal(AddressProblem.BadMachineId, ex.Problem);
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_BadPrefix_FailsBeforeReadingFile()
    {
        using var dir = new TempDirectory();
        string missing = Path.Combine(dir.Path, "no-such-machine-id");

        AddressException ex = Assert.Throws<AddressException>(() => NodeAddress.Resolve("fd00::/48", null, missing));

        Assert.Equal(AddressProblem.BadPrefix, ex.Problem);
    }
}
