using Hoshino.IntegrationTests.Infrastructure;

namespace Hoshino.IntegrationTests.EndToEnd;

/// <summary>A test class whose every test gets two fresh running nodes, A and B, stopped and removed afterwards.</summary>
public abstract class NodePairTest(StoreNetwork network) : IAsyncLifetime
{
    protected StoreNetwork Network { get; } = network;

    internal NodePair Pair { get; set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A short tag for namespace names, unique enough within a run.</summary>
    protected static string NewTag() => Guid.NewGuid().ToString("n")[..3];

    public virtual async ValueTask InitializeAsync() => Pair = await NodePair.StartAsync(Network, NewTag(), Ct);

    public virtual async ValueTask DisposeAsync()
    {
        await Pair.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
