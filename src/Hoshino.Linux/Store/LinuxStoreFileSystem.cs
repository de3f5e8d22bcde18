using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Hoshino.Linux.Interop;
using Hoshino.Store;
using Microsoft.Win32.SafeHandles;

namespace Hoshino.Linux.Store;

/// <summary>
/// <see cref="IStoreFileSystem"/> with no window between checking a path and using it: every
/// operation opens the root, then each directory below it with
/// <c>openat(dirfd, name, O_DIRECTORY | O_NOFOLLOW)</c> (a link there fails with ELOOP, anything
/// but a directory with ENOTDIR), and acts on the last component relative to that descriptor
/// (<c>statx(AT_SYMLINK_NOFOLLOW)</c>, <c>unlinkat</c>, <c>renameat</c>, <c>linkat</c>,
/// <c>openat(O_NOFOLLOW)</c>). Swapping a directory for a link after it was opened changes
/// nothing: the descriptor still names the directory that was checked. A file is opened only if
/// statx says it is a regular file, then with <c>O_NOFOLLOW | O_NONBLOCK</c> (a FIFO swapped in
/// meanwhile opens at once instead of waiting for a writer) and checked again with fstat; what
/// remains is that a FIFO or device swapped in at that instant is opened and closed again unread,
/// which is why a shared directory should be mounted <c>nodev</c>.
/// <para>
/// The root path itself is resolved as given, links included: it is the operator's. Needs glibc
/// 2.30 or later (getdents64, statx).
/// </para>
/// </summary>
public sealed class LinuxStoreFileSystem(string root) : IStoreFileSystem
{
    private const uint DirectoryMode = 0x1FF, FileMode = 0x1B6; // 0777 and 0666, less the umask, as mkdir(1) and .NET do
    private static readonly int DirectoryFlags = Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_CLOEXEC;

    public string Root { get; } = Path.GetFullPath(root);

    public IReadOnlyList<StoreEntry>? List(string directory)
    {
        SafeFdHandle? fd;
        try
        {
            fd = OpenDirectory(directory, create: false);
        }
        catch (DirectoryNotFoundException)
        {
            return null; // no root: as empty as a missing inbox
        }
        if (fd is null)
        {
            return null;
        }
        using (fd)
        {
            return ReadEntries(fd, directory);
        }
    }

    public StoreEntry Stat(string path)
    {
        (string parent, string name) = Split(path);
        using SafeFdHandle? fd = TryOpenDirectory(parent);
        return fd is null ? Missing(name) : StatAt(fd, name, path) ?? Missing(name);
    }

    public SafeFileHandle? OpenRead(string path, out StoreEntryKind kind)
    {
        (string parent, string name) = Split(path);
        using SafeFdHandle? directory = TryOpenDirectory(parent);
        StoreEntry? entry = directory is null ? null : StatAt(directory, name, path);
        kind = entry?.Kind ?? StoreEntryKind.Missing;
        if (kind != StoreEntryKind.RegularFile)
        {
            return null; // never open a FIFO, socket, device or link
        }
        int fd = Retry(() => Libc.OpenAt(directory!.Fd, name, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0));
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            (kind, Exception? failure) = errno switch
            {
                Errno.ENOENT => (StoreEntryKind.Missing, null),
                Errno.ELOOP or Errno.ENXIO => (StoreEntryKind.Other, null), // swapped for a link or a socket since statx
                _ => (kind, Fail("openat", path, errno)),
            };
            return failure is null ? null : throw failure;
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        // Swapped since statx? fstat sees what was opened.
        if (KindOf(handle.DangerousGetHandle().ToInt32(), "", Libc.AT_EMPTY_PATH, path) is not { Kind: StoreEntryKind.RegularFile })
        {
            handle.Dispose();
            kind = StoreEntryKind.Other;
            return null;
        }
        return handle;
    }

    public void CreateDirectory(string directory)
    {
        using SafeFdHandle? fd = OpenDirectory(directory, create: true);
    }

    public SafeFileHandle CreateNew(string path)
    {
        (string parent, string name) = Split(path);
        using SafeFdHandle directory = OpenDirectory(parent, create: false)
            ?? throw new DirectoryNotFoundException($"the directory of {path} in store directory {Root} does not exist");
        // O_EXCL: fails on anything already there, a link included, and never follows one.
        int fd = Retry(() => Libc.OpenAt(directory.Fd, name, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, FileMode));
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Fail("openat(O_CREAT|O_EXCL)", path, Marshal.GetLastPInvokeError());
    }

    public bool Rename(string from, string to, bool overwrite)
    {
        (string fromParent, string fromName) = Split(from);
        (string toParent, string toName) = Split(to);
        using SafeFdHandle fromDirectory = OpenDirectory(fromParent, create: false)
            ?? throw new DirectoryNotFoundException($"the directory of {from} in store directory {Root} does not exist");
        using SafeFdHandle toDirectory = OpenDirectory(toParent, create: false)
            ?? throw new DirectoryNotFoundException($"the directory of {to} in store directory {Root} does not exist");
        if (!overwrite)
        {
            // link(2) fails if the name exists, atomically (also on NFS): the winner of a race is the one whose link was made.
            if (Retry(() => Libc.LinkAt(fromDirectory.Fd, fromName, toDirectory.Fd, toName, 0)) == 0)
            {
                Retry(() => Libc.UnlinkAt(fromDirectory.Fd, fromName, 0));
                return true;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EEXIST)
            {
                return false;
            }
            if (errno is not (Errno.EPERM or Errno.EOPNOTSUPP or Errno.EXDEV or Errno.EMLINK or Errno.ENOSYS))
            {
                throw Fail("linkat", to, errno);
            }
            // A filesystem without hard links: check, then rename, as .NET's File.Move does there.
            if (StatAt(toDirectory, toName, to) is not null)
            {
                return false;
            }
        }
        return Retry(() => Libc.RenameAt(fromDirectory.Fd, fromName, toDirectory.Fd, toName)) == 0
            ? true
            : throw Fail("renameat", to, Marshal.GetLastPInvokeError());
    }

    public void Delete(string path)
    {
        (string parent, string name) = Split(path);
        using SafeFdHandle? directory = TryOpenDirectory(parent);
        if (directory is null)
        {
            return; // nothing there, or only through a link: not this store's
        }
        if (Retry(() => Libc.UnlinkAt(directory.Fd, name, 0)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (Errno.ENOENT or Errno.EISDIR)) // a directory is not an object
            {
                throw Fail("unlinkat", path, errno);
            }
        }
    }

    public bool RemoveEmptyDirectory(string directory)
    {
        (string parent, string name) = Split(directory);
        using SafeFdHandle? parentFd = TryOpenDirectory(parent);
        if (parentFd is null)
        {
            return false;
        }
        const int AtRemoveDir = 0x200; // AT_REMOVEDIR: rmdir(2) relative to the parent, the name itself never followed
        if (Retry(() => Libc.UnlinkAt(parentFd.Fd, name, AtRemoveDir)) == 0)
        {
            return true;
        }
        int errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.ENOTEMPTY or Errno.EEXIST or Errno.ENOENT or Errno.ENOTDIR or Errno.EBUSY)
        {
            return false; // written to meanwhile, gone, or not a directory: nothing to do
        }
        throw Fail("unlinkat(AT_REMOVEDIR)", directory, errno);
    }

    /// <summary>The directory, or null if it or one on the way is missing or not followed (for reads and deletes: not there).</summary>
    private SafeFdHandle? TryOpenDirectory(string directory)
    {
        try
        {
            return OpenDirectory(directory, create: false);
        }
        catch (Exception ex) when (ex is NotFollowedException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Opens <paramref name="directory"/> component by component from the root, following no link.
    /// Returns null when a component is missing (with <paramref name="create"/>, makes it instead);
    /// throws <see cref="NotFollowedException"/> when one is a link or not a directory, and
    /// <see cref="DirectoryNotFoundException"/> when the root is missing.
    /// </summary>
    private SafeFdHandle? OpenDirectory(string directory, bool create)
    {
        int rootFd = Retry(() => Libc.OpenAt(Libc.AT_FDCWD, Root, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0));
        if (rootFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno is Errno.ENOENT or Errno.ENOTDIR
                ? new DirectoryNotFoundException($"store directory {Root} does not exist")
                : Fail("open", "", errno);
        }
        SafeFdHandle current = SafeFdHandle.FromResult(rootFd);
        string walked = "";
        try
        {
            foreach (string component in directory.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                walked = walked.Length == 0 ? component : walked + "/" + component;
                int parentFd = current.Fd;
                int fd = Retry(() => Libc.OpenAt(parentFd, component, DirectoryFlags, 0));
                if (fd < 0 && Marshal.GetLastPInvokeError() == Errno.ENOENT && create)
                {
                    if (Retry(() => Libc.MkdirAt(parentFd, component, DirectoryMode)) != 0 && Marshal.GetLastPInvokeError() is int mkdirErrno and not Errno.EEXIST)
                    {
                        throw Fail("mkdirat", walked, mkdirErrno);
                    }
                    fd = Retry(() => Libc.OpenAt(parentFd, component, DirectoryFlags, 0));
                }
                if (fd < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    switch (errno)
                    {
                        case Errno.ENOENT:
                            current.Dispose();
                            return null;
                        case Errno.ELOOP or Errno.ENOTDIR:
                            throw new NotFollowedException(Root, walked);
                        default:
                            throw Fail("openat(O_DIRECTORY|O_NOFOLLOW)", walked, errno);
                    }
                }
                current.Dispose();
                current = SafeFdHandle.FromResult(fd);
            }
            return current;
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    /// <summary>Every entry of an open directory, each described by statx without following it.</summary>
    private unsafe List<StoreEntry> ReadEntries(SafeFdHandle directory, string path)
    {
        var entries = new List<StoreEntry>();
        byte[] buffer = new byte[32 * 1024];
        while (true)
        {
            nint read;
            fixed (byte* p = buffer)
            {
                byte* start = p;
                read = Retry(() => Libc.GetDents64(directory.Fd, start, (nuint)buffer.Length));
            }
            if (read < 0)
            {
                throw Fail("getdents64", path, Marshal.GetLastPInvokeError());
            }
            if (read == 0)
            {
                return entries;
            }
            // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            for (int offset = 0; offset < read;)
            {
                int length = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 16));
                ReadOnlySpan<byte> nameBytes = buffer.AsSpan(offset + 19, length - 19);
                string name = Encoding.UTF8.GetString(nameBytes[..nameBytes.IndexOf((byte)0)]);
                offset += length;
                if (name is "." or "..")
                {
                    continue;
                }
                if (StatAt(directory, name, path.Length == 0 ? name : path + "/" + name) is StoreEntry entry)
                {
                    entries.Add(entry); // null: deleted since it was read
                }
            }
        }
    }

    /// <summary>The entry <paramref name="name"/> in an open directory, itself and not what it points to; null when there is none.</summary>
    private StoreEntry? StatAt(SafeFdHandle directory, string name, string path) =>
        KindOf(directory.Fd, name, Libc.AT_SYMLINK_NOFOLLOW, path) is StoreEntry entry ? entry with { Name = name } : null;

    private unsafe StoreEntry? KindOf(int fd, string name, int flags, string path)
    {
        byte* statx = stackalloc byte[Libc.StatxSize];
        if (Retry(() => Libc.Statx(fd, name, flags, Libc.STATX_TYPE | Libc.STATX_SIZE | Libc.STATX_MTIME, statx)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is Errno.ENOENT or Errno.ENOTDIR ? null : throw Fail("statx", path, errno);
        }
        var buffer = new ReadOnlySpan<byte>(statx, Libc.StatxSize);
        int type = BinaryPrimitives.ReadUInt16LittleEndian(buffer[Libc.StatxModeOffset..]) & Libc.S_IFMT;
        long size = (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[Libc.StatxSizeOffset..]);
        long seconds = BinaryPrimitives.ReadInt64LittleEndian(buffer[Libc.StatxMtimeOffset..]);
        uint nanoseconds = BinaryPrimitives.ReadUInt32LittleEndian(buffer[(Libc.StatxMtimeOffset + 8)..]);
        var mtime = DateTime.UnixEpoch.AddTicks((seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100));
        return type switch
        {
            Libc.S_IFREG => new StoreEntry(name, StoreEntryKind.RegularFile, size, mtime),
            Libc.S_IFDIR => new StoreEntry(name, StoreEntryKind.Directory, 0, mtime),
            _ => new StoreEntry(name, StoreEntryKind.Other, 0, mtime),
        };
    }

    private static (string Parent, string Name) Split(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? ("", path) : (path[..slash], path[(slash + 1)..]);
    }

    private static StoreEntry Missing(string name) => new(name, StoreEntryKind.Missing, 0, default);

    /// <summary>The failure as .NET would report it: permission as UnauthorizedAccessException (the store's AccessDenied), else the call and errno.</summary>
    private Exception Fail(string call, string path, int errno) => errno is Errno.EACCES or Errno.EPERM
        ? new UnauthorizedAccessException($"{call} {Root}/{path}: {Errno.Describe(errno)}")
        : new NativeCallException($"{call}({Root}/{path})", errno);

    /// <summary>Repeats a call interrupted by a signal (EINTR), which did nothing.</summary>
    private static T Retry<T>(Func<T> call) where T : IComparable<T>
    {
        while (true)
        {
            T result = call();
            if (result.CompareTo(default!) >= 0 || Marshal.GetLastPInvokeError() != Errno.EINTR)
            {
                return result;
            }
        }
    }
}
