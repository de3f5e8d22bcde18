using Hoshino.TestSupport.Store;
using Hoshino.Linux.Store;
using Hoshino.Store;
using Hoshino.UnitTests.TestSupport;

namespace Hoshino.UnitTests.Store;

/// <summary>
/// The shared store contract, plus what is particular to a directory standing in for the bucket;
/// once per <see cref="IStoreFileSystem"/> (the hostile entries are in <see cref="DirectoryStoreHostileEntries"/>).
/// </summary>
public abstract class DirectoryPacketStoreTests : PacketStoreContract, IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose()
    {
        _root.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The store under test on <paramref name="root"/>.</summary>
    protected abstract DirectoryPacketStore NewStore(string root, string keyPrefix = "");

    protected override Task<IPacketStore> CreateStoreAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IPacketStore>(NewStore(_root.Path));

    [Fact]
    public async Task Put_Object_IsOneFileAtTheKeyPath()
    {
        var store = NewStore(_root.Path);
        string key = KeyFor();

        await store.PutAsync(key, Body("x"), Ct);

        string path = Path.Combine(_root.Path, key.Replace('/', Path.DirectorySeparatorChar));
        Assert.Equal(Body("x"), await File.ReadAllBytesAsync(path, Ct));
        Assert.Equal([path], Directory.GetFiles(_root.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Put_SameKeyTwice_LastBodyWins()
    {
        var store = NewStore(_root.Path);
        string key = KeyFor();

        await store.PutAsync(key, Body("first"), Ct);
        await store.PutAsync(key, Body("second"), Ct);

        Assert.Equal(Body("second"), await store.GetAsync(key, MaxBytes, Ct));
        Assert.Single(await store.ListAsync(Inbox(Dest), 10, Ct));
    }

    [Fact]
    public async Task List_TemporaryFilesOfUnfinishedPuts_NotListed()
    {
        var store = NewStore(_root.Path);
        string key = KeyFor();
        await store.PutAsync(key, Body("done"), Ct);
        string senderDir = Path.GetDirectoryName(Path.Combine(_root.Path, key))!;
        await File.WriteAllBytesAsync(Path.Combine(senderDir, ".tmp-" + Guid.NewGuid().ToString("n")), Body("half"), Ct);
        Directory.CreateDirectory(Path.Combine(_root.Path, Dest, "fd5e:59b8:f71d:9a3e::9"));
        await File.WriteAllBytesAsync(Path.Combine(_root.Path, Dest, "fd5e:59b8:f71d:9a3e::9", ".tmp-abc"), Body("half"), Ct);

        IReadOnlyList<StoredObject> listed = await store.ListAsync(Inbox(Dest), 100, Ct);

        Assert.Equal([key], listed.Select(o => o.Key));
    }

    [Fact]
    public async Task Put_Finished_LeavesNoTemporaryFiles()
    {
        var store = NewStore(_root.Path);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => store.PutAsync(KeyFor(), new byte[10_000], Ct)));

        Assert.DoesNotContain(Directory.GetFiles(_root.Path, "*", SearchOption.AllDirectories), f => Path.GetFileName(f).StartsWith(".tmp-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_WhileWritersReplaceLargeObjects_NeverSeesPartialObject()
    {
        var store = NewStore(_root.Path);
        const int Size = 1 << 20;
        string[] keys = [KeyFor(), KeyFor(Dest, "fd5e:59b8:f71d:9a3e::2")];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        int reads = 0, puts = 0;

        Task Writer(string key, byte seed) => Task.Run(async () =>
        {
            byte[] body = new byte[Size];
            for (byte generation = seed; !stop.IsCancellationRequested; generation++)
            {
                Array.Fill(body, generation);
                await store.PutAsync(key, body, CancellationToken.None);
                Interlocked.Increment(ref puts);
            }
        }, CancellationToken.None);

        Task Reader() => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (StoredObject item in await store.ListAsync(Inbox(Dest), 100, CancellationToken.None))
                {
                    Assert.Contains(item.Key, keys);
                    Assert.Equal(Size, item.Size);
                    byte[]? body = await store.GetAsync(item.Key, Size, CancellationToken.None);
                    Assert.NotNull(body);
                    Assert.Equal(Size, body.Length);
                    Assert.True(body.AsSpan().IndexOfAnyExcept(body[0]) < 0, "a reader saw a mix of two writes");
                    Interlocked.Increment(ref reads);
                }
            }
        }, CancellationToken.None);

        Task[] tasks = [Writer(keys[0], 0), Writer(keys[1], 100), Reader(), Reader()];
        await Eventually.True(() => Volatile.Read(ref reads) >= 200 && Volatile.Read(ref puts) >= 100, "readers and writers overlapped long enough");
        await stop.CancelAsync();
        await Task.WhenAll(tasks);
    }

    [Theory]
    [InlineData("../escaped")]
    [InlineData("../../escaped")]
    [InlineData("a/../../escaped")]
    [InlineData("/tmp/escaped-absolute")]
    public async Task Put_KeyLeavingRoot_RefusedAndNothingWritten(string key)
    {
        string inner = Path.Combine(_root.Path, "bucket");
        Directory.CreateDirectory(inner);
        var store = NewStore(inner);

        await Assert.ThrowsAsync<PacketStoreException>(() => store.PutAsync(key, Body("x"), Ct));

        Assert.Equal([inner], Directory.GetFileSystemEntries(_root.Path, "*", SearchOption.AllDirectories));
        Assert.False(File.Exists("/tmp/escaped-absolute"));
    }

    [Fact]
    public async Task Put_KeyIntoSiblingWithSameNamePrefix_Refused()
    {
        string inner = Path.Combine(_root.Path, "bucket");
        Directory.CreateDirectory(inner);
        Directory.CreateDirectory(inner + "2");
        var store = NewStore(inner);

        await Assert.ThrowsAsync<PacketStoreException>(() => store.PutAsync("../bucket2/x", Body("x"), Ct));

        Assert.Empty(Directory.GetFiles(inner + "2"));
    }

    [Fact]
    public async Task GetListDelete_KeyLeavingRoot_Refused()
    {
        string inner = Path.Combine(_root.Path, "bucket");
        Directory.CreateDirectory(inner);
        string secret = Path.Combine(_root.Path, "secret");
        await File.WriteAllBytesAsync(secret, Body("secret"), Ct);
        var store = NewStore(inner);

        await Assert.ThrowsAsync<PacketStoreException>(() => store.GetAsync("../secret", MaxBytes, Ct));
        await Assert.ThrowsAsync<PacketStoreException>(() => store.ListAsync("../", 10, Ct));
        await Assert.ThrowsAsync<PacketStoreException>(() => store.DeleteAsync(["../secret"], Ct));

        Assert.True(File.Exists(secret));
    }

    [Fact]
    public async Task KeyPrefix_AddedOnDiskAndStrippedFromListing()
    {
        var store = NewStore(_root.Path, "net1/");
        var other = NewStore(_root.Path, "net2/");
        string key = KeyFor();

        await store.PutAsync(key, Body("x"), Ct);

        Assert.True(File.Exists(Path.Combine(_root.Path, "net1", key)));
        Assert.Equal([key], (await store.ListAsync(Inbox(Dest), 10, Ct)).Select(o => o.Key));
        Assert.Empty(await other.ListAsync(Inbox(Dest), 10, Ct));
        Assert.Null(await other.GetAsync(key, MaxBytes, Ct));
        Assert.Contains("net1/", store.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_MissingRoot_NoSuchBucketNamingDirectory()
    {
        string missing = Path.Combine(_root.Path, "missing");
        var store = NewStore(missing);

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.ProbeAsync(Inbox(Dest), Ct));

        Assert.Equal(StoreErrorKind.NoSuchBucket, ex.Kind);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Probe_ExistingRoot_CreatesInboxAndLeavesNoFiles()
    {
        var store = NewStore(_root.Path);

        await store.ProbeAsync(Inbox(Dest), Ct);

        Assert.True(Directory.Exists(Path.Combine(_root.Path, Dest)));
        Assert.Empty(Directory.GetFiles(_root.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task List_InboxDirectoryMissing_Empty()
    {
        var store = NewStore(_root.Path);

        Assert.Empty(await store.ListAsync(Inbox("fd00::99"), 10, Ct));
    }

    /// <summary>
    /// Writers released together, many times over: a check-then-rename lets two of them through
    /// now and then (the second silently replacing the first), which one race in the contract
    /// shows only once in many runs.
    /// </summary>
    [Fact]
    public async Task PutIfAbsent_WritersReleasedTogetherManyTimes_EachKeyHasExactlyOneWinnerAndItsBody()
    {
        var store = NewStore(_root.Path);
        const int writers = 8, rounds = 500;
        bool[,] won = new bool[rounds, writers];
        // Threads of their own, released by a barrier each round: pool threads blocked on a barrier starve the pool.
        using var start = new Barrier(writers);
        Thread[] threads = [.. Enumerable.Range(0, writers).Select(i => new Thread(() =>
        {
            for (int round = 0; round < rounds; round++)
            {
                start.SignalAndWait(Ct);
                won[round, i] = store.PutIfAbsentAsync($"{Dest}/{Dest}/race{round}", Body($"writer {i}"), Ct).GetAwaiter().GetResult();
            }
        }))];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        for (int round = 0; round < rounds; round++)
        {
            int[] winners = [.. Enumerable.Range(0, writers).Where(i => won[round, i])];
            Assert.Single(winners);
            Assert.Equal(Body($"writer {winners[0]}"), await store.GetAsync($"{Dest}/{Dest}/race{round}", MaxBytes, Ct));
        }
    }

    [Fact]
    public async Task Description_NamesDirectory()
    {
        IPacketStore store = await CreateStoreAsync(Ct);

        Assert.Equal("dir:" + _root.Path, store.Description);
    }
}

/// <summary>With <see cref="PortableStoreFileSystem"/>, the default.</summary>
public sealed class PortableDirectoryPacketStoreTests : DirectoryPacketStoreTests
{
    protected override DirectoryPacketStore NewStore(string root, string keyPrefix = "") => new(root, keyPrefix);
}

/// <summary>With <see cref="LinuxStoreFileSystem"/>, the daemon's.</summary>
public sealed class LinuxDirectoryPacketStoreTests : DirectoryPacketStoreTests
{
    protected override DirectoryPacketStore NewStore(string root, string keyPrefix = "") => new(new LinuxStoreFileSystem(root), keyPrefix);
}

/// <summary>The in-memory fake the pump tests use passes the same contract as the real stores.</summary>
public sealed class MemoryPacketStoreTests : PacketStoreContract
{
    protected override Task<IPacketStore> CreateStoreAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IPacketStore>(new MemoryPacketStore(TimeProvider.System));
}

/// <summary>The contract holds for a store that lists in random order (S3 Express One Zone), over the in-memory store.</summary>
public sealed class ShuffledMemoryPacketStoreTests : PacketStoreContract
{
    protected override bool ListsInOrder => false;

    protected override Task<IPacketStore> CreateStoreAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IPacketStore>(new ShuffledListingStore(new MemoryPacketStore(), Random.Shared.Next()));
}

/// <summary>The same over the <c>dir:</c> store, whose own listing is sorted.</summary>
public sealed class ShuffledDirectoryPacketStoreTests : PacketStoreContract, IDisposable
{
    private readonly TempDirectory _root = new();

    protected override bool ListsInOrder => false;

    public void Dispose() => _root.Dispose();

    protected override Task<IPacketStore> CreateStoreAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IPacketStore>(new ShuffledListingStore(new DirectoryPacketStore(_root.Path), Random.Shared.Next()));
}
