namespace Hoshino.Store;

/// <summary>
/// An object store seen the way Hoshino uses it: a flat namespace of small, immutable objects.
/// Keys given to and returned by a store are relative to its key prefix (the store adds and strips
/// the prefix). Implementations are thread-safe.
/// </summary>
public interface IPacketStore
{
    /// <summary>Short description for logs, e.g. <c>s3://bucket/prefix</c>. Never contains credentials.</summary>
    string Description { get; }

    /// <summary>
    /// Checks that the store exists and that these credentials may list it. Throws
    /// <see cref="PacketStoreException"/> whose <see cref="PacketStoreException.Kind"/> says why not.
    /// </summary>
    Task ProbeAsync(string inboxPrefix, CancellationToken cancellationToken);

    /// <summary>Writes one object atomically: a reader sees either nothing or the whole body.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the object only if no object has this key yet (S3: <c>If-None-Match: *</c>), atomically:
    /// of two writers racing for one key, one wins. Returns false when an object was already there.
    /// </summary>
    Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>
    /// Lists every object whose key starts with <paramref name="prefix"/> (which ends in <c>/</c>),
    /// in ordinal key order, following continuation tokens up to <paramref name="limit"/> objects.
    /// </summary>
    Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Reads a whole object. Returns null when it does not exist (another reader deleted it).
    /// Throws <see cref="PacketStoreException"/> of kind <see cref="StoreErrorKind.TooLarge"/> when
    /// the body is larger than <paramref name="maxBytes"/>, without reading the rest.
    /// </summary>
    Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken);

    /// <summary>
    /// Reads a whole object by name, with the time the store says it was written (S3: the GET's
    /// Last-Modified; <c>dir:</c>: the file's modification time), as <see cref="StoredObject.LastModified"/>
    /// reports it: transport v2 names carry no time, so objects are screened by this against the
    /// packet age (docs/adr/0010-transport-v2.md). Null when the object does not exist (S3 answers a
    /// reader that may not list the key with AccessDenied instead: the caller decides what that means).
    /// Throws <see cref="PacketStoreException"/> of kind <see cref="StoreErrorKind.TooLarge"/> as
    /// <see cref="GetAsync"/> does.
    /// </summary>
    Task<StoredBody?> ReadAsync(string key, int maxBytes, CancellationToken cancellationToken);

    /// <summary>
    /// The object's version tag (S3: a HEAD request, answered with the ETag), or null when it does
    /// not exist. The tag is the one <see cref="ListAsync"/> reports for the object, and it changes
    /// whenever the object is written again with a different body. Costs a GET on AWS, a twelfth of a LIST.
    /// </summary>
    Task<string?> GetTagAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes the given objects; keys that no longer exist are not an error.</summary>
    Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);
}

/// <summary>One entry of a listing.</summary>
/// <param name="Key">Key relative to the store's key prefix.</param>
/// <param name="Size">Size in bytes, as the listing reports it.</param>
/// <param name="Tag">Version tag, as <see cref="IPacketStore.GetTagAsync"/> reports it.</param>
/// <param name="LastModified">When the store says the object was written (S3: LastModified, to the second; <c>dir:</c>: mtime); default when unknown.</param>
public readonly record struct StoredObject(string Key, long Size, string? Tag = null, DateTimeOffset LastModified = default)
{
    /// <summary>
    /// <see cref="LastModified"/>, or null when the store did not say. Writing the same body again
    /// moves it on and (on S3) keeps <see cref="Tag"/>: the peer directory renews records so.
    /// </summary>
    public DateTimeOffset? Modified => LastModified == default ? null : LastModified;
}

/// <summary>A whole object read by name, and when the store says it was written.</summary>
/// <param name="Body">The object's bytes.</param>
/// <param name="LastModified">As <see cref="StoredObject.LastModified"/> reports it.</param>
public sealed record StoredBody(byte[] Body, DateTimeOffset LastModified);

/// <summary>Why a store operation failed, in terms the daemon can act on.</summary>
public enum StoreErrorKind
{
    /// <summary>Network error, timeout, 5xx, throttling: retry with backoff.</summary>
    Transient,
    /// <summary>The bucket (or directory) does not exist.</summary>
    NoSuchBucket,
    /// <summary>The credentials are not valid (unknown access key, bad signature, expired token).</summary>
    InvalidCredentials,
    /// <summary>The credentials are valid but not allowed to do this.</summary>
    AccessDenied,
    /// <summary>An object was larger than the caller allowed.</summary>
    TooLarge,
    /// <summary>The object exists but cannot be read as stored (an archive storage class, a customer-provided encryption key).</summary>
    Unreadable,
    /// <summary>Anything else; treated as transient by loops, as fatal at start-up.</summary>
    Other,
}

/// <summary>A store operation failed; <see cref="Exception.Message"/> is fit for an operator's log.</summary>
public sealed class PacketStoreException(StoreErrorKind kind, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public StoreErrorKind Kind { get; } = kind;

    /// <summary>True when retrying the same request later may succeed.</summary>
    public bool IsTransient => Kind is StoreErrorKind.Transient or StoreErrorKind.Other;
}
