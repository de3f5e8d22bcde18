namespace Hoshino.Packets;

/// <summary>What was wrong with a network key file (see <see cref="NetworkKeyFile"/>).</summary>
public enum NetworkKeyFileProblem
{
    /// <summary>The file could not be opened or read (missing, a directory, no permission).</summary>
    Unreadable,
    /// <summary>The file is readable or writable by group or others: it must be mode 0600 (or stricter).</summary>
    Exposed,
    /// <summary>The file does not hold exactly one key line (44 characters of canonical base64).</summary>
    NotAKey,
    /// <summary>A new key file was to be written where a file already exists; it is never replaced.</summary>
    AlreadyExists,
    /// <summary>A new key file could not be created (missing directory, no permission).</summary>
    CannotCreate,
    /// <summary>Writing a new key file failed after it was created; the partial file was removed.</summary>
    WriteFailed,
}

/// <summary>
/// Loading or writing a network key file failed. <see cref="Exception.Message"/> is one line for the
/// operator: the path, what is wrong and how to fix it; it never contains key material.
/// Mapping to an exit code is the executable's business, by <see cref="Problem"/>.
/// </summary>
public sealed class NetworkKeyFileException : Exception
{
    public NetworkKeyFileException(NetworkKeyFileProblem problem, string path, string message, Exception? innerException = null)
        : base(message, innerException) => (Problem, Path) = (problem, path);

    public NetworkKeyFileProblem Problem { get; }

    /// <summary>The key file's path, as given.</summary>
    public string Path { get; }
}
