namespace Hoshino.Ingress;

/// <summary>
/// When the stream receiver sends its next DeleteObjects: at once when a batch's worth waits,
/// else no sooner than <c>interval</c> after the previous one. Deleting is free on S3, but each
/// request loads the store like any other: with one delete in flight and nothing else holding it
/// back, a receiver sent one per 2 objects in bulk (bench at 3486682: 926 deletes for 1,821 objects
/// in 10 s, 4 requests per MiB of goodput). A name waiting for its delete is skipped by listings,
/// so holding it a few more milliseconds delivers nothing twice. Pure: times are arguments. Not
/// thread-safe: the receiver's loop owns it.
/// </summary>
internal sealed class DeletePacer(TimeSpan interval, int batch)
{
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    /// <summary>Whether a delete of <paramref name="waiting"/> names should start now (none is in flight).</summary>
    public bool ShouldStart(int waiting, DateTimeOffset now) => waiting > 0 && (waiting >= batch || now - _last >= interval);

    /// <summary>A delete started.</summary>
    public void Started(DateTimeOffset now) => _last = now;

    /// <summary>When the loop must look again for <paramref name="waiting"/> names not sent yet; null when none wait.</summary>
    public DateTimeOffset? WakeAt(int waiting) => waiting > 0 && _last != DateTimeOffset.MinValue ? _last + interval : null;
}
