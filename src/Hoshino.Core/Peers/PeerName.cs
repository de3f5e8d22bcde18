namespace Hoshino.Peers;

/// <summary>
/// A node's name in the directory: one DNS label (RFC 1123: ASCII letters, digits and '-', not at
/// either end, 1–63 bytes), in lower case, so that <c>NAME.hoshino</c> is a name every resolver
/// takes and two spellings of one name are one record.
/// </summary>
public static class PeerName
{
    public const int MaxLength = 63;

    /// <summary>Why <paramref name="name"/> is not a valid (lower-case) name, or null when it is.</summary>
    public static string? ProblemWith(string name)
    {
        if (name.Length is 0 or > MaxLength)
        {
            return $"a name is 1 to {MaxLength} characters, not {name.Length}";
        }
        foreach (char c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return c is >= 'A' and <= 'Z'
                    ? "a name is lower case"
                    : "a name may hold only letters a-z, digits and '-' (one DNS label: no dots, no underscores)";
            }
        }
        return name[0] == '-' || name[^1] == '-' ? "a name may not start or end with '-'" : null;
    }

    /// <summary>True when <paramref name="name"/> is a valid name.</summary>
    public static bool IsValid(string name) => ProblemWith(name) is null;

    /// <summary>
    /// The name a host name gives: its first label (a host name may be a fully qualified one),
    /// lower-cased. Not checked: the caller asks <see cref="ProblemWith"/> and says where the name came from.
    /// </summary>
    public static string FromHostName(string hostName)
    {
        int dot = hostName.IndexOf('.', StringComparison.Ordinal);
        return (dot >= 0 ? hostName[..dot] : hostName).ToLowerInvariant();
    }
}
