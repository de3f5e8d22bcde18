using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.S3;
using Hoshino.Store;

[assembly: AssemblyFixture(typeof(StoreNetwork))]

namespace Hoshino.IntegrationTests.Infrastructure;

/// <summary>
/// One throw-away S3 server for the whole test run, in a network layout where nodes can live in
/// namespaces of their own (DESIGN §5):
/// <code>
///   root ns (this process)              netns hsn{id}s                      netns hsn{id}{suffix}
///   hsn{id}h  U::fe/64  ── veth ──  host ─┐                                  eth0  U::n/64
///                                         br0  U::1/64  radosgw [U::1]:7480  ── veth ── n{suffix} ─┘
///                                         ceph-mon, ceph-osd on 127.0.0.1
/// </code>
/// U is a random ULA /64 per run (never the tunnel prefix). Nothing starts until a test calls
/// <see cref="EnsureStartedAsync"/> (or <see cref="AddNodeAsync"/>), so tests that do not need S3
/// pay nothing. Everything is created under a run id and removed by that id in
/// <see cref="DisposeAsync"/>; a run that crashed is cleaned up by the next one (its
/// <c>/tmp/hoshino-test/{id}/owner.pid</c> names a dead process). Needs root and the Debian packages
/// radosgw, ceph-mon, ceph-osd, iputils-ping.
/// </summary>
public sealed class StoreNetwork : IAsyncDisposable
{
    /// <summary>Where each run keeps its cluster, logs and owner.pid.</summary>
    public const string RunRoot = "/tmp/hoshino-test";

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ReachableTimeout = TimeSpan.FromSeconds(15);
    private static readonly IPAddress TunnelPrefix = IPAddress.Parse("fd5e:59b8:f71d:9a3e::");

    private readonly Lazy<Task> _start;
    private readonly ConcurrentBag<IDisposable> _clients = [];
    private int _nextHost = 1; // U::1 is the server; nodes get U::2, U::3, ...
    private Uri? _endpoint;
    private string? _accessKey, _secretKey, _bucket;

    public StoreNetwork()
    {
        RunId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))[..5];
        RunDirectory = Path.Combine(RunRoot, RunId);
        Span<byte> prefix = stackalloc byte[16];
        do
        {
            prefix.Clear();
            prefix[0] = 0xfd;
            RandomNumberGenerator.Fill(prefix[1..8]);
        }
        while (new IPAddress(prefix).Equals(TunnelPrefix));
        UnderlayPrefix = new IPAddress(prefix);
        _start = new Lazy<Task>(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Five hex digits naming everything this run creates.</summary>
    public string RunId { get; }

    /// <summary><c>/tmp/hoshino-test/{RunId}</c>: owner.pid, the cluster (ceph/), its logs.</summary>
    public string RunDirectory { get; }

    /// <summary>The underlay /64 (address with the host bits zero).</summary>
    public IPAddress UnderlayPrefix { get; }

    /// <summary>The namespace holding ceph, radosgw and the bridge <c>br0</c>.</summary>
    public string ServerNamespace => $"hsn{RunId}s";

    /// <summary>The veth end in the root namespace (this process) attached to the bridge.</summary>
    public string HostInterface => $"hsn{RunId}h";

    /// <summary>U::1, radosgw's address on the bridge.</summary>
    public IPAddress ServerAddress => Host(1);

    /// <summary>U::fe, this process's address on the underlay.</summary>
    public IPAddress HostAddress => Host(0xfe);

    /// <summary>http://[U::1]:7480 — reachable from the root namespace and from every node.</summary>
    public Uri Endpoint => Started(_endpoint);

    public string AccessKey => Started(_accessKey);

    public string SecretKey => Started(_secretKey);

    /// <summary>The bucket created at start-up; tests share it and isolate themselves by key prefix.</summary>
    public string Bucket => Started(_bucket);

    public string Region { get; } = "us-east-1";

    /// <summary>How long starting the network and the cluster took.</summary>
    public TimeSpan StartupTime { get; private set; }

    private string CephDirectory => Path.Combine(RunDirectory, "ceph");

    private static string Script => FindScript();

    /// <summary>Starts the network and the cluster once; later calls wait for the same start.</summary>
    public Task EnsureStartedAsync(CancellationToken cancellationToken = default) =>
        _start.Value.WaitAsync(cancellationToken);

    /// <summary>Options for a store in the shared bucket under <paramref name="keyPrefix"/>.</summary>
    public S3StoreOptions CreateOptions(string keyPrefix) => new()
    {
        Bucket = Bucket,
        KeyPrefix = keyPrefix,
        ServiceUrl = Endpoint.ToString().TrimEnd('/'),
        Region = Region,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
    };

    /// <summary>
    /// A store in the shared bucket under <paramref name="keyPrefix"/>, disposed with the network.
    /// Requires a started network.
    /// </summary>
    public IPacketStore CreateStore(string keyPrefix)
    {
        S3PacketStore store = S3PacketStore.Create(CreateOptions(keyPrefix));
        _clients.Add(store);
        return store;
    }

    /// <summary>An SDK client with the shared user's credentials, for setup the store does not offer.</summary>
    public AmazonS3Client CreateClient() => S3ClientFactory.CreateClient(CreateOptions(""));

    /// <summary>Creates another (empty) bucket owned by the shared user and returns its name.</summary>
    /// <param name="suffix">Appended to the random name, e.g. "--use1-az4--x-s3" for a name shaped like a directory bucket's.</param>
    /// <param name="cancellationToken">Abandons the request.</param>
    public async Task<string> CreateBucketAsync(string suffix = "", CancellationToken cancellationToken = default)
    {
        await EnsureStartedAsync(cancellationToken);
        string name = $"extra-{Guid.NewGuid():n}"[..20] + suffix;
        using AmazonS3Client client = CreateClient();
        await client.PutBucketAsync(new PutBucketRequest { BucketName = name }, cancellationToken);
        return name;
    }

    /// <summary>Creates another S3 user (no buckets, no rights on others') and returns its credentials.</summary>
    public async Task<(string AccessKey, string SecretKey)> CreateUserAsync(CancellationToken cancellationToken = default)
    {
        await EnsureStartedAsync(cancellationToken);
        string uid = $"user-{Guid.NewGuid():n}"[..16];
        ShellResult result = await Shell.RunAsync(Script, ["user", CephDirectory, uid], ScriptTimeout,
            cancellationToken: cancellationToken);
        result.EnsureSuccess();
        Dictionary<string, string> values = ParseKeyValues(result.StandardOutput);
        return (values["S3_ACCESS_KEY"], values["S3_SECRET_KEY"]);
    }

    /// <summary>
    /// Creates namespace <c>hsn{RunId}{suffix}</c> with <c>lo</c> up and <c>eth0</c> on the bridge at
    /// U::n/64, waits until it reaches U::1, and returns it. Starts the network if needed.
    /// </summary>
    /// <param name="suffix">1-8 lower-case letters or digits, unique in this run; not "s" or "h".</param>
    /// <param name="cancellationToken">Abandons the wait (the namespace is still removed).</param>
    public async Task<NodeNamespace> AddNodeAsync(string suffix, CancellationToken cancellationToken = default)
    {
        if (suffix.Length is < 1 or > 8 || !suffix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)) || suffix is "s" or "h")
        {
            throw new ArgumentException($"node suffix '{suffix}' must be 1-8 of [a-z0-9] and not 's' or 'h'", nameof(suffix));
        }
        await EnsureStartedAsync(cancellationToken);
        int host = Interlocked.Increment(ref _nextHost);
        string bridgePort = $"n{suffix}";
        var node = new NodeNamespace($"hsn{RunId}{suffix}", Host(host), ServerNamespace, bridgePort);
        await Shell.IpAsync("netns", "add", node.Name); // fails for a suffix already in use: nothing to undo
        try
        {
            await Shell.IpAsync("-n", node.Name, "link", "set", "lo", "up");
            await Shell.IpAsync("-n", ServerNamespace, "link", "add", bridgePort, "type", "veth", "peer", "name", "eth0", "netns", node.Name);
            await Shell.IpAsync("-n", ServerNamespace, "link", "set", bridgePort, "master", "br0", "up");
            await Shell.IpAsync("-n", node.Name, "addr", "add", $"{node.UnderlayAddress}/64", "dev", "eth0", "nodad");
            await Shell.IpAsync("-n", node.Name, "link", "set", "eth0", "up");
            await WaitReachableAsync(["ip", "netns", "exec", node.Name], ServerAddress, cancellationToken);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
        return node;
    }

    /// <summary>Stops the cluster and removes every namespace, link and directory of this run.</summary>
    public async ValueTask DisposeAsync()
    {
        while (_clients.TryTake(out IDisposable? client))
        {
            client.Dispose();
        }
        if (!_start.IsValueCreated)
        {
            return;
        }
        try
        {
            await _start.Value;
        }
        catch (Exception)
        {
            // A failed start cleaned up after itself; fall through to make sure.
        }
        await RemoveRunAsync(RunId, RunDirectory);
    }

    internal static async Task RemoveNodeAsync(NodeNamespace node)
    {
        // Delete the veth from the bridge side first: that removes both ends at once. Deleting only the
        // namespace leaves the teardown to the kernel's asynchronous cleanup, which took over 15 s
        // under load, with the bridge port still attached meanwhile.
        await Shell.RunAsync("ip", "-n", node.ServerNamespace, "link", "del", "dev", node.BridgePort);
        if (await NamespaceExistsAsync(node.Name))
        {
            await Shell.IpAsync("netns", "del", node.Name);
        }
        if ((await Shell.RunAsync("ip", "-n", node.ServerNamespace, "link", "show", "dev", node.BridgePort)).Succeeded)
        {
            throw new InvalidOperationException($"bridge port {node.BridgePort} of {node.Name} is still there after deleting it");
        }
    }

    private async Task StartAsync()
    {
        var clock = Stopwatch.StartNew();
        await RemoveLeftoversAsync();
        Directory.CreateDirectory(RunDirectory);
        // First, before anything that needs cleaning up exists: lets a later run recognise our leftovers.
        await File.WriteAllTextAsync(Path.Combine(RunDirectory, "owner.pid"), $"{Environment.ProcessId} {ProcessStartTicks(Environment.ProcessId)}\n");
        try
        {
            await CreateNetworkAsync();
            var environment = new Dictionary<string, string>
            {
                ["NETNS"] = ServerNamespace,
                ["RGW_LISTEN"] = $"[{ServerAddress}]:7480",
            };
            ShellResult result;
            try
            {
                result = await Shell.RunAsync(Script, ["start", CephDirectory], ScriptTimeout, environment);
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message}\n{LogTail()}", ex);
            }
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(
                    $"starting Ceph RGW failed (exit {result.ExitCode}); rgw.sh said:\n{ShellResult.Tail(result.StandardError, 80)}");
            }
            Dictionary<string, string> values = ParseKeyValues(result.StandardOutput);
            var endpoint = new Uri(values["S3_ENDPOINT"]);
            await WaitHttpAsync(endpoint);
            (_accessKey, _secretKey, _bucket) = (values["S3_ACCESS_KEY"], values["S3_SECRET_KEY"], values["S3_BUCKET"]);
            StartupTime = clock.Elapsed;
            _endpoint = endpoint; // last: publishes the started state
        }
        catch
        {
            await RemoveRunAsync(RunId, RunDirectory);
            throw;
        }
    }

    private async Task CreateNetworkAsync()
    {
        string ns = ServerNamespace;
        await Shell.IpAsync("netns", "add", ns);
        await Shell.IpAsync("-n", ns, "link", "set", "lo", "up");
        // A fixed MAC: otherwise a bridge takes the lowest MAC of its ports, and every node joining or
        // leaving can change it under the neighbour caches of the others (RGW unreachable for ~30 s).
        // Multicast snooping off: with no MLD querier it can starve neighbour discovery on new ports.
        await Shell.IpAsync("-n", ns, "link", "add", "br0", "address", "02:68:73:6e:00:01", "type", "bridge", "mcast_snooping", "0");
        await Shell.IpAsync("-n", ns, "addr", "add", $"{ServerAddress}/64", "dev", "br0", "nodad");
        await Shell.IpAsync("-n", ns, "link", "set", "br0", "up");
        await Shell.IpAsync("link", "add", HostInterface, "type", "veth", "peer", "name", "host", "netns", ns);
        await Shell.IpAsync("-n", ns, "link", "set", "host", "master", "br0", "up");
        await Shell.IpAsync("addr", "add", $"{HostAddress}/64", "dev", HostInterface, "nodad");
        await Shell.IpAsync("link", "set", HostInterface, "up");
        await WaitReachableAsync([], ServerAddress, CancellationToken.None);
    }

    /// <summary>Pings <paramref name="target"/> (optionally from inside a namespace) until it answers.</summary>
    private static async Task WaitReachableAsync(string[] prefix, IPAddress target, CancellationToken cancellationToken)
    {
        string[] command = [.. prefix, "ping", "-6", "-n", "-c", "1", "-W", "1", target.ToString()];
        var deadline = Stopwatch.StartNew();
        ShellResult last;
        do
        {
            last = await Shell.RunAsync(command[0], command[1..], TimeSpan.FromSeconds(5), cancellationToken: cancellationToken);
            if (last.Succeeded)
            {
                return;
            }
            await Task.Delay(50, cancellationToken);
        }
        while (deadline.Elapsed < ReachableTimeout);
        throw new TimeoutException($"{target} not reachable within {ReachableTimeout.TotalSeconds} s: {last.StandardOutput}{last.StandardError}");
    }

    /// <summary>The running radosgw's pid (from its pid file).</summary>
    public int GatewayPid =>
        int.Parse(File.ReadAllText(Path.Combine(CephDirectory, "run", "ceph-client.rgw.a.pid")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// Fault injection: sends <paramref name="signal"/> (KILL, STOP, CONT) to radosgw only; the mon and
    /// the OSD, and so the stored objects, stay. Only for tests in the non-parallel "Faults" collection.
    /// </summary>
    public async Task SignalGatewayAsync(string signal)
    {
        int pid = GatewayPid;
        (await Shell.RunAsync("kill", $"-{signal}", pid.ToString(CultureInfo.InvariantCulture))).EnsureSuccess();
        if (signal == "KILL")
        {
            while (Directory.Exists($"/proc/{pid}"))
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Starts radosgw again after <see cref="SignalGatewayAsync"/>("KILL") and waits until it serves.</summary>
    public async Task RestartGatewayAsync()
    {
        File.Delete(Path.Combine(CephDirectory, "run", "ceph-client.rgw.a.pid"));
        (await Shell.RunAsync("ip", ["netns", "exec", ServerNamespace, "radosgw", "-c", Path.Combine(CephDirectory, "ceph.conf"), "-n", "client.rgw.a"],
            ScriptTimeout)).EnsureSuccess();
        await WaitHttpAsync(Endpoint);
    }

    /// <summary>Waits until radosgw answers HTTP on the underlay address, as the tests will reach it.</summary>
    private async Task WaitHttpAsync(Uri endpoint)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < ReachableTimeout)
        {
            try
            {
                using HttpResponseMessage response = await http.GetAsync(endpoint);
                return; // any HTTP answer (403 for anonymous) means radosgw serves this address
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex;
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"radosgw at {endpoint} did not answer within {ReachableTimeout.TotalSeconds} s: {last?.Message}\n{LogTail()}");
    }

    /// <summary>The last lines of rgw.sh's own log and radosgw's, for a failure message.</summary>
    private string LogTail()
    {
        var tail = new System.Text.StringBuilder();
        foreach (string name in (string[])["start.log", "ceph-client.rgw.a.log"])
        {
            string log = Path.Combine(CephDirectory, "log", name);
            if (File.Exists(log))
            {
                tail.Append($"---- {log} (tail)\n").Append(ShellResult.Tail(File.ReadAllText(log), 20));
            }
        }
        return tail.ToString();
    }

    /// <summary>Removes runs whose owning test process is gone (killed, crashed, machine rebooted).</summary>
    private static async Task RemoveLeftoversAsync()
    {
        if (!Directory.Exists(RunRoot))
        {
            return;
        }
        foreach (string directory in Directory.GetDirectories(RunRoot))
        {
            string id = Path.GetFileName(directory);
            if (id.Length != 5 || !id.All(char.IsAsciiHexDigitLower) || OwnerAlive(directory))
            {
                continue;
            }
            await RemoveRunAsync(id, directory);
        }
    }

    private static bool OwnerAlive(string directory)
    {
        string file = Path.Combine(directory, "owner.pid");
        string[] parts;
        try
        {
            parts = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        catch (IOException)
        {
            // No owner.pid yet: a run being created right now, or one that died in its first
            // milliseconds. Only the latter is old.
            return Directory.GetLastWriteTimeUtc(directory) > DateTime.UtcNow.AddMinutes(-1);
        }
        return parts.Length == 2
            && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int pid)
            && ProcessStartTicks(pid) is { } ticks
            && ticks.ToString(CultureInfo.InvariantCulture) == parts[1]; // not a recycled pid
    }

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks since boot); null if no such process.</summary>
    private static long? ProcessStartTicks(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture); // field 22; fields[0] is field 3
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Stops the cluster of run <paramref name="id"/> and deletes its namespaces, links and files.</summary>
    private static async Task RemoveRunAsync(string id, string directory)
    {
        var errors = new List<string>();
        string ceph = Path.Combine(directory, "ceph");
        if (Directory.Exists(ceph))
        {
            ShellResult stop = await Shell.RunAsync(FindScript(), ["stop", ceph], ScriptTimeout);
            if (!stop.Succeeded)
            {
                errors.Add($"rgw.sh stop: {stop.StandardError}");
            }
        }
        // Only this run's names: hsn + its 5-hex id + a suffix. Other suites use other patterns.
        string ours = $"hsn{id}";
        foreach (string ns in (await Shell.IpAsync("netns", "list")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = ns.Split(' ')[0];
            if (name.StartsWith(ours, StringComparison.Ordinal) && name.Length > ours.Length)
            {
                ShellResult del = await Shell.RunAsync("ip", "netns", "del", name);
                if (!del.Succeeded)
                {
                    errors.Add($"ip netns del {name}: {del.StandardError}");
                }
            }
        }
        string hostLink = $"hsn{id}h";
        if ((await Shell.RunAsync("ip", "link", "show", "dev", hostLink)).Succeeded)
        {
            ShellResult del = await Shell.RunAsync("ip", "link", "del", hostLink);
            if (!del.Succeeded)
            {
                errors.Add($"ip link del {hostLink}: {del.StandardError}");
            }
        }
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"cleaning up test run {id} failed (left {directory} in place):\n" + string.Join('\n', errors));
        }
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<bool> NamespaceExistsAsync(string name) =>
        (await Shell.IpAsync("netns", "list")).Split('\n').Any(line => line.Split(' ')[0] == name);

    private static Dictionary<string, string> ParseKeyValues(string output)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in output.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                values[pair[..eq]] = pair[(eq + 1)..];
            }
        }
        return values;
    }

    /// <summary>tests/harness/rgw.sh, found by walking up from the test binaries (or HOSHINO_RGW_SCRIPT).</summary>
    private static string FindScript()
    {
        if (Environment.GetEnvironmentVariable("HOSHINO_RGW_SCRIPT") is { Length: > 0 } explicitPath)
        {
            return explicitPath;
        }
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "harness", "rgw.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"tests/harness/rgw.sh not found above {AppContext.BaseDirectory}; set HOSHINO_RGW_SCRIPT");
    }

    private IPAddress Host(int n)
    {
        byte[] bytes = UnderlayPrefix.GetAddressBytes();
        bytes[14] = (byte)(n >> 8);
        bytes[15] = (byte)n;
        return new IPAddress(bytes);
    }

    private static T Started<T>(T? value) where T : class =>
        value is not null
            ? value
            : throw new InvalidOperationException("the S3 test network is not started: await StoreNetwork.EnsureStartedAsync() first");
}

/// <summary>A node's network namespace on the test underlay; <see cref="DisposeAsync"/> deletes it.</summary>
public sealed class NodeNamespace : IAsyncDisposable
{
    private int _disposed;

    internal NodeNamespace(string name, IPAddress underlayAddress, string serverNamespace, string bridgePort)
    {
        Name = name;
        UnderlayAddress = underlayAddress;
        ServerNamespace = serverNamespace;
        BridgePort = bridgePort;
    }

    /// <summary>The namespace name, for <c>ip netns exec</c> or entering it with setns.</summary>
    public string Name { get; }

    /// <summary>U::n, this node's address on <c>eth0</c>.</summary>
    public IPAddress UnderlayAddress { get; }

    /// <summary>The other end of <c>eth0</c>: <c>n{suffix}</c> on the bridge in the server namespace.</summary>
    public string BridgePort { get; }

    internal string ServerNamespace { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await StoreNetwork.RemoveNodeAsync(this);
        }
    }

    public override string ToString() => $"{Name} ({UnderlayAddress})";
}
