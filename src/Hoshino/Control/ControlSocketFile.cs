using System.Net.Sockets;
using Hoshino.Linux.Files;

namespace Hoshino.Cli.Control;

/// <summary>
/// Where the control socket lives, made safe to bind: its directory is a real directory (created
/// 0700 when missing) that nobody but its owner can write; the path itself is a socket or nothing.
/// A socket a live node answers on is left alone (this node refuses to start); one nobody answers
/// on is a crashed node's and is replaced. A symbolic link or any other file there is refused, never
/// removed: it is not ours.
/// </summary>
internal static class ControlSocketFile
{
    public const string DefaultPath = "/run/hoshino/control.sock";

    /// <summary>Makes <paramref name="path"/> ready for bind(2), or throws a <see cref="FatalException"/> that says what is wrong.</summary>
    public static void Prepare(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        PathStatus dir = PathStatus.Of(directory);
        if (dir.Kind == PathKind.Missing && !OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            dir = PathStatus.Of(directory);
        }
        if (dir.Kind != PathKind.Directory)
        {
            throw Refuse(path, $"{directory} is not a directory{(dir.Kind == PathKind.SymbolicLink ? " (a symbolic link)" : "")}");
        }
        // Sticky world-writable directories (/tmp) are refused too: another user could pre-empt the name.
        if ((dir.Mode & 0b000_010_010) != 0)
        {
            throw Refuse(path, $"{directory} is writable by group or others (mode {Convert.ToString(dir.Mode, 8)}); use a directory only its owner can write");
        }

        PathStatus existing = PathStatus.Of(path);
        switch (existing.Kind)
        {
            case PathKind.Missing:
                return;
            case PathKind.Socket when IsAnswered(path):
                throw Refuse(path, "another hoshino node is serving it (stop that node, or give this one --control-socket PATH)");
            case PathKind.Socket:
                File.Delete(path); // a crashed node's: nobody accepts on it
                return;
            default:
                throw Refuse(path, existing.Kind == PathKind.SymbolicLink ? "it is a symbolic link" : "a file that is not a socket is there");
        }
    }

    /// <summary>Whether a process accepts connections on the socket at <paramref name="path"/>.</summary>
    public static bool IsAnswered(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false; // ECONNREFUSED: nobody listens
        }
    }

    private static FatalException Refuse(string path, string why) =>
        new($"control socket {path}: {why}", ExitCodes.Config);
}
