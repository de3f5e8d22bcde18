using Hoshino.Node;
using Hoshino.Packets;
using Hoshino.Peers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// Fourth: runs the node's loops over the tunnel for the lifetime of the host. If a loop fails, the
/// host stops and the process exits non-zero, so systemd's Restart=on-failure sees it (a dead loop
/// must never look healthy).
/// </summary>
/// <remarks>The loops get the tunnel through <see cref="PeerMeteringTun"/>: per-peer counts and echo round trips, outside the pumps.</remarks>
internal sealed partial class NodeService(HoshinoNode node, TunnelService tunnel, NodeSettings settings, PeerTraffic traffic, TimeProvider time,
    IHostApplicationLifetime lifetime, ILogger<NodeService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var metered = new PeerMeteringTun(tunnel.Device, traffic, Address16.From(settings.Address), time);
            await node.RunAsync(metered, stoppingToken);
        }
        catch (NodeLoopException ex) when (!stoppingToken.IsCancellationRequested)
        {
            // StopApplication alone leaves exit code 0 (dotnet/runtime#67146).
            Environment.ExitCode = ExitCodes.Failure;
            LoopFailed(logger, ex.Loop, ex.InnerException!);
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Diagnostics.EventIds.NodeLoopFailed, LogLevel.Critical, "The {Loop} loop failed; stopping the node")]
    private static partial void LoopFailed(ILogger logger, string loop, Exception exception);
}
