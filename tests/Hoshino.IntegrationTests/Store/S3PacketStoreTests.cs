using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Hoshino.Diagnostics;
using Hoshino.IntegrationTests.Infrastructure;
using Hoshino.S3;
using Hoshino.Store;
using Hoshino.TestSupport.Store;

namespace Hoshino.IntegrationTests.Store;

/// <summary>The store contract against Ceph RGW (one cluster per test run), each test under its own key prefix.</summary>
[Trait("Category", "Integration")]
public sealed class S3PacketStoreTests(StoreNetwork network) : PacketStoreContract
{
    protected override async Task<IPacketStore> CreateStoreAsync(CancellationToken cancellationToken)
    {
        await network.EnsureStartedAsync(cancellationToken);
        return network.CreateStore(NewPrefix());
    }

    private static string NewPrefix() => $"test-{Guid.NewGuid():n}/";

    [Fact]
    public async Task List_StoresWithDifferentKeyPrefixes_SeeOnlyTheirOwnKeysWithPrefixStripped()
    {
        await network.EnsureStartedAsync(Ct);
        string prefix = NewPrefix();
        using var a = (S3PacketStore)network.CreateStore(prefix + "a/");
        using var b = (S3PacketStore)network.CreateStore(prefix + "b/");
        string key = KeyFor();
        await a.PutAsync(key, Body("in a"), Ct);

        Assert.Equal([key], (await a.ListAsync(Inbox(Dest), 10, Ct)).Select(o => o.Key));
        Assert.Empty(await b.ListAsync(Inbox(Dest), 10, Ct));
        Assert.Null(await b.GetAsync(key, MaxBytes, Ct));
    }

    [Fact]
    public async Task ListAndDelete_2500Keys_CountEveryPageAndEveryBatch()
    {
        await network.EnsureStartedAsync(Ct);
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { Metrics = metrics });
        string[] keys = [.. Enumerable.Range(0, 2500).Select(_ => KeyFor())];
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct },
            async (key, ct) => await store.PutAsync(key, Body("x"), ct));
        Assert.Equal(2500, metrics.Requests(StoreOperation.Put));

        IReadOnlyList<StoredObject> listed = await store.ListAsync(Inbox(Dest), 10_000, Ct);
        long lists = metrics.Requests(StoreOperation.List);
        await store.DeleteAsync([.. listed.Select(o => o.Key)], Ct);
        long deletes = metrics.Requests(StoreOperation.Delete);

        Assert.Equal(2500, listed.Count);
        Assert.Equal(3, lists);   // pages of 1,000, 1,000 and 500 keys
        Assert.Equal(3, deletes); // DeleteObjects of 1,000, 1,000 and 500 keys
        Assert.Equal(0, AllErrors(metrics));
        Assert.Empty(await store.ListAsync(Inbox(Dest), 10, Ct));
        // What AWS would bill: every PUT, the four LIST pages; deletes are free.
        Assert.Equal(2500 * HoshinoMetrics.PriceOf(StoreOperation.Put) + 4 * HoshinoMetrics.PriceOf(StoreOperation.List),
            metrics.EstimatedCostDollars(), 12);
    }

    [Fact]
    public async Task Delete_KeyXmlCannotCarry_CountsItsOwnDeleteBesideTheBatch()
    {
        await network.EnsureStartedAsync(Ct);
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { Metrics = metrics });
        string[] keys = [KeyFor(), $"{Dest}/\u0001/doorbell", KeyFor()];
        foreach (string key in keys)
        {
            await store.PutAsync(key, Body(key), Ct);
        }

        await store.DeleteAsync(keys, Ct);

        Assert.Equal(2, metrics.Requests(StoreOperation.Delete)); // a DELETE of the one key, a DeleteObjects of the others
        Assert.Equal(0, AllErrors(metrics));
        Assert.Empty(await store.ListAsync(Inbox(Dest), 10, Ct));
    }

    [Fact]
    public async Task Answers_MissingKeyAndTakenKey_CountedAsRequestsNotFailures()
    {
        await network.EnsureStartedAsync(Ct);
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { Metrics = metrics });
        string key = $"{Dest}/{Dest}/lease";

        Assert.Null(await store.GetAsync(KeyFor(), MaxBytes, Ct));      // 404 NoSuchKey
        Assert.Null(await store.GetTagAsync(KeyFor(), Ct));             // 404, no body
        Assert.True(await store.PutIfAbsentAsync(key, Body("a"), Ct));
        Assert.False(await store.PutIfAbsentAsync(key, Body("b"), Ct)); // 412

        Assert.Equal(1, metrics.Requests(StoreOperation.Get));
        Assert.Equal(1, metrics.Requests(StoreOperation.Head));
        Assert.Equal(2, metrics.Requests(StoreOperation.Put));
        Assert.Equal(0, AllErrors(metrics));
    }

    [Fact]
    public async Task Get_ObjectLargerThanAllowed_OneGetCountedAsTooLarge()
    {
        await network.EnsureStartedAsync(Ct);
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { Metrics = metrics });
        string key = KeyFor();
        await store.PutAsync(key, new byte[4096], Ct);

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.GetAsync(key, 1024, Ct));

        Assert.Equal(StoreErrorKind.TooLarge, ex.Kind);
        Assert.Equal(1, metrics.Requests(StoreOperation.Get));
        Assert.Equal(1, metrics.Errors(StoreOperation.Get, StoreErrorKind.TooLarge));
        Assert.Equal(1, AllErrors(metrics));
    }

    [Fact]
    public async Task Probe_WrongSecretKey_OneListCountedAsInvalidCredentials()
    {
        await network.EnsureStartedAsync(Ct);
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { SecretKey = "WRONG" + network.SecretKey[5..], Metrics = metrics });

        await Assert.ThrowsAsync<PacketStoreException>(() => store.ProbeAsync(Inbox(Dest), Ct));

        Assert.Equal(1, metrics.Requests(StoreOperation.List));
        Assert.Equal(1, metrics.Errors(StoreOperation.List, StoreErrorKind.InvalidCredentials));
        Assert.Equal(1, AllErrors(metrics));
    }

    [Fact]
    public async Task Description_NamesBucketPrefixAndEndpoint()
    {
        await network.EnsureStartedAsync(Ct);
        using var store = (S3PacketStore)network.CreateStore("net1/");

        Assert.Equal($"s3://{network.Bucket}/net1/ ({network.Endpoint.ToString().TrimEnd('/')})", store.Description);
        Assert.DoesNotContain(network.SecretKey, store.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_WrongSecretKey_ThrowsInvalidCredentialsWithoutTheSecret()
    {
        await network.EnsureStartedAsync(Ct);
        string wrongSecret = "WRONG" + network.SecretKey[5..];
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { SecretKey = wrongSecret });

        var probe = await Assert.ThrowsAsync<PacketStoreException>(() => store.ProbeAsync(Inbox(Dest), Ct));
        var put = await Assert.ThrowsAsync<PacketStoreException>(() => store.PutAsync(KeyFor(), Body("x"), Ct));
        // Again on the same connection: a rejected PUT's body must not leak into the next request.
        var put2 = await Assert.ThrowsAsync<PacketStoreException>(() => store.PutAsync(KeyFor(), Body("y"), Ct));
        var probe2 = await Assert.ThrowsAsync<PacketStoreException>(() => store.ProbeAsync(Inbox(Dest), Ct));

        foreach (PacketStoreException ex in new[] { probe, put, put2, probe2 })
        {
            Assert.Equal(StoreErrorKind.InvalidCredentials, ex.Kind);
            Assert.Contains("SignatureDoesNotMatch", ex.Message, StringComparison.Ordinal);
            Assert.Contains(network.Bucket, ex.Message, StringComparison.Ordinal);
            AssertNoSecrets(ex, wrongSecret, network.SecretKey);
        }
        Assert.StartsWith("LIST ", probe.Message, StringComparison.Ordinal);
        Assert.StartsWith("PUT ", put.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_UnknownAccessKey_ThrowsInvalidCredentials()
    {
        await network.EnsureStartedAsync(Ct);
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { AccessKey = "AKIANOSUCHUSER000000" });

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.ProbeAsync(Inbox(Dest), Ct));

        Assert.Equal(StoreErrorKind.InvalidCredentials, ex.Kind);
        Assert.Contains("InvalidAccessKeyId", ex.Message, StringComparison.Ordinal);
        AssertNoSecrets(ex, network.SecretKey, "AKIANOSUCHUSER000000");
    }

    [Fact]
    public async Task Probe_MissingBucket_ThrowsNoSuchBucket()
    {
        await network.EnsureStartedAsync(Ct);
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { Bucket = "no-such-bucket-here" });

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.ProbeAsync(Inbox(Dest), Ct));

        Assert.Equal(StoreErrorKind.NoSuchBucket, ex.Kind);
        Assert.Contains("s3://no-such-bucket-here/", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Put_MissingBucketTwice_BothNoSuchBucketAndTheConnectionStaysUsable()
    {
        await network.EnsureStartedAsync(Ct);
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { Bucket = "no-such-bucket-here" });

        for (int i = 0; i < 3; i++)
        {
            // Regression: with Expect: 100-continue, .NET sent this small body after RGW's early
            // 404 and RGW read it as the start of the next request ("xPUT ..." -> 405).
            var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.PutAsync(KeyFor(), Body("x"), Ct));
            Assert.Equal(StoreErrorKind.NoSuchBucket, ex.Kind);
        }
    }

    [Fact]
    public async Task Probe_OtherUsersBucket_ThrowsAccessDenied()
    {
        (string accessKey, string secretKey) = await network.CreateUserAsync(Ct);
        using var store = S3PacketStore.Create(network.CreateOptions(NewPrefix()) with { AccessKey = accessKey, SecretKey = secretKey });

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.ProbeAsync(Inbox(Dest), Ct));

        Assert.Equal(StoreErrorKind.AccessDenied, ex.Kind);
        AssertNoSecrets(ex, secretKey, network.SecretKey);
    }

    [Fact]
    public async Task CreateBucket_SecondBucket_IsEmptyAndIndependent()
    {
        string bucket = await network.CreateBucketAsync(cancellationToken: Ct);
        using var store = S3PacketStore.Create(network.CreateOptions("") with { Bucket = bucket });
        string key = KeyFor();

        await store.ProbeAsync(Inbox(Dest), Ct);
        await store.PutAsync(key, Body("x"), Ct);

        Assert.Equal([key], (await store.ListAsync(Inbox(Dest), 10, Ct)).Select(o => o.Key));
    }

    [Fact]
    public async Task Store_BucketNamedLikeADirectoryBucket_WorksOnACustomEndpoint()
    {
        // NAME--AZ--x-s3 is an S3 Express directory bucket's shape on AWS and a legal name on RGW;
        // on a custom endpoint the SDK must not switch to S3 Express session auth (S3ClientFactory).
        string bucket = await network.CreateBucketAsync("--use1-az4--x-s3", Ct);
        using var store = S3PacketStore.Create(network.CreateOptions("") with { Bucket = bucket });
        string key = KeyFor();

        await store.ProbeAsync(Inbox(Dest), Ct);
        await store.PutAsync(key, Body("x"), Ct);

        Assert.Equal([key], (await store.ListAsync(Inbox(Dest), 10, Ct)).Select(o => o.Key));
        Assert.Equal(Body("x").ToArray(), await store.GetAsync(key, 1024, Ct));
        await store.DeleteAsync([key], Ct);
        Assert.Empty(await store.ListAsync(Inbox(Dest), 10, Ct));
    }

    [Fact]
    public async Task Probe_ClosedPortOnLoopback_ThrowsTransientQuickly()
    {
        int port = ClosedLoopbackPort();
        using var store = S3PacketStore.Create(OfflineOptions($"http://127.0.0.1:{port}"));
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.ProbeAsync(Inbox(Dest), Ct));

        Assert.Equal(StoreErrorKind.Transient, ex.Kind);
        Assert.True(ex.IsTransient);
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        AssertNoSecrets(ex, OfflineSecret);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}: SDK retries must be off");
    }

    [Fact]
    public async Task Put_UnderlayAddressNobodyHas_ThrowsTransientWithinConnectTimeout()
    {
        await network.EnsureStartedAsync(Ct);
        byte[] unused = network.UnderlayPrefix.GetAddressBytes();
        unused[15] = 0xee; // on the bridge's /64, but no one answers neighbour solicitation
        var options = OfflineOptions($"http://[{new IPAddress(unused)}]:7480") with { ConnectTimeout = TimeSpan.FromSeconds(1) };
        using var store = S3PacketStore.Create(options);
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.PutAsync(KeyFor(), Body("x"), Ct));

        Assert.Equal(StoreErrorKind.Transient, ex.Kind);
        Assert.StartsWith("PUT s3://", ex.Message, StringComparison.Ordinal);
        AssertNoSecrets(ex, OfflineSecret);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Get_ServerAcceptsButNeverAnswers_ThrowsTransientAfterRequestTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var options = OfflineOptions($"http://127.0.0.1:{port}") with { RequestTimeout = TimeSpan.FromSeconds(1) };
        using var store = S3PacketStore.Create(options);
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<PacketStoreException>(() => store.GetAsync(KeyFor(), MaxBytes, Ct));

        Assert.Equal(StoreErrorKind.Transient, ex.Kind);
        Assert.Contains("no response within 1 s", ex.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Probe_ClosedPort_OneListCountedAsTransient()
    {
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");
        using var store = S3PacketStore.Create(OfflineOptions($"http://127.0.0.1:{ClosedLoopbackPort()}") with { Metrics = metrics });

        await Assert.ThrowsAsync<PacketStoreException>(() => store.ProbeAsync(Inbox(Dest), Ct));

        Assert.Equal(1, metrics.Requests(StoreOperation.List));
        Assert.Equal(1, metrics.Errors(StoreOperation.List, StoreErrorKind.Transient));
        Assert.Equal(1, AllErrors(metrics));
    }

    // Regression: SDK 4.x took the store's own timeout for a stale pooled connection and sent the
    // GET again (MaxStaleConnectionRetries, outside MaxErrorRetry): two requests for one call.
    [Fact]
    public async Task Get_NoAnswerWithinTimeout_OneGetCountedAsTransient()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");
        var options = OfflineOptions($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}") with
        {
            RequestTimeout = TimeSpan.FromSeconds(1),
            Metrics = metrics,
        };
        using var store = S3PacketStore.Create(options);

        await Assert.ThrowsAsync<PacketStoreException>(() => store.GetAsync(KeyFor(), MaxBytes, Ct));

        Assert.Equal(1, metrics.Requests(StoreOperation.Get));
        Assert.Equal(1, metrics.Errors(StoreOperation.Get, StoreErrorKind.Transient));
        Assert.Equal(1, AllErrors(metrics));
    }

    [Fact]
    public async Task List_CallerCancels_ThrowsOperationCanceled()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var store = S3PacketStore.Create(OfflineOptions($"http://127.0.0.1:{port}"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ListAsync(Inbox(Dest), 10, cts.Token));
    }

    [Fact]
    public void CreateConfig_CustomEndpoint_AppliesDesignSettings()
    {
        var config = S3ClientFactory.CreateConfig(OfflineOptions("http://[fd00::1]:7480") with { Region = "eu-central-1" });

        Assert.Equal(RequestChecksumCalculation.WHEN_REQUIRED, config.RequestChecksumCalculation);
        Assert.Equal(ResponseChecksumValidation.WHEN_REQUIRED, config.ResponseChecksumValidation);
        Assert.Equal(0, config.MaxErrorRetry);
        Assert.Equal(0, config.MaxStaleConnectionRetries);
        Assert.True(config.ForcePathStyle);
        Assert.Equal("eu-central-1", config.AuthenticationRegion);
        Assert.True(config.IgnoreConfiguredEndpointUrls);
        Assert.Equal(64, config.MaxConnectionsPerServer);
        Assert.Equal("http://[fd00::1]:7480", config.ServiceURL.TrimEnd('/'));
    }

    [Fact]
    public void CreateConfig_Aws_SetsRegionExplicitly()
    {
        var config = S3ClientFactory.CreateConfig(new S3StoreOptions { Bucket = "b-1", Region = "eu-west-1" });

        Assert.Equal("eu-west-1", config.RegionEndpoint?.SystemName);
        Assert.Equal(0, config.MaxErrorRetry);
    }

    [Fact]
    public void Options_ToString_NeverShowsTheSecret()
    {
        S3StoreOptions options = OfflineOptions("http://127.0.0.1:1");

        Assert.DoesNotContain(OfflineSecret, options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Options_OnlyOneOfAccessKeyAndSecret_Rejected()
    {
        S3StoreOptions options = OfflineOptions("http://127.0.0.1:1") with { SecretKey = null };

        Assert.Throws<ArgumentException>(() => S3PacketStore.Create(options));
    }

    [Fact]
    public async Task List_PrefixWithoutTrailingSlash_Rejected()
    {
        using var store = S3PacketStore.Create(OfflineOptions("http://127.0.0.1:1"));

        await Assert.ThrowsAsync<ArgumentException>(() => store.ListAsync("fd00::1", 10, Ct));
    }

    private const string OfflineSecret = "offline-secret-key-0123456789abcdefghij";

    private static S3StoreOptions OfflineOptions(string endpoint) => new()
    {
        Bucket = "hoshino",
        KeyPrefix = "t/",
        ServiceUrl = endpoint,
        AccessKey = "OFFLINEACCESSKEY0000",
        SecretKey = OfflineSecret,
    };

    private static long AllErrors(HoshinoMetrics metrics) =>
        Enum.GetValues<StoreOperation>().Sum(op => Enum.GetValues<StoreErrorKind>().Sum(kind => metrics.Errors(op, kind)));

    private static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed
    }

    /// <summary>Neither the message nor anything it wraps may carry a credential.</summary>
    private static void AssertNoSecrets(Exception ex, params string[] secrets)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            foreach (string secret in secrets)
            {
                Assert.DoesNotContain(secret, e.Message, StringComparison.Ordinal);
            }
        }
        foreach (string secret in secrets)
        {
            Assert.DoesNotContain(secret, ex.ToString(), StringComparison.Ordinal);
        }
    }
}
