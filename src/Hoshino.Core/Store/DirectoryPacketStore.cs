using System.Globalization;
namespace Hoshino.Store;

/// <summary>
/// A directory used as the bucket (<c>dir:/PATH</c>): the same key layout and object format as S3,
/// one file per object. Writes go to a hidden temporary file in the same directory and are renamed
/// into place, so a reader sees a whole object or none; rename is atomic on local filesystems and
/// on NFS. Several nodes may share one directory.
/// </summary>
public sealed class DirectoryPacketStore : IPacketStore
{
    private const string TempPrefix = ".tmp-";
    private readonly string _root;

    /// <param name="root">The directory standing for the bucket; it must exist.</param>
    /// <param name="keyPrefix">Prepended to every key, like an S3 key prefix (may contain '/').</param>
    public DirectoryPacketStore(string root, string keyPrefix = "")
    {
        _root = Path.GetFullPath(root);
        KeyPrefix = keyPrefix;
        Description = $"dir:{_root}" + (keyPrefix.Length > 0 ? $" (prefix {keyPrefix})" : "");
    }

    public string KeyPrefix { get; }

    public string Description { get; }

    public Task ProbeAsync(string inboxPrefix, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
        {
            throw new PacketStoreException(StoreErrorKind.NoSuchBucket,
                $"store directory {_root} does not exist");
        }
        string inbox = PathOf(inboxPrefix);
        try
        {
            Directory.CreateDirectory(inbox);
            string probe = Path.Combine(inbox, TempPrefix + "probe-" + Guid.NewGuid().ToString("n"));
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new PacketStoreException(StoreErrorKind.AccessDenied, $"writing to store directory {inbox}: {ex.Message}", ex);
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
        string directory = Path.GetDirectoryName(path)!;
        string temp = Path.Combine(directory, TempPrefix + Guid.NewGuid().ToString("n"));
        try
        {
            Directory.CreateDirectory(directory);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await file.WriteAsync(body, cancellationToken);
            }
            if (!overwrite && File.Exists(path))
            {
                TryDelete(temp);
                return false;
            }
            try
            {
                File.Move(temp, path, overwrite);
            }
            catch (IOException) when (!overwrite && File.Exists(path))
            {
                TryDelete(temp); // lost the race to another writer
                return false;
            }
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw Translate("writing", key, ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int limit, CancellationToken cancellationToken)
    {
        // Keys map to paths one to one; a prefix ending in '/' is a directory.
        string directory = PathOf(prefix);
        var found = new List<StoredObject>();
        if (!Directory.Exists(directory))
        {
            return Task.FromResult<IReadOnlyList<StoredObject>>(found);
        }
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
            foreach (string file in Directory.EnumerateFiles(directory, "*", options))
            {
                if (Path.GetFileName(file).StartsWith(TempPrefix, StringComparison.Ordinal))
                {
                    continue;
                }
                var info = new FileInfo(file);
                long size;
                string tag;
                try
                {
                    size = info.Length;
                    tag = TagOf(info);
                }
                catch (FileNotFoundException)
                {
                    continue; // deleted while listing
                }
                found.Add(new StoredObject(KeyOf(file), size, tag));
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The inbox was removed while listing: as empty as it gets.
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

    public async Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
            if (file.Length > maxBytes)
            {
                throw new PacketStoreException(StoreErrorKind.TooLarge, $"object {key} is {file.Length} bytes, over the limit of {maxBytes}");
            }
            byte[] body = new byte[file.Length];
            await file.ReadExactlyAsync(body, cancellationToken);
            return body;
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

    public Task<string?> GetTagAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(PathOf(key));
            return Task.FromResult<string?>(info.Exists ? TagOf(info) : null);
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
    /// </summary>
    private static string TagOf(FileInfo info)
    {
        string tag = string.Create(CultureInfo.InvariantCulture, $"{info.LastWriteTimeUtc.Ticks:x}-{info.Length:x}");
        if (info.Length is > 0 and <= SmallObjectBytes)
        {
            try
            {
                tag += "-" + Convert.ToHexString(File.ReadAllBytes(info.FullName));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Replaced or deleted meanwhile: the time and length still tell this version.
            }
        }
        return tag;
    }

    /// <summary>Objects this small carry their content in their tag (see <see cref="TagOf"/>).</summary>
    private const int SmallObjectBytes = 64;

    public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (string key in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                File.Delete(PathOf(key)); // no error when missing
            }
            catch (DirectoryNotFoundException)
            {
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Translate("deleting", key, ex);
            }
        }
        return Task.CompletedTask;
    }

    private string PathOf(string key)
    {
        string full = Path.GetFullPath(Path.Combine(_root, KeyPrefix + key));
        // Keys come from our own code, but never let "..", or an absolute key, escape the root.
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && full != _root)
        {
            throw new PacketStoreException(StoreErrorKind.Other, $"key '{key}' leaves the store directory");
        }
        return key.EndsWith('/') ? full + Path.DirectorySeparatorChar : full;
    }

    private string KeyOf(string path)
    {
        string relative = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
        return relative.StartsWith(KeyPrefix, StringComparison.Ordinal) ? relative[KeyPrefix.Length..] : relative;
    }

    private static PacketStoreException Translate(string operation, string key, Exception ex) =>
        new(ex is UnauthorizedAccessException ? StoreErrorKind.AccessDenied : StoreErrorKind.Transient,
            $"{operation} {key} in store directory: {ex.Message}", ex);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
