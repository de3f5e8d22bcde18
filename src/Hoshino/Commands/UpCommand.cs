using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Hoshino.Addressing;
using Hoshino.Cli.Hosting;
using Hoshino.Egress;
using Hoshino.Ingress;
using Hoshino.Node;
using Hoshino.Packets;
using Hoshino.Tunnel;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Commands;

/// <summary><c>hoshino up</c>: runs a node in the foreground until SIGTERM or SIGINT.</summary>
internal static class UpCommand
{
    public const int DefaultMtu = 53049;
    public const int MetricsPort = 8081;
    public const int DnsPort = 53;

    private static readonly Option<string?> Interface = NodeOptions.Create("--interface", "TUN interface name", "hoshino0", "NAME");
    private static readonly Option<string?> Mtu = NodeOptions.Create("--mtu", "Interface MTU in bytes (1280-65535)", DefaultMtu.ToString(CultureInfo.InvariantCulture), "N");
    private static readonly Option<string?> Store = NodeOptions.Create("--store", "The bucket: s3://BUCKET[/KEYPREFIX] or dir:/PATH (a directory as the bucket)", null, "URI");
    private static readonly Option<string?> S3Endpoint = NodeOptions.Create("--s3-endpoint",
        "S3-compatible endpoint URL; else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS", null, "URL");
    private static readonly Option<string?> S3Region = NodeOptions.Create("--s3-region", "S3 region; else AWS_REGION, else us-east-1", null, "REGION");
    private static readonly Option<string?> StoreNetns = NodeOptions.Create("--store-netns",
        "Reach the store from this network namespace (/var/run/netns/NAME or /proc/PID/ns/net); the tunnel stays in the node's own", null, "PATH");
    private static readonly Option<string?> StoreWait = NodeOptions.Create("--store-wait",
        "How long start-up retries a store it cannot reach: forever, a duration, or 0 to exit at once (exit 69)", "forever", "DURATION");
    private static readonly Option<string?> MetricsListen = NodeOptions.Create("--metrics-listen",
        $"Where to serve /metrics: comma-separated ADDR:PORT, or none (default: [::1]:{MetricsPort} and the node's address port {MetricsPort})", null, "ADDR");
    private static readonly Option<string?> ControlSocket = NodeOptions.Create("--control-socket",
        "Serve hoshino status/peers/ping on this Unix socket (mode 0600, in a directory only root writes), or none", Control.ControlSocketFile.DefaultPath, "PATH");
    private static readonly Option<string?> PollMin = NodeOptions.Create("--poll-min", "Fastest inbox polling interval (e.g. 500us, 10ms, 2s)", "1ms", "DURATION");
    private static readonly Option<string?> PollMax = NodeOptions.Create("--poll-max", "Slowest inbox polling interval, while idle", "500ms", "DURATION");
    private static readonly Option<string?> ListMax = NodeOptions.Create("--list-max",
        "Idle, a poll is a HEAD of the node's doorbell (rung by senders); a full LIST at least this often. At or below --poll-max: LIST every poll", "30s", "DURATION");
    private static readonly Option<string?> MaxPacketAge = NodeOptions.Create("--max-packet-age", "Objects older than this are deleted unread (stale backlog, replays)", "60s", "DURATION");
    private static readonly Option<string?> NetworkKeyFile = NodeOptions.Create("--network-key-file",
        "Seal every object with this key and accept only objects sealed with it (create one with: hoshino keygen --output PATH); "
        + $"unset: the systemd credential {NetworkKeySource.CredentialName} if the unit loads one (LoadCredential={NetworkKeySource.CredentialName}:PATH)", null, "PATH");
    private static readonly Option<bool> AllowEncapsulated = new("--allow-encapsulated")
    {
        Description = "Carry packets that carry other IP packets (IPv6-in-IPv6, IPv4-in-IPv6, GRE), whose inner source no node checks; "
            + "off, they are dropped on both sides [env: HOSHINO_ALLOW_ENCAPSULATED=1]",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HOSHINO_ALLOW_ENCAPSULATED") is "1" or "true" or "yes",
    };
    private static readonly Option<string?> WireFormatOption = NodeOptions.Create("--wire-format",
        "How this node names what it writes: v2 (numbered streams, several PUTs in flight) or v1 (what nodes before transport v2 read); "
        + "every node reads both. While any node of the network is older, run the new ones with v1", "v2", "v1|v2");
    private static readonly Option<string?> Name = NodeOptions.Create("--name",
        "This node's name in the peer directory: one DNS label (letters, digits, '-'; 1-63), lower-cased (default: the host name's first label)", null, "NAME");
    private static readonly Option<string?> DirectoryRead = NodeOptions.Create("--directory-read",
        "Read the peer directory this often: on average at most one LIST's worth of requests per interval (a directory of over 1,000 nodes, or one that changes a lot, is read less often)", "2m", "DURATION");
    private static readonly Option<string?> Dns = NodeOptions.Create("--dns",
        "Answer NAME.DOMAIN (AAAA from the peer directory) and point systemd-resolved at it for the tunnel link: on or off", "on", "on|off");
    private static readonly Option<string?> DnsListen = NodeOptions.Create("--dns-listen",
        $"Where the DNS responder listens, UDP and TCP: ADDR:PORT (default: the node's address port {DnsPort}, where resolved's per-link queries go)", null, "ADDR");
    private static readonly Option<string?> DnsDomain = NodeOptions.Create("--dns-domain",
        "The domain the responder answers for; other names are refused (no recursion)", NameService.DnsZone.DefaultDomain, "DOMAIN");
    private static readonly Option<string?> LogLevelOption = NodeOptions.Create("--log-level", "trace, debug, information, warning, error", "information", "LEVEL");

    public static Command Create()
    {
        var command = new Command("up", "Run a node in the foreground (systemd: Type=notify)")
        {
            Interface, NodeOptions.Prefix, NodeOptions.MachineIdFile, NodeOptions.Address, Mtu, Store, S3Endpoint, S3Region, StoreNetns, StoreWait,
            MetricsListen, ControlSocket, PollMin, PollMax, ListMax, MaxPacketAge, NetworkKeyFile, AllowEncapsulated, WireFormatOption, Name,
            DirectoryRead, Dns, DnsListen, DnsDomain, LogLevelOption,
        };
        command.SetAction(async (parse, _) => await NodeHost.RunAsync(Bind(parse)));
        return command;
    }

    internal static NodeSettings Bind(ParseResult parse)
    {
        IPNetwork network = NodeAddress.ParsePrefix(parse.GetValue(NodeOptions.Prefix)!);
        string? explicitAddress = parse.GetValue(NodeOptions.Address);
        IPAddress address = explicitAddress is { Length: > 0 }
            ? NodeAddress.ParseAddress(explicitAddress, network)
            : NodeAddress.FromMachineIdFile(network, parse.GetValue(NodeOptions.MachineIdFile)!);

        string name = parse.GetValue(Interface)!;
        if (LinkConfig.ProblemWithName(name) is { } badName)
        {
            throw new FatalException($"bad interface name '{name}' (--interface): {badName}", ExitCodes.Usage);
        }
        int mtu = ParseInt(parse.GetValue(Mtu)!, "--mtu", LinkConfig.MinMtu, LinkConfig.MaxMtu);

        // Loaded now, so a loose or malformed key file stops the node before anything starts.
        NetworkKey? key = NetworkKeySource.Load(parse.GetValue(NetworkKeyFile));
        var ingress = new IngressOptions
        {
            Key = key,
            PollMin = Durations.Parse(parse.GetValue(PollMin)!, "--poll-min"),
            PollMax = Durations.Parse(parse.GetValue(PollMax)!, "--poll-max"),
            ListMax = Durations.Parse(parse.GetValue(ListMax)!, "--list-max"),
            MaxPacketAge = Durations.Parse(parse.GetValue(MaxPacketAge)!, "--max-packet-age"),
            AllowEncapsulated = parse.GetValue(AllowEncapsulated),
        };
        var egress = new EgressOptions
        {
            Key = key,
            AllowEncapsulated = ingress.AllowEncapsulated,
            WireFormat = ParseWireFormat(parse.GetValue(WireFormatOption)!),
        };
        if (NodeConfigProblems.Of(ingress, egress) is [ConfigProblem first, ..])
        {
            throw new FatalException($"bad {FlagOf(first.Setting)} ({Durations.Format(ValueOf(first.Setting, ingress, egress))}): "
                + FlagsIn(first.Problem), ExitCodes.Usage);
        }

        var store = StoreUri.Parse(parse.GetValue(Store));
        string? storeNetns = parse.GetValue(StoreNetns) is { Length: > 0 } netns ? netns : null;
        if (storeNetns is not null && !File.Exists(storeNetns))
        {
            throw new FatalException($"bad --store-netns '{storeNetns}': no such file (give /var/run/netns/NAME or /proc/PID/ns/net)", ExitCodes.Usage);
        }
        if (storeNetns is not null && !store.IsS3)
        {
            throw new FatalException("--store-netns applies to s3:// stores (a dir: store is reached through the filesystem)", ExitCodes.Usage);
        }

        TimeSpan directoryRead = Durations.Parse(parse.GetValue(DirectoryRead)!, "--directory-read");
        if (directoryRead < TimeSpan.FromSeconds(1))
        {
            throw new FatalException($"bad --directory-read ({Durations.Format(directoryRead)}): must be at least 1s (each read is a LIST)", ExitCodes.Usage);
        }

        return new NodeSettings
        {
            Name = ParseName(parse.GetValue(Name), Environment.MachineName),
            DirectoryRead = directoryRead,
            Interface = name,
            Network = network,
            Address = address,
            Mtu = mtu,
            Store = store,
            S3Endpoint = StoreEnvironment.Endpoint(parse.GetValue(S3Endpoint)),
            S3Region = StoreEnvironment.Region(parse.GetValue(S3Region)),
            StoreNetns = storeNetns,
            StoreWait = parse.GetValue(StoreWait) switch
            {
                "forever" => null,
                "0" => TimeSpan.Zero,
                string text => Durations.Parse(text, "--store-wait"),
                null => null,
            },
            MetricsListen = ParseListen(parse.GetValue(MetricsListen), address),
            ControlSocket = parse.GetValue(ControlSocket) is { Length: > 0 } control && control != "none" ? control : null,
            Ingress = ingress,
            Egress = egress,
            LogLevel = ParseLogLevel(parse.GetValue(LogLevelOption)!),
            Dns = ParseDns(parse.GetValue(Dns)!, parse.GetValue(DnsListen), parse.GetValue(DnsDomain)!, address),
        };
    }

    internal static DnsSettings? ParseDns(string onOff, string? listen, string domain, IPAddress self)
    {
        switch (onOff.Trim().ToLowerInvariant())
        {
            case "off" or "no" or "false" or "0":
                return null;
            case "on" or "yes" or "true" or "1":
                break;
            default:
                throw new FatalException($"bad --dns '{onOff}': expected on or off", ExitCodes.Usage);
        }
        if (NameService.DnsZone.ProblemWithDomain(domain) is { } problem)
        {
            throw new FatalException($"bad --dns-domain '{domain}': {problem}", ExitCodes.Usage);
        }
        IPEndPoint endpoint = new(self, DnsPort);
        if (listen is { Length: > 0 } && (!IPEndPoint.TryParse(listen, out endpoint!) || endpoint.Port == 0
            || (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && !listen.StartsWith('['))))
        {
            throw new FatalException($"bad --dns-listen '{listen}': expected ADDR:PORT such as [fd5e::1]:53 or 127.0.0.153:53", ExitCodes.Usage);
        }
        return new DnsSettings(endpoint, NameService.DnsZone.Create(domain));
    }

    /// <summary>The flag that sets each option <see cref="NodeConfigProblems"/> checks; options with no flag keep their setting's name.</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["Ingress.PollMin"] = "--poll-min",
        ["Ingress.PollMax"] = "--poll-max",
        ["Ingress.ListMax"] = "--list-max",
        ["Ingress.MaxPacketAge"] = "--max-packet-age",
    };

    private static string FlagOf(string setting) => Flags.GetValueOrDefault(setting, setting);

    private static string FlagsIn(string problem) =>
        Flags.Aggregate(problem, (text, flag) => text.Replace("{" + flag.Key + "}", flag.Value, StringComparison.Ordinal));

    private static TimeSpan ValueOf(string setting, IngressOptions ingress, EgressOptions egress) => setting switch
    {
        "Ingress.PollMin" => ingress.PollMin,
        "Ingress.PollMax" => ingress.PollMax,
        "Ingress.ListMax" => ingress.ListMax,
        "Ingress.MaxPacketAge" => ingress.MaxPacketAge,
        "Egress.RingAfter" => egress.RingAfter,
        _ => TimeSpan.Zero,
    };

    internal static IReadOnlyList<IPEndPoint> ParseListen(string? text, IPAddress self)
    {
        if (text is null)
        {
            return [new IPEndPoint(IPAddress.IPv6Loopback, MetricsPort), new IPEndPoint(self, MetricsPort)];
        }
        if (text.Trim() is "none" or "")
        {
            return [];
        }
        var endpoints = new List<IPEndPoint>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!IPEndPoint.TryParse(part, out IPEndPoint? endpoint) || endpoint.Port == 0
                || (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && !part.StartsWith('[')))
            {
                throw new FatalException($"bad --metrics-listen '{part}': expected ADDR:PORT such as [::1]:8081 or 127.0.0.1:8081, or none", ExitCodes.Usage);
            }
            endpoints.Add(endpoint);
        }
        return endpoints;
    }

    /// <summary>The node's name: <c>--name</c> lower-cased, or the host name's first label; one clear line when it is not a DNS label.</summary>
    internal static string ParseName(string? given, string hostName)
    {
        string name = given is { Length: > 0 } ? given.ToLowerInvariant() : Peers.PeerName.FromHostName(hostName);
        if (Peers.PeerName.ProblemWith(name) is { } problem)
        {
            throw new FatalException(given is { Length: > 0 }
                ? $"bad --name '{given}': {problem}"
                : $"the host name '{hostName}' is no node name ({problem}): pass --name NAME (or HOSHINO_NAME)", ExitCodes.Usage);
        }
        return name;
    }

    private static int ParseInt(string text, string flag, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new FatalException($"bad {flag} '{text}': expected a whole number from {min} to {max}", ExitCodes.Usage);

    internal static WireFormat ParseWireFormat(string text) => text switch
    {
        "v1" => WireFormat.V1,
        "v2" => WireFormat.V2,
        _ => throw new FatalException($"bad --wire-format '{text}': expected v1 or v2", ExitCodes.Usage),
    };

    private static LogLevel ParseLogLevel(string text) =>
        Enum.TryParse(text, ignoreCase: true, out LogLevel level) && Enum.IsDefined(level)
            ? level
            : throw new FatalException($"bad --log-level '{text}': expected trace, debug, information, warning or error", ExitCodes.Usage);
}
