using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.Linux;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>Doing things inside a test's network namespaces.</summary>
internal static partial class Netns
{
    /// <summary>
    /// A TCP socket that lives in <paramref name="name"/>: made on a short-lived thread that entered
    /// the namespace (a socket belongs to the namespace it was created in, whichever thread uses it).
    /// </summary>
    public static Socket CreateTcpSocket(string name) =>
        NetworkNamespace.RunInAsync($"/var/run/netns/{name}", () => new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp))
            .GetAwaiter().GetResult();

    /// <summary>Runs a command in the namespace and returns what it printed.</summary>
    public static Task<ShellResult> ExecAsync(string name, TimeSpan timeout, params string[] command) =>
        Shell.RunAsync("ip", ["netns", "exec", name, .. command], timeout);

    /// <summary>GETs a URL from inside the namespace with curl.</summary>
    public static async Task<string> HttpGetAsync(string name, string url)
    {
        ShellResult result = await ExecAsync(name, TimeSpan.FromSeconds(20), "curl", "-sS", "--max-time", "10", url);
        Assert.True(result.Succeeded, $"curl {url} in {name} failed: {result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>Reads one sample from a Prometheus text page; 0 when absent.</summary>
    public static double Metric(string page, string nameWithLabels)
    {
        foreach (string line in page.Split('\n'))
        {
            if (line.StartsWith(nameWithLabels + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(nameWithLabels.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    /// <summary>Packet loss from ping's summary line.</summary>
    public static double PingLoss(string output)
    {
        Match m = LossPattern().Match(output);
        Assert.True(m.Success, $"no summary in ping output:\n{output}");
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Echo requests sent and replies received, from ping's summary line.</summary>
    public static (int Transmitted, int Received) PingCounts(string output)
    {
        Match m = CountsPattern().Match(output);
        Assert.True(m.Success, $"no summary in ping output:\n{output}");
        return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"([\d.]+)% packet loss")]
    private static partial Regex LossPattern();

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) received")]
    private static partial Regex CountsPattern();
}
