namespace Hoshino.S3;

/// <summary>Where an <see cref="S3PacketStore"/> keeps its objects and how it talks to S3.</summary>
public sealed record S3StoreOptions
{
    /// <summary>The bucket; it must exist.</summary>
    public required string Bucket { get; init; }

    /// <summary>
    /// Prepended to every key, as given (normally empty or ending in <c>/</c>). Keys passed to and
    /// returned by the store are relative to it.
    /// </summary>
    public string KeyPrefix { get; init; } = "";

    /// <summary>
    /// An S3-compatible endpoint such as <c>http://[fd00::1]:7480</c>; null for AWS itself. The
    /// caller resolves <c>AWS_ENDPOINT_URL_S3</c> and friends: the SDK's own lookup of them is off,
    /// so these options are the single source of truth.
    /// </summary>
    public string? ServiceUrl { get; init; }

    /// <summary>The region to sign for (and, on AWS, to send to). Never probed.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>
    /// Explicit credentials (tests, S3-compatible stores). When both are null the SDK's default
    /// chain is used: environment, shared profiles, container and instance roles.
    /// </summary>
    public string? AccessKey { get; init; }

    /// <inheritdoc cref="AccessKey"/>
    public string? SecretKey { get; init; }

    /// <summary>
    /// Bound on one whole request, including reading the body. Bundles are small (at most a few
    /// MiB), so a request that takes longer is stuck rather than slow; the daemon's loops retry.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on establishing one TCP (and TLS) connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Connection pool size per endpoint. It must exceed the daemon's bounded concurrency (PUTs in
    /// flight plus concurrent GETs), or requests queue inside HttpClient where no metric sees them.
    /// </summary>
    public int MaxConnectionsPerServer { get; init; } = 64;

    /// <summary>
    /// Opens the TCP connections to the store, instead of the default (a socket in this process's
    /// network namespace). Used to reach the store from another namespace (<c>--store-netns</c>).
    /// </summary>
    public Func<System.Net.DnsEndPoint, CancellationToken, ValueTask<Stream>>? Connect { get; init; }

    /// <summary>
    /// Where requests and failures are counted: every HTTP request by the SDK client that
    /// <see cref="S3ClientFactory"/> builds from these options, every failure by the store. Null:
    /// not counted. A store over a client built elsewhere counts only failures.
    /// </summary>
    public Diagnostics.HoshinoMetrics? Metrics { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            throw new ArgumentException("S3 bucket name is empty", nameof(Bucket));
        }
        if (string.IsNullOrWhiteSpace(Region))
        {
            throw new ArgumentException("S3 region is empty", nameof(Region));
        }
        if (ServiceUrl is not null
            && (!Uri.TryCreate(ServiceUrl, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException("S3 endpoint is not an http:// or https:// URL", nameof(ServiceUrl));
        }
        if (ServiceUrl is not null && new Uri(ServiceUrl).UserInfo.Length > 0)
        {
            // The endpoint appears in every store message; credentials come from the AWS chain instead.
            throw new ArgumentException("S3 endpoint must not carry credentials (user:password@)", nameof(ServiceUrl));
        }
        if ((AccessKey is null) != (SecretKey is null))
        {
            throw new ArgumentException("give both an access key and a secret key, or neither", nameof(AccessKey));
        }
        if (RequestTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("S3 timeouts must be positive", nameof(RequestTimeout));
        }
        if (MaxConnectionsPerServer < 1)
        {
            throw new ArgumentException("S3 connection pool size must be at least 1", nameof(MaxConnectionsPerServer));
        }
    }

    /// <summary>The endpoint as shown in logs: the URL, or <c>AWS region</c>.</summary>
    public string EndpointDescription => ServiceUrl ?? $"AWS {Region}";

    /// <summary>Never prints the secret key (records print every property by default).</summary>
    public override string ToString() =>
        $"S3StoreOptions {{ Bucket = {Bucket}, KeyPrefix = {KeyPrefix}, Endpoint = {EndpointDescription}, "
        + $"Credentials = {(AccessKey is null ? "default chain" : "explicit")} }}";
}
