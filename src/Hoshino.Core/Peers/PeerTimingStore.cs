using System.Net;
using Hoshino.Packets;
using Hoshino.Store;

namespace Hoshino.Peers;

/// <summary>
/// A store that times PUTs of objects for a peer and GETs of objects from one, for
/// <see cref="PeerTraffic"/> (what <c>hoshino ping</c> shows of where the time went). An object's
/// key names both ends, <c>{dest}/{src}/…</c> in every transport version, so it sits outside the
/// pumps. Keys of another shape (leases, doorbells) pass untimed. Everything else passes through.
/// </summary>
public sealed class PeerTimingStore(IPacketStore inner, PeerTraffic traffic, TimeProvider time) : IPacketStore
{
    public string Description => inner.Description;

    public Task ProbeAsync(string inboxPrefix, CancellationToken cancellationToken) => inner.ProbeAsync(inboxPrefix, cancellationToken);

    public async Task PutAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        long start = time.GetTimestamp();
        await inner.PutAsync(key, body, cancellationToken);
        if (EndsOf(key) is ({ } destination, _))
        {
            traffic.Stored(destination, time.GetElapsedTime(start));
        }
    }

    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        inner.PutIfAbsentAsync(key, body, cancellationToken);

    public Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int limit, CancellationToken cancellationToken) =>
        inner.ListAsync(prefix, limit, cancellationToken);

    public async Task<byte[]?> GetAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        long start = time.GetTimestamp();
        byte[]? body = await inner.GetAsync(key, maxBytes, cancellationToken);
        if (body is not null && EndsOf(key) is (_, { } source))
        {
            traffic.Fetched(source, time.GetElapsedTime(start));
        }
        return body;
    }

    public async Task<StoredBody?> ReadAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        long start = time.GetTimestamp();
        StoredBody? read = await inner.ReadAsync(key, maxBytes, cancellationToken);
        if (read is not null && EndsOf(key) is (_, { } source))
        {
            traffic.Fetched(source, time.GetElapsedTime(start)); // transport v2 reads by name; a probe that missed is no fetch
        }
        return read;
    }

    public Task<string?> GetTagAsync(string key, CancellationToken cancellationToken) => inner.GetTagAsync(key, cancellationToken);

    public Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) => inner.DeleteAsync(keys, cancellationToken);

    /// <summary>The destination and source a bundle's key names, or nulls for any other key.</summary>
    internal static (Address16? Destination, Address16? Source) EndsOf(string key)
    {
        ReadOnlySpan<char> rest = key;
        int first = rest.IndexOf('/');
        if (first <= 0)
        {
            return (null, null);
        }
        int second = rest[(first + 1)..].IndexOf('/');
        if (second <= 0 || first + 1 + second + 1 >= rest.Length
            || !IPAddress.TryParse(rest[..first], out IPAddress? destination)
            || !IPAddress.TryParse(rest.Slice(first + 1, second), out IPAddress? source)
            || destination.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6
            || source.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return (null, null);
        }
        return (Address16.From(destination), Address16.From(source));
    }
}
