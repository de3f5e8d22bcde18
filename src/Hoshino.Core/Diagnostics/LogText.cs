using System.Globalization;
using System.Text;

namespace Hoshino.Diagnostics;

/// <summary>
/// Makes text from the bucket safe for a log line. Anyone who may write to the bucket chooses keys
/// and tags; raw, a control character, an ANSI escape or a bidirectional override would rewrite
/// the operator's terminal or forge journal lines. Printable ASCII passes; everything else becomes
/// <c>\xNN</c> or <c>\uNNNN</c>, and text past <see cref="MaxLength"/> characters is cut.
/// </summary>
public static class LogText
{
    public const int MaxLength = 256;

    public static string Escape(string? text)
    {
        if (text is null)
        {
            return "";
        }
        bool clean = text.Length <= MaxLength;
        foreach (char c in text)
        {
            if (c is < ' ' or > '~' || c == '\\')
            {
                clean = false;
                break;
            }
        }
        if (clean)
        {
            return text;
        }
        var escaped = new StringBuilder(Math.Min(text.Length, MaxLength) + 16);
        foreach (char c in text)
        {
            if (escaped.Length >= MaxLength)
            {
                escaped.Append(CultureInfo.InvariantCulture, $"...(+{text.Length} chars)");
                break;
            }
            if (c == '\\')
            {
                escaped.Append(@"\\");
            }
            else if (c is >= ' ' and <= '~')
            {
                escaped.Append(c);
            }
            else if (c <= 0xFF)
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }
        return escaped.ToString();
    }
}
