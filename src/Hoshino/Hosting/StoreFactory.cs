using Hoshino.Cli.Commands;
using Hoshino.S3;
using Hoshino.Store;

namespace Hoshino.Cli.Hosting;

/// <summary>Builds the store named by <c>--store</c>.</summary>
internal static class StoreFactory
{
    public static IPacketStore Create(StoreUri store, string? endpoint, string region, string? storeNetns = null) =>
        store.IsS3
            ? S3PacketStore.Create(new S3StoreOptions
            {
                Bucket = store.Location,
                KeyPrefix = store.KeyPrefix,
                ServiceUrl = endpoint,
                Region = region,
                Connect = storeNetns is null ? null : new Linux.NetworkNamespaceConnector(storeNetns).ConnectAsync,
            })
            : new DirectoryPacketStore(store.Location);

    /// <summary>
    /// Checks at start-up that the store is there and these credentials may use it, and turns a
    /// failure into one line for the operator.
    /// </summary>
    public static async Task ProbeAsync(IPacketStore store, string inbox, CancellationToken cancellationToken)
    {
        try
        {
            await store.ProbeAsync(inbox, cancellationToken);
        }
        catch (PacketStoreException ex)
        {
            (string hint, int code) = ex.Kind switch
            {
                StoreErrorKind.NoSuchBucket => ("create it, or check --store", ExitCodes.Config),
                StoreErrorKind.InvalidCredentials => ("check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role", ExitCodes.NoPermission),
                StoreErrorKind.AccessDenied => ("the node's policy must allow s3:ListBucket on its inbox prefix; see deploy/terraform", ExitCodes.NoPermission),
                _ => ("check --s3-endpoint, the network path to it, and the region", ExitCodes.Unavailable),
            };
            throw new FatalException($"checking store {store.Description}: {ex.Message} ({hint})", code, ex);
        }
    }
}
