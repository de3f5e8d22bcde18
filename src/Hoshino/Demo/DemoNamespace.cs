using System.Diagnostics;
using System.Net.Sockets;
using Hoshino.Linux;

namespace Hoshino.Cli.Demo;

/// <summary>
/// A network namespace the demo made (with <c>ip netns</c>, as an operator would), and sockets
/// created inside it. Dispose deletes it.
/// </summary>
internal sealed class DemoNamespace : IDisposable
{
    private DemoNamespace(string name) => Name = name;

    public string Name { get; }

    public static DemoNamespace Create(string name)
    {
        Ip("netns", "add", name);
        var ns = new DemoNamespace(name);
        try
        {
            Ip("-n", name, "link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }
        return ns;
    }

    /// <summary>
    /// A socket that lives in this namespace: made on a short-lived thread that entered it (a socket
    /// belongs to the namespace it was created in, whichever thread uses it later).
    /// </summary>
    public Socket CreateSocket(SocketType type, ProtocolType protocol)
    {
        try
        {
            return NetworkNamespace.RunInAsync($"/var/run/netns/{Name}", () => new Socket(AddressFamily.InterNetworkV6, type, protocol))
                .GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not FatalException)
        {
            throw new FatalException($"creating a socket in network namespace {Name}: {ex.Message}", ExitCodes.Failure, ex);
        }
    }

    public void Dispose()
    {
        try
        {
            Ip("netns", "del", Name);
        }
        catch (FatalException)
        {
            // Already gone.
        }
    }

    private static void Ip(params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new FatalException($"running ip {string.Join(' ', args)}: {ex.Message} (install iproute2)", ExitCodes.Unavailable, ex);
        }
        using (process)
        {
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new FatalException($"ip {string.Join(' ', args)}: {error.Trim()}", ExitCodes.Failure);
            }
        }
    }
}
