using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Hoshino.Cli.Hosting;

namespace Hoshino.UnitTests.Cli;

/// <summary>The manager's end of sd_notify that the demo and the end-to-end tests wait on.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NotifySocketTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WaitFor_StatusThenReady_ReturnsTheReadyMessageAndKeepsBoth()
    {
        using var notify = NotifySocket.Create();
        Send(notify.Path, "STATUS=waiting for the store: unreachable");   // before anyone waits: queued
        Send(notify.Path, "READY=1\nSTATUS=node fd00::1 up on hoshino0\nMAINPID=42");

        string ready = await notify.WaitForAsync("READY=1", Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("READY=1\nSTATUS=node fd00::1 up on hoshino0\nMAINPID=42", ready);
        Assert.Equal(["STATUS=waiting for the store: unreachable", ready], notify.Received);
    }

    [Fact]
    public async Task WaitFor_AssignmentOnlyInsideAnotherLine_KeepsWaiting()
    {
        using var notify = NotifySocket.Create();
        Send(notify.Path, "STATUS=not READY=1 yet");
        using var shortly = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        shortly.CancelAfter(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => notify.WaitForAsync("READY=1", shortly.Token));
        Assert.Single(notify.Received);
    }

    [Fact]
    public async Task WaitReady_ChildExitsFirst_SaysSoWithItsExitCode()
    {
        using var notify = NotifySocket.Create();
        using Process child = Process.Start("sh", ["-c", "exit 3"]);

        string? why = await notify.WaitReadyAsync(child, TimeSpan.FromSeconds(20), Ct);

        Assert.Equal("exited with 3 before it was ready", why);
    }

    [Fact]
    public async Task WaitReady_ChildSilent_TimesOut()
    {
        using var notify = NotifySocket.Create();
        using Process child = Process.Start("sleep", ["30"]);
        try
        {
            string? why = await notify.WaitReadyAsync(child, TimeSpan.FromMilliseconds(300), Ct);

            Assert.Equal("was not ready within 0.3 s", why);
        }
        finally
        {
            child.Kill();
        }
    }

    [Fact]
    public async Task WaitReady_ChildSendsReady_Null()
    {
        using var notify = NotifySocket.Create();
        using Process child = Process.Start("sleep", ["30"]);
        try
        {
            Send(notify.Path, "READY=1");

            Assert.Null(await notify.WaitReadyAsync(child, TimeSpan.FromSeconds(10), Ct));
        }
        finally
        {
            child.Kill();
        }
    }

    [Fact]
    public void Dispose_Twice_RemovesTheDirectoryOnce()
    {
        var notify = NotifySocket.Create();
        string directory = Path.GetDirectoryName(notify.Path)!;
        Assert.True(File.Exists(notify.Path) || Directory.Exists(directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));

        notify.Dispose();
        notify.Dispose();

        Assert.False(Directory.Exists(directory));
    }

    /// <summary>What SystemdNotify.Send does in the child: one datagram to the path.</summary>
    private static void Send(string path, string message)
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        client.Send(Encoding.UTF8.GetBytes(message));
    }
}
