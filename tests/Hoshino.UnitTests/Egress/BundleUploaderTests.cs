using Hoshino.Egress;
using Hoshino.Store;

namespace Hoshino.UnitTests.Egress;

public sealed class BundleUploaderTests
{
    [Theory]
    [InlineData(StoreErrorKind.Transient, "PUT k failed: throttled by the store (SlowDown, HTTP 503)", true)]
    [InlineData(StoreErrorKind.Transient, "PUT k failed: connection reset", false)]
    [InlineData(StoreErrorKind.AccessDenied, "PUT k failed: throttled by the store", false)]
    public void IsThrottling_OnlyATransientErrorTheStoreCallsThrottling(StoreErrorKind kind, string message, bool expected) =>
        Assert.Equal(expected, BundleUploader.IsThrottling(new PacketStoreException(kind, message)));

    [Fact]
    public void IsThrottling_NotAStoreError_False() =>
        Assert.False(BundleUploader.IsThrottling(new IOException("throttled by the store")));
}
