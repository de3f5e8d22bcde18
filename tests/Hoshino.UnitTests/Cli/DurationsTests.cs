using Hoshino.Cli.Commands;

namespace Hoshino.UnitTests.Cli;

public sealed class DurationsTests
{
    public static TheoryData<string, TimeSpan> Valid => new()
    {
        { "500us", TimeSpan.FromMicroseconds(500) },
        { "500µs", TimeSpan.FromMicroseconds(500) },
        { "1ms", TimeSpan.FromMilliseconds(1) },
        { "10ms", TimeSpan.FromMilliseconds(10) },
        { "2.5ms", TimeSpan.FromMicroseconds(2500) },
        { "2s", TimeSpan.FromSeconds(2) },
        { "1.5s", TimeSpan.FromMilliseconds(1500) },
        { "1m", TimeSpan.FromMinutes(1) },
        { "2h", TimeSpan.FromHours(2) },
        { " 30s ", TimeSpan.FromSeconds(30) },
        { "0.1us", TimeSpan.FromTicks(1) },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parse_NumberAndUnit_ReturnsTheDuration(string text, TimeSpan expected) =>
        Assert.Equal(expected, Durations.Parse(text, "--poll-min"));

    [Theory]
    [InlineData("")]
    [InlineData("10")]             // no unit
    [InlineData("ms")]             // no number
    [InlineData("0s")]             // not positive
    [InlineData("0.0ms")]
    [InlineData("-1s")]
    [InlineData("10 ms")]          // no space between number and unit
    [InlineData("10MS")]           // units are lower case
    [InlineData("1d")]             // no such unit
    [InlineData("1e3ms")]          // no exponents
    [InlineData("1.2.3s")]
    [InlineData("1,5s")]           // the decimal point is '.', whatever the culture
    [InlineData("99999999999h")]   // past TimeSpan.MaxValue
    public void Parse_NotAPositiveDuration_FailsNamingTheFlagAndTheForm(string text)
    {
        string message = CliErrors.UsageError(() => Durations.Parse(text, "--poll-max"));

        Assert.Equal($"bad duration '{text}' for --poll-max: expected a positive number with a unit, e.g. 500us, 10ms, 2s, 1m", message);
    }

    [Theory]
    [InlineData(5, "0.5us")]
    [InlineData(5_000, "500us")]
    [InlineData(10_000, "1ms")]
    [InlineData(25_000, "2.5ms")]
    [InlineData(5_000_000, "500ms")]
    [InlineData(10_000_000, "1s")]
    [InlineData(15_000_000, "1.5s")]
    [InlineData(300_000_000, "30s")]
    [InlineData(600_000_000, "1m")]
    [InlineData(900_000_000, "1.5m")]
    [InlineData(36_000_000_000, "60m")]
    public void Format_Duration_UsesTheLargestUnitBelowIt(long ticks, string expected) =>
        Assert.Equal(expected, Durations.Format(TimeSpan.FromTicks(ticks)));

    [Theory]
    [InlineData("1ms")]
    [InlineData("500us")]
    [InlineData("500ms")]
    [InlineData("2s")]
    [InlineData("30s")]
    [InlineData("1m")]
    [InlineData("1.5m")]
    public void FormatThenParse_CliDefaultsAndTypicalValues_RoundTrip(string text)
    {
        TimeSpan value = Durations.Parse(text, "--x");

        Assert.Equal(text, Durations.Format(value));
        Assert.Equal(value, Durations.Parse(Durations.Format(value), "--x"));
    }
}
