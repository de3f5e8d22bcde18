using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Egress;

public sealed partial class EgressPump
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.EgressStarted, LogLevel.Information, "Egress started: reading packets from {Interface}, writing wire format {WireFormat}")]
        public static partial void Started(ILogger logger, string @interface, string wireFormat);

        [LoggerMessage(EventIds.EgressStopped, LogLevel.Information, "Egress stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventIds.EgressSenderFailed, LogLevel.Error, "Sender for {Destination} failed unexpectedly")]
        public static partial void SenderFailed(ILogger logger, string destination, Exception exception);

        [LoggerMessage(EventIds.EgressStreamStarted, LogLevel.Debug, "Stream to {Destination} starts epoch {Epoch}")]
        public static partial void StreamStarted(ILogger logger, string destination, string epoch);

        [LoggerMessage(EventIds.EgressFlushed, LogLevel.Information, "Flushed {Count} queued packets to the store")]
        public static partial void Flushed(ILogger logger, int count);

        [LoggerMessage(EventIds.EgressFlushTimedOut, LogLevel.Warning, "Shutdown flush timed out after {Timeout}; {Count} packets were not sent")]
        public static partial void FlushTimedOut(ILogger logger, TimeSpan timeout, int count);
    }
}
