using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Hoshino.Packets;

/// <summary>
/// The secret every node of one network shares (<c>--network-key-file</c>): 32 random bytes used
/// as an AES-256-GCM key to seal each object (see docs/wire-format.md and docs/adr/0006-sealing.md).
/// Thread-safe. The key bytes never leave this class except through <see cref="ExportText"/>
/// (for <c>hoshino keygen</c>) and never appear in <see cref="ToString"/>, exceptions or logs.
/// </summary>
public sealed class NetworkKey : IDisposable
{
    /// <summary>Bytes of key: AES-256.</summary>
    public const int KeyLength = 32;
    /// <summary>Bytes of nonce, fresh and random per object (the 96-bit GCM nonce).</summary>
    public const int NonceLength = 12;
    /// <summary>Bytes of authentication tag (full-length GCM tag).</summary>
    public const int TagLength = 16;

    /// <summary>Characters of the key file's one line: base64 of 32 bytes, with one '=' of padding.</summary>
    public const int TextLength = 44;

    /// <summary>A key file is one short line; anything much longer is not a key file.</summary>
    private const int MaxFileBytes = 1024;

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    // Pinned so the GC never leaves copies of the key behind when it compacts; zeroed on Dispose.
    private readonly byte[] _key = GC.AllocateUninitializedArray<byte>(KeyLength, pinned: true);
    // AesGcm keeps per-call state in its OpenSSL context, so one instance must not be used by two
    // threads at once; egress seals from one task per destination. Creating one costs ~1.4 µs
    // (measured), about as much as sealing a 1,500-byte packet, so instances are reused.
    private readonly ConcurrentBag<AesGcm> _ciphers = [];
    private volatile bool _disposed;

    private NetworkKey(ReadOnlySpan<byte> key)
    {
        if (!AesGcm.IsSupported)
        {
            throw new FatalException("sealing objects needs AES-GCM, which this system's OpenSSL does not provide (OpenSSL 1.1 or later is needed)", ExitCodes.Config);
        }
        key.CopyTo(_key);
        Fingerprint = ComputeFingerprint(key);
    }

    /// <summary>
    /// A short, non-secret name for the key (16 hex digits of a domain-separated SHA-256), so
    /// operators can tell whether two nodes hold the same key by comparing logs. Safe to log.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>A new random key.</summary>
    public static NetworkKey Generate()
    {
        Span<byte> bytes = stackalloc byte[KeyLength];
        RandomNumberGenerator.Fill(bytes);
        try
        {
            return new NetworkKey(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>A key from its 32 raw bytes (copied).</summary>
    public static NetworkKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException($"a network key is {KeyLength} bytes, not {key.Length}", nameof(key));
        }
        return new NetworkKey(key);
    }

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
        Span<byte> bytes = stackalloc byte[KeyLength];
        Span<byte> canonical = stackalloc byte[TextLength];
        try
        {
            // Base64.DecodeFromUtf8 skips embedded whitespace; the round trip below refuses it, and
            // refuses non-zero trailing bits, so one key has exactly one text.
            if (Base64.DecodeFromUtf8(text, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written != KeyLength
                || Base64.EncodeToUtf8(bytes, canonical, out _, out _) != System.Buffers.OperationStatus.Done || !canonical.SequenceEqual(text))
            {
                return false;
            }
            key = new NetworkKey(bytes);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            CryptographicOperations.ZeroMemory(canonical);
        }
    }

    /// <summary>
    /// Loads <c>--network-key-file</c>. Throws <see cref="FatalException"/> (exit code
    /// <see cref="ExitCodes.Config"/>) with one line for the operator when the file cannot be read,
    /// is readable or writable by group or others, or does not hold exactly one key.
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
                        throw new FatalException(
                            $"network key file {path} is readable or writable by group or others (mode {FormatMode(mode)}); fix with: chmod 600 {path}",
                            ExitCodes.Config);
                    }
                }
                length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new FatalException($"reading network key file {path}: {ex.Message}", ExitCodes.Config, ex);
            }
            if (length > MaxFileBytes || !TryParse(buffer.AsSpan(0, length), out NetworkKey? key))
            {
                throw new FatalException(
                    $"network key file {path} does not hold a network key: expected one line of {TextLength} base64 characters ({KeyLength} bytes), as written by 'hoshino keygen'",
                    ExitCodes.Config);
            }
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>
    /// Writes this key to a new file at <paramref name="path"/>, created with mode 0600; refuses to
    /// replace an existing file. Throws <see cref="FatalException"/> with one line for the operator.
    /// </summary>
    public void WriteNewFile(string path)
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
            throw new FatalException($"{path} already exists; refusing to overwrite it (remove it first, or choose another --output)", ExitCodes.Failure);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FatalException($"creating network key file {path}: {ex.Message}", ExitCodes.Failure, ex);
        }
        byte[] line = new byte[TextLength + 1];
        try
        {
            using (file)
            {
                WriteText(line);
                line[TextLength] = (byte)'\n';
                file.Write(line);
                file.Flush(flushToDisk: true);
            }
        }
        catch (IOException ex)
        {
            File.Delete(path); // never leave half a key behind
            throw new FatalException($"writing network key file {path}: {ex.Message}", ExitCodes.Failure, ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(line);
        }
    }

    /// <summary>The key file's text (44 base64 characters, no newline). Secret: for <c>hoshino keygen</c> only.</summary>
    public string ExportText()
    {
        Span<byte> text = stackalloc byte[TextLength];
        WriteText(text);
        try
        {
            return Encoding.ASCII.GetString(text);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }

    /// <summary>Never the key itself.</summary>
    public override string ToString() => $"NetworkKey({Fingerprint})";

    /// <summary>Encrypts <paramref name="data"/> in place and writes the tag; <paramref name="associatedData"/> is authenticated, not encrypted.</summary>
    internal void Seal(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        AesGcm cipher = RentCipher();
        try
        {
            cipher.Encrypt(nonce, data, data, tag, associatedData);
        }
        finally
        {
            ReturnCipher(cipher);
        }
    }

    /// <summary>
    /// Checks the tag and decrypts <paramref name="data"/> in place. False (and <paramref name="data"/>
    /// zeroed) when the tag does not match: another key, or any byte of nonce, ciphertext, tag or
    /// associated data changed. Never throws on any input of the right shape.
    /// </summary>
    internal bool TryOpen(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        AesGcm cipher = RentCipher();
        try
        {
            cipher.Decrypt(nonce, data, tag, data, associatedData);
            return true;
        }
        catch (CryptographicException)
        {
            // AuthenticationTagMismatchException, or OpenSSL refusing for another reason: either way
            // nothing from this object may be used. An exception costs ~4 µs (measured); only
            // objects that fail to open pay it.
            return false;
        }
        finally
        {
            ReturnCipher(cipher);
        }
    }

    private AesGcm RentCipher()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _ciphers.TryTake(out AesGcm? cipher) ? cipher : new AesGcm(_key, TagLength);
    }

    private void ReturnCipher(AesGcm cipher)
    {
        _ciphers.Add(cipher);
        if (_disposed)
        {
            DisposeCiphers();
        }
    }

    private void WriteText(Span<byte> destination)
    {
        if (Base64.EncodeToUtf8(_key, destination, out _, out int written) != System.Buffers.OperationStatus.Done || written != TextLength)
        {
            throw new InvalidOperationException("base64 of a network key is not 44 characters");
        }
    }

    private static string ComputeFingerprint(ReadOnlySpan<byte> key)
    {
        ReadOnlySpan<byte> label = "hoshino network key fingerprint v1\0"u8;
        Span<byte> input = stackalloc byte[label.Length + KeyLength];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        label.CopyTo(input);
        key.CopyTo(input[label.Length..]);
        SHA256.HashData(input, hash);
        CryptographicOperations.ZeroMemory(input);
        return Convert.ToHexStringLower(hash[..8]);
    }

    private static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8);

    private void DisposeCiphers()
    {
        while (_ciphers.TryTake(out AesGcm? cipher))
        {
            cipher.Dispose();
        }
    }

    /// <summary>Zeroes the key and releases the ciphers. Sealing or opening afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        DisposeCiphers();
        CryptographicOperations.ZeroMemory(_key);
    }
}
