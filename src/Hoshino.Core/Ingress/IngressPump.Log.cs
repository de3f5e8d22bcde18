using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Ingress;

public sealed partial class IngressPump
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.IngressStarted, LogLevel.Information, "Ingress started: polling {Inbox} in {Store}")]
        public static partial void Started(ILogger logger, string inbox, string store);

        [LoggerMessage(EventIds.IngressStopped, LogLevel.Information, "Ingress stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventIds.IngressBundleWritten, LogLevel.Debug, "Delivered {Key}: {PacketCount} packets")]
        public static partial void BundleWritten(ILogger logger, string key, int packetCount);

        [LoggerMessage(EventIds.IngressObjectRejected, LogLevel.Warning, "Rejected and deleted {Key}: {Reason} ({Suppressed} similar messages suppressed)")]
        public static partial void ObjectRejected(ILogger logger, string key, string reason, long suppressed);

        [LoggerMessage(EventIds.IngressStoreFailed, LogLevel.Warning, "Store error while {Operation}: {Error}; will retry ({Suppressed} similar messages suppressed)")]
        public static partial void StoreFailed(ILogger logger, string operation, string error, long suppressed);
    }
}
