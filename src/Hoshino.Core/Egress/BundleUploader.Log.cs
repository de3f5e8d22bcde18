using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Egress;

internal sealed partial class BundleUploader
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.EgressBundleUploaded, LogLevel.Debug, "Uploaded bundle {Key}: {PacketCount} packets, {ByteCount} bytes")]
        public static partial void BundleUploaded(ILogger logger, string key, int packetCount, int byteCount);

        [LoggerMessage(EventIds.EgressUploadRetry, LogLevel.Warning, "Upload of bundle {Key} failed (attempt {Attempt}): {Error}; retrying in {Delay} ({Suppressed} similar messages suppressed)")]
        public static partial void UploadRetry(ILogger logger, string key, int attempt, TimeSpan delay, string error, long suppressed);

        [LoggerMessage(EventIds.EgressUploadExpired, LogLevel.Warning, "Gave up on bundle {Key} after {Attempt} attempts, its packets are too old to matter: {Error} ({Suppressed} similar messages suppressed)")]
        public static partial void UploadExpired(ILogger logger, string key, int attempt, string error, long suppressed);

        [LoggerMessage(EventIds.EgressUploadRejected, LogLevel.Error, "The store refused bundle {Key}: {Error}; its packets are dropped ({Suppressed} similar messages suppressed)")]
        public static partial void UploadRejected(ILogger logger, string key, string error, long suppressed);
    }
}
