namespace Hoshino.UnitTests.Diagnostics;

/// <summary>
/// The shape of a <c>/metrics</c> page without its values: every HELP and TYPE line, and every
/// series (name and labels) in page order. Dashboards, alert rules, README and bench/ read these
/// names and labels, so the shape is pinned in <see cref="FileName"/>; a change to it shows up as a
/// diff there. Compiled into the unit tests (against <c>HoshinoMetrics</c>) and the integration
/// tests (against a running node).
/// </summary>
internal static class MetricsExposition
{
    /// <summary>The pinned shape, in this directory of the repository and next to the test assembly.</summary>
    public const string FileName = "MetricsExposition.txt";

    /// <summary>Label values that depend on the build and runtime, not on the metrics contract.</summary>
    private static readonly string[] VariableLabels = ["version", "runtime"];

    /// <summary><paramref name="page"/> with each sample's value dropped and build-dependent label values masked.</summary>
    public static string Shape(string page)
    {
        var shape = new System.Text.StringBuilder();
        foreach (string line in page.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            shape.Append(line.StartsWith('#') ? line : MaskVariableLabels(line[..line.LastIndexOf(' ')])).Append('\n');
        }
        return shape.ToString();
    }

    /// <summary>The first line where two shapes differ, with both versions, for a readable failure.</summary>
    public static string FirstDifference(string expected, string actual)
    {
        string[] e = expected.Split('\n');
        string[] a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string left = i < e.Length ? e[i] : "(end)";
            string right = i < a.Length ? a[i] : "(end)";
            if (left != right)
            {
                return $"line {i + 1}: pinned '{left}', page '{right}'";
            }
        }
        return "none";
    }

    private static string MaskVariableLabels(string series)
    {
        foreach (string label in VariableLabels)
        {
            string start = label + "=\"";
            int at = series.IndexOf(start, StringComparison.Ordinal);
            if (at < 0 || (at > 0 && series[at - 1] is not ('{' or ',')))
            {
                continue;
            }
            int valueStart = at + start.Length;
            int end = valueStart;
            while (series[end] != '"')
            {
                end += series[end] == '\\' ? 2 : 1;
            }
            series = series[..valueStart] + "*" + series[end..];
        }
        return series;
    }
}
