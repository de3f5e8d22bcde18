using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Hoshino.Addressing;
using Hoshino.Cli.Commands;
using Hoshino.Diagnostics;

namespace Hoshino.Cli.Demo;

/// <summary>
/// <c>hoshino demo</c>: two real nodes in two network namespaces over a temporary <c>dir:</c> bucket
/// (or a real one), a ping through the bucket, the peer's metrics page fetched through the tunnel,
/// and a summary. Removes everything it made on success, failure and Ctrl-C.
/// </summary>
internal static class DemoCommand
{
    private static readonly Option<string?> Store = NodeOptions.Create("--store", "Run the demo on this bucket instead of a temporary directory: s3://BUCKET[/KEYPREFIX]", null, "URI");
    private static readonly Option<string?> S3Endpoint = NodeOptions.Create("--s3-endpoint", "S3-compatible endpoint URL; else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS", null, "URL");
    private static readonly Option<string?> S3Region = NodeOptions.Create("--s3-region", "S3 region; else AWS_REGION, else us-east-1", null, "REGION");
    private static readonly Option<int> Pings = new("--pings") { Description = "How many pings to send", DefaultValueFactory = _ => 10 };

    public static Command Create()
    {
        var command = new Command("demo", "Run two nodes in network namespaces on this machine and ping one from the other (needs root)")
        {
            Store, S3Endpoint, S3Region, Pings,
        };
        command.SetAction(async (parse, _) => await RunAsync(parse.GetValue(Store), parse.GetValue(S3Endpoint), parse.GetValue(S3Region),
            Math.Clamp(parse.GetValue(Pings), 1, 1000), parse.InvocationConfiguration.Output));
        return command;
    }

    private static async Task<int> RunAsync(string? store, string? endpoint, string? region, int pings, TextWriter output)
    {
        if (Environment.UserName != "root" && !IsRoot())
        {
            throw new FatalException("hoshino demo creates network namespaces and TUN interfaces: run it as root (sudo hoshino demo)", ExitCodes.NoPermission);
        }
        StoreUri? storeUri = store is null ? null : StoreUri.Parse(store);
        if (storeUri is { IsS3: false })
        {
            throw new FatalException("--store for the demo takes s3://BUCKET[/KEYPREFIX]; without it the demo uses a temporary directory", ExitCodes.Usage);
        }

        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
        string work = Path.Combine(Path.GetTempPath(), $"hoshino-demo-{id}");
        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        var cleanup = new Stack<Func<ValueTask>>();
        try
        {
            return await RunDemoAsync(id, work, storeUri, endpoint, region, pings, output, cleanup, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            output.WriteLine("Interrupted.");
            return 130;
        }
        finally
        {
            while (cleanup.TryPop(out Func<ValueTask>? undo))
            {
                try
                {
                    await undo();
                }
                catch (Exception ex)
                {
                    output.WriteLine($"  clean-up step failed: {ex.Message}");
                }
            }
            output.WriteLine($"Removed everything the demo created (namespaces hsn-demo-{id}-a/b, their interfaces and processes, {work}).");
        }

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true; // clean up first, then exit
            stop.Cancel();
        }
    }

    private static async Task<int> RunDemoAsync(string id, string work, StoreUri? storeUri, string? endpoint, string? region, int pings,
        TextWriter output, Stack<Func<ValueTask>> cleanup, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(work);
        cleanup.Push(() => { Directory.Delete(work, recursive: true); return ValueTask.CompletedTask; });
        string bucket = Path.Combine(work, "bucket");
        Directory.CreateDirectory(bucket);
        string storeArg = storeUri is null ? $"dir:{bucket}" : $"s3://{storeUri.Location}/{storeUri.KeyPrefix}demo-{id}/";
        if (storeUri is not null)
        {
            // Packets sent to a node after it stopped (a last TCP FIN) stay in its inbox; remove
            // everything under the demo's own key prefix at the end.
            string keyPrefix = $"{storeUri.KeyPrefix}demo-{id}/";
            Store.IPacketStore store = Hosting.StoreFactory.Create(storeUri with { KeyPrefix = keyPrefix }, StoreEnvironment.Endpoint(endpoint), StoreEnvironment.Region(region));
            cleanup.Push(async () =>
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                IReadOnlyList<Store.StoredObject> left;
                while ((left = await store.ListAsync("", 1000, timeout.Token)).Count > 0)
                {
                    await store.DeleteAsync([.. left.Select(o => o.Key)], timeout.Token);
                }
                (store as IDisposable)?.Dispose();
            });
        }

        IPNetwork network = NodeAddress.ParsePrefix(NodeAddress.DefaultPrefix);
        var nodes = new List<DemoNode>();
        foreach (string label in (string[])["a", "b"])
        {
            DemoNamespace ns = DemoNamespace.Create($"hsn-demo-{id}-{label}");
            cleanup.Push(() => { ns.Dispose(); return ValueTask.CompletedTask; });
            string machineId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            string idFile = Path.Combine(work, $"{label}.machine-id");
            await File.WriteAllTextAsync(idFile, machineId + "\n", cancellationToken);
            IPAddress address = NodeAddress.FromMachineId(network, machineId);
            // Named for the demo: both run on this host, and the host name would name them alike (a conflict in the directory).
            // Two nodes on one file system: each its own control socket, in the demo's directory (0700).
            List<string> args = ["--store", storeArg, "--machine-id-file", idFile, "--name", $"demo-{label}", "--log-level", "information",
                "--control-socket", Path.Combine(Path.GetDirectoryName(idFile)!, label + ".sock")];
            if (storeUri is not null)
            {
                // The namespaces have no route to the bucket; the nodes reach it from the demo's own namespace.
                args.AddRange(["--store-netns", $"/proc/{Environment.ProcessId}/ns/net"]);
                if (endpoint is not null)
                {
                    args.AddRange(["--s3-endpoint", endpoint]);
                }
                if (region is not null)
                {
                    args.AddRange(["--s3-region", region]);
                }
            }
            DemoNode node = DemoNode.Start(label.ToUpperInvariant(), ns, address, args, new Dictionary<string, string?>());
            cleanup.Push(() => node.DisposeAsync());
            nodes.Add(node);
        }
        DemoNode a = nodes[0], b = nodes[1];

        output.WriteLine($"Hoshino demo {id}: two nodes, each in a network namespace of its own, joined only by the bucket.");
        output.WriteLine($"  bucket   {storeArg}");
        output.WriteLine($"  node A   {a.Address,-40} netns {a.Namespace.Name}");
        output.WriteLine($"  node B   {b.Address,-40} netns {b.Namespace.Name}");
        foreach (DemoNode node in nodes)
        {
            await node.WaitReadyAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        output.WriteLine("  both nodes are up.");
        output.WriteLine();

        output.WriteLine($"Ping B from A ({pings} echo requests, 0.2 s apart), every packet a PUT, LIST, GET and DELETE:");
        var rtts = new List<double>();
        using (var pinger = new Pinger(a.Namespace.CreateSocket(SocketType.Raw, ProtocolType.IcmpV6), b.Address))
        {
            for (ushort seq = 1; seq <= pings; seq++)
            {
                long started = TimeProvider.System.GetTimestamp();
                TimeSpan? rtt = await pinger.PingAsync(seq, TimeSpan.FromSeconds(5), cancellationToken);
                if (rtt is { } value)
                {
                    rtts.Add(value.TotalMilliseconds);
                    output.WriteLine($"  reply from {b.Address}: seq={seq} time={value.TotalMilliseconds:0.0} ms");
                }
                else
                {
                    output.WriteLine($"  no reply for seq={seq} within 5 s");
                }
                TimeSpan left = TimeSpan.FromMilliseconds(200) - TimeProvider.System.GetElapsedTime(started);
                if (left > TimeSpan.Zero && seq < pings)
                {
                    await Task.Delay(left, cancellationToken);
                }
            }
        }
        output.WriteLine();

        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                Socket socket = a.Namespace.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        }) { Timeout = TimeSpan.FromSeconds(10) };
        string bUrl = $"http://[{b.Address}]:8081/metrics";
        output.WriteLine($"B's metrics page, fetched by A through the tunnel ({bUrl}):");
        string bPage;
        try
        {
            bPage = await http.GetStringAsync(bUrl, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            output.WriteLine($"  failed: {ex.Message}");
            return Fail(output, nodes, "the metrics page did not come through the tunnel");
        }
        foreach (string line in bPage.Split('\n').Where(l => l.StartsWith("hoshino_packets_total", StringComparison.Ordinal)
                     || l.StartsWith("hoshino_s3_requests_total", StringComparison.Ordinal)
                     || l.StartsWith("hoshino_heartbeat_interval_seconds ", StringComparison.Ordinal)))
        {
            output.WriteLine("  " + line);
        }
        output.WriteLine();

        string aPage = await http.GetStringAsync("http://[::1]:8081/metrics", cancellationToken);
        http.Dispose(); // close the connections before the nodes go
        PrintSummary(output, rtts, pings, aPage, bPage, storeUri is null);

        int?[] exits = [await a.StopAsync(TimeSpan.FromSeconds(10)), await b.StopAsync(TimeSpan.FromSeconds(10))];
        if (rtts.Count == 0)
        {
            return Fail(output, nodes, "no ping came back");
        }
        if (exits.Any(e => e != 0))
        {
            return Fail(output, nodes, $"a node did not stop cleanly (exit codes {string.Join(", ", exits.Select(e => e?.ToString(CultureInfo.InvariantCulture) ?? "killed"))})");
        }
        output.WriteLine($"The tunnel works: {rtts.Count} of {pings} pings answered, metrics read through it, both nodes stopped cleanly.");
        return ExitCodes.Success;
    }

    private static void PrintSummary(TextWriter output, List<double> rtts, int pings, string aPage, string bPage, bool directoryStore)
    {
        output.WriteLine("Summary");
        if (rtts.Count > 0)
        {
            List<double> sorted = [.. rtts.Order()];
            output.WriteLine($"  round trip   min {sorted[0]:0.0} / median {sorted[sorted.Count / 2]:0.0} / max {sorted[^1]:0.0} ms; {rtts.Count} of {pings} answered");
        }
        output.WriteLine($"  packets      A→B {Sample(aPage, "hoshino_packets_total{direction=\"egress\"}"):0}, B→A {Sample(bPage, "hoshino_packets_total{direction=\"egress\"}"):0}");
        double cost = 0;
        var parts = new List<string>();
        foreach (StoreOperation op in Enum.GetValues<StoreOperation>())
        {
            string label = $"hoshino_s3_requests_total{{operation=\"{op.ToString().ToLowerInvariant()}\"}}";
            double count = Sample(aPage, label) + Sample(bPage, label);
            cost += count * HoshinoMetrics.PriceOf(op);
            parts.Add($"{op.ToString().ToUpperInvariant()} {count:0}");
        }
        output.WriteLine($"  requests     {string.Join(", ", parts)} (both nodes, S3-style)");
        output.WriteLine($"  on AWS S3    ${cost:0.0000} for these requests at S3 Standard list prices (PUT/LIST $0.005 per 1,000, GET/HEAD $0.0004 per 1,000, DELETE free)");
        if (directoryStore)
        {
            output.WriteLine("               (a directory answers a LIST in microseconds, so the 1 ms fastest poll runs flat out here; against S3 the LIST latency paces it)");
        }
        output.WriteLine();
    }

    private static double Sample(string page, string nameWithLabels)
    {
        foreach (string line in page.Split('\n'))
        {
            if (line.StartsWith(nameWithLabels + " ", StringComparison.Ordinal)
                && double.TryParse(line.AsSpan(nameWithLabels.Length + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                return value;
            }
        }
        return 0;
    }

    private static int Fail(TextWriter output, List<DemoNode> nodes, string why)
    {
        output.WriteLine($"The demo failed: {why}. The nodes' logs:");
        foreach (DemoNode node in nodes)
        {
            output.WriteLine($"--- node {node.Label} ---");
            output.WriteLine(node.Output.TrimEnd());
        }
        return ExitCodes.Failure;
    }

    private static bool IsRoot() => File.Exists("/proc/self/status")
        && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";
}
