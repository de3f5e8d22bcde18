using Hoshino.Cli.Commands;
using Hoshino.Cli.Hosting;
using Hoshino.Diagnostics;
using Hoshino.S3;
using Hoshino.Store;

namespace Hoshino.IntegrationTests.Store;

/// <summary>The daemon's store is counted exactly once: per HTTP request on S3, per operation on dir:.</summary>
public sealed class StoreFactoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_DirStore_CountsEachOperationAsOneRequest()
    {
        string root = Directory.CreateTempSubdirectory("hoshino-factory-").FullName;
        try
        {
            var metrics = new HoshinoMetrics(TimeProvider.System, "test");
            IPacketStore store = StoreFactory.Create(StoreUri.Parse("dir:" + root), endpoint: null, region: "us-east-1", metrics: metrics);

            await store.PutAsync("a/b/1", new byte[3], Ct);
            await store.PutAsync("a/b/2", new byte[3], Ct);
            IReadOnlyList<StoredObject> listed = await store.ListAsync("a/", 1000, Ct);
            await store.DeleteAsync([.. listed.Select(o => o.Key)], Ct);

            Assert.Equal(2, metrics.Requests(StoreOperation.Put));
            Assert.Equal(1, metrics.Requests(StoreOperation.List));
            Assert.Equal(1, metrics.Requests(StoreOperation.Delete)); // one DeleteAsync, as one DeleteObjects would be
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Create_S3Store_IsNotWrappedSoNoRequestCountsTwice()
    {
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");

        using var store = Assert.IsType<S3PacketStore>(
            StoreFactory.Create(StoreUri.Parse("s3://bucket/net/"), "http://[::1]:7480", "us-east-1", metrics: metrics));

        // Its SDK client's handler counts the requests; nothing was sent yet.
        Assert.Equal(0, Enum.GetValues<StoreOperation>().Sum(metrics.Requests));
    }
}
