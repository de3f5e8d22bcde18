using Amazon.S3;
using Hoshino.S3;

namespace Hoshino.UnitTests.S3;

public sealed class S3HttpClientFactoryTests
{
    // The store's own timeout is the one bound on a request: a second timer of the same length in
    // the HttpClient raced it, and a GET that timed out then failed with "Operation canceled"
    // instead of "no response within 1 s" (S3PacketStoreTests.Get_ServerAcceptsButNeverAnswers_*, under load).
    [Fact]
    public void CreateHttpClient_AnyRequestTimeout_NoTimeoutOfItsOwn()
    {
        var options = new S3StoreOptions { Bucket = "b-1", ServiceUrl = "http://127.0.0.1:1", RequestTimeout = TimeSpan.FromSeconds(1) };

        using HttpClient client = new S3HttpClientFactory(options).CreateHttpClient(new AmazonS3Config());

        Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout);
    }
}
