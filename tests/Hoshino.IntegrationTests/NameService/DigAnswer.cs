using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.NameService;

/// <summary>dig (bind9-dnsutils), the real client the DNS tests ask with, and what its output says.</summary>
internal sealed record DigAnswer(string Status, string Flags, IReadOnlyList<string> Addresses, string Output)
{
    public static DigAnswer Of(ShellResult result)
    {
        Assert.True(result.Succeeded, $"{result.Command} failed ({result.ExitCode}):\n{result.StandardOutput}{result.StandardError}");
        string output = result.StandardOutput;
        string header = output.Split('\n').FirstOrDefault(l => l.Contains("->>HEADER<<-", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"dig printed no header:\n{output}");
        string status = header.Split("status: ")[1].Split(',')[0];
        string flags = output.Split('\n').First(l => l.StartsWith(";; flags:", StringComparison.Ordinal)).Split(';', StringSplitOptions.RemoveEmptyEntries)[0];
        List<string> addresses = [.. output.Split('\n')
            .Where(l => !l.StartsWith(';') && l.Contains("\tAAAA\t", StringComparison.Ordinal))
            .Select(l => l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1].Trim())];
        return new DigAnswer(status, flags, addresses, output);
    }

    /// <summary>The arguments for one query: no retries to hide a lost reply, and a timeout generous enough for a trip through the bucket.</summary>
    public static string[] Args(string server, int port, string name, string type, bool tcp) =>
        ["dig", $"@{server}", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), name, type,
         "+tries=1", "+time=10", tcp ? "+tcp" : "+notcp", "+norecurse"];
}
