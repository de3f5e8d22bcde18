using System.Runtime.InteropServices;

namespace Hoshino.Linux.Interop;

/// <summary>The *at(2) file calls <see cref="Store.LinuxStoreFileSystem"/> resolves store paths with.</summary>
internal static unsafe partial class Libc
{
    // open(2) flags that x86-64 and arm64 agree on (asm-generic).
    internal const int O_RDONLY = 0x0, O_WRONLY = 0x1, O_CREAT = 0x40, O_EXCL = 0x80;

    // O_DIRECTORY and O_NOFOLLOW differ: arm64 keeps 32-bit ARM's values (arch/arm64/include/uapi/asm/fcntl.h).
    internal static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x10000,
        Architecture.Arm64 => 0x4000,
        var other => throw new PlatformNotSupportedException($"O_DIRECTORY on {other}"),
    };

    internal static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x20000,
        Architecture.Arm64 => 0x8000,
        var other => throw new PlatformNotSupportedException($"O_NOFOLLOW on {other}"),
    };

    internal const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;

    // statx(2): what to fill in, and where struct statx keeps it (its layout is the same on every architecture).
    internal const uint STATX_TYPE = 0x1, STATX_MTIME = 0x40, STATX_SIZE = 0x200;
    internal const int StatxSize = 256, StatxModeOffset = 28, StatxSizeOffset = 40, StatxMtimeOffset = 112;
    internal const int S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFLNK = 0xA000, S_IFSOCK = 0xC000;
    internal const uint STATX_MODE = 0x2, STATX_UID = 0x8;
    internal const int StatxUidOffset = 20;

    /// <summary>openat(2); <paramref name="mode"/> only matters with O_CREAT. Returns the fd or -1.</summary>
    [LibraryImport(Lib, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OpenAt(int directoryFd, string path, int flags, uint mode);

    /// <summary>statx(2) into a <see cref="StatxSize"/>-byte buffer (glibc 2.28 or later).</summary>
    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int directoryFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>getdents64(2): <c>struct linux_dirent64</c> records (glibc 2.30 or later).</summary>
    [LibraryImport(Lib, EntryPoint = "getdents64", SetLastError = true)]
    internal static partial nint GetDents64(int directoryFd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MkdirAt(int directoryFd, string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int UnlinkAt(int directoryFd, string path, int flags);

    [LibraryImport(Lib, EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int RenameAt(int oldDirectoryFd, string oldPath, int newDirectoryFd, string newPath);

    /// <summary>linkat(2); with flags 0 it does not follow <paramref name="oldPath"/> if that is a link.</summary>
    [LibraryImport(Lib, EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int LinkAt(int oldDirectoryFd, string oldPath, int newDirectoryFd, string newPath, int flags);
}
