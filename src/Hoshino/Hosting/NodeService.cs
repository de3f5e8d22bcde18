using Hoshino.Egress;
using Hoshino.Ingress;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// Runs the two loops for the lifetime of the host. If either fails, the host stops and the process
/// exits non-zero, so systemd's Restart=on-failure sees it (a dead loop must never look healthy).
/// </summary>
internal sealed partial class NodeService(EgressPump egress, IngressPump ingress, Node.AddressLease lease, IHostApplicationLifetime lifetime,
    ILogger<NodeService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        egress.PacketQueued = ingress.Poke;
        ingress.WentIdle = IdleMemory.Trim;
        Task egressRun = Guard("egress", egress.RunAsync(stoppingToken), stoppingToken);
        Task ingressRun = Guard("ingress", ingress.RunAsync(stoppingToken), stoppingToken);
        Task leaseRun = Guard("lease", lease.RunAsync(stoppingToken), stoppingToken);
        await Task.WhenAll(egressRun, ingressRun, leaseRun);
    }

    private async Task Guard(string name, Task loop, CancellationToken stoppingToken)
    {
        try
        {
            await loop;
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // StopApplication alone leaves exit code 0 (dotnet/runtime#67146).
            Environment.ExitCode = ExitCodes.Failure;
            LoopFailed(logger, name, ex);
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Diagnostics.EventIds.NodeLoopFailed, LogLevel.Critical, "The {Loop} loop failed; stopping the node")]
    private static partial void LoopFailed(ILogger logger, string loop, Exception exception);
}
