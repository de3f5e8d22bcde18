using System.Globalization;
using System.Text;

namespace Hoshino.Cli.Control;

/// <summary>
/// How <c>hoshino status</c>, <c>peers</c> and <c>ping</c> print what the node said: aligned plain
/// text, one peer a line (after <c>wg show</c> and <c>tailscale status</c>). Pure, so it is tested
/// without a node. Names and stores come from the node and the bucket: anything unprintable in
/// them is escaped, so a record cannot move the cursor or fake a line.
/// </summary>
internal static class StatusText
{
    public static string Node(NodeStatus status, DateTimeOffset now)
    {
        NodeInfo node = status.Node;
        var text = new StringBuilder();
        Row(text, "node", $"{Clean(node.Name) ?? "(no name in the directory)"}  {node.Address}  on {node.Interface}");
        Row(text, "store", Clean(node.Store)!);
        Row(text, "sealing", node.Sealed ? "on (network key)" : "off");
        Row(text, "version", $"{Clean(node.Version)}, up {Duration(TimeSpan.FromSeconds(node.UptimeSeconds))} (since {node.Started.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)");
        Row(text, "health", Health(node.Health));
        text.Append('\n');
        text.Append(Peers(status.Peers, now));
        return text.ToString();
    }

    public static string Health(NodeHealth health)
    {
        var problems = new List<string>();
        if (health.AddressConflict)
        {
            problems.Add("ADDRESS CONFLICT: another live node holds this address");
        }
        if (health.StoreErrors > 0)
        {
            problems.Add($"{health.StoreErrors} store errors");
        }
        if (health.RejectedObjects.Count > 0)
        {
            problems.Add("rejected objects: " + string.Join(", ", health.RejectedObjects.Select(r => $"{r.Key} {r.Value}")));
        }
        return problems.Count == 0 ? "ok" : string.Join("; ", problems);
    }

    public static string Peers(IReadOnlyList<PeerStatus> peers, DateTimeOffset now)
    {
        if (peers.Count == 0)
        {
            return "no peers yet (none in the directory, no packets exchanged)\n";
        }
        string[] header = ["peer", "address", "last seen", "sent", "received", "last rtt"];
        var rows = new List<string[]> { header };
        foreach (PeerStatus peer in peers)
        {
            rows.Add([
                Clean(peer.Name) ?? "-",
                peer.Address,
                peer.LastSeen is { } seen ? Ago(now - seen) : "never",
                $"{Count(peer.PacketsOut)} pkt {Bytes(peer.BytesOut)}",
                $"{Count(peer.PacketsIn)} pkt {Bytes(peer.BytesIn)}",
                peer.LastRoundTripMs is { } rtt ? Millis(rtt) : "-",
            ]);
        }
        int[] widths = [.. Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length))];
        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            text.Append(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd()).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>One ping reply, and where the time went as far as this node can tell.</summary>
    public static string PingReply(string from, ushort sequence, TimeSpan rtt, PeerStatus? peer)
    {
        double total = rtt.TotalMilliseconds;
        string line = $"reply from {from}: seq={sequence} time={Millis(total)}";
        if (peer is not { LastPutMs: { } put, LastGetMs: { } get })
        {
            return line + " (where the time went is not known yet: no PUT for and GET from this peer timed)";
        }
        double rest = Math.Max(0, total - put - get);
        return line + $" = PUT {Millis(put)} + wait {Millis(rest)} + GET {Millis(get)}"
            + " (wait: until the peer polled, fetched the request and stored the reply, and this node polled; not told apart from here)";
    }

    public static string PingSummary(string target, int sent, IReadOnlyList<double> rtts)
    {
        int lost = sent - rtts.Count;
        string line = $"--- {target}: {sent} sent, {rtts.Count} received, {(sent == 0 ? 0 : lost * 100 / sent)}% loss";
        return rtts.Count == 0 ? line : line + $", rtt min/avg/max {Millis(rtts.Min(), "")}/{Millis(rtts.Average(), "")}/{Millis(rtts.Max())}";
    }

    public static string Duration(TimeSpan span) => span switch
    {
        { TotalSeconds: < 60 } => $"{(int)span.TotalSeconds}s",
        { TotalMinutes: < 60 } => $"{(int)span.TotalMinutes}m {span.Seconds}s",
        { TotalHours: < 48 } => $"{(int)span.TotalHours}h {span.Minutes}m",
        _ => $"{(int)span.TotalDays}d {span.Hours}h",
    };

    public static string Ago(TimeSpan span) => span < TimeSpan.Zero ? "just now" : Duration(span) + " ago";

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.0} GiB"),
    };

    private static string Count(long count) => count.ToString(CultureInfo.InvariantCulture);

    private static string Millis(double ms, string unit = " ms") => string.Create(CultureInfo.InvariantCulture, $"{ms:0.0}{unit}");

    private static void Row(StringBuilder text, string label, string value) => text.Append(label.PadRight(9)).Append(value).Append('\n');

    private static string? Clean(string? text) => text is null ? null : Diagnostics.LogText.Escape(text);
}
