using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using Hoshino.Diagnostics;
using Hoshino.Egress;
using Hoshino.Ingress;
using Hoshino.Linux.Netlink;
using Hoshino.Linux.Tun;
using Hoshino.Node;
using Hoshino.Store;
using Hoshino.Tunnel;
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

        TimeProvider time = TimeProvider.System;
        using var metrics = new HoshinoMetrics(time, Version);
        var store = new InstrumentedPacketStore(
            StoreFactory.Create(settings.Store, settings.S3Endpoint, settings.S3Region, settings.StoreNetns), metrics);
        var self = settings.Address;
        string inbox = ObjectKey.InboxOf(Packets.Address16.From(self));

        using var leaseLogs = LoggerFactory.Create(l => ConfigureLogging(l, settings.LogLevel));
        var lease = new AddressLease(store, Packets.Address16.From(self), LeaseHolder.Current(), time, leaseLogs.CreateLogger<AddressLease>());
        metrics.ObserveAddressConflict(() => lease.Conflict);

        // Until the host runs, SIGTERM/SIGINT end the start-up wait (the host handles them afterwards).
        using (var startup = new CancellationTokenSource())
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; startup.Cancel(); }))
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; startup.Cancel(); }))
        {
            try
            {
                await StoreFactory.ProbeAsync(store, inbox, settings.StoreWait, message =>
                {
                    Console.Error.WriteLine($"hoshino: {message}");
                    SystemdNotify.Send($"STATUS=waiting for the store: {message}");
                }, time, startup.Token);
            }
            catch (OperationCanceledException) when (startup.IsCancellationRequested)
            {
                Console.Error.WriteLine("hoshino: stopped while waiting for the store");
                return ExitCodes.Success;
            }
            // One node per address: refuse to start beside a live clone, before touching the network.
            await lease.AcquireAsync(startup.Token);
        }

        using LinuxTunDevice tun = LinuxTunDevice.Open(settings.Interface, settings.Mtu);
        using var link = new LinkConfigurator();
        try
        {
            link.Apply(new LinkConfig(settings.Interface, self, settings.Network.PrefixLength, settings.Mtu));

            builder.Services.AddSingleton(time);
            builder.Services.AddSingleton(metrics);
            builder.Services.AddSingleton(lease);
            builder.Services.AddSingleton<ITunDevice>(tun);
            builder.Services.AddSingleton(sp => new EgressPump(tun, store, self, settings.Network, metrics, new MonotonicUlid(time), time,
                sp.GetRequiredService<ILogger<EgressPump>>(), settings.Egress));
            builder.Services.AddSingleton(sp => new IngressPump(tun, store, self, metrics, time,
                sp.GetRequiredService<ILogger<IngressPump>>(), settings.Ingress));
            builder.Services.AddHostedService<NodeService>();

            await using WebApplication app = builder.Build();
            app.Run(context => ServeAsync(context, metrics, self));

            ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Hoshino.Node");
            try
            {
                await app.StartAsync();
            }
            catch (IOException ex)
            {
                throw new FatalException(
                    $"listening for metrics on {string.Join(", ", settings.MetricsListen)}: {ex.Message} (pass --metrics-listen with a free port, or none)",
                    ExitCodes.Unavailable, ex);
            }
            Log.Ready(logger, settings.Interface, self.ToString(), settings.Mtu, store.Description,
                settings.MetricsListen.Count == 0 ? "off" : string.Join(", ", settings.MetricsListen.Select(e => $"http://{e}/metrics")),
                settings.Egress.Key is { } key ? $"sealed (key {key.Fingerprint})" : "not sealed");
            SystemdNotify.Send($"READY=1\nSTATUS=node {self} up on {settings.Interface}\nMAINPID={Environment.ProcessId}");
            await app.WaitForShutdownAsync();
            SystemdNotify.Send("STOPPING=1\nSTATUS=flushing queued packets and removing the interface");
            Log.Stopping(logger, settings.Interface);
            await app.StopAsync();
            return Environment.ExitCode;
        }
        finally
        {
            tun.Dispose(); // a non-persistent TUN interface goes with its last fd
            try
            {
                link.DeleteLink(settings.Interface); // normally gone already; this makes sure
            }
            catch (FatalException)
            {
                // Never hide the failure that brought us here behind a clean-up error.
            }
        }
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
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.NodeReady, LogLevel.Information, "Node up: {Interface} {Address} mtu {Mtu}, store {Store}, metrics {Metrics}, objects {Sealing}")]
        public static partial void Ready(ILogger logger, string @interface, string address, int mtu, string store, string metrics, string sealing);

        [LoggerMessage(EventIds.NodeStopping, LogLevel.Information, "Stopping: flushing queued packets and removing {Interface}")]
        public static partial void Stopping(ILogger logger, string @interface);
    }
}
