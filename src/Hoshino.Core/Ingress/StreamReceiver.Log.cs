using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Ingress;

internal sealed partial class StreamReceiver
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.IngressStreamObjectWritten, LogLevel.Debug, "Delivered {Key} (by name): {PacketCount} packets")]
        public static partial void StreamObjectWritten(ILogger logger, string key, int packetCount);
    }
}
