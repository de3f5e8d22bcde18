using Hoshino.Diagnostics;
using Hoshino.Packets;
using Hoshino.Store;
using Hoshino.Transport;

namespace Hoshino.Ingress;

/// <summary>
/// The v2 path's GET of one name and the validation of what comes back: its age by Last-Modified
/// (the name has no time), then the body against its name, sealing and all. Each answer goes to the
/// receiver's loop through <c>answered</c>; a fetch never throws. Thread-safe: fetches run concurrently.
/// </summary>
/// <param name="store">Where the inbox is.</param>
/// <param name="self">This node.</param>
/// <param name="time">The clock an object's age is measured by.</param>
/// <param name="options">Bounds (object size, packet age, sealing).</param>
/// <param name="storeFailed">Logs a store failure (rate-limited); any thread.</param>
/// <param name="listed">Whether the latest listing showed a name (a refused GET of a listed name is worth a log line).</param>
/// <param name="answered">Takes each answer; called on the fetch's task.</param>
internal sealed class StreamFetcher(IPacketStore store, Address16 self, TimeProvider time, IngressOptions options,
    Action<string, Exception> storeFailed, Func<StreamKey, bool> listed, Action<StreamFetcher.Answer> answered)
{
    internal enum Outcome { Found, Missing, Invalid, Failed }

    internal readonly record struct Answer(StreamKey Key, Outcome Outcome, StreamReceiver.Bundle? Bundle, long Size, RejectReason Reason);

    /// <summary>GETs one name and validates what comes back; the answer goes to the loop. Never throws.</summary>
    public async Task FetchAsync(StreamKey key, CancellationToken cancellationToken)
    {
        Answer answer;
        string name = key.ToString();
        try
        {
            StoredBody? stored = await store.ReadAsync(name, options.MaxObjectBytes, cancellationToken);
            answer = stored is null ? new Answer(key, Outcome.Missing, null, 0, RejectReason.None) : Validate(key, name, stored);
        }
        catch (PacketStoreException ex) when (ex.Kind == StoreErrorKind.AccessDenied)
        {
            // Under the least-privilege policy a GET of a name nobody wrote is 403 (no unconditional
            // ListBucket): nothing yet. A real denial shows as listed names that never arrive.
            if (listed(key))
            {
                storeFailed("fetching " + LogText.Escape(name) + " (listed, but the GET was refused)", ex);
            }
            answer = new Answer(key, Outcome.Missing, null, 0, RejectReason.None);
        }
        catch (PacketStoreException ex) when (ex.Kind is StoreErrorKind.TooLarge or StoreErrorKind.Unreadable)
        {
            answer = new Answer(key, Outcome.Invalid, null, 0, ex.Kind == StoreErrorKind.TooLarge ? RejectReason.TooLarge : RejectReason.Unfetchable);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            storeFailed("fetching " + LogText.Escape(name), ex);
            answer = new Answer(key, Outcome.Failed, null, 0, RejectReason.None);
        }
        catch (Exception)
        {
            answer = new Answer(key, Outcome.Failed, null, 0, RejectReason.None); // shutting down
        }
        answered(answer);
    }

    /// <summary>Age by Last-Modified (the name has no time), then the body against its name, sealing and all.</summary>
    private Answer Validate(StreamKey key, string name, StoredBody stored)
    {
        if (stored.LastModified != default && time.GetUtcNow() - stored.LastModified > options.MaxPacketAge)
        {
            return new Answer(key, Outcome.Invalid, null, 0, RejectReason.TooOld);
        }
        var frames = new List<Range>();
        RejectReason reason = TunDelivery.Open(stored.Body, name, key.Source, self, options, frames);
        return reason == RejectReason.None
            ? new Answer(key, Outcome.Found, new StreamReceiver.Bundle(stored.Body, frames), stored.Body.Length, RejectReason.None)
            : new Answer(key, Outcome.Invalid, null, 0, reason);
    }
}
