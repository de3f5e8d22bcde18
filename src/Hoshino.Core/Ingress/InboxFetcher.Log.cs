using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Ingress;

internal sealed partial class InboxFetcher
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.IngressBundleWritten, LogLevel.Debug, "Delivered {Key}: {PacketCount} packets")]
        public static partial void BundleWritten(ILogger logger, string key, int packetCount);
    }
}
