using System.CommandLine;
using Hoshino.Cli.Commands;
using Hoshino.Egress;

namespace Hoshino.UnitTests.Cli;

public sealed class WireFormatOptionTests
{
    [Theory]
    [InlineData("v1", WireFormat.V1)]
    [InlineData("v2", WireFormat.V2)]
    public void ParseWireFormat_KnownNames(string text, WireFormat expected) =>
        Assert.Equal(expected, UpCommand.ParseWireFormat(text));

    [Theory]
    [InlineData("V2")]
    [InlineData("3")]
    [InlineData("")]
    public void ParseWireFormat_Other_UsageErrorNamingTheFlag(string text)
    {
        var ex = Assert.Throws<FatalException>(() => UpCommand.ParseWireFormat(text));

        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
        Assert.Contains("--wire-format", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_NamesTheFlagItsValuesAndItsVariable()
    {
        Option option = Assert.Single(UpCommand.Create().Options, o => o.Name == "--wire-format");

        Assert.Contains("v1|v2", option.HelpName, StringComparison.Ordinal);
        Assert.Contains("[env: HOSHINO_WIRE_FORMAT]", option.Description, StringComparison.Ordinal);
    }
}
