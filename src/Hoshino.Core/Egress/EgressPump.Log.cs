using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Egress;

public sealed partial class EgressPump
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.EgressStarted, LogLevel.Information, "Egress started: reading packets from {Interface}")]
        public static partial void Started(ILogger logger, string @interface);

        [LoggerMessage(EventIds.EgressStopped, LogLevel.Information, "Egress stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventIds.EgressBundleUploaded, LogLevel.Debug, "Uploaded bundle {Key}: {PacketCount} packets, {ByteCount} bytes")]
        public static partial void BundleUploaded(ILogger logger, string key, int packetCount, int byteCount);

        [LoggerMessage(EventIds.EgressUploadRetry, LogLevel.Warning, "Upload of bundle {Key} failed (attempt {Attempt}): {Error}; retrying in {Delay} ({Suppressed} similar messages suppressed)")]
        public static partial void UploadRetry(ILogger logger, string key, int attempt, TimeSpan delay, string error, long suppressed);

        [LoggerMessage(EventIds.EgressUploadExpired, LogLevel.Warning, "Gave up on bundle {Key} after {Attempt} attempts, its packets are too old to matter: {Error} ({Suppressed} similar messages suppressed)")]
        public static partial void UploadExpired(ILogger logger, string key, int attempt, string error, long suppressed);

        [LoggerMessage(EventIds.EgressUploadRejected, LogLevel.Error, "The store refused bundle {Key}: {Error}; its packets are dropped ({Suppressed} similar messages suppressed)")]
        public static partial void UploadRejected(ILogger logger, string key, string error, long suppressed);

        [LoggerMessage(EventIds.EgressRingFailed, LogLevel.Warning, "Could not ring doorbell {Key}: {Error}; if that node is idle it finds the bundle at its next full LIST (--list-max). On AWS, grant every node s3:PutObject on each KEYPREFIX{{node}}/doorbell (deploy/terraform does) ({Suppressed} similar messages suppressed)")]
        public static partial void RingFailed(ILogger logger, string key, string error, long suppressed);

        [LoggerMessage(EventIds.EgressReaderFailed, LogLevel.Critical, "Reading packets from {Interface} failed")]
        public static partial void ReaderFailed(ILogger logger, string @interface, Exception exception);

        [LoggerMessage(EventIds.EgressSenderFailed, LogLevel.Error, "Sender for {Destination} failed unexpectedly")]
        public static partial void SenderFailed(ILogger logger, string destination, Exception exception);

        [LoggerMessage(EventIds.EgressFlushed, LogLevel.Information, "Flushed {Count} queued packets to the store")]
        public static partial void Flushed(ILogger logger, int count);

        [LoggerMessage(EventIds.EgressFlushTimedOut, LogLevel.Warning, "Shutdown flush timed out after {Timeout}; {Count} packets were not sent")]
        public static partial void FlushTimedOut(ILogger logger, TimeSpan timeout, int count);
    }
}
