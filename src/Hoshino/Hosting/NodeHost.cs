using System.Net;
using System.Reflection;
using Hoshino.Cli.Control;
using Hoshino.Diagnostics;
using Hoshino.Linux.Node;
using Hoshino.Node;
using Hoshino.Packets;
using Hoshino.Peers;
using Hoshino.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// Runs one node: checks the store, creates and configures the tunnel interface, serves metrics, runs
/// the egress and ingress loops until SIGTERM/SIGINT, then flushes, removes the interface and returns.
/// </summary>
internal static partial class NodeHost
{
    public static string Version { get; } =
        typeof(NodeHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static async Task<int> RunAsync(NodeSettings settings)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        ConfigureLogging(builder.Logging, settings.LogLevel);
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.Egress.FlushTimeout + TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (IPEndPoint endpoint in settings.MetricsListen)
            {
                kestrel.Listen(endpoint);
            }
        });

        // The parts, each built once; the container disposes the store and the key holder with the host.
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new HoshinoMetrics(sp.GetRequiredService<TimeProvider>(), Version));
        // Counted exactly once: S3 per HTTP request, dir: per operation (StoreFactory).
        builder.Services.AddSingleton(sp => new OwnedStore(
            StoreFactory.Create(settings.Store, settings.S3Endpoint, settings.S3Region, settings.StoreNetns, sp.GetRequiredService<HoshinoMetrics>())));
        // Per-peer counts (the TUN, in NodeService) and PUT/GET times (the store): seams outside the pumps.
        builder.Services.AddSingleton(new PeerTraffic());
        builder.Services.AddSingleton<IPacketStore>(sp => new PeerTimingStore(sp.GetRequiredService<OwnedStore>().Store,
            sp.GetRequiredService<PeerTraffic>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(new OwnedKey(settings.Ingress.Key));
        builder.Services.AddSingleton<IHostMachine, LinuxHostMachine>();
        // The peer directory: the node runs its loop; the DNS responder and the control socket read it as IPeerNames.
        builder.Services.AddSingleton(sp => new PeerDirectory(sp.GetRequiredService<IPacketStore>(),
            new DirectoryOptions { Name = settings.Name, Version = Version, ReadInterval = settings.DirectoryRead, Key = settings.Egress.Key },
            settings.Address, settings.Network, sp.GetRequiredService<HoshinoMetrics>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PeerDirectory>>()));
        builder.Services.AddSingleton<IPeerNames>(sp => sp.GetRequiredService<PeerDirectory>());
        builder.Services.AddSingleton(sp => new HoshinoNode(new NodeConfig(settings.Address, settings.Network, settings.Ingress, settings.Egress),
            sp.GetRequiredService<IPacketStore>(), sp.GetRequiredService<IHostMachine>(), sp.GetRequiredService<HoshinoMetrics>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<PeerDirectory>()));
        builder.Services.AddSingleton<TunnelService>();

        // Hosted services start in registration order (each waits for the one before) and stop in reverse:
        // the store answers, the address is ours, the tunnel is up, then the loops run.
        builder.Services.AddHostedService<StoreProbeService>();
        builder.Services.AddHostedService<AddressClaimService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TunnelService>());
        builder.Services.AddHostedService<NodeService>();
        builder.Services.AddHostedService<IdleMemory>();
        builder.Services.AddHostedService<DnsService>();
        if (settings.ControlSocket is { } controlSocket)
        {
            builder.Services.AddHostedService(sp => new ControlServer(controlSocket, StatusSource(sp, settings).Answer,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ControlServer>>()));
        }

        await using WebApplication app = builder.Build();
        HoshinoMetrics metrics = app.Services.GetRequiredService<HoshinoMetrics>();
        IPeerNames names = app.Services.GetRequiredService<IPeerNames>();
        PeerTraffic traffic = app.Services.GetRequiredService<PeerTraffic>();
        var self = Address16.From(settings.Address);
        metrics.ObservePeers(() => PeerSamples.Build(names.Peers, traffic.Snapshot(), self));
        IPacketStore store = app.Services.GetRequiredService<IPacketStore>();
        app.Run(context => ServeAsync(context, metrics, settings.Address));
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Hoshino.Node");
        IHostApplicationLifetime lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() =>
        {
            Log.Ready(logger, settings.Interface, settings.Address.ToString(), settings.Mtu, store.Description,
                settings.MetricsListen.Count == 0 ? "off" : string.Join(", ", settings.MetricsListen.Select(e => $"http://{e}/metrics")),
                settings.Egress.Key is { } key ? $"sealed (key {key.Fingerprint})" : "not sealed");
            SystemdNotify.Send($"READY=1\nSTATUS=node {settings.Address} up on {settings.Interface}\nMAINPID={Environment.ProcessId}");
        });
        lifetime.ApplicationStopping.Register(() =>
        {
            SystemdNotify.Send("STOPPING=1\nSTATUS=flushing queued packets and removing the interface");
            Log.Stopping(logger, settings.Interface);
        });

        try
        {
            await app.StartAsync();
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // SIGTERM/SIGINT during start-up, e.g. while waiting for the store: a clean stop.
            Log.StoppedDuringStart(logger);
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            // Kestrel, the last to start: the hosted services before it fail with their own types.
            throw new FatalException(
                $"listening for metrics on {string.Join(", ", settings.MetricsListen)}: {ex.Message} (pass --metrics-listen with a free port, or none)",
                ExitCodes.Unavailable, ex);
        }
        await app.WaitForShutdownAsync();
        await app.StopAsync();
        return Environment.ExitCode;
    }

    private static NodeStatusSource StatusSource(IServiceProvider sp, NodeSettings settings)
    {
        HoshinoNode node = sp.GetRequiredService<HoshinoNode>();
        var facts = new NodeFacts(settings.Address, settings.Network, settings.Interface, sp.GetRequiredService<IPacketStore>().Description,
            settings.Egress.Key is not null, Version, System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime());
        return new NodeStatusSource(facts, sp.GetRequiredService<HoshinoMetrics>(), () => node.Lease.Conflict, sp.GetRequiredService<IPeerNames>(),
            sp.GetRequiredService<PeerTraffic>(), sp.GetRequiredService<TimeProvider>());
    }

    /// <summary>Disposes the store with the host (the instrumented wrapper does not own it).</summary>
    private sealed class OwnedStore(IPacketStore store) : IDisposable
    {
        public IPacketStore Store { get; } = store;

        public void Dispose() => (Store as IDisposable)?.Dispose();
    }

    /// <summary>Disposes the network key (zeroes it) with the host, after the loops that use it stopped.</summary>
    private sealed class OwnedKey(Packets.NetworkKey? key) : IDisposable
    {
        public void Dispose() => key?.Dispose();
    }

    /// <summary>The whole HTTP surface: GET /metrics, and a one-line index at /.</summary>
    private static Task ServeAsync(HttpContext context, HoshinoMetrics metrics, IPAddress self)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }
        switch (request.Path.Value)
        {
            case "/metrics":
                response.ContentType = PrometheusWriter.ContentType;
                return response.WriteAsync(metrics.WritePrometheus(), context.RequestAborted);
            case "/":
                response.ContentType = "text/plain; charset=utf-8";
                return response.WriteAsync($"hoshino {Version}: node {self}; metrics at /metrics\n", context.RequestAborted);
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
        }
    }

    internal static void ConfigureLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // A hosted service that fails to start is reported once, as one line, by Program (OperatorErrors);
        // the host's own "Hosting failed to start" entry would repeat it with a stack trace.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.NodeReady, LogLevel.Information, "Node up: {Interface} {Address} mtu {Mtu}, store {Store}, metrics {Metrics}, objects {Sealing}")]
        public static partial void Ready(ILogger logger, string @interface, string address, int mtu, string store, string metrics, string sealing);

        [LoggerMessage(EventIds.NodeStopping, LogLevel.Information, "Stopping: flushing queued packets and removing {Interface}")]
        public static partial void Stopping(ILogger logger, string @interface);

        [LoggerMessage(EventIds.NodeStopped, LogLevel.Information, "Start-up stopped while waiting for the store or the address lease")]
        public static partial void StoppedDuringStart(ILogger logger);
    }
}
