using System.Net.Sockets;
using System.Text;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// sd_notify(3): one datagram to <c>$NOTIFY_SOCKET</c>. Sent whenever the variable is set, rather
/// than only when the parent process is systemd (what <c>AddSystemd</c> checks), so readiness also
/// works when ExecStart goes through a wrapper.
/// </summary>
internal static class SystemdNotify
{
    /// <summary>Sends <paramref name="state"/> (e.g. <c>READY=1</c>); false when not under a service manager or it failed.</summary>
    public static bool Send(string state)
    {
        string? path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }
        if (path[0] == '@')
        {
            path = "\0" + path[1..]; // abstract socket namespace
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
            return true;
        }
        catch (SocketException)
        {
            return false; // the manager went away; nothing to tell
        }
    }
}
