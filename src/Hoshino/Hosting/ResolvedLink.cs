using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Hoshino.Cli.Hosting;

/// <summary>
/// Tells systemd-resolved that the tunnel link has a DNS server of its own — the responder — for
/// the routing domain <c>~DOMAIN</c> only, and never as the default route; <see cref="RevertAsync"/>
/// takes it back. Through <c>resolvectl</c> (part of systemd on Debian): the same calls
/// (SetLinkDNS, SetLinkDomains, SetLinkDefaultRoute, RevertLink on org.freedesktop.resolve1) with
/// no D-Bus library in the binary. Resolved forgets a link's settings when the link goes, so a
/// node killed without reverting leaves nothing behind either.
/// </summary>
internal sealed class ResolvedLink(string @interface, IPEndPoint server, string domain, string? resolvectl)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    /// <summary>resolvectl as found on PATH, or null.</summary>
    public static string? FindResolvectl() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "resolvectl"))
            .FirstOrDefault(File.Exists);

    /// <summary>The resolvectl calls that set the link up, in order.</summary>
    public IReadOnlyList<string[]> ApplyCommands =>
    [
        ["dns", @interface, ServerText(server)],
        ["domain", @interface, "~" + domain],
        ["default-route", @interface, "false"],
    ];

    public string[] RevertCommand => ["revert", @interface];

    /// <summary>The server as resolvectl takes it: the bare address for port 53, else [ADDR]:PORT (systemd 246 and later).</summary>
    public static string ServerText(IPEndPoint endpoint) => endpoint.Port == 53
        ? endpoint.Address.ToString()
        : endpoint.AddressFamily == AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{endpoint.Address}]:{endpoint.Port}")
            : string.Create(CultureInfo.InvariantCulture, $"{endpoint.Address}:{endpoint.Port}");

    /// <summary>Runs <see cref="ApplyCommands"/>; null when all succeeded, else what failed (one line).</summary>
    public async Task<string?> ApplyAsync(CancellationToken ct)
    {
        foreach (string[] command in ApplyCommands)
        {
            if (await RunAsync(command, ct) is { } failure)
            {
                return failure;
            }
        }
        return null;
    }

    /// <summary>Runs <see cref="RevertCommand"/>; null when it succeeded, else what failed.</summary>
    public Task<string?> RevertAsync(CancellationToken ct) => RunAsync(RevertCommand, ct);

    private async Task<string?> RunAsync(string[] arguments, CancellationToken ct)
    {
        string line = "resolvectl " + string.Join(' ', arguments);
        if (resolvectl is null)
        {
            return $"{line}: resolvectl is not installed";
        }
        var info = new ProcessStartInfo(resolvectl)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        try
        {
            using Process process = Process.Start(info)!;
            Task<string> error = process.StandardError.ReadToEndAsync(ct);
            Task<string> output = process.StandardOutput.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(CommandTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                return $"{line}: no answer within {CommandTimeout.TotalSeconds:F0} s";
            }
            await Task.WhenAll(error, output);
            string why = FirstLine(await error) ?? FirstLine(await output) ?? $"exit code {process.ExitCode}";
            return process.ExitCode == 0 ? null : $"{line}: {why}";
        }
        catch (Win32Exception ex)
        {
            return $"{line}: {ex.Message}";
        }
    }

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
