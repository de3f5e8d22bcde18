using System.Net;
using System.Text;
using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Peers;
using Hoshino.Store;
using Hoshino.UnitTests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static Hoshino.UnitTests.Peers.PeerRecordFormatTests;

namespace Hoshino.UnitTests.Peers;

public sealed class PeerDirectoryTests
{
    private readonly FakeTimeProvider _time = new(Now);
    private readonly MemoryPacketStore _memory;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public PeerDirectoryTests() => _memory = new MemoryPacketStore(_time, contentTags: true);

    private sealed record Node(PeerDirectory Directory, HoshinoMetrics Metrics, RecordingLogger<PeerDirectory> Log);

    /// <summary>A directory over the shared store, counted by its own metrics (each call one request, as InstrumentedPacketStore counts).</summary>
    private Node Start(string name, IPAddress address, NetworkKey? key = null, TimeSpan? readInterval = null)
    {
        var metrics = new HoshinoMetrics(_time, "test");
        var log = new RecordingLogger<PeerDirectory>();
        var options = new DirectoryOptions { Name = name, Version = "1.0.0", Key = key, ReadInterval = readInterval ?? TimeSpan.FromMinutes(2) };
        return new Node(new PeerDirectory(new InstrumentedPacketStore(_memory, metrics), options, address, Network, metrics, _time, log), metrics, log);
    }

    [Fact]
    public async Task TwoNodes_EachPublishesAndReads_EachFindsTheOtherByNameAndAddress()
    {
        Node a = Start("alpha", A), b = Start("bravo", B);

        await a.Directory.PublishAsync(Ct);
        await b.Directory.PublishAsync(Ct);
        await a.Directory.ReadAsync(Ct);
        await b.Directory.ReadAsync(Ct);

        Assert.Equal(B, a.Directory.Find("bravo")?.Address);
        Assert.Equal("alpha", b.Directory.Find(A)?.Name);
        Assert.Equal(["alpha", "bravo"], a.Directory.Peers.Select(p => p.Name));
        Assert.Equal(Now, a.Directory.Find("bravo")!.Renewed); // the store's time of writing
        Assert.True(_memory.Contains("directory/" + A)); // setup: where IAM lets A write
        Assert.Contains(a.Log.Messages(LogLevel.Information), m => m.Contains("bravo is fd5e:59b8:f71d:9a3e::b0", StringComparison.Ordinal));
        Assert.Contains("hoshino_directory_peers 2", a.Metrics.WritePrometheus(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Find_BeforeAnyRead_OwnRecordOnly()
    {
        Node a = Start("alpha", A);

        Assert.Equal(A, a.Directory.Find("ALPHA")?.Address);
        Assert.Null(a.Directory.Find("bravo"));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Renewal_WritesTheSameBytes_ReadersFetchNothingAgain()
    {
        Node a = Start("alpha", A, NetworkKey.FromBytes(TestKeys.FixedKeyBytes)), b = Start("bravo", B, NetworkKey.FromBytes(TestKeys.FixedKeyBytes));
        await a.Directory.PublishAsync(Ct);
        await b.Directory.ReadAsync(Ct);
        string? tag = await _memory.GetTagAsync(a.Directory.Key, Ct);
        long getsAfterFirst = b.Metrics.Requests(StoreOperation.Get);

        _time.Advance(PeerDirectory.RenewInterval);
        await a.Directory.PublishAsync(Ct);
        await b.Directory.ReadAsync(Ct);

        Assert.Equal(1, getsAfterFirst);
        Assert.Equal(tag, await _memory.GetTagAsync(a.Directory.Key, Ct)); // sealed once: same bytes, same tag
        Assert.Equal(1, b.Metrics.Requests(StoreOperation.Get));
        Assert.Equal(2, b.Metrics.Requests(StoreOperation.List));
        Assert.Equal(_time.GetUtcNow(), b.Directory.Find("alpha")!.Renewed); // renewed all the same
        Assert.True(b.Directory.Find("alpha")!.Sealed);
    }

    [Fact]
    public async Task RecordNotRenewed_StaleAfterItsLifetimeAndTheReadersInterval_EvenWithoutAnotherRead()
    {
        Node a = Start("alpha", A), b = Start("bravo", B);
        await a.Directory.PublishAsync(Ct);
        await b.Directory.ReadAsync(Ct);

        _time.Advance(PeerDirectory.Lifetime + TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        PeerRecord? stillFresh = b.Directory.Find("alpha");
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.NotNull(stillFresh);
        Assert.Null(b.Directory.Find("alpha"));
        Assert.Equal(["bravo"], b.Directory.Peers.Select(p => p.Name)); // its own never goes stale
    }

    [Fact]
    public async Task RunAsync_CleanStop_RemovesTheRecord()
    {
        Node a = Start("alpha", A);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        Task run = a.Directory.RunAsync(stop.Token);
        await Eventually.True(() => _memory.Contains(a.Directory.Key), "the record is published");
        await stop.CancelAsync();
        await run;

        Assert.False(_memory.Contains(a.Directory.Key));
    }

    [Fact]
    public async Task SealedNetwork_RecordWithoutTheKey_NotServed()
    {
        using NetworkKey key = NetworkKey.FromBytes(TestKeys.FixedKeyBytes);
        Node intruder = Start("bravo", B), a = Start("alpha", A, key);
        await intruder.Directory.PublishAsync(Ct);

        await a.Directory.ReadAsync(Ct);

        Assert.Null(a.Directory.Find("bravo"));
        Assert.Equal(1, a.Metrics.DirectoryRejections(DirectoryRejectReason.Unsealed));
    }

    [Fact]
    public async Task NameClaimedTwice_OlderStartAnswers_BothListed_ConflictLoggedOnce()
    {
        Node first = Start("web", B);
        _time.Advance(TimeSpan.FromMinutes(1));
        Node second = Start("web", A), reader = Start("reader", IPAddress.Parse("fd5e:59b8:f71d:9a3e::1"));
        await first.Directory.PublishAsync(Ct);
        await second.Directory.PublishAsync(Ct);

        await reader.Directory.ReadAsync(Ct);
        await reader.Directory.ReadAsync(Ct);

        Assert.Equal(B, reader.Directory.Find("web")?.Address);
        Assert.Equal(2, reader.Directory.Peers.Count(p => p.Name == "web"));
        Assert.Single(reader.Log.Messages(LogLevel.Warning), m => m.Contains("the name web is claimed", StringComparison.Ordinal));
        Assert.Contains("hoshino_directory_name_conflicts 1", reader.Metrics.WritePrometheus(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostileRecords_RefusedCountedOnceByReason_NeverServed()
    {
        Node a = Start("alpha", A);
        await _memory.PutAsync("directory/junk", "x"u8.ToArray(), Ct);
        await _memory.PutAsync("directory/fd5e:59b8:f71d:9a3e::1", new byte[PeerRecordFormat.MaxBytes + 1], Ct);
        await _memory.PutAsync("directory/fd5e:59b8:f71d:9a3e::2", "garbage"u8.ToArray(), Ct);
        await _memory.PutAsync("directory/fd5e:59b8:f71d:9a3e::3", PeerRecordFormat.Encode(Statement("b", IPAddress.Parse("fd5e:59b8:f71d:9a3e::4")), null), Ct);
        await _memory.PutAsync("directory/fd5e:59b8:f71d:9a3e::5", Body("name=No_Label", "fd5e:59b8:f71d:9a3e::5", Now), Ct);
        await _memory.PutAsync("directory/fd5e:59b8:f71d:9a3e::6", Body("name=later", "fd5e:59b8:f71d:9a3e::6", Now.AddDays(1)), Ct);

        await a.Directory.ReadAsync(Ct);
        await a.Directory.ReadAsync(Ct);

        Assert.Equal(["alpha"], a.Directory.Peers.Select(p => p.Name));
        foreach (DirectoryRejectReason reason in new[] { DirectoryRejectReason.BadKey, DirectoryRejectReason.TooLarge, DirectoryRejectReason.Malformed,
                     DirectoryRejectReason.WrongAddress, DirectoryRejectReason.BadName, DirectoryRejectReason.FutureTime })
        {
            Assert.True(a.Metrics.DirectoryRejections(reason) == 1, $"{reason}: {a.Metrics.DirectoryRejections(reason)}");
        }
        Assert.Equal(4, a.Metrics.Requests(StoreOperation.Get)); // the junk key and the huge one were never fetched
        Assert.Contains("hoshino_directory_rejected_records_total{reason=\"bad_name\"} 1", a.Metrics.WritePrometheus(), StringComparison.Ordinal);
    }

    private static byte[] Body(string nameLine, string address, DateTimeOffset started) =>
        [.. "HSD"u8, 1, 0, .. Encoding.UTF8.GetBytes($"{nameLine}\naddress={address}\nversion=1\nstarted={started.ToUnixTimeMilliseconds()}\n")];

    /// <summary>
    /// What reading the directory costs an idle node, at 10 and 10,000 nodes, over two simulated days
    /// with every record renewed as nodes do: requests are counted as S3 bills them (a LIST page per
    /// 1,000 keys). Day one includes the start (every record fetched once, and the pacer's burst);
    /// day two is the steady state, one LIST per read interval whatever the size. The figures in
    /// bench/SCALE.md come from this test's output.
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(10_000)]
    public async Task IdleDays_ReadingCostsAtMostOneListPerInterval_AtAnySize(int nodes)
    {
        Node reader = Start("reader", IPAddress.Parse("fd5e:59b8:f71d:9a3e::1"));
        var bodies = new List<(string Key, byte[] Body)>();
        for (int i = 0; i < nodes - 1; i++)
        {
            IPAddress address = IPAddress.Parse($"fd5e:59b8:f71d:9a3e:1::{i + 1:x}");
            bodies.Add((PeerRecordFormat.KeyOf(address), PeerRecordFormat.Encode(Statement($"node-{i}", address), null)));
        }
        await reader.Directory.PublishAsync(Ct);
        int pages = (nodes + 999) / 1000;
        double intervalsADay = TimeSpan.FromDays(1) / TimeSpan.FromMinutes(2);
        var days = new List<(long Reads, long Pages, long Gets, double Dollars)>();
        for (int day = 0; day < 2; day++)
        {
            DateTimeOffset end = _time.GetUtcNow() + TimeSpan.FromDays(1);
            long reads = 0, getsBefore = reader.Metrics.Requests(StoreOperation.Get);
            while (_time.GetUtcNow() < end)
            {
                // Every node renews every 5 minutes, writing the same bytes (a new Last-Modified, the same
                // tag); a reader sees only each record's latest renewal, so write them once before each read.
                foreach ((string key, byte[] body) in bodies)
                {
                    await _memory.PutAsync(key, body, Ct);
                }
                _time.Advance(await reader.Directory.ReadAsync(Ct));
                reads++;
            }
            long gets = reader.Metrics.Requests(StoreOperation.Get) - getsBefore;
            days.Add((reads, reads * pages, gets, reads * pages * 0.005 / 1000 + gets * 0.0004 / 1000));
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{nodes} nodes, day {day + 1}: {reads} reads, {reads * pages} LIST pages, {gets} GETs: ${days[^1].Dollars:0.00000} reading");
        }

        Assert.Equal(nodes, reader.Directory.Peers.Count);   // setup: everyone was read and stayed fresh throughout
        Assert.Equal(nodes - 1, days[0].Gets);                // each record fetched once: renewals keep the tag
        Assert.Equal(0, days[1].Gets);
        double steady = (intervalsADay + pages) * 0.005 / 1000; // a LIST per interval, and the read that runs past midnight
        Assert.True(days[1].Dollars <= steady, $"day two: ${days[1].Dollars}, over ${steady}");
        Assert.True(days[0].Dollars <= steady + ReadPacer.Capacity * 0.005 / 1000, $"day one: ${days[0].Dollars}");
    }
}
