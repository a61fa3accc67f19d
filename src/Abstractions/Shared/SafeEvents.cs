namespace Partitioned.Shared;

/// <summary>Raises events whose handlers are the caller's code.</summary>
internal static class SafeEvents
{
    /// <summary>
    /// Calls every handler, each in its own try: a handler that throws is a bug in the caller's code, so it is
    /// reported to <paramref name="onError"/> and neither fails what raised the event nor keeps the others from running.
    /// </summary>
    public static void Raise<T>(EventHandler<T>? handlers, object sender, T args, Action<Exception> onError)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<EventHandler<T>>())
        {
            try
            {
                handler(sender, args);
            }
            catch (Exception ex)
            {
                onError(ex);
            }
        }
    }
}
