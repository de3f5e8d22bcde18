using System.Net;
using Hoshino.Diagnostics;
using Hoshino.S3;

namespace Hoshino.IntegrationTests.Store;

/// <summary>The handler that counts S3's HTTP requests, without a store (its RGW tests are in S3PacketStoreTests).</summary>
public sealed class S3MeteringHandlerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("GET", "?list-type=2&prefix=fd00%3A%3A1%2F&encoding-type=url", StoreOperation.List)]
    [InlineData("GET", "?continuation-token=abc&list-type=2", StoreOperation.List)]
    [InlineData("GET", "", StoreOperation.Get)]
    [InlineData("GET", "?versionId=list-type", StoreOperation.Get)] // a value, not a parameter
    [InlineData("GET", "?list-typeX=2", StoreOperation.Get)]
    [InlineData("HEAD", "", StoreOperation.Head)]
    [InlineData("PUT", "", StoreOperation.Put)]
    [InlineData("POST", "?delete", StoreOperation.Delete)]          // DeleteObjects
    [InlineData("POST", "?delete=", StoreOperation.Delete)]
    [InlineData("POST", "?uploads", StoreOperation.Put)]            // billed as a PUT
    [InlineData("DELETE", "", StoreOperation.Delete)]               // one object
    public void OperationOf_Request_IsWhatS3BillsItAs(string method, string query, StoreOperation expected)
    {
        Assert.Equal(expected, S3MeteringHandler.OperationOf(new HttpMethod(method), query));
    }

    [Fact]
    public async Task SendAsync_AnswersFailuresAndCancellations_EachCountedOnceWithItsLatency()
    {
        var metrics = new HoshinoMetrics(TimeProvider.System, "test");
        var answers = new Queue<Func<HttpResponseMessage>>([
            () => new HttpResponseMessage(HttpStatusCode.OK),
            () => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable),
            () => throw new HttpRequestException("connection refused"),
            () => throw new TaskCanceledException("timed out"),
        ]);
        using var invoker = new HttpMessageInvoker(new S3MeteringHandler(new Answering(answers), metrics));

        (await invoker.SendAsync(Request(HttpMethod.Get, "?list-type=2"), Ct)).Dispose();
        (await invoker.SendAsync(Request(HttpMethod.Put, ""), Ct)).Dispose();
        await Assert.ThrowsAsync<HttpRequestException>(() => invoker.SendAsync(Request(HttpMethod.Post, "?delete"), Ct));
        await Assert.ThrowsAsync<TaskCanceledException>(() => invoker.SendAsync(Request(HttpMethod.Get, ""), Ct));

        Assert.Equal(1, metrics.Requests(StoreOperation.List));
        Assert.Equal(1, metrics.Requests(StoreOperation.Put));
        Assert.Equal(1, metrics.Requests(StoreOperation.Delete));
        Assert.Equal(1, metrics.Requests(StoreOperation.Get));
        Assert.Equal(0, metrics.Requests(StoreOperation.Head));
        string page = metrics.WritePrometheus();
        Assert.Contains("hoshino_s3_request_duration_seconds_count{operation=\"list\"} 1\n", page, StringComparison.Ordinal);
        Assert.Contains("hoshino_s3_request_duration_seconds_count{operation=\"delete\"} 1\n", page, StringComparison.Ordinal);
        // What a failure means is the store's to say (S3PacketStore counts it), not the handler's.
        Assert.DoesNotMatch(@"hoshino_s3_errors_total\{[^}]*\} [1-9]", page);
    }

    private static HttpRequestMessage Request(HttpMethod method, string query) =>
        new(method, new Uri($"http://[::1]:7480/bucket/fd00::1/{query}"));

    private sealed class Answering(Queue<Func<HttpResponseMessage>> answers) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answers.Dequeue()());
    }
}
