namespace Hoshino.Tunnel;

/// <summary>What stopped the tunnel interface from being created or configured.</summary>
public enum TunnelProblem
{
    /// <summary>Missing privilege: not root, no CAP_NET_ADMIN.</summary>
    NoPermission,
    /// <summary>No TUN device: the module is not loaded, or a container was not given /dev/net/tun.</summary>
    NoDevice,
    /// <summary>The interface name is taken by another process or another kind of interface.</summary>
    NameTaken,
    /// <summary>The requested configuration is not valid (name, MTU, address, prefix length).</summary>
    InvalidConfig,
    /// <summary>The kernel refused for another reason.</summary>
    KernelRefused,
}

/// <summary>
/// Setting up the tunnel interface failed. <see cref="Exception.Message"/> is one line for the
/// operator: what was being done, what went wrong and, where there is one, the fix.
/// </summary>
public sealed class TunnelException(TunnelProblem problem, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public TunnelProblem Problem { get; } = problem;
}
