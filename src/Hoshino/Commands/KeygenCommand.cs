using System.CommandLine;
using Hoshino.Packets;

namespace Hoshino.Cli.Commands;

/// <summary>
/// <c>hoshino keygen</c>: makes a new network key for <c>--network-key-file</c>. The key file is one
/// line: 44 base64 characters (32 random bytes) and a newline; see docs/wire-format.md.
/// </summary>
internal static class KeygenCommand
{
    // No HOSHINO_OUTPUT variable: a stray environment variable must not redirect where a secret goes.
    private static readonly Option<string?> Output = new("--output")
    {
        Description = "Write the key to this new file (mode 0600; an existing file is never overwritten) instead of standard output",
        HelpName = "PATH",
    };

    public static Command Create()
    {
        var command = new Command("keygen", "Generate a network key for --network-key-file") { Output };
        command.SetAction(parse =>
        {
            using NetworkKey key = NetworkKey.Generate();
            string? path = parse.GetValue(Output);
            if (path is { Length: > 0 })
            {
                NetworkKeyFile.WriteNew(path, key);
                parse.InvocationConfiguration.Error.WriteLine(
                    $"hoshino: wrote a new network key to {path} (fingerprint {key.Fingerprint}); copy it to every node with mode 0600 and pass --network-key-file");
            }
            else
            {
                parse.InvocationConfiguration.Output.WriteLine(NetworkKeyFile.ToText(key));
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
