using System.CommandLine;
using Hoshino;
using Hoshino.Cli;
using Hoshino.Cli.Commands;

// hoshino: IPv6 between machines through an object store. See README.md and docs/.
var root = new RootCommand("Hoshino: IPv6 between machines through an object store")
{
    UpCommand.Create(),
    AddressCommand.Create(),
    KeygenCommand.Create(),
    StatusCommand.Create(),
    StatusCommand.CreatePeers(),
    PingCommand.Create(),
    Hoshino.Cli.Demo.DemoCommand.Create(),
};

ParseResult parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
    {
        Console.Error.WriteLine($"hoshino: {error.Message}");
    }
    Console.Error.WriteLine("Try 'hoshino --help'.");
    return ExitCodes.Usage;
}

try
{
    // The host handles SIGTERM/SIGINT itself (flush, remove the interface); don't let the parser race it.
    return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (OperatorErrors.ExitCodeOf(ex) is int exitCode)
{
    // One line for the operator; no stack trace. Details are in the log at debug level.
    Console.Error.WriteLine($"hoshino: {ex.Message}");
    return exitCode;
}
