using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Cli.Control;

internal sealed partial class ControlServer
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.ControlListening, LogLevel.Information, "Control socket at {Path} (hoshino status, peers, ping)")]
        public static partial void Listening(ILogger logger, string path);

        [LoggerMessage(EventIds.ControlStopped, LogLevel.Debug, "Control socket {Path} closed and removed")]
        public static partial void Stopped(ILogger logger, string path);

        [LoggerMessage(EventIds.ControlRequestRefused, LogLevel.Debug, "Control request refused: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);

        [LoggerMessage(EventIds.ControlBusy, LogLevel.Warning, "Control socket busy: {Max} connections open, another closed at once ({Suppressed} more since the last such line)")]
        public static partial void Busy(ILogger logger, int max, long suppressed);
    }
}
