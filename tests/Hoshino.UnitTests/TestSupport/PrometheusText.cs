using System.Globalization;

namespace Hoshino.UnitTests.TestSupport;

/// <summary>Reads samples back out of a Prometheus text page.</summary>
internal static class PrometheusText
{
    /// <summary>The value of the sample whose name and labels are exactly <paramref name="series"/>, e.g. <c>x_total{a="b"}</c>.</summary>
    public static double Value(string page, string series)
    {
        double? found = null;
        foreach (string line in Lines(page))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                Assert.Null(found); // each series appears once
                found = Parse(line[(series.Length + 1)..]);
            }
        }
        Assert.True(found.HasValue, $"series {series} not found in:\n{page}");
        return found.Value;
    }

    /// <summary>Every sample line (not comments) whose series starts with <paramref name="prefix"/>, in page order.</summary>
    public static List<(string Series, double Value)> Samples(string page, string prefix) =>
        [.. Lines(page).Where(l => !l.StartsWith('#') && l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => (l[..l.LastIndexOf(' ')], Parse(l[(l.LastIndexOf(' ') + 1)..])))];

    public static IEnumerable<string> Lines(string page) => page.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static double Parse(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
