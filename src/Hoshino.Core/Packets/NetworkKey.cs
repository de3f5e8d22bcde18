using System.Security.Cryptography;

namespace Hoshino.Packets;

/// <summary>
/// The secret every node of one network shares (<c>--network-key-file</c>): 32 random bytes from
/// which each object's own AES-256-GCM sealing key is derived (HKDF-SHA256; see docs/wire-format.md
/// and docs/adr/0008-per-object-sealing-keys.md), so no AES key ever seals more than one object.
/// Thread-safe. The key bytes never leave this class except to <see cref="NetworkKeyFile"/> (for
/// <c>hoshino keygen</c>) and never appear in <see cref="ToString"/>, exceptions or logs. The file
/// format and its permission policy are <see cref="NetworkKeyFile"/>'s.
/// </summary>
public sealed class NetworkKey : IDisposable
{
    /// <summary>Bytes of key: AES-256, and the length of every derived sealing key.</summary>
    public const int KeyLength = 32;
    /// <summary>Bytes of the random salt each sealed object carries (format v2): input to its key's derivation.</summary>
    public const int SaltLength = 16;
    /// <summary>Bytes of authentication tag (full-length GCM tag).</summary>
    public const int TagLength = 16;
    /// <summary>Bytes of the random GCM nonce of a format v1 object (sealed under the network key itself).</summary>
    internal const int Version1NonceLength = 12;

    /// <summary>HKDF-Extract's salt: names the use of the network key, so a later derivation (v3) gets unrelated keys.</summary>
    private static ReadOnlySpan<byte> ExtractLabel => "hoshino seal v2"u8;

    /// <summary>
    /// The GCM nonce under a derived key. Each derived key seals exactly one object (a fresh salt per
    /// <c>Seal</c>), so a fixed nonce never repeats under a key; the random part lives in the salt.
    /// </summary>
    private static ReadOnlySpan<byte> ZeroNonce => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    // Pinned so the GC never leaves copies behind when it compacts; zeroed on Dispose.
    private readonly byte[] _key = GC.AllocateUninitializedArray<byte>(KeyLength, pinned: true);
    // HKDF-Extract(salt = ExtractLabel, IKM = network key), done once: each object then costs one
    // HKDF-Expand (one HMAC-SHA256 over salt || object key), as RFC 5869 §3.3 allows.
    private readonly byte[] _prk = GC.AllocateUninitializedArray<byte>(SHA256.HashSizeInBytes, pinned: true);
    private int _disposed;

    private NetworkKey(ReadOnlySpan<byte> key)
    {
        if (!AesGcm.IsSupported)
        {
            throw new PlatformNotSupportedException("sealing objects needs AES-GCM, which this system's OpenSSL does not provide (OpenSSL 1.1 or later is needed)");
        }
        key.CopyTo(_key);
        HKDF.Extract(HashAlgorithmName.SHA256, key, ExtractLabel, _prk);
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
        ThrowIfDisposed();
        _key.CopyTo(destination);
    }

    /// <summary>Never the key itself.</summary>
    public override string ToString() => $"NetworkKey({Fingerprint})";

    /// <summary>
    /// The sealing key of one object: HKDF-Expand(PRK, <paramref name="info"/>, 32) with
    /// PRK = HKDF-Extract("hoshino seal v2", network key). <paramref name="info"/> is the object's
    /// salt followed by its object key (see <see cref="BundleFormat"/>). Secret: the caller zeroes it.
    /// </summary>
    internal void DeriveSealingKey(ReadOnlySpan<byte> info, Span<byte> destination)
    {
        ThrowIfDisposed();
        HKDF.Expand(HashAlgorithmName.SHA256, _prk, destination[..KeyLength], info);
        // A Dispose that raced the derivation may have zeroed the PRK under it: never use such a key.
        ThrowIfDisposed();
    }

    /// <summary>
    /// Format v2: encrypts <paramref name="data"/> in place under the sealing key derived from
    /// <paramref name="info"/> and writes the tag; <paramref name="associatedData"/> is
    /// authenticated, not encrypted. The caller guarantees <paramref name="info"/> holds a fresh salt.
    /// </summary>
    internal void Seal(ReadOnlySpan<byte> info, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> sealingKey = stackalloc byte[KeyLength];
        try
        {
            DeriveSealingKey(info, sealingKey);
            // One AesGcm per object: its key is the object's own. Creating one (an OpenSSL context
            // and its key schedule) is most of the cost of sealing a small object; see bench/RESULTS.md.
            using var cipher = new AesGcm(sealingKey, TagLength);
            cipher.Encrypt(ZeroNonce, data, data, tag, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sealingKey);
        }
    }

    /// <summary>
    /// Format v2: checks the tag and decrypts <paramref name="data"/> in place under the sealing key
    /// derived from <paramref name="info"/>. False (and <paramref name="data"/> zeroed) when the tag
    /// does not match: another network key, or any byte of salt, object key, ciphertext, tag or
    /// associated data changed. Never throws on any input of the right shape.
    /// </summary>
    internal bool TryOpen(ReadOnlySpan<byte> info, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> sealingKey = stackalloc byte[KeyLength];
        try
        {
            DeriveSealingKey(info, sealingKey);
            using var cipher = new AesGcm(sealingKey, TagLength);
            return TryDecrypt(cipher, ZeroNonce, data, tag, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sealingKey);
        }
    }

    /// <summary>
    /// Format v1 (read only, for objects from nodes not yet upgraded): checks the tag and decrypts
    /// in place under the network key itself with the object's random <paramref name="nonce"/>.
    /// </summary>
    internal bool TryOpenVersion1(ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        ThrowIfDisposed();
        using var cipher = new AesGcm(_key, TagLength);
        ThrowIfDisposed(); // as in DeriveSealingKey: a racing Dispose may have zeroed _key
        return TryDecrypt(cipher, nonce, data, tag, associatedData);
    }

    private static bool TryDecrypt(AesGcm cipher, ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData)
    {
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

    // A full fence (not just a volatile read), so the check after a derivation cannot be ordered
    // before the reads of the key it guards.
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Interlocked.CompareExchange(ref _disposed, 0, 0) != 0, this);

    /// <summary>Zeroes the key. Sealing or opening afterwards (or during) throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _disposed, 1); // before the zeroing, which a full fence keeps after it
        CryptographicOperations.ZeroMemory(_key);
        CryptographicOperations.ZeroMemory(_prk);
    }
}
