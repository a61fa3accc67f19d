namespace Partitioned.Testing;

public static class TaskExtensions
{
    /// <summary>Waits for a task that is expected to end in cancellation or failure (an abandoned attempt), ignoring how it ended.</summary>
    public static async Task IgnoreFailureAsync(this Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // The test asserts elsewhere; here the task only has to be over.
        }
    }

    /// <summary>Waits up to a generous <paramref name="timeout"/>; a hang fails with what was awaited.</summary>
    public static async Task<T> WaitAsync<T>(this Task<T> task, TimeSpan timeout, string what)
    {
        try
        {
            return await task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting until {what}.");
        }
    }
}
