using System.Net;

namespace Hoshino.Cli.Hosting;

/// <summary>Everything <c>hoshino up</c> was told, validated. Built by <see cref="Commands.UpCommand"/>.</summary>
internal sealed record NodeSettings
{
    public required string Interface { get; init; }
    public required IPNetwork Network { get; init; }
    public required IPAddress Address { get; init; }
    public required int Mtu { get; init; }
    public required Commands.StoreUri Store { get; init; }
    public string? S3Endpoint { get; init; }
    public required string S3Region { get; init; }
    /// <summary>Network namespace to reach the store from; null for the node's own.</summary>
    public string? StoreNetns { get; init; }
    /// <summary>How long start-up waits for an unreachable store; null for ever.</summary>
    public TimeSpan? StoreWait { get; init; }
    /// <summary>Metrics listeners; empty when disabled.</summary>
    public required IReadOnlyList<IPEndPoint> MetricsListen { get; init; }
    /// <summary>Where the control socket is served; null when disabled.</summary>
    public string? ControlSocket { get; init; }
    public required Ingress.IngressOptions Ingress { get; init; }
    public required Egress.EgressOptions Egress { get; init; }
    public required Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; }
    /// <summary>The node's name in the peer directory: a lower-case DNS label.</summary>
    public required string Name { get; init; }
    /// <summary>How often the peer directory is read (at most one LIST per this interval on average).</summary>
    public TimeSpan DirectoryRead { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>The DNS responder; null with <c>--dns off</c>.</summary>
    public DnsSettings? Dns { get; init; }
}

/// <summary>Where the DNS responder listens and the zone it answers for.</summary>
internal sealed record DnsSettings(IPEndPoint Listen, NameService.DnsZone Zone);
