using System.Security.Cryptography;
using Hoshino.Packets;

namespace Hoshino.Cli.Commands;

/// <summary>
/// Where <c>hoshino up</c> gets its network key: <c>--network-key-file</c> (or
/// <c>HOSHINO_NETWORK_KEY_FILE</c>) when given; else the systemd credential <c>network-key</c>
/// (<c>LoadCredential=network-key:/etc/hoshino/network.key</c> in the unit), which systemd copies
/// into <c>$CREDENTIALS_DIRECTORY</c> readable by the service's user only. That is how a
/// <c>DynamicUser=</c> service reads a key whose file is root's, mode 0600.
/// </summary>
internal static class NetworkKeySource
{
    /// <summary>The credential's name: <c>LoadCredential=network-key:PATH</c>.</summary>
    public const string CredentialName = "network-key";

    /// <summary>Set by systemd for a unit with credentials (systemd.exec(5), "Credentials").</summary>
    public const string CredentialsDirectoryVariable = "CREDENTIALS_DIRECTORY";

    /// <summary>A key file is one short line; anything much longer is not a key file (as NetworkKey.Load).</summary>
    private const int MaxFileBytes = 1024;

    // systemd writes a credential with mode 0400 and lets the service's user read it with a POSIX
    // ACL entry (user:UID:r--), or, where the file system has no ACLs (the ramfs of systemd 252 in
    // Debian 12), by chown to that user. stat shows an ACL's mask in the group bits, so with an ACL
    // the file reads 0440 although no group may read it: group read is allowed here, group write and
    // every bit for others are not (systemd never sets them).
    private const UnixFileMode RefusedForCredential = UnixFileMode.GroupWrite
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>A key file to load; <paramref name="IsCredential"/> when it lies in <c>$CREDENTIALS_DIRECTORY</c>.</summary>
    internal readonly record struct Location(string Path, bool IsCredential);

    /// <summary>Loads the node's key as <see cref="Resolve"/> finds it; null when the node does not seal.</summary>
    public static NetworkKey? Load(string? keyFile) =>
        Load(keyFile, Environment.GetEnvironmentVariable(CredentialsDirectoryVariable));

    internal static NetworkKey? Load(string? keyFile, string? credentialsDirectory) =>
        Resolve(keyFile, credentialsDirectory, File.Exists) switch
        {
            null => null,
            { IsCredential: true } credential => LoadCredential(credential.Path),
            { } file => NetworkKeyFile.Load(file.Path),
        };

    /// <summary>
    /// The key file: <paramref name="keyFile"/> when set (a credential if it lies directly in
    /// <paramref name="credentialsDirectory"/>, e.g. <c>Environment=HOSHINO_NETWORK_KEY_FILE=%d/network-key</c>);
    /// else <c>{credentialsDirectory}/network-key</c> if it exists; else none.
    /// </summary>
    internal static Location? Resolve(string? keyFile, string? credentialsDirectory, Func<string, bool> exists)
    {
        string? credentials = credentialsDirectory is { Length: > 0 } ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(credentialsDirectory)) : null;
        if (keyFile is { Length: > 0 })
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(keyFile));
            return new Location(keyFile, credentials is not null && string.Equals(directory, credentials, StringComparison.Ordinal));
        }
        if (credentials is not null && Path.Combine(credentials, CredentialName) is var path && exists(path))
        {
            return new Location(path, IsCredential: true);
        }
        return null;
    }

    /// <summary>
    /// Reads a key from a systemd credential. Throws <see cref="FatalException"/> (exit code
    /// <see cref="ExitCodes.Config"/>) with one line when it cannot be read, has a mode systemd
    /// never gives a credential, or does not hold exactly one key.
    /// </summary>
    private static NetworkKey LoadCredential(string path)
    {
        byte[] buffer = new byte[MaxFileBytes + 1];
        try
        {
            int length;
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
                // Checked on the open handle, so the file checked is the file read.
                UnixFileMode mode = OperatingSystem.IsWindows() ? UnixFileMode.None : File.GetUnixFileMode(file.SafeFileHandle);
                if ((mode & RefusedForCredential) != 0)
                {
                    throw new FatalException(
                        $"network key credential {path} is writable by group or accessible to others (mode 0{Convert.ToString((int)mode & 0xFFF, 8)}), "
                        + $"which systemd never makes a credential: pass the key with LoadCredential={CredentialName}:/etc/hoshino/network.key",
                        ExitCodes.Config);
                }
                length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new FatalException($"reading network key credential {path}: {ex.Message}", ExitCodes.Config, ex);
            }
            if (length > MaxFileBytes || !NetworkKeyFile.TryParse(buffer.AsSpan(0, length), out NetworkKey? key))
            {
                throw new FatalException(
                    $"network key credential {path} does not hold a network key: expected one line of {NetworkKeyFile.TextLength} base64 characters, as written by 'hoshino keygen'",
                    ExitCodes.Config);
            }
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
