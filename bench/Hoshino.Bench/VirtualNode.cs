using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Ingress;
using Hoshino.Node;
using Hoshino.Store;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoshino.Bench;

/// <summary>
/// One node without a process of its own: a <see cref="HoshinoNode"/>, as the daemon builds it,
/// over an in-memory TUN and the real store, whose requests it counts in its own <see cref="Metrics"/>.
/// Whatever the pumps write into the TUN is handed to <see cref="Delivered"/>.
/// </summary>
internal sealed class VirtualNode : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly HoshinoNode _node;
    private readonly IPacketStore _store;
    private Task _running = Task.CompletedTask;

    // openStore: the node's store, counting its requests in the metrics it is given (as StoreFactory does).
    public VirtualNode(int index, IPAddress address, IPNetwork network, Func<HoshinoMetrics, IPacketStore> openStore, IngressOptions ingressOptions,
        EgressOptions egressOptions)
    {
        Index = index;
        Address = address;
        Metrics = new HoshinoMetrics(TimeProvider.System, "bench");
        Tun = new ChannelTunDevice($"v{index}");
        _store = openStore(Metrics);
        // No address lease: these nodes share one process and the figures stay comparable with earlier runs.
        _node = new HoshinoNode(new NodeConfig(address, network, ingressOptions, egressOptions, HoldLease: false), _store,
            new BenchMachine(), Metrics, TimeProvider.System, NullLoggerFactory.Instance);
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
            Task.Run(() => _node.RunAsync(Tun, token), token),
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
        Tun.Dispose();
        (_store as IDisposable)?.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Every virtual node is this process; no lease is held, so nothing asks.</summary>
internal sealed class BenchMachine : IHostMachine
{
    public string HostName => Environment.MachineName;
    public string BootId => "bench";
    public int ProcessId => Environment.ProcessId;
    public bool IsProcessAlive(int pid) => true;
}
