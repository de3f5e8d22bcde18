using System.Globalization;

namespace Hoshino.Cli.Commands;

/// <summary>Parses the CLI's durations: a number and a unit, e.g. <c>500us</c>, <c>10ms</c>, <c>2s</c>, <c>1m</c>.</summary>
internal static class Durations
{
    private static readonly System.Buffers.SearchValues<char> NumberChars = System.Buffers.SearchValues.Create("0123456789.");

    public static TimeSpan Parse(string text, string flag)
    {
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        int unitStart = s.IndexOfAnyExcept(NumberChars);
        if (unitStart > 0 && double.TryParse(s[..unitStart], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
        {
            double? micros = s[unitStart..] switch
            {
                "us" or "µs" => value,
                "ms" => value * 1e3,
                "s" => value * 1e6,
                "m" => value * 60e6,
                "h" => value * 3600e6,
                _ => null,
            };
            if (micros is { } us && us > 0 && us < TimeSpan.MaxValue.TotalMicroseconds)
            {
                return TimeSpan.FromMicroseconds(us);
            }
        }
        throw new FatalException($"bad duration '{text}' for {flag}: expected a positive number with a unit, e.g. 500us, 10ms, 2s, 1m", ExitCodes.Usage);
    }

    public static string Format(TimeSpan value) =>
        value.TotalMilliseconds < 1 ? $"{value.TotalMicroseconds:0.#}us"
        : value.TotalSeconds < 1 ? $"{value.TotalMilliseconds:0.###}ms"
        : value.TotalMinutes < 1 ? $"{value.TotalSeconds:0.###}s"
        : $"{value.TotalMinutes:0.###}m";
}
