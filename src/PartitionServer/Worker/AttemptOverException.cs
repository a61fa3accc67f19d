
namespace Partitioned.Server;

/// <summary>
/// The coordinator answered 410 Gone: the worker's attempt is over (it ended, was marked lost, or a newer attempt
/// replaced it). The worker stops and exits with <see cref="WorkerExitCodes.Abandoned"/>: nothing it does counts any more.
/// </summary>
internal sealed class AttemptOverException(string message) : PartitionedException(message)
{
    /// <summary>The first <see cref="AttemptOverException"/> in <paramref name="exception"/> or its inner exceptions, or null.</summary>
    public static AttemptOverException? Find(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is AttemptOverException over)
            {
                return over;
            }
        }

        return null;
    }
}
