using Hoshino.Linux.Netlink;
using Hoshino.Linux.Tun;
using Hoshino.Tunnel;
using Microsoft.Extensions.Hosting;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// Third: creates the TUN interface and brings the link to its desired state (address, /64 route,
/// MTU, up) over rtnetlink. Stopping — or disposal, when a later start-up step failed — closes the
/// device (the kernel removes a non-persistent interface with its last fd) and deletes the link to
/// make sure. Hosted services stop in reverse order, so this outlives the loops that use the device.
/// </summary>
internal sealed class TunnelService(NodeSettings settings) : IHostedService, IDisposable
{
    private LinuxTunDevice? _device;

    /// <summary>The tunnel device, once started.</summary>
    public ITunDevice Device => _device ?? throw new InvalidOperationException("the tunnel is not set up yet");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _device = LinuxTunDevice.Open(settings.Interface, settings.Mtu);
        using var link = new LinkConfigurator();
        link.Apply(new LinkConfig(settings.Interface, settings.Address, settings.Network.PrefixLength, settings.Mtu));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _device, null) is not { } device)
        {
            return;
        }
        device.Dispose();
        try
        {
            using var link = new LinkConfigurator();
            link.DeleteLink(settings.Interface); // normally gone already; this makes sure
        }
        catch (TunnelException)
        {
            // Never hide the failure that brought us here behind a clean-up error.
        }
    }
}
