using Hoshino.Node;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// Fourth: runs the node's loops over the tunnel for the lifetime of the host. If a loop fails, the
/// host stops and the process exits non-zero, so systemd's Restart=on-failure sees it (a dead loop
/// must never look healthy).
/// </summary>
internal sealed partial class NodeService(HoshinoNode node, TunnelService tunnel, IHostApplicationLifetime lifetime, ILogger<NodeService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await node.RunAsync(tunnel.Device, stoppingToken, IdleMemory.Trim);
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
