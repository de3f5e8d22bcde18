using Microsoft.Win32.SafeHandles;

namespace Hoshino.Store;

/// <summary>
/// The file operations of <see cref="DirectoryPacketStore"/>, confined to its root directory. A
/// <c>dir:</c> store may be shared with other nodes (NFS, the demo), and whoever may write the
/// directory may put a symbolic link, a FIFO or a device node where an object or an inbox should
/// be. So below the root nothing is ever followed or opened unless it is what it must be:
/// <list type="bullet">
/// <item>A path whose directories include a symbolic link (or anything but a directory) does not
/// exist for <see cref="Stat"/>, <see cref="OpenRead"/> and <see cref="Delete"/>, and is refused with
/// <see cref="NotFollowedException"/> by <see cref="List"/> and the writes.</item>
/// <item>An entry that is not a regular file or a directory (a symbolic link, FIFO, socket or
/// device) is reported as <see cref="StoreEntryKind.Other"/> and never opened; deleting it removes
/// the entry itself.</item>
/// </list>
/// Paths are relative to the root with '/' between components; the store never passes an empty,
/// <c>.</c> or <c>..</c> component. The root itself is trusted as configured (it may be reached
/// through links). Implementations are thread-safe.
/// </summary>
public interface IStoreFileSystem
{
    /// <summary>The root directory, as an absolute path for messages.</summary>
    string Root { get; }

    /// <summary>
    /// The entries of a directory (<c>""</c> is the root), each as it is, not as what it points
    /// to. Null when the directory does not exist. Throws <see cref="NotFollowedException"/> when it
    /// or a directory on the way is a symbolic link or not a directory.
    /// </summary>
    IReadOnlyList<StoreEntry>? List(string directory);

    /// <summary>The entry at <paramref name="path"/> itself (lstat(2)); <see cref="StoreEntryKind.Missing"/> if there is none.</summary>
    StoreEntry Stat(string path);

    /// <summary>
    /// Opens the regular file at <paramref name="path"/> for reading, without following a link and
    /// without blocking (a FIFO is never opened for reading, which would wait for a writer).
    /// Returns null, with <paramref name="kind"/> saying what is there instead, for anything else.
    /// </summary>
    SafeFileHandle? OpenRead(string path, out StoreEntryKind kind);

    /// <summary>Creates the directory and any missing parent below the root (the root must exist).</summary>
    void CreateDirectory(string directory);

    /// <summary>Creates a new regular file for writing; fails if anything is at <paramref name="path"/> already.</summary>
    SafeFileHandle CreateNew(string path);

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> (in the same directory) atomically.
    /// Without <paramref name="overwrite"/>, returns false and leaves both alone when
    /// <paramref name="to"/> exists.
    /// </summary>
    bool Rename(string from, string to, bool overwrite);

    /// <summary>Removes the entry at <paramref name="path"/> (a link itself, never its target); nothing there is not an error, nor is a directory.</summary>
    void Delete(string path);

    /// <summary>
    /// Removes the real directory at <paramref name="directory"/> if it is empty (rmdir: a link is
    /// never followed); false, changing nothing, when it is not empty, not there or not a directory.
    /// </summary>
    bool RemoveEmptyDirectory(string directory);
}

/// <summary>What a directory entry is, as lstat(2) sees it.</summary>
public enum StoreEntryKind
{
    /// <summary>Nothing there, or a symbolic link or non-directory on the way to it.</summary>
    Missing,

    /// <summary>A regular file.</summary>
    RegularFile,

    /// <summary>A real directory (not a link to one).</summary>
    Directory,

    /// <summary>A symbolic link, FIFO, socket or device: listed, never followed or opened.</summary>
    Other,
}

/// <summary>One directory entry.</summary>
/// <param name="Name">The entry's name in its directory.</param>
/// <param name="Kind">What it is, not what it points to.</param>
/// <param name="Length">Its length in bytes for a regular file, else 0.</param>
/// <param name="LastWriteTimeUtc">Its modification time (a link's own).</param>
public readonly record struct StoreEntry(string Name, StoreEntryKind Kind, long Length, DateTime LastWriteTimeUtc);

/// <summary>A directory below the store's root is a symbolic link or not a directory, and was not followed.</summary>
public sealed class NotFollowedException(string root, string path)
    : IOException($"{path} in store directory {root} is a symbolic link or not a directory; not followed")
{
    /// <summary>The path below the root that was refused.</summary>
    public string Path { get; } = path;
}
