using System.Text;
using Hoshino.Store;

namespace Hoshino.TestSupport.Store;

/// <summary>
/// Behaviour every <see cref="IPacketStore"/> must have. Subclass once per implementation; each
/// test gets a fresh, empty store from <see cref="CreateStoreAsync"/>: the unit tests run it against
/// the <c>dir:</c> store and the in-memory fake, the integration tests against Ceph RGW.
/// </summary>
public abstract class PacketStoreContract
{
    // Real key layout: {dest}/{src}/{ULID}, addresses in RFC 5952 text (colons and all).
    protected const string Dest = "fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f";
    protected const string Src = "fd5e:59b8:f71d:9a3e::1";
    protected const int MaxBytes = 1 << 20;

    /// <summary>A new store with nothing in it (e.g. a fresh key prefix or directory).</summary>
    protected abstract Task<IPacketStore> CreateStoreAsync(CancellationToken cancellationToken);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// False for a store that lists in no particular order (S3 Express One Zone directory buckets;
    /// <see cref="ShuffledListingStore"/>): listings are then compared as sets, and nothing else may differ.
    /// </summary>
    protected virtual bool ListsInOrder => true;

    /// <summary>The listing holds exactly <paramref name="expected"/>, in ordinal key order when the store lists in order.</summary>
    protected void AssertListed(IEnumerable<string> expected, IEnumerable<StoredObject> listed)
    {
        List<string> want = [.. expected.Order(StringComparer.Ordinal)];
        List<string> got = [.. listed.Select(o => o.Key)];
        Assert.Equal(want, ListsInOrder ? got : [.. got.Order(StringComparer.Ordinal)]);
    }

    protected static string Inbox(string node) => node + "/";

    protected static string KeyFor(string dest, string src, DateTimeOffset time) =>
        $"{dest}/{src}/{Ulid.NewUlid(time)}";

    protected static string KeyFor(string dest = Dest, string src = Src) => KeyFor(dest, src, DateTimeOffset.UtcNow);

    protected static byte[] Body(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task PutIfAbsent_NewKeyThenExisting_WritesOnceAndKeepsTheFirstBody()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string key = $"{Dest}/{Dest}/lease";

        bool first = await store.PutIfAbsentAsync(key, Body("first"), Ct);
        bool second = await store.PutIfAbsentAsync(key, Body("second"), Ct);

        Assert.True(first);
        Assert.False(second);
        Assert.Equal(Body("first"), await store.GetAsync(key, MaxBytes, Ct));
    }

    [Fact]
    public async Task PutIfAbsent_ConcurrentWriters_ExactlyOneWins()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string key = $"{Dest}/{Dest}/lease";

        bool[] results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.PutIfAbsentAsync(key, Body($"writer {i}"), Ct)));

        Assert.Equal(1, results.Count(r => r));
        int winner = Array.IndexOf(results, true);
        Assert.Equal(Body($"writer {winner}"), await store.GetAsync(key, MaxBytes, Ct));
    }

    [Fact]
    public async Task PutListGetDelete_OneObject_RoundTrips()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string key = KeyFor();
        byte[] body = Body("one packet");

        await store.PutAsync(key, body, Ct);
        IReadOnlyList<StoredObject> listed = await store.ListAsync(Inbox(Dest), 100, Ct);
        byte[]? read = await store.GetAsync(key, MaxBytes, Ct);
        await store.DeleteAsync([key], Ct);
        IReadOnlyList<StoredObject> after = await store.ListAsync(Inbox(Dest), 100, Ct);

        Assert.Equal([(key, (long)body.Length)], listed.Select(o => (o.Key, o.Size)));
        Assert.Equal(body, read);
        Assert.Empty(after);
        Assert.Null(await store.GetAsync(key, MaxBytes, Ct));
    }

    /// <summary>
    /// The peer directory takes a record's renewal time from the listing: a store reports when each
    /// object was written (by its own clock; here it runs on this machine), and a rewrite moves it on.
    /// </summary>
    [Fact]
    public async Task List_ReportsWhenEachObjectWasWritten_ARewriteMovesItOn()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string key = $"directory/{Dest}";
        DateTimeOffset before = DateTimeOffset.UtcNow;

        await store.PutAsync(key, Body("record"), Ct);
        DateTimeOffset? first = Assert.Single(await store.ListAsync("directory/", 10, Ct)).Modified;
        await Task.Delay(TimeSpan.FromSeconds(1.1), Ct); // S3's Last-Modified counts whole seconds
        await store.PutAsync(key, Body("record"), Ct);
        DateTimeOffset? second = Assert.Single(await store.ListAsync("directory/", 10, Ct)).Modified;

        Assert.NotNull(first);
        Assert.InRange(first.Value, before.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(second > first, $"rewritten at {second:O}, first written at {first:O}");
    }

    [Fact]
    public async Task GetTag_MissingKey_ReturnsNull()
    {
        IPacketStore store = await CreateStoreAsync(Ct);

        Assert.Null(await store.GetTagAsync($"{Dest}/doorbell", Ct));
    }

    [Fact]
    public async Task GetTag_EachRewrite_NewTagThatTheListingAgreesWith()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string key = $"{Dest}/doorbell";
        var tags = new List<string>();

        // Back to back, as two senders ringing one doorbell would: every write must show.
        for (int i = 0; i < 5; i++)
        {
            await store.PutAsync(key, ObjectKey.DoorbellBody(Ulid.NewUlid()), Ct);
            string? tag = await store.GetTagAsync(key, Ct);
            Assert.NotNull(tag);
            IReadOnlyList<StoredObject> listed = await store.ListAsync(Inbox(Dest), 100, Ct);
            Assert.Equal(tag, Assert.Single(listed, o => o.Key == key).Tag);
            tags.Add(tag);
        }

        Assert.Equal(tags.Count, tags.Distinct(StringComparer.Ordinal).Count());
        await store.DeleteAsync([key], Ct);
        Assert.Null(await store.GetTagAsync(key, Ct));
    }

    [Fact]
    public async Task Probe_ExistingStore_Succeeds()
    {
        IPacketStore store = await CreateStoreAsync(Ct);

        await store.ProbeAsync(Inbox(Dest), Ct);

        Assert.False(string.IsNullOrWhiteSpace(store.Description));
    }

    [Fact]
    public async Task List_EmptyInbox_ReturnsEmptyList()
    {
        IPacketStore store = await CreateStoreAsync(Ct);

        IReadOnlyList<StoredObject> listed = await store.ListAsync(Inbox(Dest), 100, Ct);

        Assert.NotNull(listed);
        Assert.Empty(listed);
    }

    [Fact]
    public async Task List_KeysPutInShuffledOrder_ReturnsOrdinalKeyOrder()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        DateTimeOffset start = DateTimeOffset.UtcNow;
        string[] sources = ["fd5e:59b8:f71d:9a3e::2", "fd5e:59b8:f71d:9a3e::10", "fd5e:59b8:f71d:9a3e:1::"];
        List<string> keys = [.. from i in Enumerable.Range(0, 12)
                                select KeyFor(Dest, sources[i % sources.Length], start.AddMilliseconds(i))];
        foreach (string key in keys.OrderBy(_ => Random.Shared.Next()))
        {
            await store.PutAsync(key, Body(key), Ct);
        }

        IReadOnlyList<StoredObject> listed = await store.ListAsync(Inbox(Dest), 100, Ct);

        AssertListed(keys, listed);
    }

    [Fact]
    public async Task List_InboxOfAddressThatPrefixesAnother_NeverReturnsTheOtherInbox()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string mine = KeyFor("fd00::1", Src), theirs = KeyFor("fd00::10", Src), longer = KeyFor("fd00::1:0", Src);
        await store.PutAsync(mine, Body("mine"), Ct);
        await store.PutAsync(theirs, Body("theirs"), Ct);
        await store.PutAsync(longer, Body("longer"), Ct);

        IReadOnlyList<StoredObject> listed = await store.ListAsync(Inbox("fd00::1"), 100, Ct);

        Assert.Equal([mine], listed.Select(o => o.Key));
        Assert.Equal([theirs], (await store.ListAsync(Inbox("fd00::10"), 100, Ct)).Select(o => o.Key));
    }

    [Fact]
    public async Task List_PutsFinishedOutOfOrder_ListsAndDeliversAll()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string earlier = KeyFor(Dest, Src, now.AddSeconds(-5));
        string later = KeyFor(Dest, Src, now);
        string otherSender = KeyFor(Dest, "fd5e:59b8:f71d:9a3e::2", now.AddSeconds(-10));

        await store.PutAsync(later, Body("b"), Ct);          // the newer key lands first,
        IReadOnlyList<StoredObject> first = await store.ListAsync(Inbox(Dest), 100, Ct);
        await store.PutAsync(earlier, Body("a"), Ct);        // then one that sorts before it,
        await store.PutAsync(otherSender, Body("c"), Ct);    // and one from a sender with a slow clock
        IReadOnlyList<StoredObject> second = await store.ListAsync(Inbox(Dest), 100, Ct);

        Assert.Equal([later], first.Select(o => o.Key));
        AssertListed([earlier, later, otherSender], second);
        foreach ((string key, string text) in new[] { (earlier, "a"), (later, "b"), (otherSender, "c") })
        {
            Assert.Equal(Body(text), await store.GetAsync(key, MaxBytes, Ct));
        }
    }

    [Fact]
    public async Task List_Limit_ReturnsOnlyTheFirstKeysInOrder()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        DateTimeOffset start = DateTimeOffset.UtcNow;
        List<string> keys = [.. Enumerable.Range(0, 25).Select(i => KeyFor(Dest, Src, start.AddMilliseconds(i)))];
        await Task.WhenAll(keys.Select(k => store.PutAsync(k, Body(k), Ct)));

        IReadOnlyList<StoredObject> listed = await store.ListAsync(Inbox(Dest), 10, Ct);

        AssertListed(keys.Order(StringComparer.Ordinal).Take(10), listed);
    }

    [Fact]
    public async Task ListAndDelete_MoreThanOneThousandObjects_FollowsPagesAndBatches()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        DateTimeOffset start = DateTimeOffset.UtcNow;
        List<string> keys = [.. Enumerable.Range(0, 1005).Select(i => KeyFor(Dest, Src, start.AddMilliseconds(i)))];
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct },
            async (key, ct) => await store.PutAsync(key, Body("x"), ct));

        IReadOnlyList<StoredObject> all = await store.ListAsync(Inbox(Dest), 5000, Ct);
        IReadOnlyList<StoredObject> limited = await store.ListAsync(Inbox(Dest), 1002, Ct);
        await store.DeleteAsync([.. all.Select(o => o.Key)], Ct);

        AssertListed(keys, all);
        AssertListed(keys.Order(StringComparer.Ordinal).Take(1002), limited);
        Assert.Empty(await store.ListAsync(Inbox(Dest), 5000, Ct));
    }

    [Fact]
    public async Task ListAndDelete_KeysAnyWriterMayChoose_ListedIntactAndDeletedTogether()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        // A control character (XML 1.0 cannot carry it), URL escapes and a plus that must not be
        // decoded, a space, an ANSI escape, and one ordinary key in the same batch.
        string[] keys = [$"{Dest}/\u0001/doorbell", $"{Dest}/a+b%41 c/x", $"{Dest}/\u001b[31mred/y", KeyFor()];
        foreach (string key in keys)
        {
            await store.PutAsync(key, Body(key), Ct);
        }

        AssertListed(keys, await store.ListAsync(Inbox(Dest), 1000, Ct));
        Assert.Equal(Body(keys[0]), await store.GetAsync(keys[0], MaxBytes, Ct));

        await store.DeleteAsync(keys, Ct);

        Assert.Empty(await store.ListAsync(Inbox(Dest), 1000, Ct));
    }

    [Fact]
    public async Task Put_ConcurrentWriters_AllListed()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        const int Writers = 4, PutsEach = 50;
        string[] sources = [.. Enumerable.Range(1, Writers).Select(i => $"fd5e:59b8:f71d:9a3e::{i:x}")];

        string[][] written = await Task.WhenAll(sources.Select(src => Task.Run(async () =>
        {
            var mine = new string[PutsEach];
            for (int i = 0; i < PutsEach; i++)
            {
                mine[i] = KeyFor(Dest, src);
                await store.PutAsync(mine[i], Body($"{src} #{i}"), Ct);
            }
            return mine;
        }, Ct)));
        IReadOnlyList<StoredObject> listed = await store.ListAsync(Inbox(Dest), 1000, Ct);

        AssertListed(written.SelectMany(w => w), listed);
    }

    [Fact]
    public async Task Put_BodyIsSliceOfLargerBuffer_StoresExactlyTheSlice()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        byte[] buffer = Body("0123456789");
        string key = KeyFor();

        await store.PutAsync(key, buffer.AsMemory(3, 4), Ct);

        Assert.Equal(Body("3456"), await store.GetAsync(key, MaxBytes, Ct));
        Assert.Equal(4, Assert.Single(await store.ListAsync(Inbox(Dest), 10, Ct)).Size);
    }

    [Fact]
    public async Task Put_BinaryBody_ReadBackByteForByte()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        byte[] body = new byte[64 * 1024];
        Random.Shared.NextBytes(body);
        string key = KeyFor();

        await store.PutAsync(key, body, Ct);

        Assert.Equal(body, await store.GetAsync(key, body.Length, Ct));
    }

    [Fact]
    public async Task Delete_MissingKeys_Succeeds()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string present = KeyFor();
        await store.PutAsync(present, Body("x"), Ct);

        await store.DeleteAsync([KeyFor(), present, KeyFor(Dest, "fd5e:59b8:f71d:9a3e::77")], Ct);
        await store.DeleteAsync([present], Ct); // already gone
        await store.DeleteAsync([], Ct);

        Assert.Empty(await store.ListAsync(Inbox(Dest), 10, Ct));
    }

    [Fact]
    public async Task Get_MissingKey_ReturnsNull()
    {
        IPacketStore store = await CreateStoreAsync(Ct);

        Assert.Null(await store.GetAsync(KeyFor(), MaxBytes, Ct));
    }

    [Fact]
    public async Task Get_ObjectLargerThanMaxBytes_ThrowsTooLarge()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string key = KeyFor();
        await store.PutAsync(key, new byte[1000], Ct);

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.GetAsync(key, 999, Ct));

        Assert.Equal(StoreErrorKind.TooLarge, ex.Kind);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Equal(1000, (await store.GetAsync(key, 1000, Ct))?.Length); // exactly at the bound is fine
    }

    [Fact]
    public async Task Read_ObjectJustWritten_ReturnsBodyAndLastModifiedAsListed()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string key = $"{Dest}/{Src}/{Ulid.NewUlid()}/000000000000002a"; // a transport v2 name: no time in it
        byte[] body = Body("by name");
        // S3 dates objects to the second; a dir: store by the file system's clock, which is this one.
        DateTimeOffset before = Second(DateTimeOffset.UtcNow) - TimeSpan.FromSeconds(1);

        await store.PutAsync(key, body, Ct);
        StoredBody? read = await store.ReadAsync(key, MaxBytes, Ct);
        DateTimeOffset after = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
        StoredObject listed = Assert.Single(await store.ListAsync(Inbox(Dest), 10, Ct));

        Assert.NotNull(read);
        Assert.Equal(body, read.Body);
        Assert.InRange(read.LastModified, before, after);
        Assert.Equal(key, listed.Key);
        Assert.InRange(listed.LastModified, before, after);
        Assert.Equal(Second(listed.LastModified), Second(read.LastModified)); // a GET and a LIST date it alike
    }

    [Fact]
    public async Task Read_Rewritten_LastModifiedMovesOn()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string key = KeyFor();
        await store.PutAsync(key, Body("first"), Ct);
        DateTimeOffset first = (await store.ReadAsync(key, MaxBytes, Ct))!.LastModified;

        await Task.Delay(TimeSpan.FromMilliseconds(1100), Ct); // past S3's one-second resolution
        await store.PutAsync(key, Body("second"), Ct);
        StoredBody? second = await store.ReadAsync(key, MaxBytes, Ct);

        Assert.Equal(Body("second"), second?.Body);
        Assert.True(second!.LastModified > first, $"{second.LastModified:O} is not after {first:O}");
    }

    [Fact]
    public async Task Read_MissingKey_ReturnsNull()
    {
        IPacketStore store = await CreateStoreAsync(Ct);

        Assert.Null(await store.ReadAsync($"{Dest}/{Src}/{Ulid.NewUlid()}/0000000000000000", MaxBytes, Ct));
        Assert.Null(await store.ReadAsync(KeyFor(), MaxBytes, Ct));
    }

    [Fact]
    public async Task Read_ObjectLargerThanMaxBytes_ThrowsTooLarge()
    {
        IPacketStore store = await CreateStoreAsync(Ct);
        string key = KeyFor();
        await store.PutAsync(key, new byte[1000], Ct);

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.ReadAsync(key, 999, Ct));

        Assert.Equal(StoreErrorKind.TooLarge, ex.Kind);
        Assert.Equal(1000, (await store.ReadAsync(key, 1000, Ct))?.Body.Length);
    }

    private static DateTimeOffset Second(DateTimeOffset time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), time.Offset);
}
