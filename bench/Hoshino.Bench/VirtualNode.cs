using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Ingress;
using Hoshino.Store;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoshino.Bench;

/// <summary>
/// One node without a process of its own: the daemon's egress and ingress pumps, wired as
/// <c>NodeService</c> wires them, over an in-memory TUN and the real store (counted per node).
/// Whatever the pumps write into the TUN is handed to <see cref="Delivered"/>.
/// </summary>
internal sealed class VirtualNode : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly EgressPump _egress;
    private readonly IngressPump _ingress;
    private Task _running = Task.CompletedTask;

    public VirtualNode(int index, IPAddress address, IPNetwork network, IPacketStore store, IngressOptions ingressOptions)
    {
        Index = index;
        Address = address;
        Metrics = new HoshinoMetrics(TimeProvider.System, "bench");
        Tun = new ChannelTunDevice($"v{index}");
        var counted = new InstrumentedPacketStore(store, Metrics);
        _egress = new EgressPump(Tun, counted, address, network, Metrics, new MonotonicUlid(TimeProvider.System), TimeProvider.System,
            NullLogger<EgressPump>.Instance, new EgressOptions());
        _ingress = new IngressPump(Tun, counted, address, Metrics, TimeProvider.System, NullLogger<IngressPump>.Instance, ingressOptions);
        _egress.PacketQueued = _ingress.Poke;
    }

    public int Index { get; }

    public IPAddress Address { get; }

    public HoshinoMetrics Metrics { get; }

    public ChannelTunDevice Tun { get; }

    /// <summary>Called for every packet the node writes into its TUN, on the node's receive task.</summary>
    public Action<VirtualNode, byte[]>? Delivered { get; set; }

    public void Start()
    {
        CancellationToken token = _stop.Token;
        _running = Task.WhenAll(
            Task.Run(() => _egress.RunAsync(token), token),
            Task.Run(() => _ingress.RunAsync(token), token),
            Task.Run(() => ReceiveAsync(token), token));
    }

    private async Task ReceiveAsync(CancellationToken token)
    {
        try
        {
            await foreach (byte[] packet in Tun.Written.ReadAllAsync(token))
            {
                Delivered?.Invoke(this, packet);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _egress.Dispose();
        _ingress.Dispose();
        Tun.Dispose();
        Metrics.Dispose();
        _stop.Dispose();
    }
}
