using System.Globalization;

namespace Hoshino.Bench;

/// <summary><c>--name value</c> pairs; every option has a value. Unknown names are an error when read strictly.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Args Parse(ReadOnlySpan<string> args)
    {
        var parsed = new Args();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            }
            parsed._values[args[i][2..]] = args[++i];
        }
        return parsed;
    }

    public string Get(string name) =>
        _values.TryGetValue(name, out string? value) ? value : throw new ArgumentException($"--{name} is required");

    public string Get(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    public int GetInt(string name, int fallback) =>
        _values.TryGetValue(name, out string? value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public double GetDouble(string name, double fallback) =>
        _values.TryGetValue(name, out string? value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public int[] GetInts(string name, string fallback) =>
        [.. Get(name, fallback).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
}
