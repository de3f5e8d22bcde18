using Hoshino.Peers;

namespace Hoshino.UnitTests.Peers;

public sealed class PeerNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("web-1")]
    [InlineData("0abc")]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123")] // 63
    public void ProblemWith_DnsLabel_None(string name) => Assert.Null(PeerName.ProblemWith(name));

    [Theory]
    [InlineData("")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")] // 64
    [InlineData("Web")]
    [InlineData("a.b")]
    [InlineData("a_b")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a b")]
    [InlineData("\u0430")] // Cyrillic a
    [InlineData("a\n")]
    public void ProblemWith_NotALowerCaseLabel_SaysWhy(string name) => Assert.NotNull(PeerName.ProblemWith(name));

    [Theory]
    [InlineData("Host.Example.COM", "host")]
    [InlineData("plain", "plain")]
    [InlineData(".lead", "")]
    public void FromHostName_FirstLabelLowerCased(string host, string expected) => Assert.Equal(expected, PeerName.FromHostName(host));
}
