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

        [LoggerMessage(EventIds.IngressDoorbellHeard, LogLevel.Debug, "Doorbell rang (tag {Tag}): listing the inbox")]
        public static partial void DoorbellHeard(ILogger logger, string? tag);

        [LoggerMessage(EventIds.IngressDeleteGivenUp, LogLevel.Warning,
            "Gave up deleting {Key} (and {Count} keys in all): the store refused to delete it {Attempts} times, one key per request; it stays in the inbox, ignored, until a lifecycle rule removes it ({Suppressed} similar messages suppressed)")]
        public static partial void DeleteGivenUp(ILogger logger, string key, int count, int attempts, long suppressed);
    }
}
