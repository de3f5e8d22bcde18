using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Hoshino.Packets;

/// <summary>
/// The secret every node of one network shares (<c>--network-key-file</c>): 32 random bytes used
/// as an AES-256-GCM key to seal each object (see docs/wire-format.md and docs/adr/0006-sealing.md).
/// Thread-safe. The key bytes never leave this class except to <see cref="NetworkKeyFile"/> (for
/// <c>hoshino keygen</c>) and never appear in <see cref="ToString"/>, exceptions or logs. The file
/// format and its permission policy are <see cref="NetworkKeyFile"/>'s.
/// </summary>
public sealed class NetworkKey : IDisposable
{
    /// <summary>Bytes of key: AES-256.</summary>
    public const int KeyLength = 32;
    /// <summary>Bytes of nonce, fresh and random per object (the 96-bit GCM nonce).</summary>
    public const int NonceLength = 12;
    /// <summary>Bytes of authentication tag (full-length GCM tag).</summary>
    public const int TagLength = 16;

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
            throw new PlatformNotSupportedException("sealing objects needs AES-GCM, which this system's OpenSSL does not provide (OpenSSL 1.1 or later is needed)");
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

    /// <summary>Copies the 32 key bytes out. Secret: for <see cref="NetworkKeyFile"/> only; the caller zeroes the copy.</summary>
    internal void CopyKeyTo(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _key.CopyTo(destination);
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
