using Hoshino.Addressing;
using Hoshino.Node;
using Hoshino.Packets;
using Hoshino.Tunnel;

namespace Hoshino.Cli;

/// <summary>
/// Where the executable turns what Core and the platform layer report into exit codes (after
/// sysexits(3), see <see cref="ExitCodes"/>). Core states facts in typed exceptions; only this
/// class decides what systemd sees.
/// </summary>
internal static class OperatorErrors
{
    /// <summary>The exit code for an error the operator has to fix, or null for anything else (a bug: let it crash).</summary>
    public static int? ExitCodeOf(Exception exception) => exception switch
    {
        FatalException fatal => fatal.ExitCode,
        AddressException { Problem: AddressProblem.BadMachineId } => ExitCodes.Config,
        AddressException => ExitCodes.Usage,
        AddressConflictException => ExitCodes.Config,
        TunnelException { Problem: TunnelProblem.NoPermission } => ExitCodes.NoPermission,
        TunnelException { Problem: TunnelProblem.KernelRefused } => ExitCodes.Failure,
        TunnelException => ExitCodes.Config,
        // A key file that cannot be used is configuration; failing to write a new one (keygen) is not.
        NetworkKeyFileException { Problem: NetworkKeyFileProblem.Unreadable or NetworkKeyFileProblem.Exposed or NetworkKeyFileProblem.NotAKey } => ExitCodes.Config,
        NetworkKeyFileException => ExitCodes.Failure,
        // NetworkKey: this system's OpenSSL has no AES-GCM.
        PlatformNotSupportedException => ExitCodes.Config,
        _ => null,
    };
}
