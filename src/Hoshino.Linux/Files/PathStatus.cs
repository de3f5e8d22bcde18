using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Hoshino.Linux.Interop;

namespace Hoshino.Linux.Files;

/// <summary>What kind of file a path names, without following a symbolic link.</summary>
public enum PathKind { Missing, RegularFile, Directory, SymbolicLink, Socket, Other }

/// <summary>A path's kind, owner and permission bits, as lstat(2) reports them (statx with AT_SYMLINK_NOFOLLOW).</summary>
/// <param name="Kind">What the path names itself (a symbolic link is not followed).</param>
/// <param name="Owner">The owner's uid.</param>
/// <param name="Mode">The permission bits (07777).</param>
public readonly record struct PathStatus(PathKind Kind, uint Owner, int Mode)
{
    /// <summary>The status of <paramref name="path"/>; <see cref="PathKind.Missing"/> when nothing is there.</summary>
    public static unsafe PathStatus Of(string path)
    {
        byte* statx = stackalloc byte[Libc.StatxSize];
        int result;
        do
        {
            result = Libc.Statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE | Libc.STATX_MODE | Libc.STATX_UID, statx);
        }
        while (result != 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is Errno.ENOENT or Errno.ENOTDIR ? new PathStatus(PathKind.Missing, 0, 0) : throw new NativeCallException($"statx({path})", errno);
        }
        var buffer = new ReadOnlySpan<byte>(statx, Libc.StatxSize);
        int mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[Libc.StatxModeOffset..]);
        uint owner = BinaryPrimitives.ReadUInt32LittleEndian(buffer[Libc.StatxUidOffset..]);
        PathKind kind = (mode & Libc.S_IFMT) switch
        {
            Libc.S_IFREG => PathKind.RegularFile,
            Libc.S_IFDIR => PathKind.Directory,
            Libc.S_IFLNK => PathKind.SymbolicLink,
            Libc.S_IFSOCK => PathKind.Socket,
            _ => PathKind.Other,
        };
        return new PathStatus(kind, owner, mode & 0xFFF);
    }
}
