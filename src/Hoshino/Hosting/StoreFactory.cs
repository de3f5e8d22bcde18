using Hoshino.Cli.Commands;
using Hoshino.Diagnostics;
using Hoshino.S3;
using Hoshino.Store;

namespace Hoshino.Cli.Hosting;

/// <summary>Builds the store named by <c>--store</c>.</summary>
internal static class StoreFactory
{
    /// <summary>
    /// The store, its requests counted in <paramref name="metrics"/> (null: not counted) exactly
    /// once: S3 counts every HTTP request it makes; the dir: store, which makes none, is counted
    /// per operation (<see cref="InstrumentedPacketStore"/>).
    /// </summary>
    public static IPacketStore Create(StoreUri store, string? endpoint, string region, string? storeNetns = null,
        HoshinoMetrics? metrics = null)
    {
        if (store.IsS3)
        {
            return S3PacketStore.Create(new S3StoreOptions
            {
                Bucket = store.Location,
                KeyPrefix = store.KeyPrefix,
                ServiceUrl = endpoint,
                Region = region,
                Connect = storeNetns is null ? null : new Linux.NetworkNamespaceConnector(storeNetns).ConnectAsync,
                Metrics = metrics,
            });
        }
        // A shared directory may hold a peer's links and FIFOs: resolve nothing through them (openat, O_NOFOLLOW).
        var directory = new DirectoryPacketStore(new Linux.Store.LinuxStoreFileSystem(store.Location));
        return metrics is null ? directory : new InstrumentedPacketStore(directory, metrics);
    }

    /// <summary>
    /// Checks at start-up that the store is there and these credentials may use it. A store that
    /// cannot be reached is retried with backoff (1 s doubling to 30 s) for up to
    /// <paramref name="wait"/> (null: for ever), telling the operator and the service manager each
    /// time; a missing bucket or bad credentials will not fix themselves and fail at once. Every
    /// failure becomes one line for the operator.
    /// </summary>
    public static async Task ProbeAsync(IPacketStore store, string inbox, TimeSpan? wait, Action<string> waiting,
        TimeProvider time, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                await store.ProbeAsync(inbox, timeout.Token);
                return;
            }
            catch (PacketStoreException ex) when (ex.Kind == StoreErrorKind.Transient
                && (wait is null || time.GetElapsedTime(started) + backoff.Current <= wait))
            {
                waiting($"store {store.Description} is unreachable (attempt {attempt}): {ex.Message}; retrying in {backoff.Current.TotalSeconds:0} s (--store-wait 0 to fail instead)");
                await Task.Delay(backoff.Next(), time, cancellationToken);
            }
            catch (PacketStoreException ex)
            {
                throw Explain(store, ex);
            }
        }
    }

    private static FatalException Explain(IPacketStore store, PacketStoreException ex)
    {
        (string hint, int code) = ex.Kind switch
        {
            StoreErrorKind.NoSuchBucket => ("create it, or check --store", ExitCodes.Config),
            StoreErrorKind.InvalidCredentials => ("check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role", ExitCodes.NoPermission),
            StoreErrorKind.AccessDenied => ("the node's policy must allow s3:ListBucket on its inbox prefix; see deploy/terraform", ExitCodes.NoPermission),
            _ => ("check --s3-endpoint, the network path to it, and the region", ExitCodes.Unavailable),
        };
        return new FatalException($"checking store {store.Description}: {ex.Message} ({hint})", code, ex);
    }
}
