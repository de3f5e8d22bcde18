using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Hoshino.S3;

/// <summary>
/// Builds the SDK client with the settings Hoshino depends on (DESIGN §4). Every deviation from the
/// SDK defaults here was needed for Ceph RGW, for start-up time, or for honest error counting.
/// </summary>
public static class S3ClientFactory
{
    /// <summary>The SDK configuration for <paramref name="options"/>.</summary>
    public static AmazonS3Config CreateConfig(S3StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var config = new AmazonS3Config
        {
            // SDK 4.x defaults to WHEN_SUPPORTED: CRC32 trailers on every PUT, which Ceph RGW rejects
            // (XAmzContentSHA256Mismatch) and other S3-compatible stores mishandle.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // No SDK retries: the egress and ingress loops retry with their own backoff and count
            // every failure; hidden retries would multiply latency and hide errors from metrics.
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = 0,
            // SDK 4.x also retries "stale pooled connection" errors, up to 10 times and outside
            // MaxErrorRetry; it took our own request timeout for one and sent the request again
            // (seen by S3MeteringHandler). SocketsHttpHandler already resends a request whose pooled
            // connection was closed before it went out; anything later is a failure the loops count.
            MaxStaleConnectionRetries = 0,
            Timeout = options.RequestTimeout,
            ConnectTimeout = options.ConnectTimeout,
            MaxConnectionsPerServer = options.MaxConnectionsPerServer,
            // The caller resolves AWS_ENDPOINT_URL(_S3); the SDK must not apply them a second time.
            IgnoreConfiguredEndpointUrls = true,
            // Pool settings and no Expect: 100-continue (which desynchronises Ceph RGW connections).
            HttpClientFactory = new S3HttpClientFactory(options),
        };
        if (options.ServiceUrl is null)
        {
            // Directory buckets (S3 Express One Zone, NAME--AZ--x-s3) need nothing more: the SDK's
            // endpoint rules send them virtual-hosted to the zonal endpoint and it makes its own
            // CreateSession (S3EndpointTests).
            // Explicit: region probing (profile, then instance metadata) stalls ~30 s off EC2.
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            // Setting ServiceURL clears RegionEndpoint, so the signing region must be given too.
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.Region;
            config.ForcePathStyle = true; // custom endpoints rarely have wildcard DNS for buckets
            // S3 Express session auth is AWS's: with it on, a bucket named like a directory bucket
            // (NAME--AZ--x-s3, legal on Ceph RGW) makes the SDK parse the endpoint as an AWS host
            // and throw ArgumentException on every request (S3EndpointTests).
            config.DisableS3ExpressSessionAuth = true;
        }
        return config;
    }

    /// <summary>A client for <paramref name="options"/>; the caller disposes it.</summary>
    public static AmazonS3Client CreateClient(S3StoreOptions options)
    {
        AmazonS3Config config = CreateConfig(options);
        return options.AccessKey is not null
            ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config)
            : new AmazonS3Client(config); // default chain: environment, profiles, container/instance roles
    }
}
