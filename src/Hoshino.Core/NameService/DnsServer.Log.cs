using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.NameService;

internal sealed partial class DnsServer
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.DnsListening, LogLevel.Debug, "DNS responder listening on {Endpoint} (UDP and TCP)")]
        public static partial void Listening(ILogger logger, string endpoint);

        [LoggerMessage(EventIds.DnsStopped, LogLevel.Debug, "DNS responder on {Endpoint} stopped")]
        public static partial void Stopped(ILogger logger, string endpoint);

        [LoggerMessage(EventIds.DnsSendFailed, LogLevel.Debug, "DNS reply not sent: {Error}")]
        public static partial void SendFailed(ILogger logger, string error);

        [LoggerMessage(EventIds.DnsAcceptFailed, LogLevel.Warning, "DNS responder could not accept a TCP connection: {Error}")]
        public static partial void AcceptFailed(ILogger logger, string error);
    }
}
