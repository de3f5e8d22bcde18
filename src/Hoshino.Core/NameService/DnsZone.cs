using System.Text;

namespace Hoshino.NameService;

/// <summary>
/// The one zone the responder answers for, <c>NAME.DOMAIN</c>, and the times a resolver may keep
/// its answers. Answers live as long as a directory record between renewals, so a node that
/// stopped or moved is forgotten about as quickly as the directory forgets it.
/// </summary>
public sealed class DnsZone
{
    public const string DefaultDomain = "hoshino";

    /// <summary>TTL of an AAAA answer: short, so a node that left or changed its address is not cached for long (the directory is read every --directory-read).</summary>
    public static readonly TimeSpan DefaultAnswerTtl = TimeSpan.FromSeconds(30);

    /// <summary>
    /// TTL of a negative answer and of the SOA that carries it (RFC 2308): short, so a node that
    /// just started is found within seconds by a resolver that asked for it a moment too early.
    /// </summary>
    public static readonly TimeSpan DefaultNegativeTtl = TimeSpan.FromSeconds(10);

    private DnsZone(string domain, byte[] wire, TimeSpan answerTtl, TimeSpan negativeTtl)
    {
        Domain = domain;
        Wire = wire;
        AnswerTtl = (uint)answerTtl.TotalSeconds;
        NegativeTtl = (uint)negativeTtl.TotalSeconds;
    }

    /// <summary>The domain in lower case, without a trailing dot, e.g. <c>hoshino</c>.</summary>
    public string Domain { get; }

    /// <summary>The domain in wire form (length-prefixed labels, zero byte last), lower case.</summary>
    internal byte[] Wire { get; }

    internal uint AnswerTtl { get; }

    internal uint NegativeTtl { get; }

    /// <summary>A zone for <paramref name="domain"/>; throws <see cref="ArgumentException"/> with <see cref="ProblemWithDomain"/>'s words.</summary>
    public static DnsZone Create(string domain, TimeSpan? answerTtl = null, TimeSpan? negativeTtl = null)
    {
        if (ProblemWithDomain(domain) is { } problem)
        {
            throw new ArgumentException(problem, nameof(domain));
        }
        string lower = domain.TrimEnd('.').ToLowerInvariant();
        var wire = new List<byte>();
        foreach (string label in lower.Split('.'))
        {
            wire.Add((byte)label.Length);
            wire.AddRange(Encoding.ASCII.GetBytes(label));
        }
        wire.Add(0);
        return new DnsZone(lower, [.. wire], answerTtl ?? DefaultAnswerTtl, negativeTtl ?? DefaultNegativeTtl);
    }

    /// <summary>
    /// Why <paramref name="domain"/> cannot be the zone, or null: one or more labels of letters,
    /// digits and '-' (not first or last), each 1–63 characters, 180 at most in all, so every
    /// <c>NAME.DOMAIN</c> with a 63-character name fits the 255-byte limit.
    /// </summary>
    public static string? ProblemWithDomain(string domain)
    {
        string trimmed = domain.EndsWith('.') ? domain[..^1] : domain;
        if (trimmed.Length is 0 or > 180)
        {
            return "expected a domain of 1 to 180 characters, such as hoshino or hoshino.internal";
        }
        foreach (string label in trimmed.Split('.'))
        {
            if (!IsHostLabel(label))
            {
                return $"'{label}' is not a DNS label (letters, digits and '-', 1 to 63 characters, no '-' first or last)";
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="label"/> is a host name label (RFC 1123): what a peer's name must be to be found.</summary>
    public static bool IsHostLabel(ReadOnlySpan<char> label)
    {
        if (label.Length is 0 or > DnsWire.MaxLabelLength || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }
        foreach (char c in label)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }
        return true;
    }
}
