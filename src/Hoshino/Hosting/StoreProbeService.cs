using Hoshino.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// First at start-up: the store is there and these credentials may use it. While it cannot be
/// reached, start-up waits (see <see cref="StoreFactory.ProbeAsync"/>) and says so in the log and in
/// systemd's STATUS; SIGTERM ends the wait. Nothing after it starts until it succeeds.
/// </summary>
internal sealed partial class StoreProbeService(IPacketStore store, NodeSettings settings, Hoshino.Node.HoshinoNode node, TimeProvider time,
    ILogger<StoreProbeService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        StoreFactory.ProbeAsync(store, node.Inbox, settings.StoreWait, message =>
        {
            StoreUnreachable(logger, message);
            SystemdNotify.Send($"STATUS=waiting for the store: {message}");
        }, time, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Diagnostics.EventIds.StoreUnreachable, LogLevel.Warning, "{Message}")]
    private static partial void StoreUnreachable(ILogger logger, string message);
}
