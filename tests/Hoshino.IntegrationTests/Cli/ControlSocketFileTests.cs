using System.Net.Sockets;
using Hoshino.Cli.Control;
using Hoshino.IntegrationTests.EndToEnd;
using Hoshino.Linux.Files;

namespace Hoshino.IntegrationTests.Cli;

/// <summary>
/// The control socket's file on a real file system: what a node refuses to bind over, what it
/// replaces, and what the commands say when no node answers. No node runs here.
/// </summary>
public sealed class ControlSocketFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hoshino-ctl-").FullName;

    private string PathOf(string name) => Path.Combine(_dir, name);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A socket file nobody listens on any more, as a node killed with SIGKILL leaves it.</summary>
    private void LeaveStaleSocket(string path)
    {
        // .NET unlinks a socket's path when it closes the socket; a node killed with SIGKILL never
        // does. So bind under another name, move the file to the path, then close.
        string bound = PathOf($"bound-{Guid.NewGuid():n}.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(bound));
        File.Move(bound, path);
    }

    [Fact]
    public void Prepare_MissingDirectory_Created0700()
    {
        string path = Path.Combine(_dir, "run", "control.sock");

        ControlSocketFile.Prepare(path);

        Assert.Equal((PathKind.Directory, 0b111_000_000), (PathStatus.Of(Path.GetDirectoryName(path)!).Kind, PathStatus.Of(Path.GetDirectoryName(path)!).Mode));
    }

    [Fact]
    public void Prepare_StaleSocket_Removed()
    {
        string path = PathOf("control.sock");
        LeaveStaleSocket(path);
        Assert.Equal(PathKind.Socket, PathStatus.Of(path).Kind);

        ControlSocketFile.Prepare(path);

        Assert.Equal(PathKind.Missing, PathStatus.Of(path).Kind);
    }

    [Fact]
    public void Prepare_LiveSocket_RefusedAndLeftAlone()
    {
        string path = PathOf("control.sock");
        using var live = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        live.Bind(new UnixDomainSocketEndPoint(path));
        live.Listen(1);

        var ex = Assert.Throws<FatalException>(() => ControlSocketFile.Prepare(path));

        Assert.Equal(ExitCodes.Config, ex.ExitCode);
        Assert.Contains("another hoshino node is serving it", ex.Message, StringComparison.Ordinal);
        Assert.Equal(PathKind.Socket, PathStatus.Of(path).Kind);
    }

    [Fact]
    public void Prepare_SymbolicLink_RefusedAndLeftAlone()
    {
        string target = PathOf("elsewhere");
        File.WriteAllText(target, "not ours");
        string path = PathOf("control.sock");
        File.CreateSymbolicLink(path, target);

        var ex = Assert.Throws<FatalException>(() => ControlSocketFile.Prepare(path));

        Assert.Equal($"control socket {path}: it is a symbolic link", ex.Message);
        Assert.Equal(PathKind.SymbolicLink, PathStatus.Of(path).Kind);
        Assert.Equal("not ours", File.ReadAllText(target));
    }

    [Fact]
    public void Prepare_RegularFile_RefusedAndLeftAlone()
    {
        string path = PathOf("control.sock");
        File.WriteAllText(path, "data");

        var ex = Assert.Throws<FatalException>(() => ControlSocketFile.Prepare(path));

        Assert.Contains("a file that is not a socket is there", ex.Message, StringComparison.Ordinal);
        Assert.Equal("data", File.ReadAllText(path));
    }

    [Theory]
    [InlineData("/tmp")]                 // sticky, but anyone can create the name first
    public void Prepare_DirectoryOthersCanWrite_Refused(string directory)
    {
        var ex = Assert.Throws<FatalException>(() => ControlSocketFile.Prepare(Path.Combine(directory, $"hoshino-test-{Guid.NewGuid():n}.sock")));

        Assert.Contains("writable by group or others", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_DirectoryIsASymbolicLink_Refused()
    {
        string real = PathOf("real");
        Directory.CreateDirectory(real);
        string link = PathOf("link");
        Directory.CreateSymbolicLink(link, real);

        var ex = Assert.Throws<FatalException>(() => ControlSocketFile.Prepare(Path.Combine(link, "control.sock")));

        Assert.Contains("(a symbolic link)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("peers")]
    [InlineData("ping")]
    public async Task Commands_NoSocket_OneLineAndExit69(string command)
    {
        string path = PathOf("control.sock");
        string[] args = command == "ping" ? ["ping", "fd5e:59b8:f71d:9a3e::2", "--control-socket", path] : [command, "--control-socket", path];

        (int code, string output) = await HoshinoProcess.RunAsync(args);

        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Equal($"hoshino: no hoshino node is running (no control socket at {path})", output.Trim());
    }

    [Fact]
    public async Task Status_DefaultPathWithoutANode_NamesTheDefaultPath()
    {
        Assert.False(File.Exists(ControlSocketFile.DefaultPath), "a node runs on this machine's default control socket; this test needs none");

        (int code, string output) = await HoshinoProcess.RunAsync(["status"], environment: new Dictionary<string, string> { ["HOSHINO_CONTROL_SOCKET"] = "" });

        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Equal("hoshino: no hoshino node is running (no control socket at /run/hoshino/control.sock)", output.Trim());
    }

    [Fact]
    public async Task Status_StaleSocket_SaysNothingAnswers()
    {
        string path = PathOf("control.sock");
        LeaveStaleSocket(path);

        (int code, string output) = await HoshinoProcess.RunAsync(["status", "--control-socket", path]);

        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Equal($"hoshino: no hoshino node is running (nothing answers on the control socket {path})", output.Trim());
    }
}
