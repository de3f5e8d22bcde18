using System.Globalization;
using Hoshino.Addressing;
using Hoshino.IntegrationTests.EndToEnd;

namespace Hoshino.IntegrationTests.Deploy;

/// <summary>
/// Machine-ids and addresses, their rendering by <c>modules/node-policy</c> (one terraform apply for
/// all of them), and what hoshino makes of the same inputs: in-process through
/// <see cref="NodeAddress"/> for every case, and through the real <c>hoshino address</c> command for
/// the edge cases and a sample of the rest (a process per case costs ~0.1 s; the in-process call is
/// the very function the command runs, and the command's answers prove it).
/// </summary>
public sealed class AddressCases : IAsyncLifetime
{
    /// <summary>Seed of the random machine-ids; fixed so a failure can be replayed.</summary>
    public const int Seed = 5952;

    public const string DefaultPrefix = NodeAddress.DefaultPrefix;

    /// <summary>Prefixes in odd spellings, and ::/64, where .NET's dotted-IPv4 forms (::a.b.c.d) appear.</summary>
    public static readonly string[] Prefixes =
        [DefaultPrefix, "fd00::/64", "fd00:0:0:1::/64", "FD00:00AB:0:0::/64", "fd12:3456:789a:0::/64", "1::/64", "::/64"];

    /// <summary>
    /// Interface identifiers (the first 16 hex digits) chosen for the text form: every position
    /// and length of zero runs, ties between runs, single zero groups (never "::"), and the
    /// ISATAP (0000:5efe), IPv4-mapped and SIIT patterns that .NET prints with a dotted IPv4 tail.
    /// </summary>
    public static readonly string[] EdgeInterfaceIds =
    [
        "0000000100000000", "0000000000000001", "1000000000000001", "c05f7f48de53428f", "0001000000000000",
        "0000000000010000", "0000000100000001", "0001000000010000", "000a000b0000000c", "0000000a00000000",
        "000000000000ffff", "00005efe01020304", "00005efe00000000", "00005efe00000001", "0000ffff00000001",
        "ffff000000000001", "ffff000001020304", "0000ffff01020304", "ffffffffffffffff", "0001000100010001",
        "0000000000000100", "0100000000000000", "00000000ffffffff", "00000000c0a80001",
    ];

    /// <summary>Addresses in all sorts of spellings, each with its prefix; the module must write them as hoshino does.</summary>
    public static readonly (string Prefix, string Address)[] ExplicitAddresses =
    [
        (DefaultPrefix, "FD5E:59B8:F71D:9A3E:0000:0000:0000:0010"),
        (DefaultPrefix, "fd5e:59b8:f71d:9a3e::10"),
        (DefaultPrefix, "fd5e:59b8:f71d:9a3e:0:5efe:1.2.3.4"),
        (DefaultPrefix, "fd5e:59b8:f71d:9a3e:0:5efe:102:304"),
        (DefaultPrefix, "fd5e:59b8:f71d:9a3e:1::"),
        (DefaultPrefix, "fd5e:59b8:f71d:9a3e:0:0:1:0"),
        ("fd00::/64", "fd00::1"),
        ("fd00::/64", "fd00:0:0:0:1::"),
        ("fd00::/64", "fd00::0:0:1"),
        ("fd00::/64", "FD00:0000:0000:0000:0000:FFFF:0000:0001"),
        ("fd00::/64", "fd00::ffff:1.2.3.4"),
        ("::/64", "::1.2.3.4"),
        ("::/64", "::1"),
    ];

    private readonly TerraformWorkspace _workspace = TerraformWorkspace.Create();
    private readonly string _machineIdDirectory = Directory.CreateTempSubdirectory("hoshino-mid-").FullName;

    /// <summary>Every machine-id case: a key naming it, the prefix, the machine-id file's text.</summary>
    public List<(string Key, string Prefix, string MachineId)> MachineIdCases { get; } = [];

    /// <summary>Every explicit-address case by key.</summary>
    public Dictionary<string, (string Prefix, string Address)> AddressInputCases { get; } = new(StringComparer.Ordinal);

    /// <summary>What the module rendered, by case key.</summary>
    public Dictionary<string, string> ModuleAddresses { get; } = new(StringComparer.Ordinal);

    /// <summary>What <c>hoshino address</c> printed, by case key (the sample that ran as a process).</summary>
    public Dictionary<string, string> CliAddresses { get; } = new(StringComparer.Ordinal);

    /// <summary>How long the one terraform init + apply took.</summary>
    public TimeSpan RenderTime { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var random = new Random(Seed);
        int n = 0;
        foreach (string prefix in Prefixes)
        {
            foreach (string iid in EdgeInterfaceIds)
            {
                MachineIdCases.Add(($"e{n++:D3}", prefix, iid + RandomHex(random, 16)));
            }
        }
        for (int i = 0; i < 200; i++)
        {
            MachineIdCases.Add(($"r{n++:D3}", DefaultPrefix, RandomHex(random, 32)));
        }
        // Identifiers built from groups likely to be zero or special, under every prefix.
        string[] groups = ["0000", "0000", "0000", "5efe", "ffff", "0001", RandomHex(random, 4)];
        for (int i = 0; i < 140; i++)
        {
            string iid = string.Concat(Enumerable.Range(0, 4).Select(_ => groups[random.Next(groups.Length)]));
            if (iid != "0000000000000000")
            {
                MachineIdCases.Add(($"s{n++:D3}", Prefixes[i % Prefixes.Length], iid + RandomHex(random, 16)));
            }
        }
        // What a machine-id file really holds: a newline at the end; and upper case, which hoshino accepts.
        MachineIdCases.Add(($"f{n++:D3}", DefaultPrefix, "c05f7f48de53428f0123456789abcdef\n"));
        MachineIdCases.Add(($"f{n++:D3}", "fd00::/64", "C05F7F48DE53428F0123456789ABCDEF"));
        MachineIdCases.Add(($"f{n++:D3}", DefaultPrefix, "0000000000000abc"));
        foreach ((string prefix, string address) in ExplicitAddresses)
        {
            AddressInputCases[$"a{n++:D3}"] = (prefix, address);
        }

        // One network must not hold two nodes with one address (the module refuses that: they would
        // share an inbox), and each node's policy names every node of its network: so the cases go
        // into networks of at most 50, none holding an address (as hoshino derives it) twice. The
        // policies' length is not checked here (attachment "none").
        var networks = new Dictionary<string, NetworkInput>(StringComparer.Ordinal);
        var chunks = new List<(string Prefix, Dictionary<string, NodeInput> Nodes, HashSet<string> Addresses)>();
        void Place(string key, string prefix, string hoshinoAddress, NodeInput node)
        {
            var chunk = chunks.FirstOrDefault(c => c.Prefix == prefix && c.Nodes.Count < 50 && !c.Addresses.Contains(hoshinoAddress));
            if (chunk.Nodes is null)
            {
                chunk = (prefix, new Dictionary<string, NodeInput>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));
                chunks.Add(chunk);
            }
            chunk.Nodes[key] = node;
            chunk.Addresses.Add(hoshinoAddress);
        }
        foreach ((string key, string prefix, string machineId) in MachineIdCases)
        {
            Place(key, prefix, HoshinoAddressOf(prefix, machineId), new NodeInput(MachineId: machineId));
        }
        foreach ((string key, (string prefix, string address)) in AddressInputCases)
        {
            Place(key, prefix, HoshinoExplicitAddressOf(prefix, address), new NodeInput(Address: address));
        }
        for (int i = 0; i < chunks.Count; i++)
        {
            networks[$"n{i}"] = new NetworkInput("hoshino-test", "net1/", chunks[i].Prefix, chunks[i].Nodes, Attachment: "none");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task<IReadOnlyDictionary<string, RenderedNetwork>> render = NodePolicyRender.RenderAsync(_workspace, networks);
        Task cli = RunCliSampleAsync();
        foreach (RenderedNetwork network in (await render).Values)
        {
            foreach ((string key, RenderedNode node) in network.Nodes)
            {
                ModuleAddresses[key] = node.Address;
            }
        }
        RenderTime = clock.Elapsed;
        await cli;
    }

    public ValueTask DisposeAsync()
    {
        _workspace.Dispose();
        Directory.Delete(_machineIdDirectory, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>hoshino's answer, in-process: the function <c>hoshino address</c> and <c>hoshino up</c> call.</summary>
    public static string HoshinoAddressOf(string prefix, string machineIdText) =>
        NodeAddress.FromMachineId(NodeAddress.ParsePrefix(prefix), machineIdText).ToString();

    /// <summary>hoshino's answer for an explicit <c>--address</c>, in-process.</summary>
    public static string HoshinoExplicitAddressOf(string prefix, string address) =>
        NodeAddress.ParseAddress(address, NodeAddress.ParsePrefix(prefix)).ToString();

    /// <summary>
    /// Runs <c>hoshino address</c> for every edge case under the default prefix and ::/64, a few
    /// under every other prefix, a few random ids, and every explicit address; four at a time.
    /// </summary>
    private async Task RunCliSampleAsync()
    {
        var jobs = new List<(string Key, string[] Args)>();
        foreach ((string key, string prefix, string machineId) in MachineIdCases)
        {
            bool edgeEverywhere = key[0] == 'e' && prefix is DefaultPrefix or "::/64";
            bool sample = key[0] is 'f' || int.Parse(key[1..], CultureInfo.InvariantCulture) % 23 == 0;
            if (edgeEverywhere || sample)
            {
                string file = Path.Combine(_machineIdDirectory, key);
                await File.WriteAllTextAsync(file, machineId);
                jobs.Add((key, ["address", "--prefix", prefix, "--machine-id-file", file]));
            }
        }
        foreach ((string key, (string prefix, string address)) in AddressInputCases)
        {
            jobs.Add((key, ["address", "--prefix", prefix, "--address", address]));
        }
        using var slots = new SemaphoreSlim(4);
        await Task.WhenAll(jobs.Select(async job =>
        {
            await slots.WaitAsync();
            try
            {
                (int code, string output) = await HoshinoProcess.RunAsync(job.Args, timeout: TimeSpan.FromSeconds(30));
                Assert.True(code == 0, $"hoshino {string.Join(' ', job.Args)} exited {code}: {output}");
                lock (CliAddresses)
                {
                    CliAddresses[job.Key] = output.Trim();
                }
            }
            finally
            {
                slots.Release();
            }
        }));
    }

    private static string RandomHex(Random random, int digits)
    {
        byte[] bytes = new byte[(digits + 1) / 2];
        random.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes)[..digits];
    }
}
