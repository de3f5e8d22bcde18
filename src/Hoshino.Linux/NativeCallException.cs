using System.Runtime.InteropServices;

namespace Hoshino.Linux;

/// <summary>A libc call failed. The message says which call, so a log line is actionable.</summary>
public sealed class NativeCallException(string operation, int errno)
    : IOException($"{operation} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
{
    /// <summary>What was being done, e.g. <c>write(hoshino0)</c>.</summary>
    public string Operation { get; } = operation;

    /// <summary>The Linux errno the call reported.</summary>
    public int Errno { get; } = errno;
}
