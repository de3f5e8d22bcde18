namespace Hoshino.Node;

/// <summary>
/// The facts about this machine and process that tell one node apart from another holding the
/// same address (<see cref="AddressLease"/>). Implemented from /proc in Hoshino.Linux; a fake in tests.
/// </summary>
public interface IHostMachine
{
    /// <summary>Host name, shown to the operator.</summary>
    string HostName { get; }

    /// <summary>The kernel's boot id: differs between two machines even when they share a machine-id.</summary>
    string BootId { get; }

    /// <summary>This process's id on this boot.</summary>
    int ProcessId { get; }

    /// <summary>True while process <paramref name="pid"/> of this boot runs.</summary>
    bool IsProcessAlive(int pid);
}
