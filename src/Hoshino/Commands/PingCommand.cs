using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Hoshino.Cli.Control;
using Hoshino.Cli.Demo;

namespace Hoshino.Cli.Commands;

/// <summary>
/// <c>hoshino ping NAME|ADDRESS</c>: ICMPv6 echoes through the tunnel, from the node's own address,
/// over a raw socket (root). The node resolves a name (its directory) and tells, after each reply,
/// how long its last PUT for the peer and its last GET from it took: the rest of the round trip is
/// the peer's and the polls', which this node cannot tell apart.
/// </summary>
internal static class PingCommand
{
    private static readonly Argument<string> Target = new("target") { Description = "A peer's name (from the directory) or tunnel address" };
    private static readonly Option<int> Count = new("-c", "--count") { Description = "Stop after this many echo requests", DefaultValueFactory = _ => 4, HelpName = "N" };
    private static readonly Option<string> Interval = new("-i", "--interval")
    {
        Description = "Time between echo requests (seconds, or a duration such as 200ms)", DefaultValueFactory = _ => "1s", HelpName = "DURATION",
    };
    private static readonly Option<string> Wait = new("-W", "--timeout")
    {
        Description = "How long to wait for each reply (an idle peer polls every 500 ms and lists on a doorbell)", DefaultValueFactory = _ => "5s",
        HelpName = "DURATION",
    };

    public static Command Create()
    {
        var command = new Command("ping", "Send ICMPv6 echo requests to a peer through the tunnel and show each round trip and where its time went")
        {
            Target, Count, Interval, Wait, NodeOptions.ControlSocket,
        };
        command.SetAction(async (parse, cancellationToken) => await RunAsync(parse, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        int count = parse.GetValue(Count);
        if (count is < 1 or > 1_000_000)
        {
            throw new FatalException($"bad -c {count}: expected 1 to 1000000", ExitCodes.Usage);
        }
        TimeSpan interval = ParseSeconds(parse.GetValue(Interval)!, "-i");
        TimeSpan timeout = ParseSeconds(parse.GetValue(Wait)!, "-W");
        if (interval < TimeSpan.FromMilliseconds(10))
        {
            throw new FatalException("bad -i: at least 10ms (each echo costs the network a PUT, a GET and more)", ExitCodes.Usage);
        }
        string socketPath = parse.GetValue(NodeOptions.ControlSocket)!;
        string target = parse.GetValue(Target)!;
        TextWriter output = parse.InvocationConfiguration.Output;

        ControlResponse peer = await ControlClient.AskAsync(socketPath, new ControlRequest("peer", target), cancellationToken);
        IPAddress self = IPAddress.Parse(peer.Self!), address = IPAddress.Parse(peer.Peer!.Address);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true; // print the summary, as ping does
            stop.Cancel();
        });

        using var pinger = new Pinger(OpenSocket(self), address);
        output.WriteLine($"PING {(peer.Peer.Name is { } name ? $"{Diagnostics.LogText.Escape(name)} ({address})" : address)} from {self} through the tunnel");
        var rtts = new List<double>();
        int sent = 0;
        try
        {
            for (int seq = 1; seq <= count; seq++)
            {
                long started = TimeProvider.System.GetTimestamp();
                sent++;
                TimeSpan? rtt = await pinger.PingAsync((ushort)seq, timeout, stop.Token);
                if (rtt is { } value)
                {
                    rtts.Add(value.TotalMilliseconds);
                    ControlResponse latest = await ControlClient.AskAsync(socketPath, new ControlRequest("peer", address.ToString()), stop.Token);
                    output.WriteLine(StatusText.PingReply(address.ToString(), (ushort)seq, value, latest.Peer));
                }
                else
                {
                    output.WriteLine($"no reply to seq={seq} within {Durations.Format(timeout)}");
                }
                TimeSpan left = interval - TimeProvider.System.GetElapsedTime(started);
                if (seq < count && left > TimeSpan.Zero)
                {
                    await Task.Delay(left, stop.Token);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C: the summary follows.
        }
        output.WriteLine(StatusText.PingSummary(peer.Peer.Name ?? address.ToString(), sent, rtts));
        return rtts.Count > 0 ? ExitCodes.Success : ExitCodes.Failure; // as iputils ping: 1 when nothing came back
    }

    private static Socket OpenSocket(IPAddress self)
    {
        Socket socket;
        try
        {
            socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            throw new FatalException("opening an ICMPv6 socket: permission denied (hoshino ping needs root or CAP_NET_RAW)", ExitCodes.NoPermission, ex);
        }
        try
        {
            socket.Bind(new IPEndPoint(self, 0)); // from the tunnel address, so the echo goes through the tunnel
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new FatalException($"binding {self}: {ex.Message} (is the node's interface in this network namespace?)", ExitCodes.Unavailable, ex);
        }
        return socket;
    }

    /// <summary>ping's way (<c>-i 0.2</c> is seconds) or the house's (<c>200ms</c>).</summary>
    private static TimeSpan ParseSeconds(string text, string flag) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds < 86400
            ? TimeSpan.FromSeconds(seconds)
            : Durations.Parse(text, flag);
}
