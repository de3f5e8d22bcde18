using System.Globalization;
using System.Text;

namespace Hoshino.Diagnostics;

/// <summary>Writes the Prometheus text exposition format (version 0.0.4).</summary>
internal sealed class PrometheusWriter(StringBuilder output)
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public void Family(string name, string type, string help) =>
        output.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
              .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    public void Sample(string name, string labels, double value)
    {
        output.Append(name);
        if (labels.Length > 0)
        {
            output.Append('{').Append(labels).Append('}');
        }
        output.Append(' ').Append(Format(value)).Append('\n');
    }

    public static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Escapes a label value (backslash, quote, newline).</summary>
    public static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
             .Replace("\n", "\\n", StringComparison.Ordinal);
}
