namespace Partitioned.Testing;

/// <summary>Waits for a condition that becomes true asynchronously, with a generous deadline (a hang fails the test, a slow machine does not).</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        await TrueAsync(() => Task.FromResult(condition()), what, timeout);
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds} s waiting until {what}.");
            }

            await Task.Delay(25);
        }
    }
}
