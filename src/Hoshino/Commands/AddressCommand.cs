using System.CommandLine;
using System.Net;
using Hoshino.Addressing;

namespace Hoshino.Cli.Commands;

/// <summary><c>hoshino address</c>: prints the node's address, derived exactly as <c>up</c> derives it.</summary>
internal static class AddressCommand
{
    public static Command Create()
    {
        var command = new Command("address", "Print this node's tunnel address")
        {
            NodeOptions.Prefix, NodeOptions.MachineIdFile, NodeOptions.Address,
        };
        command.SetAction(parse =>
        {
            IPAddress address = NodeAddress.Resolve(parse.GetValue(NodeOptions.Prefix)!, parse.GetValue(NodeOptions.Address),
                parse.GetValue(NodeOptions.MachineIdFile)!);
            parse.InvocationConfiguration.Output.WriteLine(address);
            return ExitCodes.Success;
        });
        return command;
    }
}
