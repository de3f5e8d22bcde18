using Hoshino.Diagnostics;

namespace Hoshino.UnitTests.Diagnostics;

public sealed class LogTextTests
{
    [Theory]
    [InlineData("fd00::1/fd00::2/01ARZ3NDEKTSV4RRFFQ69G5FAV", "fd00::1/fd00::2/01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    [InlineData("a/\u0001/doorbell", @"a/\x01/doorbell")]
    [InlineData("\u001b[31mred\u001b[0m", @"\x1b[31mred\x1b[0m")]
    [InlineData("line\nforged: Node up", @"line\x0aforged: Node up")]
    [InlineData("rtl\u202Eevil", @"rtl\u202eevil")]
    [InlineData(@"back\slash", @"back\\slash")]
    public void Escape_KeyChosenByAWriter_PrintableAsciiOnly(string key, string expected) =>
        Assert.Equal(expected, LogText.Escape(key));

    [Fact]
    public void Escape_VeryLongKey_Cut()
    {
        string escaped = LogText.Escape(new string('\u0001', 5000));

        Assert.True(escaped.Length < LogText.MaxLength + 32, escaped.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("(+5000 chars)", escaped, StringComparison.Ordinal);
    }
}
