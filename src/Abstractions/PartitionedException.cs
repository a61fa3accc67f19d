namespace Partitioned;

/// <summary>
/// Base type of every exception the Partitioned libraries throw for an expected failure of a cluster,
/// a partition or the control protocol (as opposed to argument and configuration errors, which use the
/// standard <see cref="ArgumentException"/> and <see cref="InvalidOperationException"/> types).
/// </summary>
public class PartitionedException : Exception
{
    /// <summary>Creates the exception with a message that says what failed.</summary>
    public PartitionedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public PartitionedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
