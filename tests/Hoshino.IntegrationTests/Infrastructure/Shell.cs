using System.Diagnostics;

namespace Hoshino.IntegrationTests.Infrastructure;

/// <summary>The outcome of one command run by <see cref="Shell"/>.</summary>
internal sealed record ShellResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with the command's stderr (and stdout) when it failed.</summary>
    public ShellResult EnsureSuccess()
    {
        if (!Succeeded)
        {
            throw new InvalidOperationException($"`{Command}` exited {ExitCode}:\n{Tail(StandardError)}{Tail(StandardOutput)}");
        }
        return this;
    }

    internal static string Tail(string text, int lines = 40)
    {
        string[] all = text.TrimEnd().Split('\n');
        return all.Length <= lines ? text : string.Join('\n', all[^lines..]) + "\n";
    }
}

/// <summary>
/// Runs test-harness commands (<c>ip</c>, <c>ping</c>, <c>tests/harness/rgw.sh</c>) with output
/// captured and a hard time limit. Tests may shell out; product code never does.
/// </summary>
internal static class Shell
{
    public static async Task<ShellResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        string command = string.Join(' ', [file, .. start.ArgumentList]);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start `{command}`");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            // Only this process (by pid); what it started is the caller's to clean up by id.
            try { process.Kill(entireProcessTree: false); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            string err = await stderr, output = await stdout;
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"`{command}` did not finish within {timeout.TotalSeconds:0} s:\n{ShellResult.Tail(err)}{ShellResult.Tail(output)}");
        }
        return new ShellResult(command, process.ExitCode, await stdout, await stderr);
    }

    public static Task<ShellResult> RunAsync(string file, params string[] args) =>
        RunAsync(file, args, TimeSpan.FromSeconds(15));

    /// <summary>Runs <c>ip ARGS</c> and throws with its stderr if it fails.</summary>
    public static async Task<string> IpAsync(params string[] args) =>
        (await RunAsync("ip", args, TimeSpan.FromSeconds(15))).EnsureSuccess().StandardOutput;
}
