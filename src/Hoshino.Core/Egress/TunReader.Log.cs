using Hoshino.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hoshino.Egress;

internal sealed partial class TunReader
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.EgressReaderFailed, LogLevel.Critical, "Reading packets from {Interface} failed")]
        public static partial void ReaderFailed(ILogger logger, string @interface, Exception exception);
    }
}
