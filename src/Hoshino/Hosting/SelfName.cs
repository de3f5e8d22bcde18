using Hoshino.NameService;
using Hoshino.Peers;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// This node's own name, from the host name (its first label, lower case), for the names DNS
/// answers until the peer directory provides every node's: then <c>--name</c> and the directory
/// replace this.
/// </summary>
internal static class SelfName
{
    /// <summary>The host name's first label in lower case, or null if that is not a DNS host label.</summary>
    public static string? FromHostName(string hostName)
    {
        string label = hostName.Split('.')[0].ToLowerInvariant();
        return DnsZone.IsHostLabel(label) ? label : null;
    }

    public static IPeerNames Names(NodeSettings settings, string version, TimeProvider time)
    {
        DateTimeOffset now = time.GetUtcNow();
        return new FixedPeerNames(FromHostName(Environment.MachineName) is { } name
            ? [new PeerRecord(name, settings.Address, version, now, settings.Egress.Key is not null, now)]
            : []);
    }
}
