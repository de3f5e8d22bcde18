using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Hoshino.Linux;

namespace Hoshino.IntegrationTests.Linux;

/// <summary>
/// A throw-away network namespace (<c>ip netns add hsn-RANDOM</c>), deleted on Dispose. Kernel
/// objects are made inside it by <see cref="Run{T}"/>, which runs code on a dedicated thread that
/// entered the namespace: a TUN fd or netlink socket belongs to the namespace it was created in.
/// </summary>
internal sealed class TestNetworkNamespace : IDisposable
{
    private TestNetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static TestNetworkNamespace Create()
    {
        string name = $"hsn-{Guid.NewGuid():N}"[..12];
        Exec("ip", "netns", "add", name);
        return new TestNetworkNamespace(name);
    }

    /// <summary>Runs <paramref name="action"/> on a new thread inside the namespace; rethrows its exception.</summary>
    public T Run<T>(Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                NetworkNamespace.EnterOnCurrentThread($"/var/run/netns/{Name}");
                result = action();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        { IsBackground = true, Name = $"netns {Name}" };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    public void Run(Action action) => Run(() => { action(); return 0; });

    /// <summary><c>ip -n NS -j ARGS</c>, parsed.</summary>
    public JsonElement IpJson(params string[] args)
    {
        string output = Exec("ip", ["-n", Name, "-j", .. args]);
        using JsonDocument document = JsonDocument.Parse(string.IsNullOrWhiteSpace(output) ? "[]" : output);
        return document.RootElement.Clone();
    }

    /// <summary>Whether <c>ip -n NS link show</c> lists <paramref name="interfaceName"/>.</summary>
    public bool HasLink(string interfaceName) =>
        IpJson("link", "show").EnumerateArray().Any(l => l.GetProperty("ifname").GetString() == interfaceName);

    /// <summary>Starts <c>ip netns exec NS FILE ARGS</c> with output captured.</summary>
    public Process Start(string file, params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["netns", "exec", Name, file, .. args])
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
    }

    public void Dispose() => Exec("ip", "netns", "del", Name);

    /// <summary>Runs a command to completion; throws with its stderr when it fails.</summary>
    public static string Exec(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}");
        return stdout;
    }
}
