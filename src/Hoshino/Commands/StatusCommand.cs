using System.CommandLine;
using System.Text.Json;
using Hoshino.Cli.Control;

namespace Hoshino.Cli.Commands;

/// <summary><c>hoshino status</c> and <c>hoshino peers</c>: what the running node says over its control socket.</summary>
internal static class StatusCommand
{
    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the node and its peers as one JSON object (schema: docs/control-socket.md) for scripts",
    };

    public static Command Create()
    {
        var command = new Command("status",
            "Show the running node (name, address, store, sealing, uptime, health) and each peer (last seen, traffic each way, last round trip)")
        {
            NodeOptions.ControlSocket,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            NodeStatus status = await AskStatusAsync(parse, cancellationToken);
            parse.InvocationConfiguration.Output.Write(StatusText.Node(status, DateTimeOffset.UtcNow));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreatePeers()
    {
        var command = new Command("peers", "List the running node's peers: name, address, last seen, traffic, last round trip")
        {
            NodeOptions.ControlSocket, Json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            NodeStatus status = await AskStatusAsync(parse, cancellationToken);
            parse.InvocationConfiguration.Output.Write(parse.GetValue(Json)
                ? JsonSerializer.Serialize(status, ControlJson.Default.NodeStatus) + "\n"
                : StatusText.Peers(status.Peers, DateTimeOffset.UtcNow));
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<NodeStatus> AskStatusAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        ControlResponse response = await ControlClient.AskAsync(parse.GetValue(NodeOptions.ControlSocket)!, new ControlRequest("status"), cancellationToken);
        return response.Status ?? throw new FatalException("the node's answer had no status", ExitCodes.Failure);
    }
}
