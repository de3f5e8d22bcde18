using System.Net;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Ingress;
using Hoshino.Packets;
using Hoshino.Peers;
using Hoshino.Store;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging;

namespace Hoshino.Node;

/// <summary>What one node is: its address in its network, and how its two loops behave.</summary>
/// <param name="Address">The node's own address, inside <paramref name="Network"/>.</param>
/// <param name="Network">The /64 the tunnel carries.</param>
/// <param name="Ingress">Store → TUN.</param>
/// <param name="Egress">TUN → store.</param>
/// <param name="HoldLease">Hold the address lease (one node per address). Off only for virtual nodes that share a process (the bench).</param>
public sealed record NodeConfig(IPAddress Address, IPNetwork Network, IngressOptions Ingress, EgressOptions Egress, bool HoldLease = true);

/// <summary>
/// The composition root of a node: builds the address lease, the ingress and egress pumps, and
/// wires their signals through constructors (a queued packet pokes ingress, which expects a reply).
/// The host, the bench and the tests all build nodes here, so there is one place where the parts meet.
/// </summary>
/// <remarks>
/// Two steps, because the lease must be held before the node touches the network:
/// <see cref="AcquireAddressAsync"/> first, then <see cref="RunAsync"/> with the tunnel device.
/// </remarks>
public sealed class HoshinoNode
{
    private readonly NodeConfig _config;
    private readonly IPacketStore _store;
    private readonly HoshinoMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly PeerDirectory? _directory;

    // store: as the pumps should see it (the host passes it counted). machine: tells this process
    // apart from another holding the address. directory: publishes and reads the peer directory
    // while the loops run (the host's, which DNS and status read too); none for virtual nodes.
    public HoshinoNode(NodeConfig config, IPacketStore store, IHostMachine machine, HoshinoMetrics metrics, TimeProvider time, ILoggerFactory loggers,
        PeerDirectory? directory = null)
    {
        _directory = directory;
        _config = config;
        _store = store;
        _metrics = metrics;
        _time = time;
        _loggers = loggers;
        Lease = new AddressLease(store, Address16.From(config.Address), LeaseHolder.Of(machine), time, loggers.CreateLogger<AddressLease>(),
            machine.IsProcessAlive);
        metrics.ObserveAddressConflict(() => Lease.Conflict);
    }

    /// <summary>The node's hold on its address; <see cref="AddressLease.Conflict"/> is a metric.</summary>
    public AddressLease Lease { get; }

    /// <summary>The node's inbox prefix in the store.</summary>
    public string Inbox => ObjectKey.InboxOf(Address16.From(_config.Address));

    /// <summary>Takes the address lease, or throws <see cref="AddressConflictException"/>. Before anything touches the network.</summary>
    public Task AcquireAddressAsync(CancellationToken cancellationToken) =>
        _config.HoldLease ? Lease.AcquireAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// Runs egress, ingress, the lease renewal and the peer directory over <paramref name="tun"/> until
    /// <paramref name="stoppingToken"/> fires; egress then flushes what is queued (bounded by
    /// <see cref="EgressOptions.FlushTimeout"/>). If a loop fails, the others are stopped too and
    /// <see cref="NodeLoopException"/> names the loop: a dead loop must never look healthy.
    /// </summary>
    public async Task RunAsync(ITunDevice tun, CancellationToken stoppingToken)
    {
        using var ingress = new IngressPump(tun, _store, _config.Address, _metrics, _time, _loggers.CreateLogger<IngressPump>(),
            _config.Ingress);
        using var egress = new EgressPump(tun, _store, _config.Address, _config.Network, _metrics, new MonotonicUlid(_time), _time,
            _loggers.CreateLogger<EgressPump>(), _config.Egress, packetQueued: ingress.Poke);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        Task[] loops =
        [
            Guard("egress", egress.RunAsync(failed.Token), failed),
            Guard("ingress", ingress.RunAsync(failed.Token), failed),
            _config.HoldLease ? Guard("lease", Lease.RunAsync(failed.Token), failed) : Task.CompletedTask,
            _directory is null ? Task.CompletedTask : Guard("directory", _directory.RunAsync(failed.Token), failed),
        ];
        try
        {
            await Task.WhenAll(loops);
        }
        catch (NodeLoopException)
        {
            // Every loop has ended by now (WhenAll waits for all): report the first failure.
            throw loops.Select(t => t.Exception?.InnerException).OfType<NodeLoopException>().First();
        }
    }

    private static async Task Guard(string name, Task loop, CancellationTokenSource stopAll)
    {
        try
        {
            await loop;
        }
        catch (Exception ex) when (!stopAll.IsCancellationRequested)
        {
            await stopAll.CancelAsync();
            throw new NodeLoopException(name, ex);
        }
    }
}

/// <summary>One of the node's loops failed; the node stopped. The inner exception is the cause.</summary>
public sealed class NodeLoopException(string loop, Exception innerException)
    : Exception($"the {loop} loop failed: {innerException.Message}", innerException)
{
    public string Loop { get; } = loop;
}
