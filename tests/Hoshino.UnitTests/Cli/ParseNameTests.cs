using Hoshino.Cli.Commands;

namespace Hoshino.UnitTests.Cli;

public sealed class ParseNameTests
{
    [Theory]
    [InlineData("web-1.example.com", "web-1")]  // a fully qualified host name: its first label
    [InlineData("Build07", "build07")]          // lower-cased
    [InlineData("x", "x")]
    public void ParseName_NotGiven_TheHostNamesFirstLabelLowerCased(string hostName, string expected) =>
        Assert.Equal(expected, UpCommand.ParseName(null, hostName));

    [Fact]
    public void ParseName_Given_WinsOverTheHostNameLowerCased() =>
        Assert.Equal("alpha", UpCommand.ParseName("Alpha", "host"));

    [Theory]
    [InlineData("my_host")]
    [InlineData("-lead")]
    [InlineData("tail-")]
    [InlineData("caf\u00e9")]
    public void ParseName_HostNameNotALabel_SaysSoAndNamesTheFlag(string hostName)
    {
        string message = CliErrors.UsageError(() => UpCommand.ParseName(null, hostName));

        Assert.Contains($"'{hostName}'", message, StringComparison.Ordinal);
        Assert.Contains("--name", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.b", "no dots")]
    [InlineData("under_score", "no underscores")]
    [InlineData("this-name-is-far-too-long-for-one-dns-label-it-has-sixty-four-ch", "1 to 63")]
    public void ParseName_GivenNotALabel_SaysWhy(string name, string why)
    {
        string message = CliErrors.UsageError(() => UpCommand.ParseName(name, "host"));

        Assert.StartsWith($"bad --name '{name}'", message, StringComparison.Ordinal);
        Assert.Contains(why, message, StringComparison.Ordinal);
    }
}
