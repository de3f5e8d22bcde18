using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Hoshino.Linux.Interop;

/// <summary>errno values Hoshino reacts to (Linux numbering), and the one place that throws on them.</summary>
internal static class Errno
{
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, EAGAIN = 11, ENOMEM = 12,
        EACCES = 13, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, EMSGSIZE = 90, ENOBUFS = 105, ENETUNREACH = 101;

    // File calls (LinuxStoreFileSystem).
    public const int EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EMLINK = 31, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, EOPNOTSUPP = 95;

    /// <summary>The call did nothing and may simply be repeated (cf. wireguard-go's retry on EINTR/EAGAIN).</summary>
    public static bool IsTransient(int errno) => errno is EINTR or EAGAIN;

    /// <summary>Missing privilege: the operator's fix is root or CAP_NET_ADMIN.</summary>
    public static bool IsPermission(int errno) => errno is EPERM or EACCES;

    /// <summary>The text strerror(3) gives, e.g. "Operation not permitted".</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    [DoesNotReturn]
    public static void Throw(string operation) => Throw(operation, Marshal.GetLastPInvokeError());

    [DoesNotReturn]
    public static void Throw(string operation, int errno) => throw new NativeCallException(operation, errno);
}
