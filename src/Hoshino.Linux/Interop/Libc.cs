using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Hoshino.Linux.Interop;

/// <summary>libc entry points used by Hoshino. Declarations and constants only; no logic lives here.</summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    // open(2) / eventfd(2) / socket(2) flags (x86-64 and arm64 agree on these values).
    internal const int O_RDWR = 0x2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    internal const int EFD_NONBLOCK = O_NONBLOCK, EFD_CLOEXEC = O_CLOEXEC;
    internal const int SOCK_RAW = 3, SOCK_CLOEXEC = O_CLOEXEC;

    // poll(2) events.
    internal const short POLLIN = 0x1;

    // Socket options and recv(2) flags.
    internal const int SOL_SOCKET = 1, SO_RCVTIMEO = 20;
    internal const int SOL_NETLINK = 270, NETLINK_EXT_ACK = 11;
    internal const int MSG_TRUNC = 0x20;

    // setns(2) namespace type.
    internal const int CLONE_NEWNET = 0x40000000;

    // open/eventfd/socket return a 32-bit int. Marshalling that straight into a SafeHandle reads the
    // whole 64-bit register: -1 arrives as 0xFFFFFFFF, which looks valid. So they return int here and
    // SafeFdHandle.FromResult wraps the result.
    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenRaw(string path, int flags);

    internal static SafeFdHandle Open(string path, int flags) => SafeFdHandle.FromResult(OpenRaw(path, flags));

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(SafeFdHandle fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(SafeFdHandle fd, byte* buffer, nuint count);

    /// <summary>ioctl(2), <c>struct ifreq</c> form only.</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(SafeFdHandle fd, nuint request, ref IfReq ifr);

    /// <summary>poll(2) on raw fds: the caller keeps the owning handles alive (DangerousAddRef).</summary>
    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFdRaw(uint initialValue, int flags);

    internal static SafeFdHandle EventFd(uint initialValue, int flags) => SafeFdHandle.FromResult(EventFdRaw(initialValue, flags));

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketRaw(int domain, int type, int protocol);

    internal static SafeFdHandle Socket(int domain, int type, int protocol) => SafeFdHandle.FromResult(SocketRaw(domain, type, protocol));

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(SafeFdHandle fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, EntryPoint = "send", SetLastError = true)]
    internal static partial nint Send(SafeFdHandle fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Lib, EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Recv(SafeFdHandle fd, byte* buffer, nuint length, int flags);

    /// <summary>setns(2): moves the calling thread (only) into the namespace the fd refers to.</summary>
    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    internal static partial int SetNs(SafeFileHandle fd, int namespaceType);
}

/// <summary>Owns a Unix file descriptor; -1 is invalid (cf. Tmds.DBus CloseSafeHandle).</summary>
internal sealed class SafeFdHandle() : SafeHandleMinusOneIsInvalid(ownsHandle: true)
{
    /// <summary>The raw descriptor, for structs such as <see cref="PollFd"/>. Hold a reference while it is in use.</summary>
    internal int Fd => (int)handle;

    /// <summary>Wraps a descriptor returned by a libc call; -1 (errno set) gives an invalid handle.</summary>
    internal static SafeFdHandle FromResult(int fd)
    {
        var handle = new SafeFdHandle();
        handle.SetHandle(fd);
        return handle;
    }

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
