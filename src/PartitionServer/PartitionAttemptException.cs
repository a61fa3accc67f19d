
namespace Partitioned.Server;

/// <summary>
/// A partition attempt failed. The message names the phase (initialisation, listening, registration, stopping,
/// producing results) and the cause; <see cref="Exception.InnerException"/> is the original exception.
/// </summary>
public sealed class PartitionAttemptException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    public PartitionAttemptException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Words an exception for an attempt error: the type name and message, or just the message for the library's own exceptions.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is PartitionedException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}";
    }
}
