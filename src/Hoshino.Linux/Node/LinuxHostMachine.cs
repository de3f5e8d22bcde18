using Hoshino.Node;

namespace Hoshino.Linux.Node;

/// <summary><see cref="IHostMachine"/> from procfs.</summary>
public sealed class LinuxHostMachine : IHostMachine
{
    private const string BootIdFile = "/proc/sys/kernel/random/boot_id";

    public string HostName { get; } = Environment.MachineName;

    public string BootId { get; } = File.Exists(BootIdFile) ? File.ReadAllText(BootIdFile).Trim() : "unknown";

    public int ProcessId { get; } = Environment.ProcessId;

    public bool IsProcessAlive(int pid) => Directory.Exists($"/proc/{pid}");
}
