using System.Diagnostics;
using System.Text;
using Hoshino.Linux.Store;
using Hoshino.Store;
using Hoshino.UnitTests.TestSupport;

namespace Hoshino.UnitTests.Store;

/// <summary>
/// A <c>dir:</c> store shared with a hostile peer: anyone who may write the directory may put a
/// symbolic link, a FIFO or a symlinked directory where an object or an inbox should be. The node
/// must neither read, write nor delete anything outside the store through them, nor hang on a FIFO.
/// Every test keeps an <c>outside</c> directory next to the store's root and checks it is untouched.
/// Operations that could hang run on the thread pool under <see cref="Prompt"/>'s deadline, so a
/// regression fails the test instead of hanging the run.
/// </summary>
public abstract class DirectoryStoreHostileEntries : IDisposable
{
    private const string Dest = "fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f";
    private const string Src = "fd5e:59b8:f71d:9a3e::1";
    private const int MaxBytes = 1 << 20;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private readonly TempDirectory _temp = new();
    private readonly List<string> _fifos = [];

    protected DirectoryStoreHostileEntries()
    {
        Root = Path.Combine(_temp.Path, "bucket");
        Outside = Path.Combine(_temp.Path, "outside");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "secret"), "secret");
        File.WriteAllText(Path.Combine(Outside, Ulid.NewUlid().ToString()), "a file with an object's name");
    }

    /// <summary>The store's root directory (the "bucket").</summary>
    protected string Root { get; }

    /// <summary>A directory beside the root that the store must never touch.</summary>
    protected string Outside { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The store under test on <paramref name="root"/>.</summary>
    protected abstract IPacketStore CreateStore(string root);

    public void Dispose()
    {
        // A regression may have left a reader blocked in open(2) on a FIFO: a writer releases it.
        foreach (string fifo in _fifos)
        {
            _ = Task.Run(() =>
            {
                try
                {
                    using FileStream writer = new(fifo, FileMode.Open, FileAccess.Write);
                }
                catch (IOException)
                {
                }
            });
        }
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ObjectIsSymlinkToFileOutside_ListedAsEmptyObject_NeverReadAndOnlyTheLinkDeleted()
    {
        IPacketStore store = CreateStore(Root);
        string key = $"{Dest}/{Src}/{Ulid.NewUlid()}";
        Directory.CreateDirectory(Path.Combine(Root, Dest, Src));
        File.CreateSymbolicLink(Path.Combine(Root, key), Path.Combine(Outside, "secret"));
        IReadOnlyList<StoredObject> before = OutsideSnapshot();

        IReadOnlyList<StoredObject> listed = await Prompt(() => store.ListAsync(Dest + "/", 100, Ct));
        byte[]? body = await Prompt(() => store.GetAsync(key, MaxBytes, Ct));
        string? tag = await Prompt(() => store.GetTagAsync(key, Ct));
        await Prompt(() => store.DeleteAsync([key], Ct));

        Assert.Equal([new StoredObject(key, 0, listed.Single().Tag, listed.Single().LastModified)], listed);
        Assert.NotNull(body);
        Assert.Empty(body); // never the target's bytes
        Assert.NotNull(tag);
        Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes("secret")), tag + listed.Single().Tag, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(Root, key)), "the link itself is deleted");
        Assert.Equal(before, OutsideSnapshot());
    }

    [Fact]
    public async Task SenderDirectoryIsSymlinkToOutside_NotFollowedByListGetDeleteOrPut()
    {
        IPacketStore store = CreateStore(Root);
        string objectName = Directory.GetFiles(Outside).Select(Path.GetFileName).Single(n => n != "secret")!;
        Directory.CreateDirectory(Path.Combine(Root, Dest));
        Directory.CreateSymbolicLink(Path.Combine(Root, Dest, Src), Outside);
        IReadOnlyList<StoredObject> before = OutsideSnapshot();
        string throughLink = $"{Dest}/{Src}/{objectName}";

        IReadOnlyList<StoredObject> listed = await Prompt(() => store.ListAsync(Dest + "/", 100, Ct));
        byte[]? body = await Prompt(() => store.GetAsync(throughLink, MaxBytes, Ct));
        string? tag = await Prompt(() => store.GetTagAsync(throughLink, Ct));
        await Prompt(() => store.DeleteAsync([throughLink, $"{Dest}/{Src}/secret"], Ct));
        Exception? put = await Record.ExceptionAsync(() => Prompt(() => store.PutAsync($"{Dest}/{Src}/{Ulid.NewUlid()}", "x"u8.ToArray(), Ct)));
        Exception? putIfAbsent = await Record.ExceptionAsync(() => Prompt(() => store.PutIfAbsentAsync($"{Dest}/{Src}/lease", "x"u8.ToArray(), Ct)));

        // The link is one entry of the inbox (an empty object, which a receiver rejects and deletes);
        // nothing behind it is listed, read or deleted, and nothing is written through it.
        Assert.Equal([$"{Dest}/{Src}"], listed.Select(o => o.Key));
        Assert.Equal(0, listed.Single().Size);
        Assert.Null(body);
        Assert.Null(tag);
        Assert.IsType<PacketStoreException>(put);
        Assert.IsType<PacketStoreException>(putIfAbsent);
        Assert.Equal(before, OutsideSnapshot());

        await Prompt(() => store.DeleteAsync([$"{Dest}/{Src}"], Ct));

        Assert.False(Path.Exists(Path.Combine(Root, Dest, Src)), "deleting the link's own key removes the link");
        Assert.Equal(before, OutsideSnapshot());
    }

    [Fact]
    public async Task InboxDirectoryIsSymlinkToOutside_ListAndProbeRefusedAndNothingTouched()
    {
        IPacketStore store = CreateStore(Root);
        Directory.CreateSymbolicLink(Path.Combine(Root, Dest), Outside);
        IReadOnlyList<StoredObject> before = OutsideSnapshot();

        Exception? list = await Record.ExceptionAsync(() => Prompt(() => store.ListAsync(Dest + "/", 100, Ct)));
        Exception? probe = await Record.ExceptionAsync(() => Prompt(() => store.ProbeAsync(Dest + "/", Ct)));
        await Prompt(() => store.DeleteAsync([$"{Dest}/secret"], Ct));

        // Refused loudly: an inbox that is a link is a hostile peer's doing, and the operator must hear of it.
        Assert.Contains("symbolic link", Assert.IsType<PacketStoreException>(list).Message, StringComparison.Ordinal);
        Assert.IsType<PacketStoreException>(probe);
        Assert.Equal(before, OutsideSnapshot());
    }

    [Fact]
    public async Task ObjectIsFifo_ListGetTagAndDeleteReturnPromptly()
    {
        IPacketStore store = CreateStore(Root);
        string key = $"{Dest}/{Src}/{Ulid.NewUlid()}";
        Directory.CreateDirectory(Path.Combine(Root, Dest, Src));
        MakeFifo(Path.Combine(Root, key));

        IReadOnlyList<StoredObject> listed = await Prompt(() => store.ListAsync(Dest + "/", 100, Ct));
        byte[]? body = await Prompt(() => store.GetAsync(key, MaxBytes, Ct));
        string? tag = await Prompt(() => store.GetTagAsync(key, Ct));
        await Prompt(() => store.DeleteAsync([key], Ct));

        Assert.Equal([key], listed.Select(o => o.Key));
        Assert.Equal(0, listed.Single().Size);
        Assert.NotNull(body);
        Assert.Empty(body);
        Assert.NotNull(tag);
        Assert.False(Path.Exists(Path.Combine(Root, key)), "the FIFO is deleted like any rejected object");
    }

    [Fact]
    public async Task ObjectIsSymlinkToFifoOutside_GetReturnsPromptlyWithoutOpeningIt()
    {
        IPacketStore store = CreateStore(Root);
        string key = $"{Dest}/{Src}/{Ulid.NewUlid()}";
        string fifo = Path.Combine(Outside, "fifo");
        MakeFifo(fifo);
        Directory.CreateDirectory(Path.Combine(Root, Dest, Src));
        File.CreateSymbolicLink(Path.Combine(Root, key), fifo);

        byte[]? body = await Prompt(() => store.GetAsync(key, MaxBytes, Ct));
        string? tag = await Prompt(() => store.GetTagAsync(key, Ct));

        Assert.NotNull(body);
        Assert.Empty(body);
        Assert.NotNull(tag);
        Assert.True(File.Exists(fifo));
    }

    [Fact]
    public async Task DoorbellIsSymlink_TagIsTheLinksNotTheTargetsAndNothingIsRead()
    {
        IPacketStore store = CreateStore(Root);
        string doorbell = $"{Dest}/doorbell";
        Directory.CreateDirectory(Path.Combine(Root, Dest));
        // Relative, so that the link itself is short: a store that followed it would read the
        // target's six bytes into the tag, as it does for any object of 64 bytes or less.
        File.CreateSymbolicLink(Path.Combine(Root, doorbell), "../../outside/secret");
        Assert.Equal("secret", File.ReadAllText(Path.Combine(Root, doorbell)));
        IReadOnlyList<StoredObject> before = OutsideSnapshot();

        string? tag = await Prompt(() => store.GetTagAsync(doorbell, Ct));
        IReadOnlyList<StoredObject> listed = await Prompt(() => store.ListAsync(Dest + "/", 100, Ct));
        File.WriteAllText(Path.Combine(Outside, "secret"), "changed"); // the target changes, the link does not
        string? again = await Prompt(() => store.GetTagAsync(doorbell, Ct));

        Assert.NotNull(tag);
        Assert.Equal(tag, listed.Single(o => o.Key == doorbell).Tag);
        Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes("secret")), tag, StringComparison.Ordinal);
        Assert.Equal(tag, again);
        Assert.Equal(before.Select(o => o.Key), OutsideSnapshot().Select(o => o.Key));
    }

    [Fact]
    public async Task DestinationInboxIsSymlinkToOutside_PutRefusedAndNothingWritten()
    {
        IPacketStore store = CreateStore(Root);
        Directory.CreateSymbolicLink(Path.Combine(Root, Dest), Outside);
        IReadOnlyList<StoredObject> before = OutsideSnapshot();

        Exception? put = await Record.ExceptionAsync(() => Prompt(() => store.PutAsync($"{Dest}/{Src}/{Ulid.NewUlid()}", "x"u8.ToArray(), Ct)));
        Exception? ring = await Record.ExceptionAsync(() => Prompt(() => store.PutAsync($"{Dest}/doorbell", "ring"u8.ToArray(), Ct)));

        Assert.IsType<PacketStoreException>(put);
        Assert.IsType<PacketStoreException>(ring);
        Assert.False(Directory.Exists(Path.Combine(Outside, Src)), "no sender directory made through the link");
        Assert.Equal(before, OutsideSnapshot()); // not even a temporary file
    }

    [Fact]
    public async Task ObjectIsSymlinkToDirectoryOutside_ListedAsOneEmptyObjectAndDeletingItRemovesOnlyTheLink()
    {
        IPacketStore store = CreateStore(Root);
        string key = $"{Dest}/{Src}/{Ulid.NewUlid()}";
        Directory.CreateDirectory(Path.Combine(Root, Dest, Src));
        Directory.CreateSymbolicLink(Path.Combine(Root, key), Outside);
        IReadOnlyList<StoredObject> before = OutsideSnapshot();

        IReadOnlyList<StoredObject> listed = await Prompt(() => store.ListAsync(Dest + "/", 100, Ct));
        byte[]? body = await Prompt(() => store.GetAsync(key, MaxBytes, Ct));
        await Prompt(() => store.DeleteAsync([key], Ct));

        Assert.Equal([key], listed.Select(o => o.Key));
        Assert.NotNull(body);
        Assert.Empty(body);
        Assert.False(Path.Exists(Path.Combine(Root, key)));
        Assert.Equal(before, OutsideSnapshot());
    }

    [Fact]
    public async Task SymlinkLoopInInbox_ListingEnds()
    {
        IPacketStore store = CreateStore(Root);
        Directory.CreateDirectory(Path.Combine(Root, Dest, Src));
        Directory.CreateSymbolicLink(Path.Combine(Root, Dest, Src, "loop"), Path.Combine(Root, Dest));
        string key = $"{Dest}/{Src}/{Ulid.NewUlid()}";
        await store.PutAsync(key, "x"u8.ToArray(), Ct);

        IReadOnlyList<StoredObject> listed = await Prompt(() => store.ListAsync(Dest + "/", 1000, Ct));

        Assert.Equal(new[] { $"{Dest}/{Src}/loop", key }.Order(StringComparer.Ordinal), listed.Select(o => o.Key));
    }

    /// <summary>Runs <paramref name="operation"/> on the thread pool (a blocking open must not block the test) within <see cref="Deadline"/>.</summary>
    private static async Task<T> Prompt<T>(Func<Task<T>> operation)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            return await Task.Run(operation, Ct).WaitAsync(Deadline, Ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the store did not answer within {Deadline.TotalSeconds:0} s (blocked on a FIFO or a link?)");
            throw;
        }
        finally
        {
            Assert.True(watch.Elapsed < Deadline, $"took {watch.Elapsed}");
        }
    }

    private static Task Prompt(Func<Task> operation) => Prompt(async () =>
    {
        await operation();
        return true;
    });

    private void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.True(mkfifo.ExitCode == 0 && File.Exists(path), $"mkfifo {path} failed");
        _fifos.Add(path);
    }

    [Fact]
    public async Task List_OldEmptyStreamDirectories_Removed_FreshOnesAndLinkedOnesKept()
    {
        // v2 keys put each stream in a directory of its own; delivered and deleted, it stays empty.
        IPacketStore store = CreateStore(Root);
        string oldStream = $"{Dest}/{Src}/{Ulid.NewUlid()}", freshStream = $"{Dest}/{Src}/{Ulid.NewUlid()}";
        await store.PutAsync(oldStream + "/0000000000000000", Encoding.ASCII.GetBytes("x"), Ct);
        await store.PutAsync(freshStream + "/0000000000000000", Encoding.ASCII.GetBytes("y"), Ct);
        await store.DeleteAsync([oldStream + "/0000000000000000", freshStream + "/0000000000000000"], Ct);
        Directory.SetLastWriteTimeUtc(Path.Combine(Root, oldStream), DateTime.UtcNow - DirectoryPacketStore.EmptyDirectoryAge - TimeSpan.FromMinutes(1));
        string linkedOld = Path.Combine(Root, Dest, "linked");
        Directory.CreateSymbolicLink(linkedOld, Outside);
        string emptyOutside = Path.Combine(Outside, "empty");
        Directory.CreateDirectory(emptyOutside);
        Directory.SetLastWriteTimeUtc(emptyOutside, DateTime.UtcNow - TimeSpan.FromDays(1));
        Assert.True(Directory.Exists(Path.Combine(Root, oldStream)), "the old stream's directory was there");

        IReadOnlyList<StoredObject> listed = await Prompt(() => store.ListAsync(Dest + "/", 100, Ct));

        Assert.DoesNotContain(listed, o => o.Key.StartsWith(oldStream, StringComparison.Ordinal) || o.Key.StartsWith(freshStream, StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(Root, oldStream)), "an empty stream directory untouched for longer than the age is removed");
        Assert.True(Directory.Exists(Path.Combine(Root, freshStream)), "a fresh one stays: its writer may be about to use it");
        Assert.True(Directory.Exists(emptyOutside), "nothing outside the store, even empty and old, is removed through a link");
    }

    /// <summary>Every file below <see cref="Outside"/> with its length and content: what must never change.</summary>
    private IReadOnlyList<StoredObject> OutsideSnapshot() =>
        [.. Directory.GetFileSystemEntries(Outside, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p => new FileInfo(p) is { Attributes: var a } info && !a.HasFlag(FileAttributes.Directory) && info.Length > 0
                ? new StoredObject(p, info.Length, File.ReadAllText(p))
                : new StoredObject(p, 0))];
}

/// <summary>The hostile entries against the store as constructed with a path alone (<see cref="PortableStoreFileSystem"/>).</summary>
public sealed class PortableDirectoryStoreHostileEntriesTests : DirectoryStoreHostileEntries
{
    protected override IPacketStore CreateStore(string root) => new DirectoryPacketStore(root);
}

/// <summary>The hostile entries against the daemon's store (<see cref="LinuxStoreFileSystem"/>).</summary>
public sealed class LinuxDirectoryStoreHostileEntriesTests : DirectoryStoreHostileEntries
{
    protected override IPacketStore CreateStore(string root) => new DirectoryPacketStore(new LinuxStoreFileSystem(root));
}
