using Amazon.Runtime;

namespace Hoshino.S3;

/// <summary>
/// The HttpClient behind each SDK client: our own pool settings, no <c>Expect: 100-continue</c>,
/// and every request counted (<see cref="S3MeteringHandler"/>) when the options name the metrics.
/// </summary>
/// <remarks>
/// The SDK marks every PutObject <c>Expect: 100-continue</c>. When the server answers such a PUT
/// with an error straight away (bad signature, missing bucket), .NET still sends bodies of up to
/// 1 KiB and keeps the connection; Ceph RGW does not expect that body and parses it as the start of
/// the next request ("xPUT /bucket/key" → 405), so one failed PUT poisons the next request on that
/// connection, and a PUT that fails that way poisons the one after it. Without the header RGW
/// discards the unread body correctly. The header buys nothing for bundles this small and costs a
/// round trip per PUT where the server honours it.
/// </remarks>
internal sealed class S3HttpClientFactory(S3StoreOptions options) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var sockets = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxConnectionsPerServer,
            ConnectTimeout = options.ConnectTimeout,
            // Retire idle connections before servers do (AWS S3 closes them after ~20 s), so reuse
            // rarely meets a connection the server has already reset.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(15),
            // Re-resolve DNS now and then: S3 endpoints rotate addresses and spread load that way.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        if (options.Connect is { } connect)
        {
            sockets.ConnectCallback = (context, ct) => connect(context.DnsEndPoint, ct);
        }
        HttpMessageHandler handler = new NoExpectContinueHandler(sockets);
        if (options.Metrics is { } metrics)
        {
            handler = new S3MeteringHandler(handler, metrics);
        }
        // No timeout of its own: S3PacketStore bounds every call (request and body) by RequestTimeout,
        // and reports it as "no response within …". An HttpClient timeout of the same length raced
        // that one: when its timer fired first (timers on 2 loaded cores fire in either order), the
        // SDK unwrapped HttpClient's TimeoutException and the failure read "Operation canceled".
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Cache per SDK client (null key), so the pool is disposed with its store.</summary>
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override string? GetConfigUniqueString(IClientConfig clientConfig) => null;

    private sealed class NoExpectContinueHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.ExpectContinue = false;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
