using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Hoshino.Packets;

/// <summary>
/// The network key file (<c>--network-key-file</c>, <c>hoshino keygen --output</c>): one line of
/// 44 characters, the 32 key bytes in standard base64 (RFC 4648 §4), then a newline; readable and
/// writable by its owner only. See docs/wire-format.md ("Key file"). Failures throw
/// <see cref="NetworkKeyFileException"/>; nothing here knows about exit codes.
/// </summary>
public static class NetworkKeyFile
{
    /// <summary>Characters of the key file's one line: base64 of 32 bytes, with one '=' of padding.</summary>
    public const int TextLength = 44;

    /// <summary>A key file is one short line; anything much longer is not a key file.</summary>
    private const int MaxFileBytes = 1024;

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>
    /// Parses the key file's text: exactly 44 characters of standard base64 (32 bytes, canonical),
    /// with leading and trailing whitespace (the newline) ignored. False for anything else.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Text, [NotNullWhen(true)] out NetworkKey? key)
    {
        key = null;
        ReadOnlySpan<byte> text = utf8Text.Trim(" \t\r\n"u8);
        if (text.Length != TextLength)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[NetworkKey.KeyLength];
        Span<byte> canonical = stackalloc byte[TextLength];
        try
        {
            // Base64.DecodeFromUtf8 skips embedded whitespace; the round trip below refuses it, and
            // refuses non-zero trailing bits, so one key has exactly one text.
            if (Base64.DecodeFromUtf8(text, bytes, out _, out int written) != OperationStatus.Done || written != NetworkKey.KeyLength
                || Base64.EncodeToUtf8(bytes, canonical, out _, out _) != OperationStatus.Done || !canonical.SequenceEqual(text))
            {
                return false;
            }
            key = NetworkKey.FromBytes(bytes);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            CryptographicOperations.ZeroMemory(canonical);
        }
    }

    /// <summary>The key file's line (44 base64 characters, no newline). Secret: for <c>hoshino keygen</c> only.</summary>
    public static string ToText(NetworkKey key)
    {
        Span<byte> text = stackalloc byte[TextLength];
        try
        {
            WriteText(key, text);
            return Encoding.ASCII.GetString(text);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }

    /// <summary>
    /// Loads <c>--network-key-file</c>. Throws <see cref="NetworkKeyFileException"/> with one line
    /// for the operator when the file cannot be read (<see cref="NetworkKeyFileProblem.Unreadable"/>),
    /// is readable or writable by group or others (<see cref="NetworkKeyFileProblem.Exposed"/>), or
    /// does not hold exactly one key (<see cref="NetworkKeyFileProblem.NotAKey"/>).
    /// </summary>
    public static NetworkKey Load(string path)
    {
        byte[] buffer = new byte[MaxFileBytes + 1];
        try
        {
            int length;
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
                if (!OperatingSystem.IsWindows())
                {
                    // Checked on the open handle, so the file checked is the file read.
                    UnixFileMode mode = File.GetUnixFileMode(file.SafeFileHandle);
                    if ((mode & GroupOrOthers) != 0)
                    {
                        throw new NetworkKeyFileException(NetworkKeyFileProblem.Exposed, path,
                            $"network key file {path} is readable or writable by group or others (mode {FormatMode(mode)}); fix with: chmod 600 {path}");
                    }
                }
                length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new NetworkKeyFileException(NetworkKeyFileProblem.Unreadable, path, $"reading network key file {path}: {ex.Message}", ex);
            }
            if (length > MaxFileBytes || !TryParse(buffer.AsSpan(0, length), out NetworkKey? key))
            {
                throw new NetworkKeyFileException(NetworkKeyFileProblem.NotAKey, path,
                    $"network key file {path} does not hold a network key: expected one line of {TextLength} base64 characters ({NetworkKey.KeyLength} bytes), as written by 'hoshino keygen'");
            }
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>
    /// Writes <paramref name="key"/> to a new file at <paramref name="path"/>, created with mode 0600;
    /// refuses to replace an existing file (<see cref="NetworkKeyFileProblem.AlreadyExists"/>).
    /// Throws <see cref="NetworkKeyFileException"/> with one line for the operator.
    /// </summary>
    public static void WriteNew(string path, NetworkKey key)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // the umask can only take bits away
        }
        FileStream file;
        try
        {
            file = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path) || Directory.Exists(path))
        {
            throw new NetworkKeyFileException(NetworkKeyFileProblem.AlreadyExists, path,
                $"{path} already exists; refusing to overwrite it (remove it first, or choose another --output)");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NetworkKeyFileException(NetworkKeyFileProblem.CannotCreate, path, $"creating network key file {path}: {ex.Message}", ex);
        }
        byte[] line = new byte[TextLength + 1];
        try
        {
            using (file)
            {
                WriteText(key, line);
                line[TextLength] = (byte)'\n';
                file.Write(line);
                file.Flush(flushToDisk: true);
            }
        }
        catch (IOException ex)
        {
            File.Delete(path); // never leave half a key behind
            throw new NetworkKeyFileException(NetworkKeyFileProblem.WriteFailed, path, $"writing network key file {path}: {ex.Message}", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(line);
        }
    }

    private static void WriteText(NetworkKey key, Span<byte> destination)
    {
        Span<byte> bytes = stackalloc byte[NetworkKey.KeyLength];
        try
        {
            key.CopyKeyTo(bytes);
            if (Base64.EncodeToUtf8(bytes, destination, out _, out int written) != OperationStatus.Done || written != TextLength)
            {
                throw new InvalidOperationException("base64 of a network key is not 44 characters");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8);
}
