using Microsoft.Win32.SafeHandles;

namespace Hoshino.Store;

/// <summary>
/// <see cref="IStoreFileSystem"/> with .NET's path-based file APIs only, for any platform: every
/// directory on the way is checked not to be a link (lstat, through <see cref="FileSystemInfo.Attributes"/>)
/// before the call that uses the path, and an entry is opened only if it is a regular file that
/// is not empty. .NET cannot tell a FIFO, socket or device from an empty file (all look "Normal",
/// zero bytes), and opening a FIFO blocks until a writer comes: so zero-length entries are
/// <see cref="StoreEntryKind.Other"/>, read as empty without being opened.
/// <para>
/// What remains is the window between each check and the call that follows it: a writer of the
/// directory who swaps a checked directory for a link, or a checked file for a FIFO, at that
/// moment can make a read follow the link or block, and a write or delete land outside the store.
/// The daemon uses <c>Hoshino.Linux.Store.LinuxStoreFileSystem</c>, which resolves every path with
/// <c>openat(O_NOFOLLOW)</c> from the root down and has no such window; use this one only where
/// every writer of the directory is trusted (tests, a private directory). A rename that must not
/// replace is exclusive among this process's writers only (see <see cref="Rename"/>).
/// </para>
/// </summary>
public sealed class PortableStoreFileSystem(string root) : IStoreFileSystem
{
    private static readonly EnumerationOptions OneLevel = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = 0,
        IgnoreInaccessible = true,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Serializes renames that must not replace (see <see cref="Rename"/>); one for all instances, which may share a root.</summary>
    private static readonly Lock NoReplace = new();

    public string Root { get; } = Path.GetFullPath(root);

    public IReadOnlyList<StoreEntry>? List(string directory)
    {
        if (!Directory.Exists(Root) || !CheckDirectories(directory, includeLast: true, refuseLinks: true))
        {
            return null;
        }
        try
        {
            return [.. new DirectoryInfo(Full(directory)).EnumerateFileSystemInfos("*", OneLevel).Select(Describe)
                .Where(e => e.Kind != StoreEntryKind.Missing)];
        }
        catch (DirectoryNotFoundException)
        {
            return null; // removed while listing
        }
    }

    public StoreEntry Stat(string path) =>
        CheckDirectories(path, includeLast: false, refuseLinks: false)
            ? Describe(new FileInfo(Full(path)))
            : new StoreEntry(Name(path), StoreEntryKind.Missing, 0, default);

    public SafeFileHandle? OpenRead(string path, out StoreEntryKind kind)
    {
        kind = Stat(path).Kind;
        if (kind != StoreEntryKind.RegularFile)
        {
            return null;
        }
        try
        {
            // The window described above: the entry may have been swapped since Stat.
            return File.OpenHandle(Full(path), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            kind = StoreEntryKind.Missing;
            return null;
        }
    }

    public void CreateDirectory(string directory)
    {
        if (!Directory.Exists(Root))
        {
            throw new DirectoryNotFoundException($"store directory {Root} does not exist");
        }
        string path = "";
        foreach (string component in directory.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path = path.Length == 0 ? component : path + "/" + component;
            switch (Describe(new FileInfo(Full(path))).Kind)
            {
                case StoreEntryKind.Missing:
                    Directory.CreateDirectory(Full(path)); // its parent exists and was checked: one level
                    break;
                case StoreEntryKind.Directory:
                    break;
                default:
                    throw new NotFollowedException(Root, path);
            }
        }
    }

    public SafeFileHandle CreateNew(string path)
    {
        if (!CheckDirectories(path, includeLast: false, refuseLinks: true))
        {
            throw new DirectoryNotFoundException($"the directory of {path} in store directory {Root} does not exist");
        }
        // O_CREAT|O_EXCL: fails on anything already there, a link included, and never follows one.
        return File.OpenHandle(Full(path), FileMode.CreateNew, FileAccess.Write, FileShare.None);
    }

    public bool Rename(string from, string to, bool overwrite)
    {
        CheckDirectories(from, includeLast: false, refuseLinks: true);
        CheckDirectories(to, includeLast: false, refuseLinks: true);
        if (overwrite)
        {
            File.Move(Full(from), Full(to), overwrite: true); // rename(2): never follows the last component
            return true;
        }
        // Without overwrite, .NET's File.Move on Unix checks that the target is missing and then
        // rename(2)s: two writers can both pass the check, and the second replaces the first while
        // both report success (PutIfAbsent_ConcurrentWriters_ExactlyOneWins caught it, now and
        // then). .NET has no link(2); the lock makes check-and-rename one step for this process's
        // writers. Writers in other processes can still race here: the daemon's
        // LinuxStoreFileSystem uses linkat(2), atomic for all of them.
        lock (NoReplace)
        {
            try
            {
                File.Move(Full(from), Full(to), overwrite: false);
                return true;
            }
            catch (IOException) when (Stat(to).Kind != StoreEntryKind.Missing)
            {
                return false;
            }
        }
    }

    public bool RemoveEmptyDirectory(string directory)
    {
        if (Stat(directory).Kind is not StoreEntryKind.Directory)
        {
            return false;
        }
        try
        {
            Directory.Delete(Full(directory), recursive: false); // rmdir(2): fails when not empty
            return true;
        }
        catch (IOException)
        {
            return false; // not empty (written to meanwhile), or gone
        }
    }

    public void Delete(string path)
    {
        StoreEntry entry = Stat(path);
        if (entry.Kind is StoreEntryKind.Missing or StoreEntryKind.Directory)
        {
            return;
        }
        try
        {
            File.Delete(Full(path)); // unlink(2): a link itself, not its target
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>
    /// True when every directory of <paramref name="path"/> (with <paramref name="includeLast"/>,
    /// the last component too) exists and is a real directory; false when one is missing or, unless
    /// <paramref name="refuseLinks"/>, is a link or not a directory, which then throws.
    /// </summary>
    private bool CheckDirectories(string path, bool includeLast, bool refuseLinks)
    {
        string[] components = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string walked = "";
        for (int i = 0; i < components.Length - (includeLast ? 0 : 1); i++)
        {
            walked = walked.Length == 0 ? components[i] : walked + "/" + components[i];
            StoreEntryKind kind = Describe(new FileInfo(Full(walked))).Kind;
            if (kind == StoreEntryKind.Missing)
            {
                return false;
            }
            if (kind != StoreEntryKind.Directory)
            {
                return refuseLinks ? throw new NotFollowedException(Root, walked) : false;
            }
        }
        return true;
    }

    /// <summary>What an entry is, from lstat(2): .NET reports a link as ReparsePoint and does not follow it for the attributes.</summary>
    private static StoreEntry Describe(FileSystemInfo info)
    {
        FileAttributes attributes = info.Attributes; // -1 when there is nothing
        if ((int)attributes == -1)
        {
            return new StoreEntry(info.Name, StoreEntryKind.Missing, 0, default);
        }
        if (attributes.HasFlag(FileAttributes.ReparsePoint))
        {
            return new StoreEntry(info.Name, StoreEntryKind.Other, 0, info.LastWriteTimeUtc);
        }
        if (attributes.HasFlag(FileAttributes.Directory))
        {
            return new StoreEntry(info.Name, StoreEntryKind.Directory, 0, info.LastWriteTimeUtc);
        }
        long length = info is FileInfo file ? file.Length : 0;
        return new StoreEntry(info.Name, length > 0 ? StoreEntryKind.RegularFile : StoreEntryKind.Other, length, info.LastWriteTimeUtc);
    }

    private string Full(string relative) => relative.Length == 0 ? Root : Path.Combine(Root, relative);

    private static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];
}
