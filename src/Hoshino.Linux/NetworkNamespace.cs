using System.Runtime.InteropServices;
using Hoshino.Linux.Interop;
using Microsoft.Win32.SafeHandles;

namespace Hoshino.Linux;

/// <summary>
/// Moves the calling thread into a network namespace. Sockets and TUN devices belong to the
/// namespace of the thread that creates them, so create them on a dedicated thread that entered
/// the namespace first, and never call this on a thread-pool thread.
/// </summary>
internal static class NetworkNamespace
{
    /// <summary>Enters the namespace at <paramref name="path"/>, e.g. <c>/var/run/netns/NAME</c>.</summary>
    /// <exception cref="NativeCallException">setns(2) failed.</exception>
    public static void EnterOnCurrentThread(string path)
    {
        using SafeFileHandle ns = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        if (Libc.SetNs(ns, Libc.CLONE_NEWNET) < 0)
            Errno.Throw($"setns({path})", Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a short-lived thread that entered the namespace at
    /// <paramref name="path"/>: what it creates (sockets, name resolution) belongs to that namespace.
    /// </summary>
    public static Task<T> RunInAsync<T>(string path, Func<T> work)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                EnterOnCurrentThread(path);
                result.SetResult(work());
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        }) { IsBackground = true, Name = "hoshino-netns" };
        thread.Start();
        return result.Task;
    }
}
