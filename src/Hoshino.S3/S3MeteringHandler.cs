using System.Diagnostics;
using Hoshino.Diagnostics;

namespace Hoshino.S3;

/// <summary>
/// Counts and times every HTTP request the SDK client sends, by the operation S3 bills it as
/// (<see cref="OperationOf"/>): the one place S3 requests are counted, so a LIST that pages, a
/// delete split into batches or into single DELETEs counts each request it really made.
/// </summary>
/// <remarks>
/// A request counts once it is handed on, whether it then succeeds, fails, times out or is
/// cancelled: S3 bills every request that reaches it, and which failures did is not knowable here.
/// The latency is to the response headers, as .NET's own <c>http.client.request.duration</c>
/// measures it; bodies (a bundle, a page of keys) are read afterwards, by the SDK.
/// Failures are counted by <see cref="S3PacketStore"/>, which knows what a status means (a 404 on
/// a GET is an answer, a 200 from DeleteObjects may carry per-key errors), once per failed SDK
/// call: one HTTP request, the SDK's retries being off.
/// </remarks>
internal sealed class S3MeteringHandler(HttpMessageHandler inner, HoshinoMetrics metrics) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        StoreOperation operation = OperationOf(request.Method, request.RequestUri?.Query ?? "");
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            metrics.StoreRequest(operation, Stopwatch.GetElapsedTime(start));
        }
    }

    /// <summary>
    /// What an S3 request is, from its method and query alone (the key is in the path, escaped, so
    /// it cannot look like a query): ListObjectsV2 is a GET with <c>list-type=2</c>, DeleteObjects a
    /// POST with <c>?delete</c>, a single DELETE of an object a DELETE. Anything else is billed by its
    /// method (a POST as a PUT), which is also the label it gets.
    /// </summary>
    internal static StoreOperation OperationOf(HttpMethod method, string query)
    {
        if (method == HttpMethod.Get)
        {
            return HasParameter(query, "list-type") ? StoreOperation.List : StoreOperation.Get;
        }
        if (method == HttpMethod.Put)
        {
            return StoreOperation.Put;
        }
        if (method == HttpMethod.Head)
        {
            return StoreOperation.Head;
        }
        if (method == HttpMethod.Delete)
        {
            return StoreOperation.Delete;
        }
        if (method == HttpMethod.Post)
        {
            return HasParameter(query, "delete") ? StoreOperation.Delete : StoreOperation.Put;
        }
        return StoreOperation.Get;
    }

    /// <summary>True when the query (<c>?a=1&amp;b</c>, or empty) has a parameter named <paramref name="name"/>.</summary>
    private static bool HasParameter(string query, string name)
    {
        ReadOnlySpan<char> rest = query.AsSpan().TrimStart('?');
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf('&');
            ReadOnlySpan<char> parameter = end < 0 ? rest : rest[..end];
            int equals = parameter.IndexOf('=');
            if ((equals < 0 ? parameter : parameter[..equals]).SequenceEqual(name))
            {
                return true;
            }
            rest = end < 0 ? [] : rest[(end + 1)..];
        }
        return false;
    }
}
