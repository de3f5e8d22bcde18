using System.Net;
using Hoshino.S3;
using Hoshino.Store;

namespace Hoshino.UnitTests.S3;

/// <summary>
/// Where the daemon's S3 client sends its requests, seen at the socket (the first connection it
/// opens), without a network: S3 Express One Zone directory buckets (<c>NAME--AZ--x-s3</c>) need
/// virtual-hosted requests to their zonal endpoint, where the SDK makes its own CreateSession;
/// general-purpose buckets go to the regional endpoint; a custom endpoint is used as given.
/// </summary>
public sealed class S3EndpointTests
{
    [Theory]
    [InlineData("hoshino--use1-az4--x-s3", "us-east-1", null, "hoshino--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com", 443)]
    [InlineData("hoshino--usw2-az1--x-s3", "us-west-2", null, "hoshino--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com", 443)]
    [InlineData("hoshino", "eu-west-1", null, "hoshino.s3.eu-west-1.amazonaws.com", 443)]
    [InlineData("hoshino--use1-az4--x-s3", "us-east-1", "http://[fd00::1]:7480", "fd00::1", 7480)]
    public async Task FirstConnection_GoesToTheBucketsEndpoint(string bucket, string region, string? endpoint, string host, int port)
    {
        DnsEndPoint? seen = null;
        var options = new S3StoreOptions
        {
            Bucket = bucket,
            Region = region,
            ServiceUrl = endpoint,
            AccessKey = "AKIAEXAMPLE",
            SecretKey = "not-a-secret",
            Connect = (target, _) =>
            {
                Interlocked.CompareExchange(ref seen, target, null);
                throw new IOException("no network in this test");
            },
        };
        using S3PacketStore store = S3PacketStore.Create(options);

        var failure = await Assert.ThrowsAsync<PacketStoreException>(
            () => store.GetAsync("fd00::2/fd00::1/01JDQ3Z5T9X4M8W2C6B0N7K1RE", 1 << 20, TestContext.Current.CancellationToken));

        Assert.True(failure.IsTransient, failure.Message);
        Assert.NotNull(seen);
        Assert.Equal(host, seen.Host.Trim('[', ']'));
        Assert.Equal(port, seen.Port);
    }
}
