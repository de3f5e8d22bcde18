using System.Net.Sockets;
using Hoshino.Diagnostics;
using Hoshino.NameService;
using Hoshino.Peers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// After the tunnel (its address is where the responder listens by default): serves NAME.DOMAIN
/// from <see cref="IPeerNames"/> over UDP and TCP, then points systemd-resolved at it for the
/// routing domain, if resolved runs. Stopping reverts the link in resolved and closes the
/// responder. A responder loop that fails stops the node (exit 1), like any other loop.
/// </summary>
internal sealed partial class DnsService(NodeSettings settings, IPeerNames names, HoshinoMetrics metrics, TimeProvider time,
    IHostApplicationLifetime lifetime, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<DnsService>();
    private DnsServer? _server;
    private ResolvedLink? _resolved;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Dns is not { } dns)
        {
            return;
        }
        try
        {
            _server = DnsServer.Start(dns.Listen, new DnsResponder(dns.Zone, names), metrics, time, loggers.CreateLogger<DnsServer>());
        }
        catch (SocketException ex)
        {
            throw new FatalException(
                $"listening for DNS on {dns.Listen}: {ex.Message} (pass --dns-listen with a free address and port, or --dns off)", ExitCodes.Unavailable, ex);
        }
        _ = _server.Completion.ContinueWith(failed =>
        {
            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return;   // a failure while stopping changes nothing: the node stops anyway
            }
            Environment.ExitCode = ExitCodes.Failure;
            LoopFailed(_logger, failed.Exception!.InnerException!);
            lifetime.StopApplication();
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        Serving(_logger, dns.Zone.Domain, _server.LocalEndPoint.ToString());

        if (ResolvedLink.FindResolvectl() is not { } resolvectl)
        {
            ResolvedAbsent(_logger, dns.Zone.Domain, _server.LocalEndPoint.ToString());
            return;
        }
        var link = new ResolvedLink(settings.Interface, _server.LocalEndPoint, dns.Zone.Domain, resolvectl);
        if (await link.ApplyAsync(cancellationToken) is { } failure)
        {
            // Resolved installed but not running (a container, no systemd), or not allowed: the responder still serves.
            ResolvedFailed(_logger, failure, dns.Zone.Domain, _server.LocalEndPoint.ToString());
            await link.RevertAsync(cancellationToken);   // never leave half the settings
            return;
        }
        _resolved = link;
        ResolvedConfigured(_logger, settings.Interface, ResolvedLink.ServerText(_server.LocalEndPoint), dns.Zone.Domain);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _resolved, null) is { } link)
        {
            string? failure = await link.RevertAsync(cancellationToken);
            ResolvedReverted(_logger, settings.Interface, failure ?? "done");
        }
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _server, null) is { } server)
        {
            await server.DisposeAsync();
        }
    }

    [LoggerMessage(EventIds.DnsServing, LogLevel.Information, "DNS: answering NAME.{Domain} on {Endpoint} (UDP and TCP)")]
    private static partial void Serving(ILogger logger, string domain, string endpoint);

    [LoggerMessage(EventIds.DnsLoopFailed, LogLevel.Critical, "The DNS responder failed; stopping the node")]
    private static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventIds.ResolvedConfigured, LogLevel.Information, "systemd-resolved: {Interface} has DNS server {Server} for ~{Domain}")]
    private static partial void ResolvedConfigured(ILogger logger, string @interface, string server, string domain);

    [LoggerMessage(EventIds.ResolvedAbsent, LogLevel.Information,
        "systemd-resolved not found (no resolvectl): NAME.{Domain} resolves only where a resolver asks {Endpoint} (README: DNS without systemd-resolved)")]
    private static partial void ResolvedAbsent(ILogger logger, string domain, string endpoint);

    [LoggerMessage(EventIds.ResolvedFailed, LogLevel.Information,
        "systemd-resolved not configured ({Failure}): NAME.{Domain} resolves only where a resolver asks {Endpoint} (README: DNS without systemd-resolved)")]
    private static partial void ResolvedFailed(ILogger logger, string failure, string domain, string endpoint);

    [LoggerMessage(EventIds.ResolvedReverted, LogLevel.Debug, "systemd-resolved: reverted {Interface}: {Outcome}")]
    private static partial void ResolvedReverted(ILogger logger, string @interface, string outcome);
}
