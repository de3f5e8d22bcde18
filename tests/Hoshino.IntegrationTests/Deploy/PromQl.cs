using System.Text;
using System.Text.RegularExpressions;

namespace Hoshino.IntegrationTests.Deploy;

/// <summary>
/// Just enough PromQL reading to ask which metrics an expression uses: not a parser, a stripper.
/// String literals, label matchers (<c>{…}</c>), ranges and subqueries (<c>[…]</c>), grouping
/// label lists (<c>by (…)</c>, <c>on (…)</c>, …) and Grafana variables are removed; what is left
/// that looks like an identifier, is not a keyword and is not called like a function is a metric
/// name. Label values are never read, so new label values (reasons, operations) change nothing.
/// </summary>
internal static partial class PromQl
{
    // Binary-operator keywords, modifiers and the literals PromQL reads as numbers. Functions and
    // aggregation operators need no list: they are always followed by '('.
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan",
    };

    /// <summary>The metric names <paramref name="expression"/> selects.</summary>
    public static SortedSet<string> MetricNames(string expression)
    {
        string text = Strip(expression);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match match in Identifier().Matches(text))
        {
            string name = match.Value;
            int next = match.Index + match.Length;
            while (next < text.Length && char.IsWhiteSpace(text[next]))
            {
                next++;
            }
            bool called = next < text.Length && text[next] == '(';
            if (!called && !Keywords.Contains(name))
            {
                names.Add(name);
            }
        }
        return names;
    }

    /// <summary>
    /// The argument text of every call of <paramref name="function"/> (e.g. <c>rate</c>) in
    /// <paramref name="expression"/>, string literals removed, outermost calls first.
    /// </summary>
    public static List<string> Arguments(string expression, string function)
    {
        string text = RemoveStrings(expression);
        var arguments = new List<string>();
        foreach (Match match in Regex.Matches(text, $@"(?<![\w:]){Regex.Escape(function)}\s*\("))
        {
            int open = match.Index + match.Length - 1;
            int close = Matching(text, open, '(', ')');
            arguments.Add(text[(open + 1)..close]);
        }
        return arguments;
    }

    /// <summary>The metrics a Grafana template variable's query reads: <c>label_values(metric, label)</c>, or a PromQL query.</summary>
    public static SortedSet<string> VariableQueryMetricNames(string query)
    {
        Match labelValues = LabelValues().Match(query);
        if (labelValues.Success)
        {
            return labelValues.Groups["selector"].Success ? MetricNames(labelValues.Groups["selector"].Value) : [];
        }
        Match queryResult = QueryResult().Match(query);
        return MetricNames(queryResult.Success ? queryResult.Groups["expr"].Value : query);
    }

    private static string Strip(string expression)
    {
        string text = GrafanaVariable().Replace(RemoveStrings(expression), " ");
        text = RemoveBracketed(text, '{', '}');
        text = RemoveBracketed(text, '[', ']');
        return GroupingLabels().Replace(text, " ");
    }

    /// <summary>Replaces "…", '…' and `…` literals (with backslash escapes in the first two) by "".</summary>
    private static string RemoveStrings(string text)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is not ('"' or '\'' or '`'))
            {
                result.Append(c);
                continue;
            }
            int j = i + 1;
            while (j < text.Length && text[j] != c)
            {
                j += c != '`' && text[j] == '\\' ? 2 : 1;
            }
            if (j >= text.Length)
            {
                throw new FormatException($"unterminated string literal in: {text}");
            }
            result.Append("\"\"");
            i = j;
        }
        return result.ToString();
    }

    private static string RemoveBracketed(string text, char open, char close)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == open)
            {
                i = Matching(text, i, open, close);
                result.Append(' ');
            }
            else if (text[i] == close)
            {
                throw new FormatException($"unbalanced '{close}' in: {text}");
            }
            else
            {
                result.Append(text[i]);
            }
        }
        return result.ToString();
    }

    private static int Matching(string text, int openAt, char open, char close)
    {
        int depth = 0;
        for (int i = openAt; i < text.Length; i++)
        {
            if (text[i] == open)
            {
                depth++;
            }
            else if (text[i] == close && --depth == 0)
            {
                return i;
            }
        }
        throw new FormatException($"unbalanced '{open}' in: {text}");
    }

    // An identifier not glued to a number (1e3, 5m, 0x1f), a dot or a Grafana '$'.
    [GeneratedRegex(@"(?<![\w:.$])[A-Za-z_:][\w:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"(?<![\w:])(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex GroupingLabels();

    // $var, ${var}, ${var:format}, [[var]] (the old form; [..] is gone by now, but be safe).
    [GeneratedRegex(@"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")]
    private static partial Regex GrafanaVariable();

    [GeneratedRegex(@"^\s*label_values\s*\(\s*(?:(?<selector>[^,]+?)\s*,\s*)?(?<label>\w+)\s*\)\s*$")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"^\s*query_result\s*\((?<expr>.*)\)\s*$", RegexOptions.Singleline)]
    private static partial Regex QueryResult();
}

/// <summary>A node's <c>/metrics</c> page: every sample name, and each family's type from its <c># TYPE</c> line.</summary>
internal sealed class MetricsPage
{
    private static readonly string[] FamilySuffixes = ["_total", "_created", "_bucket", "_sum", "_count"];

    private MetricsPage(HashSet<string> samples, Dictionary<string, string> types) => (SampleNames, Types) = (samples, types);

    public HashSet<string> SampleNames { get; }

    /// <summary>Family name → counter, gauge, histogram, summary, untyped.</summary>
    public Dictionary<string, string> Types { get; }

    public static MetricsPage Parse(string page)
    {
        var samples = new HashSet<string>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in page.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                types[parts[2]] = parts[3];
            }
            else if (!line.StartsWith('#'))
            {
                int end = line.IndexOfAny(['{', ' ']);
                samples.Add(end < 0 ? line : line[..end]);
            }
        }
        return new MetricsPage(samples, types);
    }

    /// <summary>
    /// The type of the family a series name belongs to: the name itself (Prometheus text format,
    /// <c>x_total</c> declared as <c>x_total</c>), or the name less <c>_total</c>, <c>_bucket</c>,
    /// <c>_sum</c>, <c>_count</c> (histograms; OpenMetrics counters). Null when none is declared.
    /// </summary>
    public string? TypeOf(string series)
    {
        if (Types.TryGetValue(series, out string? type))
        {
            return type;
        }
        foreach (string suffix in FamilySuffixes)
        {
            if (series.EndsWith(suffix, StringComparison.Ordinal) && Types.TryGetValue(series[..^suffix.Length], out type))
            {
                return type;
            }
        }
        return null;
    }

    /// <summary>Whether <c>rate</c>/<c>increase</c> make sense on the series: a counter, or a histogram's _bucket/_sum/_count.</summary>
    public bool IsCounterLike(string series) =>
        TypeOf(series) switch
        {
            "counter" => true,
            "histogram" or "summary" => series.EndsWith("_bucket", StringComparison.Ordinal) || series.EndsWith("_sum", StringComparison.Ordinal)
                || series.EndsWith("_count", StringComparison.Ordinal),
            _ => false,
        };
}
