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
}
