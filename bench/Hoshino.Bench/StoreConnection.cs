using Hoshino.S3;

namespace Hoshino.Bench;

/// <summary>Where the store is, from the same flags and environment the daemon reads.</summary>
internal static class StoreConnection
{
    /// <summary>
    /// S3 options exactly as <c>hoshino up</c> builds them (Hosting/StoreFactory.cs), with explicit
    /// credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    /// </summary>
    public static S3StoreOptions Options(Args args, string keyPrefix, int? maxConnections = null)
    {
        var options = new S3StoreOptions
        {
            Bucket = args.Get("bucket"),
            KeyPrefix = keyPrefix,
            ServiceUrl = args.Get("endpoint"),
            Region = args.Get("region", "us-east-1"),
            AccessKey = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") ?? throw new ArgumentException("AWS_ACCESS_KEY_ID is not set"),
            SecretKey = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") ?? throw new ArgumentException("AWS_SECRET_ACCESS_KEY is not set"),
        };
        return maxConnections is { } n ? options with { MaxConnectionsPerServer = n } : options;
    }
}
