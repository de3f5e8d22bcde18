using System.Net;
using System.Runtime.InteropServices;
using Amazon.S3;
using Amazon.S3.Model;
using Hoshino.Diagnostics;
using Hoshino.Store;

namespace Hoshino.S3;

/// <summary>
/// <see cref="IPacketStore"/> on an S3 bucket (AWS or an S3-compatible store such as Ceph RGW).
/// Every request is bounded by <see cref="S3StoreOptions.RequestTimeout"/> and made exactly once:
/// failures surface as <see cref="PacketStoreException"/> for the daemon's loops to retry, and are
/// counted here by kind (<see cref="S3StoreOptions.Metrics"/>); the requests themselves are counted
/// by the SDK client's <see cref="S3MeteringHandler"/>. Thread-safe.
/// </summary>
public sealed class S3PacketStore : IPacketStore, IDisposable
{
    /// <summary>S3's ceiling for both ListObjectsV2 MaxKeys and keys per DeleteObjects.</summary>
    private const int S3BatchLimit = 1000;

    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly S3StoreOptions _options;
    private readonly string _bucket;
    private readonly string _prefix;

    /// <summary>Creates a store with its own SDK client (see <see cref="S3ClientFactory"/>).</summary>
    public static S3PacketStore Create(S3StoreOptions options) =>
        new(S3ClientFactory.CreateClient(options), options, ownsClient: true);

    /// <summary>A store over an existing client, e.g. one shared with other code or a test double.</summary>
    /// <param name="client">Configured as <see cref="S3ClientFactory.CreateConfig"/> does.</param>
    /// <param name="options">Bucket, key prefix and timeouts; the endpoint is only used in messages.</param>
    /// <param name="ownsClient">Dispose <paramref name="client"/> with the store.</param>
    public S3PacketStore(IAmazonS3 client, S3StoreOptions options, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _client = client;
        _ownsClient = ownsClient;
        _options = options;
        _bucket = options.Bucket;
        _prefix = options.KeyPrefix;
        Description = $"s3://{_bucket}/{_prefix} ({options.EndpointDescription})";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public async Task ProbeAsync(string inboxPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inboxPrefix);
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix + inboxPrefix, MaxKeys = 1 };
        await RunAsync(StoreOperation.List, inboxPrefix, (client, ct) => client.ListObjectsV2Async(request, ct), cancellationToken);
    }

    /// <inheritdoc/>
    public Task PutAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        PutAsync(key, body, ifAbsent: false, cancellationToken);

    /// <inheritdoc/>
    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        PutAsync(key, body, ifAbsent: true, cancellationToken);

    private async Task<bool> PutAsync(string key, ReadOnlyMemory<byte> body, bool ifAbsent, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        // The SDK wants a Stream; wrap the caller's array without copying when there is one.
        ArraySegment<byte> segment = MemoryMarshal.TryGetArray(body, out ArraySegment<byte> array)
            ? array
            : new ArraySegment<byte>(body.ToArray());
        return await RunAsync(StoreOperation.Put, key, async (client, ct) =>
        {
            using var stream = new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false);
            var request = new PutObjectRequest
            {
                BucketName = _bucket,
                Key = _prefix + key,
                InputStream = stream,
                AutoCloseStream = false,
                // aws-chunked encoding (the SDK default) is rejected by Ceph RGW and buys nothing
                // for bodies this small: sign the whole payload instead.
                UseChunkEncoding = false,
                ContentType = "application/octet-stream",
            };
            if (ifAbsent)
            {
                request.IfNoneMatch = "*";
            }
            try
            {
                await client.PutObjectAsync(request, ct);
                return true;
            }
            catch (AmazonS3Exception ex) when (ifAbsent && ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
            {
                return false; // 412: the key exists; 409: a concurrent conditional write won
            }
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (prefix.Length > 0 && prefix[^1] != '/')
        {
            // "fd00::1" is a prefix of "fd00::10": without the slash a node would read another's inbox.
            throw new ArgumentException($"list prefix '{prefix}' must end in '/'", nameof(prefix));
        }
        var result = new List<StoredObject>();
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request
            {
                BucketName = _bucket,
                Prefix = _prefix + prefix,
                MaxKeys = Math.Min(limit - result.Count, S3BatchLimit),
                ContinuationToken = continuation,
                // Keys are anyone's choice: XML 1.0 cannot carry control characters, and one such key
                // would make the whole listing unparseable. URL-encoded, every key comes through.
                Encoding = EncodingType.Url,
            };
            ListObjectsV2Response response = await RunAsync(StoreOperation.List, prefix,
                (client, ct) => client.ListObjectsV2Async(request, ct), cancellationToken);
            // SDK 4.x: S3Objects is null when nothing matched; IsTruncated is nullable.
            foreach (S3Object item in response.S3Objects ?? [])
            {
                if (result.Count == limit)
                {
                    break;
                }
                // Form encoding: AWS writes a space as '+' (and a '+' as %2B), as botocore's unquote_plus expects.
                string key = response.Encoding == EncodingType.Url ? Uri.UnescapeDataString(item.Key.Replace('+', ' ')) : item.Key;
                if (key.StartsWith(_prefix, StringComparison.Ordinal))
                {
                    result.Add(new StoredObject(key[_prefix.Length..], item.Size ?? 0, TagOf(item.ETag), ModifiedOf(item.LastModified)));
                }
            }
            continuation = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (continuation is not null && result.Count < limit);
        return result; // S3 lists in UTF-8 byte order, which is ordinal order for these ASCII keys
    }

    /// <inheritdoc/>
    public async Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var request = new GetObjectRequest { BucketName = _bucket, Key = _prefix + key };
        return await RunAsync<byte[]?>(StoreOperation.Get, key, async (client, ct) =>
        {
            GetObjectResponse response;
            try
            {
                response = await client.GetObjectAsync(request, ct);
            }
            catch (AmazonS3Exception ex) when (ex is { StatusCode: HttpStatusCode.NotFound, ErrorCode: "NoSuchKey" or null or "" })
            {
                return null; // another reader deleted it between our LIST and GET: an answer, not a failure
            }
            using (response)
            {
                long length = response.ContentLength;
                if (length > maxBytes)
                {
                    // Disposing the unread response aborts the connection instead of draining it.
                    throw new PacketStoreException(StoreErrorKind.TooLarge,
                        $"GET {Target(key)}: object is {length} bytes, more than the {maxBytes} allowed");
                }
                return await ReadBodyAsync(response.ResponseStream, length, maxBytes, key, ct);
            }
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<string?> GetTagAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var request = new GetObjectMetadataRequest { BucketName = _bucket, Key = _prefix + key };
        return await RunAsync(StoreOperation.Head, key, async (client, ct) =>
        {
            try
            {
                GetObjectMetadataResponse response = await client.GetObjectMetadataAsync(request, ct);
                return TagOf(response.ETag);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null; // a HEAD's 404 has no body: a missing key (or bucket, which the next LIST reports)
            }
        }, cancellationToken);
    }

    /// <summary>The SDK hands Last-Modified out as a local time (or, in some paths, unspecified: then it is UTC as sent).</summary>
    private static DateTimeOffset? ModifiedOf(DateTime? modified) => modified switch
    {
        null => null,
        { Kind: DateTimeKind.Unspecified } m => new DateTimeOffset(DateTime.SpecifyKind(m, DateTimeKind.Utc)),
        DateTime m => new DateTimeOffset(m.ToUniversalTime()),
    };

    /// <summary>LIST and HEAD both quote the ETag; compare it without the quotes.</summary>
    private static string? TagOf(string? etag) => etag?.Trim('"');

    /// <inheritdoc/>
    public async Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Any(k => !IsXmlSafe(k)))
        {
            // DeleteObjects carries keys in an XML body, which cannot hold every character a key may
            // have; such a key in a batch would fail the whole batch before it is sent. One DELETE
            // per such key: its name goes in the URL, which can.
            foreach (string key in keys.Where(k => !IsXmlSafe(k)))
            {
                var single = new DeleteObjectRequest { BucketName = _bucket, Key = _prefix + key };
                await RunAsync(StoreOperation.Delete, key, (client, ct) => client.DeleteObjectAsync(single, ct), cancellationToken);
            }
            keys = [.. keys.Where(IsXmlSafe)];
        }
        for (int start = 0; start < keys.Count; start += S3BatchLimit)
        {
            int count = Math.Min(S3BatchLimit, keys.Count - start);
            var objects = new List<KeyVersion>(count);
            for (int i = start; i < start + count; i++)
            {
                objects.Add(new KeyVersion { Key = _prefix + keys[i] });
            }
            string first = keys[start];
            // Quiet: the response lists only failures, not every deleted key.
            var request = new DeleteObjectsRequest { BucketName = _bucket, Objects = objects, Quiet = true };
            await RunAsync(StoreOperation.Delete, count == 1 ? first : $"{first} (+{count - 1} more)",
                async (client, ct) =>
                {
                    DeleteObjectsResponse response;
                    try
                    {
                        response = await client.DeleteObjectsAsync(request, ct);
                    }
                    catch (DeleteObjectsException ex) when (ex.Response is not null)
                    {
                        // The SDK throws when any key failed; classify from the per-key errors.
                        response = ex.Response;
                    }
                    ThrowOnDeleteErrors(response.DeleteErrors); // inside: a batch's per-key failures are its failure
                    return response;
                }, cancellationToken);
        }
    }

    /// <summary>True when XML 1.0 can carry <paramref name="key"/> (with the key prefix) as text.</summary>
    private bool IsXmlSafe(string key)
    {
        foreach (string part in (string[])[_prefix, key])
        {
            for (int i = 0; i < part.Length; i++)
            {
                char c = part[i];
                if (char.IsHighSurrogate(c) && i + 1 < part.Length && char.IsLowSurrogate(part[i + 1]))
                {
                    i++;
                    continue;
                }
                if (!(c is '\t' or '\n' or '\r' || c is >= (char)0x20 and <= (char)0xD7FF || c is >= (char)0xE000 and <= (char)0xFFFD))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>Disposes the SDK client when this store created it.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <summary>Per-key failures arrive in a 200 response; a key that is already gone is not one.</summary>
    private void ThrowOnDeleteErrors(List<DeleteError>? errors)
    {
        List<DeleteError> failed = errors?.Where(e => e.Code != "NoSuchKey").ToList() ?? [];
        if (failed.Count == 0)
        {
            return;
        }
        DeleteError sample = failed[0];
        (StoreErrorKind kind, string what) = S3Errors.Classify(sample.Code, sample.Code == "AccessDenied" ? HttpStatusCode.Forbidden : 0);
        string key = sample.Key.StartsWith(_prefix, StringComparison.Ordinal) ? sample.Key[_prefix.Length..] : sample.Key;
        string more = failed.Count > 1 ? $" and {failed.Count - 1} more keys" : "";
        throw new PacketStoreException(kind,
            $"DELETE {Target(key)}{more} failed: {(what.Length > 0 ? what : Scrub(sample.Message ?? ""))} ({sample.Code})");
    }

    private async Task<byte[]> ReadBodyAsync(Stream body, long length, int maxBytes, string key, CancellationToken ct)
    {
        if (length >= 0)
        {
            byte[] exact = new byte[length];
            await body.ReadExactlyAsync(exact, ct);
            return exact;
        }
        // No Content-Length (chunked): read at most one byte past the bound to detect excess.
        byte[] buffer = new byte[Math.Min(maxBytes + 1L, 64 * 1024)];
        int filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                if (filled > maxBytes)
                {
                    throw new PacketStoreException(StoreErrorKind.TooLarge,
                        $"GET {Target(key)}: object is more than the {maxBytes} bytes allowed");
                }
                Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, maxBytes + 1L));
            }
            int read = await body.ReadAsync(buffer.AsMemory(filled), ct);
            if (read == 0)
            {
                return buffer[..filled];
            }
            filled += read;
        }
    }

    /// <summary>
    /// Runs one SDK call under the request timeout, maps its failure and counts it by kind. Exactly
    /// one attempt, so one HTTP request (the client's retries are off, <see cref="S3ClientFactory"/>):
    /// the failure counted here belongs to the request <see cref="S3MeteringHandler"/> counted.
    /// Cancellation by the caller is not a failure.
    /// </summary>
    private async Task<T> RunAsync<T>(StoreOperation operation, string key,
        Func<IAmazonS3, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            return await call(_client, timeout.Token);
        }
        catch (PacketStoreException ex) when (!cancellationToken.IsCancellationRequested)
        {
            _options.Metrics?.StoreError(operation, ex.Kind); // ours, after an answer: too large, per-key delete errors
            throw;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            bool timedOut = ex is OperationCanceledException;
            PacketStoreException? mapped = S3Errors.Map(NameOf(operation), Target(key), ex, timedOut, _options.RequestTimeout, Scrub);
            _options.Metrics?.StoreError(operation, mapped?.Kind ?? StoreErrorKind.Other);
            if (mapped is null)
            {
                throw;
            }
            throw mapped;
        }
    }

    /// <summary>The operation as messages name it.</summary>
    private static string NameOf(StoreOperation operation) => operation switch
    {
        StoreOperation.Put => "PUT",
        StoreOperation.List => "LIST",
        StoreOperation.Get => "GET",
        StoreOperation.Head => "HEAD",
        _ => "DELETE",
    };

    /// <summary>The object in messages; the key escaped, because anyone who may write to the bucket chose it.</summary>
    private string Target(string key) => $"s3://{_bucket}/{_prefix}{LogText.Escape(key)} ({_options.EndpointDescription})";

    /// <summary>Belt and braces: no message this store builds may carry a credential.</summary>
    private string Scrub(string message)
    {
        if (_options.SecretKey is { Length: > 0 } secret)
        {
            message = message.Replace(secret, "***", StringComparison.Ordinal);
        }
        if (_options.AccessKey is { Length: > 0 } accessKey)
        {
            message = message.Replace(accessKey, "***", StringComparison.Ordinal);
        }
        return message;
    }
}
