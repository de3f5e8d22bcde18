using Hoshino.Node;
using Microsoft.Extensions.Hosting;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// Second: one node per address. Takes the address lease before anything touches the network, or
/// stops start-up with <see cref="AddressConflictException"/> naming the other holder and the fix.
/// </summary>
internal sealed class AddressClaimService(HoshinoNode node) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => node.AcquireAddressAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
