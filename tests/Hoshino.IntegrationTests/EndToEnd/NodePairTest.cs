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

    /// <summary>Waits (15 s at most) until B's <paramref name="metric"/> reaches <paramref name="atLeast"/>, and asserts it did not pass it.</summary>
    /// <param name="metric">The metric on B's page.</param>
    /// <param name="atLeast">The value to wait for, and the only one accepted.</param>
    /// <param name="detail">What else the test saw, for the message when the value passed <paramref name="atLeast"/>.</param>
    protected async Task WaitForAsync(string metric, double atLeast, Func<string>? detail = null)
    {
        string page = "";
        for (int i = 0; i < 150; i++)
        {
            page = await Pair.B.LocalMetricsAsync();
            if (Netns.Metric(page, metric) >= atLeast)
            {
                Assert.True(Netns.Metric(page, metric) == atLeast,
                    $"{metric} passed {atLeast}:\n{detail?.Invoke()}\n{page}\n--- A:\n{Pair.A.Process.Output}\n--- B:\n{Pair.B.Process.Output}");
                return;
            }
            await Task.Delay(100, Ct);
        }
        Assert.Fail($"{metric} did not reach {atLeast}:\n{page}");
    }

    /// <summary>
    /// Asserts the setup of an attack: <paramref name="count"/> objects were stored in B's inbox and
    /// are still waiting or already handled by B (it lists every --list-max on its own). A delete B
    /// has sent but not yet seen confirmed is neither gone from the count nor counted, so it looks
    /// again until the two add up (deletes confirm within milliseconds; 10 s at most).
    /// </summary>
    /// <param name="count">Objects the attacker stored.</param>
    /// <param name="before">B's metrics page before they were stored.</param>
    protected async Task AssertStoredAsync(int count, string before)
    {
        int waiting = 0;
        double handled = 0;
        for (int i = 0; i < 100; i++)
        {
            waiting = (await Pair.BundlesInAsync(Pair.B.Address, Ct)).Count;
            handled = Netns.Metric(await Pair.B.LocalMetricsAsync(), "hoshino_deleted_objects_total") - Netns.Metric(before, "hoshino_deleted_objects_total");
            if (waiting + handled >= count)
            {
                return;
            }
            await Task.Delay(100, Ct);
        }
        Assert.Fail($"the attack was not stored: {waiting} waiting, {handled} deleted of {count}");
    }
}
