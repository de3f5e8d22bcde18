using System.CommandLine;

namespace Hoshino.Cli.Commands;

/// <summary>
/// Flags shared by the commands. Every flag has a <c>HOSHINO_*</c> environment variable (the flag's
/// name in upper case, dashes as underscores); the flag wins over the variable, the variable over
/// the default. Values stay strings here and are validated with one clear error each.
/// </summary>
internal static class NodeOptions
{
    public static Option<string?> Create(string name, string description, string? defaultValue = null, string? helpName = null)
    {
        string variable = EnvironmentVariableOf(name);
        return new Option<string?>(name)
        {
            Description = $"{description} [env: {variable}]",
            HelpName = helpName,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : defaultValue,
        };
    }

    public static string EnvironmentVariableOf(string flag) => "HOSHINO_" + flag.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    // Addressing, shared by `up` and `address`.
    public static readonly Option<string?> Prefix = Create("--prefix", "Network prefix, a ULA /64", Addressing.NodeAddress.DefaultPrefix, "ULA/64");
    public static readonly Option<string?> MachineIdFile = Create("--machine-id-file", "File whose first 16 hex digits become the interface identifier", Addressing.NodeAddress.DefaultMachineIdFile, "PATH");
    public static readonly Option<string?> Address = Create("--address", "Use this IPv6 address instead of deriving it from the machine-id", null, "IPV6");

    // The control socket, shared by `status`, `peers` and `ping` (`up` has its own, which also takes `none`).
    public static readonly Option<string?> ControlSocket = Create("--control-socket", "The running node's control socket",
        Control.ControlSocketFile.DefaultPath, "PATH");
}
