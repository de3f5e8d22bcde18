using System.Net;
using Hoshino.Addressing;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.Packets;
using Hoshino.Store;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>One running node: its namespace, address and process.</summary>
internal sealed class RunningNode(NodeNamespace ns, IPAddress address, HoshinoProcess process, string machineIdFile, Uri? endpoint, string[] args)
{
    /// <summary>Extra flags this node was started with.</summary>
    public string[] Args { get; } = args;

    /// <summary>The store endpoint this node was given; null for RGW itself.</summary>
    public Uri? Endpoint { get; } = endpoint;

    public NodeNamespace Namespace { get; } = ns;
    public IPAddress Address { get; } = address;
    public HoshinoProcess Process { get; set; } = process;
    public string MachineIdFile { get; } = machineIdFile;
    public string MetricsUrl => $"http://[{Address}]:8081/metrics";

    /// <summary>This node's own metrics page, read on its loopback listener.</summary>
    public Task<string> LocalMetricsAsync() => Netns.HttpGetAsync(Namespace.Name, "http://[::1]:8081/metrics");
}

/// <summary>
/// Two real <c>hoshino up</c> processes, A and B, in network namespaces of their own, with different
/// machine-ids, sharing a bucket on Ceph RGW under a key prefix of their own.
/// </summary>
internal sealed class NodePair : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("hoshino-e2e-").FullName;

    private NodePair(StoreNetwork network, string keyPrefix)
    {
        Network = network;
        KeyPrefix = keyPrefix;
        Store = network.CreateStore(keyPrefix);
    }

    public StoreNetwork Network { get; }
    public string KeyPrefix { get; }
    /// <summary>The pair's bucket and prefix, for the test to look at or tamper with.</summary>
    public IPacketStore Store { get; }
    public RunningNode A { get; private set; } = null!;
    public RunningNode B { get; private set; } = null!;

    /// <summary>
    /// Rings a node's doorbell, as a sender does after storing a bundle: an idle node lists its
    /// inbox only when rung (or every --list-max), so objects a test puts in directly need a ring.
    /// </summary>
    public Task RingAsync(IPAddress node, CancellationToken cancellationToken) =>
        Store.PutAsync(ObjectKey.DoorbellOf(Address16.From(node)), ObjectKey.DoorbellBody(Ulid.NewUlid()), cancellationToken);

    /// <summary>The bundles waiting in a node's inbox: everything but its address lease and its doorbell.</summary>
    public async Task<List<string>> BundlesInAsync(IPAddress node, CancellationToken cancellationToken)
    {
        var address = Address16.From(node);
        return [.. (await Store.ListAsync(ObjectKey.InboxOf(address), 1000, cancellationToken)).Select(o => o.Key)
            .Where(k => k != Hoshino.Node.AddressLease.KeyOf(address) && k != ObjectKey.DoorbellOf(address))];
    }

    /// <param name="network">The store's network.</param>
    /// <param name="tag">Short, unique: part of the namespace names.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <param name="endpointA">Where node A reaches the store, e.g. through a <see cref="FaultyProxy"/>; default RGW itself.</param>
    /// <param name="argsA">Extra flags for node A's <c>hoshino up</c>.</param>
    /// <param name="argsB">Extra flags for node B's.</param>
    public static async Task<NodePair> StartAsync(StoreNetwork network, string tag, CancellationToken cancellationToken, Uri? endpointA = null,
        string[]? argsA = null, string[]? argsB = null)
    {
        await network.EnsureStartedAsync(cancellationToken);
        var pair = new NodePair(network, $"e2e-{tag}-{Guid.NewGuid():n}/") { _endpointA = endpointA, _argsA = argsA ?? [], _argsB = argsB ?? [] };
        try
        {
            pair.A = await pair.StartNodeAsync(tag + "a", "a1a1a1a1a1a1a1a1" + "0123456789abcdef", pair._endpointA, pair._argsA, cancellationToken);
            pair.B = await pair.StartNodeAsync(tag + "b", "b2b2b2b2b2b2b2b2" + "fedcba9876543210", null, pair._argsB, cancellationToken);
            await pair.A.Process.WaitReadyAsync(TimeSpan.FromSeconds(30));
            await pair.B.Process.WaitReadyAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
        return pair;
    }

    private Uri? _endpointA;
    private string[] _argsA = [], _argsB = [];

    private async Task<RunningNode> StartNodeAsync(string suffix, string machineId, Uri? endpoint, string[] args, CancellationToken cancellationToken)
    {
        NodeNamespace ns = await Network.AddNodeAsync(suffix, cancellationToken);
        _owned.Add(ns);
        string idFile = Path.Combine(_dir, suffix + ".machine-id");
        await File.WriteAllTextAsync(idFile, machineId + "\n", cancellationToken);
        IPAddress address = NodeAddress.FromMachineId(NodeAddress.ParsePrefix(NodeAddress.DefaultPrefix), machineId);
        return new RunningNode(ns, address, StartProcess(ns, idFile, endpoint, args), idFile, endpoint, args);
    }

    /// <summary>
    /// Starts one more node on the pair's bucket and prefix (C, D, …: more senders to A or B), in a
    /// namespace of its own; waits until it is up. Stopped and removed with the pair.
    /// </summary>
    /// <param name="suffix">Short, unique within the pair: part of the namespace name.</param>
    /// <param name="machineId">32 hex digits, different from every other node's.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    public async Task<RunningNode> AddNodeAsync(string suffix, string machineId, CancellationToken cancellationToken)
    {
        RunningNode node = await StartNodeAsync(suffix, machineId, null, [], cancellationToken);
        await node.Process.WaitReadyAsync(TimeSpan.FromSeconds(30));
        return node;
    }

    /// <summary>Starts the node's process again in its namespace (after it was killed); waits until it is up.</summary>
    public async Task RestartAsync(RunningNode node)
    {
        node.Process = StartProcess(node.Namespace, node.MachineIdFile, node.Endpoint, node.Args);
        await node.Process.WaitReadyAsync(TimeSpan.FromSeconds(30));
    }

    private HoshinoProcess StartProcess(NodeNamespace ns, string idFile, Uri? endpoint, string[] args)
    {
        HoshinoProcess process = HoshinoProcess.Start(
            ["up", "--store", $"s3://{Network.Bucket}/{KeyPrefix}", "--s3-endpoint", (endpoint ?? Network.Endpoint).ToString(),
             "--machine-id-file", idFile, "--log-level", "information", .. args],
            ns.Name,
            new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = Network.AccessKey,
                ["AWS_SECRET_ACCESS_KEY"] = Network.SecretKey,
                ["AWS_REGION"] = Network.Region,
            });
        _owned.Insert(0, process); // stop processes before their namespaces go
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IAsyncDisposable owned in _owned)
        {
            await owned.DisposeAsync();
        }
        (Store as IDisposable)?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
