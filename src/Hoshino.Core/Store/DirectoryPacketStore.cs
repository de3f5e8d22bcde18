using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Hoshino.Store;

/// <summary>
/// A directory used as the bucket (<c>dir:/PATH</c>): the same key layout and object format as S3,
/// one file per object. Writes go to a hidden temporary file in the same directory and are renamed
/// into place, so a reader sees a whole object or none; rename is atomic on local filesystems and
/// on NFS. Several nodes may share one directory.
/// <para>
/// Whoever may write the directory may put links, FIFOs or devices into it, so every file
/// operation goes through an <see cref="IStoreFileSystem"/> that follows nothing below the root:
/// a regular file is an object; any other entry that is not a directory (a symbolic link, a link to
/// a directory, a FIFO) is listed as an empty object and never opened, so a receiver rejects it as
/// empty and deletes the entry itself; a key through a linked directory does not exist, and a write
/// through one is refused. The daemon passes the Linux implementation, which has no window between
/// checking and using a path; <see cref="PortableStoreFileSystem"/>, the default, does (see there).
/// </para>
/// </summary>
public sealed class DirectoryPacketStore : IPacketStore
{
    private const string TempPrefix = ".tmp-";
    private readonly IStoreFileSystem _files;

    /// <param name="root">The directory standing for the bucket; it must exist.</param>
    /// <param name="keyPrefix">Prepended to every key, like an S3 key prefix (may contain '/').</param>
    public DirectoryPacketStore(string root, string keyPrefix = "")
        : this(new PortableStoreFileSystem(root), keyPrefix)
    {
    }

    /// <param name="files">The store's directory, e.g. <c>Hoshino.Linux.Store.LinuxStoreFileSystem</c>.</param>
    /// <param name="keyPrefix">Prepended to every key, like an S3 key prefix (may contain '/').</param>
    public DirectoryPacketStore(IStoreFileSystem files, string keyPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(files);
        _files = files;
        KeyPrefix = keyPrefix;
        Description = $"dir:{files.Root}" + (keyPrefix.Length > 0 ? $" (prefix {keyPrefix})" : "");
    }

    public string KeyPrefix { get; }

    public string Description { get; }

    public Task ProbeAsync(string inboxPrefix, CancellationToken cancellationToken)
    {
        string inbox = PathOf(inboxPrefix);
        try
        {
            _files.CreateDirectory(inbox);
            string probe = Join(inbox, TempPrefix + "probe-" + Guid.NewGuid().ToString("n"));
            _files.CreateNew(probe).Dispose();
            _files.Delete(probe);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new PacketStoreException(StoreErrorKind.NoSuchBucket, $"store directory {_files.Root} does not exist", ex);
        }
        catch (NotFollowedException ex)
        {
            throw new PacketStoreException(StoreErrorKind.AccessDenied, ex.Message, ex);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new PacketStoreException(StoreErrorKind.AccessDenied, $"writing to store directory {_files.Root}/{inbox}: {ex.Message}", ex);
        }
        return Task.CompletedTask;
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        await WriteAsync(key, body, overwrite: true, cancellationToken);

    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        WriteAsync(key, body, overwrite: false, cancellationToken);

    /// <summary>Temp file, then rename into place; without overwrite the rename fails if the key exists (link(2) semantics).</summary>
    private async Task<bool> WriteAsync(string key, ReadOnlyMemory<byte> body, bool overwrite, CancellationToken cancellationToken)
    {
        string path = PathOf(key);
        string directory = DirectoryOf(path);
        string temp = Join(directory, TempPrefix + Guid.NewGuid().ToString("n"));
        bool created = false;
        try
        {
            _files.CreateDirectory(directory);
            using (SafeFileHandle file = _files.CreateNew(temp))
            {
                created = true;
                await RandomAccess.WriteAsync(file, body, 0, cancellationToken);
            }
            if (_files.Rename(temp, path, overwrite))
            {
                return true;
            }
            TryDelete(temp); // the key exists (or another writer won the race)
            return false;
        }
        catch (NotFollowedException ex)
        {
            TryDelete(created ? temp : null);
            throw new PacketStoreException(StoreErrorKind.AccessDenied, $"writing {key}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(created ? temp : null);
            throw Translate("writing", key, ex);
        }
        catch
        {
            TryDelete(created ? temp : null);
            throw;
        }
    }

    public Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int limit, CancellationToken cancellationToken)
    {
        // Keys map to paths one to one; a prefix ending in '/' is a directory. Directories are
        // walked with a stack of our own: only real directories are entered, never a link to one.
        string top = PathOf(prefix).TrimEnd('/');
        DateTimeOffset now = DateTimeOffset.UtcNow; // compared with file times, which are the wall clock's
        var found = new List<StoredObject>();
        var pending = new Stack<string>();
        pending.Push(top);
        try
        {
            while (pending.TryPop(out string? directory))
            {
                cancellationToken.ThrowIfCancellationRequested();
                IReadOnlyList<StoreEntry>? entries;
                try
                {
                    entries = _files.List(directory);
                }
                catch (NotFollowedException) when (directory != top)
                {
                    continue; // became a link after its parent was listed: skipped like any vanished directory
                }
                if (entries is { Count: 0 } && directory != top && now - ModifiedOf(_files.Stat(directory)) > EmptyDirectoryAge)
                {
                    _files.RemoveEmptyDirectory(directory);
                    continue;
                }
                foreach (StoreEntry entry in entries ?? [])
                {
                    if (entry.Name.StartsWith(TempPrefix, StringComparison.Ordinal))
                    {
                        continue;
                    }
                    string path = Join(directory, entry.Name);
                    switch (entry.Kind)
                    {
                        case StoreEntryKind.Directory:
                            pending.Push(path);
                            break;
                        case StoreEntryKind.RegularFile or StoreEntryKind.Other:
                            found.Add(new StoredObject(KeyOf(path), entry.Length, TagOf(entry, path), ModifiedOf(entry)));
                            break;
                    }
                }
            }
        }
        catch (NotFollowedException ex)
        {
            throw new PacketStoreException(StoreErrorKind.Other, $"listing {prefix}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Translate("listing", prefix, ex);
        }
        found.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        if (found.Count > limit)
        {
            found.RemoveRange(limit, found.Count - limit);
        }
        return Task.FromResult<IReadOnlyList<StoredObject>>(found);
    }

    public async Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        (await ReadAsync(key, maxBytes, cancellationToken))?.Body;

    public async Task<StoredBody?> ReadAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        string path = PathOf(key);
        try
        {
            using SafeFileHandle? file = _files.OpenRead(path, out StoreEntryKind kind);
            if (file is null)
            {
                // Not a regular file: an empty object if something else is there (as listed), else none.
                return kind == StoreEntryKind.Other ? new StoredBody([], ModifiedOf(_files.Stat(path))) : null;
            }
            long length = RandomAccess.GetLength(file);
            if (length > maxBytes)
            {
                throw new PacketStoreException(StoreErrorKind.TooLarge, $"object {key} is {length} bytes, over the limit of {maxBytes}");
            }
            // The open file's own time: a rename over it since would be another file, read whole or not at all.
            var modified = new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
            byte[] body = new byte[length];
            int read = 0;
            while (read < body.Length)
            {
                int n = await RandomAccess.ReadAsync(file, body.AsMemory(read), read, cancellationToken);
                if (n == 0)
                {
                    throw new EndOfStreamException($"object {key} was truncated while being read");
                }
                read += n;
            }
            return new StoredBody(body, modified);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Translate("reading", key, ex);
        }
    }

    private static DateTimeOffset ModifiedOf(StoreEntry entry) =>
        entry.Kind == StoreEntryKind.Missing ? default : new DateTimeOffset(DateTime.SpecifyKind(entry.LastWriteTimeUtc, DateTimeKind.Utc));

    public Task<string?> GetTagAsync(string key, CancellationToken cancellationToken)
    {
        string path = PathOf(key);
        try
        {
            StoreEntry entry = _files.Stat(path);
            return Task.FromResult(entry.Kind is StoreEntryKind.RegularFile or StoreEntryKind.Other ? TagOf(entry, path) : null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Translate("reading", key, ex);
        }
    }

    /// <summary>
    /// Every write is a new file renamed into place, so its modification time and length tell most
    /// versions apart. File times are only as fine as the kernel's coarse clock (a few milliseconds),
    /// so a tiny object (a doorbell) also puts its content into the tag: two rings in one tick differ.
    /// Only a regular file's content is read; any other entry's tag is its own time (a link's, not
    /// its target's).
    /// </summary>
    private string TagOf(StoreEntry entry, string path)
    {
        string tag = string.Create(CultureInfo.InvariantCulture, $"{entry.LastWriteTimeUtc.Ticks:x}-{entry.Length:x}");
        if (entry.Kind == StoreEntryKind.RegularFile && entry.Length is > 0 and <= SmallObjectBytes)
        {
            try
            {
                using SafeFileHandle? file = _files.OpenRead(path, out _);
                if (file is not null)
                {
                    Span<byte> content = stackalloc byte[SmallObjectBytes];
                    int n = RandomAccess.Read(file, content, 0);
                    tag += "-" + Convert.ToHexString(content[..n]);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Replaced or deleted meanwhile: the time and length still tell this version.
            }
        }
        return tag;
    }

    /// <summary>
    /// An empty directory below a listed prefix, untouched this long, is removed by the listing:
    /// every v2 stream has a directory of its own (<c>{dest}/{src}/{epoch}/</c>), which would
    /// otherwise stay behind once its objects are delivered and deleted, one per sender restart,
    /// forever. Old enough that its writer has long moved on (a quiet stream is continued for up to
    /// 5 minutes, and a write that loses the race with this rmdir fails and is retried).
    /// </summary>
    internal static readonly TimeSpan EmptyDirectoryAge = TimeSpan.FromMinutes(10);

    /// <summary>Objects this small carry their content in their tag (see <see cref="TagOf"/>).</summary>
    private const int SmallObjectBytes = 64;

    public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (string key in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                _files.Delete(PathOf(key)); // no error when missing; a link is removed, never followed
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Translate("deleting", key, ex);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The key's path below the root: the key prefix and the key, '/'-separated, every component
    /// non-empty and neither "." nor ".." (a trailing '/' marks a directory). Keys come from our own
    /// code and from listings, but none may leave the root or name it twice.
    /// </summary>
    private string PathOf(string key)
    {
        string path = KeyPrefix + key;
        string trimmed = path.EndsWith('/') ? path[..^1] : path;
        if (trimmed.Length > 0 && (trimmed.Contains('\0', StringComparison.Ordinal)
            || trimmed.Split('/').Any(c => c.Length == 0 || c is "." or "..")))
        {
            throw new PacketStoreException(StoreErrorKind.Other, $"key '{key}' leaves the store directory or is not a path in it");
        }
        return path;
    }

    private string KeyOf(string path) =>
        path.StartsWith(KeyPrefix, StringComparison.Ordinal) ? path[KeyPrefix.Length..] : path;

    private static string Join(string directory, string name) =>
        directory.Length == 0 ? name : directory.EndsWith('/') ? directory + name : directory + "/" + name;

    private static string DirectoryOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    private static PacketStoreException Translate(string operation, string key, Exception ex) =>
        new(ex is UnauthorizedAccessException ? StoreErrorKind.AccessDenied : StoreErrorKind.Transient,
            $"{operation} {key} in store directory: {ex.Message}", ex);

    private void TryDelete(string? path)
    {
        if (path is null)
        {
            return;
        }
        try
        {
            _files.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
