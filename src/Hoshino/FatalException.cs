namespace Hoshino;

/// <summary>
/// A failure the operator has to fix. <see cref="Exception.Message"/> is the one line the CLI prints:
/// it says what was being done, what went wrong and, where there is one, how to fix it.
/// </summary>
public sealed class FatalException : Exception
{
    public FatalException(string message, int exitCode = ExitCodes.Failure, Exception? innerException = null)
        : base(message, innerException) => ExitCode = exitCode;

    /// <summary>The process exit code this failure maps to; see <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; }
}

/// <summary>Exit codes, after sysexits(3), so systemd units and scripts can tell causes apart.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    /// <summary>Bad command line: unknown flag, unparsable value.</summary>
    public const int Usage = 2;
    /// <summary><c>hoshino ping</c>/<c>peers</c>: no peer by that name in the directory, or an address outside the network.</summary>
    public const int NoHost = 68;
    /// <summary>The store (or another service) could not be reached; retrying later may help. Also: no node is running (no control socket).</summary>
    public const int Unavailable = 69;
    /// <summary>A missing privilege: not root, no CAP_NET_ADMIN, access denied by the store.</summary>
    public const int NoPermission = 77;
    /// <summary>Bad configuration: a missing bucket, a bad key file, a prefix that is not a /64.</summary>
    public const int Config = 78;
}
